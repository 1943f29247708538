//! The spec language (version 1): YAML files to a validated [`DesiredState`], reporting every
//! problem with `FILE:LINE:COLUMN` in one run.
//!
//! # Why not serde structs
//!
//! The design sketches "YAML -> raw serde structs -> validated desired state". serde's derive
//! stops at the first error and keeps no positions, and a spec must report *every* problem,
//! each at the node to fix. So a spec is read in three steps instead:
//!
//! 1. `yaml`: yaml-rust2's event parser builds a small node tree that keeps the position of
//!    every key and value and how each scalar was written (quoted or not). YAML syntax errors
//!    stop the file at the parser's position; duplicate keys, anchors, aliases and tags are
//!    reported and the rest of the file is still checked.
//! 2. `raw`: the tree is walked into plain structs that mirror the YAML. This layer reports
//!    unknown keys (with the nearest valid key), missing keys and wrong types.
//! 3. `validate` (with `settings`, `registry_wide` and `policies`, which share the checks of
//!    `validator`): values are checked against what ECR accepts and combined into the model,
//!    merging `defaults` and files.
//!    Checks that span registries run last, on the merged result (`replication_access`:
//!    a cross-account replication destination's registry policy must let the source in).
//!
//! # Decisions the spec format leaves open
//!
//! - Scalars follow the YAML 1.2 core schema (`yes` is a string). Where a string is expected,
//!   any scalar is taken as written (`cost-center: 1234` is the tag value "1234"), except
//!   `account`, which must be quoted so that a leading zero cannot be lost.
//! - `none` is plain `none` or a YAML null. It means "must be absent" for `lifecycle`, `policy`,
//!   `registry_policy`, `replication` and `signing_configuration`; the exact empty set for
//!   `tags` (dropping the defaults' tags), `pull_through_cache`, `creation_templates` and
//!   `pull_time_update_exclusions`; and is an error for
//!   `image_tag_mutability`, its exclusions, `scan_on_push`, `encryption`, `scanning` and
//!   `account_settings`, which always have a value in ECR.
//! - A repository's key replaces the default's, except `tags`, which merge key by key; a
//!   repository that sets `image_tag_mutability` takes its exclusions from itself only.
//! - A registry may be listed in several files (each team its own file); its registry-level
//!   keys may be set in one place only, and each repository defined once.
//! - A mapping with a `template` key is a template reference; any other mapping is an inline
//!   document. Policy names are file names without extension in `policies/<kind>/`, or
//!   `builtin/NAME` for the library built into the binary (`builtin`), which a spec's own
//!   `policies/` cannot shadow (a file name holds no `/`). A
//!   placeholder inside a double-quoted string takes the var's text; anywhere else its JSON.
//!   In a creation template, `lifecycle: none` is the same as leaving it out (templates are
//!   written whole).
//! - YAML anchors, aliases and tags (other than `!!str`) are rejected rather than expanded, so
//!   that every value has one place a diagnostic can name.
//! - Diagnostics are sorted by file (spec files in name order, then policy documents in the
//!   order first used) and position. Messages that name a second place use a path relative
//!   to the spec's directory, so their text does not depend on how `-f` was spelled.

pub mod builtin;
mod document;
mod export;
mod guardrails;
mod patterns;
mod policies;
mod raw;
mod registry_wide;
mod replication_access;
mod report;
mod schema;
mod settings;
mod sources;
mod suggest;
mod template;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
mod validate;
mod validator;
mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use ecrform_model::{DesiredState, RegistryId, RepositoryName};

pub use crate::builtin::{
    BUILTIN_PREFIX, BuiltinPolicy, TemplateVar, builtin_policies, builtin_policy,
    nearest_builtin_policy,
};
pub use crate::document::LocatedDocument;
pub use crate::export::{ExportOptions, Exported, export};
pub use crate::guardrails::Guardrails;
pub use crate::policies::PolicyKind;
use crate::policies::PolicyLibrary;
use crate::report::{Location, Report};
pub use crate::schema::{SCHEMA_DIALECT, json_schema};
use crate::sources::SourceText;
pub use crate::sources::{ReadError, read_bounded};
use crate::validator::Validator;

/// Where to read the spec from.
#[derive(Debug, Clone)]
pub struct LoadOptions<'a> {
    /// A spec file, or a directory whose `*.yaml` / `*.yml` files are merged.
    pub path: &'a Path,
    /// Where named policy documents live; default `policies/` next to the spec.
    pub policies_dir: Option<&'a Path>,
}

/// A loaded, valid spec.
#[derive(Debug, Clone)]
pub struct Spec {
    pub desired: DesiredState,
    /// Problems that do not stop planning (deprecated settings and the like).
    pub warnings: Vec<Diagnostic>,
    /// Every file that was read (spec files and policy documents), for hashing.
    pub files: Vec<PathBuf>,
    /// Where each repository's `encryption` was written (its own or the defaults'), for
    /// problems only KMS can tell at plan time: a diagnostic there without a message.
    pub encryption_places: BTreeMap<(RegistryId, RepositoryName), Diagnostic>,
    /// The spec's guardrails (`guardrails:`, or the recommended profile) and where their
    /// findings point.
    pub guardrails: Guardrails,
}

/// One problem, located in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based; `None` when the problem is with the file as a whole (unreadable, say).
    pub line: Option<usize>,
    /// 1-based.
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in a spec; never empty.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} problem(s) in the spec", .0.len())]
pub struct Diagnostics(pub Vec<Diagnostic>);

/// Reads, parses and validates a spec.
pub fn load(options: &LoadOptions<'_>) -> Result<Spec, Diagnostics> {
    let spec_root = sources::spec_root(options.path);
    let policies_root = options
        .policies_dir
        .map_or_else(|| spec_root.join("policies"), Path::to_path_buf);
    let mut report = Report::new(spec_root);
    let spec_files = sources::read_spec(options.path, &mut report);
    let (mut desired, (config, exceptions)) = checked_spec(&spec_files, policies_root, &mut report);
    if report.error_count() > 0 {
        return Err(Diagnostics(report.errors()));
    }
    desired.registries.sort_by(|a, b| {
        (&a.state.account, &a.state.region).cmp(&(&b.state.account, &b.state.region))
    });
    let encryption_places = report
        .encryption_places()
        .into_iter()
        .filter_map(|(registry, repository, place)| {
            let registry = RegistryId::parse(&registry).ok()?;
            let repository = RepositoryName::parse(&repository).ok()?;
            Some(((registry, repository), place))
        })
        .collect();
    let places = report
        .places()
        .into_iter()
        .filter_map(|(registry, repository, aspect, place)| {
            let registry = RegistryId::parse(&registry).ok()?;
            let repository = match repository {
                Some(name) => Some(RepositoryName::parse(&name).ok()?),
                None => None,
            };
            Some(((registry, repository, aspect), place))
        })
        .fold(BTreeMap::new(), |mut places, (key, place)| {
            places.entry(key).or_insert(place);
            places
        });
    let exception_places = exceptions
        .into_iter()
        .map(|(at, until)| {
            (
                report.diagnostic_at(at),
                until.map(|until| report.diagnostic_at(until)),
            )
        })
        .collect();
    let fallback = spec_files
        .first()
        .map(|source| report.diagnostic_at(Location::new(source.file, yaml::Pos::START)))
        .unwrap_or_else(|| Diagnostic {
            file: options.path.to_owned(),
            line: None,
            column: None,
            message: String::new(),
        });
    Ok(Spec {
        desired,
        warnings: report.warnings(),
        files: report.files_read(),
        encryption_places,
        guardrails: Guardrails {
            config,
            exception_places,
            places,
            fallback,
        },
    })
}

/// Where each exception of a spec's guardrails was written, and its `until`.
type ExceptionLocations = Vec<(Location, Option<Location>)>;

/// [`desired_state`] and the spec's guardrails configuration.
fn checked_spec(
    sources: &[SourceText],
    policies_root: PathBuf,
    report: &mut Report,
) -> (
    DesiredState,
    (ecrform_guardrails::Config, ExceptionLocations),
) {
    let raw_files = raw_files(sources, report);
    let mut library = PolicyLibrary::new(policies_root);
    let mut validator = Validator {
        report,
        library: &mut library,
    };
    let desired = validator.desired_state(&raw_files);
    let guardrails = validator.guardrails(&raw_files);
    (desired, guardrails)
}

/// What every spec goes through, from text to desired state: each file parsed (its syntax
/// problems reported), walked into raw structs, then all of them validated and combined.
/// [`load`] gives it the files on disk, export the one-registry specs it writes in memory to
/// check them. Problems go to `report`; the desired state is complete only when it has none.
pub(crate) fn desired_state(
    sources: &[SourceText],
    policies_root: PathBuf,
    report: &mut Report,
) -> DesiredState {
    let raw_files = raw_files(sources, report);
    let mut library = PolicyLibrary::new(policies_root);
    Validator {
        report,
        library: &mut library,
    }
    .desired_state(&raw_files)
}

/// Each file parsed (its syntax problems reported) and walked into raw structs.
fn raw_files(sources: &[SourceText], report: &mut Report) -> Vec<raw::RawFile> {
    let mut raw_files = Vec::new();
    for source in sources {
        match yaml::parse(&source.text) {
            Ok(parsed) => {
                for (at, message) in parsed.problems {
                    report.error(Location::new(source.file, at), message);
                }
                raw_files.push(raw::read_file(source.file, parsed.root.as_ref(), report));
            }
            Err(error) => report.error(Location::new(source.file, error.at), error.message),
        }
    }
    raw_files
}
