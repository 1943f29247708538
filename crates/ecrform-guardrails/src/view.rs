//! What the rules judge: one registry's repositories and registry-wide settings, each value
//! known, left out of the spec (and then judged at ECR's default), or unknown.
//!
//! The same rules run over three states, built here:
//! - [`RegistryView::from_spec`] (`validate`): the spec's desired state. A setting the spec
//!   leaves out is judged at ECR's default, which is what a repository the spec creates
//!   gets, and a finding says it is not set.
//! - [`RegistryView::from_live`] (`audit`, and the "before" of a plan): what was read. A
//!   setting that was not read is unknown and not judged.
//! - [`RegistryView::after_plan`] (`plan`): the spec's settings, and for a setting the spec
//!   leaves unmanaged the live value where it was read (an existing repository keeps it),
//!   ECR's default for a repository the plan creates, unknown otherwise.

use std::collections::{BTreeMap, BTreeSet};

use ecrform_model::{
    AccountId, DesiredRegistry, Encryption, IamPolicy, KmsKeys, LifecyclePolicy, RegistryId,
    RegistryState, Replication, RepositoryName, RepositoryState, Scanning, Setting, TagMutability,
    Tags,
};

/// A judged value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<T> {
    /// The value the state has (the spec's, or the one read).
    Known(T),
    /// The spec leaves the setting out: ECR's default, for a repository the spec creates.
    NotSet(T),
    /// Not read, so not judged.
    Unknown,
}

impl<T> Value<T> {
    /// The value to judge, if there is one.
    pub fn get(&self) -> Option<&T> {
        match self {
            Value::Known(value) | Value::NotSet(value) => Some(value),
            Value::Unknown => None,
        }
    }

    pub fn is_not_set(&self) -> bool {
        matches!(self, Value::NotSet(_))
    }

    fn or_else(self, other: impl FnOnce() -> Value<T>) -> Value<T> {
        match self {
            Value::Unknown => other(),
            known => known,
        }
    }
}

/// One repository, as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryView {
    pub mutability: Value<(TagMutability, Vec<String>)>,
    pub scan_on_push: Value<bool>,
    pub encryption: Value<Encryption>,
    /// Without the ownership tag and `aws:` keys.
    pub tags: Value<Tags>,
    /// `None` inside: the repository has no lifecycle policy.
    pub lifecycle: Value<Option<LifecyclePolicy>>,
    pub policy: Value<Option<IamPolicy>>,
    /// The spec allows deleting it while it holds images.
    pub force_delete: bool,
}

/// One registry, as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryView {
    pub id: RegistryId,
    pub repositories: BTreeMap<RepositoryName, RepositoryView>,
    pub scanning: Value<Scanning>,
    /// `None` inside: no replication.
    pub replication: Value<Option<Replication>>,
    pub registry_policy: Value<Option<IamPolicy>>,
    /// Repositories that the plan deletes because they left a spec that prunes.
    pub pruned: BTreeSet<RepositoryName>,
    /// Whether the registry prunes (spec only), so that a finding can point there.
    pub prunes: bool,
    /// KMS key references as resolved when live state was read (the AWS managed key's
    /// alias among them, when it was asked for).
    pub kms_keys: KmsKeys,
}

fn default_repository() -> RepositoryView {
    RepositoryView {
        mutability: Value::NotSet((TagMutability::Mutable, Vec::new())),
        scan_on_push: Value::NotSet(false),
        encryption: Value::NotSet(Encryption::aes256()),
        tags: Value::NotSet(Tags::new()),
        lifecycle: Value::NotSet(None),
        policy: Value::NotSet(None),
        force_delete: false,
    }
}

fn user_tags(tags: &Tags) -> Tags {
    tags.iter()
        .filter(|(key, _)| !ecrform_model::is_reserved_tag_key(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

fn setting<T: Clone>(setting: &Setting<T>) -> Value<Option<T>> {
    match setting {
        Setting::Unmanaged => Value::Unknown,
        Setting::Absent => Value::Known(None),
        Setting::Present(value) => Value::Known(Some(value.clone())),
    }
}

/// A repository's state as values: what it holds is known, what it leaves out unknown.
fn known_repository(state: &RepositoryState) -> RepositoryView {
    fn option<T>(value: Option<T>) -> Value<T> {
        value.map_or(Value::Unknown, Value::Known)
    }
    RepositoryView {
        mutability: option(state.image_tag_mutability.map(|mode| {
            (
                mode,
                state
                    .image_tag_mutability_exclusions
                    .clone()
                    .unwrap_or_default(),
            )
        })),
        scan_on_push: option(state.scan_on_push),
        encryption: option(state.encryption.clone()),
        tags: option(state.tags.as_ref().map(user_tags)),
        lifecycle: setting(&state.lifecycle_policy),
        policy: setting(&state.repository_policy),
        force_delete: state.force_delete,
    }
}

/// Each known field of `over`, else `under`'s.
fn overlay(over: RepositoryView, under: RepositoryView) -> RepositoryView {
    RepositoryView {
        mutability: over.mutability.or_else(|| under.mutability),
        scan_on_push: over.scan_on_push.or_else(|| under.scan_on_push),
        encryption: over.encryption.or_else(|| under.encryption),
        tags: over.tags.or_else(|| under.tags),
        lifecycle: over.lifecycle.or_else(|| under.lifecycle),
        policy: over.policy.or_else(|| under.policy),
        force_delete: over.force_delete,
    }
}

impl RegistryView {
    /// The spec's desired state of a registry (see the module documentation).
    pub fn from_spec(desired: &DesiredRegistry) -> Self {
        let state = &desired.state;
        RegistryView {
            id: state.id(),
            repositories: state
                .repositories
                .iter()
                .map(|(name, repository)| {
                    (
                        name.clone(),
                        overlay(known_repository(repository), default_repository()),
                    )
                })
                .collect(),
            scanning: state
                .scanning
                .present()
                .cloned()
                .map_or(Value::NotSet(Scanning::ecr_default()), Value::Known),
            replication: setting(&state.replication).or_else(|| Value::NotSet(None)),
            registry_policy: setting(&state.registry_policy).or_else(|| Value::NotSet(None)),
            pruned: BTreeSet::new(),
            prunes: desired.prune,
            kms_keys: KmsKeys::new(),
        }
    }

    /// A registry's live state as read (see the module documentation).
    pub fn from_live(live: &RegistryState) -> Self {
        RegistryView {
            id: live.id(),
            repositories: live
                .repositories
                .iter()
                .map(|(name, repository)| (name.clone(), known_repository(repository)))
                .collect(),
            scanning: live
                .scanning
                .present()
                .cloned()
                .map_or(Value::Unknown, Value::Known),
            replication: setting(&live.replication),
            registry_policy: setting(&live.registry_policy),
            pruned: BTreeSet::new(),
            prunes: false,
            kms_keys: live.kms_keys.clone(),
        }
    }

    /// The registry after a plan of `desired` against `live` is applied (see the module
    /// documentation); `pruned` are the repositories the plan deletes.
    pub fn after_plan(
        desired: &DesiredRegistry,
        live: &RegistryState,
        pruned: BTreeSet<RepositoryName>,
    ) -> Self {
        let state = &desired.state;
        let repositories = state
            .repositories
            .iter()
            .map(|(name, repository)| {
                let under = match live.repositories.get(name) {
                    Some(existing) => known_repository(existing),
                    None => default_repository(),
                };
                (name.clone(), overlay(known_repository(repository), under))
            })
            .collect();
        let live_view = RegistryView::from_live(live);
        RegistryView {
            id: state.id(),
            repositories,
            scanning: state
                .scanning
                .present()
                .cloned()
                .map_or(live_view.scanning, Value::Known),
            replication: setting(&state.replication).or_else(|| live_view.replication),
            registry_policy: setting(&state.registry_policy).or_else(|| live_view.registry_policy),
            pruned,
            prunes: desired.prune,
            kms_keys: live.kms_keys.clone(),
        }
    }

    /// The registry's account.
    pub fn account(&self) -> &AccountId {
        &self.id.account
    }
}
