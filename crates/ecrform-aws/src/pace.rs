//! Pacing requests to what ECR allows. ECR throttles per account and region; a client that
//! keeps sending at the rate it was throttled at loses every throttled attempt and its backoff,
//! and the SDK's adaptive limiter, once throttled, drops to a floor and climbs back slowly
//! (a throttled plan took 1.4 to 2 times `calls / R`).
//!
//! A [`Pace`] belongs to one account and region ([`Paces`] hands out one per pair, shared by
//! every client of that registry in the process) and learns the allowed rate from the answers:
//! - until the first throttled answer it does not pace at all;
//! - on a throttled answer it sets its rate to what ECR answered over the last second (under a
//!   token bucket, that is the allowed rate), at most once per [`CUT_EVERY`];
//! - every second without a throttled answer it raises its rate by [`RAISE`], so it finds a
//!   higher limit again, and the next throttle cuts it back to what was answered.
//!
//! Every attempt, retries included, reserves the next slot at the current rate before it is
//! sent ([`PacedHttpClient`]), so a throttled attempt's retry waits its turn instead of adding
//! load. The call log (`crate::call_log`) tells the pace how each attempt ended.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use ecrform_model::RegistryId;

/// The window over which answered attempts are counted.
const WINDOW: Duration = Duration::from_secs(1);
/// A burst of throttled answers to requests sent together cuts the rate once.
pub(crate) const CUT_EVERY: Duration = Duration::from_millis(500);
/// How much the rate rises per second without a throttled answer.
pub(crate) const RAISE: f64 = 1.05;
/// The slowest pace: one request a second.
const FLOOR: f64 = 1.0;
/// A throttled answer sets the rate only when this many attempts were answered in the last
/// [`WINDOW`]: fewer say nothing about the allowed rate (the first request of a run throttled
/// because another job spent the budget), and pacing on them would starve every request.
const MEASURED_FROM: usize = 10;

/// The pace of one account and region.
#[derive(Debug, Default)]
pub struct Pace {
    state: Mutex<PaceState>,
}

#[derive(Debug, Default)]
struct PaceState {
    /// Requests per second; `None` until ECR first throttled.
    rate: Option<f64>,
    /// When the next request may be sent.
    next_free: Option<Instant>,
    /// When attempts that ECR answered without throttling finished, within [`WINDOW`].
    answered: VecDeque<Instant>,
    /// When the rate last changed (cut or raised).
    changed: Option<Instant>,
    /// When the rate was last cut.
    cut: Option<Instant>,
}

impl Pace {
    /// Reserves the next slot for one attempt, at most `max_wait` ahead: how long to wait
    /// before sending it. A queue longer than that is sent at `max_wait` and the schedule
    /// continues from there, so it never runs away into the future.
    pub fn reserve(&self, now: Instant, max_wait: Duration) -> Duration {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        state.raise(now);
        let Some(rate) = state.rate else {
            return Duration::ZERO;
        };
        let slot = state
            .next_free
            .map_or(now, |free| free.max(now))
            .min(now + max_wait);
        state.next_free = Some(slot + Duration::from_secs_f64(1.0 / rate));
        slot - now
    }

    /// How an attempt ended: answered (throttled or not), or not answered at all (a timeout or
    /// a broken connection, which says nothing about the rate).
    pub fn observe(&self, now: Instant, throttled: bool) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        while state
            .answered
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) > WINDOW)
        {
            state.answered.pop_front();
        }
        if !throttled {
            state.answered.push_back(now);
            return;
        }
        if state
            .cut
            .is_some_and(|cut| now.saturating_duration_since(cut) < CUT_EVERY)
            || state.answered.len() < MEASURED_FROM
        {
            return;
        }
        let answered = state.answered.len() as f64 / WINDOW.as_secs_f64();
        let rate = match state.rate {
            Some(rate) => rate.min(answered),
            None => answered,
        }
        .max(FLOOR);
        state.rate = Some(rate);
        state.cut = Some(now);
        state.changed = Some(now);
    }

    /// The current rate, `None` while unpaced.
    pub fn rate(&self) -> Option<f64> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .rate
    }
}

impl PaceState {
    fn raise(&mut self, now: Instant) {
        let (Some(rate), Some(changed)) = (self.rate, self.changed) else {
            return;
        };
        let seconds = now.saturating_duration_since(changed).as_secs_f64();
        if seconds >= 1.0 {
            self.rate = Some(rate * RAISE.powf(seconds.floor()));
            self.changed = Some(changed + Duration::from_secs_f64(seconds.floor()));
        }
    }
}

/// One [`Pace`] per account and region, shared by clones: every registry client of the
/// process that reaches the same account and region paces together, and registries of other
/// accounts (or regions) do not slow each other down.
#[derive(Debug, Clone, Default)]
pub struct Paces {
    by_registry: Arc<Mutex<HashMap<RegistryId, Arc<Pace>>>>,
}

impl Paces {
    pub fn new() -> Self {
        Paces::default()
    }

    /// The pace of `registry`'s account and region.
    pub fn of(&self, registry: &RegistryId) -> Arc<Pace> {
        let mut paces = self
            .by_registry
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        Arc::clone(paces.entry(registry.clone()).or_default())
    }
}

/// The HTTP client of a paced ECR client: every attempt waits for its slot, then goes out
/// through the client the SDK would have used.
#[derive(Debug)]
pub(crate) struct PacedHttpClient {
    inner: SharedHttpClient,
    pace: Arc<Pace>,
    /// The longest an attempt waits for its slot: the wait counts against the attempt
    /// timeout, so it must stay well inside it, whatever the queue.
    max_wait: Duration,
}

impl PacedHttpClient {
    /// Paces the HTTPS client the SDK uses by default (rustls, the `HTTPS_PROXY` / `NO_PROXY`
    /// settings of the environment).
    pub(crate) fn new(pace: Arc<Pace>, attempt_timeout: Duration) -> Self {
        use aws_smithy_http_client::proxy::ProxyConfig;
        use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
        use aws_smithy_http_client::{Builder, ConnectorBuilder};
        let inner = Builder::new().build_with_connector_fn(|settings, components| {
            let mut connector =
                ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        });
        PacedHttpClient {
            inner,
            pace,
            max_wait: attempt_timeout / 4,
        }
    }
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pace: Arc::clone(&self.pace),
            max_wait: self.max_wait,
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pace: Arc<Pace>,
    max_wait: Duration,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let wait = self.pace.reserve(Instant::now(), self.max_wait);
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wait cap no test reaches.
    const LONG: Duration = Duration::from_secs(3600);

    fn at(start: Instant, millis: u64) -> Instant {
        start + Duration::from_millis(millis)
    }

    #[test]
    fn a_queue_longer_than_the_wait_cap_does_not_push_the_schedule_away() {
        let pace = Pace::default();
        let start = Instant::now();
        for i in 0..10 {
            pace.observe(at(start, i), false);
        }
        pace.observe(at(start, 10), true);
        assert_eq!(pace.rate(), Some(10.0));
        let cap = Duration::from_millis(250);
        // Ten at once at 10/s: the first three fit under the cap, the rest wait the cap.
        let waits: Vec<Duration> = (0..10).map(|_| pace.reserve(at(start, 10), cap)).collect();
        assert_eq!(waits[0], Duration::ZERO);
        assert!(waits.iter().all(|wait| *wait <= cap), "{waits:?}");
        // A second later the queue has drained: the next attempt waits at most one slot.
        let later = pace.reserve(at(start, 1010), cap);
        assert!(later <= Duration::from_millis(100), "{later:?}");
    }

    #[test]
    fn nothing_is_paced_until_ecr_throttles() {
        let pace = Pace::default();
        let start = Instant::now();
        for i in 0..1000 {
            assert_eq!(pace.reserve(at(start, i / 10), LONG), Duration::ZERO);
            pace.observe(at(start, i / 10), false);
        }
        assert_eq!(pace.rate(), None);
    }

    #[test]
    fn a_throttle_sets_the_rate_to_what_was_answered_in_the_last_second() {
        let pace = Pace::default();
        let start = Instant::now();
        // 300 answered within the first second, then throttled.
        for i in 0..300 {
            pace.observe(at(start, i * 3), false);
        }
        pace.observe(at(start, 950), true);
        assert_eq!(pace.rate(), Some(300.0));
        // The next attempts are spaced 1/300 s apart.
        let now = at(start, 950);
        assert_eq!(pace.reserve(now, LONG), Duration::ZERO);
        let second = pace.reserve(now, LONG);
        assert!(
            (second.as_secs_f64() - 1.0 / 300.0).abs() < 1e-6,
            "{second:?}"
        );
    }

    #[test]
    fn a_burst_of_throttled_answers_cuts_once() {
        let pace = Pace::default();
        let start = Instant::now();
        for i in 0..100 {
            pace.observe(at(start, i * 5), false);
        }
        pace.observe(at(start, 600), true);
        assert_eq!(pace.rate(), Some(100.0));
        // 400 ms later a cut would be to the 90 answers still in the window: none comes.
        pace.observe(at(start, 1000), true);
        assert_eq!(pace.rate(), Some(100.0));
        // Once CUT_EVERY has passed, a throttled answer cuts again.
        pace.observe(at(start, 1150), true);
        assert_eq!(pace.rate(), Some(70.0));
    }

    #[test]
    fn the_rate_rises_while_nothing_is_throttled_and_a_throttle_cuts_it_back() {
        let pace = Pace::default();
        let start = Instant::now();
        for i in 0..200 {
            pace.observe(at(start, i * 5), false);
        }
        pace.observe(at(start, 1000), true);
        assert_eq!(pace.rate(), Some(200.0));
        pace.reserve(at(start, 3000), LONG);
        let raised = pace.rate().unwrap();
        assert!((raised - 200.0 * RAISE * RAISE).abs() < 1e-9, "{raised}");
        // Answered at 200/s in the last second, then throttled again: back to 200.
        for i in 0..200 {
            pace.observe(at(start, 2000 + i * 5), false);
        }
        pace.observe(at(start, 3000), true);
        assert_eq!(pace.rate(), Some(200.0));
    }

    #[test]
    fn a_throttle_with_too_few_answers_to_measure_leaves_the_rate_alone() {
        let pace = Pace::default();
        let start = Instant::now();
        // The very first request throttled: nothing is known, nothing is paced.
        pace.observe(start, true);
        assert_eq!(pace.rate(), None);
        for i in 0..(MEASURED_FROM as u64 - 1) {
            pace.observe(at(start, 100 + i), false);
        }
        pace.observe(at(start, 200), true);
        assert_eq!(pace.rate(), None);
        pace.observe(at(start, 201), false);
        pace.observe(at(start, 202), true);
        assert_eq!(pace.rate(), Some(MEASURED_FROM as f64));
    }

    #[test]
    fn the_rate_never_falls_below_one_a_second() {
        let pace = Pace::default();
        let start = Instant::now();
        // Ten answers in the window, the last one 999 ms ago, then a throttle a second later
        // than the first answer: the window holds them all, so the cut is to 10; a floor of 1
        // is the least any cut gives.
        for i in 0..10 {
            pace.observe(at(start, i), false);
        }
        pace.observe(at(start, 1000), true);
        assert!(pace.rate().unwrap() >= FLOOR);
    }

    #[test]
    fn each_account_and_region_has_its_own_pace() {
        let paces = Paces::new();
        let a = RegistryId::parse("111111111111/us-east-1").unwrap();
        let b = RegistryId::parse("222222222222/us-east-1").unwrap();
        let a_west = RegistryId::parse("111111111111/us-west-2").unwrap();
        let now = Instant::now();
        for _ in 0..MEASURED_FROM {
            paces.of(&a).observe(now, false);
        }
        paces.of(&a).observe(now, true);
        assert!(paces.of(&a).rate().is_some());
        assert_eq!(paces.of(&b).rate(), None);
        assert_eq!(paces.of(&a_west).rate(), None);
        assert!(Arc::ptr_eq(&paces.of(&a), &paces.clone().of(&a)));
    }
}
