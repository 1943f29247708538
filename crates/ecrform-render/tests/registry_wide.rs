//! Snapshot tests of a plan with registry-wide changes, made by the planner from desired and
//! live states so that the shapes rendered are the ones it produces: the singletons
//! (replication, registry policy, scanning, signing configuration) as document diffs;
//! pull-through cache rules, creation templates, account settings and pull-time update
//! exclusions field by field (one address each), a template's policies as nested document
//! diffs and its resource tags key by key.

// An integration test is not `cfg(test)`, so clippy's allow-unwrap-in-tests does not reach it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use serde_json::json;

use ecrform_model::{
    AccountId, AccountSettingName, AppliedFor, CreationTemplate, DesiredRegistry, DesiredState,
    IamPolicy, LifecyclePolicy, PullThroughCacheRule, PullTimeUpdateExclusions, Region, RegistryId,
    RegistryState, Replication, ReplicationDestination, ReplicationRule, ScanFrequency, ScanRule,
    ScanType, Scanning, Setting, SigningConfiguration, SigningRule,
};
use ecrform_plan::Plan;
use ecrform_render::{TextOptions, render_json, render_markdown, render_text};

const ACCOUNT: &str = "123456789012";
const SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub";

fn registry_id() -> RegistryId {
    RegistryId::parse(&format!("{ACCOUNT}/us-east-1")).unwrap()
}

fn destination(account: &str, region: &str) -> ReplicationDestination {
    ReplicationDestination {
        region: Region::parse(region).unwrap(),
        account: AccountId::parse(account).unwrap(),
    }
}

fn registry_policy(actions: &[&str]) -> IamPolicy {
    IamPolicy::from_value(json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "replicate-from-build", "Effect": "Allow",
                       "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                       "Action": actions,
                       "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/*"}]
    }))
    .unwrap()
}

fn lifecycle(days: u32) -> LifecyclePolicy {
    LifecyclePolicy::from_value(json!({"rules": [{
        "rulePriority": 1,
        "description": "expire untagged images",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                      "countUnit": "days", "countNumber": days},
        "action": {"type": "expire"}
    }]}))
    .unwrap()
}

fn cache_rule(url: &str, credential: Option<&str>) -> PullThroughCacheRule {
    PullThroughCacheRule {
        upstream_url: url.to_owned(),
        upstream_registry: None,
        credential_arn: credential.map(str::to_owned),
        custom_role_arn: None,
        upstream_repository_prefix: None,
    }
}

fn template(days: u32, description: &str, tags: &[(&str, &str)]) -> CreationTemplate {
    CreationTemplate {
        applied_for: vec![AppliedFor::PullThroughCache],
        description: Some(description.to_owned()),
        image_tag_mutability: None,
        image_tag_mutability_exclusions: Vec::new(),
        encryption: None,
        resource_tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        lifecycle_policy: Some(lifecycle(days)),
        repository_policy: None,
        custom_role_arn: (!tags.is_empty())
            .then(|| "arn:aws:iam::123456789012:role/ecr-template".to_owned()),
    }
}

fn signing_rule(profile: &str, filters: &[&str]) -> SigningRule {
    SigningRule {
        signing_profile_arn: format!(
            "arn:aws:signer:us-east-1:{ACCOUNT}:/signing-profiles/{profile}"
        ),
        repository_filters: filters.iter().map(|f| (*f).to_owned()).collect(),
    }
}

fn principal(path: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{path}")
}

/// Every registry-wide kind changes: settings, policy, templates, cache rules (an update, a
/// replace and a delete), replication, scanning, the signing configuration (a filter and a
/// rule more) and pull-time update exclusions (one registered, one deregistered).
fn registry_wide_plan() -> Plan {
    let mut want = RegistryState::empty(registry_id());
    want.account_settings = Some(
        [(AccountSettingName::RegistryPolicyScope, "V2".to_owned())]
            .into_iter()
            .collect(),
    );
    want.registry_policy = Setting::Present(registry_policy(&[
        "ecr:CreateRepository",
        "ecr:ReplicateImage",
    ]));
    want.creation_templates = Some(BTreeMap::from([(
        "ROOT".to_owned(),
        template(30, "cached images", &[("team", "platform")]),
    )]));
    want.pull_through_cache = Some(BTreeMap::from([
        (
            "docker-hub".to_owned(),
            cache_rule("registry-1.docker.io", Some(&format!("{SECRET}-rotated"))),
        ),
        (
            "quay".to_owned(),
            cache_rule("mirror.quay.example.com", None),
        ),
    ]));
    want.replication = Setting::Present(Replication {
        rules: vec![ReplicationRule {
            destinations: vec![
                destination(ACCOUNT, "eu-west-1"),
                destination("210987654321", "us-east-1"),
            ],
            repository_filters: vec!["team-a/".to_owned()],
        }],
    });
    want.scanning = Setting::Present(Scanning {
        scan_type: ScanType::Enhanced,
        rules: vec![ScanRule {
            frequency: ScanFrequency::ContinuousScan,
            filters: vec!["team-a/*".to_owned()],
        }],
    });
    want.signing_configuration = Setting::Present(SigningConfiguration {
        rules: vec![
            signing_rule("release_images", &["team-a/*", "release/*"]),
            signing_rule("everything", &[]),
        ],
    });
    want.pull_time_update_exclusions = Some(PullTimeUpdateExclusions::from_iter([
        principal("role/security/scanner"),
        principal("user/mirror"),
    ]));

    let mut live = RegistryState::empty(registry_id());
    live.account_settings = Some(
        [(AccountSettingName::RegistryPolicyScope, "V1".to_owned())]
            .into_iter()
            .collect(),
    );
    live.registry_policy = Setting::Present(registry_policy(&["ecr:ReplicateImage"]));
    live.creation_templates = Some(BTreeMap::from([(
        "ROOT".to_owned(),
        template(7, "pull-through cache", &[]),
    )]));
    live.pull_through_cache = Some(BTreeMap::from([
        (
            "docker-hub".to_owned(),
            cache_rule("registry-1.docker.io", Some(SECRET)),
        ),
        ("quay".to_owned(), cache_rule("quay.io", None)),
        ("old".to_owned(), cache_rule("public.ecr.aws", None)),
    ]));
    live.replication = Setting::Absent;
    live.scanning = Setting::Present(Scanning {
        scan_type: ScanType::Basic,
        rules: Vec::new(),
    });
    live.signing_configuration = Setting::Present(SigningConfiguration {
        rules: vec![signing_rule("release_images", &["release/*"])],
    });
    live.pull_time_update_exclusions = Some(PullTimeUpdateExclusions::from_iter([
        principal("user/mirror"),
        principal("role/old-scanner"),
    ]));

    let desired = DesiredState {
        registries: vec![DesiredRegistry {
            state: want,
            role_arn: None,
            profile: None,
            prune: false,
        }],
    };
    ecrform_plan::plan(&desired, &[live])
}

#[test]
fn text_rendering_of_registry_wide_changes() {
    insta::assert_snapshot!(render_text(
        &registry_wide_plan(),
        &TextOptions {
            color: false,
            ..TextOptions::default()
        }
    ));
}

#[test]
fn markdown_rendering_of_registry_wide_changes() {
    insta::assert_snapshot!(render_markdown(&registry_wide_plan()));
}

#[test]
fn json_rendering_of_registry_wide_changes() {
    insta::assert_snapshot!(render_json(&registry_wide_plan()));
}
