//! The rendering of an apply report: every change of the plan with what happened to it, and
//! a closing line with the counts and the number of API writes (a second apply of the same
//! spec makes none).

use ecrform_apply::{ApplyReport, ChangeOutcome};

use crate::layout;

/// The apply report for a terminal or a log.
pub fn render_apply_text(report: &ApplyReport) -> String {
    let mut out = String::new();
    for result in &report.results {
        let change = format!(
            "{} {} {}",
            layout::symbol(result.action),
            result.action.as_str(),
            result.address
        );
        let line = match &result.outcome {
            ChangeOutcome::Applied => format!("applied  {change}"),
            ChangeOutcome::Found { found } => format!("applied  {change}: {found}"),
            ChangeOutcome::Failed { operation, error } => {
                format!("failed   {change}: {operation}: {error}")
            }
            ChangeOutcome::Skipped { reason } => format!("skipped  {change}: {reason}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    if !report.results.is_empty() {
        out.push('\n');
    }
    out.push_str(&closing_line(report));
    out.push('\n');
    out
}

/// The apply report as a Markdown table, for a pull request comment after merge.
pub fn render_apply_markdown(report: &ApplyReport) -> String {
    let mut out = String::from("## ecrform apply\n\n");
    if !report.results.is_empty() {
        out.push_str("| result | change | detail |\n| --- | --- | --- |\n");
        for result in &report.results {
            let (status, detail) = match &result.outcome {
                ChangeOutcome::Applied => ("applied", String::new()),
                ChangeOutcome::Found { found } => ("applied", found.clone()),
                ChangeOutcome::Failed { operation, error } => {
                    ("failed", format!("{operation}: {error}"))
                }
                ChangeOutcome::Skipped { reason } => ("skipped", reason.clone()),
            };
            out.push_str(&format!(
                "| {status} | {} `{}` | {} |\n",
                result.action.as_str(),
                result.address,
                detail.replace('|', "\\|")
            ));
        }
        out.push('\n');
    }
    out.push_str(&closing_line(report));
    out.push('\n');
    out
}

/// The apply report as JSON: `{"results":[{"address","action","status",...}],"writes":N}`.
pub fn render_apply_json(report: &ApplyReport) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

fn closing_line(report: &ApplyReport) -> String {
    let writes = match report.writes {
        1 => String::from("1 API write"),
        n => format!("{n} API writes"),
    };
    if report.results.is_empty() {
        return format!("No changes. Live state matches the spec; {writes}.");
    }
    let found = match report.found() {
        0 => String::new(),
        n => format!(" ({n} found already done)"),
    };
    format!(
        "Apply: {} applied{found}, {} failed, {} skipped; {writes}.",
        report.applied(),
        report.failed(),
        report.skipped()
    )
}
