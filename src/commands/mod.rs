//! One module per command, plus what they share: loading the spec, restricting to the
//! `--registry` selection, and the outcome/error types that `main` maps to exit codes.

mod apply;
mod drift;
mod export;
mod lifecycle;
mod live;
mod plan;
mod snapshot;
mod validate;

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context as _;
use ecrform_aws::RegistryTarget;
use ecrform_model::{DesiredState, RegistryId, RegistryState, Snapshot};
use ecrform_spec::{Diagnostics, Spec};

use crate::cli::{Cli, Command};
use crate::context::Context;

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
    /// Apply's gates refused the plan: one line per gate, nothing was written.
    Refused(Vec<String>),
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
    let context = Context::from_args(&cli.global)?;
    match &cli.command {
        Command::Validate => validate::run(&context),
        Command::Plan(args) => plan::run(&context, args),
        Command::Apply(args) => apply::run(&context, args),
        Command::Drift => drift::run(&context),
        Command::Export(args) => export::run(&context, args),
        Command::Snapshot(args) => snapshot::run(&context, args),
        Command::Lifecycle(command) => lifecycle::run(&context, command),
    }
}

/// Loads and validates the spec, printing its warnings, and applies `--registry`.
fn load_spec(context: &Context) -> Result<Spec, CommandError> {
    let mut spec = ecrform_spec::load(&context.spec.load_options())?;
    for warning in &spec.warnings {
        context.output.warn(warning);
    }
    context
        .output
        .note(&format_args!("read {} file(s) of spec", spec.files.len()));
    if let Some(selection) = &context.registries {
        let known: BTreeSet<RegistryId> = spec
            .desired
            .registries
            .iter()
            .map(|r| r.state.id())
            .collect();
        if let Some(missing) = selection.iter().find(|id| !known.contains(id)) {
            return Err(anyhow::anyhow!(
                "--registry {missing} is not a registry of the spec {}",
                context.spec.path().display()
            )
            .into());
        }
        spec.desired
            .registries
            .retain(|r| selection.contains(&r.state.id()));
    }
    Ok(spec)
}

/// The registries that `export` and `snapshot` read: `--registry` (reached with the spec's
/// role and profile when the spec names them), or every registry of the spec.
fn selected_targets(context: &Context) -> Result<Vec<RegistryTarget>, CommandError> {
    let selection = context.registries.clone();
    let spec = if context.spec.exists() || selection.is_none() {
        Some(ecrform_spec::load(&context.spec.load_options())?)
    } else {
        None
    };
    let from_spec: Vec<RegistryTarget> = spec
        .map(|spec| live::targets_for(&spec.desired))
        .unwrap_or_default();
    Ok(match selection {
        None => from_spec,
        Some(selection) => selection
            .into_iter()
            .map(|id| {
                from_spec
                    .iter()
                    .find(|t| t.id == id)
                    .cloned()
                    .unwrap_or(RegistryTarget {
                        id,
                        role_arn: None,
                        profile: None,
                    })
            })
            .collect(),
    })
}

/// Live state for the desired registries: from the `--state` snapshot file when given,
/// otherwise read from ECR (only what the spec manages).
fn live_state(context: &Context, desired: &DesiredState) -> anyhow::Result<Vec<RegistryState>> {
    match &context.state {
        Some(path) => live_from_snapshot(path, desired),
        None => {
            let runtime = live::runtime()?;
            runtime.block_on(async {
                let registries = live::connect(&live::targets_for(desired), context).await?;
                live::read(&registries, &live::scopes_for(desired)).await
            })
        }
    }
}

fn live_from_snapshot(path: &Path, desired: &DesiredState) -> anyhow::Result<Vec<RegistryState>> {
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
