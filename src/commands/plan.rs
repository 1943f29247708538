//! `ecrform plan`: diff the spec against live state and print the plan; `--out` saves it for
//! `apply FILE`. Lifecycle policy changes are previewed against the images their
//! repositories hold (see `ecrform_plan::preview`) unless `--no-image-preview`.

use anyhow::Context;
use ecrform_aws::RegistryTarget;
use ecrform_plan::{SavedPlan, SavedRegistry};
use ecrform_render::ReportKind;

use crate::cli::{GlobalArgs, PlanArgs};
use crate::commands::{CommandError, Outcome, live, live_state, load_spec, spec_hash};
use crate::output;

pub fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<Outcome, CommandError> {
    let spec = load_spec(global)?;
    let plan = if global.state.is_some() {
        // A snapshot holds no images: a plan against it cannot preview them.
        let live = live_state(global, &spec.desired)?;
        ecrform_plan::plan(&spec.desired, &live)
    } else {
        let preview = !args.no_image_preview;
        let (_, plan) =
            live::runtime()?.block_on(live::plan_live(&spec.desired, global, preview))?;
        plan
    };
    if let Some(out) = &args.out {
        let scopes = live::scopes_for(&spec.desired);
        let registries = live::targets_for(&spec.desired)
            .into_iter()
            .map(
                |RegistryTarget {
                     id,
                     role_arn,
                     profile,
                 }| SavedRegistry {
                    scope: scopes.get(&id).cloned().unwrap_or_default(),
                    registry: id,
                    role_arn,
                    profile,
                },
            )
            .collect();
        let saved = SavedPlan::new(&plan, registries, spec_hash(&spec)?);
        std::fs::write(out, saved.to_json())
            .with_context(|| format!("cannot write the plan to {}", out.display()))?;
        output::note(global, &format_args!("saved the plan to {}", out.display()));
    }
    print!("{}", output::render_plan(global, &plan, ReportKind::Plan));
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Outcome::Changes
    } else {
        Outcome::Done
    })
}
