//! `ecrform validate`: parse and check the spec with no AWS call.

use crate::commands::{CommandError, Outcome, load_spec};
use crate::context::Context;

pub fn run(context: &Context) -> Result<Outcome, CommandError> {
    let spec = load_spec(context)?;
    let registries = spec.desired.registries.len();
    let repositories: usize = spec
        .desired
        .registries
        .iter()
        .map(|r| r.state.repositories.len())
        .sum();
    if !context.output.is_quiet() {
        println!(
            "{} is valid: {registries} registr{}, {repositories} repositor{}.",
            context.spec.path().display(),
            if registries == 1 { "y" } else { "ies" },
            if repositories == 1 { "y" } else { "ies" },
        );
    }
    Ok(Outcome::Done)
}
