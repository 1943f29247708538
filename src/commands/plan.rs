//! `ecrform plan`: diff the spec against live state and print the plan.

use ecrform_render::TextOptions;

use crate::cli::{Format, GlobalArgs, PlanArgs};
use crate::commands::{CommandError, Outcome, live_from_snapshot, load_spec};
use crate::output;

pub fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<Outcome, CommandError> {
    let spec = load_spec(global)?;
    let live = live_from_snapshot(global, &spec.desired)?;
    let plan = ecrform_plan::plan(&spec.desired, &live);
    let rendered = match global.format {
        Format::Text => ecrform_render::render_text(
            &plan,
            &TextOptions {
                color: output::use_color(global),
            },
        ),
        Format::Markdown => ecrform_render::render_markdown(&plan),
        Format::Json => ecrform_render::render_json(&plan),
    };
    print!("{rendered}");
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Outcome::Changes
    } else {
        Outcome::Done
    })
}
