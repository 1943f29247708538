//! Saved plans (`plan --out FILE`, `apply FILE`): the plan, the calls that apply it, how to
//! reach each registry and what was read there, and a fingerprint of the live state of every
//! address the plan touches. Applying a saved plan re-reads those addresses and refuses when
//! any changed, so what is applied is exactly what was reviewed.
//!
//! A plan also records the ecrform version that made it (another version may plan and call
//! differently, so it refuses the file) and the spec it was made from: its path and a
//! fingerprint of its meaning ([`spec_fingerprint`]: the canonical desired state, so that a
//! comment or a reordering in the spec does not make the plan stale, and a change of meaning
//! does).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use serde_json::Value;

use ecrform_model::{
    AccountSettings, Address, CreationTemplate, DesiredRegistry, DesiredState, JsonProblem,
    RegistryId, RegistryState, RepositoryState, ResourceKind, Setting, Target,
};

use crate::{Action, ApiCall, Change, Plan, ReadScope};

/// The saved plan format version this build reads and writes.
pub const SAVED_PLAN_VERSION: u32 = 3;

/// How to reach one registry of a saved plan, and what planning read there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRegistry {
    pub registry: RegistryId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub scope: ReadScope,
}

/// The spec a saved plan was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSpec {
    /// The spec path as `plan -f` was given it (a file or a directory).
    pub path: String,
    /// [`spec_fingerprint`] of its desired state, for the registries of the plan.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub saved_plan_version: u32,
    /// The version of ecrform that made the plan; another version refuses it.
    pub ecrform_version: String,
    pub spec: SavedSpec,
    pub registries: Vec<SavedRegistry>,
    pub plan: Plan,
    /// The calls of each change, by position in `plan.changes`.
    pub calls: Vec<Vec<ApiCall>>,
    /// Address -> fingerprint of its live state when the plan was made.
    pub fingerprints: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("not an ecrform saved plan: {0}")]
    Format(String),
    #[error(
        "saved plan version {found} is not supported (this ecrform reads version {SAVED_PLAN_VERSION})"
    )]
    Version { found: u32 },
    #[error(
        "the plan was made by ecrform {made_by} and this is ecrform {this}; make the plan again \
         with this version"
    )]
    OtherEcrform { made_by: String, this: String },
}

impl SavedPlan {
    pub fn new(
        plan: &Plan,
        registries: Vec<SavedRegistry>,
        spec: SavedSpec,
        ecrform_version: &str,
    ) -> Self {
        let fingerprints = plan
            .changes
            .iter()
            .map(|change| {
                (
                    change.address.to_string(),
                    fingerprint(change.before.as_ref()),
                )
            })
            .collect();
        let mut stored = plan.clone();
        let calls = stored
            .changes
            .iter_mut()
            .map(|change| std::mem::take(&mut change.calls))
            .collect();
        SavedPlan {
            saved_plan_version: SAVED_PLAN_VERSION,
            ecrform_version: ecrform_version.to_owned(),
            spec,
            registries,
            // The calls are stored beside the plan: the plan's JSON form is the contract's.
            plan: stored,
            calls,
            fingerprints,
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a plan file made by `ecrform_version` (this ecrform): a file made by another
    /// version, or in another format, is refused before anything else is read from it.
    pub fn from_json(text: &str, ecrform_version: &str) -> Result<Self, SavedPlanError> {
        #[derive(Deserialize)]
        struct Versions {
            saved_plan_version: u32,
            #[serde(default)]
            ecrform_version: Option<String>,
        }
        let versions: Versions = serde_json::from_str(text)
            .map_err(|e| SavedPlanError::Format(JsonProblem::from_error(&e).to_string()))?;
        if let Some(made_by) = versions.ecrform_version
            && made_by != ecrform_version
        {
            return Err(SavedPlanError::OtherEcrform {
                made_by,
                this: ecrform_version.to_owned(),
            });
        }
        if versions.saved_plan_version != SAVED_PLAN_VERSION {
            return Err(SavedPlanError::Version {
                found: versions.saved_plan_version,
            });
        }
        let saved: SavedPlan = serde_json::from_str(text)
            .map_err(|e| SavedPlanError::Format(JsonProblem::from_error(&e).to_string()))?;
        if saved.calls.len() != saved.plan.changes.len() {
            return Err(SavedPlanError::Format(String::from(
                "the calls do not match the changes",
            )));
        }
        Ok(saved)
    }

    /// The plan with its calls attached again.
    pub fn plan(&self) -> Plan {
        let mut plan = self.plan.clone();
        for (change, calls) in plan.changes.iter_mut().zip(&self.calls) {
            change.calls = calls.clone();
        }
        plan
    }

    /// The addresses whose live state differs from when the plan was made.
    pub fn stale_addresses(&self, live: &[RegistryState]) -> Vec<Address> {
        // The policies of a repository the plan replaces are written to the new repository
        // whatever the old one holds, so only the repository's own fingerprint matters.
        let replaced: Vec<(&RegistryId, &Target)> = self
            .plan
            .changes
            .iter()
            .filter(|c| c.address.kind == ResourceKind::Repository && c.action == Action::Replace)
            .map(|c| (&c.address.registry, &c.address.target))
            .collect();
        let follows_a_replace = |change: &Change| {
            matches!(
                change.address.kind,
                ResourceKind::LifecyclePolicy | ResourceKind::RepositoryPolicy
            ) && replaced.contains(&(&change.address.registry, &change.address.target))
        };
        self.plan
            .changes
            .iter()
            .filter(|change| !follows_a_replace(change))
            .filter(|change| {
                let now = live
                    .iter()
                    .find(|registry| registry.id() == change.address.registry)
                    .and_then(|registry| crate::diff::observe(change, registry));
                self.fingerprints.get(&change.address.to_string())
                    != Some(&fingerprint(now.as_ref()))
            })
            .map(|change| change.address.clone())
            .collect()
    }
}

/// SHA-256 of the canonical JSON (serde_json's maps are sorted) of an address's live form.
fn fingerprint(value: Option<&serde_json::Value>) -> String {
    let text = value
        .map(ToString::to_string)
        .unwrap_or_else(|| String::from("null"));
    hex(&Sha256::digest(text.as_bytes()))
}

/// A fingerprint of what a spec means for some registries: SHA-256 of their canonical
/// desired state (policies and registry-wide settings in their canonical forms, maps sorted),
/// so that formatting, comments and the order things are written in do not change it.
pub fn spec_fingerprint(desired: &DesiredState, registries: &[RegistryId]) -> String {
    let selected: Vec<Value> = desired
        .registries
        .iter()
        .filter(|registry| registries.contains(&registry.state.id()))
        .map(canonical_registry)
        .collect();
    let text = Value::Array(selected).to_string();
    hex(&Sha256::digest(text.as_bytes()))
}

/// One desired registry with every document in canonical form.
fn canonical_registry(desired: &DesiredRegistry) -> Value {
    let state = &desired.state;
    let document = |setting: &Setting<Value>| match setting {
        Setting::Unmanaged => Value::String("unmanaged".to_owned()),
        Setting::Absent => Value::Null,
        Setting::Present(value) => value.clone(),
    };
    let repositories: serde_json::Map<String, Value> = state
        .repositories
        .iter()
        .map(|(name, repository)| {
            let mut fields = serde_json::to_value(RepositoryState {
                lifecycle_policy: Setting::Unmanaged,
                repository_policy: Setting::Unmanaged,
                ..repository.clone()
            })
            .unwrap_or(Value::Null);
            if let Value::Object(fields) = &mut fields {
                let lifecycle = repository
                    .lifecycle_policy
                    .clone()
                    .map(|policy| policy.canonical().clone());
                let policy = repository
                    .repository_policy
                    .clone()
                    .map(|policy| policy.canonical().clone());
                fields.insert("lifecycle_policy".to_owned(), document(&lifecycle));
                fields.insert("repository_policy".to_owned(), document(&policy));
            }
            (name.to_string(), fields)
        })
        .collect();
    let canonical_template = |template: &CreationTemplate| {
        let canonical = template.canonical();
        let mut value = serde_json::to_value(CreationTemplate {
            lifecycle_policy: None,
            repository_policy: None,
            ..canonical.clone()
        })
        .unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut value {
            for (key, policy) in [
                (
                    "lifecycle_policy",
                    canonical.lifecycle_policy.map(|p| p.canonical().clone()),
                ),
                (
                    "repository_policy",
                    canonical.repository_policy.map(|p| p.canonical().clone()),
                ),
            ] {
                if let Some(policy) = policy {
                    fields.insert(key.to_owned(), policy);
                }
            }
        }
        value
    };
    serde_json::json!({
        "registry": state.id().to_string(),
        "role_arn": desired.role_arn,
        "profile": desired.profile,
        "prune": desired.prune,
        "repositories": repositories,
        "replication": document(&state.replication.clone().map(|r| {
            serde_json::to_value(r.canonical()).unwrap_or(Value::Null)
        })),
        "registry_policy": document(&state.registry_policy.clone().map(|p| p.canonical().clone())),
        "scanning": document(&state.scanning.clone().map(|s| {
            serde_json::to_value(s.canonical()).unwrap_or(Value::Null)
        })),
        "pull_through_cache": state.pull_through_cache.as_ref().map(|rules| {
            rules
                .iter()
                .map(|(prefix, rule)| {
                    (prefix.clone(), serde_json::to_value(rule.canonical()).unwrap_or(Value::Null))
                })
                .collect::<serde_json::Map<String, Value>>()
        }),
        "creation_templates": state.creation_templates.as_ref().map(|templates| {
            templates
                .iter()
                .map(|(prefix, template)| (prefix.clone(), canonical_template(template)))
                .collect::<serde_json::Map<String, Value>>()
        }),
        "account_settings": state.account_settings.as_ref().map(AccountSettings::canonical),
        "signing_configuration": document(&state.signing_configuration.clone().map(|c| {
            serde_json::to_value(c.canonical()).unwrap_or(Value::Null)
        })),
        "pull_time_update_exclusions": state.pull_time_update_exclusions,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecrform_model::{
        DesiredState, Encryption, EncryptionType, RegistryState, RepositoryState, Setting,
        TagMutability,
    };
    use ecrform_testkit::fixtures::{
        DesiredBuilder, REGISTRY, RegistryBuilder, RepositoryBuilder, expire_untagged_after,
        iam_policy, name, registry_id,
    };

    const VERSION: &str = "1.2.3";

    fn id() -> RegistryId {
        RegistryId::parse("123456789012/us-east-1").unwrap()
    }

    fn spec() -> SavedSpec {
        SavedSpec {
            path: "ecr.yaml".to_owned(),
            fingerprint: "fingerprint".to_owned(),
        }
    }

    fn repository(mode: TagMutability) -> RepositoryState {
        RepositoryBuilder::new().mutability(mode).build()
    }

    /// Desired: `app` immutable and `new` to create; live: `app` mutable.
    fn scenario() -> (DesiredState, RegistryState) {
        let desired = DesiredBuilder::new()
            .registry(
                RegistryBuilder::new(registry_id(REGISTRY))
                    .repository("app", repository(TagMutability::Immutable))
                    .repository("new", repository(TagMutability::Immutable)),
            )
            .build();
        let live = RegistryBuilder::new(registry_id(REGISTRY))
            .repository("app", repository(TagMutability::Mutable))
            .build();
        (desired, live)
    }

    fn saved(desired: &DesiredState, live: &RegistryState) -> SavedPlan {
        let plan = crate::plan(desired, std::slice::from_ref(live));
        SavedPlan::new(&plan, Vec::new(), spec(), VERSION)
    }

    #[test]
    fn a_saved_plan_round_trips_with_its_calls() {
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        let read = SavedPlan::from_json(&saved.to_json(), VERSION).unwrap();
        assert_eq!(read, saved);
        let plan = read.plan();
        assert_eq!(plan.changes.len(), 2);
        assert!(plan.changes.iter().all(|change| !change.calls.is_empty()));
    }

    #[test]
    fn a_saved_plan_keeps_its_image_preview_so_apply_still_asks_for_allow_delete() {
        let (desired, live) = scenario();
        let mut plan = crate::plan(&desired, std::slice::from_ref(&live));
        plan.changes[0].destructive = true;
        plan.changes[0].image_preview = Some(crate::ImagePreview {
            images: 3,
            expire: 2,
            transition: 0,
            examples: vec!["v1".to_owned(), "v2".to_owned()],
        });
        let saved = SavedPlan::new(&plan, Vec::new(), spec(), VERSION);
        let read = SavedPlan::from_json(&saved.to_json(), VERSION)
            .unwrap()
            .plan();
        assert_eq!(read.changes[0].image_preview, plan.changes[0].image_preview);
        assert!(read.changes[0].destructive);
    }

    #[test]
    fn an_unchanged_live_state_is_not_stale() {
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        assert!(saved.stale_addresses(&[live]).is_empty());
    }

    #[test]
    fn a_changed_or_newly_created_address_is_stale() {
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        let mut changed = live.clone();
        changed
            .repositories
            .insert(name("app"), repository(TagMutability::MutableWithExclusion));
        changed
            .repositories
            .insert(name("new"), repository(TagMutability::Mutable));
        let stale: Vec<String> = saved
            .stale_addresses(&[changed])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            stale,
            [
                "123456789012/us-east-1/repository/app",
                "123456789012/us-east-1/repository/new"
            ]
        );
    }

    #[test]
    fn a_change_to_a_field_the_plan_does_not_manage_is_not_stale() {
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        let mut changed = live.clone();
        if let Some(app) = changed.repositories.values_mut().next() {
            app.scan_on_push = Some(true);
            app.lifecycle_policy = Setting::Absent;
        }
        assert!(saved.stale_addresses(&[changed]).is_empty());
    }

    fn registry_policy(principal: &str, action: &str) -> ecrform_model::IamPolicy {
        iam_policy(serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "replicate", "Effect": "Allow",
                           "Principal": {"AWS": principal}, "Action": action}]
        }))
    }

    #[test]
    fn a_registry_policy_changed_since_planning_is_stale_but_one_rewritten_is_not() {
        let want = RegistryBuilder::new(registry_id(REGISTRY))
            .registry_policy(registry_policy("210987654321", "ecr:ReplicateImage"));
        let live = RegistryBuilder::new(registry_id(REGISTRY))
            .registry_policy(registry_policy("210987654321", "ecr:CreateRepository"))
            .build();
        let desired = DesiredBuilder::new().registry(want).build();
        let saved = saved(&desired, &live);
        assert_eq!(saved.plan.changes.len(), 1);
        assert!(
            saved
                .stale_addresses(std::slice::from_ref(&live))
                .is_empty()
        );

        // ECR's rewriting of the same document (root ARN for the account id) is not a change.
        let mut rewritten = live.clone();
        rewritten.registry_policy = Setting::Present(registry_policy(
            "arn:aws:iam::210987654321:root",
            "ecr:CreateRepository",
        ));
        assert!(saved.stale_addresses(&[rewritten]).is_empty());

        let mut edited = live.clone();
        edited.registry_policy = Setting::Present(registry_policy("210987654321", "ecr:*"));
        let stale: Vec<String> = saved
            .stale_addresses(&[edited])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(stale, ["123456789012/us-east-1/registry_policy"]);

        let mut deleted = live;
        deleted.registry_policy = Setting::Absent;
        assert_eq!(saved.stale_addresses(&[deleted]).len(), 1);
    }

    /// Regression: a replace plans its repository's policies as creates (the new repository
    /// starts without them) while the old repository still has them, so every saved plan
    /// with a replace was refused as stale.
    #[test]
    fn a_saved_replace_with_policies_is_not_stale_against_the_live_state_it_was_made_from() {
        let (desired, mut live) = scenario();
        let mut desired = desired;
        let lifecycle = expire_untagged_after(7);
        let app = name("app");
        let want = desired.registries[0]
            .state
            .repositories
            .get_mut(&app)
            .unwrap();
        want.encryption = Some(Encryption {
            kind: EncryptionType::Kms,
            kms_key: None,
        });
        want.lifecycle_policy = Setting::Present(lifecycle.clone());
        let have = live.repositories.get_mut(&app).unwrap();
        have.lifecycle_policy = Setting::Present(lifecycle);
        let saved = saved(&desired, &live);
        assert!(
            saved
                .plan
                .changes
                .iter()
                .any(|c| c.action == Action::Replace),
            "{:?}",
            saved.plan.changes
        );
        assert!(saved.stale_addresses(&[live]).is_empty());
    }

    /// Regression: the ownership tag was left out of a pruned repository's fingerprint, so a
    /// saved plan would delete a repository whose tag had been taken off since planning.
    #[test]
    fn a_pruned_repository_that_lost_its_ownership_tag_is_stale() {
        let owned = || {
            RepositoryBuilder::new()
                .mutability(TagMutability::Mutable)
                .owned()
                .build()
        };
        let (mut desired, mut live) = scenario();
        desired.registries[0].prune = true;
        live.repositories.insert(name("old"), owned());
        let saved = saved(&desired, &live);
        assert!(
            saved
                .plan
                .changes
                .iter()
                .any(|c| c.action == Action::Delete)
        );
        assert!(
            saved
                .stale_addresses(std::slice::from_ref(&live))
                .is_empty()
        );
        let mut disowned = live.clone();
        disowned.repositories.insert(
            name("old"),
            RepositoryState {
                tags: Some(Default::default()),
                ..owned()
            },
        );
        let stale: Vec<String> = saved
            .stale_addresses(&[disowned])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(stale, ["123456789012/us-east-1/repository/old"]);
    }

    #[test]
    fn other_versions_and_other_files_are_refused() {
        assert!(matches!(
            SavedPlan::from_json(r#"{"saved_plan_version": 9}"#, VERSION),
            Err(SavedPlanError::Version { found: 9 })
        ));
        // In the words of the file, not of the types it is read into.
        let cases = [
            (
                r#"{"format_version": 1}"#,
                "line 1, column 21: missing field `saved_plan_version`",
            ),
            (
                "[]",
                "line 1, column 2: invalid type: an array, expected an object",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(
                SavedPlan::from_json(text, VERSION).unwrap_err().to_string(),
                format!("not an ecrform saved plan: {message}")
            );
        }
    }

    #[test]
    fn a_plan_made_by_another_ecrform_is_refused_naming_both_versions() {
        let (desired, live) = scenario();
        let text = saved(&desired, &live).to_json();
        let error = SavedPlan::from_json(&text, "1.2.4").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the plan was made by ecrform 1.2.3 and this is ecrform 1.2.4; make the plan again \
             with this version"
        );
        // Before the format version: another ecrform may write another format.
        let older = text.replace("\"saved_plan_version\": 3", "\"saved_plan_version\": 1");
        assert!(matches!(
            SavedPlan::from_json(&older, "1.2.4"),
            Err(SavedPlanError::OtherEcrform { .. })
        ));
    }

    fn lifecycle(document: serde_json::Value) -> ecrform_model::LifecyclePolicy {
        ecrform_model::LifecyclePolicy::from_value(document).unwrap()
    }

    /// One registry whose repository `app` has this repository policy and lifecycle policy.
    fn desired_with(policy: serde_json::Value, rules: serde_json::Value) -> DesiredState {
        let (mut desired, _) = scenario();
        let app = desired.registries[0]
            .state
            .repositories
            .get_mut(&name("app"))
            .unwrap();
        app.repository_policy = Setting::Present(registry_policy_document(policy));
        app.lifecycle_policy = Setting::Present(lifecycle(rules));
        desired
    }

    fn registry_policy_document(document: serde_json::Value) -> ecrform_model::IamPolicy {
        ecrform_model::IamPolicy::from_value(document).unwrap()
    }

    #[test]
    fn the_spec_fingerprint_follows_meaning_not_writing() {
        let pull = |actions: serde_json::Value, principal: &str| {
            serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions}]})
        };
        let rules = |days: u32| {
            serde_json::json!({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged",
                "countType": "sinceImagePushed", "countUnit": "days", "countNumber": days},
                "action": {"type": "expire"}}]})
        };
        let registries = [id()];
        let base = spec_fingerprint(
            &desired_with(
                pull(
                    serde_json::json!(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]),
                    "210987654321",
                ),
                rules(7),
            ),
            &registries,
        );
        let reordered = spec_fingerprint(
            &desired_with(
                pull(
                    serde_json::json!(["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]),
                    "arn:aws:iam::210987654321:root",
                ),
                rules(7),
            ),
            &registries,
        );
        assert_eq!(base, reordered, "the same meaning, written otherwise");
        for changed in [
            desired_with(
                pull(serde_json::json!(["ecr:BatchGetImage"]), "210987654321"),
                rules(7),
            ),
            desired_with(
                pull(
                    serde_json::json!(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]),
                    "210987654321",
                ),
                rules(8),
            ),
        ] {
            assert_ne!(base, spec_fingerprint(&changed, &registries));
        }
        let (mut pruning, _) = scenario();
        pruning.registries[0].prune = true;
        let (plain, _) = scenario();
        assert_ne!(
            spec_fingerprint(&plain, &registries),
            spec_fingerprint(&pruning, &registries)
        );
        assert_ne!(
            spec_fingerprint(&plain, &registries),
            spec_fingerprint(&plain, &[]),
            "only the plan's registries count"
        );
    }

    #[test]
    fn the_spec_fingerprint_covers_signing_and_pull_time_exclusions() {
        use ecrform_model::{PullTimeUpdateExclusions, SigningConfiguration, SigningRule};
        let profile = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release";
        let with = |filters: &[&str], excluded: &[&str]| {
            let (mut desired, _) = scenario();
            let state = &mut desired.registries[0].state;
            state.signing_configuration = Setting::Present(SigningConfiguration {
                rules: vec![SigningRule {
                    signing_profile_arn: profile.to_owned(),
                    repository_filters: filters.iter().map(|f| (*f).to_owned()).collect(),
                }],
            });
            state.pull_time_update_exclusions = Some(
                excluded
                    .iter()
                    .copied()
                    .collect::<PullTimeUpdateExclusions>(),
            );
            spec_fingerprint(&desired, &[id()])
        };
        let scanner = "arn:aws:iam::123456789012:role/scanner";
        let base = with(&["a/*", "b/*"], &[scanner]);
        assert_eq!(base, with(&["b/*", "a/*", "a/*"], &[scanner, scanner]));
        assert_ne!(base, with(&["a/*"], &[scanner]));
        assert_ne!(base, with(&["a/*", "b/*"], &[]));
        let (unmanaged, _) = scenario();
        assert_ne!(base, spec_fingerprint(&unmanaged, &[id()]));
    }
}
