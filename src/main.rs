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

use crate::cli::Cli;
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
    exit_code(result, cli.global.quiet, annotations)
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

/// The one place where outcomes and errors become exit codes (see the README's table).
/// With `annotations`, spec problems are GitHub Actions annotations too.
fn exit_code(result: Result<Outcome, CommandError>, quiet: bool, annotations: bool) -> ExitCode {
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Changes) => ExitCode::from(2),
        Err(CommandError::Spec(diagnostics)) => {
            for diagnostic in &diagnostics.0 {
                github::print_error(diagnostic, annotations);
            }
            if !quiet && diagnostics.0.len() > 1 {
                eprintln!("error: {} problems in the spec", diagnostics.0.len());
            }
            ExitCode::from(1)
        }
        Err(CommandError::Refused(lines)) => {
            for line in &lines {
                eprintln!("error: {line}");
            }
            ExitCode::from(1)
        }
        Err(CommandError::Other(error)) => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::from(1)
        }
    }
}
