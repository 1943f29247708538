//! `ecrform drift`: read-only. Compares live state with the spec and reports, in its own
//! words, what changed, what is missing and what is unmanaged (see
//! `ecrform_plan::drift`); what the spec's `ignore_unmanaged` and `drift_ignore` rules set
//! aside is counted as ignored. Exit 2 when there is drift, 0 when in sync.

use crate::cli::Format;
use crate::commands::{CommandError, Outcome, lifecycle, live_state, load_spec, plan};
use crate::context::Context;

pub fn run(context: &Context) -> Result<Outcome, CommandError> {
    let spec = load_spec(context)?;
    let live = live_state(context, &spec)?;
    let checked_at = lifecycle::current_time()?.to_rfc3339_seconds();
    let diff = ecrform_plan::plan(&spec.desired, &live);
    let report = ecrform_plan::drift::DriftReport::new(diff, &spec.desired, &live, checked_at);
    let markdown = || {
        ecrform_render::render_drift_markdown(&report, Some(&plan::derived_comment_key(context)))
    };
    let rendered = match context.output.format {
        Format::Text => ecrform_render::render_drift_text(&report, context.output.color),
        Format::Markdown => markdown(),
        Format::Json | Format::Sarif => ecrform_render::render_drift_json(&report),
    };
    print!("{rendered}");
    crate::github::append_step_summary(context, markdown);
    Ok(if report.in_sync {
        Outcome::Done
    } else {
        Outcome::Changes
    })
}
