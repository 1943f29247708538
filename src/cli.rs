//! Command-line flags, as the interface contract in the README describes them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ecrform",
    version,
    about = "Declarative, GitOps-style reconciler for AWS Elastic Container Registry",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Spec file, or a directory whose *.yaml files are merged [default: ecr.yaml].
    #[arg(short = 'f', long = "file", global = true, value_name = "SPEC")]
    pub file: Option<PathBuf>,
    /// Directory of named policy documents (default: policies/ next to the spec).
    #[arg(long, global = true, value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Plan against a live-state snapshot file instead of AWS.
    #[arg(long, global = true, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Restrict all work to this registry (ACCOUNT/REGION); repeatable.
    #[arg(long = "registry", global = true, value_name = "ACCOUNT/REGION")]
    pub registries: Vec<String>,
    /// How many AWS requests to run at once.
    #[arg(long, global = true, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// ECR endpoint URL (overrides AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// How long one attempt of an AWS request may take before it is retried (`10s`, `500ms`,
    /// or seconds) [default: 10s].
    #[arg(long, global = true, value_name = "DURATION", env = "ECRFORM_ATTEMPT_TIMEOUT", value_parser = parse_duration)]
    pub attempt_timeout: Option<std::time::Duration>,
    /// How long one AWS request may take, every retry included: an endpoint that never
    /// answers fails after this long [default: 25s].
    #[arg(long, global = true, value_name = "DURATION", env = "ECRFORM_OPERATION_TIMEOUT", value_parser = parse_duration)]
    pub operation_timeout: Option<std::time::Duration>,
    /// Never colour the output (colour is only used on a terminal anyway; NO_COLOR works too).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Where apply keeps what a replace must restore should it be interrupted, and where plan
    /// looks for it [default: .ecrform-recovery.json next to the spec].
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "ECRFORM_RECOVERY_FILE"
    )]
    pub recovery_file: Option<PathBuf>,
    /// Print more about what ecrform reads and does: every AWS call, its retries and
    /// throttling, and a summary of calls and time (ECRFORM_LOG, a log filter such as
    /// `ecrform_aws=debug`, takes precedence).
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// How logs on stderr are written: text for people, json (one object a line) for log search.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Print only results and errors (no warnings).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (`validate` and `audit`).
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check the spec, its policy documents and guardrails; no AWS call.
    Validate,
    /// Read live state and print the plan that makes it equal the spec.
    Plan(PlanArgs),
    /// Apply a saved plan (refusing a stale one), or plan and apply.
    Apply(ApplyArgs),
    /// Read-only: report drift of managed settings and unmanaged objects (exit 2 on drift).
    Drift,
    /// Write a spec (YAML) of live state; a plan against it is empty.
    Export(ExportArgs),
    /// Write the normalized live state as a snapshot file (for `--state`).
    Snapshot(SnapshotArgs),
    /// Work with lifecycle policies offline.
    #[command(subcommand)]
    Lifecycle(LifecycleCommand),
    /// Read-only: the spec's guardrails over every repository of the live registries, as a
    /// pass/fail table per rule and repository (exit 2 on a finding at error level).
    Audit,
}

#[derive(Debug, Subcommand)]
pub enum LifecycleCommand {
    /// Evaluate a lifecycle policy over `aws ecr describe-images` output: what it would expire
    /// or archive, and which rule decides each image.
    Preview(LifecyclePreviewArgs),
}

#[derive(Debug, Args)]
pub struct LifecyclePreviewArgs {
    /// The lifecycle policy (JSON; also what `aws ecr get-lifecycle-policy` prints).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// What `aws ecr describe-images --output json` prints (AWS CLI v1 or v2).
    #[arg(long, value_name = "FILE")]
    pub images: PathBuf,
    /// The moment to evaluate at (default: now).
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Exit 2 when the plan has changes, 0 when it has none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan, with fingerprints of the live state it was made from, for `apply FILE`;
    /// signed with ECRFORM_PLAN_KEY when that is set.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Do not read the images of repositories whose lifecycle policy changes (DescribeImages
    /// per repository), so the plan cannot say what the new policy would expire.
    #[arg(long)]
    pub no_image_preview: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `plan --out`; without it, apply plans first.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    /// Apply without asking (required when not on a terminal, unless a plan file is given).
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow deletes (repositories, policies, rules) and lifecycle policy changes that would
    /// expire or archive images the current policy keeps.
    #[arg(long)]
    pub allow_delete: bool,
    /// Allow replacing repositories whose encryption changes (delete and create again).
    #[arg(long)]
    pub allow_replace: bool,
    /// Plan without reading the images of repositories whose lifecycle policy changes; such a
    /// change is then not known to expire anything and needs no --allow-delete. A saved plan's
    /// changes are previewed again at apply unless this is given.
    #[arg(long)]
    pub no_image_preview: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only repositories whose name starts with this.
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    /// Write DIR/ecr.yaml and DIR/policies/... instead of printing one spec with inline policies.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Where to write the snapshot (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// A duration: `10s`, `500ms`, `2m`, or a number of seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        _ => return Err(format!("`{text}` is not a duration (say 10s, 500ms or 2m)")),
    };
    let number: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (say 10s, 500ms or 2m)"))?;
    let seconds = number * seconds_per_unit;
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 3600.0 {
        return Err(format!("`{text}` must be more than 0 and at most an hour"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod duration_tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_take_a_unit_or_mean_seconds() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["", "s", "ten", "10h", "0", "-1s", "NaNs", "7200"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
