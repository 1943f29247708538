//! `ecrform plan`: diff the spec against live state and print the plan; `--out` saves it for
//! `apply FILE`. Lifecycle policy changes are previewed against the images their
//! repositories hold (see `ecrform_plan::preview`) unless `--no-image-preview`.

use anyhow::Context as _;
use ecrform_aws::RegistryTarget;
use ecrform_plan::{SavedPlan, SavedRegistry, SavedSpec, spec_fingerprint};
use ecrform_render::ReportKind;

use crate::cli::PlanArgs;
use crate::commands::{CommandError, Outcome, live, live_state, load_spec};
use crate::context::Context;
use crate::output;

pub fn run(context: &Context, args: &PlanArgs) -> Result<Outcome, CommandError> {
    let spec = load_spec(context)?;
    let plan = if context.state.is_some() {
        // A snapshot holds no images: a plan against it cannot preview them, but it may say
        // how many a repository holds.
        let live = live_state(context, &spec)?;
        let mut plan = ecrform_plan::plan(&spec.desired, &live);
        ecrform_plan::preview::annotate_held(&mut plan, &held_in_snapshot(&live));
        plan
    } else {
        let preview = !args.no_image_preview;
        let (_, plan) = live::runtime()?.block_on(live::plan_live(&spec, context, preview))?;
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
        let ids: Vec<_> = spec
            .desired
            .registries
            .iter()
            .map(|r| r.state.id())
            .collect();
        let spec = SavedSpec {
            path: context.spec.path().display().to_string(),
            fingerprint: spec_fingerprint(&spec.desired, &ids),
        };
        let saved = SavedPlan::new(&plan, registries, spec, crate::VERSION);
        std::fs::write(out, saved.to_json())
            .with_context(|| format!("cannot write the plan to {}", out.display()))?;
        context
            .output
            .note(&format_args!("saved the plan to {}", out.display()));
    }
    print!(
        "{}",
        output::render_plan(&context.output, &plan, ReportKind::Plan)
    );
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Outcome::Changes
    } else {
        Outcome::Done
    })
}

/// The image counts a snapshot records for its repositories (sizes it does not know).
fn held_in_snapshot(
    live: &[ecrform_model::RegistryState],
) -> ecrform_plan::preview::HeldByRepository {
    live.iter()
        .flat_map(|registry| {
            registry
                .repositories
                .iter()
                .filter_map(|(name, repository)| {
                    let count = repository.image_count?;
                    Some((
                        (registry.id(), name.clone()),
                        ecrform_plan::HeldImages { count, bytes: None },
                    ))
                })
        })
        .collect()
}
