//! End-to-end tests of repository settings: each setting checked against what ECR accepts,
//! and `defaults` merged under every repository with its problems reported once.

use ecrform_model::{EncryptionType, Setting, TagMutability};

use crate::test_support::{Fixture, assert_first_errors, registry, repository};

#[test]
fn repository_settings_are_checked_against_what_ecr_accepts() {
    let fifty_tags: String = (0..50).map(|i| format!("          k{i:02}: v\n")).collect();
    let cases = [
        (
            "unknown mutability",
            repository("        image_tag_mutability: IMUTABLE\n"),
            "7:31: unknown image_tag_mutability \"IMUTABLE\"; did you mean \"IMMUTABLE\"? (expected one of MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION)",
        ),
        (
            "mutability none",
            repository("        image_tag_mutability: ~\n"),
            "7:31: image_tag_mutability cannot be none: every repository has a tag mutability; leave the key out to leave it unmanaged",
        ),
        (
            "exclusions none",
            repository(
                "        image_tag_mutability: IMMUTABLE\n        image_tag_mutability_exclusions: none\n",
            ),
            "8:42: image_tag_mutability_exclusions cannot be none: leave the key out when the mode takes no exclusions; leave the key out to leave it unmanaged",
        ),
        (
            "mode needs exclusions",
            repository("        image_tag_mutability: MUTABLE_WITH_EXCLUSION\n"),
            "7:9: image_tag_mutability MUTABLE_WITH_EXCLUSION needs image_tag_mutability_exclusions (1 to 5 tag filters)",
        ),
        (
            "exclusions with a plain mode",
            repository(
                "        image_tag_mutability: MUTABLE\n        image_tag_mutability_exclusions: [latest]\n",
            ),
            "8:9: image_tag_mutability_exclusions only applies when image_tag_mutability ends in _WITH_EXCLUSION, and here it is MUTABLE",
        ),
        (
            "no exclusions",
            repository(
                "        image_tag_mutability: IMMUTABLE_WITH_EXCLUSION\n        image_tag_mutability_exclusions: []\n",
            ),
            "8:42: image_tag_mutability_exclusions needs 1 to 5 filters, found 0",
        ),
        (
            "six exclusions",
            repository(
                "        image_tag_mutability: IMMUTABLE_WITH_EXCLUSION\n        image_tag_mutability_exclusions: [a, b, c, d, e, f]\n",
            ),
            "8:42: image_tag_mutability_exclusions needs 1 to 5 filters, found 6",
        ),
        (
            "bad exclusion",
            repository(
                "        image_tag_mutability: IMMUTABLE_WITH_EXCLUSION\n        image_tag_mutability_exclusions: [\"a b\"]\n",
            ),
            "8:43: exclusion filter \"a b\" must be 1 to 128 letters, digits, '.', '_', '-' or '*'",
        ),
        (
            "duplicate exclusion",
            repository(
                "        image_tag_mutability: IMMUTABLE_WITH_EXCLUSION\n        image_tag_mutability_exclusions: [dev, dev]\n",
            ),
            "8:48: duplicate exclusion filter \"dev\"",
        ),
        (
            "exclusions without any mode",
            repository("        image_tag_mutability_exclusions: [latest]\n"),
            "7:9: image_tag_mutability_exclusions needs image_tag_mutability (ending in _WITH_EXCLUSION) here or in defaults",
        ),
        (
            "scan_on_push none",
            repository("        scan_on_push: none\n"),
            "7:23: scan_on_push cannot be none: write true or false; leave the key out to leave it unmanaged",
        ),
        (
            "encryption none",
            repository("        encryption: null\n"),
            "7:21: encryption cannot be none: every repository is encrypted (AES256 by default); leave the key out to leave it unmanaged",
        ),
        (
            "unknown encryption type",
            repository("        encryption: {type: KMS_DSE}\n"),
            "7:28: unknown encryption type \"KMS_DSE\"; did you mean \"KMS_DSSE\"? (expected one of AES256, KMS, KMS_DSSE)",
        ),
        (
            "kms_key with AES256",
            repository("        encryption: {type: AES256, kms_key: alias/ecr}\n"),
            "7:36: kms_key only applies to KMS and KMS_DSSE encryption, not AES256",
        ),
        (
            "kms_key of the wrong shape",
            repository("        encryption: {type: KMS, kms_key: my-key}\n"),
            "7:42: kms_key \"my-key\" must be a KMS key id, key ARN, alias name (alias/NAME) or alias ARN",
        ),
        (
            "too many tags",
            repository(&format!("        tags:\n{fifty_tags}")),
            "7:9: too many tags: 50; at most 49 are allowed (ECR allows 50 and ecrform adds its ownership tag)",
        ),
        (
            "long tag key",
            repository(&format!("        tags: {{{}: v}}\n", "k".repeat(129))),
            &format!(
                "7:16: tag key \"{}\" must be 1 to 128 characters long",
                "k".repeat(129)
            ),
        ),
        (
            "aws tag key in any case",
            repository("        tags: {AWS:team: a}\n"),
            "7:16: tag key \"AWS:team\" starts with \"aws:\", which AWS reserves",
        ),
        (
            "ownership tag key",
            repository("        tags: {\"ecrform:managed\": \"true\"}\n"),
            "7:16: tag key \"ecrform:managed\" is reserved: ecrform uses it to mark the repositories it created",
        ),
        (
            "bad tag key character",
            repository("        tags: {\"team#1\": a}\n"),
            "7:16: tag key \"team#1\" contains '#'; tags may hold letters, digits, spaces and _ . : / = + - @",
        ),
        (
            "bad tag value character",
            repository("        tags: {team: \"a,b\"}\n"),
            "7:22: tag value of \"team\" contains ','; tags may hold letters, digits, spaces and _ . : / = + - @",
        ),
        (
            "long tag value",
            repository(&format!("        tags: {{team: {}}}\n", "v".repeat(257))),
            "7:22: tag value of \"team\" is 257 characters long; at most 256 are allowed",
        ),
        (
            "repository name with a capital",
            registry("    repositories:\n      Team/api:\n"),
            "6:7: repository name \"Team/api\" may only contain lowercase letters, digits and single '.', '_', '-' or '/' separators between them",
        ),
        (
            "repository name with a trailing slash",
            registry("    repositories:\n      team/:\n"),
            "6:7: repository name \"team/\" may only contain lowercase letters, digits and single '.', '_', '-' or '/' separators between them",
        ),
        (
            "repository name with doubled underscores",
            registry("    repositories:\n      team__a:\n"),
            "6:7: repository name \"team__a\" must not contain \"__\"",
        ),
        (
            "repository name too long",
            registry(&format!("    repositories:\n      {}:\n", "a".repeat(257))),
            &format!(
                "6:7: repository name \"{}\"… (257 characters) must be 2 to 256 characters long \
                 (it has 257)",
                "a".repeat(200)
            ),
        ),
    ];
    assert_first_errors(&cases);
}

#[test]
fn defaults_merge_under_every_repository_with_tags_merged_key_by_key() {
    let spec = "\
version: 1
defaults:
  image_tag_mutability: IMMUTABLE_WITH_EXCLUSION
  image_tag_mutability_exclusions: [latest]
  scan_on_push: true
  encryption: {type: KMS}
  tags: {owner: platform, env: dev}
  lifecycle:
    rules:
      - rulePriority: 1
        selection: {tagStatus: untagged, countType: sinceImagePushed, countUnit: days, countNumber: 7}
        action: {type: expire}
registries:
  - account: \"123456789012\"
    region: us-east-1
    repositories:
      inherits:
      overrides:
        image_tag_mutability: MUTABLE
        scan_on_push: false
        tags: {env: prod, team: a}
        lifecycle: none
        force_delete: true
      own-exclusions:
        image_tag_mutability_exclusions: [\"dev-*\"]
      no-tags:
        tags: none
";
    let fixture = Fixture::new().with("spec.yaml", spec);
    let spec = fixture.load("spec.yaml").unwrap();
    let repositories = &spec.desired.registries[0].state.repositories;
    let repository =
        |name: &str| &repositories[&ecrform_model::RepositoryName::parse(name).unwrap()];
    let tags = |pairs: &[(&str, &str)]| {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<ecrform_model::Tags>(),
        )
    };

    let inherits = repository("inherits");
    assert_eq!(
        inherits.image_tag_mutability,
        Some(TagMutability::ImmutableWithExclusion)
    );
    assert_eq!(
        inherits.image_tag_mutability_exclusions,
        Some(vec!["latest".to_owned()])
    );
    assert_eq!(inherits.scan_on_push, Some(true));
    assert_eq!(
        inherits.encryption.as_ref().map(|e| e.kind),
        Some(EncryptionType::Kms)
    );
    assert_eq!(
        inherits.tags,
        tags(&[("env", "dev"), ("owner", "platform")])
    );
    assert!(inherits.lifecycle_policy.present().is_some());
    assert_eq!(inherits.repository_policy, Setting::Unmanaged);
    assert!(!inherits.force_delete);

    let overrides = repository("overrides");
    assert_eq!(overrides.image_tag_mutability, Some(TagMutability::Mutable));
    assert_eq!(overrides.image_tag_mutability_exclusions, Some(Vec::new()));
    assert_eq!(overrides.scan_on_push, Some(false));
    assert_eq!(
        overrides.tags,
        tags(&[("env", "prod"), ("owner", "platform"), ("team", "a")])
    );
    assert_eq!(overrides.lifecycle_policy, Setting::Absent);
    assert!(overrides.force_delete);

    let own_exclusions = repository("own-exclusions");
    assert_eq!(
        own_exclusions.image_tag_mutability,
        Some(TagMutability::ImmutableWithExclusion)
    );
    assert_eq!(
        own_exclusions.image_tag_mutability_exclusions,
        Some(vec!["dev-*".to_owned()])
    );

    assert_eq!(repository("no-tags").tags, tags(&[]));
}

#[test]
fn merge_problems_are_reported_per_repository_and_default_problems_once() {
    let spec = "\
version: 1
defaults:
  image_tag_mutability: IMMUTABLE
  tags: {a: \"1\", b: \"2\"}
  lifecycle: {rules: []}
registries:
  - account: \"123456789012\"
    region: us-east-1
    repositories:
      one:
        image_tag_mutability_exclusions: [latest]
      two:
      three:
        tags: {X1: a, X2: a, X3: a, X4: a, X5: a, X6: a, X7: a, X8: a, X9: a, X10: a, X11: a, X12: a, X13: a, X14: a, X15: a, X16: a, X17: a, X18: a, X19: a, X20: a, X21: a, X22: a, X23: a, X24: a, X25: a, X26: a, X27: a, X28: a, X29: a, X30: a, X31: a, X32: a, X33: a, X34: a, X35: a, X36: a, X37: a, X38: a, X39: a, X40: a, X41: a, X42: a, X43: a, X44: a, X45: a, X46: a, X47: a, X48: a}
";
    let fixture = Fixture::new().with("spec.yaml", spec);
    let errors = fixture.errors("spec.yaml");
    assert_eq!(
        errors,
        [
            "spec.yaml:5:14: lifecycle policy: the policy is 12 characters long when minified; ECR accepts 100 to 30720",
            "spec.yaml:5:15: lifecycle policy: rules must contain at least one rule",
            "spec.yaml:11:9: image_tag_mutability_exclusions only applies when image_tag_mutability ends in _WITH_EXCLUSION, and defaults set it to IMMUTABLE",
            "spec.yaml:14:9: too many tags with those from defaults: 50; at most 49 are allowed (ECR allows 50 and ecrform adds its ownership tag)",
        ]
    );
}

#[test]
fn defaults_alone_are_checked_for_exclusions_without_a_mode() {
    let fixture = Fixture::new().with(
        "spec.yaml",
        "version: 1\ndefaults:\n  image_tag_mutability_exclusions: [latest]\n",
    );
    assert_eq!(
        fixture.errors("spec.yaml"),
        [
            "spec.yaml:3:3: image_tag_mutability_exclusions in defaults needs image_tag_mutability (ending in _WITH_EXCLUSION) next to it"
        ]
    );
}
