//! Rendering of plans: terminal text, Markdown for pull request comments (sized to fit a
//! budget), and the plan JSON of the interface contract; of drift reports, in their own
//! vocabulary (text, Markdown for an issue body, JSON); and of failures in Markdown and JSON.
//! Differences are computed once as data ([`diff`]) and every format renders that data, so the
//! formats never disagree.

pub mod access;
pub mod diff;
mod drift;
mod failure;
pub mod findings;
mod layout;
mod markdown;
mod report;
mod text;

pub use access::{
    AccessSource, access_lines, access_markdown, render_access_json, render_access_markdown,
    render_access_text,
};
pub use diff::{ChangeDiff, diff_change};
pub use drift::{drift_summary_line, render_drift_json, render_drift_markdown, render_drift_text};
pub use failure::{render_failure_json, render_failure_markdown};
pub use markdown::{
    Comment, CommentKey, CommentOptions, DEFAULT_MAX_COMMENT_CHARS, MIN_COMMENT_CHARS,
    comment_marker, render_markdown, render_plan_comment,
};
pub use report::{render_apply_json, render_apply_markdown, render_apply_text};
pub use text::{TextOptions, render_text};

use ecrform_plan::Plan;

/// The plan as pretty JSON exactly per the contract, with a trailing newline.
pub fn render_json(plan: &Plan) -> String {
    // A plan serializes to JSON without fail (every map key is a string); the empty object is
    // only a guard that keeps this function total.
    let mut text = serde_json::to_string_pretty(plan).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}
