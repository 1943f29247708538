//! Printing: colour decisions and warnings, so every command prints the same way.

use std::io::IsTerminal;

use crate::cli::{Format, GlobalArgs};

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

/// A plan (or drift report) in the format `--format` asks for.
pub fn render_plan(
    global: &GlobalArgs,
    plan: &ecrform_plan::Plan,
    kind: ecrform_render::ReportKind,
) -> String {
    match global.format {
        Format::Text => ecrform_render::render_text(
            plan,
            &ecrform_render::TextOptions {
                color: use_color(global),
                kind,
            },
        ),
        Format::Markdown => ecrform_render::render_markdown_report(plan, kind),
        Format::Json => ecrform_render::render_json(plan),
    }
}
