//! Printing plans in the format `--format` asks for, so every command renders the same way.
//! How to print (colour, verbosity) is decided once, in [`crate::context::Output`].

use ecrform_render::findings::{self, PlanFindings};

use crate::cli::Format;
use crate::context::Output;

/// A plan (or drift report) in the format `--format` asks for, with the guardrails section
/// when there is one (the plan's findings: after the text and the Markdown, as `findings` in
/// the JSON).
pub fn render_plan(
    output: &Output,
    plan: &ecrform_plan::Plan,
    kind: ecrform_render::ReportKind,
    findings: Option<&PlanFindings>,
) -> String {
    let rendered = render_plan_alone(output, plan, kind);
    let Some(findings) = findings else {
        return rendered;
    };
    match output.format {
        Format::Text => rendered + &findings::plan_findings_text(findings),
        Format::Markdown => rendered + &findings::plan_findings_markdown(findings),
        Format::Json | Format::Sarif => findings::add_findings_to_plan_json(&rendered, findings),
    }
}

fn render_plan_alone(
    output: &Output,
    plan: &ecrform_plan::Plan,
    kind: ecrform_render::ReportKind,
) -> String {
    match output.format {
        Format::Text => ecrform_render::render_text(
            plan,
            &ecrform_render::TextOptions {
                color: output.color,
                kind,
            },
        ),
        Format::Markdown => ecrform_render::render_markdown_report(plan, kind),
        Format::Json | Format::Sarif => ecrform_render::render_json(plan),
    }
}
