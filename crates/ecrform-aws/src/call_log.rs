//! Every AWS request, seen. A plan that takes a minute, or fails after ECR throttled it, can
//! only be explained by what was sent: which operation, to which registry, on which attempt,
//! what came back and how long it took. One SDK interceptor, registered on every client that
//! [`crate::connect`] builds (ECR and KMS alike), logs each attempt as a `tracing` event and
//! counts calls, retries and throttled answers in [`CallCounts`] that the caller reads at the
//! end (the binary's `-v` summary line).
//!
//! The SDK tells the interceptor the operation ([`Metadata`]) and the attempt number
//! ([`RequestAttempts`]) through the config bag. Whether an answer is throttling is what the
//! SDK's own retry classifiers say (they drive its adaptive rate limiter), or HTTP 429. The
//! error code is read from the answer as the awsJson protocol carries it (`x-amzn-errortype`,
//! or `code`/`__type` in the body): the interceptor sees the operation's error only as a
//! type-erased value.
//!
//! Events (target `ecrform_aws::call_log`):
//! - `aws call` for every finished attempt, at INFO (WARN when throttled), with `service`,
//!   `operation`, `registry`, `attempt`, `status` (absent without an answer), `error` (absent
//!   on success), `throttled`, `latency_ms` and `request_id` (when ECR sent one);
//! - `retrying` at INFO before every attempt after the first, with the previous outcome in
//!   `after`;
//! - `sending` at DEBUG before every attempt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_smithy_runtime::client::retries::classifiers::run_classifiers_on_ctx;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::retries::classifiers::{RetryAction, RetryReason};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::ErrorKind;

use ecrform_model::RegistryId;

use crate::pace::Pace;

/// How many calls, retries and throttled answers the clients of one command saw. Clones share
/// the counts; every registry's clients add to the same ones.
#[derive(Debug, Clone, Default)]
pub struct CallCounts {
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
}

/// The counts at one moment. A call is one operation sent (its first attempt); each further
/// attempt of it is a retry, so the requests sent are `calls + retries`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallTotals {
    pub calls: u64,
    pub retries: u64,
    /// Attempts answered with throttling (HTTP 429, or an error the SDK retries as throttling).
    pub throttled: u64,
}

impl CallTotals {
    /// What happened between `earlier` and these totals.
    pub fn since(self, earlier: CallTotals) -> CallTotals {
        CallTotals {
            calls: self.calls.saturating_sub(earlier.calls),
            retries: self.retries.saturating_sub(earlier.retries),
            throttled: self.throttled.saturating_sub(earlier.throttled),
        }
    }
}

impl CallCounts {
    pub fn new() -> Self {
        CallCounts::default()
    }

    pub fn totals(&self) -> CallTotals {
        CallTotals {
            calls: self.counters.calls.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
            throttled: self.counters.throttled.load(Ordering::Relaxed),
        }
    }

    /// The interceptor for the clients of `registry`, counting into these counts and telling
    /// `pace` how each attempt ended.
    pub(crate) fn interceptor(&self, registry: &RegistryId, pace: Option<Arc<Pace>>) -> CallLog {
        CallLog {
            registry: registry.to_string(),
            counts: self.clone(),
            pace,
        }
    }
}

/// The SDK interceptor: logs and counts every attempt of every operation of one registry's
/// clients.
#[derive(Debug, Clone)]
pub(crate) struct CallLog {
    registry: String,
    counts: CallCounts,
    /// The pace of the registry's account and region (ECR clients only).
    pace: Option<Arc<Pace>>,
}

/// When the attempt in flight started; removed when it finishes, so an attempt the SDK cut off
/// at its timeout (no hook runs after it) is still found and logged.
#[derive(Debug, Clone)]
struct AttemptStarted {
    attempt: u32,
    at: Instant,
}

impl Storable for AttemptStarted {
    type Storer = StoreReplace<Self>;
}

/// How the previous attempt ended, for the `retrying` event.
#[derive(Debug, Clone)]
struct PreviousOutcome(String);

impl Storable for PreviousOutcome {
    type Storer = StoreReplace<Self>;
}

/// What one finished attempt is logged with.
#[derive(Debug, PartialEq, Eq)]
struct Attempt<'a> {
    service: &'a str,
    operation: &'a str,
    attempt: u32,
    status: Option<u16>,
    error: Option<String>,
    throttled: bool,
    latency: Duration,
    request_id: Option<&'a str>,
}

/// An attempt cut off by the attempt timeout: no answer, and no hook ran after it.
const TIMED_OUT: &str = "Timeout";

impl CallLog {
    fn log(&self, attempt: &Attempt<'_>) {
        if attempt.throttled {
            self.counts
                .counters
                .throttled
                .fetch_add(1, Ordering::Relaxed);
        }
        // One event shape at two levels: throttling is what `ECRFORM_LOG=...=warn` looks for.
        macro_rules! event {
            ($level:expr) => {
                tracing::event!(
                    $level,
                    service = %attempt.service,
                    operation = %attempt.operation,
                    registry = %self.registry,
                    attempt = attempt.attempt,
                    status = attempt.status,
                    error = attempt.error.as_deref().map(tracing::field::display),
                    throttled = attempt.throttled,
                    latency_ms = u64::try_from(attempt.latency.as_millis()).unwrap_or(u64::MAX),
                    request_id = attempt.request_id.map(tracing::field::display),
                    "aws call"
                )
            };
        }
        if attempt.throttled {
            event!(tracing::Level::WARN);
        } else {
            event!(tracing::Level::INFO);
        }
    }

    /// Logs the attempt still recorded as in flight, which the attempt timeout cut off.
    fn log_timed_out(&self, cfg: &mut ConfigBag) {
        let Some(started) = cfg.load::<AttemptStarted>().cloned() else {
            return;
        };
        cfg.interceptor_state().unset::<AttemptStarted>();
        let (service, operation) = names(cfg);
        self.log(&Attempt {
            service,
            operation,
            attempt: started.attempt,
            status: None,
            error: Some(TIMED_OUT.to_owned()),
            throttled: false,
            latency: started.at.elapsed(),
            request_id: None,
        });
        cfg.interceptor_state()
            .store_put(PreviousOutcome(TIMED_OUT.to_owned()));
    }
}

fn names(cfg: &ConfigBag) -> (&str, &str) {
    cfg.load::<Metadata>()
        .map_or(("unknown", "unknown"), |metadata| {
            (metadata.service(), metadata.name())
        })
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "ecrform call log"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.log_timed_out(cfg);
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let counters = &self.counts.counters;
        let (service, operation) = names(cfg);
        if attempt <= 1 {
            counters.calls.fetch_add(1, Ordering::Relaxed);
        } else {
            counters.retries.fetch_add(1, Ordering::Relaxed);
            let after = cfg.load::<PreviousOutcome>().map(|p| p.0.as_str());
            tracing::info!(
                service = %service,
                operation = %operation,
                registry = %self.registry,
                attempt,
                after = after.map(tracing::field::display),
                "retrying"
            );
        }
        tracing::debug!(
            service = %service,
            operation = %operation,
            registry = %self.registry,
            attempt,
            "sending"
        );
        cfg.interceptor_state().store_put(AttemptStarted {
            attempt,
            at: Instant::now(),
        });
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let started = cfg.load::<AttemptStarted>().cloned();
        cfg.interceptor_state().unset::<AttemptStarted>();
        let response = context.response();
        let status = response.map(|response| response.status().as_u16());
        let error = match (response, context.output_or_error()) {
            (Some(response), _) => error_code(response),
            (None, Some(Err(error))) if error.is_timeout_error() => Some(TIMED_OUT.to_owned()),
            (None, Some(Err(error))) if error.is_connector_error() => {
                Some("EndpointUnreachable".to_owned())
            }
            (None, _) => Some("RequestFailed".to_owned()),
        };
        let throttled = status == Some(429)
            || matches!(
                run_classifiers_on_ctx(runtime_components.retry_classifiers(), context.inner()),
                RetryAction::RetryIndicated(RetryReason::RetryableError {
                    kind: ErrorKind::ThrottlingError,
                    ..
                })
            );
        if let (Some(pace), Some(_)) = (&self.pace, response) {
            pace.observe(Instant::now(), throttled);
        }
        let outcome = error
            .clone()
            .or_else(|| status.map(|status| format!("HTTP {status}")))
            .unwrap_or_default();
        let (service, operation) = names(cfg);
        self.log(&Attempt {
            service,
            operation,
            attempt: started.as_ref().map_or_else(
                || cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts()),
                |started| started.attempt,
            ),
            status,
            error,
            throttled,
            latency: started.map_or(Duration::ZERO, |started| started.at.elapsed()),
            request_id: response.and_then(|response| response.headers().get("x-amzn-requestid")),
        });
        cfg.interceptor_state().store_put(PreviousOutcome(outcome));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.log_timed_out(cfg);
        Ok(())
    }
}

/// The error code of an answer that is not a success, where the awsJson protocol puts it: the
/// `x-amzn-errortype` header, else `code` or `__type` in the body, without a namespace
/// (`com.amazonaws.ecr#`) or a trailing URI (`:http://...`).
fn error_code(response: &HttpResponse) -> Option<String> {
    if response.status().is_success() {
        return None;
    }
    let raw = match response.headers().get("x-amzn-errortype") {
        Some(header) => header.to_owned(),
        None => {
            let body: serde_json::Value = serde_json::from_slice(response.body().bytes()?).ok()?;
            body.get("code")
                .or_else(|| body.get("__type"))?
                .as_str()?
                .to_owned()
        }
    };
    let code = raw.split(':').next().unwrap_or_default();
    let code = code.rsplit('#').next().unwrap_or_default();
    (!code.is_empty()).then(|| code.to_owned())
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Mutex;

    use serde_json::{Value, json};

    use super::*;
    use crate::recorded::{Answer, RecordedEcr, described};
    use ecrform_plan::{ReadScope, Registry};

    const REGISTRY: &str = "123456789012/us-east-1";

    /// What the JSON log format (the binary's `--log-format json`) wrote, one object a line.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        /// The events with this message, each as its JSON object.
        fn events(&self, message: &str) -> Vec<Value> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str::<Value>(line).unwrap())
                .filter(|event| event["message"] == message)
                .collect()
        }
    }

    thread_local! {
        /// Where this thread's logs go while its test captures them.
        static SINK: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
    }

    /// Writes to the capturing test of the current thread, if any.
    struct ThreadSink;

    impl Write for ThreadSink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            SINK.with(|sink| match sink.borrow_mut().as_mut() {
                Some(captured) => captured.write(bytes),
                None => Ok(bytes.len()),
            })
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Stops the capture when the test ends.
    struct Capturing;

    impl Drop for Capturing {
        fn drop(&mut self) {
            SINK.with(|sink| sink.borrow_mut().take());
        }
    }

    /// Logs of this test's thread (the test runtimes run on it), in the JSON shape the binary
    /// writes, at DEBUG. One global subscriber routes each thread's logs to its test: scoped
    /// subscribers set up and dropped by tests on other threads change tracing's global maximum
    /// level and per-site interest under a running test, which lost its events now and then.
    fn capture() -> (Captured, Capturing) {
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_max_level(tracing::Level::DEBUG)
                .with_writer(|| ThreadSink)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in these tests");
        });
        let captured = Captured::default();
        SINK.with(|sink| *sink.borrow_mut() = Some(captured.clone()));
        (captured, Capturing)
    }

    fn throttled() -> Answer {
        Answer::error("ThrottlingException", "Rate exceeded")
    }

    /// The fields that identify an attempt and what came back.
    fn outcome(event: &Value) -> Value {
        json!({
            "level": event["level"],
            "service": event["service"],
            "operation": event["operation"],
            "registry": event["registry"],
            "attempt": event["attempt"],
            "status": event.get("status"),
            "error": event.get("error"),
            "throttled": event["throttled"],
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_throttled_twice_is_one_call_with_two_retries_and_two_throttles() {
        let ecr = RecordedEcr::new();
        ecr.then("DescribeRepositories", throttled())
            .then("DescribeRepositories", throttled())
            .then(
                "DescribeRepositories",
                Answer::ok(json!({ "repositories": [described(REGISTRY, "app")] })),
            );
        let counts = CallCounts::new();
        let registry = ecr.registry_counting(REGISTRY, 5, &counts);

        registry.read(&ReadScope::default()).await.unwrap();

        assert_eq!(
            counts.totals(),
            CallTotals {
                calls: 1,
                retries: 2,
                throttled: 2
            }
        );
        let sent = counts.totals().calls + counts.totals().retries;
        assert_eq!(sent, u64::try_from(ecr.total()).unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn every_attempt_is_logged_with_its_operation_registry_status_and_latency() {
        let (captured, _guard) = capture();
        let ecr = RecordedEcr::new();
        ecr.then("DescribeRepositories", throttled()).then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [] })),
        );
        let registry = ecr.registry_counting(REGISTRY, 5, &CallCounts::new());

        registry.read(&ReadScope::default()).await.unwrap();

        let calls = captured.events("aws call");
        assert_eq!(
            calls.iter().map(outcome).collect::<Vec<_>>(),
            [
                json!({"level": "WARN", "service": "ECR", "operation": "DescribeRepositories",
                       "registry": REGISTRY, "attempt": 1, "status": 400,
                       "error": "ThrottlingException", "throttled": true}),
                json!({"level": "INFO", "service": "ECR", "operation": "DescribeRepositories",
                       "registry": REGISTRY, "attempt": 2, "status": 200,
                       "error": null, "throttled": false}),
            ]
        );
        for call in &calls {
            assert!(call["latency_ms"].is_u64(), "{call}");
            assert_eq!(
                call["request_id"], "8f8c4f3e-5d0a-4e34-9d39-2b0c4a1f2e10",
                "{call}"
            );
            assert_eq!(call["target"], "ecrform_aws::call_log", "{call}");
        }
        let retries = captured.events("retrying");
        assert_eq!(retries.len(), 1, "{retries:?}");
        assert_eq!(retries[0]["attempt"], 2);
        assert_eq!(retries[0]["after"], "ThrottlingException");
        assert_eq!(captured.events("sending").len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn kms_calls_go_through_the_same_log_and_counts() {
        let (captured, _guard) = capture();
        let ecr = RecordedEcr::new();
        ecr.always(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [] })),
        )
        .always("DescribeKey", throttled());
        let scope = ReadScope {
            kms_keys: ["alias/a".to_owned()].into(),
            ..ReadScope::default()
        };
        let counts = CallCounts::new();

        let registry = ecr.registry_counting(REGISTRY, 2, &counts);
        registry.read(&scope).await.unwrap_err();

        let kms: Vec<Value> = captured
            .events("aws call")
            .into_iter()
            .filter(|event| event["service"] == "KMS")
            .map(|event| outcome(&event))
            .collect();
        assert_eq!(kms.len(), 2, "{kms:?}");
        assert_eq!(kms[0]["operation"], "DescribeKey");
        assert_eq!(kms[1]["attempt"], 2);
        assert!(kms.iter().all(|event| event["throttled"] == true));
        assert_eq!(
            counts.totals(),
            CallTotals {
                calls: 2,
                retries: 1,
                throttled: 2
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_not_found_answer_is_an_error_code_not_a_throttle_or_a_retry() {
        let (captured, _guard) = capture();
        let ecr = RecordedEcr::new();
        ecr.always(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [described(REGISTRY, "app")] })),
        )
        .always(
            "GetLifecyclePolicy",
            Answer::error(
                "LifecyclePolicyNotFoundException",
                "Lifecycle policy does not exist for the repository with name 'app'",
            ),
        );
        let scope = ReadScope {
            repositories: [(
                ecrform_model::RepositoryName::parse("app").unwrap(),
                ecrform_plan::Aspects {
                    lifecycle_policy: true,
                    ..ecrform_plan::Aspects::default()
                },
            )]
            .into(),
            ..ReadScope::default()
        };
        let counts = CallCounts::new();

        let registry = ecr.registry_counting(REGISTRY, 5, &counts);
        registry.read(&scope).await.unwrap();

        let lifecycle: Vec<Value> = captured
            .events("aws call")
            .iter()
            .filter(|event| event["operation"] == "GetLifecyclePolicy")
            .map(outcome)
            .collect();
        assert_eq!(
            lifecycle,
            [
                json!({"level": "INFO", "service": "ECR", "operation": "GetLifecyclePolicy",
                    "registry": REGISTRY, "attempt": 1, "status": 400,
                    "error": "LifecyclePolicyNotFoundException", "throttled": false})
            ]
        );
        assert_eq!(
            counts.totals(),
            CallTotals {
                calls: 2,
                retries: 0,
                throttled: 0
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_attempt_is_logged_without_a_status() {
        let (captured, _guard) = capture();
        let ecr = RecordedEcr::new();
        ecr.always("DescribeRepositories", Answer::connection_refused());
        let counts = CallCounts::new();

        let registry = ecr.registry_counting(REGISTRY, 2, &counts);
        registry.read(&ReadScope::default()).await.unwrap_err();

        let calls = captured.events("aws call");
        assert!(!calls.is_empty());
        for call in &calls {
            assert_eq!(call.get("status"), None, "{call}");
            assert_eq!(call["error"], "EndpointUnreachable", "{call}");
            assert_eq!(call["throttled"], false, "{call}");
        }
        assert_eq!(
            counts.totals().calls + counts.totals().retries,
            u64::try_from(calls.len()).unwrap()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_cut_off_by_the_attempt_timeout_is_logged_as_a_timeout() {
        let (captured, _guard) = capture();
        let ecr = RecordedEcr::new();
        ecr.then("DescribeRepositories", Answer::silence())
            .then("DescribeRepositories", Answer::silence());
        let counts = CallCounts::new();

        let registry = ecr.registry_counting(REGISTRY, 2, &counts);
        registry.read(&ReadScope::default()).await.unwrap_err();

        let calls = captured.events("aws call");
        assert_eq!(
            calls.iter().map(outcome).collect::<Vec<_>>(),
            (1..=2)
                .map(|attempt| json!({"level": "INFO", "service": "ECR",
                    "operation": "DescribeRepositories", "registry": REGISTRY,
                    "attempt": attempt, "status": null, "error": "Timeout", "throttled": false}))
                .collect::<Vec<_>>()
        );
        // The minute of the attempt timeout passes on tokio's paused clock here, and latency
        // is measured on the wall clock: only its presence is checked.
        assert!(calls.iter().all(|call| call["latency_ms"].is_u64()));
        assert_eq!(captured.events("retrying")[0]["after"], "Timeout");
        assert_eq!(
            counts.totals(),
            CallTotals {
                calls: 1,
                retries: 1,
                throttled: 0
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn http_429_counts_as_throttled_whatever_its_code() {
        let (captured, _guard) = capture();
        let ecr = RecordedEcr::new();
        ecr.always(
            "DescribeRepositories",
            Answer::status(429, json!({ "message": "Too Many Requests" })),
        );
        let counts = CallCounts::new();

        let registry = ecr.registry_counting(REGISTRY, 1, &counts);
        registry.read(&ReadScope::default()).await.unwrap_err();

        let calls = captured.events("aws call");
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0]["status"], 429);
        assert_eq!(calls[0]["throttled"], true);
        assert_eq!(counts.totals().throttled, 1);
    }

    #[test]
    fn error_codes_lose_their_namespace_and_uri() {
        let cases = [
            (
                json!({"__type": "ThrottlingException"}),
                None,
                Some("ThrottlingException"),
            ),
            (
                json!({"__type": "com.amazonaws.ecr#RepositoryNotFoundException"}),
                None,
                Some("RepositoryNotFoundException"),
            ),
            (
                json!({"code": "AccessDeniedException:http://internal.amazon.com/"}),
                None,
                Some("AccessDeniedException"),
            ),
            (
                json!({}),
                Some("aws.protocols#ExpiredTokenException"),
                Some("ExpiredTokenException"),
            ),
            (json!({"message": "no code"}), None, None),
        ];
        for (body, header, expected) in cases {
            let mut response = HttpResponse::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                aws_smithy_types::body::SdkBody::from(body.to_string()),
            );
            if let Some(header) = header {
                response.headers_mut().insert("x-amzn-errortype", header);
            }
            assert_eq!(
                error_code(&response).as_deref(),
                expected,
                "{body} {header:?}"
            );
        }
    }
}
