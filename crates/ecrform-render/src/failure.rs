//! What `--format markdown` and `--format json` print on stdout when a command fails (an
//! invalid spec, an unreachable registry, a stale plan): a pipeline that posts stdout as a
//! comment, or parses it, still gets a result that says what failed, in the one-line errors
//! that stderr shows. The exit code is the command's as always.

use serde::Serialize;

use crate::markdown::{CommentKey, code_span, comment_marker};

/// The JSON of a failed command: `{"format_version": 1, "errors": ["..."]}`. It has no
/// `changes`, so that no tool reads a failure as an empty plan.
pub fn render_failure_json(errors: &[String]) -> String {
    #[derive(Serialize)]
    struct Failure<'a> {
        format_version: u32,
        errors: &'a [String],
    }
    let failure = Failure {
        format_version: ecrform_plan::FORMAT_VERSION,
        errors,
    };
    // A list of strings serializes without fail; the guard keeps the function total.
    let mut text = serde_json::to_string_pretty(&failure).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

/// The Markdown of a failed command: the title with what failed (`ecrform plan` — failed, no
/// plan was made), each error in one line, and, for a plan comment, the marker, so that the
/// pipeline's comment is updated to say the plan failed rather than left showing an old plan.
pub fn render_failure_markdown(
    command: &str,
    marker: Option<&CommentKey>,
    errors: &[String],
) -> String {
    let mut out = String::new();
    if let Some(key) = marker {
        out.push_str(&comment_marker(command, key));
        out.push('\n');
    }
    let what = match command {
        "plan" => "failed, no plan was made",
        "drift" => "failed, drift was not checked",
        "apply" => "failed",
        _ => "failed",
    };
    out.push_str(&format!("**ecrform {command}** — {what}\n\n"));
    for error in errors {
        out.push_str(&format!("- {}\n", code_span(error)));
    }
    if errors.is_empty() {
        out.push_str("- no error message was given\n");
    }
    out.push_str("\n_The errors are also on stderr; the exit code is 1._\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_in_json_has_errors_and_no_changes() {
        let json: serde_json::Value =
            serde_json::from_str(&render_failure_json(&["ecr.yaml:3:1: bad".to_owned()])).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"format_version": 1, "errors": ["ecr.yaml:3:1: bad"]})
        );
    }

    #[test]
    fn a_failure_in_markdown_keeps_backticks_in_errors_inside_their_code_span() {
        let key = CommentKey::parse("ecr.yaml").unwrap();
        let text = render_failure_markdown("plan", Some(&key), &["a `b` c".to_owned()]);
        assert_eq!(
            text,
            "<!-- ecrform:plan key=ecr.yaml -->\n**ecrform plan** — failed, no plan was made\n\n\
             - ``a `b` c``\n\n_The errors are also on stderr; the exit code is 1._\n"
        );
    }
}
