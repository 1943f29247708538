//! The registry port: what the planner and the apply executor need from a registry, and
//! nothing about how it is reached. The AWS adapter implements it for ECR; the test kit
//! implements it in memory (recording calls, injecting faults).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};

use ecrform_lifecycle::Image;
use ecrform_model::{
    ACCOUNT_SETTING_NAMES, DesiredRegistry, RegistryId, RegistryState, RepositoryName,
};

use crate::ApiCall;

/// What to read of one repository: only what the spec manages is ever read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aspects {
    pub tags: bool,
    pub lifecycle_policy: bool,
    pub repository_policy: bool,
}

impl Aspects {
    pub const ALL: Aspects = Aspects {
        tags: true,
        lifecycle_policy: true,
        repository_policy: true,
    };
}

/// Which registry-wide settings a read covers: only those the spec manages are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryAspects {
    pub replication: bool,
    pub registry_policy: bool,
    pub scanning: bool,
    pub pull_through_cache: bool,
    pub creation_templates: bool,
    /// Account settings by name (GetAccountSetting takes one name at a time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_settings: Vec<String>,
}

impl RegistryAspects {
    pub fn everything() -> Self {
        RegistryAspects {
            replication: true,
            registry_policy: true,
            scanning: true,
            pull_through_cache: true,
            creation_templates: true,
            account_settings: ACCOUNT_SETTING_NAMES
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
        }
    }
}

/// Which parts of a registry a read covers. Every repository's settings that come with
/// DescribeRepositories (mutability, scanning, encryption) are always read; the per-repository
/// calls (tags, policies) only where listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadScope {
    /// Repositories of the spec and the aspects the spec manages.
    pub repositories: BTreeMap<RepositoryName, Aspects>,
    /// What to read of every repository outside `repositories`: their tags when the
    /// registry prunes (to see which ecrform owns), everything for export and snapshots.
    pub other_repositories: Aspects,
    /// The registry-wide settings to read.
    #[serde(default)]
    pub registry: RegistryAspects,
}

impl ReadScope {
    /// Everything about every repository (export, snapshot).
    pub fn everything() -> Self {
        ReadScope {
            repositories: BTreeMap::new(),
            other_repositories: Aspects::ALL,
            registry: RegistryAspects::everything(),
        }
    }

    /// What planning `desired` needs to know about its registry.
    pub fn for_desired(desired: &DesiredRegistry) -> Self {
        let repositories = desired
            .state
            .repositories
            .iter()
            .map(|(name, repository)| {
                // A repository whose encryption the spec manages may be replaced, and its
                // replacement keeps what the spec does not manage: read all of it.
                let aspects = if repository.encryption.is_some() {
                    Aspects::ALL
                } else {
                    Aspects {
                        tags: repository.tags.is_some(),
                        lifecycle_policy: repository.lifecycle_policy.is_managed(),
                        repository_policy: repository.repository_policy.is_managed(),
                    }
                };
                (name.clone(), aspects)
            })
            .collect();
        let other_repositories = Aspects {
            tags: desired.prune,
            ..Aspects::default()
        };
        let state = &desired.state;
        let registry = RegistryAspects {
            replication: state.replication.is_managed(),
            registry_policy: state.registry_policy.is_managed(),
            scanning: state.scanning.is_managed(),
            pull_through_cache: state.pull_through_cache.is_some(),
            creation_templates: state.creation_templates.is_some(),
            account_settings: state
                .account_settings
                .iter()
                .flat_map(|settings| settings.keys().cloned())
                .collect(),
        };
        ReadScope {
            repositories,
            other_repositories,
            registry,
        }
    }
}

/// How a registry call failed, as far as deciding what to do next needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// The endpoint could not be reached (connection refused, DNS, timeout).
    Unreachable,
    /// No credentials, or credentials the service does not accept.
    Credentials,
    AccessDenied,
    /// Rate exceeded even after the client's own retries.
    Throttled,
    /// The endpoint does not implement the operation.
    Unsupported,
    /// The request was refused as invalid (a policy the service rejects, say).
    Invalid,
    /// The object is not there (a repository deleted since it was read).
    NotFound,
    /// ECR refused to delete a repository that still holds images.
    RepositoryNotEmpty,
    Other,
}

/// A failed registry call, with the service's error code and message when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct RegistryError {
    pub kind: ErrorKind,
    /// The AWS error code (`ThrottlingException`), or a short description of a transport error.
    pub code: String,
    pub message: String,
}

impl RegistryError {
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        RegistryError {
            kind,
            code: code.into(),
            message: message.into(),
        }
    }

    /// A policy that names a principal IAM has just created is refused for a while
    /// ("Principal not found", "Invalid repository policy provided"): worth retrying.
    pub fn is_iam_propagation(&self) -> bool {
        let message = self.message.to_ascii_lowercase();
        self.kind == ErrorKind::Invalid
            && (message.contains("principal not found")
                || message.contains("invalid principal")
                || message.contains("invalid repository policy provided")
                || message.contains("invalid registry policy provided"))
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

/// One registry, reachable for reads and writes.
pub trait Registry: Send + Sync {
    fn id(&self) -> &RegistryId;

    /// Reads live state: every repository (with ECR's defaults filled in), plus the aspects
    /// `scope` names. Aspects not read are `Unmanaged`/`None` in the result.
    fn read(
        &self,
        scope: &ReadScope,
    ) -> impl Future<Output = Result<RegistryState, RegistryError>> + Send;

    /// Every image of one repository (DescribeImages, every page), for the plan's preview of
    /// what a lifecycle policy change would expire or archive.
    fn list_images(
        &self,
        repository: &RepositoryName,
    ) -> impl Future<Output = Result<Vec<Image>, RegistryError>> + Send;

    /// Makes one write.
    fn call(&self, call: &ApiCall) -> impl Future<Output = Result<(), RegistryError>> + Send;
}
