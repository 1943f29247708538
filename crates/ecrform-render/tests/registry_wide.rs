//! Snapshot tests of a plan with registry-wide changes, made by the planner from desired and
//! live states so that the shapes rendered are the ones it produces: the singletons
//! (replication, registry policy, scanning, signing configuration) as document diffs;
//! pull-through cache rules, creation templates, account settings and pull-time update
//! exclusions field by field (one address each), a template's policies as nested document
//! diffs and its resource tags key by key.

// An integration test is not `cfg(test)`, so clippy's allow-unwrap-in-tests does not reach it.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use ecrform_model::{
    AccountSettingName, AppliedFor, CreationTemplate, IamPolicy, PullTimeUpdateExclusions,
    ScanFrequency, ScanType, Setting, SigningConfiguration, SigningRule,
};
use ecrform_plan::Plan;
use ecrform_render::{TextOptions, render_json, render_markdown, render_text};
use ecrform_testkit::fixtures::{
    ACCOUNT, DesiredBuilder, OTHER_ACCOUNT, REGISTRY, RegistryBuilder, cache_rule,
    expire_untagged_after, iam_policy, registry_id, replication, replication_rule, scanning, tags,
};

const SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub";

/// The policy letting the build account replicate in, allowing `actions`.
fn registry_policy(actions: &[&str]) -> IamPolicy {
    iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "replicate-from-build", "Effect": "Allow",
                       "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                       "Action": actions,
                       "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/*"}]
    }))
}

/// A template for pull-through cache repositories; one with resource tags needs a role.
fn template(days: u32, description: &str, resource_tags: &[(&str, &str)]) -> CreationTemplate {
    CreationTemplate {
        applied_for: vec![AppliedFor::PullThroughCache],
        description: Some(description.to_owned()),
        image_tag_mutability: None,
        image_tag_mutability_exclusions: Vec::new(),
        encryption: None,
        resource_tags: tags(resource_tags.iter().copied()),
        lifecycle_policy: Some(expire_untagged_after(days)),
        repository_policy: None,
        custom_role_arn: (!resource_tags.is_empty())
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
    let rotated = format!("{SECRET}-rotated");
    let want = RegistryBuilder::new(registry_id(REGISTRY))
        .account_settings([(AccountSettingName::RegistryPolicyScope, "V2")])
        .registry_policy(registry_policy(&[
            "ecr:CreateRepository",
            "ecr:ReplicateImage",
        ]))
        .creation_templates([(
            "ROOT",
            template(30, "cached images", &[("team", "platform")]),
        )])
        .pull_through_cache([
            (
                "docker-hub",
                cache_rule("registry-1.docker.io", Some(&rotated)),
            ),
            ("quay", cache_rule("mirror.quay.example.com", None)),
        ])
        .replication(replication([replication_rule(
            &[(ACCOUNT, "eu-west-1"), (OTHER_ACCOUNT, "us-east-1")],
            &["team-a/"],
        )]))
        .scanning(scanning(
            ScanType::Enhanced,
            &[(ScanFrequency::ContinuousScan, &["team-a/*"])],
        ));

    let live = RegistryBuilder::new(registry_id(REGISTRY))
        .account_settings([(AccountSettingName::RegistryPolicyScope, "V1")])
        .registry_policy(registry_policy(&["ecr:ReplicateImage"]))
        .creation_templates([("ROOT", template(7, "pull-through cache", &[]))])
        .pull_through_cache([
            (
                "docker-hub",
                cache_rule("registry-1.docker.io", Some(SECRET)),
            ),
            ("quay", cache_rule("quay.io", None)),
            ("old", cache_rule("public.ecr.aws", None)),
        ])
        .no_replication()
        .scanning(scanning(ScanType::Basic, &[]))
        .build();

    let mut want = want.build();
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
    let mut live = live;
    live.signing_configuration = Setting::Present(SigningConfiguration {
        rules: vec![signing_rule("release_images", &["release/*"])],
    });
    live.pull_time_update_exclusions = Some(PullTimeUpdateExclusions::from_iter([
        principal("user/mirror"),
        principal("role/old-scanner"),
    ]));

    let desired = DesiredBuilder::new().registry(want).build();
    ecrform_plan::plan(&desired, &[live])
}

#[test]
fn text_rendering_of_registry_wide_changes() {
    insta::assert_snapshot!(render_text(
        &registry_wide_plan(),
        &TextOptions { color: false }
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
