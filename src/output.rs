//! Printing plans in the format `--format` asks for, so every command renders the same way.
//! How to print (colour, verbosity) is decided once, in [`crate::context::Output`].

use ecrform_render::findings::{self, PlanFindings};

use crate::cli::Format;
use crate::context::Output;

/// A plan in the format `--format` asks for (Markdown in full; `plan` sizes its comment).
pub fn render_plan(output: &Output, plan: &ecrform_plan::Plan) -> String {
    match output.format {
        Format::Text => ecrform_render::render_text(
            plan,
            &ecrform_render::TextOptions {
                color: output.color,
            },
        ),
        Format::Markdown => ecrform_render::render_markdown(plan),
        Format::Json | Format::Sarif => ecrform_render::render_json(plan),
    }
}

/// [`render_plan`] with the plan's guardrails section: after the text and the Markdown, as
/// `findings` in the JSON.
pub fn render_plan_with_findings(
    output: &Output,
    plan: &ecrform_plan::Plan,
    findings: &PlanFindings,
) -> String {
    match output.format {
        Format::Text => render_plan(output, plan) + &findings::plan_findings_text(findings),
        Format::Markdown => render_plan(output, plan) + &findings::plan_findings_markdown(findings),
        Format::Json | Format::Sarif => findings::render_json_with_findings(plan, findings),
    }
}
