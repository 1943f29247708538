//! Command-line flags, as the interface contract in the README describes them.
//!
//! The common options are global (they go before or after the command), but each command
//! takes only those it reads: [`COMMAND_OPTIONS`] says which, [`command`] hides the others
//! from its help and completions, and [`unused_option`] refuses one given to a command that
//! would ignore it.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ecrform",
    version,
    long_version = crate::LONG_VERSION,
    about = "Declarative, GitOps-style reconciler for AWS Elastic Container Registry",
    propagate_version = true,
    after_help = "Run `ecrform COMMAND --help` for a command's options, an example and its exit \
                  codes. Exit codes: 0 success, 1 error, 2 changes (plan --detailed-exitcode) or \
                  drift; never 2 for an error."
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
    /// When to colour the output: auto colours on a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    /// Never colour the output (the same as --color never).
    #[arg(long, global = true, conflicts_with = "color")]
    pub no_color: bool,
    /// Also print spec errors and warnings as GitHub Actions annotations, and append plan,
    /// apply and drift reports to $GITHUB_STEP_SUMMARY [default: github when
    /// GITHUB_ACTIONS=true, else none].
    #[arg(long, global = true, value_enum, value_name = "KIND")]
    pub annotations: Option<Annotations>,
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
    // SARIF 2.1.0, for GitHub code scanning (`validate` and `audit` only).
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour, also in a pipe and with NO_COLOR.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Annotations {
    /// `::error file=F,line=L,col=C::message` lines, and the step summary.
    Github,
    /// Neither, also under GitHub Actions.
    None,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check the spec, its policy documents and guardrails; no AWS call.
    #[command(after_help = VALIDATE_HELP)]
    Validate,
    /// Read live state and print the plan that makes it equal the spec.
    #[command(after_help = PLAN_HELP)]
    Plan(PlanArgs),
    /// Apply a saved plan (refusing a stale one), or plan and apply.
    #[command(after_help = APPLY_HELP)]
    Apply(ApplyArgs),
    /// Read-only: report drift of managed settings and unmanaged objects (exit 2 on drift).
    #[command(after_help = DRIFT_HELP)]
    Drift,
    /// Write a spec (YAML) of live state; a plan against it is empty.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// Write the normalized live state as a snapshot file (for `--state`).
    #[command(after_help = SNAPSHOT_HELP)]
    Snapshot(SnapshotArgs),
    /// Work with lifecycle policies offline.
    #[command(subcommand)]
    Lifecycle(LifecycleCommand),
    /// Read-only: the spec's guardrails over every repository of the live registries, as a
    /// pass/fail table per rule and repository (exit 2 on a finding at error level).
    #[command(after_help = AUDIT_HELP)]
    Audit,
    /// List the spec's registries (account, region, address), e.g. for a CI matrix.
    #[command(after_help = REGISTRIES_HELP)]
    Registries,
    /// Print the JSON Schema of the spec, for editors that validate and complete ecr.yaml.
    #[command(after_help = SCHEMA_HELP)]
    Schema,
    /// Print a shell completion script.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one per command into a directory.
    #[command(after_help = MAN_HELP)]
    Man(ManArgs),
    /// Who can do what under the spec's policies (with --live, under those ECR holds).
    ///
    /// Per registry and repository, one line per principal and access class: pull, push,
    /// delete images, manage, read metadata, replicate, create repositories, import upstream.
    #[command(after_help = ACCESS_HELP)]
    Access(AccessArgs),
    /// The built-in library of reviewed policy documents, which a spec names `builtin/NAME`.
    #[command(subcommand, after_help = POLICIES_HELP)]
    Policies(PoliciesCommand),
}

#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Read the policies ECR holds (every repository of each registry of the spec), or the
    /// `--state` snapshot's, instead of the spec's.
    #[arg(long)]
    pub live: bool,
}

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// Every document of the library: name, kind, vars and what it does.
    #[command(after_help = POLICIES_HELP)]
    List,
    /// One document: what it does, its vars, how a spec uses it, what it grants, its text.
    #[command(after_help = POLICIES_HELP)]
    Show(PoliciesShowArgs),
}

#[derive(Debug, Args)]
pub struct PoliciesShowArgs {
    /// The document's name, with or without `builtin/`.
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum LifecycleCommand {
    /// Evaluate a lifecycle policy over `aws ecr describe-images` output: what it would expire
    /// or archive, and which rule decides each image.
    #[command(after_help = LIFECYCLE_PREVIEW_HELP)]
    Preview(LifecyclePreviewArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write ecrform.1 and one page per command (ecrform-plan.1, ...) into DIR instead of
    /// printing ecrform.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
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
    /// With --format markdown: the most characters the comment may have. A plan that does not
    /// fit is shown in less detail, step by step, each step said in the comment.
    #[arg(
        long,
        value_name = "N",
        default_value_t = ecrform_render::DEFAULT_MAX_COMMENT_CHARS as u64,
        value_parser = clap::value_parser!(u64).range(ecrform_render::MIN_COMMENT_CHARS as u64..)
    )]
    pub max_comment_chars: u64,
    /// With --format markdown: the key of the hidden marker `<!-- ecrform:plan key=KEY -->`
    /// that lets a pipeline find and update its own comment [default: the spec path, and the
    /// --registry selection after `@`].
    #[arg(long, value_name = "KEY", value_parser = parse_comment_key)]
    pub comment_key: Option<ecrform_render::CommentKey>,
}

fn parse_comment_key(raw: &str) -> Result<ecrform_render::CommentKey, String> {
    ecrform_render::CommentKey::parse(raw)
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
    if !seconds.is_finite() || !(0.001..=3600.0).contains(&seconds) {
        return Err(format!("`{text}` must be from 1ms to an hour"));
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
        assert_eq!(parse_duration("1ms"), Ok(Duration::from_millis(1)));
        for bad in [
            "",
            "s",
            "ten",
            "10h",
            "0",
            "-1s",
            "NaNs",
            "7200",
            "0.0000000001",
            "0.5ms",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}

const ACCESS_HELP: &str = "\
Examples:
  ecrform access -f ecr.yaml                 who can do what under the spec's policies
  ecrform access -f ecr.yaml --live          under the policies ECR holds, every repository
  ecrform access --live --state snapshot.json --format markdown

Exit codes:
  0  printed
  1  error";

const POLICIES_HELP: &str = "\
Examples:
  ecrform policies list
  ecrform policies show builtin/cross-account-pull

Exit codes:
  0  printed
  1  error, or no such document";

const VALIDATE_HELP: &str = "\
Examples:
  ecrform validate -f ecr.yaml
  ecrform validate -f specs/          a directory: its *.yaml files are merged
  ecrform validate --format sarif > ecrform.sarif    guardrail findings for code scanning

Exit codes:
  0  the spec is valid (guardrail warnings on stderr)
  1  it is not, or a guardrail finding is at error level: every problem on stderr, as
     FILE:LINE:COLUMN: message";

const AUDIT_HELP: &str = "\
Examples:
  ecrform audit -f ecr.yaml                   every repository of the spec's registries
  ecrform audit --state snapshot.json         a snapshot, without a spec: no AWS call
  ecrform audit --format sarif > audit.sarif  findings for code scanning

Exit codes:
  0  no finding at error level
  1  error
  2  a finding at error level, or an exception of the spec that lapsed";

const PLAN_HELP: &str = "\
Examples:
  ecrform plan -f ecr.yaml
  ecrform plan --format markdown --out plan.json    a PR comment, and the plan to apply
  ecrform plan --state snapshot.json                against a snapshot: no AWS call

Exit codes:
  0  planned; with --detailed-exitcode: no changes
  1  error
  2  with --detailed-exitcode: the plan has changes";

const APPLY_HELP: &str = "\
Examples:
  ecrform apply plan.json                   the reviewed plan that plan --out saved
  ecrform apply -f ecr.yaml --auto-approve  plan and apply at once

Exit codes:
  0  every change applied
  1  error, a refused or stale plan, or a change that failed (the report names it)";

const DRIFT_HELP: &str = "\
Examples:
  ecrform drift -f ecr.yaml
  ecrform drift --format json > drift.json

Exit codes:
  0  in sync: live state matches the spec and nothing is unmanaged
  1  error
  2  drift: a managed setting differs, or an unmanaged object exists";

const EXPORT_HELP: &str = "\
Examples:
  ecrform export --registry 123456789012/us-east-1 > ecr.yaml
  ecrform export --registry 123456789012/us-east-1 --prefix team-a/ --out-dir adopted/

Exit codes:
  0  exported
  1  error";

const SNAPSHOT_HELP: &str = "\
Examples:
  ecrform snapshot -f ecr.yaml --out snapshot.json
  ecrform plan -f ecr.yaml --state snapshot.json

Exit codes:
  0  written
  1  error";

const LIFECYCLE_PREVIEW_HELP: &str = "\
Examples:
  aws ecr describe-images --repository-name team-a/api --filter imageStatus=ANY --output json > images.json
  ecrform lifecycle preview --policy policies/lifecycle/standard.json --images images.json

Exit codes:
  0  previewed
  1  a file cannot be read or is not valid, or --now is not a timestamp";

const REGISTRIES_HELP: &str = "\
Examples:
  ecrform registries -f ecr.yaml
  ecrform registries -f ecr.yaml --format json    [{\"account\":...,\"region\":...,\"address\":...}]

Exit codes:
  0  listed
  1  the spec is invalid";

const SCHEMA_HELP: &str = "\
Example:
  ecrform schema > ecr.schema.json
  and as the first line of ecr.yaml, for editors with the YAML language server:
  # yaml-language-server: $schema=./ecr.schema.json

Exit codes:
  0  printed";

const COMPLETIONS_HELP: &str = "\
Examples:
  ecrform completions bash > ~/.local/share/bash-completion/completions/ecrform
  ecrform completions zsh > ~/.zfunc/_ecrform
  ecrform completions fish > ~/.config/fish/completions/ecrform.fish
  ecrform completions powershell >> $PROFILE

Exit codes:
  0  printed";

const MAN_HELP: &str = "\
Examples:
  ecrform man > ecrform.1 && man -l ecrform.1
  ecrform man --out-dir /usr/local/share/man/man1

Exit codes:
  0  printed or written
  1  the directory cannot be written";

/// The common options every command takes: how to print and log, whatever the command.
const RUN_OPTIONS: &[&str] = &["color", "no_color", "verbose", "quiet", "log_format"];

/// What plan, apply and drift read: the spec, live state and how to print the plan.
const PLANNING: &[&str] = &[
    "file",
    "policies",
    "format",
    "state",
    "registries",
    "parallelism",
    "endpoint_url",
    "attempt_timeout",
    "operation_timeout",
    "recovery_file",
    "annotations",
];

/// What export and snapshot read: live state of the spec's registries (or `--registry`).
const READING: &[&str] = &[
    "file",
    "policies",
    "registries",
    "parallelism",
    "endpoint_url",
    "attempt_timeout",
    "operation_timeout",
    "annotations",
];

/// What audit and access read: the spec, live state or a snapshot, and how to print a report.
const REPORTING: &[&str] = &[
    "file",
    "policies",
    "format",
    "state",
    "registries",
    "parallelism",
    "endpoint_url",
    "attempt_timeout",
    "operation_timeout",
    "annotations",
];

/// The common options (ids of [`GlobalArgs`] fields) besides [`RUN_OPTIONS`] that each
/// command reads, by its path (`lifecycle preview`). Any other given on its command line is
/// refused; a command that is not listed here takes them all (a test keeps the list complete).
pub const COMMAND_OPTIONS: &[(&str, &[&str])] = &[
    (
        "validate",
        &["file", "policies", "format", "registries", "annotations"],
    ),
    // audit reads live state as export does, or a snapshot, and prints a report.
    ("audit", REPORTING),
    ("plan", PLANNING),
    // apply reads --state only to say why it cannot use it.
    ("apply", PLANNING),
    ("drift", PLANNING),
    ("export", READING),
    ("snapshot", READING),
    ("lifecycle preview", &["format", "annotations"]),
    (
        "registries",
        &["file", "policies", "format", "registries", "annotations"],
    ),
    ("schema", &[]),
    ("completions", &[]),
    ("man", &[]),
    ("access", REPORTING),
    ("policies list", &["format"]),
    ("policies show", &["format"]),
];

/// The common options `path` reads besides [`RUN_OPTIONS`]; `None` when it is not listed.
fn options_of(path: &str) -> Option<&'static [&'static str]> {
    COMMAND_OPTIONS
        .iter()
        .find(|(command, _)| *command == path)
        .map(|(_, options)| *options)
}

/// The clap command that parses: [`Cli`] with each command's help showing only the common
/// options it reads.
pub fn command() -> clap::Command {
    let command = Cli::command();
    let common = common_options(&command);
    with_common_options(command, "", &common, Unread::Hidden)
}

/// The clap command that completions and manual pages are made from: each command has only
/// the common options it reads, the others are left out (completion scripts offer hidden
/// options too). It parses the same command lines as [`command`] but for the refused ones.
pub fn documented_command() -> clap::Command {
    let mut command = Cli::command();
    let common = common_options(&command);
    for arg in &common {
        // Global, clap would give each command every one of them again.
        command = command.mut_arg(arg.get_id().clone(), |arg| arg.global(false));
    }
    let common: Vec<clap::Arg> = common.into_iter().map(|arg| arg.global(false)).collect();
    with_common_options(command, "", &common, Unread::LeftOut)
}

/// The common options: [`GlobalArgs`], as clap has them.
fn common_options(command: &clap::Command) -> Vec<clap::Arg> {
    command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect()
}

/// Where a command's help lists the common options: after its own.
const COMMON_ORDER: usize = 1000;

/// What becomes of a common option that a command does not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unread {
    /// It is there, hidden from help, so that parsing can name it in its refusal.
    Hidden,
    /// It is not there at all.
    LeftOut,
}

/// Gives every listed command its own copy of each common option it reads (and, `Hidden`, of
/// the others too). clap then propagates no global option into it (it already has each one),
/// so parsing is unchanged and only help differs. (Hiding the propagated options after clap
/// has built the command would corrupt its lookup tables.)
fn with_common_options(
    mut command: clap::Command,
    path: &str,
    common: &[clap::Arg],
    unread: Unread,
) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        command = command.mut_subcommand(&name, |mut sub| {
            // A group of commands (lifecycle) reads no option itself.
            let reads = if sub.has_subcommands() {
                Some(&[][..])
            } else {
                options_of(&sub_path)
            };
            match reads {
                Some(reads) => {
                    for (index, arg) in common.iter().enumerate() {
                        let id = arg.get_id().as_str();
                        let read = RUN_OPTIONS.contains(&id) || reads.contains(&id);
                        if read || unread == Unread::Hidden {
                            // After the command's own options, in their order.
                            let arg = arg.clone().hide(!read).display_order(COMMON_ORDER + index);
                            sub = sub.arg(arg);
                        }
                    }
                }
                // Not listed, it takes them all: clap propagates them, unless they are not
                // global any more.
                None if unread == Unread::LeftOut => {
                    sub = sub.args(common.iter().cloned());
                }
                None => {}
            }
            with_common_options(sub, &sub_path, common, unread)
        });
    }
    command
}

/// The first common option given on the command line to a command that does not read it:
/// `--state does not apply to validate`.
pub fn unused_option(matches: &ArgMatches) -> Option<String> {
    let mut path = Vec::new();
    let mut leaf = matches;
    while let Some((name, sub)) = leaf.subcommand() {
        path.push(name);
        leaf = sub;
    }
    let path = path.join(" ");
    let reads = options_of(&path)?;
    let command = Cli::command();
    command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .filter(|arg| {
            let id = arg.get_id().as_str();
            !RUN_OPTIONS.contains(&id)
                && !reads.contains(&id)
                && leaf.value_source(id) == Some(ValueSource::CommandLine)
        })
        .map(|arg| {
            let flag = arg
                .get_long()
                .map(|long| format!("--{long}"))
                .unwrap_or_else(|| arg.get_id().to_string());
            format!("{flag} does not apply to {path}")
        })
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command path of the CLI, leaves only (`lifecycle preview`, not `lifecycle`).
    fn command_paths(command: &clap::Command, prefix: &str, into: &mut Vec<String>) {
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let path = if prefix.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{prefix} {}", sub.get_name())
            };
            if sub.has_subcommands() {
                command_paths(sub, &path, into);
            } else {
                into.push(path);
            }
        }
    }

    #[test]
    fn the_cli_is_well_formed() {
        command().debug_assert();
        documented_command().debug_assert();
    }

    #[test]
    fn the_documented_commands_have_exactly_the_common_options_they_read() {
        let mut documented = documented_command();
        documented.build();
        let ids = |command: &clap::Command| -> Vec<String> {
            command
                .get_arguments()
                .map(|arg| arg.get_id().to_string())
                .collect()
        };
        let validate = ids(documented.find_subcommand("validate").unwrap());
        assert!(validate.contains(&"registries".to_owned()), "{validate:?}");
        assert!(validate.contains(&"color".to_owned()), "{validate:?}");
        assert!(!validate.contains(&"state".to_owned()), "{validate:?}");
        let schema = ids(documented.find_subcommand("schema").unwrap());
        assert!(!schema.contains(&"file".to_owned()), "{schema:?}");
        let plan = ids(documented.find_subcommand("plan").unwrap());
        for id in PLANNING.iter().chain(RUN_OPTIONS) {
            assert!(plan.contains(&(*id).to_owned()), "{id}: {plan:?}");
        }
        // The top level keeps them all, as a command line may give them before the command.
        let top = ids(&documented);
        assert!(top.contains(&"state".to_owned()), "{top:?}");
    }

    #[test]
    fn every_command_says_which_common_options_it_reads() {
        let mut paths = Vec::new();
        command_paths(&Cli::command(), "", &mut paths);
        let listed: Vec<&str> = COMMAND_OPTIONS.iter().map(|(path, _)| *path).collect();
        for path in &paths {
            assert!(
                listed.contains(&path.as_str()),
                "{path} is not in COMMAND_OPTIONS (src/cli.rs): list the common options it reads"
            );
        }
        for path in listed {
            assert!(paths.iter().any(|p| p == path), "{path} is not a command");
        }
        let global: Vec<String> = Cli::command()
            .get_arguments()
            .filter(|arg| arg.is_global_set())
            .map(|arg| arg.get_id().to_string())
            .collect();
        for (path, options) in COMMAND_OPTIONS {
            for option in options.iter().chain(RUN_OPTIONS) {
                assert!(
                    global.iter().any(|id| id == option),
                    "{path}: {option} is not a common option"
                );
            }
        }
    }

    #[test]
    fn a_common_option_is_refused_by_a_command_that_does_not_read_it() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (
                &["validate", "--state", "x"],
                Some("--state does not apply to validate"),
            ),
            (
                &["--state", "x", "validate"],
                Some("--state does not apply to validate"),
            ),
            (
                &["export", "--format", "json"],
                Some("--format does not apply to export"),
            ),
            (
                &["export", "--format", "text"],
                Some("--format does not apply to export"),
            ),
            (
                &["schema", "-f", "ecr.yaml"],
                Some("--file does not apply to schema"),
            ),
            (
                &[
                    "lifecycle",
                    "preview",
                    "--policy",
                    "p",
                    "--images",
                    "i",
                    "--registry",
                    "1/2",
                ],
                Some("--registry does not apply to lifecycle preview"),
            ),
            (&["validate", "-f", "ecr.yaml", "--registry", "1/2"], None),
            (
                &[
                    "plan",
                    "--state",
                    "x",
                    "--format",
                    "json",
                    "--parallelism",
                    "4",
                ],
                None,
            ),
            (&["export"], None),
            (&["schema", "--no-color", "-q"], None),
            (&["completions", "bash", "--color", "never"], None),
        ];
        for (args, expected) in cases {
            let matches = command()
                .try_get_matches_from(std::iter::once(&"ecrform").chain(args.iter()))
                .unwrap_or_else(|error| panic!("{args:?}: {error}"));
            assert_eq!(unused_option(&matches).as_deref(), *expected, "{args:?}");
        }
    }

    #[test]
    fn help_shows_only_the_common_options_a_command_reads() {
        let mut command = command();
        let schema = command.find_subcommand_mut("schema").unwrap();
        let help = schema.render_help().to_string();
        assert!(!help.contains("--state"), "{help}");
        assert!(help.contains("--color"), "{help}");
        let plan = command.find_subcommand_mut("plan").unwrap();
        let help = plan.render_help().to_string();
        assert!(help.contains("--state"), "{help}");
    }

    /// The `ecrform ...` command lines of the example workflows, as argument lists: quoted
    /// variables stand for one argument, and `"${flags[@]}"` for every flag the script may
    /// put in `flags`. Continued lines are joined; redirections and pipes end a command.
    fn workflow_commands(script: &str) -> Vec<Vec<String>> {
        let joined = script.replace("\\\n", " ");
        let flags: Vec<String> = joined
            .split("flags+=(")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
            .map(str::to_owned)
            .collect();
        let mut commands = Vec::new();
        for line in joined.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let Some(start) = line.find("ecrform ") else {
                continue;
            };
            let before = &line[..start];
            // Only where a command starts: a line (or a one-line `run:`), `$(`, or after `;`,
            // `&&`, `||`.
            if !(before.trim().is_empty()
                || before.ends_with("$(")
                || ["run:", ";", "&&", "||"]
                    .iter()
                    .any(|sep| before.trim_end().ends_with(sep)))
            {
                continue;
            }
            let mut args = Vec::new();
            for token in line[start..].split_whitespace().skip(1) {
                if token.starts_with('>') || token.starts_with('|') || token.starts_with(')') {
                    break;
                }
                if token == "\"${flags[@]}\"" {
                    args.extend(flags.iter().cloned());
                    continue;
                }
                let token = token.trim_end_matches(')');
                args.push(if token.starts_with("\"$") {
                    "X".to_owned()
                } else {
                    token.to_owned()
                });
            }
            commands.push(args);
        }
        commands
    }

    /// Every command the example workflows run is one this ecrform takes, with flags it
    /// reads: parsed here as the binary parses it, with its unused-option check.
    #[test]
    fn the_example_workflows_run_real_commands_with_flags_they_read() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github-actions");
        let mut checked = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for args in workflow_commands(&text) {
                let matches = command()
                    .try_get_matches_from(std::iter::once("ecrform".to_owned()).chain(args.clone()))
                    .unwrap_or_else(|error| {
                        panic!("{}: ecrform {args:?}: {error}", path.display())
                    });
                assert_eq!(
                    unused_option(&matches),
                    None,
                    "{}: {args:?}",
                    path.display()
                );
                checked.push(args.join(" "));
            }
        }
        checked.sort();
        checked.dedup();
        assert_eq!(
            checked,
            [
                "apply reviewed/plan.json -f X --allow-delete --allow-replace",
                "drift -f X --format markdown",
                "drift -f X --registry X --format markdown",
                "plan -f X --format markdown --out plan.json",
                "registries -f X --format json",
                "validate -f X",
            ]
        );
    }
}
