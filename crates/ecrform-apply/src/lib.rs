//! The apply executor: runs a plan's calls against registries and reports, per change, what
//! happened. Deciding what to change is the planner's job (`ecrform-plan`, which has no async
//! and no I/O); this crate decides only in what order and how concurrently the calls go out,
//! and what to do when one fails.
//!
//! - Changes are grouped into chains: one per repository (its repository change, then its
//!   policies), one per registry-wide object. Chains run concurrently, at most `parallelism`
//!   at a time; a chain runs in plan order.
//! - Chains run in three phases, each finished before the next starts:
//!   1. the registry policy and the account settings of every registry: a destination
//!      registry's policy must let a source account in before that source replicates to it;
//!   2. everything else but removals. A replication change whose cross-account destination's
//!      registry policy change did not apply is skipped, naming that change: ECR would accept
//!      the configuration and then fail every replication into that registry quietly;
//!   3. removals (repositories pruned, pull-through cache rules and creation templates whose
//!      prefix left the spec, pull-time update exclusions whose principal left it), skipped in
//!      a registry where anything else did not apply: a failed apply never leaves a registry
//!      with less than it started with (think of a rename whose create failed).
//! - A change whose repository could not be created or replaced is skipped, naming that
//!   change; a failed update does not stop the repository's policies, which do not need it.
//! - A policy refused because IAM has not yet propagated a new principal is retried with
//!   backoff, then reported. Throttling is the AWS client's own retry loop's job.
//! - Every change ends applied, failed (with the error code and message) or skipped; running
//!   apply again converges, because the plan is recomputed from live state.
//! - A caller that shows progress is told as changes finish (`ApplyOptions::progress`); how
//!   it is shown is not the executor's business.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use serde::Serialize;
use tokio::sync::Semaphore;

use ecrform_model::{Address, Operation, RegistryId, RegistryWideKind, ResourceKind, Target};

use ecrform_plan::{Action, ApiCall, Change, Plan, Registry, RegistryError};

/// Told how many changes just finished (applied, failed or skipped); the calls add up to the
/// plan's number of changes.
pub type ApplyProgress = Arc<dyn Fn(usize) + Send + Sync>;

/// How the executor behaves; the defaults are what the CLI uses.
#[derive(Clone)]
pub struct ApplyOptions {
    /// Chains running at once.
    pub parallelism: usize,
    /// Attempts for a policy refused while IAM propagates a new principal.
    pub propagation_attempts: u32,
    /// First wait before such a retry; doubled each time.
    pub propagation_delay: Duration,
    /// Called as changes finish, from whichever task finished them.
    pub progress: Option<ApplyProgress>,
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("parallelism", &self.parallelism)
            .field("propagation_attempts", &self.propagation_attempts)
            .field("propagation_delay", &self.propagation_delay)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl ApplyOptions {
    fn finished(&self, changes: usize) {
        if let Some(progress) = &self.progress
            && changes > 0
        {
            progress(changes);
        }
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 16,
            // 2 + 4 + 8 s: enough for IAM to propagate a new principal, short enough when
            // ECR answers the same words for a policy it will never accept.
            propagation_attempts: 4,
            propagation_delay: Duration::from_secs(2),
            progress: None,
        }
    }
}

/// What happened to one change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ChangeOutcome {
    Applied,
    /// Applied, though ECR answered a create "already exists" or a delete "not found", and a
    /// read then showed the call's effect: its first answer was lost and the client sent it
    /// again, or another apply of the same spec made it. `found` says which call and what was
    /// read. In JSON, status `applied` with `found`.
    #[serde(rename = "applied")]
    Found {
        found: String,
    },
    Failed {
        operation: Operation,
        error: RegistryError,
    },
    Skipped {
        reason: String,
    },
}

impl ChangeOutcome {
    pub fn is_applied(&self) -> bool {
        matches!(self, ChangeOutcome::Applied | ChangeOutcome::Found { .. })
    }
}

/// One change of the plan and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeResult {
    pub address: Address,
    pub action: Action,
    #[serde(flatten)]
    pub outcome: ChangeOutcome,
}

/// The outcome of every change, in plan order, and how many API writes were made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplyReport {
    pub results: Vec<ChangeResult>,
    pub writes: usize,
}

impl ApplyReport {
    pub fn count(&self, predicate: impl Fn(&ChangeOutcome) -> bool) -> usize {
        self.results
            .iter()
            .filter(|r| predicate(&r.outcome))
            .count()
    }

    /// Applied, including those found already applied.
    pub fn applied(&self) -> usize {
        self.count(ChangeOutcome::is_applied)
    }

    /// Applied changes whose effect was found already there.
    pub fn found(&self) -> usize {
        self.count(|o| matches!(o, ChangeOutcome::Found { .. }))
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, ChangeOutcome::Failed { .. }))
    }

    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, ChangeOutcome::Skipped { .. }))
    }

    pub fn is_success(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0
    }
}

/// Applies `plan` through `registries` (one per registry id of the plan).
pub async fn apply<R: Registry>(
    plan: &Plan,
    registries: &BTreeMap<RegistryId, Arc<R>>,
    options: &ApplyOptions,
) -> ApplyReport {
    let runner = Runner {
        registries,
        options,
        writes: AtomicUsize::new(0),
        permits: Semaphore::new(options.parallelism.clamp(1, MAX_PARALLELISM)),
    };
    let (removals, others): (Vec<_>, Vec<_>) = chains(&plan.changes)
        .into_iter()
        .partition(|chain| chain.iter().all(|(_, change)| is_removal(change)));
    let (first, second): (Vec<_>, Vec<_>) = others
        .into_iter()
        .partition(|chain| chain.iter().all(|(_, change)| goes_first(change)));

    let mut results = runner.run(first, &BTreeMap::new()).await;
    // Registries whose policy change did not apply: replication into them waits for a rerun.
    let unapplied_policies: BTreeMap<RegistryId, String> = results
        .iter()
        .filter(|(_, result)| {
            result.address.kind == ResourceKind::RegistryWide(RegistryWideKind::RegistryPolicy)
                && !result.outcome.is_applied()
        })
        .map(|(_, result)| (result.address.registry.clone(), result.address.to_string()))
        .collect();
    results.extend(runner.run(second, &unapplied_policies).await);

    let troubled: BTreeSet<RegistryId> = results
        .iter()
        .filter(|(_, result)| !result.outcome.is_applied())
        .map(|(_, result)| result.address.registry.clone())
        .collect();
    let (held_back, removals): (Vec<_>, Vec<_>) = removals.into_iter().partition(|chain| {
        chain
            .iter()
            .any(|(_, change)| troubled.contains(&change.address.registry))
    });
    let held_back: Vec<_> = held_back
        .into_iter()
        .flatten()
        .map(|(index, change)| {
            let reason = format!(
                "not deleted because another change of registry {} did not apply",
                change.address.registry
            );
            (index, result(change, ChangeOutcome::Skipped { reason }))
        })
        .collect();
    options.finished(held_back.len());
    results.extend(held_back);
    results.extend(runner.run(removals, &BTreeMap::new()).await);
    results.sort_by_key(|(index, _)| *index);
    ApplyReport {
        results: results.into_iter().map(|(_, result)| result).collect(),
        writes: runner.writes.load(Ordering::Relaxed),
    }
}

/// What every phase shares: the connections, the options, the write count and the permits
/// that bound how many chains run at once.
struct Runner<'r, R> {
    registries: &'r BTreeMap<RegistryId, Arc<R>>,
    options: &'r ApplyOptions,
    writes: AtomicUsize,
    permits: Semaphore,
}

impl<R: Registry> Runner<'_, R> {
    /// Runs `chains` concurrently and returns their results (with plan indexes).
    async fn run(
        &self,
        chains: Vec<Vec<(usize, &Change)>>,
        unapplied_policies: &BTreeMap<RegistryId, String>,
    ) -> Vec<(usize, ChangeResult)> {
        let runs = chains.into_iter().map(|chain| async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = self.permits.acquire().await.ok();
            run_chain(
                &chain,
                self.registries,
                self.options,
                &self.writes,
                unapplied_policies,
            )
            .await
        });
        join_all(runs).await.into_iter().flatten().collect()
    }
}

/// More chains at once than this would only queue inside the AWS client.
const MAX_PARALLELISM: usize = 1024;

/// An object that leaves the registry because it left the spec (a pruned repository, a
/// pull-through cache rule, creation template or pull-time update exclusion outside the spec's
/// exact set): deleted only once everything else applied. A singleton the spec sets to `none`
/// (a registry policy, replication, the signing configuration) is not one: the spec asks for
/// its absence as it asks for any other value.
fn is_removal(change: &Change) -> bool {
    matches!(
        change.address.kind,
        ResourceKind::Repository
            | ResourceKind::RegistryWide(
                RegistryWideKind::PullThroughCache
                    | RegistryWideKind::CreationTemplates
                    | RegistryWideKind::PullTimeUpdateExclusions
            )
    ) && change.action == Action::Delete
}

/// What other registries' changes may depend on: the registry policy (a destination's lets a
/// source replicate in) and the account settings (`REGISTRY_POLICY_SCOPE` decides how that
/// policy reads).
fn goes_first(change: &Change) -> bool {
    matches!(
        change.address.kind,
        ResourceKind::RegistryWide(
            RegistryWideKind::RegistryPolicy | RegistryWideKind::AccountSettings
        )
    )
}

/// Why a change must wait: a replication change sends images into registries whose policy
/// change (in `unapplied_policies`) did not apply.
fn waits_for(change: &Change, unapplied_policies: &BTreeMap<RegistryId, String>) -> Option<String> {
    change
        .calls
        .iter()
        .flat_map(|call| call.replication_targets(&change.address.registry))
        .find_map(|target| unapplied_policies.get(&target).cloned())
}

fn result(change: &Change, outcome: ChangeOutcome) -> ChangeResult {
    ChangeResult {
        address: change.address.clone(),
        action: change.action,
        outcome,
    }
}

/// The chain key of a change: its repository, or the registry-wide object itself.
fn chain_key(change: &Change) -> (RegistryId, Target, Option<ResourceKind>) {
    let address = &change.address;
    let kind = (!address.kind.is_repository_part()).then_some(address.kind);
    (address.registry.clone(), address.target.clone(), kind)
}

/// Groups changes (with their plan index) into chains, keeping plan order inside each.
fn chains(changes: &[Change]) -> Vec<Vec<(usize, &Change)>> {
    let mut by_key: BTreeMap<_, Vec<(usize, &Change)>> = BTreeMap::new();
    for (index, change) in changes.iter().enumerate() {
        by_key
            .entry(chain_key(change))
            .or_default()
            .push((index, change));
    }
    let mut chains: Vec<_> = by_key.into_values().collect();
    chains.sort_by_key(|chain| chain.first().map(|(index, _)| *index));
    chains
}

async fn run_chain<R: Registry>(
    chain: &[(usize, &Change)],
    registries: &BTreeMap<RegistryId, Arc<R>>,
    options: &ApplyOptions,
    writes: &AtomicUsize,
    unapplied_policies: &BTreeMap<RegistryId, String>,
) -> Vec<(usize, ChangeResult)> {
    let mut results = Vec::with_capacity(chain.len());
    // A repository that could not be created or replaced: its policies have nothing to go on.
    let mut missing_repository: Option<&Address> = None;
    for (index, change) in chain {
        let blocker = missing_repository
            .map(ToString::to_string)
            .or_else(|| waits_for(change, unapplied_policies));
        let outcome = if let Some(blocker) = blocker {
            ChangeOutcome::Skipped {
                reason: format!("{blocker} was not applied"),
            }
        } else {
            match registries.get(&change.address.registry) {
                Some(registry) => run_change(change, registry.as_ref(), options, writes).await,
                // Every registry of a plan is connected before apply starts; a change of
                // another one was never reachable, and nothing was sent for it.
                None => ChangeOutcome::Skipped {
                    reason: format!("no connection to registry {}", change.address.registry),
                },
            }
        };
        let creates_repository = change.address.kind == ResourceKind::Repository
            && matches!(change.action, Action::Create | Action::Replace);
        if creates_repository && !outcome.is_applied() {
            missing_repository = Some(&change.address);
        }
        results.push((*index, result(change, outcome)));
        options.finished(1);
    }
    results
}

async fn run_change<R: Registry>(
    change: &Change,
    registry: &R,
    options: &ApplyOptions,
    writes: &AtomicUsize,
) -> ChangeOutcome {
    let mut found = Vec::new();
    for call in &change.calls {
        match run_call(call, registry, options, writes).await {
            Ok(Sent::Answered) => {}
            Ok(Sent::FoundDone(what)) => found.push(what),
            Err(error) => {
                return ChangeOutcome::Failed {
                    operation: call.operation(),
                    error,
                };
            }
        }
    }
    if found.is_empty() {
        ChangeOutcome::Applied
    } else {
        ChangeOutcome::Found {
            found: found.join("; "),
        }
    }
}

/// How a call that did not fail went.
enum Sent {
    Answered,
    /// Refused as already made, and a read showed its effect: what was found.
    FoundDone(String),
}

async fn run_call<R: Registry>(
    call: &ApiCall,
    registry: &R,
    options: &ApplyOptions,
    writes: &AtomicUsize,
) -> Result<Sent, RegistryError> {
    let mut delay = options.propagation_delay;
    let mut attempt = 1;
    loop {
        writes.fetch_add(1, Ordering::Relaxed);
        match registry.call(call).await {
            Ok(()) => return Ok(Sent::Answered),
            Err(error) if error.is_iam_propagation() && attempt < options.propagation_attempts => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(error) => return already_done(call, registry, error).await,
        }
    }
}

/// A create answered "already exists" or a delete answered "not found" is applied when a
/// read shows its effect (see `ecrform_plan`'s `ApiCall::verification`); otherwise, or when
/// that read fails, the call failed with its own error.
async fn already_done<R: Registry>(
    call: &ApiCall,
    registry: &R,
    error: RegistryError,
) -> Result<Sent, RegistryError> {
    let Some(scope) = call.verification(error.kind) else {
        return Err(error);
    };
    match registry.read(&scope).await {
        Ok(live) if call.holds_in(&live) => Ok(Sent::FoundDone(format!(
            "{} answered {} and a read showed it done as planned (a retried call whose first \
             answer was lost, or another apply)",
            call.operation(),
            error.code
        ))),
        _ => Err(error),
    }
}
