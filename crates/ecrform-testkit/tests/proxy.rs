//! The fault proxy itself: that it passes requests through unchanged, that a seed fixes which
//! requests meet which faults, that throttling holds to its rate, and that each fault does what
//! its name says (a stall never answers, a lost response reaches the emulator first).
//!
//! Most tests put the proxy in front of a tiny echo server on loopback, which is fast and
//! counts what reached it; the ones about the emulator's state and about a real SDK's retries
//! (the AWS CLI's) start the emulator. Every socket has a timeout, so a broken proxy fails a
//! test instead of hanging it.

#![allow(clippy::unwrap_used)]

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use ecrform_model::Operation;
use ecrform_testkit::Emulator;
use ecrform_testkit::proxy::{
    FaultKind, Faults, OperationFilter, Outcome, Proxy, ProxyConfig, Throttle,
};

const SOCKET_TIMEOUT: Duration = Duration::from_secs(5);
const ECR_TARGET: &str = "AmazonEC2ContainerRegistry_V20150921";

// ---------------------------------------------------------------------------------------------
// A blocking HTTP/1.1 client and an echo server, just enough for these tests.
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Message {
    head: Vec<String>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.head[1..].iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn status(&self) -> u16 {
        self.head[0].split(' ').nth(1).unwrap().parse().unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// One message framed by Content-Length; `None` when the peer closed before its first byte.
fn read_message(reader: &mut impl BufRead) -> io::Result<Option<Message>> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let mut message = Message {
        head,
        body: Vec::new(),
    };
    let length: usize = message
        .header("content-length")
        .map_or(0, |length| length.parse().unwrap());
    message.body = vec![0; length];
    reader.read_exact(&mut message.body)?;
    Ok(Some(message))
}

/// A keep-alive client connection to the proxy.
struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(address: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&address, SOCKET_TIMEOUT).unwrap();
        stream.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        Client {
            reader: BufReader::new(stream),
        }
    }

    fn with_read_timeout(self, timeout: Duration) -> Client {
        self.reader
            .get_ref()
            .set_read_timeout(Some(timeout))
            .unwrap();
        self
    }

    /// Sends an ECR request as the SDK frames it, signed (in form only: nobody checks the
    /// signature) with `access_key`, and reads the answer; `Ok(None)` when the connection was
    /// closed without one.
    fn ecr(
        &mut self,
        operation: &str,
        body: &str,
        access_key: &str,
    ) -> io::Result<Option<Message>> {
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n\
             X-Amz-Target: {ECR_TARGET}.{operation}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential={access_key}/20250101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=0\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes())?;
        read_message(&mut self.reader)
    }
}

/// Sends one request on a fresh connection; what came back, or the error kind.
fn one_request(
    address: SocketAddr,
    operation: &str,
    body: &str,
) -> Result<Option<u16>, io::ErrorKind> {
    Client::connect(address)
        .ecr(operation, body, "testing")
        .map(|answer| answer.map(|message| message.status()))
        .map_err(|error| error.kind())
}

/// Answers every request 200 with `{"echo": BODY, "served": N}`, on kept-alive connections,
/// and counts the requests that reached it.
struct EchoServer {
    address: SocketAddr,
    served: Arc<AtomicU64>,
}

impl EchoServer {
    fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let served = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&served);
        // The threads end when the test process does; the listener is never closed.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || echo(stream, &counter));
            }
        });
        EchoServer { address, served }
    }

    fn served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }
}

fn echo(stream: TcpStream, served: &AtomicU64) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Ok(Some(request)) = read_message(&mut reader) {
        let served = served.fetch_add(1, Ordering::SeqCst) + 1;
        let body = serde_json::json!({
            "echo": String::from_utf8_lossy(&request.body),
            "served": served,
        })
        .to_string();
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn proxy(upstream: SocketAddr, config: ProxyConfig) -> Proxy {
    Proxy::start(upstream, config).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Passing through
// ---------------------------------------------------------------------------------------------

#[test]
fn requests_and_answers_pass_through_unchanged_on_one_kept_alive_connection() {
    let upstream = EchoServer::start();
    let proxy = proxy(upstream.address, ProxyConfig::transparent());
    assert!(proxy.endpoint().starts_with("http://127.0.0.1:"));
    let mut client = Client::connect(proxy.address());

    for n in 1..=3 {
        let body = format!(r#"{{"repositoryName":"team/app-{n}"}}"#);
        let answer = client
            .ecr("GetLifecyclePolicy", &body, "testing")
            .unwrap()
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.json()["echo"], body);
        assert_eq!(answer.json()["served"], n);
    }

    let stats = proxy.stats();
    assert_eq!(stats.connections, 1);
    assert_eq!((stats.requests, stats.forwarded, stats.answered), (3, 3, 3));
    assert_eq!(stats.of(Operation::GetLifecyclePolicy).answered, 3);
    let exchanges = proxy.exchanges();
    assert_eq!(exchanges[0].operation, "GetLifecyclePolicy");
    assert_eq!(exchanges[0].resource.as_deref(), Some("team/app-1"));
    assert_eq!(
        exchanges[0].outcome,
        Outcome::Answered {
            status: 200,
            error: None
        }
    );

    proxy.reset();
    assert_eq!(proxy.stats(), Default::default());
    assert!(proxy.exchanges().is_empty());
}

#[test]
fn the_proxy_refuses_to_forward_anywhere_but_loopback() {
    let error =
        Proxy::start("192.0.2.1:80".parse().unwrap(), ProxyConfig::transparent()).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn latency_delays_every_answer() {
    let upstream = EchoServer::start();
    let latency = Duration::from_millis(50);
    let proxy = proxy(
        upstream.address,
        ProxyConfig::transparent().with_latency(latency),
    );
    let mut client = Client::connect(proxy.address());
    let start = Instant::now();
    for _ in 0..4 {
        client
            .ecr("DescribeRepositories", "{}", "testing")
            .unwrap()
            .unwrap();
    }
    assert!(start.elapsed() >= latency * 4, "{:?}", start.elapsed());
}

#[test]
fn replayed_reads_are_answered_from_the_recording_and_writes_never_are() {
    let upstream = EchoServer::start();
    let proxy = proxy(
        upstream.address,
        ProxyConfig::transparent().with_replayed_reads(),
    );
    let mut client = Client::connect(proxy.address());
    let body = r#"{"repositoryName":"team/app"}"#;

    let first = client
        .ecr("GetLifecyclePolicy", body, "testing")
        .unwrap()
        .unwrap();
    let again = client
        .ecr("GetLifecyclePolicy", body, "testing")
        .unwrap()
        .unwrap();
    let other_key = client
        .ecr("GetLifecyclePolicy", body, "AKIDOTHER")
        .unwrap()
        .unwrap();
    for _ in 0..2 {
        client
            .ecr("PutLifecyclePolicy", body, "testing")
            .unwrap()
            .unwrap();
    }

    assert_eq!(again.body, first.body);
    assert_eq!(
        other_key.json()["served"],
        2,
        "another access key is not replayed to"
    );
    assert_eq!(upstream.served(), 4);
    let stats = proxy.stats();
    assert_eq!(stats.of(Operation::GetLifecyclePolicy).replayed, 1);
    assert_eq!(stats.of(Operation::PutLifecyclePolicy).forwarded, 2);
}

// ---------------------------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------------------------

/// The outcome of each of 120 sequential requests through a fresh proxy.
fn fault_sequence(seed: u64) -> Vec<Outcome> {
    let upstream = EchoServer::start();
    let faults = Faults::at_rate(
        0.3,
        &[
            (FaultKind::ServerError, 2),
            (FaultKind::ServiceUnavailable, 1),
            (FaultKind::ConnectionReset, 1),
        ],
    );
    let proxy = proxy(
        upstream.address,
        ProxyConfig::transparent()
            .with_faults(faults)
            .with_seed(seed),
    );
    for n in 0..120 {
        let body = format!(r#"{{"repositoryName":"team/app-{}"}}"#, n % 40);
        // A reset is an error here, and the outcome is read from the proxy's log.
        let _ = one_request(proxy.address(), "ListTagsForResource", &body);
    }
    let outcomes: Vec<Outcome> = proxy.exchanges().into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes.len(), 120);
    outcomes
}

#[test]
fn the_same_seed_gives_the_same_fault_sequence() {
    let first = fault_sequence(42);
    assert_eq!(first, fault_sequence(42));
    assert_ne!(first, fault_sequence(43));
    let count = |wanted: &Outcome| first.iter().filter(|outcome| *outcome == wanted).count();
    for kind in [
        FaultKind::ServerError,
        FaultKind::ServiceUnavailable,
        FaultKind::ConnectionReset,
    ] {
        assert!(count(&Outcome::Fault(kind)) > 0, "no {kind} in {first:?}");
    }
    let faulted = first
        .iter()
        .filter(|outcome| matches!(outcome, Outcome::Fault(_)))
        .count();
    assert!((15..60).contains(&faulted), "{faulted} of 120 at rate 0.3");
}

// ---------------------------------------------------------------------------------------------
// Throttling
// ---------------------------------------------------------------------------------------------

#[test]
fn throttling_admits_no_more_than_the_burst_plus_the_rate() {
    let upstream = EchoServer::start();
    let throttle = Throttle {
        requests_per_second: 2.0,
        burst: 5,
    };
    let proxy = proxy(
        upstream.address,
        ProxyConfig::transparent().with_throttle(throttle),
    );
    let mut client = Client::connect(proxy.address());

    let start = Instant::now();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let answer = client
            .ecr("GetRepositoryPolicy", "{}", "AKIDONE")
            .unwrap()
            .unwrap();
        if answer.status() == 400 {
            assert_eq!(
                answer.header("x-amzn-ErrorType"),
                Some("ThrottlingException")
            );
            assert_eq!(
                answer.json(),
                serde_json::json!({"__type": "ThrottlingException", "message": "Rate exceeded"})
            );
        }
        statuses.push(answer.status());
    }
    let elapsed = start.elapsed().as_secs_f64();

    let admitted = statuses.iter().filter(|status| **status == 200).count() as u64;
    let allowed = 5 + (2.0 * elapsed).floor() as u64;
    assert!(admitted >= 5, "the burst passes at once: {statuses:?}");
    assert!(admitted <= allowed, "{admitted} admitted in {elapsed:.2}s");
    let stats = proxy.stats();
    assert_eq!(stats.throttled, 30 - admitted);
    assert_eq!(
        upstream.served(),
        admitted,
        "throttled requests are not forwarded"
    );

    // Another access key draws from its own bucket.
    let other = client
        .ecr("GetRepositoryPolicy", "{}", "AKIDTWO")
        .unwrap()
        .unwrap();
    assert_eq!(other.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

#[test]
fn server_errors_and_unavailability_are_answered_without_forwarding() {
    let upstream = EchoServer::start();
    let proxy = proxy(
        upstream.address,
        ProxyConfig::transparent().with_faults(Faults::always(FaultKind::ServerError)),
    );
    let mut client = Client::connect(proxy.address());
    let answer = client
        .ecr("CreateRepository", "{}", "testing")
        .unwrap()
        .unwrap();
    assert_eq!(answer.status(), 500);
    assert_eq!(answer.json()["__type"], "ServerException");

    proxy.set_config(
        ProxyConfig::transparent().with_faults(Faults::always(FaultKind::ServiceUnavailable)),
    );
    let answer = client
        .ecr("CreateRepository", "{}", "testing")
        .unwrap()
        .unwrap();
    assert_eq!(answer.status(), 503);
    assert_eq!(answer.json()["__type"], "ServiceUnavailableException");

    assert_eq!(upstream.served(), 0);
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::ServerError), 1);
    assert_eq!(stats.faults_of(FaultKind::ServiceUnavailable), 1);
    assert_eq!(stats.of(Operation::CreateRepository).faulted, 2);
}

#[test]
fn a_reset_connection_answers_nothing_and_forwards_nothing() {
    let upstream = EchoServer::start();
    let proxy = proxy(
        upstream.address,
        ProxyConfig::transparent().with_faults(Faults::always(FaultKind::ConnectionReset)),
    );
    let outcome = one_request(proxy.address(), "DescribeRepositories", "{}");
    // A reset reads as ECONNRESET, or as an end of stream when it overtakes the read.
    assert!(
        matches!(outcome, Err(io::ErrorKind::ConnectionReset) | Ok(None)),
        "{outcome:?}"
    );
    assert_eq!(upstream.served(), 0);
    assert_eq!(proxy.stats().faults_of(FaultKind::ConnectionReset), 1);
}

#[test]
fn a_stalled_request_is_never_answered_nor_forwarded() {
    let upstream = EchoServer::start();
    let proxy = proxy(
        upstream.address,
        ProxyConfig::transparent().with_faults(Faults::always(FaultKind::Stall)),
    );
    let mut client = Client::connect(proxy.address()).with_read_timeout(Duration::from_millis(500));
    let error = client
        .ecr("DescribeRepositories", "{}", "testing")
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{error}"
    );
    assert_eq!(upstream.served(), 0);
    assert_eq!(proxy.stats().faults_of(FaultKind::Stall), 1);
}

#[test]
fn faults_hit_only_the_operations_and_attempts_chosen() {
    let upstream = EchoServer::start();
    let faults = Faults::always(FaultKind::ServerError)
        .on(OperationFilter::NonIdempotentWrites)
        .first_attempts_only();
    let proxy = proxy(
        upstream.address,
        ProxyConfig::transparent().with_faults(faults),
    );
    let mut client = Client::connect(proxy.address());

    let read = client
        .ecr("GetLifecyclePolicy", "{}", "testing")
        .unwrap()
        .unwrap();
    let idempotent = client
        .ecr("PutLifecyclePolicy", "{}", "testing")
        .unwrap()
        .unwrap();
    let create = client
        .ecr("CreateRepository", "{}", "testing")
        .unwrap()
        .unwrap();
    assert_eq!(
        [read.status(), idempotent.status(), create.status()],
        [200, 200, 500]
    );

    // A retry says so in `amz-sdk-request`, and gets through.
    let retry = format!(
        "POST / HTTP/1.1\r\nX-Amz-Target: {ECR_TARGET}.CreateRepository\r\n\
         amz-sdk-request: attempt=2; max=5\r\nContent-Length: 2\r\n\r\n{{}}"
    );
    client.reader.get_mut().write_all(retry.as_bytes()).unwrap();
    let retried = read_message(&mut client.reader).unwrap().unwrap();
    assert_eq!(retried.status(), 200);

    proxy.set_config(
        ProxyConfig::transparent().with_faults(Faults::always(FaultKind::ServerError).at_most(1)),
    );
    let statuses: Vec<u16> = (0..3)
        .map(|_| {
            client
                .ecr("DescribeRepositories", "{}", "testing")
                .unwrap()
                .unwrap()
                .status()
        })
        .collect();
    assert_eq!(statuses, [500, 200, 200]);
}

// ---------------------------------------------------------------------------------------------
// Against the emulator
// ---------------------------------------------------------------------------------------------

fn start_emulator() -> Emulator {
    Emulator::start().unwrap_or_else(|error| panic!("{error}"))
}

fn emulator_address(emulator: &Emulator) -> SocketAddr {
    emulator
        .endpoint()
        .strip_prefix("http://")
        .unwrap()
        .parse()
        .unwrap()
}

fn repository_names(emulator: &Emulator) -> Vec<String> {
    let mut client = Client::connect(emulator_address(emulator));
    let answer = client
        .ecr("DescribeRepositories", "{}", "testing")
        .unwrap()
        .unwrap();
    assert_eq!(
        answer.status(),
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|repository| repository["repositoryName"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_lost_response_reaches_the_emulator_and_then_closes_the_connection() {
    let emulator = start_emulator();
    let faults = Faults::always(FaultKind::LostResponse)
        .on(OperationFilter::only([Operation::CreateRepository]));
    let proxy =
        Proxy::in_front_of(&emulator, ProxyConfig::transparent().with_faults(faults)).unwrap();

    let outcome = one_request(
        proxy.address(),
        "CreateRepository",
        r#"{"repositoryName":"team/lost"}"#,
    );

    assert_eq!(outcome, Ok(None), "closed without an answer");
    assert_eq!(repository_names(&emulator), ["team/lost"]);
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::LostResponse), 1);
    assert_eq!(stats.of(Operation::CreateRepository).forwarded, 1);
    assert_eq!(stats.answered, 0);
}

#[test]
fn the_aws_cli_retries_through_the_proxy_and_its_calls_are_counted() {
    let emulator = start_emulator();
    let faults = Faults::always(FaultKind::ServiceUnavailable).first_attempts_only();
    let proxy =
        Proxy::in_front_of(&emulator, ProxyConfig::transparent().with_faults(faults)).unwrap();

    let output = proxy
        .command(&emulator, emulator.aws_cli())
        .args(["ecr", "create-repository", "--repository-name", "team/app"])
        .args(["--output", "json"])
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stats = proxy.stats();
    let create = stats.of(Operation::CreateRepository);
    assert_eq!(
        (create.requests, create.faulted, create.answered),
        (2, 1, 1)
    );
    let attempts: Vec<u32> = proxy.exchanges().iter().map(|e| e.attempt).collect();
    assert_eq!(attempts, [1, 2]);
    assert_eq!(repository_names(&emulator), ["team/app"]);
}
