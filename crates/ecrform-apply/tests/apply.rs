//! The planner and the apply executor together, against the in-memory registry: what `plan`
//! then `apply` does to a registry, what happens when calls fail, and that a second run
//! converges. They live here, with the executor, rather than in ecrform-plan, whose tests
//! stop at the plan.
//!
//! Every test runs on tokio's paused clock: latency and retry backoff cost no real time, and
//! no assertion depends on timing.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ecrform_apply::{ApplyOptions, ApplyReport, ChangeOutcome};
use ecrform_model::{
    DesiredState, Encryption, EncryptionType, OWNERSHIP_TAG_KEY, OWNERSHIP_TAG_VALUE, Operation,
    RepositoryState, Setting, TagMutability,
};
use ecrform_plan::{Action, ErrorKind, Plan, ReadScope, Registry, plan};
use ecrform_testkit::fixtures::{
    DesiredBuilder, OTHER_ACCOUNT, REGISTRY, RegistryBuilder, RepositoryBuilder, address,
    expire_untagged_after, kms, name, pull_policy, registry_id,
};
use ecrform_testkit::{InMemoryRegistry, ecr_error};

mod support;
use support::{outcome_of, outline};

/// A repository whose every setting the spec manages, with both policies. The pull policy
/// names the account by its bare id, which ECR rewrites to the root ARN: the planner must
/// still see it as unchanged.
fn managed_repository(team: &str) -> RepositoryState {
    RepositoryBuilder::new()
        .mutability(TagMutability::Immutable)
        .no_exclusions()
        .scan_on_push(true)
        .encryption(Encryption::aes256())
        .tags([("team", team), ("env", "prod")])
        .lifecycle_policy(expire_untagged_after(14))
        .repository_policy(pull_policy(OTHER_ACCOUNT))
        .build()
}

/// A repository of which the spec manages only the tag mutability: one call to create.
fn mutability_only() -> RepositoryState {
    RepositoryBuilder::new()
        .mutability(TagMutability::Immutable)
        .no_exclusions()
        .build()
}

/// A repository created by ecrform earlier: it carries the ownership tag.
fn owned_repository() -> RepositoryState {
    RepositoryBuilder::new().owned().build()
}

/// The spec of the one registry under test: these repositories, and whether it prunes.
fn desired(prune: bool, repositories: Vec<(&str, RepositoryState)>) -> DesiredState {
    DesiredBuilder::new()
        .registry(RegistryBuilder::new(registry_id(REGISTRY)).repositories(repositories))
        .prune(prune)
        .build()
}

fn options(parallelism: usize) -> ApplyOptions {
    ApplyOptions {
        parallelism,
        propagation_attempts: 6,
        propagation_delay: Duration::from_millis(10),
        ..ApplyOptions::default()
    }
}

/// Reads what `desired` needs from the registry and plans against it, as `ecrform plan` does.
async fn read_and_plan(desired: &DesiredState, registry: &InMemoryRegistry) -> Plan {
    let scope = ReadScope::for_desired(&desired.registries[0]);
    let live = registry.read(&scope).await.unwrap();
    plan(desired, &[live])
}

async fn apply_with(
    plan: &Plan,
    registry: &Arc<InMemoryRegistry>,
    options: &ApplyOptions,
) -> ApplyReport {
    let registries = BTreeMap::from([(registry_id(REGISTRY), Arc::clone(registry))]);
    ecrform_apply::apply(plan, &registries, options).await
}

/// `(address, status)` of every result of a report.
fn statuses(report: &ApplyReport) -> Vec<(String, &'static str)> {
    report
        .results
        .iter()
        .map(|result| {
            let status = match result.outcome {
                ChangeOutcome::Applied => "applied",
                ChangeOutcome::Found { .. } => "found",
                ChangeOutcome::Failed { .. } => "failed",
                ChangeOutcome::Skipped { .. } => "skipped",
            };
            (result.address.to_string(), status)
        })
        .collect()
}

/// Plans again and asserts there is nothing left to do.
async fn assert_converged(desired: &DesiredState, registry: &InMemoryRegistry) {
    let again = read_and_plan(desired, registry).await;
    assert_eq!(
        outline(&again),
        Vec::new(),
        "a converged registry plans nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn empty_registry_is_created_in_one_apply_and_a_second_apply_writes_nothing() {
    let desired = desired(
        false,
        vec![
            ("team-a/api", managed_repository("a")),
            ("team-b/web", managed_repository("b")),
        ],
    );
    let registry = Arc::new(InMemoryRegistry::new(registry_id(REGISTRY)));

    let first = read_and_plan(&desired, &registry).await;
    assert_eq!(first.summary.create, 6, "{:?}", outline(&first));
    let report = apply_with(&first, &registry, &options(4)).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.applied(), 6);
    assert_eq!(report.writes, 6, "one call per change");
    assert_eq!(registry.write_count(), 6);

    let created = &registry.state().repositories[&name("team-a/api")];
    assert_eq!(created.image_tag_mutability, Some(TagMutability::Immutable));
    assert_eq!(created.scan_on_push, Some(true));
    assert_eq!(
        created
            .tags
            .as_ref()
            .unwrap()
            .get(OWNERSHIP_TAG_KEY)
            .map(String::as_str),
        Some(OWNERSHIP_TAG_VALUE),
        "ecrform marks what it creates"
    );

    registry.clear_calls();
    let second = read_and_plan(&desired, &registry).await;
    assert!(second.is_empty(), "{:?}", outline(&second));
    let report = apply_with(&second, &registry, &options(4)).await;
    assert!(report.results.is_empty());
    assert_eq!((report.writes, registry.write_count()), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn out_of_band_drift_is_planned_and_applied_back() {
    let desired = desired(false, vec![("team-a/api", managed_repository("a"))]);
    let registry = Arc::new(InMemoryRegistry::new(registry_id(REGISTRY)));
    let created = apply_with(
        &read_and_plan(&desired, &registry).await,
        &registry,
        &options(4),
    )
    .await;
    assert!(created.is_success(), "{created:?}");

    registry.edit_state(|state| {
        let repository = state.repositories.get_mut(&name("team-a/api")).unwrap();
        repository.image_tag_mutability = Some(TagMutability::Mutable);
        repository.lifecycle_policy = Setting::Absent;
        repository
            .tags
            .as_mut()
            .unwrap()
            .insert("cost-center".to_owned(), "1234".to_owned());
        repository.repository_policy = Setting::Present(pull_policy("999999999999"));
    });

    let drift = read_and_plan(&desired, &registry).await;
    assert_eq!(
        outline(&drift),
        vec![
            (address(REGISTRY, "repository/team-a/api"), Action::Update),
            (
                address(REGISTRY, "lifecycle_policy/team-a/api"),
                Action::Create
            ),
            (
                address(REGISTRY, "repository_policy/team-a/api"),
                Action::Update
            ),
        ]
    );
    assert_eq!(drift.changes[0].fields, ["image_tag_mutability", "tags"]);

    registry.clear_calls();
    let report = apply_with(&drift, &registry, &options(4)).await;
    assert!(report.is_success(), "{report:?}");
    let operations: Vec<Operation> = registry.calls().iter().map(|call| call.operation).collect();
    assert_eq!(
        operations,
        [
            Operation::PutImageTagMutability,
            Operation::UntagResource,
            Operation::PutLifecyclePolicy,
            Operation::SetRepositoryPolicy
        ],
        "only the drifted settings are written, policies in place"
    );
    assert_converged(&desired, &registry).await;
}

#[tokio::test(start_paused = true)]
async fn failed_create_skips_its_policies_and_spares_other_repositories_then_converges() {
    let desired = desired(
        false,
        vec![
            ("team-a/api", managed_repository("a")),
            ("team-b/web", managed_repository("b")),
        ],
    );
    let registry = Arc::new(InMemoryRegistry::new(registry_id(REGISTRY)));
    registry.fail_repository(
        &name("team-a/api"),
        ecr_error::access_denied(Operation::CreateRepository),
    );

    let planned = read_and_plan(&desired, &registry).await;
    let report = apply_with(&planned, &registry, &options(4)).await;
    assert_eq!(
        statuses(&report),
        vec![
            (address(REGISTRY, "repository/team-a/api"), "failed"),
            (address(REGISTRY, "lifecycle_policy/team-a/api"), "skipped"),
            (address(REGISTRY, "repository_policy/team-a/api"), "skipped"),
            (address(REGISTRY, "repository/team-b/web"), "applied"),
            (address(REGISTRY, "lifecycle_policy/team-b/web"), "applied"),
            (address(REGISTRY, "repository_policy/team-b/web"), "applied"),
        ]
    );
    assert_eq!(
        (report.failed(), report.skipped(), report.applied()),
        (1, 2, 3)
    );
    match outcome_of(&report, &address(REGISTRY, "repository/team-a/api")) {
        ChangeOutcome::Failed { operation, error } => {
            assert_eq!(*operation, Operation::CreateRepository);
            assert_eq!(error.code, "AccessDeniedException");
        }
        other => panic!("expected the create to fail, got {other:?}"),
    }
    match outcome_of(&report, &address(REGISTRY, "repository_policy/team-a/api")) {
        ChangeOutcome::Skipped { reason } => assert!(
            reason.contains(&address(REGISTRY, "repository/team-a/api")),
            "the skip names the repository it waited for: {reason}"
        ),
        other => panic!("expected the policy to be skipped, got {other:?}"),
    }
    assert_eq!(
        registry.call_count(Operation::PutLifecyclePolicy),
        1,
        "only team-b/web's"
    );

    registry.clear_faults();
    let retry = read_and_plan(&desired, &registry).await;
    assert_eq!(
        outline(&retry),
        vec![
            (address(REGISTRY, "repository/team-a/api"), Action::Create),
            (
                address(REGISTRY, "lifecycle_policy/team-a/api"),
                Action::Create
            ),
            (
                address(REGISTRY, "repository_policy/team-a/api"),
                Action::Create
            ),
        ]
    );
    let report = apply_with(&retry, &registry, &options(4)).await;
    assert!(report.is_success(), "{report:?}");
    assert_converged(&desired, &registry).await;
}

#[tokio::test(start_paused = true)]
async fn failed_tag_update_does_not_skip_the_repository_policy_changes() {
    let mut live = managed_repository("a");
    live.lifecycle_policy = Setting::Absent;
    live.repository_policy = Setting::Absent;
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY)).with_repository(name("team-a/api"), live),
    );
    let desired = desired(
        false,
        vec![("team-a/api", managed_repository("a-platform"))],
    );
    registry.fail_next(Operation::TagResource, ecr_error::throttled(), 1);

    let planned = read_and_plan(&desired, &registry).await;
    let report = apply_with(&planned, &registry, &options(4)).await;
    assert_eq!(
        statuses(&report),
        vec![
            (address(REGISTRY, "repository/team-a/api"), "failed"),
            (address(REGISTRY, "lifecycle_policy/team-a/api"), "applied"),
            (address(REGISTRY, "repository_policy/team-a/api"), "applied"),
        ]
    );
    assert!(matches!(
        outcome_of(&report, &address(REGISTRY, "repository/team-a/api")),
        ChangeOutcome::Failed { operation, error }
            if *operation == Operation::TagResource && error.kind == ErrorKind::Throttled
    ));

    let report = apply_with(
        &read_and_plan(&desired, &registry).await,
        &registry,
        &options(4),
    )
    .await;
    assert_eq!(
        statuses(&report),
        vec![(address(REGISTRY, "repository/team-a/api"), "applied")]
    );
    assert_converged(&desired, &registry).await;
}

/// A repository that exists without a policy, and a spec that gives it one.
fn registry_awaiting_a_policy() -> (Arc<InMemoryRegistry>, DesiredState) {
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY))
            .with_repository(name("team-a/api"), owned_repository()),
    );
    let want = RepositoryState {
        repository_policy: Setting::Present(pull_policy(OTHER_ACCOUNT)),
        ..RepositoryState::default()
    };
    (registry, desired(false, vec![("team-a/api", want)]))
}

#[tokio::test(start_paused = true)]
async fn policy_refused_while_iam_propagates_is_retried_until_accepted() {
    let (registry, desired) = registry_awaiting_a_policy();
    registry.fail_next(
        Operation::SetRepositoryPolicy,
        ecr_error::invalid_repository_policy(),
        2,
    );

    let report = apply_with(
        &read_and_plan(&desired, &registry).await,
        &registry,
        &options(4),
    )
    .await;
    assert_eq!(
        statuses(&report),
        vec![(address(REGISTRY, "repository_policy/team-a/api"), "applied")]
    );
    assert_eq!(report.writes, 3, "two refusals and the accepted attempt");
    assert_eq!(registry.call_count(Operation::SetRepositoryPolicy), 3);
    assert_converged(&desired, &registry).await;
}

#[tokio::test(start_paused = true)]
async fn policy_refused_longer_than_the_propagation_attempts_fails_with_the_service_error() {
    let (registry, desired) = registry_awaiting_a_policy();
    let options = ApplyOptions {
        propagation_attempts: 3,
        ..options(4)
    };
    registry.fail_next(
        Operation::SetRepositoryPolicy,
        ecr_error::invalid_repository_policy(),
        10,
    );

    let report = apply_with(
        &read_and_plan(&desired, &registry).await,
        &registry,
        &options,
    )
    .await;
    match outcome_of(&report, &address(REGISTRY, "repository_policy/team-a/api")) {
        ChangeOutcome::Failed { operation, error } => {
            assert_eq!(*operation, Operation::SetRepositoryPolicy);
            assert_eq!(error.code, "InvalidParameterException");
            assert!(
                error.message.contains("Invalid repository policy provided"),
                "{error}"
            );
        }
        other => panic!("expected the policy to fail, got {other:?}"),
    }
    assert_eq!(report.writes, 3, "exactly propagation_attempts attempts");
    assert_eq!(registry.call_count(Operation::SetRepositoryPolicy), 3);
}

#[tokio::test(start_paused = true)]
async fn errors_other_than_iam_propagation_are_not_retried() {
    let (registry, desired) = registry_awaiting_a_policy();
    registry.fail_next(
        Operation::SetRepositoryPolicy,
        ecr_error::access_denied(Operation::SetRepositoryPolicy),
        1,
    );

    let report = apply_with(
        &read_and_plan(&desired, &registry).await,
        &registry,
        &options(4),
    )
    .await;
    assert_eq!(report.failed(), 1);
    assert_eq!((report.writes, registry.write_count()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn pruning_an_owned_repository_that_holds_images_fails_with_repository_not_empty() {
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY))
            .with_repository(name("old/app"), owned_repository()),
    );
    registry.set_image_count(&name("old/app"), 5);
    let desired = desired(true, Vec::new());

    let planned = read_and_plan(&desired, &registry).await;
    assert_eq!(
        outline(&planned),
        vec![(address(REGISTRY, "repository/old/app"), Action::Delete)]
    );
    let report = apply_with(&planned, &registry, &options(4)).await;
    match outcome_of(&report, &address(REGISTRY, "repository/old/app")) {
        ChangeOutcome::Failed { operation, error } => {
            assert_eq!(*operation, Operation::DeleteRepository);
            assert_eq!(error.kind, ErrorKind::RepositoryNotEmpty);
            assert_eq!(error.code, "RepositoryNotEmptyException");
        }
        other => panic!("expected the delete to be refused, got {other:?}"),
    }
    assert!(registry.state().repositories.contains_key(&name("old/app")));
    assert_eq!(registry.image_count(&name("old/app")), 5);

    registry.set_image_count(&name("old/app"), 0);
    let report = apply_with(
        &read_and_plan(&desired, &registry).await,
        &registry,
        &options(4),
    )
    .await;
    assert!(
        report.is_success(),
        "an empty repository is pruned: {report:?}"
    );
    assert!(registry.state().repositories.is_empty());
}

#[tokio::test(start_paused = true)]
async fn progress_is_told_of_every_change_once_whether_applied_failed_skipped_or_held_back() {
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY))
            .with_repository(name("old/app"), owned_repository()),
    );
    registry.fail_repository(
        &name("team-a/api"),
        ecr_error::access_denied(Operation::CreateRepository),
    );
    let desired = desired(
        true,
        vec![
            ("team-a/api", managed_repository("a")),
            ("team-b/web", managed_repository("b")),
        ],
    );
    let planned = read_and_plan(&desired, &registry).await;
    let told = Arc::new(Mutex::new(Vec::new()));
    let options = ApplyOptions {
        progress: Some(Arc::new({
            let told = Arc::clone(&told);
            move |finished| told.lock().unwrap().push(finished)
        })),
        ..options(4)
    };

    let report = apply_with(&planned, &registry, &options).await;

    let statuses = statuses(&report);
    assert!(
        statuses.contains(&(address(REGISTRY, "repository/old/app"), "skipped")),
        "the prune is held back: {statuses:?}"
    );
    assert_eq!((report.failed(), report.skipped()), (1, 3), "{statuses:?}");
    let told = told.lock().unwrap().clone();
    assert!(told.iter().all(|finished| *finished > 0), "{told:?}");
    assert_eq!(
        told.iter().sum::<usize>(),
        planned.changes.len(),
        "{told:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn pruning_spares_repositories_ecrform_does_not_own() {
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY))
            .with_repository(name("legacy/thing"), RepositoryState::default()),
    );
    let planned = read_and_plan(&desired(true, Vec::new()), &registry).await;
    assert!(planned.is_empty(), "{:?}", outline(&planned));
    let unmanaged: Vec<String> = planned.unmanaged.iter().map(ToString::to_string).collect();
    assert_eq!(unmanaged, [address(REGISTRY, "repository/legacy/thing")]);
}

/// A repository with images encrypted with AES256, and a spec that wants KMS (a replace).
fn registry_to_reencrypt(force_delete: bool) -> (Arc<InMemoryRegistry>, DesiredState) {
    let mut live = managed_repository("a");
    live.image_count = Some(3);
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY)).with_repository(name("team-a/api"), live),
    );
    let mut want = managed_repository("a");
    want.encryption = Some(kms("alias/ecr"));
    want.force_delete = force_delete;
    (registry, desired(false, vec![("team-a/api", want)]))
}

#[tokio::test(start_paused = true)]
async fn replace_without_force_delete_keeps_a_repository_that_holds_images() {
    let (registry, desired) = registry_to_reencrypt(false);
    let planned = read_and_plan(&desired, &registry).await;
    assert_eq!(planned.summary.replace, 1, "{:?}", outline(&planned));

    let report = apply_with(&planned, &registry, &options(4)).await;
    assert_eq!(
        statuses(&report),
        vec![
            (address(REGISTRY, "repository/team-a/api"), "failed"),
            (address(REGISTRY, "lifecycle_policy/team-a/api"), "skipped"),
            (address(REGISTRY, "repository_policy/team-a/api"), "skipped"),
        ]
    );
    assert!(matches!(
        outcome_of(&report, &address(REGISTRY, "repository/team-a/api")),
        ChangeOutcome::Failed { error, .. } if error.code == "RepositoryNotEmptyException"
    ));
    assert_eq!(registry.image_count(&name("team-a/api")), 3);
}

#[tokio::test(start_paused = true)]
async fn replace_with_force_delete_recreates_the_repository_with_its_policies() {
    let (registry, desired) = registry_to_reencrypt(true);
    let planned = read_and_plan(&desired, &registry).await;
    assert_eq!(
        outline(&planned),
        vec![
            (address(REGISTRY, "repository/team-a/api"), Action::Replace),
            (
                address(REGISTRY, "lifecycle_policy/team-a/api"),
                Action::Create
            ),
            (
                address(REGISTRY, "repository_policy/team-a/api"),
                Action::Create
            ),
        ],
        "the new repository starts without policies"
    );

    let report = apply_with(&planned, &registry, &options(4)).await;
    assert!(report.is_success(), "{report:?}");
    let operations: Vec<Operation> = registry.calls().iter().map(|call| call.operation).collect();
    assert_eq!(
        operations,
        [
            Operation::DeleteRepository,
            Operation::CreateRepository,
            Operation::PutLifecyclePolicy,
            Operation::SetRepositoryPolicy
        ]
    );
    let recreated = &registry.state().repositories[&name("team-a/api")];
    assert_eq!(
        recreated.encryption.as_ref().map(|e| e.kind),
        Some(EncryptionType::Kms)
    );
    assert_eq!(registry.image_count(&name("team-a/api")), 0);
    // ECR reports the alias's key ARN; the planner must not replace again.
    assert_converged(&desired, &registry).await;
}

#[tokio::test(start_paused = true)]
async fn replace_interrupted_after_the_delete_is_planned_as_a_create_next_time() {
    let (registry, desired) = registry_to_reencrypt(true);
    registry.fail_next(Operation::CreateRepository, ecr_error::throttled(), 1);

    let report = apply_with(
        &read_and_plan(&desired, &registry).await,
        &registry,
        &options(4),
    )
    .await;
    assert_eq!(
        statuses(&report),
        vec![
            (address(REGISTRY, "repository/team-a/api"), "failed"),
            (address(REGISTRY, "lifecycle_policy/team-a/api"), "skipped"),
            (address(REGISTRY, "repository_policy/team-a/api"), "skipped"),
        ]
    );
    assert!(
        registry.state().repositories.is_empty(),
        "the delete half went through"
    );

    let resumed = read_and_plan(&desired, &registry).await;
    assert_eq!(
        outline(&resumed),
        vec![
            (address(REGISTRY, "repository/team-a/api"), Action::Create),
            (
                address(REGISTRY, "lifecycle_policy/team-a/api"),
                Action::Create
            ),
            (
                address(REGISTRY, "repository_policy/team-a/api"),
                Action::Create
            ),
        ]
    );
    let report = apply_with(&resumed, &registry, &options(4)).await;
    assert!(report.is_success(), "{report:?}");
    assert_converged(&desired, &registry).await;
}

/// Six repositories that each take one call to create, behind a registry where every call
/// takes a while, so that calls of different chains overlap.
fn six_independent_repositories() -> (Arc<InMemoryRegistry>, DesiredState) {
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY)).with_latency(Duration::from_millis(50)),
    );
    let names = ["r1/app", "r2/app", "r3/app", "r4/app", "r5/app", "r6/app"];
    let desired = desired(
        false,
        names.iter().map(|raw| (*raw, mutability_only())).collect(),
    );
    (registry, desired)
}

#[tokio::test(start_paused = true)]
async fn parallelism_bounds_the_calls_in_flight() {
    let (registry, desired) = six_independent_repositories();
    let planned = read_and_plan(&desired, &registry).await;
    assert_eq!(planned.changes.len(), 6);
    let report = apply_with(&planned, &registry, &options(2)).await;
    assert!(report.is_success(), "{report:?}");
    let peak = registry.max_in_flight();
    assert!(peak <= 2, "at most two chains at once, saw {peak}");
    assert!(
        peak > 1,
        "independent chains do run concurrently, saw {peak}"
    );
}

#[tokio::test(start_paused = true)]
async fn parallelism_one_makes_one_call_at_a_time() {
    let (registry, desired) = six_independent_repositories();
    let planned = read_and_plan(&desired, &registry).await;
    let report = apply_with(&planned, &registry, &options(1)).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(registry.max_in_flight(), 1);
}

#[tokio::test(start_paused = true)]
async fn report_lists_every_change_once_in_plan_order_whatever_finishes_first() {
    // Only the first repository has a repository policy: it alone meets the propagation
    // refusals below, waits out two retries and so finishes after the chains planned later.
    let without_policy = |team| RepositoryState {
        repository_policy: Setting::Unmanaged,
        ..managed_repository(team)
    };
    let desired = desired(
        false,
        vec![
            ("team-a/api", managed_repository("a")),
            ("team-b/web", without_policy("b")),
            ("team-c/job", without_policy("c")),
        ],
    );
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY)).with_latency(Duration::from_millis(5)),
    );
    registry.fail_next(
        Operation::SetRepositoryPolicy,
        ecr_error::invalid_repository_policy(),
        2,
    );
    // The second chain fails at its create, so its lifecycle policy is skipped.
    registry.fail_repository(&name("team-b/web"), ecr_error::throttled());

    let planned = read_and_plan(&desired, &registry).await;
    let report = apply_with(&planned, &registry, &options(3)).await;
    let planned_order: Vec<(String, Action)> = outline(&planned);
    let reported_order: Vec<(String, Action)> = report
        .results
        .iter()
        .map(|result| (result.address.to_string(), result.action))
        .collect();
    assert_eq!(reported_order, planned_order);
    assert_eq!(
        report.applied() + report.failed() + report.skipped(),
        planned.changes.len(),
        "every change has exactly one outcome"
    );
    assert_eq!(
        (report.applied(), report.failed(), report.skipped()),
        (5, 1, 1)
    );
    let last_call = registry
        .calls()
        .last()
        .and_then(|call| call.repository.clone());
    assert_eq!(
        last_call,
        Some(name("team-a/api")),
        "the first chain finished last, yet its results come first"
    );
}

/// Regression: prune deletes ran even when a create of the same registry failed, so renaming
/// `old/app` to `new/app` with a failing create ended with neither repository. Deletes now run
/// last and are held back in a registry where anything failed.
#[tokio::test(start_paused = true)]
async fn failed_create_holds_back_the_prune_deletes_of_its_registry() {
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY))
            .with_repository(name("old/app"), owned_repository()),
    );
    let desired = desired(true, vec![("new/app", mutability_only())]);
    registry.fail_repository(&name("new/app"), ecr_error::throttled());

    let planned = read_and_plan(&desired, &registry).await;
    assert_eq!(
        outline(&planned),
        vec![
            (address(REGISTRY, "repository/new/app"), Action::Create),
            (address(REGISTRY, "repository/old/app"), Action::Delete),
        ]
    );
    let report = apply_with(&planned, &registry, &options(1)).await;
    assert!(
        registry.state().repositories.contains_key(&name("old/app")),
        "old/app was deleted although new/app was not created: {:?}",
        statuses(&report)
    );
}

// ---------------------------------------------------------------------------------------------
// Lost answers: a call that took effect, whose answer never came back, sent again.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_create_whose_answer_was_lost_is_found_applied_and_a_second_apply_writes_nothing() {
    let registry = Arc::new(InMemoryRegistry::new(registry_id(REGISTRY)));
    let desired = desired(false, vec![("team-a/api", managed_repository("a"))]);
    registry.lose_response_next(Operation::CreateRepository, 1);

    let report = apply_with(
        &read_and_plan(&desired, &registry).await,
        &registry,
        &options(4),
    )
    .await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(
        statuses(&report),
        vec![
            (address(REGISTRY, "repository/team-a/api"), "found"),
            (address(REGISTRY, "lifecycle_policy/team-a/api"), "applied"),
            (address(REGISTRY, "repository_policy/team-a/api"), "applied"),
        ]
    );
    assert_eq!((report.applied(), report.found()), (3, 1));
    let ChangeOutcome::Found { found } =
        outcome_of(&report, &address(REGISTRY, "repository/team-a/api"))
    else {
        unreachable!()
    };
    assert!(
        found.starts_with("CreateRepository answered RepositoryAlreadyExistsException"),
        "{found}"
    );
    registry.clear_calls();
    assert_converged(&desired, &registry).await;
}

#[tokio::test(start_paused = true)]
async fn a_repository_someone_else_created_meanwhile_is_not_taken_for_a_lost_answer() {
    let registry = Arc::new(InMemoryRegistry::new(registry_id(REGISTRY)));
    let desired = desired(false, vec![("team-a/api", mutability_only())]);
    let planned = read_and_plan(&desired, &registry).await;
    // Between plan and apply, another tool creates a repository by that name: it has the
    // requested mutability, but not ecrform's ownership tag.
    registry.edit_state(|state| {
        state.repositories.insert(
            name("team-a/api"),
            RepositoryBuilder::new()
                .mutability(TagMutability::Immutable)
                .no_exclusions()
                .tags([("team", "other")])
                .build(),
        );
    });
    let report = apply_with(&planned, &registry, &options(4)).await;
    assert!(matches!(
        outcome_of(&report, &address(REGISTRY, "repository/team-a/api")),
        ChangeOutcome::Failed { error, .. } if error.kind == ErrorKind::AlreadyExists
    ));
}

#[tokio::test(start_paused = true)]
async fn a_create_found_with_other_settings_than_planned_is_a_failure() {
    let registry = Arc::new(InMemoryRegistry::new(registry_id(REGISTRY)));
    let desired = desired(false, vec![("team-a/api", mutability_only())]);
    let planned = read_and_plan(&desired, &registry).await;
    registry.edit_state(|state| {
        state.repositories.insert(
            name("team-a/api"),
            RepositoryBuilder::new()
                .mutability(TagMutability::Mutable)
                .owned()
                .build(),
        );
    });
    let report = apply_with(&planned, &registry, &options(4)).await;
    assert!(matches!(
        outcome_of(&report, &address(REGISTRY, "repository/team-a/api")),
        ChangeOutcome::Failed { error, .. } if error.kind == ErrorKind::AlreadyExists
    ));
}

/// The replace whose delete answer was lost: the retried delete is answered "not found", and
/// the replace goes on to create the repository again with the repository policy the spec
/// does not manage (before, apply failed there, and the next run created the repository
/// without it).
#[tokio::test(start_paused = true)]
async fn a_replace_whose_delete_answer_was_lost_goes_on_and_keeps_the_unmanaged_policy() {
    let policy = pull_policy(OTHER_ACCOUNT);
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY)).with_repository(
            name("team-a/api"),
            RepositoryBuilder::new()
                .mutability(TagMutability::Immutable)
                .no_exclusions()
                .encryption(Encryption::aes256())
                .owned()
                .repository_policy(policy.clone())
                .build(),
        ),
    );
    let mut want = mutability_only();
    want.encryption = Some(kms("alias/ecr"));
    let desired = desired(false, vec![("team-a/api", want)]);
    registry.lose_response_next(Operation::DeleteRepository, 1);

    let planned = read_and_plan(&desired, &registry).await;
    assert_eq!(planned.summary.replace, 1);
    let report = apply_with(&planned, &registry, &options(4)).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.found(), 1);
    let recreated = &registry.state().repositories[&name("team-a/api")];
    assert_eq!(recreated.repository_policy, Setting::Present(policy));
    assert_eq!(
        recreated.encryption.as_ref().map(|e| e.kind),
        Some(EncryptionType::Kms)
    );
    assert_converged(&desired, &registry).await;
}

#[tokio::test(start_paused = true)]
async fn policy_deletes_and_prunes_whose_answers_were_lost_are_found_applied() {
    let registry = Arc::new(
        InMemoryRegistry::new(registry_id(REGISTRY))
            .with_repository(
                name("team-a/api"),
                RepositoryBuilder::new()
                    .mutability(TagMutability::Immutable)
                    .no_exclusions()
                    .lifecycle_policy(expire_untagged_after(7))
                    .repository_policy(pull_policy(OTHER_ACCOUNT))
                    .owned()
                    .build(),
            )
            .with_repository(name("team-a/old"), owned_repository()),
    );
    let mut want = mutability_only();
    want.lifecycle_policy = Setting::Absent;
    want.repository_policy = Setting::Absent;
    let desired = desired(true, vec![("team-a/api", want)]);
    for operation in [
        Operation::DeleteLifecyclePolicy,
        Operation::DeleteRepositoryPolicy,
        Operation::DeleteRepository,
    ] {
        registry.lose_response_next(operation, 1);
    }
    let report = apply_with(
        &read_and_plan(&desired, &registry).await,
        &registry,
        &options(4),
    )
    .await;
    assert_eq!(
        statuses(&report),
        vec![
            (address(REGISTRY, "lifecycle_policy/team-a/api"), "found"),
            (address(REGISTRY, "repository_policy/team-a/api"), "found"),
            (address(REGISTRY, "repository/team-a/old"), "found"),
        ]
    );
    assert_converged(&desired, &registry).await;
}
