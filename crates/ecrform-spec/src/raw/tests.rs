//! End-to-end tests of the raw layer: problems of shape (unknown and missing keys, wrong
//! types, YAML the spec refuses) at their node, and empty lists written as nothing.

use crate::test_support::{Fixture, assert_first_errors, registry, repository};

#[test]
fn shape_problems_are_reported_at_their_node() {
    let cases = [
        (
            "empty file",
            String::new(),
            "1:1: the spec file is empty; it needs at least \"version: 1\"",
        ),
        (
            "root is a list",
            "- a\n".to_owned(),
            "1:1: expected a mapping with version, defaults and registries, found a sequence",
        ),
        (
            "missing version",
            "registries: []\n".to_owned(),
            "1:1: missing \"version: 1\" (the spec format version)",
        ),
        (
            "version 2",
            "version: 2\n".to_owned(),
            "1:10: unsupported spec version 2; this ecrform reads version 1",
        ),
        (
            "quoted version",
            "version: \"1\"\n".to_owned(),
            "1:10: expected version 1, found the string \"1\"",
        ),
        (
            "unknown key with suggestion",
            "version: 1\ndefault: {}\n".to_owned(),
            "2:1: unknown key \"default\"; did you mean \"defaults\"?",
        ),
        (
            "unknown key without suggestion",
            "version: 1\nteam: me\n".to_owned(),
            "2:1: unknown key \"team\"; expected one of: version, owner, defaults, guardrails, registries",
        ),
        (
            "registries is a mapping",
            "version: 1\nregistries: {a: 1}\n".to_owned(),
            "2:13: expected a list of registries, found a mapping",
        ),
        (
            "registry is a string",
            "version: 1\nregistries:\n  - prod\n".to_owned(),
            "3:5: expected a registry (a mapping with account, region and repositories), found the string \"prod\"",
        ),
        (
            "missing account",
            "version: 1\nregistries:\n  - region: us-east-1\n".to_owned(),
            "3:5: missing \"account\" in this registry",
        ),
        (
            "missing region",
            "version: 1\nregistries:\n  - account: \"123456789012\"\n".to_owned(),
            "3:5: missing \"region\" in this registry",
        ),
        (
            "unquoted account",
            "version: 1\nregistries:\n  - account: 123456789012\n    region: us-east-1\n"
                .to_owned(),
            "3:14: account 123456789012 is a YAML number; quote it (account: \"123456789012\") so that it stays a 12-digit string",
        ),
        (
            "short account",
            "version: 1\nregistries:\n  - account: \"12345\"\n    region: us-east-1\n".to_owned(),
            "3:14: account id \"12345\" must be exactly 12 digits (quote it in YAML so leading zeros survive)",
        ),
        (
            "bad region",
            "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: US-EAST-1\n"
                .to_owned(),
            "4:13: region \"US-EAST-1\" is not a valid AWS region name (like us-east-1)",
        ),
        (
            "prune is a string",
            registry("    prune: yes\n"),
            "5:12: expected true, false or a mapping {enabled, force_delete}, found the string \"yes\"",
        ),
        (
            "repositories is a list",
            registry("    repositories: [team-a/api]\n"),
            "5:19: expected a mapping of repository name to settings, found a sequence",
        ),
        (
            "repository settings are a string",
            registry("    repositories:\n      team-a/api: IMMUTABLE\n"),
            "6:19: expected repository settings (a mapping) or nothing, found the string \"IMMUTABLE\"",
        ),
        (
            "unknown repository key",
            repository("        scan_onpush: true\n"),
            "7:9: unknown key \"scan_onpush\"; did you mean \"scan_on_push\"?",
        ),
        (
            "scan_on_push is a string",
            repository("        scan_on_push: \"true\"\n"),
            "7:23: expected true or false, found the string \"true\"",
        ),
        (
            "force_delete in defaults",
            "version: 1\ndefaults:\n  force_delete: true\n".to_owned(),
            "3:3: force_delete cannot go in defaults; set it on each repository that may be deleted while it holds images",
        ),
        (
            "tags are a list",
            repository("        tags: [a, b]\n"),
            "7:15: expected a mapping of tag key to value, found a sequence",
        ),
        (
            "tag without value",
            repository("        tags: {team: }\n"),
            "7:16: tag \"team\" has no value; write \"\" for an empty value",
        ),
        (
            "encryption without type",
            repository("        encryption: {kms_key: alias/x}\n"),
            "7:21: missing \"type\" in encryption",
        ),
        (
            "policy is a list",
            repository("        policy: [a]\n"),
            "7:17: expected a policy name, an inline document (a mapping) or {template, vars}, found a sequence",
        ),
        (
            "duplicate key",
            repository("        scan_on_push: true\n        scan_on_push: false\n"),
            "8:9: duplicate key \"scan_on_push\" (first defined at line 7, column 9)",
        ),
        (
            "yaml syntax error",
            repository("        tags: {team: a\n"),
            "8:1: invalid YAML: while parsing a flow mapping, did not find expected ',' or '}'",
        ),
        (
            "yaml tag",
            repository("        scan_on_push: !!bool true\n"),
            "7:30: YAML tags (!!bool) are not supported; quote the value to make it a string",
        ),
        (
            "two documents",
            "version: 1\n---\nversion: 1\n".to_owned(),
            "2:1: a spec file holds one YAML document; remove the second `---` document",
        ),
    ];
    assert_first_errors(&cases);
}

#[test]
fn empty_registries_and_repositories_are_empty_lists() {
    let fixture = Fixture::new()
        .with("a.yaml", "version: 1\nregistries:\n")
        .with("b.yaml", &registry("    repositories:\n"));
    assert!(
        fixture
            .load("a.yaml")
            .unwrap()
            .desired
            .registries
            .is_empty()
    );
    let spec = fixture.load("b.yaml").unwrap();
    assert!(spec.desired.registries[0].state.repositories.is_empty());
}
