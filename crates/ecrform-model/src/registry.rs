//! A registry's state: its repositories and the registry-wide settings. The same type holds
//! desired state (from the spec) and live state (from ECR or a snapshot file).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    AccountId, Encryption, IamPolicy, LifecyclePolicy, Region, RegistryId, RepositoryName,
    RepositoryState, Setting, TagMutability, Tags,
};

/// Registry replication: one document per registry; a Put replaces it whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replication {
    pub rules: Vec<ReplicationRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationRule {
    pub destinations: Vec<ReplicationDestination>,
    /// PREFIX_MATCH repository filters; empty replicates every repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repository_filters: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReplicationDestination {
    pub region: Region,
    /// Filled with the source registry's account when the spec leaves it out.
    pub account: AccountId,
}

/// Registry scanning configuration (BASIC or ENHANCED, at most two rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scanning {
    #[serde(rename = "type")]
    pub scan_type: String,
    #[serde(default)]
    pub rules: Vec<ScanRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRule {
    pub frequency: String,
    /// WILDCARD repository filters.
    pub filters: Vec<String>,
}

/// A pull-through cache rule; the registry keys rules by their ECR repository prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullThroughCacheRule {
    pub upstream_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_registry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_repository_prefix: Option<String>,
}

/// A repository creation template; the registry keys templates by prefix (or `ROOT`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreationTemplate {
    pub applied_for: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability: Option<TagMutability>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tag_mutability_exclusions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub resource_tags: Tags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_policy: Option<LifecyclePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_policy: Option<IamPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_role_arn: Option<String>,
}

/// Account settings by name (BASIC_SCAN_TYPE_VERSION, REGISTRY_POLICY_SCOPE, BLOB_MOUNTING).
pub type AccountSettings = BTreeMap<String, String>;

/// The account settings ECR knows (GetAccountSetting / PutAccountSetting) and the values each
/// takes: the one list the spec, the planner, the adapter and the test kit share.
pub const ACCOUNT_SETTINGS: [(&str, &[&str]); 3] = [
    ("BASIC_SCAN_TYPE_VERSION", &["AWS_NATIVE", "CLAIR"]),
    ("REGISTRY_POLICY_SCOPE", &["V1", "V2"]),
    ("BLOB_MOUNTING", &["ENABLED", "DISABLED"]),
];

/// The names of [`ACCOUNT_SETTINGS`].
pub const ACCOUNT_SETTING_NAMES: [&str; 3] = [
    ACCOUNT_SETTINGS[0].0,
    ACCOUNT_SETTINGS[1].0,
    ACCOUNT_SETTINGS[2].0,
];

/// The prefix that stands for the whole registry in pull-through cache rules (ECR's default
/// upstream repository prefix) and creation templates.
pub const ROOT_PREFIX: &str = "ROOT";

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
        }
    }

    pub fn id(&self) -> RegistryId {
        RegistryId::new(self.account.clone(), self.region.clone())
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
