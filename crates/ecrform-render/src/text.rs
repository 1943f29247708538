//! The terminal rendering of a plan: one block per change, the unmanaged objects, and a last
//! line that scripts and people read first (`Plan: ...` or `No changes. ...`).

use ecrform_plan::{Action, Plan};

use crate::layout::{self, Line, ReportKind, Sign};

/// How the terminal output looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours; the caller decides (terminal detection, `--no-color`, `NO_COLOR`).
    pub color: bool,
    /// A plan, or a drift report.
    pub kind: ReportKind,
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// Indentation of a change's body under its header, and of each nesting level.
const INDENT: &str = "    ";

/// Renders a plan for a terminal.
pub fn render_text(plan: &Plan, options: &TextOptions) -> String {
    let paint = |colour: Option<&str>, text: &str| match colour {
        Some(colour) if options.color => format!("{colour}{text}{RESET}"),
        _ => text.to_owned(),
    };
    let mut out = String::new();
    for change in &plan.changes {
        let header = format!(
            "{} {} {}{}",
            layout::symbol(change.action),
            change.action.as_str(),
            change.address,
            layout::header_suffix(change)
        );
        out.push_str(&paint(Some(action_colour(change.action)), &header));
        out.push('\n');
        for note in layout::notes(change) {
            let line = if note.alarming {
                format!("{INDENT}{} {}", layout::PREVIEW_MARK, note.text)
            } else {
                format!("{INDENT}{}", note.text)
            };
            out.push_str(&paint(note.alarming.then_some(RED), &line));
            out.push('\n');
        }
        for line in crate::access::access_lines(change) {
            let colour = match line.trim_start().chars().next() {
                Some('+') => Some(GREEN),
                Some('-') => Some(RED),
                Some('!') => Some(YELLOW),
                _ => None,
            };
            out.push_str(&paint(colour, &format!("{INDENT}{line}")));
            out.push('\n');
        }
        for line in layout::change_lines(change) {
            out.push_str(&paint(sign_colour(line.sign), &body_line(&line)));
            out.push('\n');
        }
        out.push('\n');
    }
    if !plan.unmanaged.is_empty() {
        out.push_str(layout::UNMANAGED_HEADING);
        out.push('\n');
        for address in &plan.unmanaged {
            out.push_str(&format!("  {address}\n"));
        }
        out.push('\n');
    }
    if !plan.owned_elsewhere.is_empty() {
        out.push_str(layout::OWNED_ELSEWHERE_HEADING);
        out.push('\n');
        for owned in &plan.owned_elsewhere {
            out.push_str(&format!(
                "  {} (owner {})\n",
                owned.address,
                layout::owner_phrase(&owned.owner)
            ));
        }
        out.push('\n');
    }
    out.push_str(&layout::closing_sentence(plan, options.kind));
    out.push('\n');
    out
}

fn body_line(line: &Line) -> String {
    let text = match line.sign {
        Sign::Hunk => format!("{INDENT}{}{}", INDENT.repeat(line.depth), line.text),
        sign => format!(
            "{INDENT}{}{} {}",
            INDENT.repeat(line.depth),
            sign.as_str(),
            line.text
        ),
    };
    // Context lines of an empty text would otherwise end in the sign's blank.
    text.trim_end().to_owned()
}

fn action_colour(action: Action) -> &'static str {
    match action {
        Action::Create => GREEN,
        Action::Update => YELLOW,
        Action::Delete | Action::Replace => RED,
    }
}

fn sign_colour(sign: Sign) -> Option<&'static str> {
    match sign {
        Sign::Added => Some(GREEN),
        Sign::Changed => Some(YELLOW),
        Sign::Removed => Some(RED),
        Sign::Hunk => Some(CYAN),
        Sign::Context => None,
    }
}
