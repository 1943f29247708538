//! Snapshot tests of the access lines of policy changes, in the plan the planner makes from
//! desired and live states: what each change adds (`+`, or `!` for a grant to anyone) and
//! removes (`-`), above its diff, and the one line of a change that leaves access as it was.

// An integration test is not `cfg(test)`, so clippy's allow-unwrap-in-tests does not reach it.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use ecrform_model::{IamPolicy, Setting};
use ecrform_plan::Plan;
use ecrform_render::{TextOptions, access_lines, render_json, render_markdown, render_text};
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
    insta::assert_snapshot!(render_text(
        &access_plan(),
        &TextOptions {
            color: false,
            ..TextOptions::default()
        }
    ));
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
    let text = render_text(
        &access_plan(),
        &TextOptions {
            color: true,
            ..TextOptions::default()
        },
    );
    assert!(text.contains("\x1b[33m      ! * (anyone in o-abc123) can pull\x1b[0m"));
    assert!(text.contains("\x1b[32m      + 345678901234 (account) can pull"));
    assert!(text.contains("\x1b[31m      - arn:aws:iam::123456789012:role/ci can push\x1b[0m"));
}
