//! End-to-end tests of a registry's own keys and of combining its entries: `role_arn` and
//! `profile` checked, each registry-level key set once, each repository defined once, and what
//! ENHANCED scanning means for `scan_on_push`.

use crate::test_support::{Fixture, assert_first_errors, registry};

#[test]
fn registry_level_settings_are_checked() {
    let cases = [
        (
            "role_arn of a user",
            registry("    role_arn: arn:aws:iam::123456789012:user/bob\n"),
            "5:15: role_arn \"arn:aws:iam::123456789012:user/bob\" is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
        ),
        ("empty profile", registry("    profile: \"\"\n"), "5:14: profile must not be empty"),
        (
            "a registry key set twice in one file",
            "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    prune: true\n  - account: \"123456789012\"\n    region: us-east-1\n    prune: false\n".to_owned(),
            "8:5: registry 123456789012/us-east-1 sets \"prune\" twice; also defined at spec.yaml:5:5",
        ),
        (
            "a repository in two entries of one registry",
            "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    repositories: {app: }\n  - account: \"123456789012\"\n    region: us-east-1\n    repositories: {app: }\n".to_owned(),
            "8:20: repository \"app\" of registry 123456789012/us-east-1 is defined twice; also defined at spec.yaml:5:20",
        ),
    ];
    assert_first_errors(&cases);
}

#[test]
fn scan_on_push_under_enhanced_scanning_is_a_warning() {
    let fixture = Fixture::new().with(
        "spec.yaml",
        "version: 1\ndefaults:\n  scan_on_push: true\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    scanning: {type: ENHANCED, rules: [{frequency: SCAN_ON_PUSH, filters: [\"*\"]}]}\n    repositories:\n      app:\n        scan_on_push: false\n      web:\n  - account: \"123456789012\"\n    region: eu-west-1\n    repositories: {other: }\n",
    );
    let spec = fixture.load("spec.yaml").unwrap();
    let warnings: Vec<String> = spec.warnings.iter().map(|w| fixture.show(w)).collect();
    assert_eq!(
        warnings,
        [
            "spec.yaml:3:3: scan_on_push in defaults has no effect in registry 123456789012/us-east-1: its scanning type is ENHANCED, so its scanning rules decide what is scanned",
            "spec.yaml:10:9: scan_on_push has no effect in registry 123456789012/us-east-1: its scanning type is ENHANCED, so its scanning rules decide what is scanned",
        ]
    );
}

#[test]
fn prune_is_a_flag_or_a_mapping_that_may_force_deletes() {
    let cases = [
        ("    prune: true\n", (true, false)),
        ("    prune: false\n", (false, false)),
        ("    prune: {force_delete: true}\n", (true, true)),
        (
            "    prune: {enabled: true, force_delete: false}\n",
            (true, false),
        ),
        ("    prune: {enabled: false}\n", (false, false)),
        ("", (false, false)),
    ];
    for (body, expected) in cases {
        let fixture = Fixture::new().with("spec.yaml", &registry(body));
        let spec = fixture.load("spec.yaml").unwrap();
        let registry = &spec.desired.registries[0];
        assert_eq!(
            (registry.prune, registry.prune_force_delete),
            expected,
            "{body}"
        );
    }
}
