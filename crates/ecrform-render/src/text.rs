//! The terminal rendering of a plan: the summary line, the destructive changes named first,
//! then every change grouped by registry and repository, the unmanaged objects, and a last
//! line that scripts and people read first (`Plan: ...` or `No changes. ...`).

use ecrform_plan::{Action, Change, Plan};

use crate::layout::{self, BodyStyle, Item, Line, RegistryGroup, Sign};

/// How the terminal output looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours; the caller decides (terminal detection, `--no-color`, `NO_COLOR`).
    pub color: bool,
}

pub(crate) const GREEN: &str = "\x1b[32m";
pub(crate) const YELLOW: &str = "\x1b[33m";
pub(crate) const RED: &str = "\x1b[31m";
pub(crate) const CYAN: &str = "\x1b[36m";
pub(crate) const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Indentation of a change's body under its header, and of each nesting level.
pub(crate) const INDENT: &str = "    ";

/// Colours text when colour is on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Painter {
    pub color: bool,
}

impl Painter {
    pub(crate) fn paint(self, colour: Option<&str>, text: &str) -> String {
        match colour {
            Some(colour) if self.color => format!("{colour}{text}{RESET}"),
            _ => text.to_owned(),
        }
    }
}

/// Renders a plan for a terminal.
pub fn render_text(plan: &Plan, options: &TextOptions) -> String {
    let painter = Painter {
        color: options.color,
    };
    let mut out = String::new();
    if plan.is_empty() {
        // Nothing to review: no summary, no groups, only what exists outside the spec.
        push_unmanaged(&mut out, plan.unmanaged.iter(), plan.owned_elsewhere.iter());
        out.push_str(&layout::closing_sentence(plan));
        out.push('\n');
        return out;
    }
    out.push_str(&painter.paint(
        Some(BOLD),
        &format!("{} — {}", layout::PLAN_TITLE, layout::summary_counts(plan)),
    ));
    out.push_str("\n\n");
    let destructive = layout::destructive_changes(plan);
    if !destructive.is_empty() {
        out.push_str(&painter.paint(
            Some(RED),
            &format!("{} ({}):", layout::DESTRUCTIVE_HEADING, destructive.len()),
        ));
        out.push('\n');
        for change in destructive {
            let line = format!(
                "  {} {} {}: {}",
                layout::symbol(change.action),
                change.action.as_str(),
                change.address,
                layout::destructive_reason(change)
            );
            out.push_str(&painter.paint(Some(RED), &line));
            out.push('\n');
        }
        out.push('\n');
    }
    for group in layout::registry_groups(plan) {
        push_group(&mut out, &group, painter);
    }
    out.push_str(&layout::closing_sentence(plan));
    out.push('\n');
    out
}

/// One registry: its heading, its changes repository by repository, what it holds outside
/// the spec.
fn push_group(out: &mut String, group: &RegistryGroup<'_>, painter: Painter) {
    out.push_str(&painter.paint(
        Some(BOLD),
        &format!("=== {} ===", layout::registry_heading(&group.registry)),
    ));
    out.push_str("\n\n");
    if !group.has_changes() {
        out.push_str("No changes.\n\n");
    }
    for item in &group.items {
        match item {
            // A repository's changes stay together, one block.
            Item::Repository { changes, .. } => {
                for change in changes {
                    push_change(out, change, painter);
                }
            }
            Item::Setting(change) => push_change(out, change, painter),
        }
        out.push('\n');
    }
    push_unmanaged(
        out,
        group.unmanaged.iter().copied(),
        group.owned_elsewhere.iter().copied(),
    );
}

fn push_change(out: &mut String, change: &Change, painter: Painter) {
    let header = format!(
        "{} {} {}{}",
        layout::symbol(change.action),
        change.action.as_str(),
        change.address,
        layout::header_suffix(change)
    );
    out.push_str(&painter.paint(Some(action_colour(change.action)), &header));
    out.push('\n');
    for note in layout::notes(change) {
        let line = if note.alarming {
            format!("{INDENT}{} {}", layout::PREVIEW_MARK, note.text)
        } else {
            format!("{INDENT}{}", note.text)
        };
        out.push_str(&painter.paint(note.alarming.then_some(RED), &line));
        out.push('\n');
    }
    // Who gains or loses access, above the diff: what a reviewer reads first.
    for line in crate::access::access_lines(change) {
        let colour = match line.trim_start().chars().next() {
            Some('+') => Some(GREEN),
            Some('-') => Some(RED),
            Some('!') => Some(YELLOW),
            _ => None,
        };
        out.push_str(&painter.paint(colour, &format!("{INDENT}{line}")));
        out.push('\n');
    }
    for line in layout::change_lines(change, BodyStyle::FULL) {
        out.push_str(&painter.paint(sign_colour(line.sign), &body_line(&line)));
        out.push('\n');
    }
}

fn push_unmanaged<'p>(
    out: &mut String,
    unmanaged: impl ExactSizeIterator<Item = &'p ecrform_model::Address>,
    owned_elsewhere: impl ExactSizeIterator<Item = &'p ecrform_plan::OwnedElsewhere>,
) {
    if unmanaged.len() > 0 {
        out.push_str(layout::UNMANAGED_HEADING);
        out.push('\n');
        for address in unmanaged {
            out.push_str(&format!("  {address}\n"));
        }
        out.push('\n');
    }
    if owned_elsewhere.len() > 0 {
        out.push_str(layout::OWNED_ELSEWHERE_HEADING);
        out.push('\n');
        for owned in owned_elsewhere {
            out.push_str(&format!(
                "  {} (owner {})\n",
                owned.address,
                layout::owner_phrase(&owned.owner)
            ));
        }
        out.push('\n');
    }
}

pub(crate) fn body_line(line: &Line) -> String {
    let text = match line.sign {
        Sign::Hunk | Sign::Elided => format!("{INDENT}{}{}", INDENT.repeat(line.depth), line.text),
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

pub(crate) fn sign_colour(sign: Sign) -> Option<&'static str> {
    match sign {
        Sign::Added => Some(GREEN),
        Sign::Changed => Some(YELLOW),
        Sign::Removed => Some(RED),
        Sign::Hunk => Some(CYAN),
        Sign::Context | Sign::Elided => None,
    }
}
