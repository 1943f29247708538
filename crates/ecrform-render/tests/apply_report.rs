//! Snapshot tests of the apply report's three renderings (text, Markdown, JSON) for one
//! hand-built report with every outcome: changes applied, failed with ECR's own error, and
//! skipped because the repository they belong to was not created. Plus the empty report.

// An integration test is not `cfg(test)`, so clippy's allow-unwrap-in-tests does not reach it.
#![allow(clippy::unwrap_used)]

use ecrform_apply::{ApplyReport, ChangeOutcome, ChangeResult};
use ecrform_model::{Address, Operation};
use ecrform_plan::Action;
use ecrform_render::{render_apply_json, render_apply_markdown, render_apply_text};
use ecrform_testkit::ecr_error;
use ecrform_testkit::fixtures::{REGISTRY, address, name, registry_id};

fn result(action: Action, kind_and_name: &str, outcome: ChangeOutcome) -> ChangeResult {
    ChangeResult {
        address: Address::parse(&address(REGISTRY, kind_and_name)).unwrap(),
        action,
        outcome,
    }
}

/// In plan order: `api` created; `web`'s create throttled, so its lifecycle policy is
/// skipped; `worker` replaced with its policy; `old` not pruned because it holds images.
fn representative_report() -> ApplyReport {
    ApplyReport {
        results: vec![
            result(Action::Create, "repository/api", ChangeOutcome::Applied),
            result(
                Action::Create,
                "repository/web",
                ChangeOutcome::Failed {
                    operation: Operation::CreateRepository,
                    error: ecr_error::throttled(),
                },
            ),
            result(
                Action::Create,
                "lifecycle_policy/web",
                ChangeOutcome::Skipped {
                    reason: format!("{} was not applied", address(REGISTRY, "repository/web")),
                },
            ),
            result(Action::Replace, "repository/worker", ChangeOutcome::Applied),
            result(
                Action::Create,
                "repository_policy/worker",
                ChangeOutcome::Applied,
            ),
            result(
                Action::Delete,
                "repository/old",
                ChangeOutcome::Failed {
                    operation: Operation::DeleteRepository,
                    error: ecr_error::repository_not_empty(&registry_id(REGISTRY), &name("old")),
                },
            ),
        ],
        writes: 6,
    }
}

#[test]
fn every_change_is_listed_with_its_outcome_and_the_writes_are_counted() {
    let report = representative_report();
    let text = render_apply_text(&report);
    assert_eq!(
        text.lines().last(),
        Some("Apply: 3 applied, 2 failed, 1 skipped; 6 API writes.")
    );
    let markdown = render_apply_markdown(&report);
    assert!(markdown.contains("| failed | create `123456789012/us-east-1/repository/web` | CreateRepository: ThrottlingException: Rate exceeded |"), "{markdown}");
    let json: serde_json::Value = serde_json::from_str(&render_apply_json(&report)).unwrap();
    assert_eq!(json["writes"], 6);
    assert_eq!(json["results"][1]["status"], "failed");
    assert_eq!(json["results"][1]["error"]["code"], "ThrottlingException");
    assert_eq!(json["results"][2]["status"], "skipped");
}

#[test]
fn text_rendering_of_a_representative_apply_report() {
    insta::assert_snapshot!(render_apply_text(&representative_report()));
}

#[test]
fn markdown_rendering_of_a_representative_apply_report() {
    insta::assert_snapshot!(render_apply_markdown(&representative_report()));
}

#[test]
fn json_rendering_of_a_representative_apply_report() {
    insta::assert_snapshot!(render_apply_json(&representative_report()));
}

#[test]
fn an_empty_apply_says_so_and_counts_no_writes() {
    let report = ApplyReport {
        results: Vec::new(),
        writes: 0,
    };
    assert_eq!(
        render_apply_text(&report),
        "No changes. Live state matches the spec; 0 API writes.\n"
    );
    assert_eq!(
        render_apply_markdown(&report),
        "## ecrform apply\n\nNo changes. Live state matches the spec; 0 API writes.\n"
    );
}
