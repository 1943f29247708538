//! `ecrform drift`: read-only. Every managed difference (the addresses `plan` would change)
//! and every unmanaged object is drift; exit 2 when there is any, 0 when in sync.

use ecrform_render::ReportKind;

use crate::commands::{CommandError, Outcome, live_state, load_spec};
use crate::context::Context;
use crate::output;

pub fn run(context: &Context) -> Result<Outcome, CommandError> {
    let spec = load_spec(context)?;
    let live = live_state(context, &spec)?;
    let plan = ecrform_plan::plan(&spec.desired, &live);
    print!(
        "{}",
        output::render_plan(&context.output, &plan, ReportKind::Drift, None)
    );
    Ok(if plan.is_empty() && plan.unmanaged.is_empty() {
        Outcome::Done
    } else {
        Outcome::Changes
    })
}
