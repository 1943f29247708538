//! One module per command, plus what they share: loading the spec, restricting to the
//! `--registry` selection, and the outcome/error types that `main` maps to exit codes.

mod access;
mod apply;
mod audit;
mod docs;
mod drift;
mod export;
mod guardrails;
mod lifecycle;
mod live;
mod plan;
mod policies;
mod registries;
mod snapshot;
mod validate;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use ecrform_aws::RegistryTarget;
use ecrform_model::{DesiredState, RegistryId, RegistryState, Snapshot, limits};
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
    crate::logging::init(&context.logging);
    let format = context.output.format;
    if format == crate::cli::Format::Sarif
        && !matches!(cli.command, Command::Validate | Command::Audit)
    {
        return Err(anyhow::anyhow!(
            "--format sarif applies to validate and audit; use text, markdown or json here"
        )
        .into());
    }
    if matches!(cli.command, Command::Validate)
        && matches!(
            format,
            crate::cli::Format::Markdown | crate::cli::Format::Json
        )
    {
        return Err(anyhow::anyhow!("validate prints text or, with --format sarif, SARIF").into());
    }
    match &cli.command {
        Command::Audit => audit::run(&context),
        Command::Validate => validate::run(&context),
        Command::Plan(args) => plan::run(&context, args),
        Command::Apply(args) => apply::run(&context, args),
        Command::Drift => drift::run(&context),
        Command::Export(args) => export::run(&context, args),
        Command::Snapshot(args) => snapshot::run(&context, args),
        Command::Lifecycle(command) => lifecycle::run(&context, command),
        Command::Registries => registries::run(&context),
        Command::Schema => docs::schema(),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(&context, args),
        Command::Access(args) => access::run(&context, args),
        Command::Policies(command) => policies::run(&context, command),
    }
}

/// Loads and validates the spec, printing its warnings, and applies `--registry`.
fn load_spec(context: &Context) -> Result<Spec, CommandError> {
    let mut spec = ecrform_spec::load(&context.spec.load_options())?;
    for warning in &spec.warnings {
        context.output.warn_diagnostic(warning);
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
/// With them, the spec when it was at hand.
fn selected_targets(
    context: &Context,
) -> Result<(Vec<RegistryTarget>, Option<Spec>), CommandError> {
    let selection = context.registries.clone();
    let spec = if context.spec.exists() || selection.is_none() {
        Some(ecrform_spec::load(&context.spec.load_options())?)
    } else {
        None
    };
    let from_spec: Vec<RegistryTarget> = spec
        .as_ref()
        .map(|spec| live::targets_for(&spec.desired))
        .unwrap_or_default();
    let targets = match selection {
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
    };
    Ok((targets, spec))
}

/// Live state for the desired registries: from the `--state` snapshot file when given,
/// otherwise read from ECR (only what the spec manages).
fn live_state(context: &Context, spec: &Spec) -> Result<Vec<RegistryState>, CommandError> {
    let desired = &spec.desired;
    let live = match &context.state {
        Some(path) => live_from_snapshot(path, desired)?,
        None => {
            let runtime = live::runtime()?;
            runtime.block_on(async {
                let stopwatch = live::Stopwatch::start(context);
                let registries = live::connect(&live::targets_for(desired), context).await?;
                let live = live::read(&registries, &live::scopes_for(desired), context).await?;
                stopwatch.report(context, &live::read_work(registries.len()));
                anyhow::Ok(live)
            })?
        }
    };
    check_keys(context, spec, &live)?;
    let mut live = live;
    context.recovery_record()?.attach(&mut live);
    Ok(live)
}

/// What KMS said about the keys the spec names, before anything is planned from them: an
/// alias or key id KMS does not have is a spec error at the `encryption` that names it; a key
/// that could not be described (no permission, or a snapshot without it) is a warning, and
/// encryption is then compared by the key's name.
fn check_keys(context: &Context, spec: &Spec, live: &[RegistryState]) -> Result<(), CommandError> {
    let mut missing = Vec::new();
    for registry in live {
        for warning in &registry.read_warnings {
            context.output.warn(warning);
        }
        let Some(desired) = spec
            .desired
            .registries
            .iter()
            .find(|desired| desired.state.id() == registry.id())
        else {
            continue;
        };
        let mut unresolved = BTreeSet::new();
        for (name, repository) in &desired.state.repositories {
            let Some(encryption) = &repository.encryption else {
                continue;
            };
            let Some(reference) = encryption.key_to_resolve() else {
                continue;
            };
            match registry.kms_keys.get(&reference) {
                // The managed key is ECR's to create; only a key the spec names must exist.
                Some(None) if encryption.kms_key.is_some() => {
                    let place = spec
                        .encryption_places
                        .get(&(registry.id(), name.clone()))
                        .cloned();
                    let message = format!(
                        "kms_key {reference} does not exist in registry {} (KMS DescribeKey \
                         found no such key or alias)",
                        registry.id()
                    );
                    missing.push(match place {
                        Some(place) => ecrform_spec::Diagnostic { message, ..place },
                        None => ecrform_spec::Diagnostic {
                            file: context.spec.path().to_owned(),
                            line: None,
                            column: None,
                            message,
                        },
                    });
                }
                None if context.state.is_some() => {
                    unresolved.insert(reference);
                }
                _ => {}
            }
        }
        for reference in unresolved {
            context.output.warn(&format_args!(
                "the snapshot has no kms_aliases entry for {reference} in registry {}; its \
                 encryption is compared by the key's name only",
                registry.id()
            ));
        }
    }
    missing.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    missing.dedup();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Spec(Diagnostics(missing)))
    }
}

/// A problem in an input file as a diagnostic, `FILE[:LINE:COLUMN]: message`, like the spec's.
fn file_problem(
    path: &Path,
    position: Option<(usize, usize)>,
    message: impl Into<String>,
) -> CommandError {
    CommandError::Spec(Diagnostics(vec![ecrform_spec::Diagnostic {
        file: path.to_owned(),
        line: position.map(|(line, _)| line),
        column: position.map(|(_, column)| column),
        message: message.into(),
    }]))
}

/// The text of an input file, read up to its limit; a problem names the file.
fn read_input_file(path: &Path, limit: limits::InputLimit) -> Result<String, CommandError> {
    ecrform_spec::read_bounded(path, limit)
        .map_err(|error| file_problem(path, None, error.to_string()))
}

/// A reader that fails once more than its limit has been read.
struct AtMost<R> {
    inner: R,
    left: u64,
    limit: limits::InputLimit,
}

impl<R> AtMost<R> {
    fn new(inner: R, limit: limits::InputLimit) -> Self {
        AtMost {
            inner,
            left: limit.bytes,
            limit,
        }
    }
}

impl<R: std::io::Read> std::io::Read for AtMost<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        match self.left.checked_sub(read as u64) {
            Some(left) => {
                self.left = left;
                Ok(read)
            }
            None => Err(std::io::Error::other(
                ecrform_spec::ReadError::TooLarge(self.limit).to_string(),
            )),
        }
    }
}

/// A snapshot file, read up to its limit, a problem located: a large regular file is parsed as
/// it is read, never held whole.
pub(crate) fn read_snapshot(path: &Path) -> Result<Snapshot, CommandError> {
    let located = |error: ecrform_model::snapshot::SnapshotError| {
        file_problem(path, Some((error.line, error.column)), error.message)
    };
    // A large regular file is parsed as it is read, never held whole (a snapshot of 100,000
    // repositories is 100 MB of JSON); anything else (a pipe, or a file small enough that
    // holding it costs nothing) is read up to the limit first, which also locates a problem
    // a column more exactly than serde_json's reader does.
    const STREAMED_FROM: u64 = 16 * 1024 * 1024;
    let streamed = std::fs::metadata(path)
        .ok()
        .filter(|metadata| metadata.is_file() && metadata.len() > STREAMED_FROM);
    match streamed {
        Some(metadata) if metadata.len() > limits::SNAPSHOT_FILE.bytes => Err(file_problem(
            path,
            None,
            ecrform_spec::ReadError::TooLarge(limits::SNAPSHOT_FILE).to_string(),
        )),
        Some(_) => Snapshot::from_json_reader(|| {
            // A file that grows after it was measured is still read no further than the limit.
            std::fs::File::open(path).map(|file| AtMost::new(file, limits::SNAPSHOT_FILE))
        })
        .map_err(located),
        None => {
            let text = read_input_file(path, limits::SNAPSHOT_FILE)?;
            Snapshot::from_json(&text).map_err(located)
        }
    }
}

fn live_from_snapshot(
    path: &Path,
    desired: &DesiredState,
) -> Result<Vec<RegistryState>, CommandError> {
    let snapshot = read_snapshot(path)?;
    // Each registry's state is moved out, not copied: the snapshot is held once.
    let mut by_id: HashMap<RegistryId, RegistryState> = snapshot
        .registries
        .into_iter()
        .map(|registry| (registry.id(), registry))
        .collect();
    desired
        .registries
        .iter()
        .map(|registry| {
            let id = registry.state.id();
            by_id.remove(&id).ok_or_else(|| {
                anyhow::anyhow!("snapshot {} has no state for registry {id}", path.display()).into()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::AtMost;
    use ecrform_model::limits::InputLimit;

    #[test]
    fn a_reader_at_most_its_limit_fails_past_it() {
        let limit = InputLimit {
            what: "a snapshot",
            bytes: 5,
        };
        let mut within = String::new();
        AtMost::new(&b"12345"[..], limit)
            .read_to_string(&mut within)
            .unwrap();
        assert_eq!(within, "12345");
        let error = AtMost::new(&b"123456"[..], limit)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(error.to_string(), limit.refusal());
    }
}
