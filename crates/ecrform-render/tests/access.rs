//! Snapshot tests of the access lines of policy changes, in the plan the planner makes from
//! desired and live states: what each change adds (`+`, or `!` for a grant to anyone) and
//! removes (`-`), above its diff, and the one line of a change that leaves access as it was;
//! and the access matrix of `ecrform access` in every format.

// An integration test is not `cfg(test)`, so clippy's allow-unwrap-in-tests does not reach it.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use ecrform_model::policy::RegistryAccess;
use ecrform_model::{IamPolicy, Setting};
use ecrform_plan::Plan;
use ecrform_render::{
    AccessSource, TextOptions, access_lines, render_access_json, render_access_markdown,
    render_access_text, render_json, render_markdown, render_text,
};
use ecrform_testkit::fixtures::{
    DesiredBuilder, REGISTRY, RegistryBuilder, RepositoryBuilder, iam_policy, registry_id,
};

const PULL: [&str; 3] = [
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
];
const PUSH: [&str; 5] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
];

fn statements(statements: Value) -> IamPolicy {
    iam_policy(json!({"Version": "2012-10-17", "Statement": statements}))
}

fn with_policy(policy: Option<IamPolicy>) -> ecrform_model::RepositoryState {
    match policy {
        Some(policy) => RepositoryBuilder::new().repository_policy(policy),
        None => RepositoryBuilder::new().no_repository_policy(),
    }
    .build()
}

/// A repository policy reworked (a CI role's push gone, an account and the organization
/// added, a condition put on an account that pulled without one), a public policy deleted,
/// a policy whose statement id alone changed, and a registry policy created.
fn access_plan() -> Plan {
    let before_api = statements(json!([
        {"Sid": "ci", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::123456789012:role/ci"}, "Action": PUSH},
        {"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": PULL},
    ]));
    let after_api = statements(json!([
        {"Sid": "pull", "Effect": "Allow",
         "Principal": {"AWS": ["111111111111", "345678901234"]}, "Action": PULL,
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Sid": "org", "Effect": "Allow", "Principal": "*", "Action": PULL,
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}},
        {"Sid": "nodelete", "Effect": "Deny", "Principal": "*",
         "Action": "ecr:BatchDeleteImage"},
    ]));
    let public = statements(json!([
        {"Sid": "public", "Effect": "Allow", "Principal": "*", "Action": PULL},
    ]));
    let lambda = |sid: &str| {
        statements(json!([
            {"Sid": sid, "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
             "Condition": {"StringLike": {"aws:SourceArn": "arn:aws:lambda:us-east-1:123456789012:function:*"}}},
        ]))
    };
    let registry_policy = statements(json!([
        {"Sid": "replicate", "Effect": "Allow", "Principal": {"AWS": "210987654321"},
         "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
         "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/*"},
    ]));

    let mut desired = RegistryBuilder::new(registry_id(REGISTRY))
        .repository("team-a/api", with_policy(Some(after_api)))
        .repository(
            "team-a/fn",
            with_policy(Some(lambda("LambdaECRImageRetrievalPolicy"))),
        )
        .repository("team-b/open", with_policy(None))
        .build();
    desired.registry_policy = Setting::Present(registry_policy);
    let mut live = RegistryBuilder::new(registry_id(REGISTRY))
        .repository("team-a/api", with_policy(Some(before_api)))
        .repository("team-a/fn", with_policy(Some(lambda("lambda"))))
        .repository("team-b/open", with_policy(Some(public)))
        .build();
    live.registry_policy = Setting::Absent;
    ecrform_plan::plan(&DesiredBuilder::new().registry(desired).build(), &[live])
}

#[test]
fn text_rendering_of_access_deltas() {
    insta::assert_snapshot!(render_text(&access_plan(), &TextOptions { color: false }));
}

#[test]
fn markdown_rendering_of_access_deltas() {
    insta::assert_snapshot!(render_markdown(&access_plan()));
}

#[test]
fn json_rendering_of_access_deltas() {
    insta::assert_snapshot!(render_json(&access_plan()));
}

#[test]
fn only_policy_changes_have_access_lines() {
    let plan = access_plan();
    for change in &plan.changes {
        let lines = access_lines(change);
        assert_eq!(
            lines.is_empty(),
            !change.address.to_string().contains("policy"),
            "{}: {lines:?}",
            change.address
        );
    }
}

#[test]
fn colour_marks_what_access_a_change_adds_and_removes() {
    let text = render_text(&access_plan(), &TextOptions { color: true });
    assert!(text.contains("\x1b[33m      ! * (anyone in o-abc123) can pull\x1b[0m"));
    assert!(text.contains("\x1b[32m      + 345678901234 (account) can pull"));
    assert!(text.contains("\x1b[31m      - arn:aws:iam::123456789012:role/ci can push\x1b[0m"));
}

// ---------------------------------------------------------------------------------------------
// The access matrix `ecrform access` prints.
// ---------------------------------------------------------------------------------------------

/// A registry with a policy of every shape: a registry policy, a template's, grants under a
/// condition and a conditional Deny, a policy that grants nothing, no policy, and a policy
/// the spec leaves out.
fn matrix_registries() -> Vec<RegistryAccess> {
    let api = statements(json!([
        {"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": "210987654321"}, "Action": PULL},
        {"Sid": "org", "Effect": "Allow", "Principal": "*", "Action": PULL,
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}},
        {"Sid": "ci", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::123456789012:role/ci"},
         "Action": ["ecr:*"]},
        {"Sid": "tls", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "keep", "Effect": "Deny",
         "Principal": {"AWS": "arn:aws:iam::123456789012:role/ci"},
         "Action": "ecr:DeleteRepository"},
    ]));
    let logs_only = statements(json!([
        {"Sid": "logs", "Effect": "Allow", "Principal": {"AWS": "210987654321"},
         "Action": "logs:CreateLogStream"},
    ]));
    let registry_policy = statements(json!([
        {"Sid": "replicate", "Effect": "Allow", "Principal": {"AWS": "210987654321"},
         "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
         "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/*"},
    ]));
    let template = ecrform_model::CreationTemplate {
        applied_for: vec![ecrform_model::AppliedFor::PullThroughCache],
        description: None,
        image_tag_mutability: None,
        image_tag_mutability_exclusions: Vec::new(),
        encryption: None,
        resource_tags: Default::default(),
        lifecycle_policy: None,
        repository_policy: Some(statements(json!([
            {"Sid": "public", "Effect": "Allow", "Principal": "*", "Action": PULL},
        ]))),
        custom_role_arn: None,
    };
    let mut state = RegistryBuilder::new(registry_id(REGISTRY))
        .repository("team-a/api", with_policy(Some(api)))
        .repository("team-a/logs", with_policy(Some(logs_only)))
        .repository("team-b/batch", with_policy(None))
        .repository("team-b/unread", RepositoryBuilder::new().build())
        .build();
    state.registry_policy = Setting::Present(registry_policy);
    state.creation_templates = Some([("docker-hub".to_owned(), template)].into());
    let other = RegistryBuilder::new(registry_id("210987654321/eu-west-1")).build();
    vec![RegistryAccess::of(&state), RegistryAccess::of(&other)]
}

#[test]
fn text_rendering_of_the_access_matrix() {
    insta::assert_snapshot!(render_access_text(&matrix_registries(), AccessSource::Spec));
}

#[test]
fn markdown_rendering_of_the_access_matrix() {
    insta::assert_snapshot!(render_access_markdown(
        &matrix_registries(),
        AccessSource::Spec
    ));
}

#[test]
fn json_rendering_of_the_access_matrix() {
    insta::assert_snapshot!(render_access_json(&matrix_registries(), AccessSource::Live));
}

#[test]
fn a_policy_not_read_live_is_not_said_to_be_left_out_of_the_spec() {
    let text = render_access_text(&matrix_registries(), AccessSource::Live);
    assert!(text.starts_with("Who can do what under the policies ECR holds.\n"));
    assert!(
        text.contains("  team-b/unread: not known (not read"),
        "{text}"
    );
    assert!(!text.contains("spec"), "{text}");
}

#[test]
fn markdown_cells_show_what_policies_say_as_it_is() {
    let policy = statements(json!([
        {"Sid": "odd", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/a|`b`"},
         "Action": PULL,
         "Condition": {"StringLike": {"aws:SourceArn": ["arn:*:x_*", "<b>|</b>"]}}},
    ]));
    let state = RegistryBuilder::new(registry_id(REGISTRY))
        .repository("team-a/api", with_policy(Some(policy)))
        .build();
    let markdown = render_access_markdown(&[RegistryAccess::of(&state)], AccessSource::Spec);
    let row = markdown
        .lines()
        .find(|line| line.starts_with("| team-a/api |"))
        .unwrap();
    assert_eq!(
        row,
        concat!(
            r"| team-a/api | `` arn:aws:iam::123456789012:role/a\|`b` `` | can pull if ",
            r"aws:SourceArn matches \<b\>\|\</b\> or arn:\*:x\_\* |"
        )
    );
}
