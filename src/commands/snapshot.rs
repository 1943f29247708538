//! `ecrform snapshot --out FILE`: the live state of the selected registries, every repository
//! with every setting, in the snapshot format that `--state` reads.

use anyhow::Context as _;
use ecrform_model::Snapshot;

use crate::cli::SnapshotArgs;
use crate::commands::{CommandError, Outcome, live, selected_targets};
use crate::context::Context;

pub fn run(context: &Context, args: &SnapshotArgs) -> Result<Outcome, CommandError> {
    let (targets, spec) = selected_targets(context)?;
    // The keys the spec names are resolved into the snapshot's kms_aliases.
    let kms_keys = spec
        .iter()
        .flat_map(|spec| &spec.desired.registries)
        .map(|registry| {
            (
                registry.state.id(),
                ecrform_plan::desired_kms_keys(&registry.state),
            )
        })
        .collect();
    let states = live::read_everything(&targets, context, &kms_keys)?;
    let repositories: usize = states.iter().map(|s| s.repositories.len()).sum();
    std::fs::write(&args.out, Snapshot::new(states).to_json_pretty())
        .with_context(|| format!("cannot write the snapshot to {}", args.out.display()))?;
    context.output.status(&format_args!(
        "wrote {}: {} registr{}, {repositories} repositor{}",
        args.out.display(),
        targets.len(),
        if targets.len() == 1 { "y" } else { "ies" },
        if repositories == 1 { "y" } else { "ies" },
    ));
    context.output.note(&"snapshot done");
    Ok(Outcome::Done)
}
