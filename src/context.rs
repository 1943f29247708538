//! The command-line flags turned, once, into what commands work with (after ripgrep's
//! low-level and high-level arguments): where the spec is, which registries to work on, how to
//! print, how to reach AWS. Every flag is parsed and checked here, so a command receives
//! validated values and never looks at clap's structs or parses `--registry` again.
//! What goes to stderr besides warnings and errors (logs, the `-v` summary, progress bars) is
//! decided here too, once: stdout carries only results, so pipelines can parse it.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use ecrform_aws::{CallTotals, ConnectOptions};
use ecrform_model::RegistryId;

use crate::cli::{Annotations, ColorChoice, Format, GlobalArgs, LogFormat};

/// The spec `-f` defaults to.
pub const DEFAULT_SPEC: &str = "ecr.yaml";

/// Everything a command needs to know about how it was asked to run.
#[derive(Debug, Clone)]
pub struct Context {
    pub spec: SpecSource,
    /// `--registry`: the registries to work on; `None` for every registry of the spec.
    pub registries: Option<BTreeSet<RegistryId>>,
    /// `--state`: a live-state snapshot to use instead of AWS.
    pub state: Option<PathBuf>,
    pub output: Output,
    pub logging: Logging,
    pub connection: ConnectOptions,
    /// `--recovery-file`; `None` for [`crate::recovery::RECOVERY_FILE_NAME`] next to the spec.
    pub recovery_file: Option<PathBuf>,
    /// The GitHub Actions step summary that plan, apply and drift append their Markdown to:
    /// `$GITHUB_STEP_SUMMARY` when [`annotations`] are on.
    pub step_summary: Option<PathBuf>,
}

/// Whether spec problems are GitHub Actions annotations too (and reports go to the step
/// summary): `--annotations`, else whether the GitHub Actions runner runs us.
pub fn annotations(flag: Option<Annotations>) -> bool {
    annotations_for(
        flag,
        std::env::var(crate::github::ACTIONS_ENV).ok().as_deref(),
    )
}

fn annotations_for(flag: Option<Annotations>, github_actions: Option<&str>) -> bool {
    match flag {
        Some(Annotations::Github) => true,
        Some(Annotations::None) => false,
        None => github_actions == Some("true"),
    }
}

/// Where colour may go, from `--color` (or `--no-color`), `NO_COLOR` and which streams are
/// terminals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Colors {
    /// Colour codes in the results on stdout.
    stdout: bool,
    /// Colour in text logs on stderr.
    stderr: bool,
    /// Whether anything on stderr may be drawn (progress bars): never with colour turned off.
    drawing: bool,
}

fn colors(choice: ColorChoice, no_color_env: bool, stdout_tty: bool, stderr_tty: bool) -> Colors {
    match choice {
        // An explicit request wins over NO_COLOR, as no-color.org asks.
        ColorChoice::Always => Colors {
            stdout: true,
            stderr: true,
            drawing: true,
        },
        ColorChoice::Never => Colors {
            stdout: false,
            stderr: false,
            drawing: false,
        },
        ColorChoice::Auto => Colors {
            stdout: !no_color_env && stdout_tty,
            stderr: !no_color_env && stderr_tty,
            drawing: !no_color_env,
        },
    }
}

/// What is logged to stderr, and how (`-v`, `ECRFORM_LOG`, `--log-format`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logging {
    /// The log filter (an `EnvFilter` directive, checked); `None` logs nothing.
    pub filter: Option<String>,
    pub format: LogFormat,
    /// Colour in text logs: only when stderr is a terminal and colour is not turned off.
    pub ansi: bool,
}

/// The environment variable that sets the log filter, overriding `-v`.
pub const LOG_ENV: &str = "ECRFORM_LOG";

/// What `-v` logs: everything ecrform's own crates say at INFO (a filter's target matches
/// every target it prefixes, so this covers `ecrform_aws`, where the AWS calls are logged).
pub const VERBOSE_FILTER: &str = "ecrform=info";

/// The log filter: `ECRFORM_LOG` when set (whatever `-v` or `-q` say: it is the more specific
/// request), else [`VERBOSE_FILTER`] with `-v`, else none. A filter that does not parse is an
/// error, not a silent default.
pub fn log_filter(env: Option<&str>, verbose: bool) -> anyhow::Result<Option<String>> {
    match env.map(str::trim).filter(|value| !value.is_empty()) {
        Some(directive) => {
            // The parse error's own source repeats its text: it is said once, here.
            if let Err(error) = tracing_subscriber::EnvFilter::builder().parse(directive) {
                anyhow::bail!(
                    "{LOG_ENV}={directive} is not a log filter ({error}); for example \
                     {LOG_ENV}=ecrform_aws=debug"
                );
            }
            Ok(Some(directive.to_owned()))
        }
        None => Ok(verbose.then(|| VERBOSE_FILTER.to_owned())),
    }
}

/// How long work runs before a progress bar appears: a fast command never flashes one.
pub const PROGRESS_DELAY: Duration = Duration::from_secs(1);

/// Whether to show a progress bar for work that has run for `elapsed`: only on a terminal
/// (never in a CI log or a test), never with `-q`, and only after [`PROGRESS_DELAY`].
pub fn shows_progress(terminal: bool, quiet: bool, elapsed: Duration) -> bool {
    terminal && !quiet && elapsed >= PROGRESS_DELAY
}

/// Where the spec and its named policy documents are.
#[derive(Debug, Clone)]
pub struct SpecSource {
    /// A spec file, or a directory whose `*.yaml` files are merged.
    pub path: PathBuf,
    /// Whether `-f` named it (rather than the default `ecr.yaml`).
    pub explicit: bool,
    /// `--policies`; `None` for `policies/` next to the spec.
    pub policies_dir: Option<PathBuf>,
}

impl SpecSource {
    pub fn load_options(&self) -> ecrform_spec::LoadOptions<'_> {
        ecrform_spec::LoadOptions {
            path: &self.path,
            policies_dir: self.policies_dir.as_deref(),
        }
    }

    /// Whether the spec is where `-f` says (saved plans and export read it only then).
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    /// Colour codes in text output: only on a terminal, never with `--no-color` or `NO_COLOR`.
    pub color: bool,
    pub verbosity: Verbosity,
    /// `--log-format`: notes and the summary line follow it, so a JSON log stays JSON.
    pub log_format: LogFormat,
    /// stderr is a terminal that may draw progress bars: not turned off by `--no-color` or
    /// `NO_COLOR`, and no logs are written to it (they would tear the bars apart).
    pub progress_terminal: bool,
    /// Spec warnings are GitHub Actions annotations too (see [`annotations`]).
    pub annotations: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: results and errors only.
    Quiet,
    Normal,
    /// `-v`: progress notes too.
    Verbose,
}

impl Output {
    /// Warnings go to stderr unless `--quiet`.
    pub fn warn(&self, message: &dyn std::fmt::Display) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("warning: {message}");
        }
    }

    /// A spec warning: `warning: FILE:LINE:COLUMN: message` and, with annotations, a
    /// `::warning` annotation of that line. Neither with `--quiet`.
    pub fn warn_diagnostic(&self, diagnostic: &ecrform_spec::Diagnostic) {
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        eprintln!("warning: {diagnostic}");
        if self.annotations {
            eprintln!(
                "{}",
                crate::github::annotation(crate::github::Level::Warning, diagnostic)
            );
        }
    }

    /// Progress notes go to stderr with `--verbose` (as log events with `--log-format json`).
    pub fn note(&self, message: &dyn std::fmt::Display) {
        if self.verbosity == Verbosity::Verbose {
            match self.log_format {
                LogFormat::Text => eprintln!("{message}"),
                LogFormat::Json => tracing::info!(target: "ecrform", "{message}"),
            }
        }
    }

    /// The `-v` summary of what some work cost: `read 3 registries: 1,203 calls (4 retries,
    /// 2 throttled) in 3.2 s`. With `--log-format json` a log event with the counts as fields.
    pub fn summary(&self, work: &str, totals: CallTotals, elapsed: Duration) {
        if self.verbosity != Verbosity::Verbose {
            return;
        }
        let line = summary_line(work, totals, elapsed);
        match self.log_format {
            LogFormat::Text => eprintln!("{line}"),
            LogFormat::Json => tracing::info!(
                target: "ecrform",
                calls = totals.calls,
                retries = totals.retries,
                throttled = totals.throttled,
                seconds = elapsed.as_secs_f64(),
                "{line}"
            ),
        }
    }

    /// Whether work that has run for `elapsed` shows a progress bar (see [`shows_progress`]).
    pub fn shows_progress(&self, elapsed: Duration) -> bool {
        shows_progress(self.progress_terminal, self.is_quiet(), elapsed)
    }

    /// Whether a progress bar may ever be shown in this run.
    pub fn may_show_progress(&self) -> bool {
        self.progress_terminal && !self.is_quiet()
    }

    /// What a command says about itself on stderr ("wrote ..."), unless `--quiet`.
    pub fn status(&self, message: &dyn std::fmt::Display) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("{message}");
        }
    }

    pub fn is_quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }
}

impl Context {
    /// Checks and converts the flags every command takes.
    pub fn from_args(global: &GlobalArgs) -> anyhow::Result<Context> {
        let registries = if global.registries.is_empty() {
            None
        } else {
            Some(
                global
                    .registries
                    .iter()
                    .map(|raw| RegistryId::parse(raw).with_context(|| format!("--registry {raw}")))
                    .collect::<anyhow::Result<BTreeSet<_>>>()?,
            )
        };
        let verbosity = if global.quiet {
            Verbosity::Quiet
        } else if global.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        let choice = if global.no_color {
            ColorChoice::Never
        } else {
            global.color.unwrap_or(ColorChoice::Auto)
        };
        let stderr_terminal = std::io::stderr().is_terminal();
        let colors = colors(
            choice,
            std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            std::io::stdout().is_terminal(),
            stderr_terminal,
        );
        let logging = Logging {
            filter: log_filter(std::env::var(LOG_ENV).ok().as_deref(), global.verbose)?,
            format: global.log_format,
            ansi: colors.stderr,
        };
        let annotations = annotations(global.annotations);
        let step_summary = std::env::var_os(crate::github::STEP_SUMMARY_ENV)
            .filter(|path| annotations && !path.is_empty())
            .map(PathBuf::from);
        Ok(Context {
            spec: SpecSource {
                path: global
                    .file
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_SPEC)),
                explicit: global.file.is_some(),
                policies_dir: global.policies.clone(),
            },
            registries,
            state: global.state.clone(),
            output: Output {
                format: global.format,
                color: colors.stdout,
                verbosity,
                log_format: global.log_format,
                progress_terminal: colors.drawing && stderr_terminal && logging.filter.is_none(),
                annotations,
            },
            logging,
            connection: {
                let defaults = ConnectOptions::default();
                ConnectOptions {
                    endpoint_url: global.endpoint_url.clone(),
                    parallelism: usize::from(global.parallelism),
                    attempt_timeout: global.attempt_timeout.unwrap_or(defaults.attempt_timeout),
                    operation_timeout: global
                        .operation_timeout
                        .unwrap_or(defaults.operation_timeout),
                    ..defaults
                }
            },
            recovery_file: global.recovery_file.clone(),
            step_summary,
        })
    }

    /// Where the recovery record is: `--recovery-file`, or next to the spec (inside a spec
    /// directory).
    pub fn recovery_path(&self) -> PathBuf {
        if let Some(path) = &self.recovery_file {
            return path.clone();
        }
        let spec = self.spec.path();
        let directory = if spec.is_dir() {
            spec
        } else {
            spec.parent().unwrap_or(Path::new(""))
        };
        directory.join(crate::recovery::RECOVERY_FILE_NAME)
    }

    /// The recovery record, loaded.
    pub fn recovery_record(&self) -> anyhow::Result<crate::recovery::RecoveryRecord> {
        crate::recovery::RecoveryRecord::load(&self.recovery_path())
    }
}

/// `read 3 registries: 1,203 calls (4 retries, 2 throttled) in 3.2 s`.
pub fn summary_line(work: &str, totals: CallTotals, elapsed: Duration) -> String {
    format!(
        "{work}: {} ({}, {} throttled) in {:.1} s",
        counted(totals.calls, "call", "calls"),
        counted(totals.retries, "retry", "retries"),
        thousands(totals.throttled),
        elapsed.as_secs_f64()
    )
}

/// `1 call`, `1,203 calls`.
pub fn counted(count: u64, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        thousands(count),
        if count == 1 { one } else { many }
    )
}

fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_follow_the_flag_else_the_github_actions_runner() {
        let cases = [
            (None, None, false),
            (None, Some("true"), true),
            (None, Some("false"), false),
            (None, Some(""), false),
            (Some(Annotations::Github), None, true),
            (Some(Annotations::None), Some("true"), false),
        ];
        for (flag, env, expected) in cases {
            assert_eq!(
                annotations_for(flag, env),
                expected,
                "{flag:?} with {env:?}"
            );
        }
    }

    #[test]
    fn colour_is_auto_on_terminals_never_overrides_and_always_beats_no_color() {
        let on = Colors {
            stdout: true,
            stderr: true,
            drawing: true,
        };
        let off = Colors {
            stdout: false,
            stderr: false,
            drawing: false,
        };
        let cases = [
            (ColorChoice::Auto, false, true, true, on),
            (
                ColorChoice::Auto,
                false,
                false,
                true,
                Colors {
                    stdout: false,
                    ..on
                },
            ),
            (ColorChoice::Auto, true, true, true, off),
            (ColorChoice::Never, false, true, true, off),
            (ColorChoice::Always, true, false, false, on),
        ];
        for (choice, no_color, stdout_tty, stderr_tty, expected) in cases {
            assert_eq!(
                colors(choice, no_color, stdout_tty, stderr_tty),
                expected,
                "{choice:?}, NO_COLOR {no_color}, terminals {stdout_tty}/{stderr_tty}"
            );
        }
    }

    #[test]
    fn progress_shows_only_on_a_terminal_without_quiet_after_a_second() {
        let second = Duration::from_secs(1);
        let cases = [
            (true, false, Duration::ZERO, false),
            (true, false, Duration::from_millis(999), false),
            (true, false, second, true),
            (true, false, Duration::from_secs(90), true),
            (false, false, Duration::from_secs(90), false),
            (true, true, Duration::from_secs(90), false),
            (false, true, second, false),
        ];
        for (terminal, quiet, elapsed, shown) in cases {
            assert_eq!(
                shows_progress(terminal, quiet, elapsed),
                shown,
                "terminal {terminal}, quiet {quiet}, after {elapsed:?}"
            );
        }
    }

    #[test]
    fn ecrform_log_overrides_verbose_and_no_filter_means_no_logs() {
        let cases = [
            (None, false, None),
            (None, true, Some(VERBOSE_FILTER)),
            (Some(""), true, Some(VERBOSE_FILTER)),
            (Some("  "), false, None),
            (Some("ecrform_aws=debug"), false, Some("ecrform_aws=debug")),
            (Some("ecrform_aws=debug"), true, Some("ecrform_aws=debug")),
            (
                Some("warn,aws_smithy_runtime=trace"),
                false,
                Some("warn,aws_smithy_runtime=trace"),
            ),
        ];
        for (env, verbose, expected) in cases {
            assert_eq!(
                log_filter(env, verbose).unwrap().as_deref(),
                expected,
                "{env:?} with verbose {verbose}"
            );
        }
    }

    #[test]
    fn a_log_filter_that_does_not_parse_is_an_error_naming_the_variable() {
        let error = log_filter(Some("ecrform_aws=loud"), false).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("ECRFORM_LOG=ecrform_aws=loud is not a log filter"),
            "{error:#}"
        );
    }

    #[test]
    fn the_summary_line_counts_with_thousands_separators_and_singulars() {
        let cases = [
            (
                CallTotals {
                    calls: 1203,
                    retries: 4,
                    throttled: 2,
                },
                Duration::from_millis(3240),
                "read 3 registries: 1,203 calls (4 retries, 2 throttled) in 3.2 s",
            ),
            (
                CallTotals {
                    calls: 1,
                    retries: 1,
                    throttled: 0,
                },
                Duration::from_millis(40),
                "read 3 registries: 1 call (1 retry, 0 throttled) in 0.0 s",
            ),
            (
                CallTotals {
                    calls: 1_000_000,
                    retries: 0,
                    throttled: 1000,
                },
                Duration::from_secs(61),
                "read 3 registries: 1,000,000 calls (0 retries, 1,000 throttled) in 61.0 s",
            ),
        ];
        for (totals, elapsed, expected) in cases {
            assert_eq!(summary_line("read 3 registries", totals, elapsed), expected);
        }
    }
}
