//! Building clients. One place decides the credential chain, role assumption, region,
//! endpoint override, timeouts and retry behaviour, so every call of every command gets the
//! same ones, and registers the call log that logs and counts every attempt
//! (`crate::call_log`) and the pace of the registry's account and region (`crate::pace`).
//!
//! Each registry gets two ECR clients: one for writes, retried [`DEFAULT_MAX_ATTEMPTS`] times
//! (`AWS_MAX_ATTEMPTS`), and one for reads, which are idempotent and so retried more patiently
//! ([`DEFAULT_READ_ATTEMPTS`], `ECRFORM_READ_ATTEMPTS`) with a shorter backoff cap: one read
//! out of thousands running out of attempts would abort the whole command.

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_ecr::config::SharedCredentialsProvider;
use aws_smithy_runtime::client::retries::RetryPartition;
use tokio::sync::Semaphore;

use ecrform_lifecycle::Image;
use ecrform_model::{DesiredRegistry, RegistryId, RegistryState, RepositoryName};
use ecrform_plan::{ApiCall, ReadScope, Registry, RegistryError};

use crate::call_log::CallCounts;
use crate::pace::{PacedHttpClient, Paces};

/// How to reach one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryTarget {
    pub id: RegistryId,
    /// Assumed through STS for every call to this registry.
    pub role_arn: Option<String>,
    /// The AWS profile the credential chain starts from.
    pub profile: Option<String>,
}

impl RegistryTarget {
    pub fn for_desired(desired: &DesiredRegistry) -> Self {
        RegistryTarget {
            id: desired.state.id(),
            role_arn: desired.role_arn.clone(),
            profile: desired.profile.clone(),
        }
    }
}

/// Options shared by every client.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// ECR endpoint override (`--endpoint-url`); otherwise the standard `AWS_ENDPOINT_URL` and
    /// `AWS_ENDPOINT_URL_ECR` variables apply, as in every AWS SDK.
    pub endpoint_url: Option<String>,
    /// Attempts per write request, including the first; throttling and transient errors are
    /// retried with exponential backoff and jitter, paced to what ECR allows (`crate::pace`).
    pub max_attempts: u32,
    /// Attempts per read request, including the first.
    pub read_attempts: u32,
    /// How long one attempt may take, from sending to the whole answer.
    pub attempt_timeout: Duration,
    /// How long one request may take, every attempt and backoff included: an endpoint that
    /// accepts connections and never answers fails after this long.
    pub operation_timeout: Duration,
    /// Requests in flight at once, per registry.
    pub parallelism: usize,
    /// Where every client counts its calls, retries and throttled answers (each attempt is
    /// also logged, see `call_log`); clones share the counts.
    pub calls: CallCounts,
    /// The pace of each account and region; clones share them.
    pub paces: Paces,
}

/// Attempts per write unless `AWS_MAX_ATTEMPTS` says otherwise: enough to ride out throttling
/// bursts (the pace slows the client down meanwhile), few enough that a dead endpoint fails
/// within seconds.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Attempts per read unless `ECRFORM_READ_ATTEMPTS` says otherwise. At a 50% fault rate one
/// read in 1,000 runs out of 10 attempts (one in 32 out of 5).
pub const DEFAULT_READ_ATTEMPTS: u32 = 10;

/// One attempt's time limit unless `--attempt-timeout` / `ECRFORM_ATTEMPT_TIMEOUT` says
/// otherwise: ECR answers in well under a second; a page of images is the slowest answer.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// One request's time limit, retries included, unless `--operation-timeout` /
/// `ECRFORM_OPERATION_TIMEOUT` says otherwise: a silent endpoint fails in under 30 seconds.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(25);

/// Connecting is quick or not at all.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            endpoint_url: None,
            max_attempts: attempts_from_env("AWS_MAX_ATTEMPTS").unwrap_or(DEFAULT_MAX_ATTEMPTS),
            read_attempts: attempts_from_env("ECRFORM_READ_ATTEMPTS")
                .unwrap_or(DEFAULT_READ_ATTEMPTS),
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            parallelism: 16,
            calls: CallCounts::new(),
            paces: Paces::new(),
        }
    }
}

fn attempts_from_env(name: &str) -> Option<u32> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.trim().parse::<u32>().ok())
        .filter(|attempts| *attempts >= 1)
}

/// A registry reached through the ECR API (and KMS, to resolve the keys its repositories are
/// encrypted with).
#[derive(Debug, Clone)]
pub struct EcrRegistry {
    pub(crate) id: RegistryId,
    /// Writes go through this client.
    pub(crate) client: aws_sdk_ecr::Client,
    /// Reads go through this one: more attempts, shorter backoff.
    pub(crate) reader: aws_sdk_ecr::Client,
    pub(crate) kms: aws_sdk_kms::Client,
    /// Bounds the concurrent requests of one read.
    pub(crate) permits: Arc<Semaphore>,
    /// How many repositories' reads are under way at once (`--parallelism`).
    pub(crate) parallelism: usize,
}

/// Builds the client of one registry. Credentials are resolved lazily, at the first call, so
/// a problem with them surfaces as that call's error; a profile that does not exist is refused
/// here, as the AWS CLI refuses it, instead of silently falling back to other credentials.
pub async fn connect(
    target: &RegistryTarget,
    options: &ConnectOptions,
) -> Result<EcrRegistry, RegistryError> {
    let profile = target
        .profile
        .clone()
        .or_else(|| non_empty_env("AWS_PROFILE"));
    if let Some(profile) = &profile {
        crate::profiles::check_profile_exists(profile)?;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(target.id.region.as_str().to_owned()))
        .retry_config(retry_config(options.max_attempts))
        .timeout_config(timeout_config(options));
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    let mut config = loader.load().await;
    if let Some(role_arn) = &target.role_arn {
        let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name("ecrform")
            .configure(&config)
            .build()
            .await;
        config = config
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(
                crate::role::AssumedRole::new(role_arn, provider),
            ))
            .build();
    }
    // One call log for every client of the registry: every attempt of every operation is
    // logged and counted, and ECR's answers set the pace of its account and region, which
    // every ECR attempt waits for. The retry budget is the registry's own too (the SDK's is
    // per service otherwise, shared by every account).
    let pace = options.paces.of(&target.id);
    let calls = options
        .calls
        .interceptor(&target.id, Some(Arc::clone(&pace)));
    let mut ecr = aws_sdk_ecr::config::Builder::from(&config)
        .interceptor(calls.clone())
        .retry_partition(RetryPartition::new(format!("ecrform/{}", target.id)))
        .http_client(PacedHttpClient::new(pace, options.attempt_timeout));
    if let Some(url) = &options.endpoint_url {
        ecr = ecr.endpoint_url(url);
    }
    let reader = ecr
        .clone()
        .retry_config(read_retry_config(options.read_attempts))
        .build();
    // KMS with the same credentials, role and region; its endpoint is the standard chain's
    // (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KMS): --endpoint-url names the ECR endpoint only.
    // It only reads.
    let kms = aws_sdk_kms::config::Builder::from(&config)
        .interceptor(options.calls.interceptor(&target.id, None))
        .retry_config(read_retry_config(options.read_attempts))
        .build();
    Ok(EcrRegistry {
        id: target.id.clone(),
        client: aws_sdk_ecr::Client::from_conf(ecr.build()),
        reader: aws_sdk_ecr::Client::from_conf(reader),
        kms: aws_sdk_kms::Client::from_conf(kms),
        permits: Arc::new(Semaphore::new(options.parallelism.max(1))),
        parallelism: options.parallelism.max(1),
    })
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Throttling and transient errors of writes are retried in the SDK's standard mode:
/// exponential backoff with jitter (the pace, not the SDK's adaptive limiter, keeps the rate
/// to what ECR allows). A function so that the adapter's tests run against the retry
/// behaviour production uses.
pub(crate) fn retry_config(max_attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(max_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(20))
}

/// Reads are retried more often and back off at most 5 seconds, so that they fit in the
/// operation timeout.
pub(crate) fn read_retry_config(read_attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(read_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(5))
}

/// A dead endpoint fails fast; a slow answer gets the attempt timeout before the attempt is
/// retried, and the whole request, retries included, the operation timeout.
pub(crate) fn timeout_config(options: &ConnectOptions) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(options.attempt_timeout)
        .operation_timeout(options.operation_timeout)
        .build()
}

impl EcrRegistry {
    /// Wraps a built client. `connect` is the way in for everything but the adapter's own
    /// tests, which hand in a client whose HTTP layer answers with recorded ECR responses.
    #[cfg(test)]
    pub(crate) fn with_client(
        id: RegistryId,
        client: aws_sdk_ecr::Client,
        kms: aws_sdk_kms::Client,
        parallelism: usize,
    ) -> Self {
        EcrRegistry {
            id,
            reader: client.clone(),
            client,
            kms,
            permits: Arc::new(Semaphore::new(parallelism.max(1))),
            parallelism: parallelism.max(1),
        }
    }
}

impl Registry for EcrRegistry {
    fn id(&self) -> &RegistryId {
        &self.id
    }

    async fn read(&self, scope: &ReadScope) -> Result<RegistryState, RegistryError> {
        crate::read::read_registry(self, scope).await
    }

    async fn list_images(&self, repository: &RepositoryName) -> Result<Vec<Image>, RegistryError> {
        crate::images::list_images(self, repository).await
    }

    async fn held_images(
        &self,
        repository: &RepositoryName,
    ) -> Result<ecrform_plan::HeldImages, RegistryError> {
        crate::images::held_images(self, repository).await
    }

    async fn call(&self, call: &ApiCall) -> Result<(), RegistryError> {
        crate::write::execute(self, call).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::recorded::{Answer, RecordedEcr, described};
    use ecrform_plan::ErrorKind;

    const REGISTRY: &str = "123456789012/us-east-1";

    fn throttled() -> Answer {
        Answer::error("ThrottlingException", "Rate exceeded")
    }

    // Backoff sleeps run on tokio's clock, paused here, so retries take no wall time.
    #[tokio::test(start_paused = true)]
    async fn throttled_requests_are_retried_until_ecr_answers() {
        let ecr = RecordedEcr::new();
        ecr.then("DescribeRepositories", throttled())
            .then("DescribeRepositories", throttled())
            .then(
                "DescribeRepositories",
                Answer::ok(json!({ "repositories": [described(REGISTRY, "app")] })),
            );
        let registry = ecr.registry(REGISTRY, ConnectOptions::default().max_attempts);
        let start = tokio::time::Instant::now();

        let state = registry.read(&ReadScope::default()).await.unwrap();

        assert_eq!(state.repositories.len(), 1);
        assert_eq!(ecr.count("DescribeRepositories"), 3);
        // The SDK backed off between attempts (on the paused clock) rather than hammering.
        assert!(start.elapsed() > Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_past_the_attempt_limit_is_a_throttled_error() {
        let ecr = RecordedEcr::new();
        ecr.always("DescribeRepositories", throttled());
        let registry = ecr.registry(REGISTRY, 4);

        let error = registry.read(&ReadScope::default()).await.unwrap_err();

        assert_eq!(
            error,
            RegistryError::new(ErrorKind::Throttled, "ThrottlingException", "Rate exceeded")
        );
        assert_eq!(ecr.count("DescribeRepositories"), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_writes_are_retried_too() {
        let ecr = RecordedEcr::new();
        ecr.then("DeleteLifecyclePolicy", throttled()).then(
            "DeleteLifecyclePolicy",
            Answer::ok(json!({
                "registryId": "123456789012",
                "repositoryName": "app",
                "lifecyclePolicyText": "{\"rules\":[]}"
            })),
        );
        let registry = ecr.registry(REGISTRY, ConnectOptions::default().max_attempts);

        registry
            .call(&ApiCall::DeleteLifecyclePolicy {
                repository: ecrform_model::RepositoryName::parse("app").unwrap(),
            })
            .await
            .unwrap();

        assert_eq!(ecr.count("DeleteLifecyclePolicy"), 2);
    }

    #[test]
    fn at_least_one_attempt_is_made() {
        assert_eq!(retry_config(0).max_attempts(), 1);
        assert_eq!(retry_config(8).max_attempts(), 8);
    }
}
