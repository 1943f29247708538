//! `ecrform snapshot --out FILE`: the live state of the selected registries, every repository
//! with every setting, in the snapshot format that `--state` reads.

use anyhow::Context;
use ecrform_model::Snapshot;

use crate::cli::{GlobalArgs, SnapshotArgs};
use crate::commands::{CommandError, Outcome, live, selected_targets};
use crate::output;

pub fn run(global: &GlobalArgs, args: &SnapshotArgs) -> Result<Outcome, CommandError> {
    let targets = selected_targets(global)?;
    let states = live::read_everything(&targets, global)?;
    let repositories: usize = states.iter().map(|s| s.repositories.len()).sum();
    std::fs::write(&args.out, Snapshot::new(states).to_json_pretty())
        .with_context(|| format!("cannot write the snapshot to {}", args.out.display()))?;
    if !global.quiet {
        eprintln!(
            "wrote {}: {} registr{}, {repositories} repositor{}",
            args.out.display(),
            targets.len(),
            if targets.len() == 1 { "y" } else { "ies" },
            if repositories == 1 { "y" } else { "ies" },
        );
    }
    output::note(global, &"snapshot done");
    Ok(Outcome::Done)
}
