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

use std::io::{self, BufRead, BufReader, Read};

use serde::{Deserialize, Deserializer, Serialize, de};

use crate::json_error::JsonProblem;
use crate::{
    Encryption, PartitionCache, RegistryId, RegistryState, RepositoryState, Setting, TagMutability,
};

/// The snapshot format version this build reads and writes.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Why a snapshot cannot be read: where, and what is wrong there, in the file's terms (see
/// [`crate::json_error`]). A wrong `snapshot_version` is located at it, a registry listed
/// twice just after its second entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct SnapshotError {
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    pub message: String,
}

impl From<serde_json::Error> for SnapshotError {
    fn from(error: serde_json::Error) -> Self {
        let JsonProblem {
            line,
            column,
            message,
        } = JsonProblem::from_error(&error);
        SnapshotError {
            line,
            column,
            message,
        }
    }
}

/// The version of a snapshot, read before the rest.
#[derive(Deserialize)]
struct VersionOnly {
    #[serde(rename = "snapshot_version", deserialize_with = "supported_version")]
    _version: u32,
}

/// A buffered reader past a leading UTF-8 byte order mark.
fn without_bom<R: Read>(reader: R) -> io::Result<BufReader<R>> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(reader)
}

/// Live state of a set of registries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    #[serde(deserialize_with = "supported_version")]
    pub snapshot_version: u32,
    #[serde(deserialize_with = "distinct_registries")]
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
        // The version first, alone: a snapshot of another version is refused for its version,
        // not for the keys this one does not know.
        serde_json::from_str::<VersionOnly>(text)?;
        let snapshot: Snapshot =
            crate::policy_document::sharing_documents(|| serde_json::from_str(text))?;
        Ok(snapshot.completed())
    }

    /// [`Snapshot::from_json`] from a file, never holding its whole text: a snapshot of 100,000
    /// repositories is 100 MB of JSON. `open` opens the file; it is read twice (the version
    /// first, alone, then the snapshot). A leading byte order mark is skipped.
    pub fn from_json_reader<R: Read>(
        mut open: impl FnMut() -> io::Result<R>,
    ) -> Result<Self, SnapshotError> {
        let opened = |open: &mut dyn FnMut() -> io::Result<R>| {
            open().and_then(without_bom).map_err(|error| SnapshotError {
                line: 1,
                column: 1,
                message: format!("cannot read the snapshot: {error}"),
            })
        };
        serde_json::from_reader::<_, VersionOnly>(opened(&mut open)?)?;
        let reader = opened(&mut open)?;
        let snapshot: Snapshot =
            crate::policy_document::sharing_documents(|| serde_json::from_reader(reader))?;
        Ok(snapshot.completed())
    }

    /// ECR's defaults in every repository, every IAM policy in its registry's partition.
    fn completed(mut self) -> Self {
        let mut partitions = PartitionCache::new();
        for registry in &mut self.registries {
            for repository in registry.repositories.values_mut() {
                fill_live_defaults(repository);
            }
            registry.place_policies_in_partition(&mut partitions);
        }
        self
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

/// The snapshot version, refused where it is written unless this build reads it.
fn supported_version<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let found = u32::deserialize(deserializer)?;
    if found == SNAPSHOT_VERSION {
        Ok(found)
    } else {
        Err(de::Error::custom(format!(
            "snapshot_version {found} is not supported (this ecrform reads version {SNAPSHOT_VERSION})"
        )))
    }
}

/// The registries, each listed once: the second entry of a registry is refused where it ends.
fn distinct_registries<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<RegistryState>, D::Error> {
    struct Registries;
    impl<'de> de::Visitor<'de> for Registries {
        type Value = Vec<RegistryState>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of registries")
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut registries: Vec<RegistryState> = Vec::new();
            let mut first_index = std::collections::BTreeMap::new();
            while let Some(registry) = seq.next_element::<RegistryState>()? {
                if let Some(first) = first_index.insert(registry.id(), registries.len()) {
                    return Err(de::Error::custom(format!(
                        "registry {} is listed twice (also at index {first} of registries)",
                        registry.id()
                    )));
                }
                registries.push(registry);
            }
            Ok(registries)
        }
    }
    deserializer.deserialize_seq(Registries)
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

    /// Every problem is located and says what is wrong in the file's terms, never in the
    /// names of the types it is read into.
    #[test]
    fn problems_are_located_in_the_words_of_the_file() {
        let registry = r#"{"account": "123456789012", "region": "us-east-1"}"#;
        let cases: &[(&str, (usize, usize), &str)] = &[
            (
                "{\n  \"snapshot_version\": 1,\n  \"registries\": [}\n",
                (3, 18),
                "expected value",
            ),
            (
                r#"{"snapshot_version": 7, "registries": []}"#,
                (1, 22),
                "snapshot_version 7 is not supported (this ecrform reads version 1)",
            ),
            ("[]", (1, 2), "invalid type: an array, expected an object"),
            ("{}", (1, 2), "missing field `snapshot_version`"),
            (
                r#"{"snapshot_version": "1"}"#,
                (1, 24),
                r#"invalid type: string "1", expected a whole number from 0 to 4294967295"#,
            ),
            (
                r#"{"snapshot_version": 1, "registries": {}}"#,
                (1, 38),
                "invalid type: an object, expected an array of registries",
            ),
            (
                r#"{"snapshot_version": 1, "registries": [7]}"#,
                (1, 40),
                "invalid type: integer `7`, expected an object",
            ),
            (
                r#"{"snapshot_version": 1, "registries": [{"account": "123456789012", "region": "us-east-1", "repositories": {"app": {"image_tag_mutability": "SOMETIMES"}}}]}"#,
                (1, 151),
                r#"unknown value "SOMETIMES"; expected one of MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION"#,
            ),
            (
                r#"{"snapshot_version": 1, "registries": [{"account": "12", "region": "us-east-1"}]}"#,
                (1, 55),
                r#"account id "12" must be exactly 12 digits (quote it in YAML so leading zeros survive)"#,
            ),
        ];
        let expected: Vec<SnapshotError> = cases
            .iter()
            .map(|(_, (line, column), message)| SnapshotError {
                line: *line,
                column: *column,
                message: (*message).to_owned(),
            })
            .collect();
        let found: Vec<SnapshotError> = cases
            .iter()
            .map(|(text, _, _)| Snapshot::from_json(text).unwrap_err())
            .collect();
        assert_eq!(found, expected);
        let twice =
            format!("{{\"snapshot_version\": 1, \"registries\": [{registry},\n {registry}]}}");
        assert_eq!(
            Snapshot::from_json(&twice).unwrap_err(),
            SnapshotError {
                line: 2,
                column: 52,
                message: "registry 123456789012/us-east-1 is listed twice (also at index 0 of registries)"
                    .to_owned()
            }
        );
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
    fn a_snapshot_read_from_a_reader_is_the_one_read_from_its_text() {
        let text = r#"{"snapshot_version": 1, "registries": [{"account": "123456789012",
            "region": "us-gov-west-1", "repositories": {"app": {"repository_policy":
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "210987654321"},
            "Action": "ecr:BatchGetImage"}]}}, "web": {"tags": {"a": "b"}}}}]}"#;
        let from_text = Snapshot::from_json(text).unwrap();
        let with_bom = format!("\u{feff}{text}");
        let read = Snapshot::from_json_reader(|| Ok(with_bom.as_bytes())).unwrap();
        assert_eq!(read, from_text);
        // The same errors on the same lines. (serde_json's reader counts the byte it peeked
        // at past a value, so a column may be one further on.)
        for broken in [
            text.replace("\"snapshot_version\": 1", "\"snapshot_version\": 9"),
            text.replace("\"web\"", "\"w\""),
            text.replace("}}}}]}", "}}}}]"),
        ] {
            let read = Snapshot::from_json_reader(|| Ok(broken.as_bytes())).unwrap_err();
            let parsed = Snapshot::from_json(&broken).unwrap_err();
            assert_eq!((read.line, &read.message), (parsed.line, &parsed.message));
            assert!(
                read.column.abs_diff(parsed.column) <= 1,
                "{read:?} {parsed:?}"
            );
        }
        let unreadable = Snapshot::from_json_reader(|| -> io::Result<&[u8]> {
            Err(io::Error::other("no such file"))
        })
        .unwrap_err();
        assert_eq!(unreadable.message, "cannot read the snapshot: no such file");
    }

    #[test]
    fn repositories_that_hold_the_same_document_share_one_parsed_copy() {
        let lifecycle = r#"{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged",
            "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}}]}"#;
        let other = lifecycle.replace("\"countNumber\": 1", "\"countNumber\": 2");
        let text = format!(
            r#"{{"snapshot_version": 1, "registries": [{{"account": "123456789012",
            "region": "us-east-1", "repositories": {{"aa": {{"lifecycle_policy": {lifecycle}}},
            "bb": {{"lifecycle_policy": {lifecycle}}}, "cc": {{"lifecycle_policy": {other}}}}}}}]}}"#
        );
        let snapshot = Snapshot::from_json(&text).unwrap();
        let document = |name: &str| {
            let repositories = &snapshot.registries[0].repositories;
            let repository = repositories
                .iter()
                .find(|(repository, _)| repository.as_str() == name)
                .unwrap()
                .1;
            match &repository.lifecycle_policy {
                Setting::Present(policy) => policy.clone(),
                other => panic!("{other:?}"),
            }
        };
        assert!(std::ptr::eq(
            document("aa").document(),
            document("bb").document()
        ));
        assert!(!std::ptr::eq(
            document("aa").document(),
            document("cc").document()
        ));
        assert_ne!(document("aa").canonical(), document("cc").canonical());
        // Outside a snapshot's load, nothing is shared or kept.
        let again: crate::LifecyclePolicy = serde_json::from_str(lifecycle).unwrap();
        assert!(!std::ptr::eq(again.document(), document("aa").document()));
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
}
