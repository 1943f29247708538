//! A scripted ECR endpoint for the adapter's tests. The local emulator never paginates, never
//! throttles, stores policies verbatim and answers what it lacks with an HTML 500, so what ECR
//! itself answers (pages with `nextToken`, HTTP 400 `ThrottlingException`, re-serialized
//! policies) is replayed here from recorded response shapes. Only the HTTP exchange is
//! replaced: the real SDK client serializes, signs, retries and parses errors as in
//! production, with the retry and timeout configuration `connect` uses.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_ecr::config::retry::RetryPartition;
use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};

use ecrform_model::{Partition, RegistryId, RepositoryName};

use crate::EcrRegistry;
use crate::call_log::CallCounts;
use crate::connect::{ConnectOptions, retry_config, timeout_config};

/// ECR's and KMS's awsJson 1.1 operations are named in this header, after the service's
/// target prefix. Their operation names do not collide (KMS's is DescribeKey).
const TARGET_PREFIXES: [&str; 2] = ["AmazonEC2ContainerRegistry_V20150921.", "TrentService."];

/// One answer to one request: an HTTP response, or none because the connection failed.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Http {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    ConnectionRefused,
    /// The request is accepted and never answered (a hung endpoint): the attempt timeout ends it.
    Silence,
}

impl Answer {
    /// A successful answer with this JSON body.
    pub(crate) fn ok(body: Value) -> Self {
        Answer::json(200, body)
    }

    /// An error the way ECR sends one: HTTP 400, the error code in `__type`.
    pub(crate) fn error(code: &str, message: &str) -> Self {
        Answer::json(400, json!({ "__type": code, "message": message }))
    }

    /// A server-side failure as ECR reports one: HTTP 500 with a JSON error.
    pub(crate) fn server_error(code: &str, message: &str) -> Self {
        Answer::json(500, json!({ "__type": code, "message": message }))
    }

    /// What the local emulator answers for an operation it does not implement.
    pub(crate) fn html_500() -> Self {
        Answer::Http {
            status: 500,
            content_type: "text/html; charset=utf-8",
            body: "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n\
                   <h1>Internal Server Error</h1>\n<p>The server encountered an internal error \
                   and was unable to complete your request.</p>\n"
                .to_owned(),
        }
    }

    /// A JSON answer with any status (HTTP 429 from a proxy or an API gateway, say).
    pub(crate) fn status(status: u16, body: Value) -> Self {
        Answer::json(status, body)
    }

    /// No answer at all: nothing listens at the endpoint.
    pub(crate) fn connection_refused() -> Self {
        Answer::ConnectionRefused
    }

    /// Never an answer: the connection stays open and silent.
    pub(crate) fn silence() -> Self {
        Answer::Silence
    }

    fn json(status: u16, body: Value) -> Self {
        Answer::Http {
            status,
            content_type: "application/x-amz-json-1.1",
            body: body.to_string(),
        }
    }
}

#[derive(Debug, Default)]
struct Script {
    /// Answers used once each, in order, per operation.
    once: BTreeMap<String, VecDeque<Answer>>,
    /// The answer per operation once its `once` answers are used up.
    always: BTreeMap<String, Answer>,
    /// Every request, in arrival order: operation and parsed JSON body.
    received: Vec<(String, Value)>,
}

/// The endpoint: what it will answer and what it was asked.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordedEcr {
    script: Arc<Mutex<Script>>,
}

impl RecordedEcr {
    pub(crate) fn new() -> Self {
        RecordedEcr::default()
    }

    /// Answers the next not yet answered request of `operation`.
    pub(crate) fn then(&self, operation: impl std::fmt::Display, answer: Answer) -> &Self {
        let mut script = self.script.lock().unwrap();
        script
            .once
            .entry(operation.to_string())
            .or_default()
            .push_back(answer);
        drop(script);
        self
    }

    /// Answers every request of `operation` that no `then` answer is left for.
    pub(crate) fn always(&self, operation: impl std::fmt::Display, answer: Answer) -> &Self {
        let mut script = self.script.lock().unwrap();
        script.always.insert(operation.to_string(), answer);
        drop(script);
        self
    }

    /// Answers every request of `operation` about `subject` (a repository, or the name of an
    /// account setting), before any answer given for the operation as a whole: such reads
    /// run concurrently, in no set order.
    pub(crate) fn always_for(
        &self,
        operation: impl std::fmt::Display,
        subject: &str,
        answer: Answer,
    ) -> &Self {
        self.always(format!("{operation} {subject}"), answer)
    }

    /// The JSON bodies of the requests of `operation`, in arrival order.
    pub(crate) fn received(&self, operation: impl std::fmt::Display) -> Vec<Value> {
        let operation = operation.to_string();
        let script = self.script.lock().unwrap();
        script
            .received
            .iter()
            .filter(|(op, _)| *op == operation)
            .map(|(_, body)| body.clone())
            .collect()
    }

    pub(crate) fn count(&self, operation: impl std::fmt::Display) -> usize {
        self.received(operation).len()
    }

    /// How many requests arrived, whatever the operation.
    pub(crate) fn total(&self) -> usize {
        self.script.lock().unwrap().received.len()
    }

    /// A registry (`ACCOUNT/REGION`) whose client talks to this endpoint, with `connect`'s
    /// retry configuration and `max_attempts`.
    pub(crate) fn registry(&self, registry: &str, max_attempts: u32) -> EcrRegistry {
        let id = RegistryId::parse(registry).unwrap();
        let config = test_config(&id, max_attempts)
            .http_client(self.clone())
            .build();
        let kms = test_kms_config(&id, max_attempts)
            .http_client(self.clone())
            .build();
        EcrRegistry::with_client(
            id,
            aws_sdk_ecr::Client::from_conf(config),
            aws_sdk_kms::Client::from_conf(kms),
            4,
        )
    }

    /// [`RecordedEcr::registry`] with the call log `connect` registers, counting into
    /// `counts`.
    pub(crate) fn registry_counting(
        &self,
        registry: &str,
        max_attempts: u32,
        counts: &CallCounts,
    ) -> EcrRegistry {
        let id = RegistryId::parse(registry).unwrap();
        let config = test_config(&id, max_attempts)
            .http_client(self.clone())
            .interceptor(counts.interceptor(&id, None))
            .build();
        let kms = test_kms_config(&id, max_attempts)
            .http_client(self.clone())
            .interceptor(counts.interceptor(&id, None))
            .build();
        EcrRegistry::with_client(
            id,
            aws_sdk_ecr::Client::from_conf(config),
            aws_sdk_kms::Client::from_conf(kms),
            4,
        )
    }

    /// The scripted answer to `request`; `None` for one that never comes.
    fn respond(&self, request: &HttpRequest) -> Option<Result<HttpResponse, ConnectorError>> {
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| {
                TARGET_PREFIXES
                    .iter()
                    .find_map(|prefix| target.strip_prefix(prefix))
            })
            .unwrap_or_default()
            .to_owned();
        let body = request
            .body()
            .bytes()
            .map(|bytes| serde_json::from_slice(bytes).unwrap())
            .unwrap_or(Value::Null);
        let subject = body["repositoryName"]
            .as_str()
            .or_else(|| {
                body["resourceArn"]
                    .as_str()
                    .and_then(|arn| arn.split_once(":repository/"))
                    .map(|(_, name)| name)
            })
            .or_else(|| body["name"].as_str())
            .or_else(|| body["KeyId"].as_str());
        let about = subject.map(|subject| format!("{operation} {subject}"));
        let mut script = self.script.lock().unwrap();
        let answer = about
            .and_then(|key| script.always.get(&key).cloned())
            .or_else(|| {
                script
                    .once
                    .get_mut(&operation)
                    .and_then(VecDeque::pop_front)
            })
            .or_else(|| script.always.get(&operation).cloned())
            // Fails the test with a message naming the operation nobody expected.
            .unwrap_or_else(|| {
                Answer::error(
                    "UnscriptedOperation",
                    &format!("the test has no answer for {operation}"),
                )
            });
        script.received.push((operation, body));
        drop(script);
        match answer {
            Answer::Http {
                status,
                content_type,
                body,
            } => {
                let status = StatusCode::try_from(status).unwrap();
                let mut response = HttpResponse::new(status, SdkBody::from(body));
                let headers = response.headers_mut();
                headers.insert("content-type", content_type);
                headers.insert("x-amzn-requestid", "8f8c4f3e-5d0a-4e34-9d39-2b0c4a1f2e10");
                Some(Ok(response))
            }
            Answer::ConnectionRefused => Some(Err(ConnectorError::io(Box::new(
                std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
            )))),
            Answer::Silence => None,
        }
    }
}

// The endpoint stands in for the SDK client's HTTP layer only: everything above it
// (serialization, signing, retries, error parsing) runs as in production.
impl HttpConnector for RecordedEcr {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match self.respond(&request) {
            Some(answer) => HttpConnectorFuture::ready(answer),
            None => HttpConnectorFuture::new(std::future::pending()),
        }
    }
}

impl HttpClient for RecordedEcr {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// The client configuration of the adapter's tests: `connect`'s retries and timeouts, fixed
/// credentials, and a retry partition of its own. Adaptive retry keeps its token bucket and
/// rate limiter per partition for the whole process, so tests sharing one would throttle
/// each other.
pub(crate) fn test_config(id: &RegistryId, max_attempts: u32) -> aws_sdk_ecr::config::Builder {
    static PARTITIONS: AtomicUsize = AtomicUsize::new(0);
    let partition = PARTITIONS.fetch_add(1, Ordering::Relaxed);
    aws_sdk_ecr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(id.region.as_str().to_owned()))
        .credentials_provider(Credentials::new(
            "AKIDECRFORMTEST",
            "secret",
            None,
            None,
            "recorded",
        ))
        .retry_config(retry_config(max_attempts))
        .timeout_config(timeout_config(&ConnectOptions::default()))
        .retry_partition(RetryPartition::new(format!("ecrform-test-{partition}")))
}

/// [`test_config`] for the KMS client.
pub(crate) fn test_kms_config(id: &RegistryId, max_attempts: u32) -> aws_sdk_kms::config::Builder {
    static PARTITIONS: AtomicUsize = AtomicUsize::new(0);
    let partition = PARTITIONS.fetch_add(1, Ordering::Relaxed);
    aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(
            id.region.as_str().to_owned(),
        ))
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            "AKIDECRFORMTEST",
            "secret",
            None,
            None,
            "recorded",
        ))
        .retry_config(retry_config(max_attempts))
        .timeout_config(timeout_config(&ConnectOptions::default()))
        .retry_partition(aws_sdk_kms::config::retry::RetryPartition::new(format!(
            "ecrform-kms-test-{partition}"
        )))
}

/// A repository as DescribeRepositories reports it in `registry` (`ACCOUNT/REGION`).
pub(crate) fn described(registry: &str, name: &str) -> Value {
    let id = RegistryId::parse(registry).unwrap();
    let (account, region) = (id.account.as_str(), id.region.as_str());
    let domain = match id.region.partition() {
        Partition::AwsCn => "amazonaws.com.cn",
        _ => "amazonaws.com",
    };
    json!({
        "repositoryArn": id.repository_arn(&RepositoryName::parse(name).unwrap()),
        "registryId": account,
        "repositoryName": name,
        "repositoryUri": format!("{account}.dkr.ecr.{region}.{domain}/{name}"),
        "createdAt": 1.700000123456E9,
        "imageTagMutability": "MUTABLE",
        "imageScanningConfiguration": { "scanOnPush": false },
        "encryptionConfiguration": { "encryptionType": "AES256" }
    })
}
