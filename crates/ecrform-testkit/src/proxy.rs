//! A misbehaving network in front of the local ECR emulator: latency, throttling and faults,
//! on cue and reproducible from a seed.
//!
//! The emulator answers every request at once, never throttles and never fails in transit, so
//! by itself it cannot show what ecrform does when ECR is slow, says "Rate exceeded", answers
//! 500 or 503, resets a connection, never answers, or performs a write whose answer is lost.
//! [`Proxy`] is an HTTP/1.1 reverse proxy on a free 127.0.0.1 port that the real binary (or
//! the AWS CLI) is pointed at instead of the emulator (`AWS_ENDPOINT_URL`, see
//! [`Proxy::command`]); it passes requests on to the emulator and does to them what its
//! [`ProxyConfig`] says:
//!
//! - `latency`: every answer is delayed by this much (a stand-in for ECR's round trip);
//! - `throttle`: a token bucket of R requests per second (burst B) per *rate key*; a request
//!   over the limit is answered HTTP 400 `ThrottlingException` "Rate exceeded", as ECR does,
//!   and never reaches the emulator. ECR limits per account and region, but an access key
//!   cannot be mapped to its account from the request, so the rate key is the access key id
//!   and region of the request's SigV4 credential scope: every role session (each its own
//!   key) has its own bucket;
//! - `faults`: at rate p, and only for the operations and attempts chosen, one of the
//!   [`FaultKind`]s, picked by weight;
//! - `seed`: the same seed gives the same requests the same fates (see `decide.rs` for why the
//!   draw depends on the request and not on arrival order);
//! - `replay_reads`: ECR reads answered once are answered again from that recording, without
//!   the emulator. The emulator serves a few hundred requests a second, far fewer than ECR; a
//!   benchmark of ecrform's own concurrency replays, so that the added latency, not the
//!   emulator, is what each call costs.
//!
//! Counters by operation and outcome ([`Proxy::stats`]) and a log of every exchange
//! ([`Proxy::exchanges`]) say what happened; [`Proxy::reset`] clears them. The proxy runs on
//! its own thread and runtime, so synchronous tests that drive the binary use it as they use
//! [`Emulator`], and it stops when dropped, closing every connection it holds.
//!
//! It listens on loopback only and forwards to loopback only: a test can never send anything
//! elsewhere through it.

mod decide;
mod http;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdTcpListener};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use ecrform_model::Operation;

use crate::Emulator;
use decide::{FaultDraws, RateBuckets, RequestFacts};
use http::{Request, Response};

/// What can go wrong with one request, besides throttling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// HTTP 500 `ServerException`, without forwarding.
    ServerError,
    /// HTTP 503 `ServiceUnavailableException`, without forwarding.
    ServiceUnavailable,
    /// The connection is reset (TCP RST) once the request is read, without forwarding.
    ConnectionReset,
    /// The request is read and never answered; the connection stays open until the client
    /// gives up (or the proxy is dropped).
    Stall,
    /// The request is forwarded, so it takes effect, and the connection is then closed without
    /// the answer: the caller cannot know whether its write happened.
    LostResponse,
}

impl FaultKind {
    pub const ALL: [FaultKind; 5] = [
        FaultKind::ServerError,
        FaultKind::ServiceUnavailable,
        FaultKind::ConnectionReset,
        FaultKind::Stall,
        FaultKind::LostResponse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::ServerError => "server_error",
            FaultKind::ServiceUnavailable => "service_unavailable",
            FaultKind::ConnectionReset => "connection_reset",
            FaultKind::Stall => "stall",
            FaultKind::LostResponse => "lost_response",
        }
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request rate limit: a token bucket per rate key (access key id and region).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    /// Tokens added per second.
    pub requests_per_second: f64,
    /// Tokens a bucket holds at most, and starts with: requests that may pass at once.
    pub burst: u32,
}

impl Throttle {
    /// `rate` requests per second, with a burst of one second's worth.
    pub fn per_second(rate: f64) -> Throttle {
        Throttle {
            requests_per_second: rate,
            // Saturating float-to-int cast: a burst never exceeds u32::MAX.
            burst: rate.ceil().max(1.0) as u32,
        }
    }
}

/// Which requests faults may hit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OperationFilter {
    /// Every request.
    #[default]
    Any,
    /// Requests of these operations, named as [`ProxyStats::operations`] names them
    /// (`CreateRepository`, `kms:DescribeKey`, `sts:AssumeRole`).
    Only(BTreeSet<String>),
    /// ECR operations that change something ([`Operation::is_read`] is false).
    Writes,
    /// ECR writes that answer differently when sent twice: creates, deletes, registrations
    /// (a second CreateRepository is RepositoryAlreadyExistsException).
    NonIdempotentWrites,
}

impl OperationFilter {
    pub fn only(operations: impl IntoIterator<Item = Operation>) -> OperationFilter {
        OperationFilter::Only(
            operations
                .into_iter()
                .map(|operation| operation.as_str().to_owned())
                .collect(),
        )
    }

    /// Operations by name, for those that are not ECR's (`sts:AssumeRole`).
    pub fn only_named<S: Into<String>>(names: impl IntoIterator<Item = S>) -> OperationFilter {
        OperationFilter::Only(names.into_iter().map(Into::into).collect())
    }
}

/// Fault injection.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// The probability that a request the filters let through meets a fault, 0 to 1.
    pub rate: f64,
    /// The kinds a fault is picked from, with their weights.
    pub kinds: Vec<(FaultKind, u32)>,
    pub operations: OperationFilter,
    /// Only a request's first attempt (the SDK's `amz-sdk-request: attempt=1`) meets a fault,
    /// so that every call fails once and its retry gets through.
    pub first_attempt_only: bool,
    /// At most this many faults since the configuration was set.
    pub limit: Option<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults::none()
    }
}

impl Faults {
    pub fn none() -> Faults {
        Faults {
            rate: 0.0,
            kinds: Vec::new(),
            operations: OperationFilter::Any,
            first_attempt_only: false,
            limit: None,
        }
    }

    /// Faults at `rate`, of the weighted `kinds`, on every request.
    pub fn at_rate(rate: f64, kinds: &[(FaultKind, u32)]) -> Faults {
        Faults {
            rate,
            kinds: kinds.to_vec(),
            ..Faults::none()
        }
    }

    /// `kind` on every request the filters let through.
    pub fn always(kind: FaultKind) -> Faults {
        Faults::at_rate(1.0, &[(kind, 1)])
    }

    /// Only on these operations.
    pub fn on(mut self, operations: OperationFilter) -> Faults {
        self.operations = operations;
        self
    }

    /// Only on first attempts: each call fails once.
    pub fn first_attempts_only(mut self) -> Faults {
        self.first_attempt_only = true;
        self
    }

    /// At most `limit` faults in all.
    pub fn at_most(mut self, limit: u64) -> Faults {
        self.limit = Some(limit);
        self
    }
}

/// How the proxy treats requests; [`Proxy::set_config`] changes it while it runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProxyConfig {
    /// Added before every answer (and before every fault but a stall).
    pub latency: Duration,
    pub throttle: Option<Throttle>,
    pub faults: Faults,
    pub seed: u64,
    /// Answer an ECR read (DescribeRepositories, ListTagsForResource, Get*...) that was
    /// answered before, for the same access key and region and with the same body, from the
    /// recorded answer (a success or a 4xx), without forwarding it. Only for benchmarks:
    /// replayed answers do not see later writes. Throttling, faults and latency still apply.
    pub replay_reads: bool,
}

impl ProxyConfig {
    /// Passes everything on untouched.
    pub fn transparent() -> ProxyConfig {
        ProxyConfig::default()
    }

    pub fn with_latency(mut self, latency: Duration) -> ProxyConfig {
        self.latency = latency;
        self
    }

    pub fn with_throttle(mut self, throttle: Throttle) -> ProxyConfig {
        self.throttle = Some(throttle);
        self
    }

    pub fn with_faults(mut self, faults: Faults) -> ProxyConfig {
        self.faults = faults;
        self
    }

    pub fn with_seed(mut self, seed: u64) -> ProxyConfig {
        self.seed = seed;
        self
    }

    pub fn with_replayed_reads(mut self) -> ProxyConfig {
        self.replay_reads = true;
        self
    }
}

/// Counters of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationStats {
    /// Requests read whole (every attempt counts).
    pub requests: u64,
    /// Sent to the emulator (answered, or answered and lost).
    pub forwarded: u64,
    /// Answered with the emulator's response, whatever its status.
    pub answered: u64,
    /// Answered from a recording (`replay_reads`), not forwarded.
    pub replayed: u64,
    /// Answered `ThrottlingException` by the proxy.
    pub throttled: u64,
    /// Met a fault.
    pub faulted: u64,
}

/// What the proxy has seen since it started or was last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Client connections accepted.
    pub connections: u64,
    pub requests: u64,
    pub forwarded: u64,
    pub answered: u64,
    pub replayed: u64,
    pub throttled: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<FaultKind, u64>,
    /// Requests the emulator could not be reached for (answered 502).
    pub upstream_errors: u64,
    /// By operation name: ECR's (`CreateRepository`), `kms:NAME`, `sts:NAME`, or
    /// `METHOD PATH` for anything else.
    pub operations: BTreeMap<String, OperationStats>,
}

impl ProxyStats {
    /// The counters of one operation (zero when it was never requested).
    pub fn operation(&self, name: &str) -> OperationStats {
        self.operations.get(name).copied().unwrap_or_default()
    }

    /// The counters of one ECR operation.
    pub fn of(&self, operation: Operation) -> OperationStats {
        self.operation(operation.as_str())
    }

    /// Faults of every kind.
    pub fn faulted(&self) -> u64 {
        self.faults.values().sum()
    }

    /// Faults of one kind.
    pub fn faults_of(&self, kind: FaultKind) -> u64 {
        self.faults.get(&kind).copied().unwrap_or_default()
    }
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The emulator's answer was passed on; `error` is the AWS error type it named, if any.
    Answered {
        status: u16,
        error: Option<String>,
    },
    /// A recorded answer was given again (`replay_reads`).
    Replayed {
        status: u16,
    },
    Throttled,
    Fault(FaultKind),
    /// The emulator could not be reached; answered 502.
    UpstreamFailed,
}

/// One request and what became of it, in the order requests ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub operation: String,
    /// The repository the request names (`repositoryName`, else `resourceArn`).
    pub resource: Option<String>,
    /// The SDK's attempt number, 1 for a first attempt.
    pub attempt: u32,
    pub outcome: Outcome,
}

/// A running proxy; dropping it stops it.
#[derive(Debug)]
pub struct Proxy {
    address: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy on a free 127.0.0.1 port in front of `upstream`, which must be a
    /// loopback address.
    pub fn start(upstream: SocketAddr, config: ProxyConfig) -> io::Result<Proxy> {
        if !upstream.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the proxy forwards to loopback only, not {upstream}"),
            ));
        }
        let listener = StdTcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ecrform-proxy")
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(config)),
        });
        let (shutdown, stopped) = oneshot::channel();
        let accepting = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ecrform-proxy-accept".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => accept(listener, upstream, accepting, stopped).await,
                        Err(error) => eprintln!("proxy: cannot listen on {address}: {error}"),
                    }
                });
                // Dropping the connection tasks closes their sockets, stalled ones too.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Proxy {
            address,
            upstream,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// Starts a proxy in front of `emulator`.
    pub fn in_front_of(emulator: &Emulator, config: ProxyConfig) -> io::Result<Proxy> {
        let upstream = emulator
            .endpoint()
            .strip_prefix("http://")
            .and_then(|authority| authority.parse::<SocketAddr>().ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "the emulator's endpoint {} is not http://IP:PORT",
                        emulator.endpoint()
                    ),
                )
            })?;
        Proxy::start(upstream, config)
    }

    /// The URL to pass as `AWS_ENDPOINT_URL`, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where requests are forwarded.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// `env` (e.g. [`Emulator::env`] or [`Emulator::env_for_account`]) with every endpoint
    /// variable pointed at this proxy, so that ECR, STS and KMS calls all pass through it.
    pub fn env(&self, env: Vec<(String, String)>) -> Vec<(String, String)> {
        let endpoint = self.endpoint();
        env.into_iter()
            .map(|(key, value)| {
                if key == "AWS_ENDPOINT_URL" || key.starts_with("AWS_ENDPOINT_URL_") {
                    (key, endpoint.clone())
                } else {
                    (key, value)
                }
            })
            .collect()
    }

    /// [`Emulator::command`] for `program`, reaching the emulator through this proxy.
    pub fn command(&self, emulator: &Emulator, program: impl AsRef<OsStr>) -> Command {
        let mut command = emulator.command(program);
        command.envs(self.env(emulator.env()));
        command
    }

    pub fn stats(&self) -> ProxyStats {
        self.shared.lock().stats.clone()
    }

    /// Every exchange since the start or the last reset, in the order they ended.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.lock().exchanges.clone()
    }

    /// Forgets the counters, the log, the rate buckets and the fault draws, so that what
    /// follows meets the faults a fresh proxy with the same configuration would give it.
    /// Recorded reads are kept ([`Proxy::forget_recorded_reads`]).
    pub fn reset(&self) {
        let mut state = self.shared.lock();
        state.stats = ProxyStats::default();
        state.exchanges.clear();
        state.draws = FaultDraws::default();
        state.buckets.clear();
    }

    /// Forgets the answers `replay_reads` recorded.
    pub fn forget_recorded_reads(&self) {
        self.shared.lock().recordings.clear();
    }

    pub fn config(&self) -> ProxyConfig {
        self.shared.lock().config.clone()
    }

    /// Changes how requests are treated from now on (requests being handled keep their
    /// fate). The fault limit counts afresh and the rate buckets start full; counters and
    /// the log are kept.
    pub fn set_config(&self, config: ProxyConfig) {
        let mut state = self.shared.lock();
        state.config = config;
        state.draws.injected = 0;
        state.buckets.clear();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the proxy's thread has already been printed; there is nothing more
            // to say from a drop.
            let _ = thread.join();
        }
    }
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    config: ProxyConfig,
    stats: ProxyStats,
    exchanges: Vec<Exchange>,
    draws: FaultDraws,
    buckets: RateBuckets,
    recordings: HashMap<RecordingKey, Arc<Response>>,
}

/// A read's rate key (its credentials' access key and region), operation and body.
type RecordingKey = (Option<String>, String, Vec<u8>);

impl State {
    fn new(config: ProxyConfig) -> State {
        State {
            config,
            stats: ProxyStats::default(),
            exchanges: Vec::new(),
            draws: FaultDraws::default(),
            buckets: RateBuckets::default(),
            recordings: HashMap::new(),
        }
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Forward,
    Throttle,
    Fault(FaultKind),
}

/// A request's verdict and how it is carried out.
#[derive(Debug, Clone, Copy)]
struct Decision {
    verdict: Verdict,
    latency: Duration,
    /// A read to answer from its recording when there is one, and to record otherwise.
    replay: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is counters and tables that every update leaves whole, so a panic
        // elsewhere does not make them wrong.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn connected(&self) {
        self.lock().stats.connections += 1;
    }

    /// Counts the request and decides its fate: throttling first (a throttled request never
    /// reaches the fault draw), then faults.
    fn decide(&self, facts: &RequestFacts, body: &[u8]) -> Decision {
        let mut state = self.lock();
        let state = &mut *state;
        state.stats.requests += 1;
        state
            .stats
            .operations
            .entry(facts.operation.clone())
            .or_default()
            .requests += 1;
        let latency = state.config.latency;
        let replay = state.config.replay_reads
            && Operation::parse(&facts.operation).is_some_and(Operation::is_read);
        let decision = |verdict| Decision {
            verdict,
            latency,
            replay,
        };
        if let (Some(throttle), Some(key)) = (&state.config.throttle, &facts.rate_key)
            && !state.buckets.admit(throttle, key, Instant::now())
        {
            return decision(Verdict::Throttle);
        }
        let verdict = state
            .draws
            .draw(state.config.seed, &state.config.faults, facts, body)
            .map_or(Verdict::Forward, Verdict::Fault);
        decision(verdict)
    }

    fn recording_key(facts: &RequestFacts, body: &[u8]) -> RecordingKey {
        (
            facts.rate_key.clone(),
            facts.operation.clone(),
            body.to_vec(),
        )
    }

    fn recorded(&self, facts: &RequestFacts, body: &[u8]) -> Option<Arc<Response>> {
        let key = Shared::recording_key(facts, body);
        self.lock().recordings.get(&key).cloned()
    }

    /// Keeps an answer that is the emulator's word on the request (a success or a 4xx such
    /// as a not-found), not a failure of the moment.
    fn record(&self, facts: &RequestFacts, body: &[u8], response: &Response) {
        if response.status < 500 {
            let key = Shared::recording_key(facts, body);
            self.lock()
                .recordings
                .insert(key, Arc::new(response.clone()));
        }
    }

    fn finish(&self, facts: RequestFacts, outcome: Outcome, forwarded: bool) {
        let mut state = self.lock();
        let stats = &mut state.stats;
        let operation = stats.operations.entry(facts.operation.clone()).or_default();
        if forwarded {
            stats.forwarded += 1;
            operation.forwarded += 1;
        }
        match &outcome {
            Outcome::Answered { .. } => {
                stats.answered += 1;
                operation.answered += 1;
            }
            Outcome::Replayed { .. } => {
                stats.replayed += 1;
                operation.replayed += 1;
            }
            Outcome::Throttled => {
                stats.throttled += 1;
                operation.throttled += 1;
            }
            Outcome::Fault(kind) => {
                *stats.faults.entry(*kind).or_default() += 1;
                operation.faulted += 1;
            }
            Outcome::UpstreamFailed => stats.upstream_errors += 1,
        }
        state.exchanges.push(Exchange {
            operation: facts.operation,
            resource: facts.resource,
            attempt: facts.attempt,
            outcome,
        });
    }
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.connected();
                    tokio::spawn(serve(stream, upstream, Arc::clone(&shared)));
                }
                // Out of file descriptors, say: the client's connect times out and it
                // retries, as it would with ECR; the proxy waits a moment and goes on.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

/// One client connection: its requests in turn, each with its own fate, over one upstream
/// connection kept open while both ends allow it.
async fn serve(client: TcpStream, upstream: SocketAddr, shared: Arc<Shared>) {
    // Nagle's algorithm with delayed acknowledgements would add tens of milliseconds to
    // small answers, and the latency is the proxy's to choose.
    let _ = client.set_nodelay(true);
    let mut client = BufReader::new(client);
    let mut upstream = Upstream::new(upstream);
    loop {
        let request = match http::read_request(&mut client).await {
            Ok(Some(request)) => request,
            // Closed between requests, or not speaking HTTP: either way, done.
            Ok(None) | Err(_) => return,
        };
        let facts = RequestFacts::of(&request);
        let decision = shared.decide(&facts, &request.body);
        if decision.verdict != Verdict::Fault(FaultKind::Stall) && !decision.latency.is_zero() {
            tokio::time::sleep(decision.latency).await;
        }
        let keep_alive = request.keeps_alive();
        let recorded = match decision.verdict {
            Verdict::Forward if decision.replay => shared.recorded(&facts, &request.body),
            _ => None,
        };
        let response = if let Some(response) = recorded {
            let status = response.status;
            shared.finish(facts, Outcome::Replayed { status }, false);
            response
        } else {
            Arc::new(match decision.verdict {
                Verdict::Throttle => {
                    shared.finish(facts, Outcome::Throttled, false);
                    Response::aws_error(400, "Bad Request", "ThrottlingException", "Rate exceeded")
                }
                Verdict::Fault(kind @ FaultKind::ServerError) => {
                    shared.finish(facts, Outcome::Fault(kind), false);
                    Response::aws_error(
                        500,
                        "Internal Server Error",
                        "ServerException",
                        "injected by the test proxy",
                    )
                }
                Verdict::Fault(kind @ FaultKind::ServiceUnavailable) => {
                    shared.finish(facts, Outcome::Fault(kind), false);
                    Response::aws_error(
                        503,
                        "Service Unavailable",
                        "ServiceUnavailableException",
                        "injected by the test proxy",
                    )
                }
                Verdict::Fault(kind @ FaultKind::ConnectionReset) => {
                    shared.finish(facts, Outcome::Fault(kind), false);
                    // Zero linger makes the close a reset (RST), not an orderly end of stream.
                    let _ = client.get_ref().set_zero_linger();
                    return;
                }
                Verdict::Fault(kind @ FaultKind::Stall) => {
                    shared.finish(facts, Outcome::Fault(kind), false);
                    drain_until_closed(&mut client).await;
                    return;
                }
                Verdict::Fault(kind @ FaultKind::LostResponse) => {
                    let forwarded = upstream.exchange(&request).await.is_ok();
                    shared.finish(facts, Outcome::Fault(kind), forwarded);
                    return;
                }
                Verdict::Forward => match upstream.exchange(&request).await {
                    Ok(response) => {
                        if decision.replay {
                            shared.record(&facts, &request.body, &response);
                        }
                        let error = aws_error_type(&response);
                        shared.finish(
                            facts,
                            Outcome::Answered {
                                status: response.status,
                                error,
                            },
                            true,
                        );
                        response
                    }
                    Err(error) => {
                        shared.finish(facts, Outcome::UpstreamFailed, false);
                        Response::aws_error(
                            502,
                            "Bad Gateway",
                            "BadGateway",
                            &format!("the test proxy could not reach the emulator: {error}"),
                        )
                    }
                },
            })
        };
        if client
            .get_mut()
            .write_all(&response.encode(!keep_alive))
            .await
            .is_err()
            || !keep_alive
        {
            return;
        }
    }
}

/// A stalled request: whatever the client sends is read and ignored until it closes.
async fn drain_until_closed(client: &mut BufReader<TcpStream>) {
    let mut buffer = [0_u8; 4096];
    while let Ok(read) = client.read(&mut buffer).await {
        if read == 0 {
            return;
        }
    }
}

/// The AWS error an answer names: the `x-amzn-ErrorType` header, else the body's `__type`,
/// without the `namespace#` or `:url` decorations.
fn aws_error_type(response: &Response) -> Option<String> {
    if response.status < 300 {
        return None;
    }
    let raw = response
        .header("x-amzn-errortype")
        .map(str::to_owned)
        .or_else(|| {
            let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
            body.get("__type")?.as_str().map(str::to_owned)
        })?;
    let raw = raw.split(':').next().unwrap_or_default();
    Some(raw.rsplit('#').next().unwrap_or_default().to_owned())
}

/// The connection to the emulator of one client connection.
struct Upstream {
    address: SocketAddr,
    connection: Option<BufReader<TcpStream>>,
}

/// What sending a request on a connection came to.
enum Sent {
    Answered(Response),
    /// The connection was closed before the request could be sent or answered: an idle
    /// connection the emulator had closed, so the request was never processed.
    Closed,
}

impl Upstream {
    fn new(address: SocketAddr) -> Upstream {
        Upstream {
            address,
            connection: None,
        }
    }

    /// Sends `request` and reads the answer, on the open connection when there is one. A
    /// kept-alive connection the emulator closed is replaced once; any other failure is the
    /// caller's, and the request is never sent twice after it may have been processed.
    async fn exchange(&mut self, request: &Request) -> io::Result<Response> {
        let bytes = request.encode();
        if let Some(mut connection) = self.connection.take()
            && let Sent::Answered(response) = send(&mut connection, &bytes, &request.method).await?
        {
            if !response.closes {
                self.connection = Some(connection);
            }
            return Ok(response);
        }
        let stream = TcpStream::connect(self.address).await?;
        let _ = stream.set_nodelay(true);
        let mut connection = BufReader::new(stream);
        match send(&mut connection, &bytes, &request.method).await? {
            Sent::Answered(response) => {
                if !response.closes {
                    self.connection = Some(connection);
                }
                Ok(response)
            }
            Sent::Closed => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the emulator closed the connection without answering",
            )),
        }
    }
}

async fn send(
    connection: &mut BufReader<TcpStream>,
    bytes: &[u8],
    method: &str,
) -> io::Result<Sent> {
    if connection.get_mut().write_all(bytes).await.is_err() {
        return Ok(Sent::Closed);
    }
    Ok(match http::read_response(connection, method).await? {
        Some(response) => Sent::Answered(response),
        None => Sent::Closed,
    })
}
