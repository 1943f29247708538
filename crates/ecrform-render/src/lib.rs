//! Rendering of plans: terminal text, Markdown for pull request comments, and the plan JSON
//! of the interface contract. Differences are computed once as data ([`diff`]) and every
//! format renders that data, so the formats never disagree.

pub mod diff;
pub mod findings;
mod layout;
mod markdown;
mod report;
mod text;

pub use diff::{ChangeDiff, diff_change};
pub use layout::ReportKind;
pub use markdown::{render_markdown, render_markdown_report};
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
