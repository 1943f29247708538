//! Progress bars on stderr, for a person waiting on a large registry: reads count the
//! repositories read per registry, apply counts the changes finished. A bar appears only when
//! the work has taken a second, and only where [`crate::context::Output`] says one may be
//! drawn (a terminal, no `-q`, no `--no-color`/`NO_COLOR`, no logs on stderr), so CI logs,
//! pipes and tests never see one. Bars are cleared when the work ends (or fails), so what
//! stays on the terminal is what the command printed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ecrform_apply::ApplyProgress;
use ecrform_aws::ReadProgress;
use ecrform_model::RegistryId;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::context::{Output, PROGRESS_DELAY};

/// How often a shown bar redraws by itself (its spinner and elapsed time move on).
const TICK: Duration = Duration::from_millis(120);

/// The bars of one piece of work, hidden until it has run long enough.
#[derive(Debug)]
struct Bars {
    multi: MultiProgress,
    output: Output,
    started: Instant,
    shown: AtomicBool,
}

impl Bars {
    fn start(output: &Output) -> Option<Arc<Bars>> {
        output.may_show_progress().then(|| {
            Arc::new(Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
                output: *output,
                started: Instant::now(),
                shown: AtomicBool::new(false),
            })
        })
    }

    fn add(&self, bar: ProgressBar) -> ProgressBar {
        self.multi.add(bar)
    }

    /// Draws the bars from now on, once the work has run for long enough.
    fn reveal_if_due(&self, bars: &[&ProgressBar]) {
        if self.shown.load(Ordering::Relaxed) || !self.output.shows_progress(self.started.elapsed())
        {
            return;
        }
        if !self.shown.swap(true, Ordering::Relaxed) {
            self.multi.set_draw_target(ProgressDrawTarget::stderr());
            for bar in bars {
                bar.enable_steady_tick(TICK);
            }
        }
    }

    /// Reveals the bars after [`PROGRESS_DELAY`] even when nothing advances meanwhile (one
    /// slow listing), on the command's async runtime.
    fn watch(self: &Arc<Self>, bars: Vec<ProgressBar>) -> Option<tokio::task::JoinHandle<()>> {
        let handle = tokio::runtime::Handle::try_current().ok()?;
        let this = Arc::clone(self);
        Some(handle.spawn(async move {
            tokio::time::sleep(PROGRESS_DELAY).await;
            this.reveal_if_due(&bars.iter().collect::<Vec<_>>());
        }))
    }

    fn clear(&self, bars: &[&ProgressBar], watcher: Option<&tokio::task::JoinHandle<()>>) {
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        for bar in bars {
            bar.finish_and_clear();
        }
        // Clearing what may never have been drawn, on a terminal that may be gone: nothing
        // to report.
        let _ = self.multi.clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// One bar per registry, counting its repositories as they are read.
#[derive(Debug)]
pub struct ReadBars {
    bars: Arc<Bars>,
    by_registry: BTreeMap<RegistryId, ProgressBar>,
    watcher: Option<tokio::task::JoinHandle<()>>,
}

impl ReadBars {
    /// Bars for reading `registries`; `None` when this run shows no progress.
    pub fn start<'a>(
        output: &Output,
        registries: impl IntoIterator<Item = &'a RegistryId>,
    ) -> Option<ReadBars> {
        let bars = Bars::start(output)?;
        let by_registry: BTreeMap<RegistryId, ProgressBar> = registries
            .into_iter()
            .map(|id| {
                let bar = bars.add(ProgressBar::new_spinner());
                bar.set_style(style("{prefix} {spinner} listing repositories"));
                bar.set_prefix(id.to_string());
                (id.clone(), bar)
            })
            .collect();
        let watcher = bars.watch(by_registry.values().cloned().collect());
        Some(ReadBars {
            bars,
            by_registry,
            watcher,
        })
    }

    /// What the read of `registry` reported.
    pub fn step(&self, registry: &RegistryId, step: ReadProgress) {
        let Some(bar) = self.by_registry.get(registry) else {
            return;
        };
        match step {
            // A registry read again (export leaving out a setting) starts over.
            ReadProgress::Started => {
                bar.set_length(0);
                bar.set_position(0);
            }
            ReadProgress::Listed { repositories } => {
                bar.set_style(style(
                    "{prefix} [{bar:30}] {pos}/{len} repositories read ({elapsed})",
                ));
                bar.inc_length(u64::try_from(repositories).unwrap_or(u64::MAX));
            }
            ReadProgress::RepositoryRead { .. } => bar.inc(1),
        }
        self.bars
            .reveal_if_due(&self.by_registry.values().collect::<Vec<_>>());
    }
}

impl Drop for ReadBars {
    fn drop(&mut self) {
        self.bars.clear(
            &self.by_registry.values().collect::<Vec<_>>(),
            self.watcher.as_ref(),
        );
    }
}

/// One bar counting the changes of a plan as they finish.
#[derive(Debug)]
pub struct ApplyBar {
    bars: Arc<Bars>,
    bar: ProgressBar,
    watcher: Option<tokio::task::JoinHandle<()>>,
}

impl ApplyBar {
    /// A bar for applying `changes` changes; `None` when this run shows no progress.
    pub fn start(output: &Output, changes: usize) -> Option<ApplyBar> {
        let bars = Bars::start(output)?;
        let bar = bars.add(ProgressBar::new(u64::try_from(changes).unwrap_or(u64::MAX)));
        bar.set_style(style("applying [{bar:30}] {pos}/{len} changes ({elapsed})"));
        let watcher = bars.watch(vec![bar.clone()]);
        Some(ApplyBar { bars, bar, watcher })
    }

    /// The executor's progress callback, advancing this bar.
    pub fn callback(&self) -> ApplyProgress {
        let bars = Arc::clone(&self.bars);
        let bar = self.bar.clone();
        Arc::new(move |finished| {
            bar.inc(u64::try_from(finished).unwrap_or(u64::MAX));
            bars.reveal_if_due(&[&bar]);
        })
    }
}

impl Drop for ApplyBar {
    fn drop(&mut self) {
        self.bars.clear(&[&self.bar], self.watcher.as_ref());
    }
}
