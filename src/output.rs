//! Printing: colour decisions and warnings, so every command prints the same way.

use std::io::IsTerminal;

use crate::cli::GlobalArgs;

/// Colour only on a terminal, never with `--no-color` or `NO_COLOR` set.
pub fn use_color(global: &GlobalArgs) -> bool {
    !global.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

/// Warnings go to stderr unless `--quiet`.
pub fn warn(global: &GlobalArgs, message: &dyn std::fmt::Display) {
    if !global.quiet {
        eprintln!("warning: {message}");
    }
}

/// Progress notes go to stderr with `--verbose`.
pub fn note(global: &GlobalArgs, message: &dyn std::fmt::Display) {
    if global.verbose {
        eprintln!("{message}");
    }
}
