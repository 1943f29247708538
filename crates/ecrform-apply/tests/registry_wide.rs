//! Registry-wide settings planned and applied against in-memory registries: replication,
//! the registry policy, scanning, pull-through cache rules, creation templates, account
//! settings, the signing configuration and pull-time update exclusions, each created, changed
//! and removed, with ECR's way of reporting them back; the
//! cross-account order (a destination's policy before the source's replication); a second
//! apply that writes nothing; operations an endpoint does not implement; and stale saved plans.
//!
//! Every test runs on tokio's paused clock: latency costs no real time.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use ecrform_apply::{ApplyOptions, ApplyReport, ChangeOutcome};
use ecrform_model::{
    AccountSettingName, AccountSettings, AppliedFor, CreationTemplate, DesiredState, IamPolicy,
    Operation, PullThroughCacheRule, PullTimeUpdateExclusions, RegistryId, RegistryState,
    RegistryWideKind, Replication, ScanFrequency, ScanRule, ScanType, Setting,
    SigningConfiguration, SigningRule, TagMutability,
};
use ecrform_plan::{
    Action, Allowed, ApiCall, ErrorKind, Missing, Plan, ReadScope, Refusal, Registry, SavedPlan,
    TemplateChanges, plan,
};
use ecrform_testkit::fixtures::{
    DesiredBuilder, REGION, account_settings, address, by_prefix, cache_rule, destination,
    expire_untagged_after, iam_policy, registry_in, replication, replication_rule, scanning,
};
use ecrform_testkit::{InMemoryRegistry, ecr_error};

mod support;
use support::{outcome_of, outline};

const SOURCE: &str = "111111111111";
const DESTINATION: &str = "222222222222";
/// [`SOURCE`] and [`DESTINATION`] in [`REGION`], as addresses start.
const SOURCE_REGISTRY: &str = "111111111111/us-east-1";
const DESTINATION_REGISTRY: &str = "222222222222/us-east-1";
const SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf";

/// Two rules: team-a to another region and to the destination account, the rest to us-west-2.
fn two_rules() -> Replication {
    replication([
        replication_rule(
            &[(SOURCE, "eu-west-1"), (DESTINATION, REGION)],
            &["team-a/"],
        ),
        replication_rule(&[(SOURCE, "us-west-2")], &[]),
    ])
}

/// A destination's policy letting the source account replicate in, naming it by bare id
/// (which ECR rewrites to the root ARN).
fn replication_policy(actions: &[&str]) -> IamPolicy {
    iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "replicate", "Effect": "Allow",
                       "Principal": {"AWS": SOURCE},
                       "Action": actions,
                       "Resource": format!("arn:aws:ecr:{REGION}:{DESTINATION}:repository/*")}]
    }))
}

/// A pull policy for two accounts by bare id, which ECR stores as a list of root ARNs.
fn two_account_pull_policy() -> IamPolicy {
    iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "pull", "Effect": "Allow",
                       "Principal": {"AWS": [DESTINATION, "333333333333"]},
                       "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]
    }))
}

fn docker_hub() -> PullThroughCacheRule {
    cache_rule("registry-1.docker.io", Some(SECRET))
}

fn template() -> CreationTemplate {
    CreationTemplate {
        applied_for: vec![AppliedFor::Replication, AppliedFor::PullThroughCache],
        description: Some("cached and replicated repositories".to_owned()),
        image_tag_mutability: Some(TagMutability::Immutable),
        image_tag_mutability_exclusions: Vec::new(),
        encryption: None,
        resource_tags: BTreeMap::new(),
        lifecycle_policy: Some(expire_untagged_after(7)),
        repository_policy: Some(two_account_pull_policy()),
        custom_role_arn: None,
    }
}

/// The registry of `account`, managing what `edit` sets.
fn registry_state(account: &str, edit: impl FnOnce(&mut RegistryState)) -> RegistryState {
    let mut state = RegistryState::empty(registry_in(account));
    edit(&mut state);
    state
}

/// A spec of the source registry alone, managing what `edit` sets.
fn desired(edit: impl FnOnce(&mut RegistryState)) -> DesiredState {
    DesiredBuilder::new()
        .registry(registry_state(SOURCE, edit))
        .build()
}

fn options() -> ApplyOptions {
    ApplyOptions {
        parallelism: 8,
        propagation_attempts: 3,
        propagation_delay: Duration::from_millis(10),
        ..ApplyOptions::default()
    }
}

/// The registries of a test, by id.
type Registries = BTreeMap<RegistryId, Arc<InMemoryRegistry>>;

fn one(registry: InMemoryRegistry) -> Registries {
    BTreeMap::from([(registry.id().clone(), Arc::new(registry))])
}

/// Reads what each desired registry needs, as `ecrform plan` does, and plans.
async fn read_and_plan(desired: &DesiredState, registries: &Registries) -> Plan {
    let mut live = Vec::new();
    for registry in &desired.registries {
        let scope = ReadScope::for_desired(registry);
        let id = registry.state.id();
        live.push(registries[&id].read(&scope).await.unwrap());
    }
    plan(desired, &live)
}

async fn apply(plan: &Plan, registries: &Registries) -> ApplyReport {
    ecrform_apply::apply(plan, registries, &options()).await
}

/// Plans and applies, asserting that everything applied.
async fn converge(desired: &DesiredState, registries: &Registries) -> Plan {
    let planned = read_and_plan(desired, registries).await;
    let report = apply(&planned, registries).await;
    assert!(report.is_success(), "{report:?}");
    planned
}

/// Plans again and asserts that there is nothing to do and that applying writes nothing.
async fn assert_converged(desired: &DesiredState, registries: &Registries) {
    for registry in registries.values() {
        registry.clear_calls();
    }
    let again = read_and_plan(desired, registries).await;
    assert!(again.is_empty(), "{:?}", outline(&again));
    let report = apply(&again, registries).await;
    assert_eq!(report.writes, 0);
    for registry in registries.values() {
        assert_eq!(registry.write_count(), 0, "{}", registry.id());
    }
}

fn operations(registry: &InMemoryRegistry) -> Vec<Operation> {
    registry.calls().iter().map(|call| call.operation).collect()
}

#[tokio::test(start_paused = true)]
async fn multi_rule_replication_is_created_updated_and_cleared() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];

    let create = desired(|s| s.replication = Setting::Present(two_rules()));
    let planned = converge(&create, &registries).await;
    assert_eq!(
        outline(&planned),
        [(address(SOURCE_REGISTRY, "replication"), Action::Create)]
    );
    assert_eq!(operations(source), [Operation::PutReplicationConfiguration]);
    assert_eq!(source.state().replication, Setting::Present(two_rules()));
    assert_converged(&create, &registries).await;

    let update = desired(|s| {
        let mut replication = two_rules();
        replication.rules[1]
            .destinations
            .push(destination(SOURCE, "ap-south-1"));
        s.replication = Setting::Present(replication);
    });
    let planned = converge(&update, &registries).await;
    assert_eq!(
        outline(&planned),
        [(address(SOURCE_REGISTRY, "replication"), Action::Update)]
    );
    let ApiCall::PutReplicationConfiguration { rules } = &source.calls()[0].call else {
        panic!("{:?}", source.calls());
    };
    assert_eq!(rules.len(), 2, "the Put carries the whole configuration");
    assert_converged(&update, &registries).await;

    let clear = desired(|s| s.replication = Setting::Absent);
    let planned = converge(&clear, &registries).await;
    assert_eq!(
        outline(&planned),
        [(address(SOURCE_REGISTRY, "replication"), Action::Delete)]
    );
    assert!(planned.changes[0].destructive);
    assert_eq!(
        source.calls()[0].call,
        ApiCall::PutReplicationConfiguration { rules: Vec::new() }
    );
    // ECR reports an empty configuration, which is what `none` asks for.
    assert_eq!(
        source.state().replication,
        Setting::Present(Replication { rules: Vec::new() })
    );
    assert_converged(&clear, &registries).await;
}

#[tokio::test(start_paused = true)]
async fn registry_policy_is_created_updated_kept_when_rewritten_and_deleted() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];

    let create = desired(|s| {
        s.registry_policy = Setting::Present(replication_policy(&[
            "ecr:CreateRepository",
            "ecr:ReplicateImage",
        ]))
    });
    let planned = converge(&create, &registries).await;
    assert_eq!(
        outline(&planned),
        [(address(SOURCE_REGISTRY, "registry_policy"), Action::Create)]
    );
    let stored = source.state().registry_policy.present().cloned().unwrap();
    assert_eq!(
        stored.document()["Statement"][0]["Principal"]["AWS"],
        json!(format!("arn:aws:iam::{SOURCE}:root")),
        "ECR stores the root ARN"
    );
    // Read back rewritten, the policy still equals the spec's.
    assert_converged(&create, &registries).await;

    // The same policy with its actions in another order and a one-element principal list.
    let reordered = desired(|s| {
        let policy = iam_policy(json!({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "replicate", "Effect": "allow",
                           "Principal": {"AWS": [format!("arn:aws:iam::{SOURCE}:root")]},
                           "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
                           "Resource": [format!("arn:aws:ecr:{REGION}:{DESTINATION}:repository/*")]}]
        }));
        s.registry_policy = Setting::Present(policy);
    });
    assert_converged(&reordered, &registries).await;

    let update = desired(|s| s.registry_policy = Setting::Present(replication_policy(&["ecr:*"])));
    let planned = converge(&update, &registries).await;
    assert_eq!(
        outline(&planned),
        [(address(SOURCE_REGISTRY, "registry_policy"), Action::Update)]
    );
    assert_eq!(operations(source), [Operation::PutRegistryPolicy]);
    assert_converged(&update, &registries).await;

    let delete = desired(|s| s.registry_policy = Setting::Absent);
    let planned = converge(&delete, &registries).await;
    assert_eq!(
        outline(&planned),
        [(address(SOURCE_REGISTRY, "registry_policy"), Action::Delete)]
    );
    assert_eq!(operations(source), [Operation::DeleteRegistryPolicy]);
    assert_eq!(source.state().registry_policy, Setting::Absent);
    assert_converged(&delete, &registries).await;

    let error = source
        .call(&ApiCall::DeleteRegistryPolicy)
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind, error.code.as_str()),
        (
            ErrorKind::NotFound(Missing::RegistryPolicy),
            "RegistryPolicyNotFoundException"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn scanning_is_replaced_by_one_put() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    let enhanced = desired(|s| {
        s.scanning = Setting::Present(scanning(
            ScanType::Enhanced,
            &[
                (ScanFrequency::ContinuousScan, &["team-b/*", "team-a/*"]),
                (ScanFrequency::ScanOnPush, &["*"]),
            ],
        ))
    });
    let planned = converge(&enhanced, &registries).await;
    assert_eq!(
        outline(&planned),
        [(address(SOURCE_REGISTRY, "scanning"), Action::Update)]
    );
    assert_eq!(
        operations(source),
        [Operation::PutRegistryScanningConfiguration]
    );
    assert_converged(&enhanced, &registries).await;

    let error = source
        .call(&ApiCall::PutRegistryScanningConfiguration {
            scan_type: ScanType::Basic,
            rules: vec![ScanRule {
                frequency: ScanFrequency::ContinuousScan,
                filters: vec!["*".to_owned()],
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(error.code, "InvalidParameterException");
}

#[tokio::test(start_paused = true)]
async fn pull_through_cache_rules_are_created_updated_replaced_and_deleted() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    let with_rule = |rule: PullThroughCacheRule| {
        desired(|s| s.pull_through_cache = Some(by_prefix([("docker-hub", rule)])))
    };
    let rule_address = address(SOURCE_REGISTRY, "pull_through_cache/docker-hub");

    let create = with_rule(docker_hub());
    let planned = converge(&create, &registries).await;
    assert_eq!(outline(&planned), [(rule_address.clone(), Action::Create)]);
    let stored = &source.state().pull_through_cache.unwrap()["docker-hub"];
    assert_eq!(
        (
            stored.upstream_registry.as_deref(),
            stored.upstream_repository_prefix.as_deref()
        ),
        (Some("docker-hub"), Some("ROOT")),
        "ECR reports what it derived and defaulted"
    );
    assert_converged(&create, &registries).await;

    let mut rotated = docker_hub();
    rotated.credential_arn = Some(format!("{SECRET}-rotated"));
    let update = with_rule(rotated);
    let planned = converge(&update, &registries).await;
    assert_eq!(outline(&planned), [(rule_address.clone(), Action::Update)]);
    assert_eq!(planned.changes[0].fields, ["credential_arn"]);
    assert_eq!(operations(source), [Operation::UpdatePullThroughCacheRule]);
    assert_converged(&update, &registries).await;

    let mut moved = docker_hub();
    moved.upstream_url = "mirror.gcr.io".to_owned();
    let replace = with_rule(moved);
    let planned = converge(&replace, &registries).await;
    assert_eq!(outline(&planned), [(rule_address.clone(), Action::Replace)]);
    assert!(planned.changes[0].destructive);
    assert_eq!(
        operations(source),
        [
            Operation::DeletePullThroughCacheRule,
            Operation::CreatePullThroughCacheRule
        ]
    );
    assert_eq!(
        source.state().pull_through_cache.unwrap()["docker-hub"].upstream_url,
        "mirror.gcr.io"
    );
    assert_converged(&replace, &registries).await;

    let delete = desired(|s| s.pull_through_cache = Some(BTreeMap::new()));
    let planned = converge(&delete, &registries).await;
    assert_eq!(outline(&planned), [(rule_address, Action::Delete)]);
    assert_eq!(operations(source), [Operation::DeletePullThroughCacheRule]);
    assert!(source.state().pull_through_cache.unwrap().is_empty());
    assert_converged(&delete, &registries).await;
}

#[tokio::test(start_paused = true)]
async fn pull_through_cache_writes_answer_with_ecr_codes() {
    let registry = InMemoryRegistry::new(registry_in(SOURCE));
    let create = ApiCall::CreatePullThroughCacheRule {
        prefix: "docker-hub".to_owned(),
        rule: docker_hub(),
    };
    registry.call(&create).await.unwrap();
    let cases = [
        (
            create,
            ErrorKind::AlreadyExists,
            "PullThroughCacheRuleAlreadyExistsException",
        ),
        (
            ApiCall::UpdatePullThroughCacheRule {
                prefix: "quay".to_owned(),
                credential_arn: Some(SECRET.to_owned()),
                custom_role_arn: None,
            },
            ErrorKind::NotFound(Missing::PullThroughCacheRule),
            "PullThroughCacheRuleNotFoundException",
        ),
        (
            ApiCall::DeletePullThroughCacheRule {
                prefix: "quay".to_owned(),
            },
            ErrorKind::NotFound(Missing::PullThroughCacheRule),
            "PullThroughCacheRuleNotFoundException",
        ),
    ];
    for (call, kind, code) in cases {
        let before = registry.state();
        let error = registry.call(&call).await.unwrap_err();
        assert_eq!((error.kind, error.code.as_str()), (kind, code), "{call:?}");
        assert_eq!(registry.state(), before, "a refused write changes nothing");
    }
}

#[tokio::test(start_paused = true)]
async fn creation_templates_are_created_updated_and_deleted() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    let with_templates = |entries: Vec<(&str, CreationTemplate)>| {
        desired(|s| {
            s.creation_templates = Some(
                entries
                    .into_iter()
                    .map(|(prefix, template)| (prefix.to_owned(), template))
                    .collect(),
            )
        })
    };

    let create = with_templates(vec![("ROOT", template())]);
    let planned = converge(&create, &registries).await;
    assert_eq!(
        outline(&planned),
        [(
            address(SOURCE_REGISTRY, "creation_template/ROOT"),
            Action::Create
        )]
    );
    let stored = source.state().creation_templates.unwrap()["ROOT"].clone();
    assert_eq!(
        stored.repository_policy.as_ref().unwrap().document()["Statement"][0]["Principal"]["AWS"],
        json!([
            format!("arn:aws:iam::{DESTINATION}:root"),
            "arn:aws:iam::333333333333:root"
        ]),
        "ECR stores the template's policy rewritten"
    );
    assert_converged(&create, &registries).await;

    // The same template with its policy's statement written in another order.
    let mut reordered = template();
    reordered.repository_policy = Some(iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [{"Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                       "Principal": {"AWS": ["333333333333", DESTINATION]},
                       "Effect": "Allow", "Sid": "pull"}]
    })));
    reordered.applied_for.reverse();
    assert_converged(&with_templates(vec![("ROOT", reordered)]), &registries).await;

    let mut longer = template();
    longer.lifecycle_policy = Some(expire_untagged_after(30));
    let update = with_templates(vec![("ROOT", longer)]);
    let planned = converge(&update, &registries).await;
    assert_eq!(
        outline(&planned),
        [(
            address(SOURCE_REGISTRY, "creation_template/ROOT"),
            Action::Update
        )]
    );
    assert_eq!(planned.changes[0].fields, ["lifecycle_policy"]);
    assert_eq!(
        source.calls()[0].call,
        ApiCall::UpdateRepositoryCreationTemplate {
            prefix: "ROOT".to_owned(),
            changes: TemplateChanges {
                lifecycle_policy: Some(expire_untagged_after(30).to_compact_json()),
                ..TemplateChanges::default()
            },
        },
        "only the lifecycle policy is sent"
    );
    assert_eq!(
        source.state().creation_templates.unwrap()["ROOT"].description,
        template().description,
        "what the update does not send stays"
    );
    assert_converged(&update, &registries).await;

    let delete = with_templates(Vec::new());
    let planned = converge(&delete, &registries).await;
    assert_eq!(
        outline(&planned),
        [(
            address(SOURCE_REGISTRY, "creation_template/ROOT"),
            Action::Delete
        )]
    );
    assert_eq!(
        operations(source),
        [Operation::DeleteRepositoryCreationTemplate]
    );
    assert_converged(&delete, &registries).await;

    let create_call = ApiCall::CreateRepositoryCreationTemplate {
        prefix: "team-a".to_owned(),
        template: template(),
    };
    source.call(&create_call).await.unwrap();
    let error = source.call(&create_call).await.unwrap_err();
    assert_eq!(error.code, "TemplateAlreadyExistsException");
    let error = source
        .call(&ApiCall::DeleteRepositoryCreationTemplate {
            prefix: "missing".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind, error.code.as_str()),
        (
            ErrorKind::NotFound(Missing::CreationTemplate),
            "TemplateNotFoundException"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn account_settings_update_only_the_named_ones() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    source.edit_state(|state| {
        let settings = state.account_settings.get_or_insert_default();
        settings.insert(AccountSettingName::RegistryPolicyScope, "V1".to_owned());
        settings.insert(AccountSettingName::BlobMounting, "ENABLED".to_owned());
    });
    let spec = desired(|s| {
        s.account_settings = Some(account_settings([
            (AccountSettingName::RegistryPolicyScope, "V2"),
            (AccountSettingName::BasicScanTypeVersion, "AWS_NATIVE"),
        ]))
    });
    let planned = converge(&spec, &registries).await;
    assert_eq!(
        outline(&planned),
        [(
            address(SOURCE_REGISTRY, "account_setting/REGISTRY_POLICY_SCOPE"),
            Action::Update
        )]
    );
    assert_eq!(
        (
            planned.changes[0].before.clone(),
            planned.changes[0].after.clone()
        ),
        (Some(json!("V1")), Some(json!("V2")))
    );
    assert_eq!(operations(source), [Operation::PutAccountSetting]);
    let settings = source.state().account_settings.unwrap();
    assert_eq!(settings[&AccountSettingName::RegistryPolicyScope], "V2");
    assert_eq!(
        settings[&AccountSettingName::BlobMounting],
        "ENABLED",
        "a setting the spec does not name is untouched"
    );
    assert_converged(&spec, &registries).await;
}

const RELEASE_PROFILE: &str = "arn:aws:signer:us-east-1:111111111111:/signing-profiles/release";
const DEV_PROFILE: &str = "arn:aws:signer:us-east-1:111111111111:/signing-profiles/dev_builds";
const SCANNER: &str = "arn:aws:iam::111111111111:role/security/scanner";
const MIRROR: &str = "arn:aws:iam::111111111111:user/mirror";

fn signing(rules: &[(&str, &[&str])]) -> SigningConfiguration {
    SigningConfiguration {
        rules: rules
            .iter()
            .map(|(profile, filters)| SigningRule {
                signing_profile_arn: (*profile).to_owned(),
                repository_filters: filters.iter().map(|f| (*f).to_owned()).collect(),
            })
            .collect(),
    }
}

fn exclusions(principals: &[&str]) -> Option<PullTimeUpdateExclusions> {
    Some(principals.iter().copied().collect())
}

fn exclusion_address(principal: &str) -> String {
    address(
        SOURCE_REGISTRY,
        &format!("pull_time_update_exclusion/{principal}"),
    )
}

#[tokio::test(start_paused = true)]
async fn a_signing_configuration_is_created_updated_and_deleted() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    let address = address(SOURCE_REGISTRY, "signing_configuration");

    let create = desired(|s| {
        s.signing_configuration = Setting::Present(signing(&[
            (RELEASE_PROFILE, &["team-b/*", "team-a/*"]),
            (DEV_PROFILE, &[]),
        ]))
    });
    let planned = converge(&create, &registries).await;
    assert_eq!(outline(&planned), [(address.clone(), Action::Create)]);
    assert_eq!(operations(source), [Operation::PutSigningConfiguration]);
    assert!(source.state().signing_configuration.present().is_some());
    assert_converged(&create, &registries).await;

    // The same rules and filters in another order are the same configuration.
    let reordered = desired(|s| {
        s.signing_configuration = Setting::Present(signing(&[
            (DEV_PROFILE, &[]),
            (RELEASE_PROFILE, &["team-a/*", "team-b/*", "team-a/*"]),
        ]))
    });
    assert_converged(&reordered, &registries).await;

    let update = desired(|s| {
        s.signing_configuration = Setting::Present(signing(&[(RELEASE_PROFILE, &["team-a/*"])]))
    });
    let planned = converge(&update, &registries).await;
    assert_eq!(outline(&planned), [(address.clone(), Action::Update)]);
    assert_eq!(
        source.calls()[0].call,
        ApiCall::PutSigningConfiguration {
            rules: signing(&[(RELEASE_PROFILE, &["team-a/*"])]).rules
        },
        "the Put carries the whole configuration"
    );
    assert_eq!(
        source.state().signing_configuration,
        Setting::Present(signing(&[(RELEASE_PROFILE, &["team-a/*"])]))
    );
    assert_converged(&update, &registries).await;

    let delete = desired(|s| s.signing_configuration = Setting::Absent);
    let planned = read_and_plan(&delete, &registries).await;
    assert_eq!(outline(&planned), [(address.clone(), Action::Delete)]);
    assert!(planned.changes[0].destructive);
    assert!(
        matches!(
            planned.refusals(&Allowed::default()).as_slice(),
            [Refusal::Deletes(addresses)] if addresses[0].to_string() == address
        ),
        "a delete needs --allow-delete"
    );
    assert!(apply(&planned, &registries).await.is_success());
    assert_eq!(operations(source), [Operation::DeleteSigningConfiguration]);
    assert_eq!(source.state().signing_configuration, Setting::Absent);
    assert_converged(&delete, &registries).await;
    // A spec of no rules asks for what `none` asks for: nothing to do now.
    let no_rules = desired(|s| s.signing_configuration = Setting::Present(signing(&[])));
    assert_converged(&no_rules, &registries).await;
}

#[tokio::test(start_paused = true)]
async fn pull_time_update_exclusions_are_registered_and_deregistered() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];

    let both = desired(|s| s.pull_time_update_exclusions = exclusions(&[SCANNER, MIRROR]));
    let planned = converge(&both, &registries).await;
    assert_eq!(
        outline(&planned),
        [
            (exclusion_address(SCANNER), Action::Create),
            (exclusion_address(MIRROR), Action::Create),
        ]
    );
    assert_eq!(
        operations(source),
        [
            Operation::RegisterPullTimeUpdateExclusion,
            Operation::RegisterPullTimeUpdateExclusion
        ]
    );
    assert_eq!(
        source.state().pull_time_update_exclusions,
        exclusions(&[SCANNER, MIRROR])
    );
    assert_converged(&both, &registries).await;

    let scanner_only = desired(|s| s.pull_time_update_exclusions = exclusions(&[SCANNER]));
    let planned = read_and_plan(&scanner_only, &registries).await;
    assert_eq!(
        outline(&planned),
        [(exclusion_address(MIRROR), Action::Delete)]
    );
    assert!(planned.changes[0].destructive);
    assert!(!planned.refusals(&Allowed::default()).is_empty());
    assert!(apply(&planned, &registries).await.is_success());
    assert_eq!(
        source.calls()[0].call,
        ApiCall::DeregisterPullTimeUpdateExclusion {
            principal_arn: MIRROR.to_owned()
        }
    );
    assert_converged(&scanner_only, &registries).await;

    // `none` is the empty set.
    let none = desired(|s| s.pull_time_update_exclusions = exclusions(&[]));
    let planned = converge(&none, &registries).await;
    assert_eq!(
        outline(&planned),
        [(exclusion_address(SCANNER), Action::Delete)]
    );
    assert_eq!(
        source.state().pull_time_update_exclusions,
        Some(PullTimeUpdateExclusions::new())
    );
    assert_converged(&none, &registries).await;
}

#[tokio::test(start_paused = true)]
async fn signing_and_exclusion_writes_answer_with_ecr_codes() {
    let registry = InMemoryRegistry::new(registry_in(SOURCE));
    let register = ApiCall::RegisterPullTimeUpdateExclusion {
        principal_arn: SCANNER.to_owned(),
    };
    registry.call(&register).await.unwrap();
    let cases = [
        (
            ApiCall::DeleteSigningConfiguration,
            ErrorKind::NotFound(Missing::SigningConfiguration),
            "SigningConfigurationNotFoundException",
        ),
        (
            register,
            ErrorKind::AlreadyExists,
            "ExclusionAlreadyExistsException",
        ),
        (
            ApiCall::DeregisterPullTimeUpdateExclusion {
                principal_arn: MIRROR.to_owned(),
            },
            ErrorKind::NotFound(Missing::PullTimeUpdateExclusion),
            "ExclusionNotFoundException",
        ),
    ];
    for (call, kind, code) in cases {
        let before = registry.state();
        let error = registry.call(&call).await.unwrap_err();
        assert_eq!((error.kind, error.code.as_str()), (kind, code), "{call:?}");
        assert_eq!(registry.state(), before, "a refused write changes nothing");
    }
}

/// The removal phase: a principal swapped for another is deregistered only once its
/// successor is registered, so that a failed apply never leaves neither excluded.
#[tokio::test(start_paused = true)]
async fn an_exclusion_that_left_the_spec_is_kept_when_its_successor_failed() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    converge(
        &desired(|s| s.pull_time_update_exclusions = exclusions(&[MIRROR])),
        &registries,
    )
    .await;
    source.fail_next(
        Operation::RegisterPullTimeUpdateExclusion,
        ecr_error::throttled(),
        1,
    );
    let swapped = desired(|s| s.pull_time_update_exclusions = exclusions(&[SCANNER]));
    let planned = read_and_plan(&swapped, &registries).await;
    assert_eq!(
        outline(&planned),
        [
            (exclusion_address(SCANNER), Action::Create),
            (exclusion_address(MIRROR), Action::Delete),
        ]
    );
    let report = apply(&planned, &registries).await;
    assert!(matches!(
        outcome_of(&report, &exclusion_address(SCANNER)),
        ChangeOutcome::Failed { .. }
    ));
    assert!(matches!(
        outcome_of(&report, &exclusion_address(MIRROR)),
        ChangeOutcome::Skipped { .. }
    ));
    assert_eq!(
        source.state().pull_time_update_exclusions,
        exclusions(&[MIRROR])
    );
    assert_eq!(converge(&swapped, &registries).await.changes.len(), 2);
    assert_converged(&swapped, &registries).await;
}

/// A source that replicates into the destination account, and a destination whose policy
/// lets it in; the destination answers slowly, so that anything not waiting for its policy
/// would be answered first.
fn cross_account() -> (DesiredState, Registries) {
    let desired = DesiredBuilder::new()
        .registry(registry_state(SOURCE, |s| {
            s.replication = Setting::Present(two_rules());
            s.scanning = Setting::Present(scanning(ScanType::Enhanced, &[]));
        }))
        .registry(registry_state(DESTINATION, |s| {
            s.registry_policy = Setting::Present(replication_policy(&[
                "ecr:CreateRepository",
                "ecr:ReplicateImage",
            ]))
        }))
        .build();
    let registries = BTreeMap::from([
        (
            registry_in(SOURCE),
            Arc::new(
                InMemoryRegistry::new(registry_in(SOURCE)).with_latency(Duration::from_millis(5)),
            ),
        ),
        (
            registry_in(DESTINATION),
            Arc::new(
                InMemoryRegistry::new(registry_in(DESTINATION))
                    .with_latency(Duration::from_millis(100)),
            ),
        ),
    ]);
    (desired, registries)
}

#[tokio::test(start_paused = true)]
async fn a_destination_policy_is_applied_before_the_sources_replication() {
    let (desired, registries) = cross_account();
    let planned = read_and_plan(&desired, &registries).await;
    assert_eq!(
        outline(&planned),
        [
            (address(SOURCE_REGISTRY, "replication"), Action::Create),
            (address(SOURCE_REGISTRY, "scanning"), Action::Update),
            (
                address(DESTINATION_REGISTRY, "registry_policy"),
                Action::Create
            ),
        ],
        "registries in order; the executor, not the plan, puts policies first"
    );
    let report = apply(&planned, &registries).await;
    assert!(report.is_success(), "{report:?}");
    let policy_written = registries[&registry_in(DESTINATION)].calls()[0].at;
    let replication_written = registries[&registry_in(SOURCE)]
        .calls()
        .iter()
        .find(|call| call.operation == Operation::PutReplicationConfiguration)
        .unwrap()
        .at;
    assert!(
        policy_written < replication_written,
        "the replication was written before the destination's policy"
    );
    assert_converged(&desired, &registries).await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_destination_policy_skips_the_replication_into_it() {
    let (desired, registries) = cross_account();
    let (source, destination) = (
        &registries[&registry_in(SOURCE)],
        &registries[&registry_in(DESTINATION)],
    );
    destination.fail_next(
        Operation::PutRegistryPolicy,
        ecr_error::access_denied(Operation::PutRegistryPolicy),
        1,
    );
    let report = apply(&read_and_plan(&desired, &registries).await, &registries).await;

    let policy = address(DESTINATION_REGISTRY, "registry_policy");
    assert!(matches!(
        outcome_of(&report, &policy),
        ChangeOutcome::Failed { operation, .. } if *operation == Operation::PutRegistryPolicy
    ));
    match outcome_of(&report, &address(SOURCE_REGISTRY, "replication")) {
        ChangeOutcome::Skipped { reason } => {
            assert!(
                reason.contains(&policy),
                "the skip names the policy: {reason}"
            )
        }
        other => panic!("expected the replication to be skipped, got {other:?}"),
    }
    assert_eq!(source.call_count(Operation::PutReplicationConfiguration), 0);
    assert_eq!(
        outcome_of(&report, &address(SOURCE_REGISTRY, "scanning")),
        &ChangeOutcome::Applied,
        "what does not depend on the policy still applies"
    );

    let rerun = read_and_plan(&desired, &registries).await;
    assert_eq!(
        outline(&rerun),
        [
            (address(SOURCE_REGISTRY, "replication"), Action::Create),
            (
                address(DESTINATION_REGISTRY, "registry_policy"),
                Action::Create
            ),
        ]
    );
    assert!(apply(&rerun, &registries).await.is_success());
    assert_converged(&desired, &registries).await;
}

#[tokio::test(start_paused = true)]
async fn everything_registry_wide_converges_in_one_apply_and_a_second_writes_nothing() {
    let registries =
        one(InMemoryRegistry::new(registry_in(SOURCE)).with_latency(Duration::from_millis(1)));
    let spec = desired(|s| {
        s.replication = Setting::Present(two_rules());
        s.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]));
        s.scanning = Setting::Present(scanning(
            ScanType::Enhanced,
            &[(ScanFrequency::ScanOnPush, &["*"])],
        ));
        s.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub())]));
        s.creation_templates = Some(by_prefix([("ROOT", template())]));
        s.account_settings = Some(account_settings([(
            AccountSettingName::BasicScanTypeVersion,
            "CLAIR",
        )]));
        s.signing_configuration = Setting::Present(signing(&[(RELEASE_PROFILE, &["team-a/*"])]));
        s.pull_time_update_exclusions = exclusions(&[SCANNER]);
    });
    let planned = converge(&spec, &registries).await;
    assert_eq!(planned.changes.len(), 8, "{:?}", outline(&planned));
    assert_converged(&spec, &registries).await;
}

/// Every registry-wide create ECR refuses as existing and every delete it refuses as missing,
/// with its first answer lost: each is found applied, and nothing is left to do.
#[tokio::test(start_paused = true)]
async fn registry_wide_creates_and_deletes_whose_answers_were_lost_are_found_applied() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    let creates = desired(|s| {
        s.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub())]));
        s.creation_templates = Some(by_prefix([("ROOT", template())]));
        s.pull_time_update_exclusions = exclusions(&[SCANNER]);
        s.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]));
        s.signing_configuration = Setting::Present(signing(&[(RELEASE_PROFILE, &["team-a/*"])]));
    });
    let deletes = desired(|s| {
        s.pull_through_cache = Some(BTreeMap::new());
        s.creation_templates = Some(BTreeMap::new());
        s.pull_time_update_exclusions = exclusions(&[]);
        s.registry_policy = Setting::Absent;
        s.signing_configuration = Setting::Absent;
    });
    for (spec, operations) in [
        (
            &creates,
            [
                Operation::CreatePullThroughCacheRule,
                Operation::CreateRepositoryCreationTemplate,
                Operation::RegisterPullTimeUpdateExclusion,
            ]
            .as_slice(),
        ),
        (
            &deletes,
            [
                Operation::DeletePullThroughCacheRule,
                Operation::DeleteRepositoryCreationTemplate,
                Operation::DeregisterPullTimeUpdateExclusion,
                Operation::DeleteRegistryPolicy,
                Operation::DeleteSigningConfiguration,
            ]
            .as_slice(),
        ),
    ] {
        for operation in operations {
            source.lose_response_next(*operation, 1);
        }
        let planned = read_and_plan(spec, &registries).await;
        let report = apply(&planned, &registries).await;
        assert!(report.is_success(), "{report:?}");
        assert_eq!(report.found(), operations.len(), "{report:?}");
        assert_converged(spec, &registries).await;
    }
}

/// Regression guard for the removal phase: renaming a cache prefix whose new rule cannot be
/// created must not leave the registry with neither rule.
#[tokio::test(start_paused = true)]
async fn a_rule_that_left_the_spec_is_kept_when_its_replacement_failed() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    source
        .call(&ApiCall::CreatePullThroughCacheRule {
            prefix: "docker-hub".to_owned(),
            rule: docker_hub(),
        })
        .await
        .unwrap();
    source.fail_next(
        Operation::CreatePullThroughCacheRule,
        ecr_error::throttled(),
        1,
    );
    let renamed = desired(|s| s.pull_through_cache = Some(by_prefix([("hub", docker_hub())])));
    let report = apply(&read_and_plan(&renamed, &registries).await, &registries).await;
    assert!(matches!(
        outcome_of(
            &report,
            &address(SOURCE_REGISTRY, "pull_through_cache/docker-hub")
        ),
        ChangeOutcome::Skipped { .. }
    ));
    assert!(
        source
            .state()
            .pull_through_cache
            .unwrap()
            .contains_key("docker-hub")
    );
    assert!(converge(&renamed, &registries).await.changes.len() == 2);
    assert_converged(&renamed, &registries).await;
}

#[tokio::test(start_paused = true)]
async fn operations_marked_unsupported_fail_with_unsupported() {
    // As against the local emulator: reading pull-through cache rules fails the read.
    let emulator_like = InMemoryRegistry::new(registry_in(SOURCE)).with_emulator_gaps();
    let spec = desired(|s| s.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub())])));
    let error = emulator_like
        .read(&ReadScope::for_desired(&spec.registries[0]))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ErrorKind::UnsupportedSetting(RegistryWideKind::PullThroughCache)
    );
    assert!(
        error.message.contains("DescribePullThroughCacheRules"),
        "{error}"
    );
    let unmanaged = desired(|s| s.scanning = Setting::Present(scanning(ScanType::Basic, &[])));
    assert!(
        emulator_like
            .read(&ReadScope::for_desired(&unmanaged.registries[0]))
            .await
            .is_ok(),
        "a spec that does not manage them never needs them"
    );

    // Every setting the emulator lacks fails the read the same way, naming the setting.
    for kind in ecrform_testkit::EMULATOR_UNSUPPORTED {
        let spec = desired(|s| match kind {
            RegistryWideKind::SigningConfiguration => {
                s.signing_configuration = Setting::Present(signing(&[(RELEASE_PROFILE, &[])]))
            }
            RegistryWideKind::PullTimeUpdateExclusions => {
                s.pull_time_update_exclusions = exclusions(&[SCANNER])
            }
            RegistryWideKind::PullThroughCache => s.pull_through_cache = Some(BTreeMap::new()),
            RegistryWideKind::CreationTemplates => s.creation_templates = Some(BTreeMap::new()),
            RegistryWideKind::AccountSettings => {
                s.account_settings = Some(AccountSettings::from([(
                    AccountSettingName::BlobMounting,
                    "ENABLED".to_owned(),
                )]))
            }
            other => panic!("the emulator implements {other}"),
        });
        let error = emulator_like
            .read(&ReadScope::for_desired(&spec.registries[0]))
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::UnsupportedSetting(kind));
        assert!(
            error.message.contains(kind.read_operation().as_str()),
            "{error}"
        );
        assert!(
            error
                .hint
                .as_deref()
                .unwrap_or_default()
                .contains(kind.spec_key()),
            "{error:?}"
        );
    }
    let writes = InMemoryRegistry::new(registry_in(SOURCE)).with_emulator_gaps();
    for call in [
        ApiCall::PutSigningConfiguration {
            rules: signing(&[(RELEASE_PROFILE, &[])]).rules,
        },
        ApiCall::RegisterPullTimeUpdateExclusion {
            principal_arn: SCANNER.to_owned(),
        },
    ] {
        let error = writes.call(&call).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Unsupported, "{call:?}");
    }

    // A write the endpoint lacks fails its change with Unsupported; the rest applies.
    let registry = InMemoryRegistry::new(registry_in(SOURCE));
    registry.mark_unsupported(Operation::PutAccountSetting);
    let registries = one(registry);
    let spec = desired(|s| {
        s.account_settings = Some(account_settings([(
            AccountSettingName::BlobMounting,
            "ENABLED",
        )]));
        s.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]));
    });
    let report = apply(&read_and_plan(&spec, &registries).await, &registries).await;
    match outcome_of(
        &report,
        &address(SOURCE_REGISTRY, "account_setting/BLOB_MOUNTING"),
    ) {
        ChangeOutcome::Failed { operation, error } => {
            assert_eq!(*operation, Operation::PutAccountSetting);
            assert_eq!(error.kind, ErrorKind::Unsupported);
        }
        other => panic!("expected the account setting to fail, got {other:?}"),
    }
    assert_eq!(
        outcome_of(&report, &address(SOURCE_REGISTRY, "registry_policy")),
        &ChangeOutcome::Applied
    );
}

#[tokio::test(start_paused = true)]
async fn a_saved_plan_is_stale_when_the_registry_policy_changed_out_of_band() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    let spec = desired(|s| {
        s.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]))
    });
    let scope = ReadScope::for_desired(&spec.registries[0]);
    let planned = read_and_plan(&spec, &registries).await;
    let saved = SavedPlan::new(&planned, &spec, "ecr.yaml", "0.1.0");
    let saved = SavedPlan::from_json(&saved.to_json(), "0.1.0").unwrap();

    let live = source.read(&scope).await.unwrap();
    assert!(saved.stale_addresses(&[live]).is_empty());

    source.edit_state(|state| {
        state.registry_policy = Setting::Present(replication_policy(&["ecr:CreateRepository"]))
    });
    let live = source.read(&scope).await.unwrap();
    let stale: Vec<String> = saved
        .stale_addresses(&[live])
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(stale, [address(SOURCE_REGISTRY, "registry_policy")]);
}

#[tokio::test(start_paused = true)]
async fn a_saved_plan_is_stale_when_an_exclusion_changed_out_of_band() {
    let registries = one(InMemoryRegistry::new(registry_in(SOURCE)));
    let source = &registries[&registry_in(SOURCE)];
    converge(
        &desired(|s| {
            s.pull_time_update_exclusions = exclusions(&[MIRROR]);
            s.signing_configuration = Setting::Present(signing(&[(DEV_PROFILE, &[])]));
        }),
        &registries,
    )
    .await;
    let spec = desired(|s| {
        s.pull_time_update_exclusions = exclusions(&[]);
        s.signing_configuration = Setting::Present(signing(&[(RELEASE_PROFILE, &[])]));
    });
    let scope = ReadScope::for_desired(&spec.registries[0]);
    let planned = read_and_plan(&spec, &registries).await;
    let saved = SavedPlan::new(&planned, &spec, "ecr.yaml", "0.1.0");
    let saved = SavedPlan::from_json(&saved.to_json(), "0.1.0").unwrap();
    assert!(
        saved
            .stale_addresses(&[source.read(&scope).await.unwrap()])
            .is_empty()
    );

    // Someone deregisters the exclusion and changes the signing profile by hand.
    source.edit_state(|state| {
        state.pull_time_update_exclusions = Some(PullTimeUpdateExclusions::new());
        state.signing_configuration = Setting::Present(signing(&[(DEV_PROFILE, &["x*"])]));
    });
    let stale: Vec<String> = saved
        .stale_addresses(&[source.read(&scope).await.unwrap()])
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        stale,
        [
            address(SOURCE_REGISTRY, "signing_configuration"),
            exclusion_address(MIRROR)
        ]
    );
}
