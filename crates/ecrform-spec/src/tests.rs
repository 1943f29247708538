//! End-to-end tests of [`crate::load`] on specs written to temporary directories: every
//! validation rule with its exact message and `LINE:COLUMN`, the merge of `defaults`, policy
//! references and templates, and directory specs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ecrform_model::{EncryptionType, Setting, TagMutability};

use crate::{Diagnostics, LoadOptions, Spec, load};

static NEXT_FIXTURE: AtomicUsize = AtomicUsize::new(0);

/// A temporary spec directory, removed when dropped.
struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let unique = format!(
            "ecrform-spec-test-{}-{}",
            std::process::id(),
            NEXT_FIXTURE.fetch_add(1, Ordering::Relaxed)
        );
        let root = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&root).unwrap();
        Fixture { root }
    }

    fn with(self, relative: &str, contents: &str) -> Self {
        let path = self.root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    fn load(&self, relative: &str) -> Result<Spec, Diagnostics> {
        load(&LoadOptions {
            path: &self.path(relative),
            policies_dir: None,
        })
    }

    /// Every error as `FILE:LINE:COLUMN: message`, FILE relative to the fixture.
    fn errors(&self, relative: &str) -> Vec<String> {
        match self.load(relative) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics.0.iter().map(|d| self.show(d)).collect(),
        }
    }

    fn show(&self, diagnostic: &crate::Diagnostic) -> String {
        let relative = diagnostic
            .file
            .strip_prefix(&self.root)
            .unwrap_or(&diagnostic.file);
        let mut shown = relative.display().to_string();
        if let (Some(line), Some(column)) = (diagnostic.line, diagnostic.column) {
            shown.push_str(&format!(":{line}:{column}"));
        }
        format!("{shown}: {}", diagnostic.message)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A one-registry spec; `body` (indented four spaces) starts on line 5.
fn registry(body: &str) -> String {
    format!("version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n{body}")
}

/// A spec with the repository `team-a/api`; `settings` (indented eight spaces) start on line 7.
fn repository(settings: &str) -> String {
    registry(&format!("    repositories:\n      team-a/api:\n{settings}"))
}

/// Loads each spec alone and compares its first error with `LINE:COLUMN: message`.
fn assert_first_errors(cases: &[(&str, String, &str)]) {
    let mut failures = Vec::new();
    for (name, spec, expected) in cases {
        let fixture = Fixture::new().with("spec.yaml", spec);
        let errors = fixture.errors("spec.yaml");
        let expected = format!("spec.yaml:{expected}");
        if errors.first() != Some(&expected) {
            failures.push(format!(
                "{name}:\n  expected: {expected}\n  actual:   {errors:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

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
            "version: 1\nowner: me\n".to_owned(),
            "2:1: unknown key \"owner\"; expected one of: version, defaults, registries",
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
            "5:12: expected true or false, found the string \"yes\"",
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
                "6:7: repository name \"{}\" must be 2 to 256 characters long (it has 257)",
                "a".repeat(257)
            ),
        ),
    ];
    assert_first_errors(&cases);
}

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
fn registry_wide_settings_are_checked_against_the_ecr_model() {
    let eleven_rules: String = (0..11)
        .map(|i| format!("        - destinations: [{{region: eu-west-{}}}]\n", i + 1))
        .collect();
    let regions: Vec<String> = (1..=26)
        .map(|i| format!("{{region: eu-west-{i}}}"))
        .collect();
    let prefixes: Vec<String> = (0..101).map(|i| format!("p{i:03}/")).collect();
    let fifty_one_caches: String = (0..51)
        .map(|i| format!("      c{i:02}: {{upstream_url: quay.io}}\n"))
        .collect();
    let cases = [
        (
            "a hundred and one replication filters",
            registry(&format!(
                "    replication:\n      rules:\n        - destinations: [{{region: eu-west-1}}]\n          repository_filters: [{}]\n",
                prefixes.join(", ")
            )),
            "8:11: a replication rule allows at most 100 repository filters, found 101",
        ),
        (
            "a hundred and one scanning filters",
            registry(&format!(
                "    scanning:\n      type: BASIC\n      rules:\n        - frequency: SCAN_ON_PUSH\n          filters: [{}]\n",
                prefixes
                    .iter()
                    .map(|p| format!("{}*", p.trim_end_matches('/')))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            "9:11: a scanning rule allows at most 100 filters, found 101",
        ),
        (
            "fifty-one pull-through cache rules",
            registry(&format!("    pull_through_cache:\n{fifty_one_caches}")),
            "5:5: a registry allows at most 50 pull-through cache rules, found 51",
        ),
        (
            "replication without rules",
            registry("    replication: {}\n"),
            "5:18: missing \"rules\" in replication (write rules: [] for no replication)",
        ),
        (
            "eleven replication rules",
            registry(&format!("    replication:\n      rules:\n{eleven_rules}")),
            "6:7: replication allows at most 10 rules, found 11",
        ),
        (
            "twenty-six destinations",
            registry(&format!(
                "    replication:\n      rules:\n        - destinations: [{}]\n",
                regions.join(", ")
            )),
            "6:7: replication allows at most 25 unique destinations across its rules, found 26",
        ),
        (
            "no destinations",
            registry("    replication:\n      rules:\n        - destinations: []\n"),
            "7:11: a replication rule needs at least one destination",
        ),
        (
            "destination without region",
            registry(
                "    replication:\n      rules:\n        - destinations: [{account: \"210987654321\"}]\n",
            ),
            "7:26: missing \"region\" in this destination",
        ),
        (
            "destination listed twice",
            registry(
                "    replication:\n      rules:\n        - destinations: [{region: eu-west-1}, {region: eu-west-1, account: \"123456789012\"}]\n",
            ),
            "7:47: destination 123456789012/eu-west-1 is listed twice in this rule",
        ),
        (
            "bad replication filter",
            registry(
                "    replication:\n      rules:\n        - destinations: [{region: eu-west-1}]\n          repository_filters: [\"Team-A\"]\n",
            ),
            "8:32: repository filter \"Team-A\" must be a repository name prefix: 2 to 256 lowercase letters, digits, '.', '_', '-' and '/'",
        ),
        (
            "scanning none",
            registry("    scanning: none\n"),
            "5:15: scanning cannot be none: every registry has a scanning configuration (write {type: BASIC, rules: []} for ECR's default); leave the key out to leave it unmanaged",
        ),
        (
            "scanning without type",
            registry("    scanning: {rules: []}\n"),
            "5:15: missing \"type\" in scanning",
        ),
        (
            "unknown scanning type",
            registry("    scanning: {type: ENHANCE}\n"),
            "5:22: unknown scanning type \"ENHANCE\"; did you mean \"ENHANCED\"? (expected one of BASIC, ENHANCED)",
        ),
        (
            "three scanning rules",
            registry(
                "    scanning:\n      type: BASIC\n      rules:\n        - {frequency: SCAN_ON_PUSH, filters: [a]}\n        - {frequency: SCAN_ON_PUSH, filters: [b]}\n        - {frequency: SCAN_ON_PUSH, filters: [c]}\n",
            ),
            "7:7: registry scanning allows at most 2 rules, found 3",
        ),
        (
            "manual with enhanced",
            registry(
                "    scanning:\n      type: ENHANCED\n      rules: [{frequency: MANUAL, filters: [\"*\"]}]\n",
            ),
            "7:27: MANUAL is not a rule frequency of ENHANCED scanning, which supports SCAN_ON_PUSH and CONTINUOUS_SCAN",
        ),
        (
            "scanning rule without filters",
            registry(
                "    scanning:\n      type: BASIC\n      rules: [{frequency: SCAN_ON_PUSH}]\n",
            ),
            "7:15: missing \"filters\" in this scanning rule",
        ),
        (
            "scanning rule with no filters",
            registry(
                "    scanning:\n      type: BASIC\n      rules: [{frequency: SCAN_ON_PUSH, filters: []}]\n",
            ),
            "7:41: a scanning rule needs at least one filter (\"*\" for every repository)",
        ),
        (
            "bad scanning filter",
            registry(
                "    scanning:\n      type: BASIC\n      rules: [{frequency: SCAN_ON_PUSH, filters: [\"team a\"]}]\n",
            ),
            "7:51: scanning filter \"team a\" must be lowercase letters, digits and '*', with single '.', '_', '-' or '/' between them",
        ),
        (
            "pull-through cache prefix too long",
            registry(&format!(
                "    pull_through_cache:\n      {}: {{upstream_url: quay.io}}\n",
                "q".repeat(31)
            )),
            &format!(
                "6:7: pull-through cache prefix \"{}\" must be ROOT or 2 to 30 lowercase letters and digits with single '.', '_', '-' or '/' between them",
                "q".repeat(31)
            ),
        ),
        (
            "pull-through cache rule without upstream_url",
            registry("    pull_through_cache:\n      quay: {upstream_registry: quay}\n"),
            "6:13: missing \"upstream_url\" in this pull-through cache rule",
        ),
        (
            "unknown upstream registry",
            registry(
                "    pull_through_cache:\n      quay: {upstream_url: quay.io, upstream_registry: quay-io}\n",
            ),
            "6:56: unknown upstream_registry \"quay-io\" (expected one of ecr, ecr-public, quay, k8s, docker-hub, github-container-registry, azure-container-registry, gitlab-container-registry, chainguard)",
        ),
        (
            "credential of another service",
            registry(
                "    pull_through_cache:\n      ghcr: {upstream_url: ghcr.io, credential_arn: \"arn:aws:ssm:us-east-1:123456789012:parameter/ecr-pullthroughcache/x\"}\n",
            ),
            "6:53: credential_arn \"arn:aws:ssm:us-east-1:123456789012:parameter/ecr-pullthroughcache/x\" must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:ecr-pullthroughcache/NAME)",
        ),
        (
            "docker hub without credentials",
            registry(
                "    pull_through_cache:\n      docker-hub: {upstream_url: registry-1.docker.io, upstream_registry: docker-hub}\n",
            ),
            "6:7: pull-through cache rule \"docker-hub\" needs credential_arn: ECR caches from docker-hub only with credentials",
        ),
        (
            "bad custom role",
            registry(
                "    pull_through_cache:\n      ecr: {upstream_url: 210987654321.dkr.ecr.us-east-1.amazonaws.com, custom_role_arn: ecr-role}\n",
            ),
            "6:90: custom_role_arn \"ecr-role\" is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
        ),
        (
            "bad upstream repository prefix",
            registry(
                "    pull_through_cache:\n      quay: {upstream_url: quay.io, upstream_repository_prefix: Org}\n",
            ),
            "6:65: upstream_repository_prefix \"Org\" must be ROOT or 2 to 30 lowercase letters and digits with single '.', '_', '-' or '/' between them",
        ),
        (
            "creation template without applied_for",
            registry("    creation_templates:\n      ROOT: {image_tag_mutability: IMMUTABLE}\n"),
            "6:13: missing \"applied_for\" in this creation template",
        ),
        (
            "creation template with empty applied_for",
            registry("    creation_templates:\n      ROOT: {applied_for: []}\n"),
            "6:27: applied_for needs at least one of REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH",
        ),
        (
            "creation template with unknown applied_for",
            registry("    creation_templates:\n      ROOT: {applied_for: [REPLICATE]}\n"),
            "6:28: unknown applied_for value \"REPLICATE\"; did you mean \"REPLICATION\"? (expected one of REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH)",
        ),
        (
            "creation template with applied_for twice",
            registry(
                "    creation_templates:\n      ROOT: {applied_for: [REPLICATION, REPLICATION]}\n",
            ),
            "6:41: REPLICATION is listed twice in applied_for",
        ),
        (
            "creation template prefix",
            registry("    creation_templates:\n      Team: {applied_for: [REPLICATION]}\n"),
            "6:7: creation template prefix \"Team\" must be ROOT or a repository name prefix (lowercase letters and digits with single '.', '_', '-' or '/' between them)",
        ),
        (
            "creation template description too long",
            registry(&format!(
                "    creation_templates:\n      ROOT: {{applied_for: [REPLICATION], description: {}}}\n",
                "d".repeat(257)
            )),
            "6:55: description is 257 characters long; at most 256 are allowed",
        ),
        (
            "creation template kms key alias",
            registry(
                "    creation_templates:\n      ROOT:\n        applied_for: [REPLICATION]\n        encryption: {type: KMS, kms_key: alias/ecr}\n        custom_role_arn: arn:aws:iam::123456789012:role/ecr\n",
            ),
            "8:42: kms_key \"alias/ecr\" must be a full KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) in a creation template",
        ),
        (
            "creation template kms without role",
            registry(
                "    creation_templates:\n      ROOT:\n        applied_for: [REPLICATION]\n        encryption: {type: KMS}\n",
            ),
            "6:7: creation template \"ROOT\" sets KMS encryption, so it needs custom_role_arn (the role ECR assumes to create such repositories)",
        ),
        (
            "creation template mode needs exclusions",
            registry(
                "    creation_templates:\n      ROOT: {applied_for: [REPLICATION], image_tag_mutability: IMMUTABLE_WITH_EXCLUSION}\n",
            ),
            "6:64: image_tag_mutability IMMUTABLE_WITH_EXCLUSION needs image_tag_mutability_exclusions (1 to 5 tag filters)",
        ),
        (
            "unknown account setting",
            registry("    account_settings: {BLOB_MOUNT: ENABLED}\n"),
            "5:24: unknown key \"BLOB_MOUNT\"; did you mean \"BLOB_MOUNTING\"?",
        ),
        (
            "bad account setting value",
            registry("    account_settings: {REGISTRY_POLICY_SCOPE: V3}\n"),
            "5:47: unknown REGISTRY_POLICY_SCOPE value \"V3\"; did you mean \"V1\"? (expected one of V1, V2)",
        ),
        (
            "account settings none",
            registry("    account_settings: none\n"),
            "5:23: account_settings cannot be none: account settings always have a value; leave the key out to leave them unmanaged",
        ),
    ];
    assert_first_errors(&cases);
}

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

const PULL_TEMPLATE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "Pull",
    "Effect": "Allow",
    "Principal": {"AWS": {{ accounts }}},
    "Action": "ecr:BatchGetImage",
    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "{{team}}"}}
  }]
}
"#;

const UNTAGGED_LIFECYCLE: &str = r#"{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}, "action": {"type": "expire"}}]}
"#;

#[test]
fn named_policies_and_templates_resolve_next_to_the_spec() {
    let fixture = Fixture::new()
        .with("policies/lifecycle/untagged.json", UNTAGGED_LIFECYCLE)
        .with("policies/repository/pull.json", PULL_TEMPLATE)
        .with(
            "policies/registry/replicate.yaml",
            "Version: \"2012-10-17\"\nStatement:\n  - Effect: Allow\n    Principal: {AWS: \"arn:aws:iam::210987654321:root\"}\n    Action: [\"ecr:CreateRepository\", \"ecr:ReplicateImage\"]\n    Resource: \"*\"\n",
        )
        .with(
            "spec.yaml",
            &registry(
                "    registry_policy: replicate\n    repositories:\n      api:\n        lifecycle: untagged\n        policy: {template: pull, vars: {accounts: [\"210987654321\"], team: a}}\n      web:\n        lifecycle: untagged\n",
            ),
        );
    let spec = fixture.load("spec.yaml").unwrap();
    let state = &spec.desired.registries[0].state;
    let api = &state.repositories[&ecrform_model::RepositoryName::parse("api").unwrap()];
    let policy = api.repository_policy.present().unwrap();
    assert_eq!(
        policy.document()["Statement"][0]["Principal"]["AWS"],
        serde_json::json!(["210987654321"])
    );
    assert_eq!(
        policy.document()["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalTag/team"],
        "a"
    );
    assert!(api.lifecycle_policy.present().is_some());
    assert!(state.registry_policy.present().is_some());
    let files: Vec<String> = spec
        .files
        .iter()
        .map(|path| {
            path.strip_prefix(&fixture.root)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        files,
        [
            "spec.yaml",
            "policies/registry/replicate.yaml",
            "policies/lifecycle/untagged.json",
            "policies/repository/pull.json"
        ]
    );
}

#[test]
fn policies_dir_replaces_the_default_location() {
    let fixture = Fixture::new()
        .with("elsewhere/lifecycle/untagged.json", UNTAGGED_LIFECYCLE)
        .with(
            "spec/spec.yaml",
            &repository("        lifecycle: untagged\n"),
        );
    let options = LoadOptions {
        path: &fixture.path("spec/spec.yaml"),
        policies_dir: Some(&fixture.path("elsewhere")),
    };
    let spec = load(&options).unwrap();
    assert_eq!(spec.files.len(), 2);
}

#[test]
fn policy_reference_problems_are_located_in_the_spec_or_the_document() {
    let with_policies = || {
        Fixture::new()
            .with("policies/lifecycle/untagged.json", UNTAGGED_LIFECYCLE)
            .with("policies/lifecycle/weekly.json", UNTAGGED_LIFECYCLE)
            .with("policies/lifecycle/both.json", UNTAGGED_LIFECYCLE)
            .with("policies/lifecycle/both.yaml", "rules: []\n")
            .with("policies/repository/pull.json", PULL_TEMPLATE)
            .with("policies/repository/broken.json", "{\"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": \"Permit\", \"Principal\": \"*\", \"Action\": \"ecr:*\"}]}\n")
            .with("policies/repository/duplicate.json", "{\"Statement\": [],\n \"Statement\": []}\n")
            .with("policies/repository/odd.json", "{\"a\": {{ not a var }}}\n")
            .with("policies/repository/trailing.json", "{\"Statement\": {{ statements }},}\n")
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown name",
            "        lifecycle: untaged\n",
            "spec.yaml:7:20: unknown lifecycle policy \"untaged\"; did you mean \"untagged\"? (available: both, untagged, weekly)",
        ),
        (
            "name with its extension",
            "        lifecycle: weekly.json\n",
            "spec.yaml:7:20: unknown lifecycle policy \"weekly.json\"; did you mean \"weekly\"? (available: both, untagged, weekly)",
        ),
        (
            "two files with one name",
            "        lifecycle: both\n",
            "spec.yaml:7:20: lifecycle policy \"both\" is ambiguous: policies/lifecycle/both.json and policies/lifecycle/both.yaml; keep one",
        ),
        (
            "iam error inside a policy file",
            "        policy: broken\n",
            "policies/repository/broken.json:2:17: repository policy: Effect must be \"Allow\" or \"Deny\", not \"Permit\"",
        ),
        (
            "duplicate key inside a json policy file",
            "        policy: duplicate\n",
            "policies/repository/duplicate.json:2:2: duplicate key \"Statement\" (first defined at line 1, column 2)",
        ),
        (
            "inline value without a json form",
            "        policy: {Version: .nan}\n",
            "spec.yaml:7:27: .nan is not a JSON number; quote it if a string is meant",
        ),
        (
            "inline iam error",
            "        policy: {Version: \"2012-10-17\"}\n",
            "spec.yaml:7:17: repository policy: an IAM policy needs a \"Statement\"",
        ),
        (
            "missing var",
            "        policy: {template: pull, vars: {accounts: []}}\n",
            "spec.yaml:7:17: template \"pull\" (policies/repository/pull.json) needs var \"team\", which vars does not set",
        ),
        (
            "unused var with a suggestion",
            "        policy: {template: pull, vars: {accounts: [\"1\"], team: a, teams: b}}\n",
            "spec.yaml:7:67: var \"teams\" is not used by template \"pull\" (policies/repository/pull.json); did you mean \"team\"?",
        ),
        (
            "malformed placeholder",
            "        policy: {template: odd}\n",
            "spec.yaml:7:17: template \"odd\" (policies/repository/odd.json) line 1: \"{{ not a var }}\" is not a placeholder; write {{ name }} with a name of letters, digits, '_' or '-'",
        ),
        (
            "a mapping inside a string",
            "        policy: {template: pull, vars: {accounts: [\"1\"], team: {a: b}}}\n",
            "spec.yaml:7:58: var \"team\" is a mapping, but its placeholder on line 8 of the template is inside a string; only a string, number or boolean can go there (template \"pull\", policies/repository/pull.json)",
        ),
        (
            "an error in the substituted document",
            "        policy: {template: pull, vars: {accounts: 1, team: a}}\n",
            "spec.yaml:7:17: repository policy from template \"pull\" (policies/repository/pull.json) at /Statement/0/Principal/AWS: Principal.AWS must be a string or a list of strings, not a number",
        ),
        (
            "a template that is not JSON",
            "        policy: {template: trailing, vars: {statements: []}}\n",
            "spec.yaml:7:17: repository policy from template \"trailing\" (policies/repository/trailing.json) is not valid after substitution: trailing comma at line 1 column 18",
        ),
        (
            "unknown template",
            "        policy: {template: pul}\n",
            "spec.yaml:7:28: unknown repository policy template \"pul\"; did you mean \"pull\"? (available: broken, duplicate, odd, pull, trailing)",
        ),
    ];
    let mut failures = Vec::new();
    for (name, settings, expected) in cases {
        let fixture = with_policies().with("spec.yaml", &repository(settings));
        let errors = fixture.errors("spec.yaml");
        if errors.first().map(String::as_str) != Some(*expected) {
            failures.push(format!(
                "{name}:\n  expected: {expected}\n  actual:   {errors:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_policy_used_by_many_repositories_is_reported_once() {
    let fixture = Fixture::new()
        .with("policies/lifecycle/empty.json", "{\"rules\": []}\n")
        .with(
            "spec.yaml",
            &registry("    repositories:\n      a1:\n        lifecycle: empty\n      a2:\n        lifecycle: empty\n"),
        );
    let errors = fixture.errors("spec.yaml");
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors
            .iter()
            .all(|error| error.starts_with("policies/lifecycle/empty.json:1:")),
        "{errors:#?}"
    );
}

#[test]
fn a_missing_policy_directory_names_the_file_it_looked_for() {
    let fixture = Fixture::new().with("spec.yaml", &repository("        lifecycle: standard\n"));
    assert_eq!(
        fixture.errors("spec.yaml"),
        [
            "spec.yaml:7:20: unknown lifecycle policy \"standard\": there is no policies/lifecycle/standard.json, .yaml or .yml"
        ]
    );
}

#[test]
fn a_directory_spec_merges_its_yaml_files_in_name_order() {
    let fixture = Fixture::new()
        .with("spec/10-defaults.yaml", "version: 1\ndefaults: {scan_on_push: true}\n")
        .with("spec/20-team-a.yml", &registry("    prune: true\n    repositories: {team-a/api: }\n"))
        .with(
            "spec/30-team-b.yaml",
            "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    repositories: {team-b/api: }\n  - account: \"012345678901\"\n    region: eu-west-1\n",
        )
        .with("spec/.editor-backup.yaml", "not: [valid")
        .with("spec/notes.txt", "not a spec")
        .with("spec/policies/lifecycle/x.yaml", "not: [valid");
    let spec = fixture.load("spec").unwrap();
    let ids: Vec<String> = spec
        .desired
        .registries
        .iter()
        .map(|r| r.state.id().to_string())
        .collect();
    assert_eq!(ids, ["012345678901/eu-west-1", "123456789012/us-east-1"]);
    let registry = &spec.desired.registries[1];
    assert!(registry.prune);
    let names: Vec<&str> = registry
        .state
        .repositories
        .keys()
        .map(|name| name.as_str())
        .collect();
    assert_eq!(names, ["team-a/api", "team-b/api"]);
    assert!(
        registry
            .state
            .repositories
            .values()
            .all(|state| state.scan_on_push == Some(true))
    );
    let files: Vec<String> = spec
        .files
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files,
        ["10-defaults.yaml", "20-team-a.yml", "30-team-b.yaml"]
    );
}

#[test]
fn directory_problems_name_both_places() {
    let fixture = Fixture::new()
        .with("spec/a.yaml", &registry("    repositories:\n      app:\n"))
        .with("spec/b.yaml", "version: 1\ndefaults: {}\n")
        .with(
            "spec/c.yaml",
            &format!(
                "{}defaults: {{}}\n",
                registry("    repositories:\n      app:\n")
            ),
        )
        .with("spec/d.yaml", "registries: []\n");
    assert_eq!(
        fixture.errors("spec"),
        [
            "spec/c.yaml:6:7: repository \"app\" of registry 123456789012/us-east-1 is defined twice; also defined at a.yaml:6:7",
            "spec/c.yaml:7:1: defaults are defined twice; also defined at b.yaml:2:1",
            "spec/d.yaml:1:1: missing \"version: 1\" (the spec format version)",
        ]
    );
}

#[test]
fn unreadable_paths_are_diagnostics_with_the_os_error() {
    let fixture = Fixture::new().with("empty/readme.txt", "no specs here");
    let missing = fixture.errors("missing.yaml");
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0].starts_with("missing.yaml: cannot read the spec: "),
        "{missing:?}"
    );
    assert!(missing[0].contains("os error"), "{missing:?}");
    assert_eq!(
        fixture.errors("empty"),
        ["empty: the spec directory holds no *.yaml or *.yml files"]
    );
    let fixture = fixture.with("binary.yaml", "");
    std::fs::write(fixture.path("binary.yaml"), [0xff, 0xfe, 0x00]).unwrap();
    assert_eq!(
        fixture.errors("binary.yaml"),
        ["binary.yaml: the file is not UTF-8 text"]
    );
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

#[test]
fn registry_wide_settings_reach_the_model() {
    let fixture = Fixture::new().with(
        "spec.yaml",
        &registry(
            "    replication:\n      rules:\n        - destinations: [{region: eu-west-1}, {region: us-east-1, account: \"210987654321\"}]\n          repository_filters: [team-a/]\n    scanning: {type: BASIC, rules: [{frequency: SCAN_ON_PUSH, filters: [\"*\"]}]}\n    pull_through_cache: {quay: {upstream_url: quay.io}}\n    creation_templates: {ROOT: {applied_for: [CREATE_ON_PUSH]}}\n    account_settings: {BLOB_MOUNTING: DISABLED}\n",
        ),
    );
    let spec = fixture.load("spec.yaml").unwrap();
    let state = &spec.desired.registries[0].state;
    let replication = state.replication.present().unwrap();
    let destinations: Vec<String> = replication.rules[0]
        .destinations
        .iter()
        .map(|d| format!("{}/{}", d.account, d.region))
        .collect();
    assert_eq!(
        destinations,
        ["123456789012/eu-west-1", "210987654321/us-east-1"]
    );
    assert_eq!(replication.rules[0].repository_filters, ["team-a/"]);
    assert_eq!(
        state.scanning.present().unwrap().scan_type,
        ecrform_model::ScanType::Basic
    );
    assert_eq!(
        state.pull_through_cache.as_ref().unwrap()["quay"].upstream_url,
        "quay.io"
    );
    assert_eq!(
        state.creation_templates.as_ref().unwrap()["ROOT"].applied_for,
        [ecrform_model::AppliedFor::CreateOnPush]
    );
    assert_eq!(
        state.account_settings.as_ref().unwrap()[&ecrform_model::AccountSettingName::BlobMounting],
        "DISABLED"
    );
    assert_eq!(state.registry_policy, Setting::Unmanaged);
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

#[test]
fn none_clears_registry_wide_collections() {
    let fixture = Fixture::new().with(
        "spec.yaml",
        &registry("    replication: none\n    registry_policy: ~\n    pull_through_cache: none\n    creation_templates: none\n"),
    );
    let spec = fixture.load("spec.yaml").unwrap();
    let state = &spec.desired.registries[0].state;
    assert_eq!(state.replication, Setting::Absent);
    assert_eq!(state.registry_policy, Setting::Absent);
    assert_eq!(state.pull_through_cache, Some(Default::default()));
    assert_eq!(state.creation_templates, Some(Default::default()));
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
