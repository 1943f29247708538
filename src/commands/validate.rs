//! `ecrform validate`: parse and check the spec with no AWS call.

use crate::cli::GlobalArgs;
use crate::commands::{CommandError, Outcome, load_spec};

pub fn run(global: &GlobalArgs) -> Result<Outcome, CommandError> {
    let spec = load_spec(global)?;
    let registries = spec.desired.registries.len();
    let repositories: usize = spec
        .desired
        .registries
        .iter()
        .map(|r| r.state.repositories.len())
        .sum();
    if !global.quiet {
        println!(
            "{} is valid: {registries} registr{}, {repositories} repositor{}.",
            global.file.display(),
            if registries == 1 { "y" } else { "ies" },
            if repositories == 1 { "y" } else { "ies" },
        );
    }
    Ok(Outcome::Done)
}
