//! The wording both renderers share: a change's diff laid out as signed lines, the symbols of
//! actions, and the fixed sentences. The terminal renderer indents and colours these lines;
//! the Markdown renderer puts them in a `diff` block. Keeping the words here means the two
//! outputs say the same thing.

use serde_json::Value;

use ecrform_plan::{Action, Change, ImagePreview, Plan, Summary};

use crate::diff::{ChangeDiff, FieldChange, Hunk, LineOp, diff_change};

/// Heading of the list of objects that exist but are not in the spec.
pub(crate) const UNMANAGED_HEADING: &str = "Unmanaged (exist but not in the spec, never touched):";
/// How an owner id is named: the legacy owner's `true` says what it means.
pub(crate) fn owner_phrase(owner: &str) -> String {
    if owner == ecrform_model::OWNERSHIP_TAG_VALUE {
        format!("{owner}, a spec that declares no owner id")
    } else {
        owner.to_owned()
    }
}

pub(crate) const OWNED_ELSEWHERE_HEADING: &str =
    "Owned by another spec (its ownership tag names another owner id; never touched):";
/// What an empty plan says.
pub(crate) const NO_CHANGES: &str = "No changes. Live state matches the spec.";

/// What a rendered plan stands for: changes to make, or differences found by `drift`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportKind {
    #[default]
    Plan,
    /// The same plan value, read as "what differs": live state drifted from the spec where
    /// the plan would change something, and unmanaged objects count as drift too.
    Drift,
}

impl ReportKind {
    pub(crate) fn title(self) -> &'static str {
        match self {
            ReportKind::Plan => "ecrform plan",
            ReportKind::Drift => "ecrform drift",
        }
    }
}

/// The last line of a report: what scripts and people read first.
pub(crate) fn closing_sentence(plan: &Plan, kind: ReportKind) -> String {
    match kind {
        ReportKind::Plan if plan.is_empty() => NO_CHANGES.to_owned(),
        ReportKind::Plan => summary_sentence(&plan.summary),
        ReportKind::Drift if plan.is_empty() && plan.unmanaged.is_empty() => {
            String::from("No drift. Live state matches the spec.")
        }
        ReportKind::Drift => format!(
            "Drift: {} managed object(s) differ from the spec, {} unmanaged object(s).",
            plan.changes.len(),
            plan.unmanaged.len()
        ),
    }
}

/// The mark in front of [`image_preview_sentence`] and the other notes of a change, where a
/// sign would be.
pub(crate) const PREVIEW_MARK: &str = "!";

/// What follows a change's address in its header: what a delete or replace destroys,
/// `(holds 12 images, 1.4 GiB)`, when the images were read.
pub(crate) fn header_suffix(change: &Change) -> String {
    match &change.images {
        Some(images) => format!(" ({})", images.holds_phrase()),
        None => String::new(),
    }
}

/// A sentence about a change that the diff does not show, for under its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    /// Marked with [`PREVIEW_MARK`] and shown as a warning: the change loses data or fails.
    pub alarming: bool,
    pub text: String,
}

/// Every note of a change, most important first: why it fails, why it is a replace, what a
/// lifecycle change does to images.
pub(crate) fn notes(change: &Change) -> Vec<Note> {
    let mut notes = Vec::new();
    if let Some(problem) = change.blocking_problem() {
        notes.push(Note {
            alarming: true,
            text: format!("would fail: {problem}"),
        });
    }
    if let Some(reason) = &change.replace_reason {
        notes.push(Note {
            alarming: false,
            text: format!("forces replacement: {reason}"),
        });
    }
    if let Some(restores) = &change.restores {
        notes.push(Note {
            alarming: false,
            text: format!("restores {restores}"),
        });
    }
    if let Some(preview) = &change.image_preview {
        notes.push(Note {
            alarming: preview.acts_on_images(),
            text: image_preview_sentence(preview),
        });
    }
    notes
}

/// What a lifecycle change would do to the images read at plan time:
/// `would expire 3 image(s) and archive 0 that the current policy keeps (of 7 read): v1, v2`.
pub(crate) fn image_preview_sentence(preview: &ImagePreview) -> String {
    let mut sentence = format!(
        "would expire {} image(s) and archive {} that the current policy keeps (of {} read)",
        preview.expire, preview.transition, preview.images
    );
    if !preview.examples.is_empty() {
        sentence.push_str(": ");
        sentence.push_str(&preview.examples.join(", "));
        if preview.expire + preview.transition > preview.examples.len() {
            sentence.push_str(", ...");
        }
    }
    sentence
}

/// The symbol of an action, as in `-/+ replace ADDRESS`.
pub(crate) fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Delete => "-",
        Action::Replace => "-/+",
    }
}

/// `Plan: N to create, N to update, N to replace, N to delete.`
pub(crate) fn summary_sentence(summary: &Summary) -> String {
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete.",
        summary.create, summary.update, summary.replace, summary.delete
    )
}

/// The rows of a summary table, in the order of the summary sentence.
pub(crate) fn summary_rows(summary: &Summary) -> [(Action, usize); 4] {
    [
        (Action::Create, summary.create),
        (Action::Update, summary.update),
        (Action::Replace, summary.replace),
        (Action::Delete, summary.delete),
    ]
}

/// How a line marks what happens to its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    Added,
    Removed,
    Changed,
    Context,
    /// A hunk header; the line's text is the whole header.
    Hunk,
}

impl Sign {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Sign::Added => "+",
            Sign::Removed => "-",
            Sign::Changed => "~",
            Sign::Context => " ",
            Sign::Hunk => "",
        }
    }
}

/// One line of a change's body: a sign, a nesting depth and the text after the sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub sign: Sign,
    pub depth: usize,
    pub text: String,
}

impl Line {
    fn new(sign: Sign, depth: usize, text: String) -> Self {
        Line { sign, depth, text }
    }
}

/// The body lines of a change: `field: old -> new`, tags key by key, or a unified diff.
pub(crate) fn change_lines(change: &Change) -> Vec<Line> {
    match diff_change(change) {
        ChangeDiff::Fields(fields) => {
            let mut lines = Vec::new();
            for field in fields {
                match field.change {
                    FieldChange::Value { before, after } => {
                        // A field one side of a present object lacks reads as set or removed,
                        // not as a change from or to `null`.
                        let present = |value: Option<Value>| value.filter(|v| !v.is_null());
                        let (sign, text) = match (present(before), present(after)) {
                            (Some(old), Some(new)) => (
                                Sign::Changed,
                                format!("{}: {} -> {}", field.name, compact(&old), compact(&new)),
                            ),
                            (None, Some(new)) => {
                                (Sign::Added, format!("{}: {}", field.name, compact(&new)))
                            }
                            (Some(old), None) => {
                                (Sign::Removed, format!("{}: {}", field.name, compact(&old)))
                            }
                            (None, None) => continue,
                        };
                        lines.push(Line::new(sign, 0, text));
                    }
                    FieldChange::Tags(tags) => {
                        if tags.is_empty() {
                            continue;
                        }
                        let sign = match (change.before.is_some(), change.after.is_some()) {
                            (false, true) => Sign::Added,
                            (true, false) => Sign::Removed,
                            _ => Sign::Changed,
                        };
                        lines.push(Line::new(sign, 0, format!("{}:", field.name)));
                        for tag in tags {
                            let (sign, text) = match (tag.before, tag.after) {
                                (Some(old), Some(new)) => {
                                    (Sign::Changed, format!("{}: {old} -> {new}", tag.key))
                                }
                                (None, Some(new)) => (Sign::Added, format!("{} = {new}", tag.key)),
                                (Some(old), None) => {
                                    (Sign::Removed, format!("{} = {old}", tag.key))
                                }
                                (None, None) => continue,
                            };
                            lines.push(Line::new(sign, 1, text));
                        }
                    }
                    FieldChange::Document {
                        before_present,
                        after_present,
                        hunks,
                    } => {
                        if hunks.is_empty() {
                            continue;
                        }
                        let sign = match (before_present, after_present) {
                            (false, true) => Sign::Added,
                            (true, false) => Sign::Removed,
                            _ => Sign::Changed,
                        };
                        lines.push(Line::new(sign, 0, format!("{}:", field.name)));
                        lines.extend(hunks.iter().flat_map(|hunk| hunk_lines(hunk, 1)));
                    }
                }
            }
            lines
        }
        ChangeDiff::Document(hunks) => hunks.iter().flat_map(|hunk| hunk_lines(hunk, 0)).collect(),
    }
}

/// A hunk's header and lines, nested `depth` levels (a document inside a settings field).
fn hunk_lines(hunk: &Hunk, depth: usize) -> Vec<Line> {
    let header = format!(
        "@@ -{} +{} @@",
        unified_range(&hunk.old),
        unified_range(&hunk.new)
    );
    let mut lines = vec![Line::new(Sign::Hunk, depth, header)];
    lines.extend(hunk.lines.iter().map(|line| {
        let sign = match line.op {
            LineOp::Context => Sign::Context,
            LineOp::Removed => Sign::Removed,
            LineOp::Added => Sign::Added,
        };
        Line::new(sign, depth, line.text.clone())
    }));
    lines
}

/// A range as unified diffs write it: 1-based start and length, the length left out when it
/// is 1, and an empty range named by the line before it.
fn unified_range(range: &std::ops::Range<usize>) -> String {
    match range.len() {
        0 => format!("{},0", range.start),
        1 => format!("{}", range.start + 1),
        len => format!("{},{len}", range.start + 1),
    }
}

/// A value in compact JSON, the way field lines show it.
fn compact(value: &Value) -> String {
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_preview_sentences_name_examples_and_say_when_there_are_more() {
        let preview = |expire, transition, examples: &[&str]| ImagePreview {
            images: 7,
            expire,
            transition,
            examples: examples.iter().map(|e| (*e).to_owned()).collect(),
        };
        assert_eq!(
            image_preview_sentence(&preview(2, 1, &["v1.0", "v1.1", "sha256:abcd1234"])),
            "would expire 2 image(s) and archive 1 that the current policy keeps (of 7 read): \
             v1.0, v1.1, sha256:abcd1234"
        );
        assert_eq!(
            image_preview_sentence(&preview(6, 0, &["a", "b", "c", "d", "e"])),
            "would expire 6 image(s) and archive 0 that the current policy keeps (of 7 read): \
             a, b, c, d, e, ..."
        );
        assert_eq!(
            image_preview_sentence(&preview(0, 0, &[])),
            "would expire 0 image(s) and archive 0 that the current policy keeps (of 7 read)"
        );
    }

    #[test]
    fn unified_ranges_follow_the_diff_convention() {
        assert_eq!(unified_range(&(0..0)), "0,0");
        assert_eq!(unified_range(&(4..5)), "5");
        assert_eq!(unified_range(&(2..9)), "3,7");
    }
}
