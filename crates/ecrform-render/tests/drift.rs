//! The drift report in its own words, in every format: changed (`live -> spec`), missing and
//! unmanaged objects, what the spec's rules ignore, and the in-sync report.

// An integration test is not `cfg(test)`, so clippy's allow-unwrap-in-tests does not reach it.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use ecrform_model::{
    DesiredState, DriftIgnore, DriftIgnores, NamePattern, RegistryState, ScanType, TagMutability,
};
use ecrform_plan::drift::DriftReport;
use ecrform_render::{
    CommentKey, drift_summary_line, render_drift_json, render_drift_markdown, render_drift_text,
};
use ecrform_testkit::fixtures::{
    ACCOUNT, DesiredBuilder, OTHER_ACCOUNT, RegistryBuilder, RepositoryBuilder,
    expire_untagged_after, pull_policy, registry_in, scanning,
};

const CHECKED_AT: &str = "2026-12-01T07:00:00Z";

fn rules(unmanaged: &[&str], managed: &[(&str, &str)]) -> DriftIgnores {
    DriftIgnores {
        unmanaged: unmanaged
            .iter()
            .map(|raw| NamePattern::parse(raw).unwrap())
            .collect(),
        managed: managed
            .iter()
            .map(|(pattern, reason)| DriftIgnore {
                pattern: NamePattern::parse(pattern).unwrap(),
                reason: (*reason).to_owned(),
            })
            .collect(),
    }
}

/// Two registries: in the first, a mutability changed by hand, a tag added and one removed,
/// a repository policy edited, a lifecycle policy deleted, a repository never created, and
/// two unmanaged repositories; in the second, scanning changed and a pruned repository.
fn spec_and_live(drift: [DriftIgnores; 2]) -> (DesiredState, [RegistryState; 2]) {
    let [first, second] = drift;
    let spec = DesiredBuilder::new()
        .registry(
            RegistryBuilder::new(registry_in(ACCOUNT))
                .repository(
                    "team-a/api",
                    RepositoryBuilder::new()
                        .mutability(TagMutability::Immutable)
                        .no_exclusions()
                        .tags([("team", "a"), ("env", "prod")])
                        .lifecycle_policy(expire_untagged_after(7))
                        .repository_policy(pull_policy("210987654321")),
                )
                .repository("team-a/web", RepositoryBuilder::new().tags([("team", "a")]))
                .repository(
                    "team-b/batch",
                    RepositoryBuilder::new().lifecycle_policy(expire_untagged_after(3)),
                ),
        )
        .drift(first)
        .registry(
            RegistryBuilder::new(registry_in(OTHER_ACCOUNT))
                .scanning(scanning(ScanType::Enhanced, &[]))
                .repository(
                    "team-c/jobs",
                    RepositoryBuilder::new().mutability(TagMutability::Immutable),
                ),
        )
        .prune(true)
        .drift(second)
        .build();
    let live = [
        RegistryBuilder::new(registry_in(ACCOUNT))
            .repository(
                "team-a/api",
                RepositoryBuilder::new()
                    .mutability(TagMutability::Mutable)
                    .no_exclusions()
                    .tags([
                        ("team", "a"),
                        ("hotfix", "yes"),
                        ("ecrform:managed", "true"),
                    ])
                    .lifecycle_policy(expire_untagged_after(7))
                    .repository_policy(pull_policy("345678901234")),
            )
            .repository(
                "team-b/batch",
                RepositoryBuilder::new().no_lifecycle_policy().owned(),
            )
            .repository("scratch/tmp-1", RepositoryBuilder::new())
            .repository("legacy/thing", RepositoryBuilder::new())
            .build(),
        RegistryBuilder::new(registry_in(OTHER_ACCOUNT))
            .scanning(scanning(ScanType::Basic, &[]))
            .repository(
                "team-c/jobs",
                RepositoryBuilder::new()
                    .mutability(TagMutability::Immutable)
                    .owned(),
            )
            .repository("team-c/old", RepositoryBuilder::new().owned())
            .build(),
    ];
    (spec, live)
}

fn report(drift: [DriftIgnores; 2]) -> DriftReport {
    let (spec, live) = spec_and_live(drift);
    let plan = ecrform_plan::plan(&spec, &live);
    DriftReport::new(plan, &spec, &live, CHECKED_AT.to_owned())
}

fn no_rules() -> [DriftIgnores; 2] {
    [DriftIgnores::default(), DriftIgnores::default()]
}

fn with_rules() -> [DriftIgnores; 2] {
    [
        rules(
            &["scratch/*"],
            &[(
                "repository/team-a/*",
                "team-a tags by hand until INFRA-1234",
            )],
        ),
        rules(&["team-c/old"], &[]),
    ]
}

#[test]
fn drift_text_names_changed_missing_and_unmanaged_objects() {
    insta::assert_snapshot!(render_drift_text(&report(no_rules()), false));
}

#[test]
fn drift_markdown_is_an_issue_body_with_a_title_line_and_registries() {
    let key = CommentKey::parse("ecr.yaml").unwrap();
    insta::assert_snapshot!(render_drift_markdown(&report(no_rules()), Some(&key)));
}

#[test]
fn ignored_drift_is_counted_and_listed_with_its_rule_in_text_and_markdown() {
    let report = report(with_rules());
    insta::assert_snapshot!("ignored_text", render_drift_text(&report, false));
    insta::assert_snapshot!("ignored_markdown", render_drift_markdown(&report, None));
}

#[test]
fn the_summary_line_uses_the_drift_vocabulary() {
    let report = report(no_rules());
    assert_eq!(
        drift_summary_line(&report),
        format!(
            "Drift: 3 changed, 2 missing, 3 unmanaged (checked {} objects in 2 registries at \
             2026-12-01T07:00:00Z)",
            report.checked.objects
        )
    );
    // Three repositories with three managed policies, one more repository and scanning, and
    // the unmanaged repositories.
    assert_eq!(report.checked.objects, 3 + 3 + 1 + 1 + 2);
}

#[test]
fn a_registry_in_sync_says_so_and_still_lists_what_it_ignores() {
    let (spec, _) = spec_and_live(with_rules());
    let live = [
        RegistryBuilder::new(registry_in(ACCOUNT))
            .repository("scratch/tmp-1", RepositoryBuilder::new())
            .build(),
        RegistryBuilder::new(registry_in(OTHER_ACCOUNT)).build(),
    ];
    // Live is exactly the spec but for an ignored unmanaged repository.
    let mut live = live;
    for (desired, live) in spec.registries.iter().zip(live.iter_mut()) {
        let scratch = live.repositories.clone();
        *live = desired.state.clone();
        live.repositories.extend(scratch);
    }
    let plan = ecrform_plan::plan(&spec, &live);
    let report = DriftReport::new(plan, &spec, &live, CHECKED_AT.to_owned());
    assert!(report.in_sync, "{report:?}");
    insta::assert_snapshot!("in_sync_text", render_drift_text(&report, false));
    insta::assert_snapshot!("in_sync_markdown", render_drift_markdown(&report, None));
}

#[test]
fn drift_json_has_its_own_shape_and_keeps_the_plan_under_a_key() {
    let report = report(with_rules());
    let json: serde_json::Value = serde_json::from_str(&render_drift_json(&report)).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "changed",
            "checked",
            "checked_at",
            "format_version",
            "ignored",
            "in_sync",
            "missing",
            "plan",
            "summary",
            "unmanaged"
        ]
    );
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["in_sync"], false);
    assert_eq!(json["checked_at"], CHECKED_AT);
    assert_eq!(
        json["summary"],
        json!({"changed": 2, "missing": 1, "unmanaged": 2, "ignored": 3})
    );
    let scanning = json["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|changed| changed["address"] == "210987654321/us-east-1/scanning")
        .unwrap();
    assert_eq!(scanning["live"]["type"], "BASIC");
    assert_eq!(scanning["spec"]["type"], "ENHANCED");
    // team-c/old matches `ignore_unmanaged`, but apply would prune it: a delete is never set
    // aside.
    assert_eq!(
        json["unmanaged"],
        json!([
            {"address": "210987654321/us-east-1/repository/team-c/old", "pruned_by_apply": true},
            {"address": "123456789012/us-east-1/repository/legacy/thing"}
        ])
    );
    assert!(json["ignored"].as_array().unwrap().contains(&json!({
        "address": "123456789012/us-east-1/repository/team-a/api",
        "drift": "changed",
        "rule": "drift_ignore",
        "pattern": "repository/team-a/*",
        "reason": "team-a tags by hand until INFRA-1234"
    })));
    assert!(
        !json["ignored"]
            .as_array()
            .unwrap()
            .iter()
            .any(|ignored| ignored["address"] == "210987654321/us-east-1/repository/team-c/old")
    );
    // The plan shape is there whole for tools that read it.
    assert_eq!(json["plan"]["format_version"], 1);
    assert_eq!(
        json["plan"]["changes"].as_array().unwrap().len(),
        report.plan.changes.len()
    );
    // It reads back as the same report (but for the plan's calls, which the JSON never has,
    // and each policy change's access delta, which planning computes and reading skips).
    let round_trip: DriftReport = serde_json::from_value(json.clone()).unwrap();
    let mut without_access = json.clone();
    for change in without_access["plan"]["changes"].as_array_mut().unwrap() {
        change.as_object_mut().unwrap().remove("access");
    }
    assert_ne!(
        without_access, json,
        "a policy change carries its access delta"
    );
    assert_eq!(serde_json::to_value(&round_trip).unwrap(), without_access);
}

#[test]
fn unmanaged_objects_alone_are_drift_and_another_specs_repositories_are_not() {
    let spec = DesiredBuilder::new()
        .registry(RegistryBuilder::new(registry_in(ACCOUNT)))
        .owner("platform")
        .build();
    let live = [RegistryBuilder::new(registry_in(ACCOUNT))
        .repository("legacy/thing", RepositoryBuilder::new())
        .repository("team-b/api", RepositoryBuilder::new().owned_by("team-b"))
        .build()];
    let plan = ecrform_plan::plan(&spec, &live);
    assert_eq!(plan.owned_elsewhere.len(), 1, "{plan:?}");
    let report = DriftReport::new(plan, &spec, &live, CHECKED_AT.to_owned());
    assert!(!report.in_sync);
    assert_eq!(
        (
            report.summary.changed,
            report.summary.missing,
            report.summary.unmanaged
        ),
        (0, 0, 1)
    );
    let text = render_drift_text(&report, false);
    assert!(
        text.starts_with(
            "Drift: 0 changed, 0 missing, 1 unmanaged (checked 1 object in 1 registry at "
        ),
        "{text}"
    );
    assert!(!text.contains("team-b/api"), "{text}");
}
