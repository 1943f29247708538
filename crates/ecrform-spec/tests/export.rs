//! `export` round trips: live state written as a spec, loaded back with `ecrform_spec::load`
//! from a fresh directory, and planned against the same live state must plan nothing, inline
//! and with policy files. Also what export leaves out, and how, and snapshots of what it
//! writes for a registry with every repository field and every registry-wide setting.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use ecrform_model::{
    AccountSettingName, AppliedFor, CreationTemplate, Encryption, EncryptionType, IamPolicy,
    LifecyclePolicy, OWNERSHIP_TAG_KEY, PullTimeUpdateExclusions, RegistryState, RepositoryState,
    ScanFrequency, ScanType, Setting, SigningConfiguration, SigningRule, TagMutability, Tags,
};
use ecrform_spec::{ExportOptions, Exported, LoadOptions, Spec, export, load};
use ecrform_testkit::fixtures::{
    LifecycleBuilder, OTHER_ACCOUNT, RepositoryBuilder, account_settings, by_prefix, cache_rule,
    iam_policy, kms, lifecycle_policy, name, registry_id, registry_in, replication,
    replication_rule, scanning, tags,
};
use serde_json::json;

/// The exporting account: its leading zero must survive YAML.
const ACCOUNT: &str = "012345678901";
const KEY_ARN: &str = "arn:aws:kms:us-east-1:012345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab";

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let unique = format!(
            "ecrform-export-test-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the export (spec and policy files) into a fresh directory and loads it.
fn load_exported(exported: &Exported) -> Spec {
    let dir = TempDir::new();
    let spec_path = dir.0.join("ecr.yaml");
    std::fs::write(&spec_path, &exported.spec).unwrap();
    for (relative, contents) in &exported.files {
        assert!(relative.is_relative(), "{}", relative.display());
        let path = dir.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    match load(&LoadOptions {
        path: &spec_path,
        policies_dir: None,
    }) {
        Ok(spec) => spec,
        Err(diagnostics) => {
            let problems: Vec<String> = diagnostics.0.iter().map(ToString::to_string).collect();
            panic!(
                "the export does not load:\n{}\n--- spec ---\n{}",
                problems.join("\n"),
                exported.spec
            )
        }
    }
}

/// Exports, loads and plans; the plan must be empty.
fn round_trip(live: &[RegistryState], options: &ExportOptions) -> (Exported, Spec) {
    let exported = export(live, options);
    let spec = load_exported(&exported);
    assert!(spec.warnings.is_empty(), "{:?}", spec.warnings);
    let plan = ecrform_plan::plan(&spec.desired, live);
    assert!(
        plan.is_empty(),
        "planned {:#?}\n--- spec ---\n{}",
        plan.changes,
        exported.spec
    );
    (exported, spec)
}

/// Expire untagged images after `days`, keep the ten most recent dev and pr- images.
fn lifecycle(days: u32) -> LifecyclePolicy {
    LifecycleBuilder::new()
        .expire_untagged_after(days)
        .keep_tagged(10, &["dev", "pr-"])
        .build()
}

/// A pull policy whose strings look like YAML numbers and booleans: they must stay strings.
fn conditional_pull_policy(account: &str) -> IamPolicy {
    iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CrossAccountPull",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Condition": {
                "StringEquals": {"aws:PrincipalAccount": account},
                // Block scalars in the YAML must survive being indented into place.
                "StringLike": {"aws:PrincipalTag/note": "first line\n\nthird line\n"},
                "Bool": {"aws:SecureTransport": "true"}
            }
        }]
    }))
}

/// Every field read, as the AWS adapter reports a repository.
fn repository(mode: TagMutability, exclusions: &[&str]) -> RepositoryState {
    RepositoryBuilder::new()
        .mutability(mode)
        .exclusions(exclusions.iter().copied())
        .scan_on_push(false)
        .encryption(Encryption::aes256())
        .tags([])
        .no_lifecycle_policy()
        .no_repository_policy()
        .images(3)
        .build()
}

/// One registry covering every repository field: the four mutability modes, KMS with a key
/// ARN, KMS_DSSE, AES256, reserved tags, documents present and absent, nested names.
fn covering_registry() -> RegistryState {
    let mut live = RegistryState::empty(registry_in(ACCOUNT));
    let repositories = &mut live.repositories;

    let mut api = repository(TagMutability::ImmutableWithExclusion, &["latest", "dev-*"]);
    api.scan_on_push = Some(true);
    api.encryption = Some(kms(KEY_ARN));
    api.tags = Some(tags([
        ("team", "a"),
        ("cost-center", "1234"),
        ("enabled", "true"),
        ("aws:cloudformation:stack-name", "ecr"),
        (OWNERSHIP_TAG_KEY, "true"),
    ]));
    api.lifecycle_policy = Setting::Present(lifecycle(7));
    api.repository_policy = Setting::Present(conditional_pull_policy(OTHER_ACCOUNT));
    repositories.insert(name("team-a/api"), api);

    let mut web = repository(TagMutability::MutableWithExclusion, &["release-*"]);
    web.encryption = Some(Encryption {
        kind: EncryptionType::KmsDsse,
        kms_key: None,
    });
    web.tags = Some(tags([("team", "a"), ("aws:created-by", "console")]));
    // The same document as team-a/api's: in policy-files mode they share a file.
    web.lifecycle_policy = Setting::Present(lifecycle(7));
    repositories.insert(name("team-a/web"), web);

    let mut batch = repository(TagMutability::Immutable, &[]);
    batch.tags = Some(tags([(OWNERSHIP_TAG_KEY, "true")]));
    batch.lifecycle_policy = Setting::Present(lifecycle(30));
    batch.repository_policy = Setting::Present(conditional_pull_policy("111122223333"));
    repositories.insert(name("team-b/batch"), batch);

    repositories.insert(name("legacy"), repository(TagMutability::Mutable, &[]));
    live
}

/// Registry-wide settings of every kind, as live state holds them.
fn with_registry_wide(mut live: RegistryState) -> RegistryState {
    let mut docker_hub = cache_rule(
        "registry-1.docker.io",
        Some(&format!(
            "arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
        )),
    );
    docker_hub.upstream_registry = Some("docker-hub".to_owned());
    let everything_else = CreationTemplate {
        applied_for: vec![AppliedFor::Replication, AppliedFor::PullThroughCache],
        description: Some("everything else".to_owned()),
        image_tag_mutability: Some(TagMutability::ImmutableWithExclusion),
        image_tag_mutability_exclusions: vec!["latest".to_owned()],
        encryption: Some(kms(KEY_ARN)),
        resource_tags: tags([("owner", "platform")]),
        lifecycle_policy: Some(lifecycle(14)),
        repository_policy: None,
        custom_role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/ecr-templates")),
    };
    live.replication = Setting::Present(replication([replication_rule(
        &[(ACCOUNT, "eu-west-1"), (OTHER_ACCOUNT, "us-east-1")],
        &["team-a/"],
    )]));
    live.registry_policy = Setting::Present(iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "ReplicationFrom", "Effect": "Allow",
                       "Principal": {"AWS": format!("arn:aws:iam::{OTHER_ACCOUNT}:root")},
                       "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                       "Resource": format!("arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*")}]
    })));
    live.scanning = Setting::Present(scanning(
        ScanType::Enhanced,
        &[(ScanFrequency::ContinuousScan, &["team-a/*"])],
    ));
    live.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub)]));
    live.creation_templates = Some(by_prefix([("ROOT", everything_else)]));
    live.account_settings = Some(account_settings([(
        AccountSettingName::BasicScanTypeVersion,
        "AWS_NATIVE",
    )]));
    // As ECR lists them: rules and filters in no particular order.
    live.signing_configuration = Setting::Present(SigningConfiguration {
        rules: vec![
            SigningRule {
                signing_profile_arn: signing_profile("release_images"),
                repository_filters: vec!["team-a/prod-*".to_owned(), "release/*".to_owned()],
            },
            SigningRule {
                signing_profile_arn: signing_profile("everything"),
                repository_filters: Vec::new(),
            },
        ],
    });
    live.pull_time_update_exclusions = Some(PullTimeUpdateExclusions::from_iter([
        format!("arn:aws:iam::{ACCOUNT}:role/security/scanner"),
        format!("arn:aws:iam::{ACCOUNT}:user/mirror"),
    ]));
    live
}

fn signing_profile(name: &str) -> String {
    format!("arn:aws:signer:us-east-1:{ACCOUNT}:/signing-profiles/{name}")
}

fn inline() -> ExportOptions {
    ExportOptions::default()
}

fn policy_files() -> ExportOptions {
    ExportOptions {
        prefix: None,
        policy_files: true,
    }
}

fn desired_repository<'s>(spec: &'s Spec, raw: &str) -> &'s RepositoryState {
    spec.desired.registries[0]
        .state
        .repositories
        .get(&name(raw))
        .unwrap_or_else(|| panic!("{raw} is not in the spec"))
}

/// The export as it lands on disk: the spec, then each policy file, under `==> path <==`
/// headers.
fn as_written(exported: &Exported) -> String {
    let mut out = format!("==> ecr.yaml <==\n{}", exported.spec);
    for (path, contents) in &exported.files {
        out.push_str(&format!("\n==> {} <==\n{contents}", path.display()));
    }
    out
}

#[test]
fn inline_export_of_a_representative_registry_as_written() {
    let live = vec![with_registry_wide(covering_registry())];
    let (exported, _) = round_trip(&live, &inline());
    assert!(exported.files.is_empty());
    insta::assert_snapshot!(as_written(&exported));
}

#[test]
fn policy_file_export_of_a_representative_registry_as_written() {
    let live = vec![with_registry_wide(covering_registry())];
    let (exported, _) = round_trip(&live, &policy_files());
    insta::assert_snapshot!(as_written(&exported));
}

#[test]
fn inline_export_of_every_repository_field_plans_empty() {
    let live = vec![covering_registry()];
    let (exported, spec) = round_trip(&live, &inline());
    assert!(exported.notes.is_empty(), "{:?}", exported.notes);
    assert!(exported.files.is_empty());
    let api = desired_repository(&spec, "team-a/api");
    assert_eq!(api.lifecycle_policy, Setting::Present(lifecycle(7)));
    assert_eq!(
        api.repository_policy,
        Setting::Present(conditional_pull_policy(OTHER_ACCOUNT))
    );
    assert_eq!(
        api.image_tag_mutability_exclusions,
        Some(vec!["latest".to_owned(), "dev-*".to_owned()])
    );
    let legacy = desired_repository(&spec, "legacy");
    assert_eq!(legacy.lifecycle_policy, Setting::Absent);
    assert_eq!(legacy.repository_policy, Setting::Absent);
    assert!(
        exported.spec.contains("    lifecycle: none\n"),
        "{}",
        exported.spec
    );
    // Inline documents are YAML mappings, not JSON text.
    assert!(
        exported.spec.contains("rulePriority: 1"),
        "{}",
        exported.spec
    );
}

#[test]
fn policy_file_export_plans_empty_and_shares_identical_documents() {
    let live = vec![covering_registry()];
    let (exported, spec) = round_trip(&live, &policy_files());
    assert!(exported.notes.is_empty(), "{:?}", exported.notes);
    let paths: Vec<String> = exported
        .files
        .iter()
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "policies/lifecycle/team-a.api.json",
            "policies/repository/team-a.api.json",
            "policies/lifecycle/team-b.batch.json",
            "policies/repository/team-b.batch.json",
        ]
    );
    // team-a/web's lifecycle is team-a/api's document: one file, named after the first.
    assert!(exported.spec.contains("lifecycle: team-a.api\n"));
    assert_eq!(
        desired_repository(&spec, "team-a/web").lifecycle_policy,
        Setting::Present(lifecycle(7))
    );
    let (_, text) = &exported.files[0];
    assert!(text.ends_with("}\n"), "{text}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(text).unwrap(),
        *lifecycle(7).document()
    );
    assert!(!exported.spec.contains("rulePriority"), "{}", exported.spec);
}

#[test]
fn registry_wide_settings_read_back_as_live_has_them() {
    let live = vec![with_registry_wide(covering_registry())];
    for options in [inline(), policy_files()] {
        let (exported, spec) = round_trip(&live, &options);
        assert!(exported.notes.is_empty(), "{:?}", exported.notes);
        let plan = ecrform_plan::plan(&spec.desired, &live);
        assert!(plan.is_empty(), "{:?}", plan.changes);
        // Each setting is also the same document, in the model's canonical form (what ECR
        // filled in by itself is left out of the written spec).
        let desired = &spec.desired.registries[0].state;
        assert_eq!(desired.replication, live[0].replication);
        assert_eq!(desired.registry_policy, live[0].registry_policy);
        assert_eq!(desired.scanning, live[0].scanning);
        let canonical_rules = |state: &RegistryState| {
            state.pull_through_cache.as_ref().map(|rules| {
                rules
                    .iter()
                    .map(|(prefix, rule)| (prefix.clone(), rule.canonical()))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        assert_eq!(canonical_rules(desired), canonical_rules(&live[0]));
        let canonical_templates = |state: &RegistryState| {
            state.creation_templates.as_ref().map(|templates| {
                templates
                    .iter()
                    .map(|(prefix, template)| (prefix.clone(), template.canonical()))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        assert_eq!(canonical_templates(desired), canonical_templates(&live[0]));
        assert_eq!(desired.account_settings, live[0].account_settings);
        assert_eq!(
            desired
                .signing_configuration
                .present()
                .and_then(SigningConfiguration::canonical),
            live[0]
                .signing_configuration
                .present()
                .and_then(SigningConfiguration::canonical)
        );
        assert_eq!(
            desired.pull_time_update_exclusions,
            live[0].pull_time_update_exclusions
        );
        // ENHANCED scanning: scan_on_push has no effect and is left unmanaged.
        assert_eq!(desired_repository(&spec, "team-a/api").scan_on_push, None);
        assert!(!exported.spec.contains("scan_on_push"), "{}", exported.spec);
    }
    let (exported, _) = round_trip(&live, &policy_files());
    assert!(
        exported
            .files
            .iter()
            .any(|(path, _)| path.ends_with(format!("registry/{ACCOUNT}.us-east-1.json"))),
        "{:?}",
        exported.files
    );
}

#[test]
fn absent_registry_wide_documents_are_none_and_unread_ones_are_left_out() {
    let mut live = RegistryState::empty(registry_in(ACCOUNT));
    live.replication = Setting::Absent;
    live.registry_policy = Setting::Absent;
    live.pull_through_cache = Some(BTreeMap::new());
    live.signing_configuration = Setting::Absent;
    live.pull_time_update_exclusions = Some(PullTimeUpdateExclusions::new());
    let live = vec![live];
    let (exported, spec) = round_trip(&live, &inline());
    let desired = &spec.desired.registries[0].state;
    assert_eq!(desired.replication, Setting::Absent);
    assert_eq!(desired.registry_policy, Setting::Absent);
    assert_eq!(desired.pull_through_cache, Some(BTreeMap::new()));
    assert_eq!(desired.signing_configuration, Setting::Absent);
    assert_eq!(
        desired.pull_time_update_exclusions,
        Some(PullTimeUpdateExclusions::new())
    );
    assert!(
        exported.spec.contains("  signing_configuration: none\n")
            && exported
                .spec
                .contains("  pull_time_update_exclusions: []\n"),
        "{}",
        exported.spec
    );
    assert_eq!(desired.scanning, Setting::Unmanaged);
    assert_eq!(desired.creation_templates, None);
    assert_eq!(desired.account_settings, None);
    for key in ["scanning", "creation_templates", "account_settings"] {
        assert!(!exported.spec.contains(key), "{key}:\n{}", exported.spec);
    }
}

#[test]
fn several_registries_are_sorted_and_same_named_documents_get_distinct_files() {
    let first = covering_registry();
    let mut second = RegistryState::empty(registry_id("210987654321/eu-west-1"));
    let mut api = repository(TagMutability::Immutable, &[]);
    api.lifecycle_policy = Setting::Present(lifecycle(3));
    second.repositories.insert(name("team-a/api"), api);
    // A name that maps onto team-a/api's file name, with a document of its own.
    let mut dotted = repository(TagMutability::Immutable, &[]);
    dotted.lifecycle_policy = Setting::Present(lifecycle(5));
    second.repositories.insert(name("team-a.api"), dotted);

    // Given in reverse order: the output does not depend on it.
    let live = vec![second.clone(), first.clone()];
    let (exported, spec) = round_trip(&live, &policy_files());
    assert_eq!(exported, export(&[first, second], &policy_files()));
    let accounts: Vec<&str> = spec
        .desired
        .registries
        .iter()
        .map(|r| r.state.account.as_str())
        .collect();
    assert_eq!(accounts, [ACCOUNT, OTHER_ACCOUNT]);
    let first_at = exported.spec.find(ACCOUNT).unwrap();
    let second_at = exported.spec.find(&format!("account: '{OTHER_ACCOUNT}'"));
    assert!(
        second_at.is_some_and(|at| at > first_at),
        "{}",
        exported.spec
    );

    let lifecycle_files: Vec<String> = exported
        .files
        .iter()
        .filter(|(path, _)| path.starts_with("policies/lifecycle"))
        .map(|(path, _)| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        lifecycle_files,
        [
            "team-a.api.json",
            "team-b.batch.json",
            "team-a.api-2.json",
            "team-a.api-3.json"
        ]
    );
}

#[test]
fn prefix_keeps_matching_repositories_and_leaves_registry_wide_settings_out() {
    let live = vec![with_registry_wide(covering_registry())];
    let options = ExportOptions {
        prefix: Some("team-a/".to_owned()),
        policy_files: false,
    };
    let exported = export(&live, &options);
    let spec = load_exported(&exported);
    let desired = &spec.desired.registries[0].state;
    let names: Vec<&str> = desired.repositories.keys().map(|n| n.as_str()).collect();
    assert_eq!(names, ["team-a/api", "team-a/web"]);
    assert_eq!(desired.replication, Setting::Unmanaged);
    assert_eq!(desired.creation_templates, None);
    assert!(exported.spec.contains("\"team-a/\""), "{}", exported.spec);
    let plan = ecrform_plan::plan(&spec.desired, &live);
    assert!(plan.is_empty(), "{:#?}", plan.changes);
    // The others are not in this spec, so they are reported, never touched.
    let unmanaged: Vec<String> = plan.unmanaged.iter().map(ToString::to_string).collect();
    assert_eq!(
        unmanaged,
        [
            format!("{ACCOUNT}/us-east-1/repository/legacy"),
            format!("{ACCOUNT}/us-east-1/repository/team-b/batch"),
        ]
    );
}

#[test]
fn the_account_stays_quoted_with_its_leading_zero() {
    let exported = export(&[covering_registry()], &inline());
    assert!(
        exported.spec.contains(&format!("- account: '{ACCOUNT}'\n")),
        "{}",
        exported.spec
    );
    let spec = load_exported(&exported);
    assert_eq!(spec.desired.registries[0].state.account.as_str(), ACCOUNT);
}

#[test]
fn reserved_tags_are_never_exported_and_ownership_is_not_granted() {
    let live = vec![covering_registry()];
    let (exported, spec) = round_trip(&live, &inline());
    assert!(
        !exported.spec.contains(OWNERSHIP_TAG_KEY),
        "{}",
        exported.spec
    );
    assert!(!exported.spec.contains("aws:cloudformation"));
    assert!(!exported.spec.contains("aws:created-by"));
    assert_eq!(
        desired_repository(&spec, "team-a/api").tags,
        Some(tags([
            ("team", "a"),
            ("cost-center", "1234"),
            ("enabled", "true")
        ]))
    );
    // Only reserved tags: the exact empty set of user tags.
    assert_eq!(
        desired_repository(&spec, "team-b/batch").tags,
        Some(Tags::new())
    );
    // No repository of the spec carries the ownership tag, so none becomes prunable.
    assert!(
        spec.desired.registries[0]
            .state
            .repositories
            .values()
            .all(|repository| !repository.is_owned())
    );
}

#[test]
fn settings_live_state_did_not_read_are_left_out() {
    let mut live = RegistryState::empty(registry_in(ACCOUNT));
    live.repositories.insert(
        name("partly/read"),
        RepositoryState {
            image_tag_mutability: Some(TagMutability::Immutable),
            image_tag_mutability_exclusions: Some(Vec::new()),
            scan_on_push: None,
            encryption: Some(Encryption::aes256()),
            tags: None,
            lifecycle_policy: Setting::Unmanaged,
            repository_policy: Setting::Absent,
            force_delete: false,
            image_count: None,
        },
    );
    let live = vec![live];
    let (exported, spec) = round_trip(&live, &inline());
    let entry = exported.spec.split("partly/read:").nth(1).unwrap();
    for key in ["scan_on_push", "tags", "lifecycle"] {
        assert!(!entry.contains(key), "{key}:\n{}", exported.spec);
    }
    let desired = desired_repository(&spec, "partly/read");
    assert_eq!(desired.scan_on_push, None);
    assert_eq!(desired.tags, None);
    assert_eq!(desired.lifecycle_policy, Setting::Unmanaged);
    assert_eq!(desired.repository_policy, Setting::Absent);
    assert!(!exported.spec.contains("image_tag_mutability_exclusions"));
}

#[test]
fn names_the_spec_rejects_are_skipped_with_a_comment() {
    let mut live = covering_registry();
    for raw in ["1legacy", "old__name"] {
        live.repositories
            .insert(name(raw), repository(TagMutability::Mutable, &[]));
    }
    let live = vec![live];
    let (exported, spec) = round_trip(&live, &inline());
    assert!(
        exported.spec.contains(
            "    # skipped 1legacy: repository name \"1legacy\" must start with a lowercase letter"
        ),
        "{}",
        exported.spec
    );
    assert!(exported.spec.contains("# skipped old__name: "));
    assert_eq!(exported.notes.len(), 2, "{:?}", exported.notes);
    assert!(exported.notes[0].starts_with(&format!("{ACCOUNT}/us-east-1: skipped 1legacy: ")));
    let plan = ecrform_plan::plan(&spec.desired, &live);
    let unmanaged: Vec<String> = plan.unmanaged.iter().map(ToString::to_string).collect();
    assert_eq!(
        unmanaged,
        [
            format!("{ACCOUNT}/us-east-1/repository/1legacy"),
            format!("{ACCOUNT}/us-east-1/repository/old__name"),
        ]
    );
}

#[test]
fn a_registry_whose_only_repositories_are_skipped_still_loads() {
    let mut live = RegistryState::empty(registry_in(ACCOUNT));
    live.repositories
        .insert(name("9lives"), repository(TagMutability::Mutable, &[]));
    let live = vec![live];
    let (exported, spec) = round_trip(&live, &inline());
    assert!(
        exported.spec.contains("  # skipped 9lives: ")
            && exported.spec.contains("  repositories: {}\n"),
        "{}",
        exported.spec
    );
    assert!(spec.desired.registries[0].state.repositories.is_empty());
}

#[test]
fn settings_the_spec_cannot_express_are_left_out_and_the_rest_is_kept() {
    let mut crowded = repository(
        TagMutability::ImmutableWithExclusion,
        &["a", "b", "c", "d", "e", "f"],
    );
    let many: Tags = (0..50).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    crowded.tags = Some(many);
    crowded.lifecycle_policy = Setting::Present(lifecycle(7));
    let mut shouting = repository(TagMutability::Mutable, &[]);
    // Not a reserved key to the planner, but one the spec refuses.
    shouting.tags = Some(tags([("AWS:Team", "a")]));
    // ECR's API has taken documents our lifecycle validation refuses (countUnit without a
    // since* count type).
    let mut refused = repository(TagMutability::Immutable, &[]);
    refused.lifecycle_policy =
        Setting::Present(lifecycle_policy(json!({"rules": [{"rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                          "countUnit": "days", "countNumber": 5},
            "action": {"type": "expire"}}]})));
    let mut live = RegistryState::empty(registry_in(ACCOUNT));
    live.repositories.insert(name("crowded"), crowded);
    live.repositories.insert(name("shouting"), shouting);
    live.repositories.insert(name("refused"), refused);
    let live = vec![live];

    for options in [inline(), policy_files()] {
        let (exported, spec) = round_trip(&live, &options);
        let comments: Vec<&str> = exported
            .spec
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with('#') && line.contains("left out (not managed)"))
            .collect();
        assert_eq!(comments.len(), 4, "{}", exported.spec);
        assert!(comments[0].starts_with(
            "# crowded: image_tag_mutability left out (not managed): image_tag_mutability_exclusions needs 1 to 5 filters, found 6"
        ), "{comments:?}");
        assert!(
            comments[1].starts_with("# crowded: tags left out (not managed): too many tags: 50")
        );
        assert!(
            comments[2]
                .starts_with("# refused: lifecycle left out (not managed): lifecycle policy"),
            "{comments:?}"
        );
        assert!(
            comments[3]
                .starts_with("# shouting: tags left out (not managed): tag key \"AWS:Team\"")
        );
        assert_eq!(
            desired_repository(&spec, "refused").lifecycle_policy,
            Setting::Unmanaged
        );
        assert_eq!(
            desired_repository(&spec, "refused").repository_policy,
            Setting::Absent
        );
        let crowded = desired_repository(&spec, "crowded");
        assert_eq!(crowded.image_tag_mutability, None);
        assert_eq!(crowded.tags, None);
        assert_eq!(crowded.lifecycle_policy, Setting::Present(lifecycle(7)));
        assert_eq!(crowded.scan_on_push, Some(false));
        assert_eq!(
            desired_repository(&spec, "shouting").image_tag_mutability,
            Some(TagMutability::Mutable)
        );
        assert_eq!(exported.notes.len(), 4, "{:?}", exported.notes);
    }
}

#[test]
fn a_registry_wide_setting_the_spec_refuses_is_left_out_whole() {
    let mut live = with_registry_wide(RegistryState::empty(registry_in(ACCOUNT)));
    if let Setting::Present(scanning) = &mut live.scanning {
        scanning.rules[0].filters.clear();
    }
    let live = vec![live];
    let (exported, spec) = round_trip(&live, &inline());
    assert!(
        exported.spec.contains(
            "  # scanning left out (not managed): a scanning rule needs at least one filter"
        ),
        "{}",
        exported.spec
    );
    let desired = &spec.desired.registries[0].state;
    assert_eq!(desired.scanning, Setting::Unmanaged);
    assert_eq!(desired.replication, live[0].replication);
}

#[test]
fn a_signing_configuration_of_no_rules_is_written_as_none() {
    let mut live = RegistryState::empty(registry_in(ACCOUNT));
    live.signing_configuration = Setting::Present(SigningConfiguration { rules: Vec::new() });
    let live = vec![live];
    let (exported, spec) = round_trip(&live, &inline());
    assert!(
        exported.spec.contains("  signing_configuration: none\n"),
        "{}",
        exported.spec
    );
    assert_eq!(
        spec.desired.registries[0].state.signing_configuration,
        Setting::Absent
    );
}

#[test]
fn a_signing_configuration_the_spec_refuses_is_left_out_whole() {
    let mut live = with_registry_wide(RegistryState::empty(registry_in(ACCOUNT)));
    if let Setting::Present(configuration) = &mut live.signing_configuration {
        configuration.rules[1].signing_profile_arn = signing_profile("every-thing");
    }
    let live = vec![live];
    let (exported, spec) = round_trip(&live, &inline());
    assert!(
        exported.notes.iter().any(|note| note.starts_with(&format!(
            "{ACCOUNT}/us-east-1: signing_configuration left out (not managed): \
             signing_profile_arn {:?} must be an AWS Signer signing profile ARN",
            signing_profile("every-thing")
        ))),
        "{:?}",
        exported.notes
    );
    let desired = &spec.desired.registries[0].state;
    assert_eq!(desired.signing_configuration, Setting::Unmanaged);
    assert_eq!(
        desired.pull_time_update_exclusions, live[0].pull_time_update_exclusions,
        "the other settings are still written"
    );
}

#[test]
fn the_header_names_the_tool_and_the_registries() {
    let live = [
        covering_registry(),
        RegistryState::empty(registry_id("210987654321/eu-west-1")),
    ];
    let exported = export(&live, &inline());
    let first = exported.spec.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "# Generated by `ecrform export` from registries {ACCOUNT}/us-east-1, {OTHER_ACCOUNT}/eu-west-1."
        )
    );
    assert!(exported.spec.contains("\nversion: 1\nregistries:\n"));
}

#[test]
fn no_registries_is_a_valid_empty_spec() {
    let (exported, spec) = round_trip(&[], &inline());
    assert!(
        exported.spec.contains("registries: []\n"),
        "{}",
        exported.spec
    );
    assert!(spec.desired.registries.is_empty());
}

#[test]
fn a_registry_listed_twice_is_exported_once() {
    let live = [
        covering_registry(),
        RegistryState::empty(registry_in(ACCOUNT)),
    ];
    let exported = export(&live, &inline());
    let spec = load_exported(&exported);
    assert_eq!(spec.desired.registries.len(), 1);
    assert_eq!(exported.notes.len(), 1, "{:?}", exported.notes);
    assert!(exported.notes[0].contains("listed more than once"));
}

#[test]
fn a_registry_policy_that_refuses_exported_replication_is_left_out() {
    let source = with_registry_wide(RegistryState::empty(registry_in(ACCOUNT)));
    let cases = [
        (
            "no policy",
            Setting::Absent,
            "live state has no registry policy, but replication from 012345678901/us-east-1 needs one allowing account 012345678901 ecr:CreateRepository and ecr:ReplicateImage",
        ),
        (
            "a policy for another account",
            Setting::Present(iam_policy(json!({"Statement": [{"Effect": "Allow",
                    "Principal": {"AWS": "111122223333"},
                    "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"]}]}))),
            "it does not allow account 012345678901 ecr:CreateRepository and ecr:ReplicateImage, which replication from 012345678901/us-east-1 needs",
        ),
    ];
    for (case, policy, reason) in cases {
        // with_registry_wide replicates to OTHER_ACCOUNT in us-east-1.
        let mut destination = RegistryState::empty(registry_in(OTHER_ACCOUNT));
        destination.registry_policy = policy;
        let live = vec![source.clone(), destination];
        let exported = export(&live, &inline());
        let note = format!("registry_policy left out (not managed): {reason}");
        assert_eq!(
            exported.notes,
            [format!("{OTHER_ACCOUNT}/us-east-1: {note}")],
            "{case}"
        );
        assert!(
            exported.spec.contains(&format!("  # {note}\n")),
            "{case}:\n{}",
            exported.spec
        );
        let spec = load_exported(&exported);
        let warnings: Vec<&str> = spec.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            warnings,
            [
                "replication to 210987654321/us-east-1 cannot be checked: that registry's registry_policy is not managed here, and it must allow account 012345678901 ecr:CreateRepository and ecr:ReplicateImage"
            ],
            "{case}"
        );
        assert!(
            ecrform_plan::plan(&spec.desired, &live).is_empty(),
            "{case}"
        );
    }

    // A policy that lets the source in is exported as usual.
    let mut destination = RegistryState::empty(registry_in(OTHER_ACCOUNT));
    destination.registry_policy =
        Setting::Present(iam_policy(json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": ACCOUNT}, "Action": "ecr:*"}]})));
    let (exported, _) = round_trip(&[source, destination], &inline());
    assert!(exported.notes.is_empty(), "{:?}", exported.notes);
}
