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
