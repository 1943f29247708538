//! A registry's state: its repositories and the registry-wide settings. The same type holds
//! desired state (from the spec) and live state (from ECR or a snapshot file).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    AccountId, AccountSettings, CreationTemplate, IamPolicy, KmsKeys, PartitionCache,
    PullThroughCacheRule, PullTimeUpdateExclusions, Region, RegistryId, RegistryWideKind,
    Replication, RepositoryName, RepositoryState, Scanning, Setting, SigningConfiguration,
};

/// One registry's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryState {
    pub account: AccountId,
    pub region: Region,
    #[serde(default)]
    pub repositories: BTreeMap<RepositoryName, RepositoryState>,
    #[serde(default, skip_serializing_if = "Setting::is_unmanaged")]
    pub replication: Setting<Replication>,
    #[serde(default, skip_serializing_if = "Setting::is_unmanaged")]
    pub registry_policy: Setting<IamPolicy>,
    #[serde(default, skip_serializing_if = "Setting::is_unmanaged")]
    pub scanning: Setting<Scanning>,
    /// `None` when unmanaged; otherwise the exact set of rules by prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_through_cache: Option<BTreeMap<String, PullThroughCacheRule>>,
    /// `None` when unmanaged; otherwise the exact set of templates by prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_templates: Option<BTreeMap<String, CreationTemplate>>,
    /// `None` when unmanaged; otherwise only the named settings are managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_settings: Option<AccountSettings>,
    /// Live only: the KMS key references read with the registry (the spec's aliases and key
    /// ids, the AWS managed key's alias) and the key each resolves to, so that encryption
    /// compares by key. Written in snapshots as `kms_aliases`.
    #[serde(
        default,
        rename = "kms_aliases",
        skip_serializing_if = "KmsKeys::is_empty"
    )]
    pub kms_keys: KmsKeys,
    /// Live only: what the read could not find out and the plan must say (a key that could
    /// not be described, say). Not part of snapshots.
    #[serde(skip)]
    pub read_warnings: Vec<String>,
    /// Live only: repositories a replace deleted and did not create again (the process was
    /// killed, or the create failed), with what each held before, as the recovery record
    /// kept it. A create of one of them restores what the spec does not manage. Not part of
    /// snapshots.
    #[serde(skip)]
    pub interrupted: BTreeMap<RepositoryName, RepositoryState>,
    #[serde(default, skip_serializing_if = "Setting::is_unmanaged")]
    pub signing_configuration: Setting<SigningConfiguration>,
    /// `None` when unmanaged; otherwise the exact set of excluded principals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_time_update_exclusions: Option<PullTimeUpdateExclusions>,
}

impl RegistryState {
    /// A registry with no repositories and nothing managed.
    pub fn empty(id: RegistryId) -> Self {
        RegistryState {
            account: id.account,
            region: id.region,
            repositories: BTreeMap::new(),
            replication: Setting::Unmanaged,
            registry_policy: Setting::Unmanaged,
            scanning: Setting::Unmanaged,
            pull_through_cache: None,
            creation_templates: None,
            account_settings: None,
            kms_keys: KmsKeys::new(),
            read_warnings: Vec::new(),
            interrupted: BTreeMap::new(),
            signing_configuration: Setting::Unmanaged,
            pull_time_update_exclusions: None,
        }
    }

    pub fn id(&self) -> RegistryId {
        RegistryId::new(self.account.clone(), self.region.clone())
    }

    /// Whether this state holds the registry-wide setting: the spec manages it (desired), or
    /// it was read (live).
    pub fn holds(&self, kind: RegistryWideKind) -> bool {
        match kind {
            RegistryWideKind::AccountSettings => self.account_settings.is_some(),
            RegistryWideKind::RegistryPolicy => self.registry_policy.is_managed(),
            RegistryWideKind::CreationTemplates => self.creation_templates.is_some(),
            RegistryWideKind::PullThroughCache => self.pull_through_cache.is_some(),
            RegistryWideKind::Replication => self.replication.is_managed(),
            RegistryWideKind::Scanning => self.scanning.is_managed(),
            RegistryWideKind::SigningConfiguration => self.signing_configuration.is_managed(),
            RegistryWideKind::PullTimeUpdateExclusions => {
                self.pull_time_update_exclusions.is_some()
            }
        }
    }

    /// Gives every IAM policy of the registry (repository policies, the registry policy and the
    /// creation templates' repository policies) its canonical form in the registry's
    /// partition, where a bare account id names that partition's root. Policies built without
    /// knowing where they would be used (a spec's shared documents, a snapshot's) are in the
    /// commercial partition; in a commercial registry nothing changes and nothing is computed.
    /// `cache` shares one canonical form per document and partition across registries.
    pub fn place_policies_in_partition(&mut self, cache: &mut PartitionCache) {
        let partition = self.region.partition();
        let mut place = |policy: &mut IamPolicy| {
            if policy.partition() != partition {
                *policy = cache.in_context(policy, partition);
            }
        };
        for repository in self.repositories.values_mut() {
            if let Setting::Present(policy) = &mut repository.repository_policy {
                place(policy);
            }
        }
        if let Setting::Present(policy) = &mut self.registry_policy {
            place(policy);
        }
        for template in self
            .creation_templates
            .iter_mut()
            .flat_map(BTreeMap::values_mut)
        {
            if let Some(policy) = &mut template.repository_policy {
                place(policy);
            }
        }
    }

    /// Drops the registry-wide setting, as if it had not been read (or were not managed).
    pub fn forget(&mut self, kind: RegistryWideKind) {
        match kind {
            RegistryWideKind::AccountSettings => self.account_settings = None,
            RegistryWideKind::RegistryPolicy => self.registry_policy = Setting::Unmanaged,
            RegistryWideKind::CreationTemplates => self.creation_templates = None,
            RegistryWideKind::PullThroughCache => self.pull_through_cache = None,
            RegistryWideKind::Replication => self.replication = Setting::Unmanaged,
            RegistryWideKind::Scanning => self.scanning = Setting::Unmanaged,
            RegistryWideKind::SigningConfiguration => {
                self.signing_configuration = Setting::Unmanaged
            }
            RegistryWideKind::PullTimeUpdateExclusions => self.pull_time_update_exclusions = None,
        }
    }
}

/// What the spec says about one registry: its desired state plus how to reach and govern it.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredRegistry {
    pub state: RegistryState,
    /// Role to assume (through STS) for every call to this registry.
    pub role_arn: Option<String>,
    /// AWS profile to start the credential chain from.
    pub profile: Option<String>,
    /// Delete repositories that carry the ownership tag but left the spec.
    pub prune: bool,
    /// Delete pruned repositories even while they hold images (`prune: {enabled: true,
    /// force_delete: true}`): a repository that left the spec has no entry of its own to say
    /// `force_delete`.
    pub prune_force_delete: bool,
    /// The spec's owner id: the ownership tag's value on what it creates, and the only
    /// repositories it prunes.
    pub owner: crate::OwnerId,
    /// What `drift` accepts in this registry (`ignore_unmanaged`, `drift_ignore`).
    pub drift: crate::DriftIgnores,
}

/// Everything the spec asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DesiredState {
    pub registries: Vec<DesiredRegistry>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A registry whose state holds every registry-wide kind.
    fn holding_everything() -> RegistryState {
        let mut state = RegistryState::empty(RegistryId::parse("123456789012/us-east-1").unwrap());
        state.replication = Setting::Absent;
        state.registry_policy = Setting::Absent;
        state.scanning = Setting::Present(Scanning::ecr_default());
        state.pull_through_cache = Some(BTreeMap::new());
        state.creation_templates = Some(BTreeMap::new());
        state.account_settings = Some(AccountSettings::new());
        state.signing_configuration = Setting::Absent;
        state.pull_time_update_exclusions = Some(PullTimeUpdateExclusions::new());
        state
    }

    #[test]
    fn forgetting_a_kind_drops_that_kind_alone() {
        let empty = RegistryState::empty(RegistryId::parse("123456789012/us-east-1").unwrap());
        for kind in RegistryWideKind::ALL {
            assert!(!empty.holds(kind), "{kind}");
            let mut state = holding_everything();
            assert!(state.holds(kind), "{kind}");
            state.forget(kind);
            for other in RegistryWideKind::ALL {
                assert_eq!(state.holds(other), other != kind, "{kind} then {other}");
            }
        }
    }
}
