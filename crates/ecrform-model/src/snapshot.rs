//! The live-state snapshot file: a documented, versioned JSON form of what ECR holds, so that
//! `plan --state FILE` works offline and tests can describe live state as data.
//!
//! ```json
//! {"snapshot_version": 1,
//!  "registries": [{"account": "123456789012", "region": "us-east-1",
//!                  "repositories": {"team-a/api": {"image_tag_mutability": "MUTABLE", ...}}}]}
//! ```
//! Policy documents may be JSON objects or the JSON text ECR returns; IAM policies are read in
//! their registry's partition, as the adapter reads them from ECR. A repository setting left
//! out takes ECR's default (MUTABLE, scan on push off, AES256, no tags, no policies), exactly
//! as DescribeRepositories reports an unset setting.

use serde::{Deserialize, Serialize};

use crate::{
    Encryption, PartitionCache, RegistryId, RegistryState, RepositoryState, Setting, TagMutability,
};

/// The snapshot format version this build reads and writes.
pub const SNAPSHOT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "snapshot_version {found} is not supported (this ecrform reads version {SNAPSHOT_VERSION})"
    )]
    Version { found: u32 },
    #[error("registry {0} appears twice")]
    DuplicateRegistry(RegistryId),
}

/// Live state of a set of registries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub snapshot_version: u32,
    pub registries: Vec<RegistryState>,
}

impl Snapshot {
    pub fn new(registries: Vec<RegistryState>) -> Self {
        Snapshot {
            snapshot_version: SNAPSHOT_VERSION,
            registries,
        }
    }

    /// Parses a snapshot, filling ECR's defaults into every repository and putting every IAM
    /// policy in its registry's partition.
    pub fn from_json(text: &str) -> Result<Self, SnapshotError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            snapshot_version: u32,
        }
        let json_error = |e: serde_json::Error| SnapshotError::Json {
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        let version: VersionOnly = serde_json::from_str(text).map_err(json_error)?;
        if version.snapshot_version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version {
                found: version.snapshot_version,
            });
        }
        let mut snapshot: Snapshot = serde_json::from_str(text).map_err(json_error)?;
        let mut seen = std::collections::BTreeSet::new();
        let mut partitions = PartitionCache::new();
        for registry in &mut snapshot.registries {
            if !seen.insert(registry.id()) {
                return Err(SnapshotError::DuplicateRegistry(registry.id()));
            }
            for repository in registry.repositories.values_mut() {
                fill_live_defaults(repository);
            }
            registry.place_policies_in_partition(&mut partitions);
        }
        Ok(snapshot)
    }

    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn registry(&self, id: &RegistryId) -> Option<&RegistryState> {
        self.registries.iter().find(|r| &r.id() == id)
    }
}

/// What DescribeRepositories reports for settings that were never set.
pub fn fill_live_defaults(repository: &mut RepositoryState) {
    repository
        .image_tag_mutability
        .get_or_insert(TagMutability::Mutable);
    repository
        .image_tag_mutability_exclusions
        .get_or_insert_with(Vec::new);
    repository.scan_on_push.get_or_insert(false);
    repository.encryption.get_or_insert_with(Encryption::aes256);
    repository.tags.get_or_insert_with(Default::default);
    if repository.lifecycle_policy.is_unmanaged() {
        repository.lifecycle_policy = Setting::Absent;
    }
    if repository.repository_policy.is_unmanaged() {
        repository.repository_policy = Setting::Absent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_version_is_refused() {
        let err = Snapshot::from_json(r#"{"snapshot_version": 7, "registries": []}"#).unwrap_err();
        assert!(err.to_string().contains("snapshot_version 7"), "{err}");
    }

    #[test]
    fn json_errors_carry_line_and_column() {
        let err = Snapshot::from_json("{\n  \"snapshot_version\": 1,\n  \"registries\": [}\n")
            .unwrap_err();
        assert!(err.to_string().starts_with("line 3,"), "{err}");
    }

    #[test]
    fn missing_repository_settings_take_ecr_defaults() {
        let text = r#"{"snapshot_version": 1, "registries": [
            {"account": "123456789012", "region": "us-east-1", "repositories": {"app": {}}}]}"#;
        let snapshot = Snapshot::from_json(text).unwrap();
        let repo = &snapshot.registries[0].repositories.values().next().unwrap();
        assert_eq!(repo.image_tag_mutability, Some(TagMutability::Mutable));
        assert_eq!(repo.scan_on_push, Some(false));
        assert_eq!(repo.encryption, Some(Encryption::aes256()));
        assert_eq!(repo.lifecycle_policy, Setting::Absent);
    }

    #[test]
    fn policies_are_read_in_the_partition_of_their_registry() {
        let policy = r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "210987654321"},
                                         "Action": "ecr:BatchGetImage"}]}"#;
        let text = format!(
            r#"{{"snapshot_version": 1, "registries": [
                {{"account": "123456789012", "region": "us-east-1",
                  "repositories": {{"app": {{"repository_policy": {policy}}}}}}},
                {{"account": "123456789012", "region": "us-gov-west-1",
                  "repositories": {{"app": {{"repository_policy": {policy}}}}},
                  "registry_policy": {policy}}}]}}"#
        );
        let snapshot = Snapshot::from_json(&text).unwrap();
        let principal = |policy: &crate::IamPolicy| {
            policy.canonical()["Statement"][0]["Principal"]["AWS"][0].clone()
        };
        let [commercial, gov] = snapshot.registries.as_slice() else {
            panic!("two registries");
        };
        let app = |registry: &RegistryState| {
            registry
                .repositories
                .values()
                .next()
                .unwrap()
                .repository_policy
                .present()
                .cloned()
                .unwrap()
        };
        assert_eq!(
            principal(&app(commercial)),
            "arn:aws:iam::210987654321:root"
        );
        assert_eq!(
            principal(&app(gov)),
            "arn:aws-us-gov:iam::210987654321:root"
        );
        assert_eq!(
            principal(gov.registry_policy.present().unwrap()),
            "arn:aws-us-gov:iam::210987654321:root"
        );
    }

    #[test]
    fn signing_and_pull_time_exclusions_are_read_as_the_snapshot_writes_them() {
        let text = r#"{"snapshot_version": 1, "registries": [
            {"account": "123456789012", "region": "us-east-1",
             "signing_configuration": {"rules": [
                {"signing_profile_arn": "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release",
                 "repository_filters": ["release/*"]}]},
             "pull_time_update_exclusions": ["arn:aws:iam::123456789012:role/scanner"]},
            {"account": "123456789012", "region": "eu-west-1", "signing_configuration": null}]}"#;
        let snapshot = Snapshot::from_json(text).unwrap();
        let [managed, absent] = snapshot.registries.as_slice() else {
            panic!("{:?}", snapshot.registries);
        };
        let configuration = managed.signing_configuration.present().unwrap();
        assert_eq!(configuration.rules[0].repository_filters, ["release/*"]);
        assert_eq!(
            managed.pull_time_update_exclusions,
            Some(
                ["arn:aws:iam::123456789012:role/scanner"]
                    .into_iter()
                    .collect()
            )
        );
        assert_eq!(absent.signing_configuration, Setting::Absent);
        assert_eq!(absent.pull_time_update_exclusions, None, "not read");
        let again = Snapshot::from_json(&snapshot.to_json_pretty()).unwrap();
        assert_eq!(again, snapshot);
    }

    #[test]
    fn a_registry_listed_twice_is_refused() {
        let reg = r#"{"account": "123456789012", "region": "us-east-1"}"#;
        let text = format!(r#"{{"snapshot_version": 1, "registries": [{reg}, {reg}]}}"#);
        assert!(matches!(
            Snapshot::from_json(&text),
            Err(SnapshotError::DuplicateRegistry(_))
        ));
    }
}
