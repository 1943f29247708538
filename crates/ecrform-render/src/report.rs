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
    format!(
        "Apply: {} applied, {} failed, {} skipped; {writes}.",
        report.applied(),
        report.failed(),
        report.skipped()
    )
}

#[cfg(test)]
mod tests {
    use ecrform_apply::ChangeResult;
    use ecrform_model::Address;
    use ecrform_plan::{Action, ErrorKind, RegistryError};

    use super::*;

    fn result(address: &str, outcome: ChangeOutcome) -> ChangeResult {
        ChangeResult {
            address: Address::parse(address).unwrap(),
            action: Action::Create,
            outcome,
        }
    }

    #[test]
    fn every_change_is_listed_with_its_outcome_and_the_writes_are_counted() {
        let report = ApplyReport {
            results: vec![
                result(
                    "123456789012/us-east-1/repository/api",
                    ChangeOutcome::Applied,
                ),
                result(
                    "123456789012/us-east-1/repository/web",
                    ChangeOutcome::Failed {
                        operation: ecrform_model::Operation::CreateRepository,
                        error: RegistryError::new(
                            ErrorKind::Throttled,
                            "ThrottlingException",
                            "Rate exceeded",
                        ),
                    },
                ),
                result(
                    "123456789012/us-east-1/lifecycle_policy/web",
                    ChangeOutcome::Skipped {
                        reason: String::from(
                            "123456789012/us-east-1/repository/web was not applied",
                        ),
                    },
                ),
            ],
            writes: 2,
        };
        let text = render_apply_text(&report);
        assert_eq!(
            text,
            "applied  + create 123456789012/us-east-1/repository/api\n\
             failed   + create 123456789012/us-east-1/repository/web: CreateRepository: \
             ThrottlingException: Rate exceeded\n\
             skipped  + create 123456789012/us-east-1/lifecycle_policy/web: \
             123456789012/us-east-1/repository/web was not applied\n\
             \n\
             Apply: 1 applied, 1 failed, 1 skipped; 2 API writes.\n"
        );
        let markdown = render_apply_markdown(&report);
        assert!(markdown.contains("| failed | create `123456789012/us-east-1/repository/web` | CreateRepository: ThrottlingException: Rate exceeded |"), "{markdown}");
        let json: serde_json::Value = serde_json::from_str(&render_apply_json(&report)).unwrap();
        assert_eq!(json["writes"], 2);
        assert_eq!(json["results"][1]["status"], "failed");
        assert_eq!(json["results"][1]["error"]["code"], "ThrottlingException");
    }

    #[test]
    fn an_empty_apply_says_so_and_counts_no_writes() {
        let report = ApplyReport {
            results: Vec::new(),
            writes: 0,
        };
        assert_eq!(
            render_apply_text(&report),
            "No changes. Live state matches the spec; 0 API writes.\n"
        );
    }
}
