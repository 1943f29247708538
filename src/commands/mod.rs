//! One module per command, plus what they share: loading the spec, restricting to the
//! `--registry` selection, and the outcome/error types that `main` maps to exit codes.

mod plan;
mod validate;

use std::collections::BTreeSet;

use anyhow::Context;
use ecrform_model::{DesiredState, RegistryId, RegistryState, Snapshot};
use ecrform_spec::{Diagnostics, LoadOptions, Spec};

use crate::cli::{Cli, Command, GlobalArgs};
use crate::output;

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Done,
    /// Exit 2: changes or drift, where the command reports that through its exit code.
    Changes,
}

/// Why a command failed (exit 1).
#[derive(Debug)]
pub enum CommandError {
    /// The spec is invalid: every diagnostic is printed as `FILE:LINE:COLUMN: message`.
    Spec(Diagnostics),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for CommandError {
    fn from(error: anyhow::Error) -> Self {
        CommandError::Other(error)
    }
}

impl From<Diagnostics> for CommandError {
    fn from(diagnostics: Diagnostics) -> Self {
        CommandError::Spec(diagnostics)
    }
}

pub fn run(cli: &Cli) -> Result<Outcome, CommandError> {
    match &cli.command {
        Command::Validate => validate::run(&cli.global),
        Command::Plan(args) => plan::run(&cli.global, args),
    }
}

/// Loads and validates the spec, printing its warnings, and applies `--registry`.
fn load_spec(global: &GlobalArgs) -> Result<Spec, CommandError> {
    let mut spec = ecrform_spec::load(&LoadOptions {
        path: &global.file,
        policies_dir: global.policies.as_deref(),
    })?;
    for warning in &spec.warnings {
        output::warn(global, warning);
    }
    output::note(
        global,
        &format_args!("read {} file(s) of spec", spec.files.len()),
    );
    let selection = registry_selection(global)?;
    if let Some(selection) = &selection {
        let known: BTreeSet<RegistryId> = spec
            .desired
            .registries
            .iter()
            .map(|r| r.state.id())
            .collect();
        if let Some(missing) = selection.iter().find(|id| !known.contains(id)) {
            return Err(anyhow::anyhow!(
                "--registry {missing} is not a registry of the spec {}",
                global.file.display()
            )
            .into());
        }
        spec.desired
            .registries
            .retain(|r| selection.contains(&r.state.id()));
    }
    Ok(spec)
}

/// The `--registry` values, parsed; `None` when the flag was not given.
fn registry_selection(global: &GlobalArgs) -> anyhow::Result<Option<BTreeSet<RegistryId>>> {
    if global.registries.is_empty() {
        return Ok(None);
    }
    global
        .registries
        .iter()
        .map(|raw| RegistryId::parse(raw).with_context(|| format!("--registry {raw}")))
        .collect::<anyhow::Result<_>>()
        .map(Some)
}

/// Live state for the desired registries, read from a `--state` snapshot file.
fn live_from_snapshot(
    global: &GlobalArgs,
    desired: &DesiredState,
) -> anyhow::Result<Vec<RegistryState>> {
    let Some(path) = &global.state else {
        anyhow::bail!(
            "reading live state from AWS is not available in this build yet; pass --state FILE \
             with a snapshot of the registries (see the README)"
        );
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read snapshot {}", path.display()))?;
    let snapshot = Snapshot::from_json(&text)
        .with_context(|| format!("snapshot {} is invalid", path.display()))?;
    desired
        .registries
        .iter()
        .map(|registry| {
            let id = registry.state.id();
            snapshot.registry(&id).cloned().with_context(|| {
                format!("snapshot {} has no state for registry {id}", path.display())
            })
        })
        .collect()
}
