//! The types that describe what an ECR registry looks like, shared by the desired state (from
//! the spec) and the live state (from AWS or a snapshot file). Nothing here does I/O or knows
//! about YAML or the AWS SDK; canonical forms live here so that "equal" means the same thing
//! to the planner, the renderer and the tests.

pub mod address;
mod canonical;
pub mod document;
pub mod drift;
mod enums;
pub mod json_error;
pub mod lifecycle;
pub mod limits;
pub mod names;
mod operation;
mod owner;
pub mod policy;
pub mod policy_document;
pub mod registry;
pub mod registry_wide;
pub mod repository;
pub mod setting;
pub mod shown;
pub mod snapshot;

pub use address::{Address, ResourceKind, Target};
pub use document::{DocumentError, PathSegment};
pub use drift::{DriftIgnore, DriftIgnores, NamePattern};
pub use json_error::JsonProblem;
pub use lifecycle::LifecyclePolicy;
pub use names::{AccountId, NameError, Partition, Region, RegistryId, RepositoryName};
pub use operation::Operation;
pub use owner::{LEGACY_OWNER, OwnerId};
pub use policy::{IamPolicy, PartitionCache};
pub use policy_document::{ContextCache, DocumentKind, PolicyDocument, TextCache};
pub use registry::{DesiredRegistry, DesiredState, RegistryState};
pub use registry_wide::{
    AccountSettingName, AccountSettings, AppliedFor, CreationTemplate, PullThroughCacheField,
    PullThroughCacheRule, PullTimeUpdateExclusions, ROOT_PREFIX, RegistryWideKind, Replication,
    ReplicationDestination, ReplicationRule, ScanFrequency, ScanRule, ScanType, Scanning,
    SigningConfiguration, SigningRule, UpstreamRegistry, derived_upstream_registry,
};
pub use repository::{
    AWS_MANAGED_KEY_ALIAS, Encryption, EncryptionType, KeyResolution, KmsKeys, RepositoryState,
    TagMutability, Tags, is_key_arn,
};
pub use setting::Setting;
pub use snapshot::{SNAPSHOT_VERSION, Snapshot, SnapshotError};

/// The tag that marks a repository as created by ecrform; its value is the owner id of the
/// spec that created it (see [`OwnerId`]). `prune` deletes only repositories whose tag names
/// the spec's own owner, and tag diffs ignore it so that it never shows up as drift.
pub const OWNERSHIP_TAG_KEY: &str = "ecrform:managed";
/// The value of the legacy owner, a spec that declares no owner id.
pub const OWNERSHIP_TAG_VALUE: &str = owner::LEGACY_OWNER;

/// Whether a tag key is outside the user's control: AWS-reserved keys and ecrform's own
/// ownership marker are never planned as tag changes.
pub fn is_reserved_tag_key(key: &str) -> bool {
    key.starts_with("aws:") || key == OWNERSHIP_TAG_KEY
}
