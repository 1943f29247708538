//! What the proxy does with one request, decided from the request alone and the seed: which
//! operation it is, whose rate bucket it draws from, and whether it meets a fault.
//!
//! A fault is drawn from a hash of the seed, the operation, the request body, the SDK's
//! attempt number and how many identical requests came before, not from one random stream in
//! arrival order. Concurrent requests arrive in a different order on every run; drawn this
//! way, each request meets the same fate on every run with the same seed, whatever the
//! interleaving, while a retry (another attempt number) and a repeated call (another
//! occurrence) draw afresh.

use std::collections::HashMap;
use std::time::Instant;

use ecrform_model::Operation;

use super::http::Request;
use super::{FaultKind, Faults, OperationFilter, Throttle};

/// The X-Amz-Target prefix of ECR's operations (awsJson1.1).
const ECR_TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";
/// The X-Amz-Target prefix of KMS's operations.
const KMS_TARGET_PREFIX: &str = "TrentService.";

/// ECR writes that do not answer the same when sent twice: a second CreateRepository is
/// RepositoryAlreadyExistsException, a second delete is a not-found error. A lost response on
/// one of these is what tells whether a caller's retry copes with its own first attempt.
const NON_IDEMPOTENT_WRITES: [Operation; 12] = [
    Operation::CreateRepository,
    Operation::DeleteRepository,
    Operation::DeleteLifecyclePolicy,
    Operation::DeleteRepositoryPolicy,
    Operation::DeleteRegistryPolicy,
    Operation::CreatePullThroughCacheRule,
    Operation::DeletePullThroughCacheRule,
    Operation::CreateRepositoryCreationTemplate,
    Operation::DeleteRepositoryCreationTemplate,
    Operation::DeleteSigningConfiguration,
    Operation::RegisterPullTimeUpdateExclusion,
    Operation::DeregisterPullTimeUpdateExclusion,
];

/// What the proxy learns from a request before deciding its fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestFacts {
    /// The ECR operation's name (`CreateRepository`), `kms:NAME` or `sts:NAME` for the other
    /// services ecrform calls, or `METHOD PATH` for anything else (the emulator's own API).
    pub operation: String,
    /// The rate bucket: the access key id and region of the SigV4 credential scope.
    pub rate_key: Option<String>,
    /// The SDK's attempt number (`amz-sdk-request: attempt=N; max=M`), 1 when not said.
    pub attempt: u32,
    /// The repository the request names (`repositoryName`, else `resourceArn`), if any.
    pub resource: Option<String>,
}

impl RequestFacts {
    pub fn of(request: &Request) -> RequestFacts {
        RequestFacts {
            operation: operation(request),
            rate_key: request.header("authorization").and_then(rate_key),
            attempt: request
                .header("amz-sdk-request")
                .and_then(attempt)
                .unwrap_or(1),
            resource: resource(&request.body),
        }
    }
}

fn operation(request: &Request) -> String {
    if let Some(target) = request.header("x-amz-target") {
        if let Some(name) = target.strip_prefix(ECR_TARGET_PREFIX) {
            return name.to_owned();
        }
        if let Some(name) = target.strip_prefix(KMS_TARGET_PREFIX) {
            return format!("kms:{name}");
        }
        return target.to_owned();
    }
    // STS (and other query-protocol services) name the action in the form-encoded body.
    let form = std::str::from_utf8(&request.body).unwrap_or_default();
    if let Some(action) = form
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
    {
        let service = request
            .header("authorization")
            .and_then(credential_scope)
            .map_or("query", |scope| scope.service);
        return format!("{service}:{action}");
    }
    let path = request.target.split('?').next().unwrap_or_default();
    format!("{} {path}", request.method)
}

struct CredentialScope<'a> {
    access_key_id: &'a str,
    region: &'a str,
    service: &'a str,
}

/// `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=...`
fn credential_scope(authorization: &str) -> Option<CredentialScope<'_>> {
    let credential = authorization
        .split([' ', ','])
        .find_map(|part| part.trim().strip_prefix("Credential="))?;
    let mut parts = credential.split('/');
    let access_key_id = parts.next()?;
    let _date = parts.next()?;
    let region = parts.next()?;
    let service = parts.next()?;
    Some(CredentialScope {
        access_key_id,
        region,
        service,
    })
}

fn rate_key(authorization: &str) -> Option<String> {
    let scope = credential_scope(authorization)?;
    Some(format!("{}/{}", scope.access_key_id, scope.region))
}

fn attempt(header: &str) -> Option<u32> {
    header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("attempt="))
        .and_then(|n| n.trim().parse().ok())
}

fn resource(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["repositoryName", "resourceArn"]
        .iter()
        .find_map(|key| value.get(key)?.as_str().map(str::to_owned))
}

impl OperationFilter {
    pub(crate) fn matches(&self, operation: &str) -> bool {
        match self {
            OperationFilter::Any => true,
            OperationFilter::Only(names) => names.contains(operation),
            OperationFilter::Writes => Operation::parse(operation).is_some_and(|op| !op.is_read()),
            OperationFilter::NonIdempotentWrites => {
                Operation::parse(operation).is_some_and(|op| NON_IDEMPOTENT_WRITES.contains(&op))
            }
        }
    }
}

/// splitmix64: a tiny, well-mixed generator step; enough for drawing faults.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// FNV-1a: a stable hash (std's hasher may change between Rust releases, and a seed must
/// mean the same faults on every toolchain).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash = 0xCBF2_9CE4_8422_2325_u64;
    for part in parts {
        for byte in part.iter().chain(&[0xFF]) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01B3);
        }
    }
    hash
}

/// A uniform draw in [0, 1) from a mixed value.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1_u64 << 53) as f64
}

/// Draws the fault of one request, or none.
#[derive(Debug, Default)]
pub(crate) struct FaultDraws {
    /// How many requests with the same content came before, by content hash.
    occurrences: HashMap<u64, u32>,
    /// Faults injected since the faults were last configured.
    pub injected: u64,
}

impl FaultDraws {
    pub fn draw(
        &mut self,
        seed: u64,
        faults: &Faults,
        facts: &RequestFacts,
        body: &[u8],
    ) -> Option<FaultKind> {
        let content = fnv1a(&[facts.operation.as_bytes(), body]);
        let key = mix(content ^ u64::from(facts.attempt).rotate_left(32));
        let occurrence = self.occurrences.entry(key).or_insert(0);
        let draw = mix(mix(seed ^ key) ^ u64::from(*occurrence));
        *occurrence += 1;
        if faults.rate <= 0.0
            || faults.limit.is_some_and(|limit| self.injected >= limit)
            || (faults.first_attempt_only && facts.attempt > 1)
            || !faults.operations.matches(&facts.operation)
        {
            return None;
        }
        let total: u64 = faults
            .kinds
            .iter()
            .map(|(_, weight)| u64::from(*weight))
            .sum();
        if total == 0 || unit(draw) >= faults.rate {
            return None;
        }
        let mut pick = mix(draw) % total;
        for (kind, weight) in &faults.kinds {
            let weight = u64::from(*weight);
            if pick < weight {
                self.injected += 1;
                return Some(*kind);
            }
            pick -= weight;
        }
        None
    }
}

/// Token buckets, one per rate key.
#[derive(Debug, Default)]
pub(crate) struct RateBuckets {
    buckets: HashMap<String, Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl RateBuckets {
    /// Whether a request with `key` may pass now; it takes a token when it does.
    pub fn admit(&mut self, throttle: &Throttle, key: &str, now: Instant) -> bool {
        let capacity = f64::from(throttle.burst.max(1));
        let bucket = self
            .buckets
            .entry(key.to_owned())
            .or_insert_with(|| Bucket {
                tokens: capacity,
                refilled: now,
            });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * throttle.requests_per_second).min(capacity);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn clear(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use super::*;

    fn request(headers: &[(&str, &str)], body: &str) -> Request {
        Request {
            method: "POST".into(),
            target: "/".into(),
            version: "HTTP/1.1".into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/eu-west-1/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";

    #[test]
    fn requests_are_named_by_their_service_and_operation() {
        let cases = [
            (
                request(
                    &[(
                        "X-Amz-Target",
                        "AmazonEC2ContainerRegistry_V20150921.CreateRepository",
                    )],
                    r#"{"repositoryName":"team/app"}"#,
                ),
                "CreateRepository",
            ),
            (
                request(&[("x-amz-target", "TrentService.DescribeKey")], "{}"),
                "kms:DescribeKey",
            ),
            (
                request(
                    &[(
                        "Authorization",
                        "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/sts/aws4_request",
                    )],
                    "Action=AssumeRole&Version=2011-06-15",
                ),
                "sts:AssumeRole",
            ),
            (request(&[], ""), "POST /"),
        ];
        for (request, expected) in cases {
            assert_eq!(RequestFacts::of(&request).operation, expected);
        }
    }

    #[test]
    fn the_rate_key_is_the_access_key_and_region_of_the_credential_scope() {
        let facts = RequestFacts::of(&request(
            &[
                ("Authorization", AUTHORIZATION),
                ("amz-sdk-request", "attempt=3; max=5"),
            ],
            r#"{"resourceArn":"arn:aws:ecr:eu-west-1:1:repository/a"}"#,
        ));
        assert_eq!(facts.rate_key.as_deref(), Some("AKIDEXAMPLE/eu-west-1"));
        assert_eq!(facts.attempt, 3);
        assert_eq!(
            facts.resource.as_deref(),
            Some("arn:aws:ecr:eu-west-1:1:repository/a")
        );
        assert_eq!(RequestFacts::of(&request(&[], "")).attempt, 1);
    }

    #[test]
    fn operation_filters_know_reads_writes_and_non_idempotent_writes() {
        let writes = OperationFilter::Writes;
        let non_idempotent = OperationFilter::NonIdempotentWrites;
        let only = OperationFilter::only([Operation::GetLifecyclePolicy]);
        let cases = [
            ("CreateRepository", true, true, false),
            ("PutLifecyclePolicy", true, false, false),
            ("DeleteLifecyclePolicy", true, true, false),
            ("GetLifecyclePolicy", false, false, true),
            ("kms:DescribeKey", false, false, false),
        ];
        for (operation, write, not_idempotent, named) in cases {
            assert_eq!(writes.matches(operation), write, "{operation}");
            assert_eq!(
                non_idempotent.matches(operation),
                not_idempotent,
                "{operation}"
            );
            assert_eq!(only.matches(operation), named, "{operation}");
        }
    }

    fn draws(seed: u64, faults: &Faults, requests: &[(&str, u32)]) -> Vec<Option<FaultKind>> {
        let mut draws = FaultDraws::default();
        requests
            .iter()
            .map(|(body, attempt)| {
                let facts = RequestFacts {
                    operation: "GetLifecyclePolicy".into(),
                    rate_key: None,
                    attempt: *attempt,
                    resource: None,
                };
                draws.draw(seed, faults, &facts, body.as_bytes())
            })
            .collect()
    }

    #[test]
    fn the_same_requests_meet_the_same_faults_under_the_same_seed_in_any_order() {
        let faults = Faults::at_rate(0.5, &[(FaultKind::ServerError, 1), (FaultKind::Stall, 1)]);
        let requests: Vec<(String, u32)> =
            (0..200).map(|i| (format!("{{\"n\":{i}}}"), 1)).collect();
        let requests: Vec<(&str, u32)> = requests.iter().map(|(b, a)| (b.as_str(), *a)).collect();
        let first = draws(7, &faults, &requests);
        assert_eq!(first, draws(7, &faults, &requests));
        assert_ne!(first, draws(8, &faults, &requests));
        let reversed: Vec<_> = requests.iter().rev().copied().collect();
        let mut back = draws(7, &faults, &reversed);
        back.reverse();
        assert_eq!(first, back);
        let faulted = first.iter().flatten().count();
        assert!((60..140).contains(&faulted), "{faulted} of 200 at rate 0.5");
        assert!(first.contains(&Some(FaultKind::Stall)));
        assert!(first.contains(&Some(FaultKind::ServerError)));
    }

    #[test]
    fn a_repeated_request_and_a_retry_draw_afresh() {
        let faults = Faults::at_rate(0.5, &[(FaultKind::ServerError, 1)]);
        let repeated = draws(1, &faults, &[("{}", 1); 64]);
        assert!(repeated.contains(&None) && repeated.contains(&Some(FaultKind::ServerError)));
        let retried: Vec<(&str, u32)> = (1..=64).map(|attempt| ("{}", attempt)).collect();
        let retried = draws(1, &faults, &retried);
        assert!(retried.contains(&None) && retried.contains(&Some(FaultKind::ServerError)));
    }

    #[test]
    fn first_attempt_only_and_the_limit_bound_what_is_injected() {
        let mut faults = Faults::at_rate(1.0, &[(FaultKind::LostResponse, 1)]);
        faults.first_attempt_only = true;
        assert_eq!(
            draws(3, &faults, &[("{}", 1), ("{}", 2), ("{}", 1)]),
            [
                Some(FaultKind::LostResponse),
                None,
                Some(FaultKind::LostResponse)
            ]
        );
        faults.limit = Some(1);
        assert_eq!(
            draws(3, &faults, &[("{}", 1), ("{}", 1)]),
            [Some(FaultKind::LostResponse), None]
        );
    }

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        let throttle = Throttle {
            requests_per_second: 10.0,
            burst: 3,
        };
        let mut buckets = RateBuckets::default();
        let start = Instant::now();
        let admitted = (0..10)
            .filter(|_| buckets.admit(&throttle, "a", start))
            .count();
        assert_eq!(admitted, 3);
        // Another key has its own bucket.
        assert!(buckets.admit(&throttle, "b", start));
        // 10 per second: one more after 150 ms, not two.
        let later = start + Duration::from_millis(150);
        assert!(buckets.admit(&throttle, "a", later));
        assert!(!buckets.admit(&throttle, "a", later));
    }
}
