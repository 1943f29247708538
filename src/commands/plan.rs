//! `ecrform plan`: diff the spec against live state and print the plan; `--out` saves it for
//! `apply FILE`.

use anyhow::Context;
use ecrform_aws::RegistryTarget;
use ecrform_plan::{SavedPlan, SavedRegistry};
use ecrform_render::ReportKind;

use crate::cli::{GlobalArgs, PlanArgs};
use crate::commands::{CommandError, Outcome, live, live_state, load_spec, spec_hash};
use crate::output;

pub fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<Outcome, CommandError> {
    let spec = load_spec(global)?;
    let live = live_state(global, &spec.desired)?;
    let plan = ecrform_plan::plan(&spec.desired, &live);
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
