//! A registry's state: its repositories and the registry-wide settings. The same type holds
//! desired state (from the spec) and live state (from ECR or a snapshot file).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    AccountId, AccountSettings, CreationTemplate, IamPolicy, PullThroughCacheRule,
    PullTimeUpdateExclusions, Region, RegistryId, RegistryWideKind, Replication, RepositoryName,
    RepositoryState, Scanning, Setting, SigningConfiguration,
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
