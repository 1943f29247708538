//! The library's own checks (every file listed, vars and placeholders in step, every document
//! valid), and how a spec uses it: named documents and templates with the `builtin/` prefix,
//! and every mistake reported where the spec makes it.

use std::collections::BTreeSet;
use std::path::Path;

use super::*;
use crate::policies::check;
use crate::test_support::{Fixture, assert_first_errors, registry, repository};

#[test]
fn every_file_of_the_policies_directory_is_in_the_library_and_nothing_else() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files = BTreeSet::new();
    for kind in [
        PolicyKind::Lifecycle,
        PolicyKind::Repository,
        PolicyKind::Registry,
    ] {
        for entry in std::fs::read_dir(root.join(kind.directory())).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            files.insert(format!("policies/{}/{name}", kind.directory()));
        }
    }
    let listed: BTreeSet<String> = builtin_policies().iter().map(BuiltinPolicy::path).collect();
    assert_eq!(files, listed);
    for builtin in builtin_policies() {
        let on_disk = std::fs::read_to_string(root.join(&builtin.path()[9..])).unwrap();
        assert_eq!(
            on_disk, builtin.text,
            "{} is embedded from its file",
            builtin.name
        );
    }
}

#[test]
fn the_library_is_listed_by_kind_then_name() {
    let order: Vec<(PolicyKind, &str)> = builtin_policies()
        .iter()
        .map(|builtin| (builtin.kind, builtin.name))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    sorted.dedup_by_key(|(_, name)| *name);
    assert_eq!(order, sorted);
}

#[test]
fn every_var_is_a_placeholder_of_its_document_and_every_placeholder_a_var() {
    for builtin in builtin_policies() {
        let (placeholders, malformed) = template::placeholders(builtin.text);
        assert!(malformed.is_empty(), "{}: {malformed:?}", builtin.name);
        let used: BTreeSet<&str> = placeholders.iter().map(|p| p.name.as_str()).collect();
        let declared: BTreeSet<&str> = builtin.vars.iter().map(|var| var.name).collect();
        assert_eq!(used, declared, "{}", builtin.name);
        for var in builtin.vars {
            assert!(
                serde_json::from_str::<Value>(var.example).is_ok(),
                "{}: the example of {} is not JSON",
                builtin.name,
                var.name
            );
        }
    }
}

#[test]
fn every_document_passes_validation_with_its_example_vars() {
    for builtin in builtin_policies() {
        let value = builtin
            .instantiate(&builtin.example_vars())
            .unwrap_or_else(|error| panic!("{}: {error}", builtin.name));
        if let Err(errors) = check(builtin.kind, value) {
            panic!("{} does not validate: {errors:?}", builtin.name);
        }
    }
}

#[test]
fn instantiating_names_what_is_missing_or_extra() {
    let pull = builtin_policy("builtin/cross-account-pull").unwrap();
    assert_eq!(
        pull.instantiate(&BTreeMap::new()).unwrap_err(),
        "needs var \"accounts\""
    );
    let mut vars = pull.example_vars();
    vars.insert("team".to_owned(), Value::from("a"));
    assert_eq!(
        pull.instantiate(&vars).unwrap_err(),
        "takes no var \"team\""
    );
    assert_eq!(builtin_policy("cross-account-pull"), Some(pull));
    assert_eq!(builtin_policy("builtin/nothing"), None);
}

#[test]
fn a_spec_uses_library_documents_and_templates_by_their_prefix() {
    let fixture = Fixture::new().with(
        "spec.yaml",
        &registry(
            "    registry_policy:\n      template: builtin/allow-replication-from\n      vars: {accounts: [\"111111111111\"], repositories: \"arn:aws:ecr:us-east-1:123456789012:repository/*\"}\n    repositories:\n      team-a/api:\n        lifecycle: builtin/untagged-7d-keep-10\n        policy: {template: builtin/cross-account-pull, vars: {accounts: [\"210987654321\"]}}\n      team-a/web:\n        lifecycle: {template: builtin/keep-semver-releases, vars: {count: 5, prefix: v}}\n",
        ),
    );
    let spec = fixture.load("spec.yaml").unwrap();
    let state = &spec.desired.registries[0].state;
    let api = &state.repositories[&ecrform_model::RepositoryName::parse("team-a/api").unwrap()];
    assert_eq!(
        api.lifecycle_policy.present().unwrap().document()["rules"][1]["selection"]["countNumber"],
        10
    );
    assert_eq!(
        api.repository_policy.present().unwrap().document()["Statement"][0]["Principal"]["AWS"],
        serde_json::json!(["210987654321"])
    );
    let web = &state.repositories[&ecrform_model::RepositoryName::parse("team-a/web").unwrap()];
    assert_eq!(
        web.lifecycle_policy.present().unwrap().document()["rules"][0]["selection"]["tagPatternList"],
        serde_json::json!(["v*.*.*"])
    );
    assert!(state.registry_policy.present().is_some());
    // Built-in documents are not files of the spec.
    assert_eq!(spec.files.len(), 1);
}

#[test]
fn mistakes_with_library_documents_are_located_where_the_spec_makes_them() {
    assert_first_errors(&[
        (
            "an unknown name suggests the nearest",
            repository("        lifecycle: builtin/untagged-7d-keep10\n"),
            "7:20: unknown built-in lifecycle policy \"builtin/untagged-7d-keep10\"; did you mean \
             \"builtin/untagged-7d-keep-10\"? (available: builtin/archive-then-expire, \
             builtin/keep-days, builtin/keep-semver-releases, builtin/untagged-7d-keep-10; \
             `ecrform policies list` describes them)",
        ),
        (
            "a document of another kind",
            repository("        lifecycle: builtin/cross-account-pull\n"),
            "7:20: builtin/cross-account-pull is a built-in repository policy, not a lifecycle policy",
        ),
        (
            "a template used as a document",
            repository("        policy: builtin/cross-account-pull\n"),
            "7:17: builtin/cross-account-pull is a template; write {template: \
             builtin/cross-account-pull, vars: {accounts: [\"210987654321\", \"345678901234\"]}}",
        ),
        (
            "a template without its vars",
            repository("        policy: {template: builtin/org-pull, vars: {}}\n"),
            "7:17: template \"builtin/org-pull\" (built in) needs var \"organization_id\", which \
             vars does not set",
        ),
        (
            "a var the template does not take",
            repository(
                "        policy: {template: builtin/org-pull, vars: {organization_id: o-abc123def4, org: x}}\n",
            ),
            "7:84: var \"org\" is not used by template \"builtin/org-pull\" (built in)",
        ),
        (
            "a var that makes the document invalid",
            repository("        lifecycle: {template: builtin/keep-days, vars: {days: 0}}\n"),
            "7:20: lifecycle policy from template \"builtin/keep-days\" (built in) at \
             /rules/0/selection/countNumber: rule 1: countNumber must be at least 1, not 0",
        ),
        (
            "an unknown template name",
            repository(
                "        policy: {template: builtin/cross-acount-pull, vars: {accounts: []}}\n",
            ),
            "7:28: unknown built-in repository policy template \"builtin/cross-acount-pull\"; did \
             you mean \"builtin/cross-account-pull\"? (available: builtin/ci-push, \
             builtin/cross-account-pull, builtin/lambda-pull, builtin/org-pull; `ecrform \
             policies list` describes them)",
        ),
    ]);
}
