//! [`InMemoryRegistry`]: an implementation of the registry port that keeps state in memory,
//! records every call and fails on demand.
//!
//! The executor's promises (skips after a failed create, IAM propagation retries, the
//! parallelism limit, convergence on a second run) are about what happens when calls fail or
//! overlap. ECR cannot be made to fail on cue and the emulator never throttles or waits, so
//! those promises are tested here: faults are scripted per operation or per repository,
//! latency is artificial (tokio's paused clock makes it free), and the peak number of
//! concurrent calls is measured. Operations can also be marked unsupported, which is how the
//! local emulator answers pull-through cache rules, creation templates, account settings,
//! signing configurations and pull-time update exclusions.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ecrform_lifecycle::Image;
use ecrform_model::{
    Operation, RegistryId, RegistryState, RegistryWideKind, RepositoryName, RepositoryState,
};
use ecrform_plan::{ApiCall, ReadScope, Registry, RegistryError};

use crate::ecr::StoredRegistry;
use crate::ecr_error;

/// The operation reads are scripted under in [`InMemoryRegistry::fail_next`]: a read is
/// DescribeRepositories plus the per-repository and registry-wide calls, and fails as a whole.
pub const READ_OPERATION: Operation = Operation::DescribeRepositories;

/// The registry-wide settings the local emulator (moto) does not implement: it answers their
/// reads and writes with an HTTP 500.
pub const EMULATOR_UNSUPPORTED: [RegistryWideKind; 5] = [
    RegistryWideKind::PullThroughCache,
    RegistryWideKind::CreationTemplates,
    RegistryWideKind::AccountSettings,
    RegistryWideKind::SigningConfiguration,
    RegistryWideKind::PullTimeUpdateExclusions,
];

/// One write as the registry received it, and how it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    pub operation: Operation,
    /// The repository it acted on; `None` for a registry-wide call.
    pub repository: Option<RepositoryName>,
    pub call: ApiCall,
    /// The error the call was answered with; `None` when it succeeded.
    pub error: Option<RegistryError>,
    /// When it was answered, on tokio's clock: calls recorded by different registries can be
    /// put in order (under a paused clock, latency makes the difference).
    pub at: tokio::time::Instant,
}

/// A fault scripted with [`InMemoryRegistry::fail_next`].
#[derive(Debug)]
struct ScriptedFailure {
    operation: Operation,
    error: RegistryError,
    remaining: usize,
}

/// Everything behind the lock: what ECR holds and what the test has scripted and observed.
#[derive(Debug)]
struct Inner {
    stored: StoredRegistry,
    calls: Vec<RecordedCall>,
    reads: usize,
    scripted: Vec<ScriptedFailure>,
    /// Operations whose next calls lose their first answer ([`InMemoryRegistry::lose_response_next`]).
    lost: BTreeMap<Operation, usize>,
    failing_repositories: BTreeMap<RepositoryName, RegistryError>,
    unsupported: BTreeSet<Operation>,
    /// The images [`InMemoryRegistry::with_images`] put, for DescribeImages.
    images: BTreeMap<RepositoryName, Vec<Image>>,
    /// What [`InMemoryRegistry::set_image_bytes`] said the images of a repository weigh.
    image_bytes: BTreeMap<RepositoryName, u64>,
}

impl Inner {
    /// The scripted failure for the next call of `operation`, consuming one of its times.
    fn take_scripted(&mut self, operation: Operation) -> Option<RegistryError> {
        let scripted = self
            .scripted
            .iter_mut()
            .find(|s| s.operation == operation && s.remaining > 0)?;
        scripted.remaining -= 1;
        let error = scripted.error.clone();
        self.scripted.retain(|s| s.remaining > 0);
        Some(error)
    }
}

/// An ECR registry in memory; see the module documentation.
///
/// Built with [`InMemoryRegistry::new`] and the `with_*` methods, then shared (usually in an
/// `Arc`) between the test and the executor; everything after building takes `&self`.
#[derive(Debug)]
pub struct InMemoryRegistry {
    id: RegistryId,
    inner: Mutex<Inner>,
    latency: Option<Duration>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl InMemoryRegistry {
    /// A registry as ECR creates it: no repositories, no registry policy, no replication,
    /// BASIC scanning, no pull-through cache rules or creation templates, and the account
    /// settings' defaults.
    pub fn new(id: RegistryId) -> Self {
        InMemoryRegistry {
            inner: Mutex::new(Inner {
                stored: StoredRegistry::new(id.clone()),
                calls: Vec::new(),
                reads: 0,
                scripted: Vec::new(),
                lost: BTreeMap::new(),
                failing_repositories: BTreeMap::new(),
                unsupported: BTreeSet::new(),
                images: BTreeMap::new(),
                image_bytes: BTreeMap::new(),
            }),
            id,
            latency: None,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    /// Adds a repository as if another client had created it. Settings left unset take ECR's
    /// defaults; `image_count`, when set, is how many images it holds.
    pub fn with_repository(self, name: RepositoryName, repository: RepositoryState) -> Self {
        self.lock().stored.insert_repository(name, repository);
        self
    }

    /// Makes KMS answer that it has no key for `reference` (an alias name, alias ARN or key
    /// id); every other reference resolves to a key derived from it.
    pub fn with_missing_kms_key(self, reference: &str) -> Self {
        self.lock().stored.kms_missing.insert(reference.to_owned());
        self
    }

    /// Makes DescribeKey refuse `reference`, as it does to credentials without
    /// kms:DescribeKey: the read reports a warning instead of the key.
    pub fn with_undescribable_kms_key(self, reference: &str) -> Self {
        self.lock().stored.kms_denied.insert(reference.to_owned());
        self
    }

    /// Puts these images in a repository added with [`InMemoryRegistry::with_repository`]: it
    /// then holds that many images (a delete without force is refused) and DescribeImages
    /// lists them.
    pub fn with_images(self, name: RepositoryName, images: Vec<Image>) -> Self {
        {
            let mut inner = self.lock();
            let count = u64::try_from(images.len()).unwrap_or(u64::MAX);
            inner.stored.image_counts.insert(name.clone(), count);
            inner.images.insert(name, images);
        }
        self
    }

    /// Makes every read and write take this long before it is answered. Under a paused tokio
    /// clock this costs no real time, yet lets calls overlap as they would against ECR.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Sets how many images a repository holds (what decides whether it can be deleted
    /// without `force`). A repository that is created afterwards starts empty again.
    pub fn set_image_count(&self, name: &RepositoryName, count: u64) {
        self.lock().stored.image_counts.insert(name.clone(), count);
    }

    /// Sets the total size of the images a repository holds, as DescribeImages would add it
    /// up; without it the size of held images is unknown.
    pub fn set_image_bytes(&self, name: &RepositoryName, bytes: u64) {
        self.lock().image_bytes.insert(name.clone(), bytes);
    }

    pub fn image_count(&self, name: &RepositoryName) -> u64 {
        self.lock()
            .stored
            .image_counts
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    /// A copy of everything the registry holds, every aspect included (unlike [`Registry::read`],
    /// which reports only what its scope asks for).
    pub fn state(&self) -> RegistryState {
        self.lock().stored.state.clone()
    }

    /// Changes the held state directly, as an out-of-band change (console, another tool) would:
    /// nothing is recorded and no fault applies.
    pub fn edit_state(&self, edit: impl FnOnce(&mut RegistryState)) {
        edit(&mut self.lock().stored.state);
    }

    /// Every write received since the last [`InMemoryRegistry::clear_calls`], in order,
    /// failed ones and retries included.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.lock().calls.clone()
    }

    /// How many writes were received, failed ones and retries included.
    pub fn write_count(&self) -> usize {
        self.lock().calls.len()
    }

    /// How many writes of one operation were received.
    pub fn call_count(&self, operation: Operation) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|call| call.operation == operation)
            .count()
    }

    /// How many reads were received.
    pub fn read_count(&self) -> usize {
        self.lock().reads
    }

    /// The most writes that were in progress at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Forgets the recorded writes, the read count and the in-flight peak, so that a test can
    /// measure one phase (a second apply, say) on its own.
    pub fn clear_calls(&self) {
        let mut inner = self.lock();
        inner.calls.clear();
        inner.reads = 0;
        self.max_in_flight.store(0, Ordering::SeqCst);
    }

    /// Answers the next `times` calls of `operation` (a write, [`READ_OPERATION`] for a
    /// whole read, or DescribeImages) with `error`, without acting on them; later calls behave
    /// normally. Scripts for the same operation are used up in the order they were given.
    ///
    /// # Panics
    /// When `operation` is a read this registry never makes on its own (GetLifecyclePolicy is
    /// part of [`READ_OPERATION`]): a fault that can never fire would let the test pass for the
    /// wrong reason.
    pub fn fail_next(&self, operation: Operation, error: RegistryError, times: usize) {
        assert!(
            !operation.is_read() || matches!(operation, READ_OPERATION | Operation::DescribeImages),
            "fail_next: {operation} is not an operation the registry answers on its own; \
             script {READ_OPERATION} to fail a read"
        );
        self.lock().scripted.push(ScriptedFailure {
            operation,
            error,
            remaining: times,
        });
    }

    /// Loses the answer of the next `times` calls of `operation`, as a connection reset or a
    /// timeout after ECR acted does: the call takes effect, and the client, having no answer,
    /// sends it again; the call is then answered as that second request is (a create "already
    /// exists", a delete "not found"). Both requests are recorded.
    pub fn lose_response_next(&self, operation: Operation, times: usize) {
        *self.lock().lost.entry(operation).or_default() += times;
    }

    /// Answers every write to `name` with `error` until [`InMemoryRegistry::clear_faults`].
    pub fn fail_repository(&self, name: &RepositoryName, error: RegistryError) {
        self.lock().failing_repositories.insert(name.clone(), error);
    }

    /// Answers every call of `operation` with an
    /// [`ErrorKind::Unsupported`](ecrform_plan::ErrorKind::Unsupported) error, as an endpoint
    /// that does not implement it does; a read whose scope needs a registry-wide setting read
    /// by it fails whole. Unlike scripted faults, this stays after
    /// [`InMemoryRegistry::clear_faults`].
    pub fn mark_unsupported(&self, operation: Operation) {
        self.lock().unsupported.insert(operation);
    }

    /// Marks unsupported what the local emulator does not implement ([`EMULATOR_UNSUPPORTED`]):
    /// every read and write of those settings.
    pub fn with_emulator_gaps(self) -> Self {
        for kind in EMULATOR_UNSUPPORTED {
            self.mark_unsupported(kind.read_operation());
            for operation in kind.write_operations() {
                self.mark_unsupported(*operation);
            }
        }
        self
    }

    /// Drops every scripted fault: the registry behaves like ECR again.
    pub fn clear_faults(&self) {
        let mut inner = self.lock();
        inner.scripted.clear();
        inner.lost.clear();
        inner.failing_repositories.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A test that panicked while holding the lock has already failed; the state is still
        // worth reading for the report of the tests that follow.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn wait_latency(&self) {
        if let Some(latency) = self.latency {
            tokio::time::sleep(latency).await;
        }
    }
}

impl Registry for InMemoryRegistry {
    fn id(&self) -> &RegistryId {
        &self.id
    }

    async fn read(&self, scope: &ReadScope) -> Result<RegistryState, RegistryError> {
        self.wait_latency().await;
        let mut inner = self.lock();
        inner.reads += 1;
        if let Some(kind) = scope
            .registry
            .kinds()
            .find(|kind| inner.unsupported.contains(&kind.read_operation()))
        {
            // What the adapter makes of the endpoint's answer: the setting it could not read.
            return Err(RegistryError::unsupported_setting(kind, "HTTP 500"));
        }
        match inner.take_scripted(READ_OPERATION) {
            Some(error) => Err(error),
            None => Ok(inner.stored.view(scope)),
        }
    }

    async fn list_images(&self, repository: &RepositoryName) -> Result<Vec<Image>, RegistryError> {
        self.wait_latency().await;
        let mut inner = self.lock();
        if let Some(error) = inner.take_scripted(Operation::DescribeImages) {
            return Err(error);
        }
        if !inner.stored.state.repositories.contains_key(repository) {
            return Err(ecr_error::repository_not_found(&self.id, repository));
        }
        // A repository deleted since its images were put starts again without them.
        if !inner.stored.image_counts.contains_key(repository) {
            return Ok(Vec::new());
        }
        Ok(inner.images.get(repository).cloned().unwrap_or_default())
    }

    async fn held_images(
        &self,
        repository: &RepositoryName,
    ) -> Result<ecrform_plan::HeldImages, RegistryError> {
        self.wait_latency().await;
        let mut inner = self.lock();
        if let Some(error) = inner.take_scripted(Operation::DescribeImages) {
            return Err(error);
        }
        if !inner.stored.state.repositories.contains_key(repository) {
            return Err(ecr_error::repository_not_found(&self.id, repository));
        }
        let count = inner
            .stored
            .image_counts
            .get(repository)
            .copied()
            .unwrap_or(0);
        Ok(ecrform_plan::HeldImages {
            count,
            bytes: if count == 0 {
                Some(0)
            } else {
                inner.image_bytes.get(repository).copied()
            },
        })
    }

    async fn call(&self, call: &ApiCall) -> Result<(), RegistryError> {
        let _in_flight = InFlight::enter(&self.in_flight, &self.max_in_flight);
        self.wait_latency().await;
        let mut inner = self.lock();
        let unsupported = inner
            .unsupported
            .contains(&call.operation())
            .then(|| ecr_error::unsupported(call.operation()));
        let fault = unsupported
            .or_else(|| inner.take_scripted(call.operation()))
            .or_else(|| {
                let repository = call.repository()?;
                inner.failing_repositories.get(repository).cloned()
            });
        let lost = fault.is_none()
            && inner
                .lost
                .get(&call.operation())
                .is_some_and(|times| *times > 0);
        if lost {
            if let Some(times) = inner.lost.get_mut(&call.operation()) {
                *times -= 1;
            }
            let first = inner.stored.execute(call);
            inner.calls.push(RecordedCall {
                operation: call.operation(),
                repository: call.repository().cloned(),
                call: call.clone(),
                error: first.err(),
                at: tokio::time::Instant::now(),
            });
        }
        let result = match fault {
            Some(error) => Err(error),
            None => inner.stored.execute(call),
        };
        inner.calls.push(RecordedCall {
            operation: call.operation(),
            repository: call.repository().cloned(),
            call: call.clone(),
            error: result.as_ref().err().cloned(),
            at: tokio::time::Instant::now(),
        });
        result
    }
}

/// Counts a call as in flight for as long as it lives, so that a call abandoned mid-way (its
/// future dropped) is still counted out.
struct InFlight<'a> {
    in_flight: &'a AtomicUsize,
}

impl<'a> InFlight<'a> {
    fn enter(in_flight: &'a AtomicUsize, max_in_flight: &AtomicUsize) -> Self {
        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight { in_flight }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use ecrform_plan::{ErrorKind, Missing};

    use super::*;
    use crate::ecr_error;
    use crate::fixtures::{REGISTRY, name, registry_id};

    fn registry() -> InMemoryRegistry {
        InMemoryRegistry::new(registry_id(REGISTRY))
            .with_repository(name("app"), RepositoryState::default())
    }

    fn scan(repository: &str) -> ApiCall {
        ApiCall::PutImageScanningConfiguration {
            repository: name(repository),
            scan_on_push: true,
        }
    }

    #[tokio::test]
    async fn put_images_are_listed_until_the_repository_is_force_deleted() {
        let image = Image {
            digest: "sha256:aaaa".to_owned(),
            tags: vec!["v1".to_owned()],
            pushed_at: ecrform_lifecycle::Timestamp::from_unix(1_700_000_000, 0).unwrap(),
            last_pulled_at: None,
            status: ecrform_lifecycle::ImageStatus::Active,
            archived_at: None,
            restored_at: None,
            referenced_by_manifest_list: false,
        };
        let registry = registry().with_images(name("app"), vec![image.clone()]);
        assert_eq!(registry.list_images(&name("app")).await.unwrap(), [image]);
        let missing = registry.list_images(&name("other")).await.unwrap_err();
        assert_eq!(missing.kind, ErrorKind::NotFound(Missing::Repository));

        let delete = |force| ApiCall::DeleteRepository {
            repository: name("app"),
            force,
        };
        let refused = registry.call(&delete(false)).await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::RepositoryNotEmpty);
        registry.call(&delete(true)).await.unwrap();
        let gone = registry.list_images(&name("app")).await.unwrap_err();
        assert_eq!(gone.kind, ErrorKind::NotFound(Missing::Repository));
    }

    #[tokio::test]
    async fn scripted_failures_fire_the_given_number_of_times_then_calls_succeed() {
        let registry = registry();
        registry.fail_next(
            Operation::PutImageScanningConfiguration,
            ecr_error::throttled(),
            2,
        );
        let outcomes: Vec<bool> = [
            registry.call(&scan("app")).await,
            registry.call(&scan("app")).await,
            registry.call(&scan("app")).await,
        ]
        .iter()
        .map(Result::is_ok)
        .collect();
        assert_eq!(outcomes, [false, false, true]);
        assert_eq!(registry.write_count(), 3);
        assert_eq!(
            registry.calls()[0].error.as_ref().map(|e| e.kind),
            Some(ErrorKind::Throttled)
        );
        assert_eq!(
            registry.state().repositories[&name("app")].scan_on_push,
            Some(true)
        );
    }

    #[tokio::test]
    async fn a_failing_repository_refuses_every_write_until_faults_are_cleared() {
        let registry = registry();
        registry.fail_repository(
            &name("app"),
            ecr_error::access_denied(Operation::PutImageScanningConfiguration),
        );
        assert_eq!(
            registry.call(&scan("app")).await.unwrap_err().kind,
            ErrorKind::AccessDenied
        );
        assert_eq!(
            registry.state().repositories[&name("app")].scan_on_push,
            Some(false)
        );
        registry.clear_faults();
        registry.call(&scan("app")).await.unwrap();
        assert_eq!(
            registry.state().repositories[&name("app")].scan_on_push,
            Some(true)
        );
    }

    #[tokio::test]
    async fn a_scripted_read_failure_fails_the_read_and_is_counted() {
        let registry = registry();
        registry.fail_next(READ_OPERATION, ecr_error::throttled(), 1);
        assert!(registry.read(&ReadScope::default()).await.is_err());
        assert!(registry.read(&ReadScope::default()).await.is_ok());
        assert_eq!((registry.read_count(), registry.write_count()), (2, 0));
    }

    #[test]
    #[should_panic(expected = "not an operation the registry answers on its own")]
    fn scripting_a_read_that_is_only_part_of_a_whole_read_is_refused() {
        registry().fail_next(Operation::GetLifecyclePolicy, ecr_error::throttled(), 1);
    }
}
