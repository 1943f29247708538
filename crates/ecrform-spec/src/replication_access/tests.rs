//! Tests of cross-account replication access: what a registry policy means for replication
//! from one account, and end to end, the checks of every pair of registries in a spec.

use serde_json::json;

use super::*;
use crate::test_support::Fixture;

fn policy(statements: serde_json::Value) -> Setting<IamPolicy> {
    Setting::Present(
        IamPolicy::from_value(json!({"Version": "2012-10-17", "Statement": statements})).unwrap(),
    )
}

#[test]
fn access_names_the_actions_that_are_refused_denied_or_conditional() {
    let source = AccountId::parse("123456789012").unwrap();
    let both = json!(["ecr:CreateRepository", "ecr:ReplicateImage"]);
    let root = json!({"AWS": "arn:aws:iam::123456789012:root"});
    let cases = [
        ("unmanaged", Setting::Unmanaged, ReplicationAccess::Unknown),
        ("none", Setting::Absent, ReplicationAccess::NoPolicy),
        (
            "both allowed",
            policy(json!([{"Effect": "Allow", "Principal": root, "Action": both}])),
            ReplicationAccess::Allowed,
        ),
        (
            "one action missing",
            policy(
                json!([{"Effect": "Allow", "Principal": root, "Action": "ecr:CreateRepository"}]),
            ),
            ReplicationAccess::Incomplete {
                refused: vec!["ecr:ReplicateImage"],
                denied: vec![],
                conditional: vec![],
            },
        ),
        (
            "one denied",
            policy(json!([
                {"Effect": "Allow", "Principal": "*", "Action": "ecr:*"},
                {"Effect": "Deny", "Principal": "*", "Action": "ecr:CreateRepository"},
            ])),
            ReplicationAccess::Incomplete {
                refused: vec!["ecr:CreateRepository"],
                denied: vec!["ecr:CreateRepository"],
                conditional: vec![],
            },
        ),
        (
            "conditional",
            policy(
                json!([{"Effect": "Allow", "Principal": root, "Action": both,
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}]),
            ),
            ReplicationAccess::Incomplete {
                refused: vec![],
                denied: vec![],
                conditional: vec!["ecr:CreateRepository", "ecr:ReplicateImage"],
            },
        ),
    ];
    for (case, setting, expected) in cases {
        assert_eq!(replication_access(&source, &setting), expected, "{case}");
    }
}

#[test]
fn lists_read_as_a_sentence() {
    assert_eq!(and_list(&[]), "");
    assert_eq!(and_list(&["a"]), "a");
    assert_eq!(and_list(&["a", "b"]), "a and b");
    assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
}

/// Registry 123456789012/us-east-1 replicating to `destinations` (a flow list on line 8,
/// its first entry at column 29), then registry 210987654321/eu-west-1 with `body` (indented
/// four spaces) from line 11.
fn replicating_to(destinations: &str, body: &str) -> String {
    format!(
        "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    replication:\n      rules:\n        - repository_filters: [team-a/]\n          destinations: {destinations}\n  - account: \"210987654321\"\n    region: eu-west-1\n{body}"
    )
}

/// Errors, then warnings, each as `FILE:LINE:COLUMN: message`.
type ErrorsAndWarnings = (Vec<String>, Vec<String>);

/// The errors and warnings of a load.
fn problems(fixture: &Fixture, relative: &str) -> ErrorsAndWarnings {
    match fixture.load(relative) {
        Ok(spec) => (
            Vec::new(),
            spec.warnings.iter().map(|w| fixture.show(w)).collect(),
        ),
        Err(diagnostics) => (
            diagnostics.0.iter().map(|d| fixture.show(d)).collect(),
            Vec::new(),
        ),
    }
}

#[test]
fn cross_account_replication_needs_the_destination_policy_to_let_the_source_in() {
    const TO_EU: &str = "[{region: eu-west-1, account: \"210987654321\"}]";
    const SEE: &str = "(see spec.yaml:11:22)";
    let policy = |statement: &str| {
        format!("    registry_policy: {{Version: \"2012-10-17\", Statement: [{statement}]}}\n")
    };
    let error = |message: &str| (vec![format!("spec.yaml:8:26: {message}")], Vec::new());
    let warning = |message: &str| (Vec::new(), vec![format!("spec.yaml:8:26: {message}")]);
    let clean = (Vec::new(), Vec::new());
    let cases: Vec<(&str, String, String, ErrorsAndWarnings)> = vec![
        (
            "both actions allowed to the root",
            TO_EU.into(),
            policy("{Effect: Allow, Principal: {AWS: \"arn:aws:iam::123456789012:root\"}, Action: [ecr:CreateRepository, ecr:ReplicateImage], Resource: \"arn:aws:ecr:eu-west-1:210987654321:repository/*\"}"),
            clean.clone(),
        ),
        (
            "both actions allowed by a wildcard to the bare id",
            TO_EU.into(),
            policy("{Effect: Allow, Principal: {AWS: \"123456789012\"}, Action: \"ecr:*\"}"),
            clean.clone(),
        ),
        (
            "one action missing",
            TO_EU.into(),
            policy("{Effect: Allow, Principal: {AWS: \"123456789012\"}, Action: ecr:CreateRepository}"),
            error(&format!("replication to 210987654321/eu-west-1 needs that registry's registry_policy to allow account 123456789012 ecr:ReplicateImage {SEE}")),
        ),
        (
            "another account allowed",
            TO_EU.into(),
            policy("{Effect: Allow, Principal: {AWS: \"111122223333\"}, Action: [ecr:CreateRepository, ecr:ReplicateImage]}"),
            error(&format!("replication to 210987654321/eu-west-1 needs that registry's registry_policy to allow account 123456789012 ecr:CreateRepository and ecr:ReplicateImage {SEE}")),
        ),
        (
            "a role of the source account allowed",
            TO_EU.into(),
            policy("{Effect: Allow, Principal: {AWS: \"arn:aws:iam::123456789012:role/replication\"}, Action: [ecr:CreateRepository, ecr:ReplicateImage]}"),
            error(&format!("replication to 210987654321/eu-west-1 needs that registry's registry_policy to allow account 123456789012 ecr:CreateRepository and ecr:ReplicateImage {SEE}")),
        ),
        (
            "a deny over the allow",
            TO_EU.into(),
            policy("{Effect: Allow, Principal: \"*\", Action: \"ecr:*\"}, {Effect: Deny, Principal: \"*\", Action: ecr:ReplicateImage}"),
            error(&format!("replication to 210987654321/eu-west-1 needs that registry's registry_policy to allow account 123456789012 ecr:ReplicateImage; a Deny statement there refuses ecr:ReplicateImage {SEE}")),
        ),
        (
            "registry_policy none",
            TO_EU.into(),
            "    registry_policy: none\n".into(),
            error(&format!("replication to 210987654321/eu-west-1 needs a registry policy there allowing account 123456789012 ecr:CreateRepository and ecr:ReplicateImage, but its registry_policy is none {SEE}")),
        ),
        (
            "registry_policy left out",
            TO_EU.into(),
            "    repositories: {}\n".into(),
            warning("replication to 210987654321/eu-west-1 cannot be checked: that registry's registry_policy is not managed here, and it must allow account 123456789012 ecr:CreateRepository and ecr:ReplicateImage"),
        ),
        (
            "allowed only under a condition",
            TO_EU.into(),
            policy("{Effect: Allow, Principal: \"*\", Action: \"ecr:*\", Condition: {StringEquals: {\"aws:PrincipalOrgID\": o-abc}}}"),
            warning(&format!("replication to 210987654321/eu-west-1 cannot be fully checked: whether that registry's registry_policy allows account 123456789012 ecr:CreateRepository and ecr:ReplicateImage depends on a Condition {SEE}")),
        ),
        (
            "a destination registry the spec does not hold",
            "[{region: us-west-2, account: \"210987654321\"}]".into(),
            "    registry_policy: none\n".into(),
            clean.clone(),
        ),
        (
            "the same account in another region needs no registry policy",
            "[{region: eu-west-1}]".into(),
            "    registry_policy: none\n".into(),
            clean.clone(),
        ),
        (
            "a destination named twice is reported once, at its first entry",
            format!("[{{region: eu-west-1}}, {{account: \"210987654321\", region: eu-west-1}}]\n        - destinations: {TO_EU}"),
            "    registry_policy: none\n".into(),
            (vec!["spec.yaml:8:47: replication to 210987654321/eu-west-1 needs a registry policy there allowing account 123456789012 ecr:CreateRepository and ecr:ReplicateImage, but its registry_policy is none (see spec.yaml:12:22)".to_owned()], Vec::new()),
        ),
    ];
    let mut failures = Vec::new();
    for (case, destinations, body, expected) in cases {
        let fixture = Fixture::new().with("spec.yaml", &replicating_to(&destinations, &body));
        let found = problems(&fixture, "spec.yaml");
        if found != expected {
            failures.push(format!(
                "{case}:\n  expected: {expected:#?}\n  found:    {found:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cross_account_replication_is_checked_across_files_and_named_policies() {
    let fixture = Fixture::new()
        .with(
            "specs/build.yaml",
            "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    replication:\n      rules:\n        - destinations:\n            - {region: eu-west-1, account: \"210987654321\"}\n",
        )
        .with(
            "specs/prod.yaml",
            "version: 1\nregistries:\n  - account: \"210987654321\"\n    region: eu-west-1\n    registry_policy: {template: from-account, vars: {account: \"111122223333\"}}\n",
        )
        .with(
            "specs/policies/registry/from-account.json",
            r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{{ account }}:root"}, "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"]}]}"#,
        );
    assert_eq!(
        problems(&fixture, "specs").0,
        [
            "specs/build.yaml:8:15: replication to 210987654321/eu-west-1 needs that registry's registry_policy to allow account 123456789012 ecr:CreateRepository and ecr:ReplicateImage (see prod.yaml:5:22)"
        ]
    );
}

#[test]
fn cross_account_replication_is_not_checked_against_a_policy_that_did_not_load() {
    let fixture = Fixture::new().with(
        "spec.yaml",
        &replicating_to(
            "[{region: eu-west-1, account: \"210987654321\"}]",
            "    registry_policy: missing-policy\n",
        ),
    );
    let (errors, _) = problems(&fixture, "spec.yaml");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].starts_with("spec.yaml:11:22: "), "{errors:#?}");
}
