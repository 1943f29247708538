//! End-to-end tests of [`crate::load`] as a whole: every problem of a spec reported in one
//! run and in order, how diagnostics display, and that no input makes loading panic.

use std::path::Path;

use crate::test_support::Fixture;

#[test]
fn a_spec_with_several_independent_errors_reports_all_of_them_in_order() {
    let spec = "\
version: 1
defaults:
  scan_on_pusj: true
registries:
  - account: 123456789012
    region: us-east-1
    repositories:
      Team/api:
        image_tag_mutability: IMMUTABLE
        tags: {\"aws:x\": y}
      team/web:
        encryption: {type: AES256, kms_key: alias/x}
    scanning: {type: BASIC, rules: [{frequency: CONTINUOUS_SCAN, filters: [\"*\"]}]}
  - account: \"210987654321\"
    region: eu-west-1
    replication: {rules: [{destinations: [{region: eu-west-1}]}]}
";
    let fixture = Fixture::new().with("spec.yaml", spec);
    assert_eq!(
        fixture.errors("spec.yaml"),
        [
            "spec.yaml:3:3: unknown key \"scan_on_pusj\"; did you mean \"scan_on_push\"?",
            "spec.yaml:5:14: account 123456789012 is a YAML number; quote it (account: \"123456789012\") so that it stays a 12-digit string",
            "spec.yaml:8:7: repository name \"Team/api\" may only contain lowercase letters, digits and single '.', '_', '-' or '/' separators between them",
            "spec.yaml:10:16: tag key \"aws:x\" starts with \"aws:\", which AWS reserves",
            "spec.yaml:12:36: kms_key only applies to KMS and KMS_DSSE encryption, not AES256",
            "spec.yaml:13:49: CONTINUOUS_SCAN needs scanning type ENHANCED; BASIC scanning supports SCAN_ON_PUSH and MANUAL",
            "spec.yaml:16:43: destination 210987654321/eu-west-1 is this registry itself; replicate to another region or account",
        ]
    );
}

#[test]
fn diagnostics_display_as_file_line_column() {
    let fixture = Fixture::new().with("spec.yaml", "version: 3\n");
    let diagnostics = fixture.load("spec.yaml").unwrap_err();
    let shown = diagnostics.0[0].to_string();
    assert_eq!(
        shown,
        format!(
            "{}:1:10: unsupported spec version 3; this ecrform reads version 1",
            fixture.path("spec.yaml").display()
        )
    );
    assert!(Path::new(&fixture.root).exists());
}

/// Deterministic mutations of a spec that uses every feature and of a policy template:
/// whatever the bytes, loading returns diagnostics or a spec, and never panics.
#[test]
fn mangled_specs_never_panic() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/specs/valid");
    let documents = [
        "every-feature.yaml",
        "policies/lifecycle/standard.json",
        "policies/lifecycle/keep-last.yaml",
        "policies/repository/cross-account-pull.json",
        "policies/registry/allow-replication-from-build.json",
    ];
    let mut fixture = Fixture::new();
    for document in documents {
        fixture = fixture.with(
            document,
            &std::fs::read_to_string(corpus.join(document)).unwrap(),
        );
    }
    let alphabet: Vec<char> = "{}[]:,-?&*!|>'\"#%@ \n\t\\ax1.~_/".chars().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for mangled_document in [
        "every-feature.yaml",
        "policies/repository/cross-account-pull.json",
    ] {
        let original = std::fs::read_to_string(corpus.join(mangled_document)).unwrap();
        let chars: Vec<char> = original.chars().collect();
        for _ in 0..mangled_count() {
            let mut mangled = chars.clone();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() as usize) % (mangled.len() + 1);
                let replacement = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if at < mangled.len() => mangled[at] = replacement,
                    1 => mangled.insert(at, replacement),
                    _ if at < mangled.len() => {
                        mangled.remove(at);
                    }
                    _ => {}
                }
            }
            let path = fixture.path(mangled_document);
            std::fs::write(&path, mangled.iter().collect::<String>()).unwrap();
            if let Err(diagnostics) = fixture.load("every-feature.yaml") {
                assert!(!diagnostics.0.is_empty());
            }
            std::fs::write(&path, &original).unwrap();
        }
    }
}

/// How many mangled variants of each document to try; `ECRFORM_SPEC_MANGLED` raises it for a
/// longer local run.
fn mangled_count() -> usize {
    std::env::var("ECRFORM_SPEC_MANGLED")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(250)
}
