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
    let Some(findings) = findings else {
        return render_plan_alone(output, plan, kind);
    };
    match output.format {
        Format::Text => {
            render_plan_alone(output, plan, kind) + &findings::plan_findings_text(findings)
        }
        Format::Markdown => {
            render_plan_alone(output, plan, kind) + &findings::plan_findings_markdown(findings)
        }
        Format::Json | Format::Sarif => findings::render_json_with_findings(plan, findings),
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
