//! The `ecrform` binary: parses flags, wires the library crates together, prints, and maps
//! outcomes and errors to the exit codes of the interface contract. Nothing else lives here.

mod cli;
mod commands;
mod context;
mod github;
mod logging;
mod output;
mod progress;
mod recovery;

/// This ecrform's version, as saved plans record it: the package version, so that a plan
/// made and applied by builds of one release is accepted whatever commit each was built from.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What `--version` prints after the name: the package version and, when built from a git
/// checkout, its commit (`0.1.0 (abc1234)`; see build.rs).
pub const LONG_VERSION: &str = env!("ECRFORM_LONG_VERSION");

use std::process::ExitCode;

use clap::FromArgMatches;

use crate::cli::{Cli, Command, Format};
use crate::commands::{CommandError, Outcome};

fn main() -> ExitCode {
    let parsed = cli::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return usage_error(&error),
    };
    // A flag the command would ignore is a mistake in the command line, said before any work.
    if let Some(problem) = cli::unused_option(&matches) {
        eprintln!("error: {problem}");
        return ExitCode::from(1);
    }
    let annotations = context::annotations(cli.global.annotations);
    let result = commands::run(&cli);
    exit_code(result, &cli, annotations)
}

/// clap exits 2 on a usage error, which the contract reserves for "changes" and "drift": a
/// mistyped flag in a drift cron must not read as drift. Help and version are not errors.
fn usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    // Printing to a closed pipe is not worth a panic; nothing else can be done about it.
    let _ = error.print();
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

/// The one place where outcomes and errors become exit codes (see the README's table). A
/// failed plan, drift or apply in `--format markdown` or `json` also prints its errors on
/// stdout, in that format, so a pipeline that posts or parses stdout still has a result. With
/// `annotations`, spec problems are GitHub Actions annotations too.
fn exit_code(result: Result<Outcome, CommandError>, cli: &Cli, annotations: bool) -> ExitCode {
    let error = match result {
        Ok(Outcome::Done) => return ExitCode::SUCCESS,
        Ok(Outcome::Changes) => return ExitCode::from(2),
        Err(error) => error,
    };
    let lines = error_lines(&error, cli.global.quiet, annotations);
    for line in &lines.stderr {
        eprintln!("{line}");
    }
    if let Some(result) = failure_result(cli, &lines.errors) {
        print!("{result}");
    }
    ExitCode::from(1)
}

/// A failure's lines: as stderr shows them, and as the one-line errors of a result on stdout.
struct ErrorLines {
    stderr: Vec<String>,
    errors: Vec<String>,
}

fn error_lines(error: &CommandError, quiet: bool, annotations: bool) -> ErrorLines {
    match error {
        CommandError::Spec(diagnostics) => {
            let errors: Vec<String> = diagnostics.0.iter().map(ToString::to_string).collect();
            let mut stderr = Vec::new();
            for (diagnostic, line) in diagnostics.0.iter().zip(&errors) {
                stderr.push(line.clone());
                if annotations {
                    stderr.push(github::annotation(github::Level::Error, diagnostic));
                }
            }
            if !quiet && diagnostics.0.len() > 1 {
                stderr.push(format!(
                    "error: {} problems in the spec",
                    diagnostics.0.len()
                ));
            }
            ErrorLines { stderr, errors }
        }
        CommandError::Refused(lines) => ErrorLines {
            stderr: lines.iter().map(|line| format!("error: {line}")).collect(),
            errors: lines.clone(),
        },
        CommandError::Other(error) => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            let line = chain.join(": ");
            ErrorLines {
                stderr: vec![format!("error: {line}")],
                errors: vec![line],
            }
        }
    }
}

/// What a failed command prints on stdout: nothing in text, and for the commands whose result
/// is rendered in `--format`, the failure in that format.
fn failure_result(cli: &Cli, errors: &[String]) -> Option<String> {
    let (command, marker) = match &cli.command {
        Command::Plan(args) => (
            "plan",
            Some(args.comment_key.clone().unwrap_or_else(|| {
                let path = cli.global.file.as_ref().map_or_else(
                    || context::DEFAULT_SPEC.to_owned(),
                    |p| p.display().to_string(),
                );
                let mut registries = cli.global.registries.clone();
                registries.sort();
                ecrform_render::CommentKey::derived(&path, &registries)
            })),
        ),
        Command::Drift => ("drift", None),
        Command::Apply(_) => ("apply", None),
        _ => return None,
    };
    match cli.global.format {
        Format::Text => None,
        Format::Json | Format::Sarif => Some(ecrform_render::render_failure_json(errors)),
        Format::Markdown => Some(ecrform_render::render_failure_markdown(
            command,
            marker.as_ref(),
            errors,
        )),
    }
}
