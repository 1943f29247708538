//! The registry port: what the planner and the apply executor need from a registry, and
//! nothing about how it is reached. The AWS adapter implements it for ECR; the test kit
//! implements it in memory (recording calls, injecting faults).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};

use ecrform_lifecycle::Image;
use ecrform_model::{
    AccountSettingName, DesiredRegistry, RegistryId, RegistryState, RegistryWideKind,
    RepositoryName,
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
    /// The settings to read, but account settings, which are read by name.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    settings: BTreeSet<RegistryWideKind>,
    /// Account settings by name (GetAccountSetting takes one name at a time).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    account_settings: BTreeSet<AccountSettingName>,
}

impl RegistryAspects {
    /// Every registry-wide setting, every account setting.
    pub fn everything() -> Self {
        RegistryAspects {
            settings: RegistryWideKind::ALL
                .into_iter()
                .filter(|kind| *kind != RegistryWideKind::AccountSettings)
                .collect(),
            account_settings: AccountSettingName::ALL.into_iter().collect(),
        }
    }

    /// What a state holds: the settings a desired registry manages.
    pub fn held_by(state: &RegistryState) -> Self {
        RegistryAspects {
            settings: RegistryWideKind::ALL
                .into_iter()
                .filter(|kind| *kind != RegistryWideKind::AccountSettings && state.holds(*kind))
                .collect(),
            account_settings: state
                .account_settings
                .iter()
                .flat_map(|settings| settings.keys().copied())
                .collect(),
        }
    }

    /// These kinds (account settings: every one).
    pub fn only(kinds: impl IntoIterator<Item = RegistryWideKind>) -> Self {
        let mut aspects = RegistryAspects::default();
        for kind in kinds {
            if kind == RegistryWideKind::AccountSettings {
                aspects.account_settings = AccountSettingName::ALL.into_iter().collect();
            } else {
                aspects.settings.insert(kind);
            }
        }
        aspects
    }

    /// These account settings too.
    pub fn with_account_settings(
        mut self,
        names: impl IntoIterator<Item = AccountSettingName>,
    ) -> Self {
        self.account_settings.extend(names);
        self
    }

    /// Whether the read covers `kind`.
    pub fn reads(&self, kind: RegistryWideKind) -> bool {
        match kind {
            RegistryWideKind::AccountSettings => !self.account_settings.is_empty(),
            kind => self.settings.contains(&kind),
        }
    }

    /// The kinds the read covers, in plan order.
    pub fn kinds(&self) -> impl Iterator<Item = RegistryWideKind> + '_ {
        RegistryWideKind::ALL
            .into_iter()
            .filter(|kind| self.reads(*kind))
    }

    /// The account settings the read covers, by name.
    pub fn account_setting_names(&self) -> &BTreeSet<AccountSettingName> {
        &self.account_settings
    }

    /// Stops covering `kind`; false when it was not covered (nothing to leave out).
    pub fn leave_out(&mut self, kind: RegistryWideKind) -> bool {
        match kind {
            RegistryWideKind::AccountSettings => {
                let covered = !self.account_settings.is_empty();
                self.account_settings.clear();
                covered
            }
            kind => self.settings.remove(&kind),
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
    /// Read only the repositories in `repositories` (those that exist), none other: what
    /// checking a few addresses needs, without listing the whole registry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_named: bool,
    /// The registry-wide settings to read.
    #[serde(default)]
    pub registry: RegistryAspects,
    /// KMS key references to resolve (DescribeKey) so that encryption compares by key: the
    /// spec's aliases and key ids, and the AWS managed key's alias where the spec asks for
    /// KMS without a key. Live references in another form than a key ARN are resolved too.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub kms_keys: BTreeSet<String>,
}

impl ReadScope {
    /// Everything about every repository (export, snapshot).
    pub fn everything() -> Self {
        ReadScope {
            repositories: BTreeMap::new(),
            other_repositories: Aspects::ALL,
            only_named: false,
            registry: RegistryAspects::everything(),
            kms_keys: BTreeSet::new(),
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
                        // A spec with an owner id reads every repository's owner: the legacy
                        // owner's become its own (see the planner's ownership move).
                        tags: repository.tags.is_some() || !desired.owner.is_legacy(),
                        lifecycle_policy: repository.lifecycle_policy.is_managed(),
                        repository_policy: repository.repository_policy.is_managed(),
                    }
                };
                (name.clone(), aspects)
            })
            .collect();
        // The owners of repositories outside the spec: whether the spec may prune them, and,
        // with an owner id, which another spec created (listed as such, not as unmanaged).
        let other_repositories = Aspects {
            tags: desired.prune || !desired.owner.is_legacy(),
            ..Aspects::default()
        };
        ReadScope {
            repositories,
            other_repositories,
            only_named: false,
            registry: RegistryAspects::held_by(&desired.state),
            kms_keys: desired_kms_keys(&desired.state),
        }
    }
}

/// The KMS key references a desired registry's repositories name (or imply, for the AWS
/// managed key), which a read must resolve to compare encryption by key.
pub fn desired_kms_keys(state: &RegistryState) -> BTreeSet<String> {
    state
        .repositories
        .values()
        .filter_map(|repository| repository.encryption.as_ref()?.key_to_resolve())
        .collect()
}

/// How a registry call failed, as far as deciding what to do next needs to know. The adapter
/// decides the kind from what ECR answered (its error code, and for a rejected policy its
/// words); nothing downstream looks at the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// The endpoint does not implement the read of this registry-wide setting.
    UnsupportedSetting(RegistryWideKind),
    /// The request was refused as invalid.
    Invalid,
    /// A policy refused in the words ECR also uses while IAM propagates a principal that was
    /// just created ("Principal not found", "Invalid repository policy provided"): worth
    /// retrying for a while.
    PolicyRejected,
    /// The object is not there.
    NotFound(Missing),
    /// The object is already there (a create of something that exists).
    AlreadyExists,
    /// ECR refused to delete a repository that still holds images.
    RepositoryNotEmpty,
    /// ECR answered with a value ecrform cannot read (a policy that does not parse, say).
    UnreadableLiveValue,
    Other,
}

/// What a not-found answer says is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Repository,
    LifecyclePolicy,
    RepositoryPolicy,
    RegistryPolicy,
    PullThroughCacheRule,
    CreationTemplate,
    SigningConfiguration,
    PullTimeUpdateExclusion,
    /// Anything else ECR reports as not found.
    Other,
}

impl ErrorKind {
    /// The kind as the apply report's JSON names it (snake case).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Credentials => "credentials",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Unsupported | ErrorKind::UnsupportedSetting(_) => "unsupported",
            ErrorKind::Invalid => "invalid",
            ErrorKind::PolicyRejected => "policy_rejected",
            ErrorKind::NotFound(_) => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::RepositoryNotEmpty => "repository_not_empty",
            ErrorKind::UnreadableLiveValue => "unreadable_live_value",
            ErrorKind::Other => "other",
        }
    }
}

impl Serialize for ErrorKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A failed registry call, with the service's error code and message when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct RegistryError {
    pub kind: ErrorKind,
    /// The AWS error code (`ThrottlingException`), or a short description of a transport error.
    pub code: String,
    pub message: String,
    /// What the user can do about it, when ecrform knows; shown after the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl RegistryError {
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        RegistryError {
            kind,
            code: code.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// The read of a registry-wide setting failed because the endpoint lacks its operation:
    /// a sentence that says which part of the spec the endpoint cannot serve (the bare
    /// "HTTP 500" says nothing a user can act on).
    pub fn unsupported_setting(kind: RegistryWideKind, answered: &str) -> Self {
        let operation = kind.read_operation();
        RegistryError {
            hint: Some(format!(
                "remove {} from the spec for this registry or use a real ECR endpoint",
                kind.spec_key()
            )),
            ..RegistryError::new(
                ErrorKind::UnsupportedSetting(kind),
                operation.as_str(),
                format!(
                    "the endpoint does not support {} ({operation} answered {answered})",
                    kind.label(),
                ),
            )
        }
    }

    /// Whether the call may succeed if repeated a little later (see [`ErrorKind::PolicyRejected`]).
    pub fn is_iam_propagation(&self) -> bool {
        self.kind == ErrorKind::PolicyRejected
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.code)?;
        } else {
            write!(f, "{}: {}", self.code, self.message)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
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

    /// How many images one repository holds and their total size (DescribeImages, every
    /// page), for the plan's account of what a delete or replace destroys.
    fn held_images(
        &self,
        repository: &RepositoryName,
    ) -> impl Future<Output = Result<crate::HeldImages, RegistryError>> + Send;

    /// Makes one write.
    fn call(&self, call: &ApiCall) -> impl Future<Output = Result<(), RegistryError>> + Send;
}
