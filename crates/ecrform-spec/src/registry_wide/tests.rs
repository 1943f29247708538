//! End-to-end tests of the registry-wide settings: checked against ECR's API model, and
//! carried into the model (`none` as the exact empty set where it means one).

use ecrform_model::Setting;

use crate::test_support::{Fixture, assert_first_errors, registry};

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

const PROFILE: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release";

#[test]
fn signing_configurations_are_checked_against_the_ecr_model() {
    let eleven_rules: String = (0..11)
        .map(|_| format!("        - signing_profile_arn: {PROFILE}\n"))
        .collect();
    let filters: Vec<String> = (0..101).map(|i| format!("team-{i}/*")).collect();
    let long_profile = format!(
        "arn:aws:signer:us-east-1:123456789012:/signing-profiles/{}",
        "p".repeat(150)
    );
    let cases = [
        (
            "a signing configuration without rules",
            registry("    signing_configuration: {}\n"),
            "5:28: missing \"rules\" in signing_configuration (write signing_configuration: none for no signing)",
        ),
        (
            "eleven signing rules",
            registry(&format!(
                "    signing_configuration:\n      rules:\n{eleven_rules}"
            )),
            "6:7: a signing configuration allows at most 10 rules, found 11",
        ),
        (
            "a signing rule without a profile",
            registry(
                "    signing_configuration:\n      rules: [{repository_filters: [\"team-a/*\"]}]\n",
            ),
            "6:15: missing \"signing_profile_arn\" in this signing rule",
        ),
        (
            "an unknown key in a signing rule",
            registry(&format!(
                "    signing_configuration:\n      rules:\n        - signing_profile_arn: {PROFILE}\n          repository_filter: [\"a*\"]\n"
            )),
            "8:11: unknown key \"repository_filter\"; did you mean \"repository_filters\"?",
        ),
        (
            "a signing profile with a one-character name",
            registry(
                "    signing_configuration:\n      rules:\n        - signing_profile_arn: arn:aws:signer:us-east-1:123456789012:/signing-profiles/a\n",
            ),
            "7:32: signing_profile_arn \"arn:aws:signer:us-east-1:123456789012:/signing-profiles/a\" must be an AWS Signer signing profile ARN (arn:aws:signer:REGION:ACCOUNT:/signing-profiles/NAME, NAME of 2 or more letters, digits and '_')",
        ),
        (
            "a signing profile ARN over 200 characters",
            registry(&format!(
                "    signing_configuration:\n      rules:\n        - signing_profile_arn: {long_profile}\n"
            )),
            "7:32: signing_profile_arn is 206 characters long; at most 200 are allowed",
        ),
        (
            "an empty filter list",
            registry(&format!(
                "    signing_configuration:\n      rules:\n        - signing_profile_arn: {PROFILE}\n          repository_filters: []\n"
            )),
            "8:31: repository_filters needs at least one filter; leave it out to sign the images of every repository",
        ),
        (
            "a hundred and one filters",
            registry(&format!(
                "    signing_configuration:\n      rules:\n        - signing_profile_arn: {PROFILE}\n          repository_filters: [{}]\n",
                filters.join(", ")
            )),
            "8:11: a signing rule allows at most 100 repository filters, found 101",
        ),
        (
            "a filter with an uppercase letter",
            registry(&format!(
                "    signing_configuration:\n      rules:\n        - signing_profile_arn: {PROFILE}\n          repository_filters: [\"team-a/*\", \"Team-B/*\"]\n"
            )),
            "8:44: repository filter \"Team-B/*\" must be lowercase letters, digits and '*', with single '.', '_' or '-' between them and '/' between path components",
        ),
        (
            "a filter over 256 characters",
            registry(&format!(
                "    signing_configuration:\n      rules:\n        - signing_profile_arn: {PROFILE}\n          repository_filters: [{}]\n",
                "a".repeat(257)
            )),
            "8:32: repository filter is 257 characters long; at most 256 are allowed",
        ),
    ];
    assert_first_errors(&cases);
}

#[test]
fn pull_time_update_exclusions_are_checked_against_the_ecr_model() {
    let principals: Vec<String> = (0..101)
        .map(|i| format!("arn:aws:iam::123456789012:role/puller-{i}"))
        .collect();
    let cases = [
        (
            "a hundred and one exclusions",
            registry(&format!(
                "    pull_time_update_exclusions: [{}]\n",
                principals.join(", ")
            )),
            "5:5: a registry allows at most 100 pull-time update exclusions, found 101",
        ),
        (
            "a group is not a principal ECR excludes",
            registry(
                "    pull_time_update_exclusions:\n      - arn:aws:iam::123456789012:role/scanner\n      - arn:aws:iam::123456789012:group/readers\n",
            ),
            "7:9: pull-time update exclusion \"arn:aws:iam::123456789012:group/readers\" must be an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)",
        ),
        (
            "an assumed-role session is not a principal ARN",
            registry(
                "    pull_time_update_exclusions: [\"arn:aws:sts::123456789012:assumed-role/scanner/ci\"]\n",
            ),
            "5:35: pull-time update exclusion \"arn:aws:sts::123456789012:assumed-role/scanner/ci\" must be an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)",
        ),
        (
            "a principal ARN over 200 characters",
            registry(&format!(
                "    pull_time_update_exclusions: [arn:aws:iam::123456789012:role/{}]\n",
                "r".repeat(170)
            )),
            "5:35: pull-time update exclusion is 201 characters long; at most 200 are allowed",
        ),
        (
            "a principal listed twice",
            registry(
                "    pull_time_update_exclusions:\n      - arn:aws:iam::123456789012:user/mirror\n      - arn:aws:iam::123456789012:user/mirror\n",
            ),
            "7:9: \"arn:aws:iam::123456789012:user/mirror\" is listed twice in pull_time_update_exclusions",
        ),
        (
            "exclusions written as one string",
            registry("    pull_time_update_exclusions: arn:aws:iam::123456789012:user/mirror\n"),
            "5:34: expected a list of IAM role or user ARNs, found the string \"arn:aws:iam::123456789012:user/mirror\"",
        ),
    ];
    assert_first_errors(&cases);
}

#[test]
fn signing_and_pull_time_exclusions_reach_the_model() {
    let fixture = Fixture::new().with(
        "spec.yaml",
        &registry(&format!(
            "    signing_configuration:\n      rules:\n        - signing_profile_arn: {PROFILE}\n          repository_filters: [\"release/*\", \"team-a/prod-*\"]\n        - signing_profile_arn: {PROFILE}\n    pull_time_update_exclusions:\n      - arn:aws:iam::123456789012:user/mirror\n      - arn:aws:iam::123456789012:role/ci/scanner\n"
        )),
    );
    let spec = fixture.load("spec.yaml").unwrap();
    let state = &spec.desired.registries[0].state;
    let configuration = state.signing_configuration.present().unwrap();
    assert_eq!(
        configuration.rules,
        [
            ecrform_model::SigningRule {
                signing_profile_arn: PROFILE.to_owned(),
                repository_filters: vec!["release/*".to_owned(), "team-a/prod-*".to_owned()],
            },
            ecrform_model::SigningRule {
                signing_profile_arn: PROFILE.to_owned(),
                repository_filters: vec![],
            },
        ]
    );
    let exclusions: Vec<&String> = state
        .pull_time_update_exclusions
        .as_ref()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        exclusions,
        [
            "arn:aws:iam::123456789012:role/ci/scanner",
            "arn:aws:iam::123456789012:user/mirror"
        ]
    );
}

#[test]
fn none_deletes_the_signing_configuration_and_empties_the_exclusions() {
    let fixture = Fixture::new().with(
        "spec.yaml",
        &registry("    signing_configuration: none\n    pull_time_update_exclusions: none\n"),
    );
    let spec = fixture.load("spec.yaml").unwrap();
    let state = &spec.desired.registries[0].state;
    assert_eq!(state.signing_configuration, Setting::Absent);
    assert_eq!(
        state.pull_time_update_exclusions,
        Some(ecrform_model::PullTimeUpdateExclusions::new())
    );
    let unmanaged = Fixture::new().with("spec.yaml", &registry(""));
    let state = &unmanaged.load("spec.yaml").unwrap().desired.registries[0].state;
    assert!(state.signing_configuration.is_unmanaged());
    assert_eq!(state.pull_time_update_exclusions, None);
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
