//! The access delta of every policy change: who can do what that could not before, and who no
//! longer can (see [`ecrform_model::policy::access`]). Reviewers read these lines rather than
//! the policy diff, so every renderer shows them above it, and the plan JSON carries them as
//! the change's `access`.
//!
//! A change's `before` and `after` are canonical policies in the registry's partition, so
//! the delta is a pure function of the change: planning computes it once for every change,
//! and a saved plan planned again gets the same.

use ecrform_model::policy::{AccessDelta, AccessMatrix, AccessScope};
use ecrform_model::{Address, IamPolicy, RegistryWideKind, ResourceKind, Target};
use serde_json::Value;

use crate::Change;
use crate::diff::field;

/// Records the access delta on every change of a repository policy, the registry policy or a
/// creation template's repository policy.
pub(crate) fn annotate(changes: &mut [Change]) {
    for change in changes {
        change.access = access_delta(change);
    }
}

/// What `change` does to access; `None` when it changes no policy.
pub fn access_delta(change: &Change) -> Option<AccessDelta> {
    let (scope, before, after) = match change.address.kind {
        ResourceKind::RepositoryPolicy => (
            repository_scope(&change.address),
            change.before.as_ref(),
            change.after.as_ref(),
        ),
        ResourceKind::RegistryWide(RegistryWideKind::RegistryPolicy) => (
            AccessScope::Registry(Some(change.address.registry.clone())),
            change.before.as_ref(),
            change.after.as_ref(),
        ),
        // The policy a template gives the repositories it creates: which those are is not
        // known, so resources are shown rather than matched.
        ResourceKind::RegistryWide(RegistryWideKind::CreationTemplates) => {
            let (before, after) = (
                template_policy(change.before.as_ref()),
                template_policy(change.after.as_ref()),
            );
            if before == after {
                return None;
            }
            (AccessScope::Repository(None), before, after)
        }
        _ => return None,
    };
    let partition = change.address.registry.region.partition();
    let matrix = |side: Option<&Value>| -> Option<AccessMatrix> {
        let policy = IamPolicy::from_value_in(side?.clone(), partition).ok()?;
        Some(policy.access(&scope))
    };
    Some(AccessDelta::between(
        matrix(before).as_ref(),
        matrix(after).as_ref(),
    ))
}

/// A creation template's repository policy, from one side of its change.
fn template_policy(side: Option<&Value>) -> Option<&Value> {
    side.and_then(|object| object.get(field::REPOSITORY_POLICY))
        .filter(|value| !value.is_null())
}

fn repository_scope(address: &Address) -> AccessScope {
    match &address.target {
        Target::Repository(name) => {
            AccessScope::Repository(Some(address.registry.repository_arn(name)))
        }
        _ => AccessScope::Repository(None),
    }
}

#[cfg(test)]
mod tests {
    use ecrform_model::{CreationTemplate, RegistryState, RepositoryState, Setting};
    use ecrform_testkit::fixtures::{
        DesiredBuilder, REGISTRY, RegistryBuilder, RepositoryBuilder, iam_policy, pull_policy,
        registry_id,
    };
    use serde_json::json;

    use crate::{Action, Plan, plan};

    /// Plans `desired` against `live`, both one registry.
    fn planned(desired: RegistryState, live: RegistryState) -> Plan {
        plan(&DesiredBuilder::new().registry(desired).build(), &[live])
    }

    /// The access lines of every change, by address.
    fn lines(plan: &Plan) -> Vec<(String, Vec<String>)> {
        plan.changes
            .iter()
            .filter_map(|change| {
                let delta = change.access.as_ref()?;
                let lines = delta
                    .lines()
                    .iter()
                    .map(|(sign, grant)| format!("{} {grant}", sign.as_str()))
                    .collect();
                Some((change.address.to_string(), lines))
            })
            .collect()
    }

    fn with_policy(policy: Option<ecrform_model::IamPolicy>) -> RepositoryState {
        let builder = RepositoryBuilder::new();
        match policy {
            Some(policy) => builder.repository_policy(policy),
            None => builder.no_repository_policy(),
        }
        .build()
    }

    fn push_policy(role: &str) -> ecrform_model::IamPolicy {
        iam_policy(
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": role},
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
                       "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]}]}),
        )
    }

    #[test]
    fn every_repository_policy_change_carries_its_access_delta() {
        let registry = registry_id(REGISTRY);
        let desired = RegistryBuilder::new(registry.clone())
            .repository("created", with_policy(Some(pull_policy("345678901234"))))
            .repository("updated", with_policy(Some(pull_policy("345678901234"))))
            .repository("deleted", with_policy(None))
            .repository("reworded", with_policy(Some(pull_policy("345678901234"))))
            .build();
        let live = RegistryBuilder::new(registry)
            .repository("created", with_policy(None))
            .repository(
                "updated",
                with_policy(Some(push_policy("arn:aws:iam::123456789012:role/ci"))),
            )
            .repository("deleted", with_policy(Some(pull_policy("345678901234"))))
            .repository(
                "reworded",
                with_policy(Some(iam_policy(json!({"Statement": [{"Sid": "other",
                    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::345678901234:root"},
                    "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]}]})))),
            )
            .build();
        let plan = planned(desired, live);
        assert_eq!(
            lines(&plan),
            [
                (
                    "123456789012/us-east-1/repository_policy/created".to_owned(),
                    vec!["+ 345678901234 (account) can pull".to_owned()]
                ),
                (
                    "123456789012/us-east-1/repository_policy/deleted".to_owned(),
                    vec!["- 345678901234 (account) can pull".to_owned()]
                ),
                // A Sid changed: the policy differs, who can do what does not.
                (
                    "123456789012/us-east-1/repository_policy/reworded".to_owned(),
                    vec![]
                ),
                (
                    "123456789012/us-east-1/repository_policy/updated".to_owned(),
                    vec![
                        "+ 345678901234 (account) can pull".to_owned(),
                        "- arn:aws:iam::123456789012:role/ci can push".to_owned()
                    ]
                ),
            ]
        );
        let json = serde_json::to_value(&plan.changes[0]).unwrap();
        assert_eq!(
            json["access"]["added"][0]["text"],
            "345678901234 (account) can pull"
        );
        assert_eq!(json["access"]["removed"], json!([]));
    }

    #[test]
    fn registry_policy_changes_read_grants_for_the_registry() {
        let registry = registry_id("123456789012/us-gov-west-1");
        let policy = iam_policy(json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "210987654321"},
            "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
            "Resource": "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/*"}]}));
        let mut desired = RegistryBuilder::new(registry.clone()).build();
        desired.registry_policy = Setting::Present(policy);
        desired.place_policies_in_partition(&mut ecrform_model::PartitionCache::new());
        let mut live = RegistryBuilder::new(registry).build();
        live.registry_policy = Setting::Absent;
        let plan = planned(desired, live);
        assert_eq!(plan.changes[0].action, Action::Create);
        assert_eq!(
            lines(&plan)[0].1,
            [
                "+ 210987654321 (account) can replicate into the registry",
                "+ 210987654321 (account) can create repositories",
            ]
        );
    }

    #[test]
    fn a_creation_template_change_carries_the_delta_of_its_repository_policy_only() {
        let registry = registry_id(REGISTRY);
        let template =
            |policy: Option<ecrform_model::IamPolicy>, description: &str| CreationTemplate {
                applied_for: vec![ecrform_model::AppliedFor::Replication],
                description: Some(description.to_owned()),
                image_tag_mutability: None,
                image_tag_mutability_exclusions: Vec::new(),
                encryption: None,
                resource_tags: Default::default(),
                lifecycle_policy: None,
                repository_policy: policy,
                custom_role_arn: None,
            };
        let mut desired = RegistryBuilder::new(registry.clone()).build();
        desired.creation_templates = Some(
            [
                ("a".to_owned(), template(Some(pull_policy("*")), "a")),
                ("b".to_owned(), template(None, "new words")),
            ]
            .into(),
        );
        let mut live = RegistryBuilder::new(registry).build();
        live.creation_templates = Some(
            [
                ("a".to_owned(), template(None, "a")),
                ("b".to_owned(), template(None, "b")),
            ]
            .into(),
        );
        let plan = planned(desired, live);
        assert_eq!(plan.changes.len(), 2);
        assert_eq!(
            lines(&plan),
            [(
                "123456789012/us-east-1/creation_template/a".to_owned(),
                vec!["! * (anyone) can pull".to_owned()]
            )]
        );
    }
}
