//! GitHub Actions: spec problems as annotations on the lines they are about, and plan, apply
//! and drift reports in the job's step summary.
//!
//! Both are on when `GITHUB_ACTIONS=true` (the runner sets it) or with `--annotations github`,
//! and off with `--annotations none`. An annotation is a workflow command, one line on
//! stderr after the usual `FILE:LINE:COLUMN: message` line, so people reading the log and
//! the runner both get theirs, and stdout stays the result alone. The summary is appended to
//! the file `$GITHUB_STEP_SUMMARY` names, as the runner expects of every step.

use std::io::Write;
use std::path::Path;

use ecrform_spec::Diagnostic;

use crate::context::Context;

/// The variable the runner sets to `true` in every step.
pub const ACTIONS_ENV: &str = "GITHUB_ACTIONS";

/// The variable naming the file a step appends its Markdown summary to.
pub const STEP_SUMMARY_ENV: &str = "GITHUB_STEP_SUMMARY";

/// What an annotation marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

/// `::error file=F,line=L,col=C::message`: a workflow command that annotates the line a
/// problem is on. Line and column are left out when the problem is with the file as a whole.
pub fn annotation(level: Level, diagnostic: &Diagnostic) -> String {
    let command = match level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    let mut properties = vec![format!(
        "file={}",
        escape_property(&diagnostic.file.display().to_string())
    )];
    if let Some(line) = diagnostic.line {
        properties.push(format!("line={line}"));
        if let Some(column) = diagnostic.column {
            properties.push(format!("col={column}"));
        }
    }
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&diagnostic.message)
    )
}

/// A workflow command's message: `%`, CR and LF are what the runner decodes.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`, which separate properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A spec problem on stderr: its `FILE:LINE:COLUMN: message` line, then, with
/// `annotations`, its annotation.
pub fn print_error(diagnostic: &Diagnostic, annotations: bool) {
    eprintln!("{diagnostic}");
    if annotations {
        eprintln!("{}", annotation(Level::Error, diagnostic));
    }
}

/// Appends a report's Markdown to the step summary, when there is one. A summary that cannot
/// be written is a warning: the command itself did its work.
pub fn append_step_summary(context: &Context, markdown: impl FnOnce() -> String) {
    let Some(path) = &context.step_summary else {
        return;
    };
    if let Err(error) = append(path, &markdown()) {
        context.output.warn(&format_args!(
            "cannot append to the step summary {} ({STEP_SUMMARY_ENV}): {error}",
            path.display()
        ));
    }
}

fn append(path: &Path, markdown: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // Reports of several steps follow each other in one summary; each ends its own lines.
    write!(file, "{markdown}")?;
    if !markdown.ends_with('\n') {
        writeln!(file)?;
    }
    writeln!(file)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn diagnostic(
        file: &str,
        line: Option<usize>,
        column: Option<usize>,
        message: &str,
    ) -> Diagnostic {
        Diagnostic {
            file: PathBuf::from(file),
            line,
            column,
            message: message.to_owned(),
        }
    }

    #[test]
    fn annotations_name_the_file_line_and_column_and_escape_what_the_runner_decodes() {
        let cases = [
            (
                Level::Error,
                diagnostic(
                    "ecr.yaml",
                    Some(12),
                    Some(9),
                    "unknown key \"scan_onpush\"; did you mean \"scan_on_push\"?",
                ),
                "::error file=ecr.yaml,line=12,col=9::unknown key \"scan_onpush\"; did you mean \"scan_on_push\"?",
            ),
            (
                Level::Warning,
                diagnostic("specs/prod.yaml", Some(3), None, "100% sure"),
                "::warning file=specs/prod.yaml,line=3::100%25 sure",
            ),
            (
                Level::Error,
                diagnostic("ecr.yaml", None, None, "cannot read the file: No such file"),
                "::error file=ecr.yaml::cannot read the file: No such file",
            ),
            (
                Level::Error,
                diagnostic(
                    "odd: name, with commas %.yaml",
                    Some(1),
                    Some(1),
                    "first\r\nsecond\nthird",
                ),
                "::error file=odd%3A name%2C with commas %25.yaml,line=1,col=1::first%0D%0Asecond%0Athird",
            ),
        ];
        for (level, diagnostic, expected) in cases {
            assert_eq!(annotation(level, &diagnostic), expected);
        }
    }

    #[test]
    fn the_step_summary_gets_each_report_appended_after_the_others() {
        let dir = std::env::temp_dir().join(format!("ecrform-summary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("summary.md");
        std::fs::write(&path, "earlier step\n").unwrap();
        append(&path, "## ecrform plan\n\nNo changes.").unwrap();
        append(&path, "## ecrform drift\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "earlier step\n## ecrform plan\n\nNo changes.\n\n## ecrform drift\n\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
