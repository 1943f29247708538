//! The registry-wide settings: what each one is (the one definition every crate derives its
//! lists from, [`RegistryWideKind`]), its value type, and its canonical form.
//!
//! Kinds: replication, the registry policy, scanning and the signing configuration are one
//! document per registry; pull-through cache rules, creation templates, account settings and
//! pull-time update exclusions are keyed sets (by prefix, by name, by principal ARN).
//!
//! ECR reports these settings back with values filled in that a request left out (the `ROOT`
//! upstream prefix of a pull-through cache rule, `MUTABLE` and `AES256` in a creation
//! template, an empty replication configuration) and with lists in its own order. Each value
//! type has a `canonical()` that removes exactly those differences, so that the planner, the
//! export check and the tests compare what a setting means, and the adapter can report live
//! values as ECR gave them. The in-memory ECR of the test kit fills in the same defaults from
//! the same functions ([`PullThroughCacheRule::as_ecr_reports`],
//! [`CreationTemplate::as_ecr_reports`]), so it cannot drift from what is compared here.

mod account_settings;
mod creation_template;
mod pull_through_cache;
mod pull_time_update_exclusions;
mod replication;
mod scanning;
mod signing;

pub use account_settings::{AccountSettingName, AccountSettings};
pub use creation_template::{AppliedFor, CreationTemplate};
pub use pull_through_cache::{
    PullThroughCacheField, PullThroughCacheRule, UpstreamRegistry, derived_upstream_registry,
};
pub use pull_time_update_exclusions::PullTimeUpdateExclusions;
pub use replication::{Replication, ReplicationDestination, ReplicationRule};
pub use scanning::{ScanFrequency, ScanRule, ScanType, Scanning};
pub use signing::{SigningConfiguration, SigningRule};

use crate::Operation;

/// The prefix that stands for the whole registry in pull-through cache rules (ECR's default
/// upstream repository prefix) and creation templates.
pub const ROOT_PREFIX: &str = "ROOT";

/// One kind of registry-wide setting. Everything that lists these kinds (addresses, the read
/// scope, the adapter's reads, export, the test kit, the CLI's handling of an endpoint that
/// lacks one) derives from this definition; adding a kind starts here.
///
/// Declared in the order the spec documents them (and export writes them). The order a plan
/// applies them in is the planner's (see `ecrform_plan::plan`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RegistryWideKind {
    Replication,
    RegistryPolicy,
    Scanning,
    PullThroughCache,
    CreationTemplates,
    AccountSettings,
    SigningConfiguration,
    PullTimeUpdateExclusions,
}

impl RegistryWideKind {
    pub const ALL: [RegistryWideKind; 8] = [
        RegistryWideKind::Replication,
        RegistryWideKind::RegistryPolicy,
        RegistryWideKind::Scanning,
        RegistryWideKind::PullThroughCache,
        RegistryWideKind::CreationTemplates,
        RegistryWideKind::AccountSettings,
        RegistryWideKind::SigningConfiguration,
        RegistryWideKind::PullTimeUpdateExclusions,
    ];

    /// The key of a registry in the spec.
    pub fn spec_key(self) -> &'static str {
        match self {
            RegistryWideKind::AccountSettings => "account_settings",
            RegistryWideKind::RegistryPolicy => "registry_policy",
            RegistryWideKind::CreationTemplates => "creation_templates",
            RegistryWideKind::PullThroughCache => "pull_through_cache",
            RegistryWideKind::Replication => "replication",
            RegistryWideKind::Scanning => "scanning",
            RegistryWideKind::SigningConfiguration => "signing_configuration",
            RegistryWideKind::PullTimeUpdateExclusions => "pull_time_update_exclusions",
        }
    }

    /// The KIND part of its addresses (`ACCOUNT/REGION/KIND[/NAME]`).
    pub fn address_kind(self) -> &'static str {
        match self {
            RegistryWideKind::AccountSettings => "account_setting",
            RegistryWideKind::RegistryPolicy => "registry_policy",
            RegistryWideKind::CreationTemplates => "creation_template",
            RegistryWideKind::PullThroughCache => "pull_through_cache",
            RegistryWideKind::Replication => "replication",
            RegistryWideKind::Scanning => "scanning",
            RegistryWideKind::SigningConfiguration => "signing_configuration",
            RegistryWideKind::PullTimeUpdateExclusions => "pull_time_update_exclusion",
        }
    }

    /// How messages name the setting ("the endpoint does not support ...").
    pub fn label(self) -> &'static str {
        match self {
            RegistryWideKind::AccountSettings => "account settings",
            RegistryWideKind::RegistryPolicy => "registry policies",
            RegistryWideKind::CreationTemplates => "repository creation templates",
            RegistryWideKind::PullThroughCache => "pull-through cache rules",
            RegistryWideKind::Replication => "replication",
            RegistryWideKind::Scanning => "registry scanning",
            RegistryWideKind::SigningConfiguration => "signing configurations",
            RegistryWideKind::PullTimeUpdateExclusions => "pull-time update exclusions",
        }
    }

    /// The operation that reads it.
    pub fn read_operation(self) -> Operation {
        match self {
            RegistryWideKind::AccountSettings => Operation::GetAccountSetting,
            RegistryWideKind::RegistryPolicy => Operation::GetRegistryPolicy,
            RegistryWideKind::CreationTemplates => Operation::DescribeRepositoryCreationTemplates,
            RegistryWideKind::PullThroughCache => Operation::DescribePullThroughCacheRules,
            RegistryWideKind::Replication => Operation::DescribeRegistry,
            RegistryWideKind::Scanning => Operation::GetRegistryScanningConfiguration,
            RegistryWideKind::SigningConfiguration => Operation::GetSigningConfiguration,
            RegistryWideKind::PullTimeUpdateExclusions => Operation::ListPullTimeUpdateExclusions,
        }
    }

    /// The operations that write it.
    pub fn write_operations(self) -> &'static [Operation] {
        match self {
            RegistryWideKind::AccountSettings => &[Operation::PutAccountSetting],
            RegistryWideKind::RegistryPolicy => &[
                Operation::PutRegistryPolicy,
                Operation::DeleteRegistryPolicy,
            ],
            RegistryWideKind::CreationTemplates => &[
                Operation::CreateRepositoryCreationTemplate,
                Operation::UpdateRepositoryCreationTemplate,
                Operation::DeleteRepositoryCreationTemplate,
            ],
            RegistryWideKind::PullThroughCache => &[
                Operation::CreatePullThroughCacheRule,
                Operation::UpdatePullThroughCacheRule,
                Operation::DeletePullThroughCacheRule,
            ],
            RegistryWideKind::Replication => &[Operation::PutReplicationConfiguration],
            RegistryWideKind::Scanning => &[Operation::PutRegistryScanningConfiguration],
            RegistryWideKind::SigningConfiguration => &[
                Operation::PutSigningConfiguration,
                Operation::DeleteSigningConfiguration,
            ],
            RegistryWideKind::PullTimeUpdateExclusions => &[
                Operation::RegisterPullTimeUpdateExclusion,
                Operation::DeregisterPullTimeUpdateExclusion,
            ],
        }
    }

    /// The kind a read operation reads, if it reads one.
    pub fn read_by(operation: Operation) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.read_operation() == operation)
    }

    /// One document per registry (its address has no NAME part); the others are keyed sets.
    pub fn is_singleton(self) -> bool {
        matches!(
            self,
            RegistryWideKind::RegistryPolicy
                | RegistryWideKind::Replication
                | RegistryWideKind::Scanning
                | RegistryWideKind::SigningConfiguration
        )
    }
}

impl std::fmt::Display for RegistryWideKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.spec_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_key_address_kind_and_read_operation() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in RegistryWideKind::ALL {
            assert!(seen.insert(kind.spec_key()), "{kind:?}");
            assert!(seen.insert(kind.read_operation().as_str()), "{kind:?}");
            assert!(kind.read_operation().is_read(), "{kind:?}");
            assert_eq!(RegistryWideKind::read_by(kind.read_operation()), Some(kind));
            for write in kind.write_operations() {
                assert!(!write.is_read(), "{write}");
                assert!(seen.insert(write.as_str()), "{write} belongs to one kind");
            }
        }
        assert_eq!(
            RegistryWideKind::read_by(Operation::DescribeRepositories),
            None
        );
    }
}
