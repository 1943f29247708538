//! The command-line flags turned, once, into what commands work with (after ripgrep's
//! low-level and high-level arguments): where the spec is, which registries to work on, how to
//! print, how to reach AWS. Every flag is parsed and checked here, so a command receives
//! validated values and never looks at clap's structs or parses `--registry` again.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ecrform_aws::ConnectOptions;
use ecrform_model::RegistryId;

use crate::cli::{Format, GlobalArgs};

/// The spec `-f` defaults to.
pub const DEFAULT_SPEC: &str = "ecr.yaml";

/// Everything a command needs to know about how it was asked to run.
#[derive(Debug, Clone)]
pub struct Context {
    pub spec: SpecSource,
    /// `--registry`: the registries to work on; `None` for every registry of the spec.
    pub registries: Option<BTreeSet<RegistryId>>,
    /// `--state`: a live-state snapshot to use instead of AWS.
    pub state: Option<PathBuf>,
    pub output: Output,
    pub connection: ConnectOptions,
    /// `--recovery-file`; `None` for [`crate::recovery::RECOVERY_FILE_NAME`] next to the spec.
    pub recovery_file: Option<PathBuf>,
}

/// Where the spec and its named policy documents are.
#[derive(Debug, Clone)]
pub struct SpecSource {
    /// A spec file, or a directory whose `*.yaml` files are merged.
    pub path: PathBuf,
    /// Whether `-f` named it (rather than the default `ecr.yaml`).
    pub explicit: bool,
    /// `--policies`; `None` for `policies/` next to the spec.
    pub policies_dir: Option<PathBuf>,
}

impl SpecSource {
    pub fn load_options(&self) -> ecrform_spec::LoadOptions<'_> {
        ecrform_spec::LoadOptions {
            path: &self.path,
            policies_dir: self.policies_dir.as_deref(),
        }
    }

    /// Whether the spec is where `-f` says (saved plans and export read it only then).
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    /// Colour codes in text output: only on a terminal, never with `--no-color` or `NO_COLOR`.
    pub color: bool,
    pub verbosity: Verbosity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: results and errors only.
    Quiet,
    Normal,
    /// `-v`: progress notes too.
    Verbose,
}

impl Output {
    /// Warnings go to stderr unless `--quiet`.
    pub fn warn(&self, message: &dyn std::fmt::Display) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("warning: {message}");
        }
    }

    /// Progress notes go to stderr with `--verbose`.
    pub fn note(&self, message: &dyn std::fmt::Display) {
        if self.verbosity == Verbosity::Verbose {
            eprintln!("{message}");
        }
    }

    /// What a command says about itself on stderr ("wrote ..."), unless `--quiet`.
    pub fn status(&self, message: &dyn std::fmt::Display) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("{message}");
        }
    }

    pub fn is_quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }
}

impl Context {
    /// Checks and converts the flags every command takes.
    pub fn from_args(global: &GlobalArgs) -> anyhow::Result<Context> {
        let registries = if global.registries.is_empty() {
            None
        } else {
            Some(
                global
                    .registries
                    .iter()
                    .map(|raw| RegistryId::parse(raw).with_context(|| format!("--registry {raw}")))
                    .collect::<anyhow::Result<BTreeSet<_>>>()?,
            )
        };
        let verbosity = if global.quiet {
            Verbosity::Quiet
        } else if global.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        let color = !global.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal();
        Ok(Context {
            spec: SpecSource {
                path: global
                    .file
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_SPEC)),
                explicit: global.file.is_some(),
                policies_dir: global.policies.clone(),
            },
            registries,
            state: global.state.clone(),
            output: Output {
                format: global.format,
                color,
                verbosity,
            },
            connection: ConnectOptions {
                endpoint_url: global.endpoint_url.clone(),
                parallelism: usize::from(global.parallelism),
                ..ConnectOptions::default()
            },
            recovery_file: global.recovery_file.clone(),
        })
    }

    /// Where the recovery record is: `--recovery-file`, or next to the spec (inside a spec
    /// directory).
    pub fn recovery_path(&self) -> PathBuf {
        if let Some(path) = &self.recovery_file {
            return path.clone();
        }
        let spec = self.spec.path();
        let directory = if spec.is_dir() {
            spec
        } else {
            spec.parent().unwrap_or(Path::new(""))
        };
        directory.join(crate::recovery::RECOVERY_FILE_NAME)
    }

    /// The recovery record, loaded.
    pub fn recovery_record(&self) -> anyhow::Result<crate::recovery::RecoveryRecord> {
        crate::recovery::RecoveryRecord::load(&self.recovery_path())
    }
}
