//! The `ecrform` binary: parses flags, wires the library crates together, prints, and maps
//! outcomes and errors to the exit codes of the interface contract. Nothing else lives here.

mod cli;
mod commands;
mod context;
mod logging;
mod output;
mod progress;
mod recovery;

/// This ecrform's version, as saved plans record it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::commands::{CommandError, Outcome};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let result = commands::run(&cli);
    exit_code(result, cli.global.quiet)
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
fn exit_code(result: Result<Outcome, CommandError>, quiet: bool) -> ExitCode {
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Changes) => ExitCode::from(2),
        Err(CommandError::Spec(diagnostics)) => {
            for diagnostic in &diagnostics.0 {
                eprintln!("{diagnostic}");
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
