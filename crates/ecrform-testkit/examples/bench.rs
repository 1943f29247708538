//! Benchmark of the real binary's reads: `ecrform plan` against the local emulator behind the
//! fault proxy, with a fixed latency per call (a stand-in for ECR's round trip) and optionally
//! a throttle, at several `--parallelism` values and registry sizes; then `plan --state`
//! against generated snapshots. Prints figures; asserts nothing (timings belong in a
//! benchmark, not a test). Run it with `scripts/bench`, which builds the release binary and
//! passes it in:
//!
//!     scripts/bench [--sizes 1000,3000] [--parallelism 1,16,64] [--latency-ms 10]
//!                   [--throttle 200] [--throttle-parallelism 16,64] [--max-serial 3000]
//!                   [--snapshot-sizes 10000,100000] [--skip-live] [--skip-snapshot]
//!
//! Each size is seeded by `ecrform apply` of a generated spec (sizes in ascending order, so
//! each apply only adds repositories), straight to the emulator: every repository has tags, a
//! lifecycle policy and a repository policy, so that a plan reads all three, as it would in a
//! real registry. The plans then run against a registry that matches the spec.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use ecrform_testkit::Emulator;
use ecrform_testkit::proxy::{Proxy, ProxyConfig, ProxyStats, Throttle};

/// ECR's DescribeRepositories page size. The emulator ignores paging and answers one page.
const ECR_PAGE_SIZE: usize = 1000;

/// How often the peak memory of the measured process is sampled.
const RSS_POLL: Duration = Duration::from_millis(2);

const USAGE: &str = "usage: bench --ecrform PATH [--sizes N,..] [--parallelism P,..] \
                     [--latency-ms MS] [--throttle R] [--throttle-parallelism P,..] \
                     [--max-serial N] [--snapshot-sizes N,..] [--skip-live] [--skip-snapshot]";

#[derive(Debug)]
struct Options {
    ecrform: PathBuf,
    sizes: Vec<usize>,
    parallelism: Vec<usize>,
    latency: Duration,
    throttle: Option<f64>,
    throttle_parallelism: Vec<usize>,
    /// Parallelism 1 is skipped above this many repositories (it takes N x 3 x latency).
    max_serial: usize,
    snapshot_sizes: Vec<usize>,
    live: bool,
    snapshot: bool,
}

fn list(value: &str) -> Result<Vec<usize>, String> {
    value
        .split(',')
        .map(|item| {
            item.trim()
                .replace('_', "")
                .parse()
                .map_err(|_| format!("not a number: {item:?}"))
        })
        .collect()
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        ecrform: PathBuf::new(),
        sizes: vec![1000, 3000],
        parallelism: vec![1, 16, 64],
        latency: Duration::from_millis(10),
        throttle: None,
        throttle_parallelism: vec![16, 64],
        max_serial: 3000,
        snapshot_sizes: vec![10_000, 100_000],
        live: true,
        snapshot: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--ecrform" => options.ecrform = PathBuf::from(value()?),
            "--sizes" => options.sizes = list(&value()?)?,
            "--parallelism" => options.parallelism = list(&value()?)?,
            "--latency-ms" => {
                let ms: u64 = value()?
                    .parse()
                    .map_err(|_| "--latency-ms takes a number")?;
                options.latency = Duration::from_millis(ms);
            }
            "--throttle" => {
                let rate: f64 = value()?.parse().map_err(|_| "--throttle takes a number")?;
                options.throttle = Some(rate);
            }
            "--throttle-parallelism" => options.throttle_parallelism = list(&value()?)?,
            "--max-serial" => {
                options.max_serial = value()?
                    .parse()
                    .map_err(|_| "--max-serial takes a number")?;
            }
            "--snapshot-sizes" => options.snapshot_sizes = list(&value()?)?,
            "--skip-live" => options.live = false,
            "--skip-snapshot" => options.snapshot = false,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    if options.ecrform.as_os_str().is_empty() {
        return Err(format!("--ecrform is required\n{USAGE}"));
    }
    options.sizes.sort_unstable();
    options.sizes.dedup();
    Ok(options)
}

// ---------------------------------------------------------------------------------------------
// Generated specs, policies and snapshots
// ---------------------------------------------------------------------------------------------

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn lifecycle_policy() -> serde_json::Value {
    json!({"rules": [
        {"rulePriority": 1, "description": "Expire untagged images after 7 days",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                       "countUnit": "days", "countNumber": 7},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": "Keep the last 30 release images",
         "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"],
                       "countType": "imageCountMoreThan", "countNumber": 30},
         "action": {"type": "expire"}}]})
}

fn repository_policy() -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "CrossAccountPull", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::210987654321:root", "arn:aws:iam::345678901234:root"]},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                   "ecr:BatchCheckLayerAvailability"]}]})
}

/// The repository policy as ECR gives it back: re-serialized with `"key" : value` and the
/// principal list reordered, so that the planner's canonical comparison does real work.
fn repository_policy_as_ecr_returns_it() -> String {
    "{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\" : [ {\n    \"Sid\" : \"CrossAccountPull\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : [ \"arn:aws:iam::345678901234:root\", \"arn:aws:iam::210987654321:root\" ]\n    },\n    \"Action\" : [ \"ecr:GetDownloadUrlForLayer\", \"ecr:BatchGetImage\", \"ecr:BatchCheckLayerAvailability\" ]\n  } ]\n}".to_owned()
}

fn repository_name(index: usize) -> String {
    format!("team-{:02}/service-{index:06}", index % 40)
}

fn team(index: usize) -> String {
    format!("t{:02}", index % 40)
}

/// The policies directory next to every generated spec.
fn write_policies(dir: &Path) -> std::io::Result<()> {
    let lifecycle = dir.join("policies/lifecycle");
    let repository = dir.join("policies/repository");
    std::fs::create_dir_all(&lifecycle)?;
    std::fs::create_dir_all(&repository)?;
    std::fs::write(
        lifecycle.join("bench.json"),
        serde_json::to_string_pretty(&lifecycle_policy())?,
    )?;
    std::fs::write(
        repository.join("bench-pull.json"),
        serde_json::to_string_pretty(&repository_policy())?,
    )
}

/// A spec of `count` repositories in one registry, each with its tags, the lifecycle policy
/// and the repository policy (named, so that the spec holds each document once).
fn write_spec(dir: &Path, count: usize) -> std::io::Result<PathBuf> {
    let mut spec = String::with_capacity(64 * count + 512);
    spec.push_str(
        "version: 1\ndefaults:\n  image_tag_mutability: IMMUTABLE\n  scan_on_push: true\n  \
         lifecycle: bench\n  policy: bench-pull\n  tags: {owner: platform}\n",
    );
    let _ = write!(
        spec,
        "registries:\n  - account: \"{ACCOUNT}\"\n    region: {REGION}\n    repositories:\n"
    );
    for index in 0..count {
        let _ = writeln!(
            spec,
            "      {}:\n        tags: {{team: {}}}",
            repository_name(index),
            team(index)
        );
    }
    let path = dir.join(format!("ecr-{count}.yaml"));
    std::fs::write(&path, spec)?;
    Ok(path)
}

/// The live state of the spec of `count` repositories as a snapshot, one repository in ten
/// drifted (mutable, a tag added by hand), so that the plan has changes to render.
fn write_snapshot(dir: &Path, count: usize) -> std::io::Result<PathBuf> {
    let lifecycle_text = lifecycle_policy().to_string();
    let policy_text = repository_policy_as_ecr_returns_it();
    let repositories: serde_json::Map<String, serde_json::Value> = (0..count)
        .map(|index| {
            let drifted = index % 10 == 0;
            let mut tags = json!({"ecrform:managed": "true", "owner": "platform",
                                  "team": team(index)});
            if drifted {
                tags["hotfix"] = json!("yes");
            }
            let repository = json!({
                "image_tag_mutability": if drifted { "MUTABLE" } else { "IMMUTABLE" },
                "scan_on_push": true,
                "encryption": {"type": "AES256"},
                "tags": tags,
                "lifecycle_policy": lifecycle_text,
                "repository_policy": policy_text,
                "image_count": 12,
            });
            (repository_name(index), repository)
        })
        .collect();
    let snapshot = json!({"snapshot_version": 1, "registries": [
        {"account": ACCOUNT, "region": REGION, "repositories": repositories}]});
    let path = dir.join(format!("snapshot-{count}.json"));
    std::fs::write(&path, serde_json::to_vec(&snapshot)?)?;
    Ok(path)
}

// ---------------------------------------------------------------------------------------------
// Running the binary, measured
// ---------------------------------------------------------------------------------------------

struct Measured {
    status: ExitStatus,
    wall: Duration,
    /// VmHWM of the process, sampled until it exits (Linux).
    peak_rss_kib: Option<u64>,
    stderr: String,
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `command` with its output in `out` (stdout) and `out.err` (stderr), sampling its peak
/// resident memory. VmHWM is the high-water mark the kernel keeps, so sampling misses only
/// growth in the last few milliseconds before exit.
fn measure(mut command: Command, out: &Path) -> std::io::Result<Measured> {
    let stdout = std::fs::File::create(out)?;
    let stderr_path = out.with_extension("err");
    let stderr = std::fs::File::create(&stderr_path)?;
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()?;
    let mut peak = None;
    let status = loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = Some(peak.map_or(kib, |peak: u64| peak.max(kib)));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(RSS_POLL);
    };
    let wall = start.elapsed();
    Ok(Measured {
        status,
        wall,
        peak_rss_kib: peak,
        stderr: std::fs::read_to_string(stderr_path).unwrap_or_default(),
    })
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "?".to_owned(),
        |kib| format!("{:.0} MiB", kib as f64 / 1024.0),
    )
}

fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

fn result(measured: &Measured) -> String {
    match measured.status.code() {
        Some(0) => "ok".to_owned(),
        Some(code) => format!("exit {code}"),
        None => "killed".to_owned(),
    }
}

/// The first line of a failed run's stderr, for the note under the table.
fn failure_note(measured: &Measured) -> Option<String> {
    if measured.status.success() {
        return None;
    }
    let line = measured
        .stderr
        .lines()
        .find(|line| !line.trim().is_empty())?;
    Some(line.chars().take(200).collect())
}

fn progress(message: &str) {
    eprintln!("bench: {message}");
}

// ---------------------------------------------------------------------------------------------
// The benchmarks
// ---------------------------------------------------------------------------------------------

struct Live<'a> {
    options: &'a Options,
    emulator: &'a Emulator,
    proxy: &'a Proxy,
    dir: &'a Path,
}

impl Live<'_> {
    fn seed(&self, spec: &Path, count: usize) -> Result<(), String> {
        progress(&format!("seeding {count} repositories with ecrform apply"));
        let mut command = self.emulator.command(&self.options.ecrform);
        command
            .args([
                "apply",
                "--auto-approve",
                "--no-color",
                "--parallelism",
                "64",
            ])
            .arg("-f")
            .arg(spec);
        let measured = measure(command, &self.dir.join(format!("apply-{count}.out")))
            .map_err(|e| format!("cannot run {}: {e}", self.options.ecrform.display()))?;
        if !measured.status.success() {
            return Err(format!("seeding failed: {}", measured.stderr.trim()));
        }
        progress(&format!("seeded in {}", seconds(measured.wall)));
        Ok(())
    }

    fn plan(
        &self,
        spec: &Path,
        parallelism: usize,
        config: ProxyConfig,
    ) -> Result<(Measured, ProxyStats), String> {
        self.proxy.set_config(config);
        self.proxy.reset();
        let mut command = self.proxy.command(self.emulator, &self.options.ecrform);
        command
            .args(["plan", "--no-color", "--parallelism"])
            .arg(parallelism.to_string())
            .arg("-f")
            .arg(spec);
        let out = self.dir.join(format!("plan-{parallelism}.out"));
        let measured = measure(command, &out)
            .map_err(|e| format!("cannot run {}: {e}", self.options.ecrform.display()))?;
        Ok((measured, self.proxy.stats()))
    }
}

/// The calls a plan of `count` repositories needs: the DescribeRepositories pages (one on the
/// emulator, which does not paginate; ceil(N/1000) on ECR) and three reads per repository.
fn minimum_calls(count: usize, pages: usize) -> u64 {
    (pages + 3 * count) as u64
}

/// The calls the proxy saw that are not the minimum's, by operation (e.g. registry-wide
/// reads), for the note under the table.
fn extra_operations(stats: &ProxyStats) -> Vec<String> {
    stats
        .operations
        .iter()
        .filter(|(name, _)| {
            ![
                "DescribeRepositories",
                "ListTagsForResource",
                "GetLifecyclePolicy",
                "GetRepositoryPolicy",
            ]
            .contains(&name.as_str())
        })
        .map(|(name, counts)| format!("{name} x{}", counts.requests))
        .collect()
}

/// One measured plan of the live table.
struct LiveRow {
    count: usize,
    parallelism: usize,
    latency: Duration,
    upstream: &'static str,
    measured: Measured,
    stats: ProxyStats,
}

impl LiveRow {
    fn print(&self) {
        let calls = self.stats.requests;
        let minimum = minimum_calls(self.count, 1);
        let ideal = self.latency.mul_f64(calls as f64 / self.parallelism as f64);
        let (ideal, ratio) = if ideal.is_zero() {
            ("-".to_owned(), "-".to_owned())
        } else {
            (
                seconds(ideal),
                format!(
                    "{:.2}",
                    self.measured.wall.as_secs_f64() / ideal.as_secs_f64()
                ),
            )
        };
        println!(
            "{:>7} {:>4} {:>6.0}ms {:>9} {calls:>7} {minimum:>7} {:>8} {ideal:>8} {ratio:>10} {:>8.0} {:>9} {:>7}",
            self.count,
            self.parallelism,
            self.latency.as_secs_f64() * 1e3,
            self.upstream,
            seconds(self.measured.wall),
            calls as f64 / self.measured.wall.as_secs_f64(),
            mib(self.measured.peak_rss_kib),
            result(&self.measured),
        );
    }

    fn notes(&self) -> Vec<String> {
        let at = format!("{} at {} ({})", self.count, self.parallelism, self.upstream);
        let mut notes = Vec::new();
        let extra = extra_operations(&self.stats);
        if !extra.is_empty() {
            notes.push(format!("{at}: also {}", extra.join(", ")));
        }
        if self.upstream == "recorded" && self.stats.forwarded > 0 {
            notes.push(format!(
                "{at}: {} calls had no recording and reached the emulator",
                self.stats.forwarded
            ));
        }
        notes.extend(failure_note(&self.measured).map(|note| format!("{at}: {note}")));
        notes
    }
}

fn bench_live(options: &Options, dir: &Path) -> Result<(), String> {
    progress("starting the emulator");
    let emulator = Emulator::start().map_err(|e| e.to_string())?;
    let proxy = Proxy::in_front_of(&emulator, ProxyConfig::transparent())
        .map_err(|e| format!("cannot start the proxy: {e}"))?;
    let live = Live {
        options,
        emulator: &emulator,
        proxy: &proxy,
        dir,
    };
    let latency_ms = options.latency.as_secs_f64() * 1e3;
    let highest = options.parallelism.iter().copied().max().unwrap_or(16);
    let mut notes = Vec::new();
    let mut throttled_rows = Vec::new();
    println!(
        "ecrform plan through the proxy, registry in sync with the spec (tags, a lifecycle and a \
         repository policy per repository)"
    );
    println!(
        "{:>7} {:>4} {:>8} {:>9} {:>7} {:>7} {:>8} {:>8} {:>10} {:>8} {:>9} {:>7}",
        "repos",
        "par",
        "latency",
        "upstream",
        "calls",
        "minimum",
        "wall",
        "ideal",
        "wall/ideal",
        "calls/s",
        "peak RSS",
        "result"
    );
    for &count in &options.sizes {
        let spec = write_spec(dir, count).map_err(|e| format!("cannot write the spec: {e}"))?;
        live.seed(&spec, count)?;
        // The emulator alone, at the highest parallelism and no added latency: what it
        // sustains. This plan also records every read's answer for the replayed rows.
        proxy.forget_recorded_reads();
        progress(&format!(
            "plan of {count} at parallelism {highest} against the emulator"
        ));
        let config = ProxyConfig::transparent().with_replayed_reads();
        let (measured, stats) = live.plan(&spec, highest, config)?;
        let mut rows = vec![LiveRow {
            count,
            parallelism: highest,
            latency: Duration::ZERO,
            upstream: "emulator",
            measured,
            stats,
        }];
        rows[0].print();
        for &parallelism in &options.parallelism {
            if parallelism == 1 && count > options.max_serial {
                println!(
                    "{count:>7} {parallelism:>4}  (skipped: above --max-serial {})",
                    options.max_serial
                );
                continue;
            }
            progress(&format!(
                "plan of {count} at parallelism {parallelism}, {latency_ms:.0}ms per call, replayed"
            ));
            let config = ProxyConfig::transparent()
                .with_latency(options.latency)
                .with_replayed_reads();
            let (measured, stats) = live.plan(&spec, parallelism, config)?;
            let row = LiveRow {
                count,
                parallelism,
                latency: options.latency,
                upstream: "recorded",
                measured,
                stats,
            };
            row.print();
            rows.push(row);
        }
        notes.extend(rows.iter().flat_map(LiveRow::notes));
        if let Some(rate) = options.throttle {
            for &parallelism in &options.throttle_parallelism {
                progress(&format!(
                    "plan of {count} at parallelism {parallelism}, throttled to {rate}/s"
                ));
                let config = ProxyConfig::transparent()
                    .with_latency(options.latency)
                    .with_throttle(Throttle::per_second(rate))
                    .with_replayed_reads();
                let (measured, stats) = live.plan(&spec, parallelism, config)?;
                throttled_rows.push((count, parallelism, measured, stats));
            }
        }
    }
    for note in &notes {
        println!("  note: {note}");
    }
    println!(
        "  minimum = 1 DescribeRepositories page (the emulator does not paginate; ECR would \
         serve ceil(N/{ECR_PAGE_SIZE})) + ListTagsForResource, GetLifecyclePolicy and \
         GetRepositoryPolicy per repository; ideal = calls x latency / parallelism"
    );
    if let Some(rate) = options.throttle {
        println!();
        println!(
            "ecrform plan through a throttle of {rate:.0} requests/s (token bucket, burst \
             {rate:.0}), {latency_ms:.0}ms per call, reads replayed"
        );
        println!(
            "{:>7} {:>4} {:>7} {:>9} {:>9} {:>8} {:>8} {:>14} {:>9} {:>7}",
            "repos",
            "par",
            "sent",
            "answered",
            "throttled",
            "wall",
            "calls/R",
            "wall/(calls/R)",
            "peak RSS",
            "result"
        );
        let mut throttle_notes = Vec::new();
        for (count, parallelism, measured, stats) in &throttled_rows {
            let answered = stats.answered + stats.replayed;
            let at_rate = Duration::from_secs_f64(answered as f64 / rate);
            println!(
                "{count:>7} {parallelism:>4} {:>7} {answered:>9} {:>9} {:>8} {:>8} {:>14.2} {:>9} {:>7}",
                stats.requests,
                stats.throttled,
                seconds(measured.wall),
                seconds(at_rate),
                measured.wall.as_secs_f64() / at_rate.as_secs_f64().max(f64::MIN_POSITIVE),
                mib(measured.peak_rss_kib),
                result(measured),
            );
            if let Some(note) = failure_note(measured) {
                throttle_notes.push(format!("{count} at {parallelism}: {note}"));
            }
        }
        for note in &throttle_notes {
            println!("  note: {note}");
        }
    }
    Ok(())
}

fn bench_snapshot(options: &Options, dir: &Path) -> Result<(), String> {
    println!();
    println!(
        "plan --state SNAPSHOT (no AWS; policies in ECR's returned forms, 1 in 10 repositories \
         drifted in mutability and tags)"
    );
    println!(
        "{:>7} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "repos", "snapshot", "changes", "wall", "peak RSS", "result"
    );
    for &count in &options.snapshot_sizes {
        progress(&format!("generating a snapshot of {count} repositories"));
        let spec = write_spec(dir, count).map_err(|e| format!("cannot write the spec: {e}"))?;
        let snapshot =
            write_snapshot(dir, count).map_err(|e| format!("cannot write the snapshot: {e}"))?;
        let size = std::fs::metadata(&snapshot)
            .map(|m| m.len())
            .unwrap_or_default();
        let mut command = Command::new(&options.ecrform);
        command
            .args(["plan", "--no-color", "--format", "json", "-f"])
            .arg(&spec)
            .arg("--state")
            .arg(&snapshot);
        let out = dir.join(format!("plan-state-{count}.json"));
        progress(&format!("plan --state of {count}"));
        let measured = measure(command, &out).map_err(|e| format!("cannot run ecrform: {e}"))?;
        let changes = std::fs::read(&out)
            .ok()
            .and_then(|text| serde_json::from_slice::<serde_json::Value>(&text).ok())
            .and_then(|plan| plan["changes"].as_array().map(Vec::len))
            .map_or_else(|| "?".to_owned(), |n| n.to_string());
        println!(
            "{count:>7} {:>7.0}MB {changes:>9} {:>9} {:>9} {:>7}",
            size as f64 / 1e6,
            seconds(measured.wall),
            mib(measured.peak_rss_kib),
            result(&measured),
        );
        if let Some(note) = failure_note(&measured) {
            println!("  note: {note}");
        }
        let _ = std::fs::remove_file(&snapshot);
    }
    Ok(())
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let dir = std::env::temp_dir().join(format!("ecrform-bench-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&dir).and_then(|()| write_policies(&dir)) {
        eprintln!("bench: cannot prepare {}: {error}", dir.display());
        std::process::exit(1);
    }
    let mut outcome = Ok(());
    if options.live {
        outcome = bench_live(&options, &dir);
    }
    if outcome.is_ok() && options.snapshot {
        outcome = bench_snapshot(&options, &dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(message) = outcome {
        eprintln!("bench: {message}");
        std::process::exit(1);
    }
}
