//! `ecrform lifecycle preview`: what a lifecycle policy would expire or archive among the images
//! that `aws ecr describe-images` listed, offline, so a pull request can show it.
//!
//! Only glue: the files are read here (each up to its limit), and `ecrform-lifecycle` validates
//! the policy (the same checks and messages as `validate`), reads the image list, evaluates and
//! renders. A policy in YAML is parsed by `ecrform-spec`, as the spec's own policy documents
//! are, and handed over as JSON with its positions. Problems in either file are reported like
//! spec problems, as `FILE:LINE:COLUMN: message`.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow};
use ecrform_lifecycle::input::{self, TextProblem};
use ecrform_lifecycle::locate::TextPosition;
use ecrform_lifecycle::preview::{self, Preview};
use ecrform_lifecycle::{LifecyclePolicyRules, Timestamp};
use ecrform_model::limits::{self, InputLimit};
use ecrform_spec::{Diagnostic, Diagnostics, LocatedDocument};

use crate::cli::{Format, LifecycleCommand, LifecyclePreviewArgs};
use crate::commands::{CommandError, Outcome};
use crate::context::Context;

pub fn run(context: &Context, command: &LifecycleCommand) -> Result<Outcome, CommandError> {
    match command {
        LifecycleCommand::Preview(args) => run_preview(context, args),
    }
}

fn run_preview(context: &Context, args: &LifecyclePreviewArgs) -> Result<Outcome, CommandError> {
    let now = match &args.now {
        Some(text) => Timestamp::parse_rfc3339(text)
            .map_err(|error| anyhow!("--now {text:?} is not a timestamp: {error}"))?,
        None => current_time()?,
    };

    // Both files are read and checked before failing, so one run names every problem.
    let mut diagnostics = Vec::new();
    let policy = read_input(
        &args.policy,
        limits::POLICY_FILE,
        |text| parse_policy(&args.policy, text),
        &mut diagnostics,
    );
    let described = read_input(
        &args.images,
        limits::IMAGES_FILE,
        |text| {
            input::read_describe_images(text).map_err(|problems| located(&args.images, problems))
        },
        &mut diagnostics,
    );
    let (Some(policy), Some(described)) = (policy, described) else {
        return Err(input_error(context, diagnostics));
    };

    for warning in preview::warnings(&policy, &described) {
        context
            .output
            .warn(&format_args!("{}: {warning}", args.images.display()));
    }
    context.output.note(&format_args!(
        "evaluating {} rule(s) over {} image(s) at {now}",
        policy.rules.len(),
        described.images.len()
    ));
    print!(
        "{}",
        render(context.output.format, &policy, &described.images, now)?
    );
    Ok(Outcome::Done)
}

fn render(
    format: Format,
    policy: &LifecyclePolicyRules,
    images: &[ecrform_lifecycle::Image],
    now: Timestamp,
) -> anyhow::Result<String> {
    let preview = Preview::new(policy, images, now);
    Ok(match format {
        Format::Text => preview.render_text(),
        Format::Markdown => preview.render_markdown(),
        Format::Json | Format::Sarif => preview
            .render_json()
            .context("cannot print the preview as JSON")?,
    })
}

/// One problem is one line, `FILE:LINE:COLUMN: message`. Several are one line each, then a
/// count that names the input files (the shared spec diagnostics would call them "the spec").
fn input_error(context: &Context, diagnostics: Vec<Diagnostic>) -> CommandError {
    if diagnostics.len() == 1 {
        return Diagnostics(diagnostics).into();
    }
    for diagnostic in &diagnostics {
        crate::github::print_error(diagnostic, context.output.annotations);
    }
    anyhow!(
        "{} problems in the policy and image files",
        diagnostics.len()
    )
    .into()
}

/// Reads one input file up to `limit` and parses it; its problems become diagnostics.
fn read_input<T>(
    path: &Path,
    limit: InputLimit,
    parse: impl FnOnce(&str) -> Result<T, Vec<Diagnostic>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<T> {
    let text = match ecrform_spec::read_bounded(path, limit) {
        Ok(text) => text,
        Err(error) => {
            diagnostics.push(Diagnostic {
                file: path.to_path_buf(),
                line: None,
                column: None,
                message: error.to_string(),
            });
            return None;
        }
    };
    parse(&text)
        .map_err(|problems| diagnostics.extend(problems))
        .ok()
}

/// The policy, from JSON or YAML: a `.json` file is JSON, a `.yaml` or `.yml` file YAML, and
/// any other file (a pipe, a process substitution) JSON when it parses as JSON, YAML
/// otherwise. When it is neither, the problems are the JSON parser's if it looks like JSON
/// (it starts with `{` or `[`), the YAML parser's if not.
fn parse_policy(path: &Path, text: &str) -> Result<LifecyclePolicyRules, Vec<Diagnostic>> {
    let json = || input::read_policy(text).map_err(|problems| located(path, problems));
    let document = match path.extension().and_then(|extension| extension.to_str()) {
        Some("json") => return json(),
        Some("yaml" | "yml") => LocatedDocument::parse(path, text).map_err(|found| found.0)?,
        _ if serde_json::from_str::<serde_json::Value>(text).is_ok() => return json(),
        _ => match LocatedDocument::parse(path, text) {
            Ok(document) => document,
            Err(_)
                if text
                    .trim_start_matches('\u{feff}')
                    .trim_start()
                    .starts_with(['{', '[']) =>
            {
                return json();
            }
            Err(found) => return Err(found.0),
        },
    };
    input::read_policy_document(&document.value, &mut |node| {
        let ((line, column), exact) = document.locate(node);
        (TextPosition { line, column }, exact)
    })
    .map_err(|problems| located(path, problems))
}

/// Problems found in `path`'s text, as diagnostics in it.
fn located(path: &Path, problems: Vec<TextProblem>) -> Vec<Diagnostic> {
    problems
        .into_iter()
        .map(|problem| Diagnostic {
            file: path.to_path_buf(),
            line: problem.position.map(|position| position.line),
            column: problem.position.map(|position| position.column),
            message: problem.message,
        })
        .collect()
}

/// Now, as lifecycle rules count days from it.
pub(crate) fn current_time() -> anyhow::Result<Timestamp> {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is set before 1970")?;
    i64::try_from(since_epoch.as_secs())
        .ok()
        .and_then(|seconds| Timestamp::from_unix(seconds, since_epoch.subsec_nanos()))
        .context("the system clock is set after the year 9999")
}
