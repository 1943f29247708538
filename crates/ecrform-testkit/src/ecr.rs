//! How ECR answers reads and writes, as plain functions over a stored [`RegistryState`].
//!
//! This is the behaviour the planner and the executor are written against, kept apart from
//! the recording and fault-injection harness in [`crate::registry`] so that it can be checked
//! on its own. It follows the ECR facts in the project's reference notes: defaults filled on
//! read, TagResource adding and UntagResource removing, creation-only encryption reported with
//! the key ARN, policies returned re-serialized, and ECR's error codes for missing and
//! non-empty repositories and absent policies. Lifecycle rule validation is not repeated here
//! (ecrform-lifecycle owns it); a document only has to have the shape ECR parses.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use ecrform_model::snapshot::fill_live_defaults;
use ecrform_model::{
    AWS_MANAGED_KEY_ALIAS, Encryption, EncryptionType, IamPolicy, LifecyclePolicy, Partition,
    RegistryId, RegistryState, RepositoryName, RepositoryState, Setting, TagMutability, Tags,
    is_key_arn,
};
use ecrform_plan::{ApiCall, ReadScope, RegistryError};

use crate::ecr_error;

mod registry_wide;

/// ECR's limit on tags per repository; `aws:` keys do not count against it.
const TAG_LIMIT: usize = 50;
const TAG_KEY_MAX_CHARS: usize = 128;
const TAG_VALUE_MAX_CHARS: usize = 256;
const EXCLUSION_FILTERS_MAX: usize = 5;
const EXCLUSION_FILTER_MAX_CHARS: usize = 128;
const REPOSITORY_POLICY_MAX_CHARS: usize = 10_240;
const LIFECYCLE_POLICY_CHARS: std::ops::RangeInclusive<usize> = 100..=30_720;

/// A registry as ECR stores it: the state, always with every repository setting filled, and
/// the number of images in each repository (which ECR's repository calls never report).
#[derive(Debug, Clone)]
pub(crate) struct StoredRegistry {
    pub(crate) state: RegistryState,
    pub(crate) image_counts: BTreeMap<RepositoryName, u64>,
    /// The registry's KMS: every alias and key id resolves (see [`key_arn`]) but these,
    /// which KMS does not have.
    pub(crate) kms_missing: BTreeSet<String>,
    /// References DescribeKey refuses to describe (the credentials lack kms:DescribeKey).
    pub(crate) kms_denied: BTreeSet<String>,
}

impl StoredRegistry {
    /// A registry as ECR creates it: no repositories, and the registry-wide settings every
    /// registry starts with (see [`registry_wide::fresh`]).
    pub(crate) fn new(id: RegistryId) -> Self {
        let mut state = RegistryState::empty(id);
        registry_wide::fresh(&mut state);
        StoredRegistry {
            state,
            image_counts: BTreeMap::new(),
            kms_missing: BTreeSet::new(),
            kms_denied: BTreeSet::new(),
        }
    }

    fn id(&self) -> RegistryId {
        self.state.id()
    }

    /// Stores a repository as if it had been created with these settings by any client.
    /// Its `image_count`, when given, becomes the stored count.
    pub(crate) fn insert_repository(
        &mut self,
        name: RepositoryName,
        mut repository: RepositoryState,
    ) {
        if let Some(count) = repository.image_count.take() {
            self.image_counts.insert(name.clone(), count);
        }
        repository.force_delete = false;
        fill_live_defaults(&mut repository);
        self.state.repositories.insert(name, repository);
    }

    /// What a read with `scope` reports: every repository with DescribeRepositories' defaults,
    /// plus only the per-repository aspects the scope asks for; only the registry-wide settings
    /// the scope names (the others `Unmanaged`/`None`, as not read). Image counts are not
    /// reported, as DescribeRepositories does not report them.
    pub(crate) fn view(&self, scope: &ReadScope) -> RegistryState {
        let mut view = self.state.clone();
        if scope.only_named {
            view.repositories
                .retain(|name, _| scope.repositories.contains_key(name));
        }
        for (name, repository) in &mut view.repositories {
            let aspects = scope
                .repositories
                .get(name)
                .copied()
                .unwrap_or(scope.other_repositories);
            // Out-of-band edits may have left settings unset; ECR reports its defaults.
            fill_live_defaults(repository);
            if !aspects.tags {
                repository.tags = None;
            }
            if !aspects.lifecycle_policy {
                repository.lifecycle_policy = Setting::Unmanaged;
            }
            if !aspects.repository_policy {
                repository.repository_policy = Setting::Unmanaged;
            }
            repository.force_delete = false;
            repository.image_count = None;
        }
        registry_wide::restrict(&mut view, &scope.registry);
        self.resolve_keys(&mut view, scope);
        view
    }

    /// DescribeKey for the references the scope names and for live keys reported in another
    /// form than a key ARN, as the adapter resolves them.
    fn resolve_keys(&self, view: &mut RegistryState, scope: &ReadScope) {
        let id = self.id();
        let live = view
            .repositories
            .values()
            .filter_map(|repository| repository.encryption.as_ref()?.kms_key.clone())
            .filter(|key| !is_key_arn(key));
        for reference in scope.kms_keys.iter().cloned().chain(live) {
            if self.kms_denied.contains(&reference) {
                view.read_warnings.push(format!(
                    "cannot describe KMS key {reference} in registry {id} (AccessDeniedException); \
                     its encryption is compared by the key's name only"
                ));
                continue;
            }
            let resolved =
                (!self.kms_missing.contains(&reference)).then(|| key_arn(&id, &reference));
            view.kms_keys.insert(reference, resolved);
        }
    }

    /// Applies one write as ECR would, or refuses it with ECR's error and changes nothing.
    pub(crate) fn execute(&mut self, call: &ApiCall) -> Result<(), RegistryError> {
        let id = self.id();
        match call {
            ApiCall::CreateRepository {
                repository: name,
                image_tag_mutability,
                image_tag_mutability_exclusions,
                scan_on_push,
                encryption,
                tags,
                ..
            } => {
                if self.state.repositories.contains_key(name) {
                    return Err(ecr_error::repository_already_exists(&id, name));
                }
                let mode = image_tag_mutability.unwrap_or(TagMutability::Mutable);
                check_exclusions(mode, image_tag_mutability_exclusions)?;
                check_tags(tags)?;
                let created = RepositoryState {
                    image_tag_mutability: Some(mode),
                    image_tag_mutability_exclusions: Some(image_tag_mutability_exclusions.clone()),
                    scan_on_push: Some(scan_on_push.unwrap_or(false)),
                    encryption: Some(reported_encryption(&id, encryption.as_ref())?),
                    tags: Some(tags.clone()),
                    lifecycle_policy: Setting::Absent,
                    repository_policy: Setting::Absent,
                    force_delete: false,
                    image_count: None,
                };
                self.image_counts.remove(name);
                self.state.repositories.insert(name.clone(), created);
            }
            ApiCall::PutImageTagMutability {
                repository: name,
                image_tag_mutability,
                image_tag_mutability_exclusions,
            } => {
                check_exclusions(*image_tag_mutability, image_tag_mutability_exclusions)?;
                let stored = self.existing(name)?;
                stored.image_tag_mutability = Some(*image_tag_mutability);
                stored.image_tag_mutability_exclusions =
                    Some(image_tag_mutability_exclusions.clone());
            }
            ApiCall::PutImageScanningConfiguration {
                repository: name,
                scan_on_push,
            } => {
                self.existing(name)?.scan_on_push = Some(*scan_on_push);
            }
            ApiCall::TagResource {
                repository: name,
                tags,
            } => {
                let stored = self.existing(name)?;
                check_tags(tags)?;
                let mut merged = stored.tags.clone().unwrap_or_default();
                merged.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
                check_tag_count(&merged)?;
                stored.tags = Some(merged);
            }
            ApiCall::UntagResource {
                repository: name,
                keys,
            } => {
                // ECR accepts keys the repository does not carry.
                if let Some(tags) = &mut self.existing(name)?.tags {
                    for key in keys {
                        tags.remove(key);
                    }
                }
            }
            ApiCall::PutLifecyclePolicy {
                repository: name,
                text,
            } => {
                let stored = self.existing(name)?;
                stored.lifecycle_policy = Setting::Present(parse_lifecycle_policy(text)?);
            }
            ApiCall::DeleteLifecyclePolicy { repository: name } => {
                let stored = self.existing(name)?;
                if stored.lifecycle_policy.present().is_none() {
                    return Err(ecr_error::lifecycle_policy_not_found(&id, name));
                }
                stored.lifecycle_policy = Setting::Absent;
            }
            ApiCall::SetRepositoryPolicy {
                repository: name,
                text,
            } => {
                let stored = self.existing(name)?;
                stored.repository_policy =
                    Setting::Present(parse_repository_policy(text, id.region.partition())?);
            }
            ApiCall::DeleteRepositoryPolicy { repository: name } => {
                let stored = self.existing(name)?;
                if stored.repository_policy.present().is_none() {
                    return Err(ecr_error::repository_policy_not_found(&id, name));
                }
                stored.repository_policy = Setting::Absent;
            }
            ApiCall::DeleteRepository {
                repository: name,
                force,
            } => {
                self.existing(name)?;
                if self.image_counts.get(name).is_some_and(|&count| count > 0) && !force {
                    return Err(ecr_error::repository_not_empty(&id, name));
                }
                self.state.repositories.remove(name);
                self.image_counts.remove(name);
            }
            ApiCall::PutReplicationConfiguration { .. }
            | ApiCall::PutRegistryPolicy { .. }
            | ApiCall::DeleteRegistryPolicy
            | ApiCall::PutRegistryScanningConfiguration { .. }
            | ApiCall::CreatePullThroughCacheRule { .. }
            | ApiCall::UpdatePullThroughCacheRule { .. }
            | ApiCall::DeletePullThroughCacheRule { .. }
            | ApiCall::CreateRepositoryCreationTemplate { .. }
            | ApiCall::UpdateRepositoryCreationTemplate { .. }
            | ApiCall::DeleteRepositoryCreationTemplate { .. }
            | ApiCall::PutAccountSetting { .. }
            | ApiCall::PutSigningConfiguration { .. }
            | ApiCall::DeleteSigningConfiguration
            | ApiCall::RegisterPullTimeUpdateExclusion { .. }
            | ApiCall::DeregisterPullTimeUpdateExclusion { .. } => {
                self.execute_registry_wide(call)?
            }
        }
        Ok(())
    }

    /// The stored repository a write acts on; a missing one is ECR's
    /// RepositoryNotFoundException.
    fn existing(&mut self, name: &RepositoryName) -> Result<&mut RepositoryState, RegistryError> {
        let id = self.id();
        self.state
            .repositories
            .get_mut(name)
            .ok_or_else(|| ecr_error::repository_not_found(&id, name))
    }
}

/// Exclusion filters are required exactly for the `_WITH_EXCLUSION` modes: 1 to 5 WILDCARD
/// filters of `[0-9a-zA-Z._*-]{1,128}`.
fn check_exclusions(mode: TagMutability, exclusions: &[String]) -> Result<(), RegistryError> {
    let parameter = "imageTagMutabilityExclusionFilters";
    if !mode.takes_exclusions() {
        return if exclusions.is_empty() {
            Ok(())
        } else {
            Err(ecr_error::invalid_parameter(
                parameter,
                &format!("exclusion filters are not allowed with {mode}"),
            ))
        };
    }
    if exclusions.is_empty() || exclusions.len() > EXCLUSION_FILTERS_MAX {
        return Err(ecr_error::invalid_parameter(
            parameter,
            &format!("{mode} needs 1 to {EXCLUSION_FILTERS_MAX} exclusion filters"),
        ));
    }
    let valid_filter = |filter: &String| {
        (1..=EXCLUSION_FILTER_MAX_CHARS).contains(&filter.len())
            && filter
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._*-".contains(&b))
    };
    match exclusions.iter().find(|filter| !valid_filter(filter)) {
        Some(filter) => Err(ecr_error::invalid_parameter(
            parameter,
            &format!("filter {filter:?} must match ^[0-9a-zA-Z._*-]{{1,128}}$"),
        )),
        None => Ok(()),
    }
}

/// Tags a client may write: no `aws:` keys, keys and values within ECR's lengths, and at most
/// [`TAG_LIMIT`] of them.
fn check_tags(tags: &Tags) -> Result<(), RegistryError> {
    for (key, value) in tags {
        if key.starts_with("aws:") {
            return Err(ecr_error::invalid_tag_parameter(&format!(
                "Tag key {key:?} uses the prefix 'aws:', which is reserved for AWS use"
            )));
        }
        if key.is_empty() || key.chars().count() > TAG_KEY_MAX_CHARS {
            return Err(ecr_error::invalid_tag_parameter(&format!(
                "Tag key {key:?} must be 1 to {TAG_KEY_MAX_CHARS} characters"
            )));
        }
        if value.chars().count() > TAG_VALUE_MAX_CHARS {
            return Err(ecr_error::invalid_tag_parameter(&format!(
                "The value of tag {key:?} must be at most {TAG_VALUE_MAX_CHARS} characters"
            )));
        }
    }
    check_tag_count(tags)
}

fn check_tag_count(tags: &Tags) -> Result<(), RegistryError> {
    let count = tags.keys().filter(|key| !key.starts_with("aws:")).count();
    if count > TAG_LIMIT {
        Err(ecr_error::too_many_tags(count))
    } else {
        Ok(())
    }
}

/// The encryption DescribeRepositories reports for a repository created with `requested`:
/// AES256 by default, and for KMS the key ARN whatever form the key was given in (the
/// AWS-managed `aws/ecr` key when none was).
fn reported_encryption(
    registry: &RegistryId,
    requested: Option<&Encryption>,
) -> Result<Encryption, RegistryError> {
    let Some(requested) = requested else {
        return Ok(Encryption::aes256());
    };
    match (requested.kind, requested.kms_key.as_deref()) {
        (EncryptionType::Aes256, None) => Ok(Encryption::aes256()),
        (EncryptionType::Aes256, Some(_)) => Err(ecr_error::invalid_parameter(
            "encryptionConfiguration",
            "a KMS key can only be given with the KMS or KMS_DSSE encryption types",
        )),
        (kind, key) => Ok(Encryption {
            kind,
            kms_key: Some(key_arn(registry, key.unwrap_or(AWS_MANAGED_KEY_ALIAS))),
        }),
    }
}

/// The key ARN KMS resolves a key id, key ARN, alias name or alias ARN to. There is no KMS
/// here, so an alias stands for a key whose id is derived from the alias name: the same alias
/// always gives the same key.
fn key_arn(registry: &RegistryId, key: &str) -> String {
    let resource = key
        .strip_prefix("arn:")
        .and_then(|rest| rest.splitn(5, ':').nth(4))
        .unwrap_or(key);
    if key.starts_with("arn:") && resource.starts_with("key/") {
        return key.to_owned();
    }
    let key_id = match resource.strip_prefix("alias/") {
        Some(alias) => key_id_for_alias(alias),
        None => resource.to_owned(),
    };
    format!(
        "arn:{}:kms:{}:{}:key/{key_id}",
        registry.region.partition().as_str(),
        registry.region,
        registry.account
    )
}

/// A stable key id in KMS's UUID shape, derived from an alias name (FNV-1a, twice seeded).
fn key_id_for_alias(alias: &str) -> String {
    let fnv = |seed: u64| {
        alias.bytes().fold(seed, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let high = fnv(0xcbf2_9ce4_8422_2325);
    let low = fnv(0x8422_2325_cbf2_9ce4);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// Parses a policy's text the way ECR reads it back: bare account-id principals rewritten to
/// root ARNs of the registry's `partition`, and the policy canonical there. `invalid` is the
/// operation's answer for a document it cannot accept.
fn parse_policy(
    text: &str,
    partition: Partition,
    invalid: impl Fn() -> RegistryError,
) -> Result<IamPolicy, RegistryError> {
    if text.chars().count() > REPOSITORY_POLICY_MAX_CHARS {
        return Err(ecr_error::invalid_parameter(
            "policyText",
            &format!("Member must have length less than or equal to {REPOSITORY_POLICY_MAX_CHARS}"),
        ));
    }
    let policy = IamPolicy::from_json_text(text).map_err(|_| invalid())?;
    IamPolicy::from_value_in(rewrite_principals(policy.document(), partition), partition)
        .map_err(|_| invalid())
}

/// Parses SetRepositoryPolicy's text and keeps it the way GetRepositoryPolicy gives it back:
/// bare account-id principals rewritten to root ARNs of the registry's `partition`.
fn parse_repository_policy(text: &str, partition: Partition) -> Result<IamPolicy, RegistryError> {
    parse_policy(text, partition, ecr_error::invalid_repository_policy)
}

/// Parses PutLifecyclePolicy's text and keeps it the way GetLifecyclePolicy gives it back:
/// rules ordered by priority.
fn parse_lifecycle_policy(text: &str) -> Result<LifecyclePolicy, RegistryError> {
    if !LIFECYCLE_POLICY_CHARS.contains(&text.chars().count()) {
        return Err(ecr_error::invalid_parameter(
            "lifecyclePolicyText",
            &format!(
                "Member must have length between {} and {}",
                LIFECYCLE_POLICY_CHARS.start(),
                LIFECYCLE_POLICY_CHARS.end()
            ),
        ));
    }
    let policy = LifecyclePolicy::from_json_text(text)
        .map_err(|error| ecr_error::invalid_lifecycle_policy(&error.to_string()))?;
    LifecyclePolicy::from_value(sort_rules_by_priority(policy.document()))
        .map_err(|error| ecr_error::invalid_lifecycle_policy(&error.to_string()))
}

/// ECR stores bare account ids in `Principal`/`NotPrincipal` `AWS` entries as root ARNs of the
/// registry's partition.
fn rewrite_principals(document: &Value, partition: Partition) -> Value {
    let mut document = document.clone();
    let statements: Vec<&mut Value> = match document.get_mut("Statement") {
        Some(Value::Array(statements)) => statements.iter_mut().collect(),
        Some(statement @ Value::Object(_)) => vec![statement],
        _ => Vec::new(),
    };
    for statement in statements {
        for key in ["Principal", "NotPrincipal"] {
            if let Some(aws) = statement.get_mut(key).and_then(|p| p.get_mut("AWS")) {
                rewrite_account_ids(aws, partition);
            }
        }
    }
    document
}

fn rewrite_account_ids(value: &mut Value, partition: Partition) {
    match value {
        Value::String(principal)
            if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) =>
        {
            *principal = partition.root_arn(principal);
        }
        Value::Array(principals) => principals
            .iter_mut()
            .for_each(|principal| rewrite_account_ids(principal, partition)),
        _ => {}
    }
}

fn sort_rules_by_priority(document: &Value) -> Value {
    let mut document = document.clone();
    if let Some(Value::Array(rules)) = document.get_mut("rules") {
        rules.sort_by_key(|rule| rule.get("rulePriority").and_then(Value::as_u64));
    }
    document
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use ecrform_plan::{Aspects, ErrorKind, Missing};

    use super::*;
    use crate::fixtures::{ACCOUNT, REGISTRY, name, registry_id};

    fn create(raw: &str) -> ApiCall {
        ApiCall::CreateRepository {
            repository: name(raw),
            image_tag_mutability: None,
            image_tag_mutability_exclusions: Vec::new(),
            scan_on_push: None,
            encryption: None,
            tags: Tags::new(),
        }
    }

    fn lifecycle_text() -> String {
        json!({"rules": [
            {"rulePriority": 2, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100}, "action": {"type": "expire"}},
            {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}, "action": {"type": "expire"}}
        ]})
        .to_string()
    }

    fn policy_text() -> String {
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow",
            "Principal": {"AWS": ["210987654321"]}, "Action": "ecr:BatchGetImage"}]})
        .to_string()
    }

    /// A registry holding `app` with three images.
    fn registry_with_app() -> StoredRegistry {
        let mut stored = StoredRegistry::new(registry_id(REGISTRY));
        stored.insert_repository(
            name("app"),
            RepositoryState {
                image_count: Some(3),
                ..RepositoryState::default()
            },
        );
        stored
    }

    #[test]
    fn refused_writes_answer_with_ecr_codes_and_change_nothing() {
        let missing = name("missing");
        let cases: Vec<(&str, ApiCall, ErrorKind, &str)> = vec![
            (
                "create over an existing repository",
                create("app"),
                ErrorKind::AlreadyExists,
                "RepositoryAlreadyExistsException",
            ),
            (
                "write to a missing repository",
                ApiCall::PutImageScanningConfiguration {
                    repository: missing.clone(),
                    scan_on_push: true,
                },
                ErrorKind::NotFound(Missing::Repository),
                "RepositoryNotFoundException",
            ),
            (
                "delete of a missing repository",
                ApiCall::DeleteRepository {
                    repository: missing,
                    force: true,
                },
                ErrorKind::NotFound(Missing::Repository),
                "RepositoryNotFoundException",
            ),
            (
                "delete of a repository with images",
                ApiCall::DeleteRepository {
                    repository: name("app"),
                    force: false,
                },
                ErrorKind::RepositoryNotEmpty,
                "RepositoryNotEmptyException",
            ),
            (
                "delete of an absent lifecycle policy",
                ApiCall::DeleteLifecyclePolicy {
                    repository: name("app"),
                },
                ErrorKind::NotFound(Missing::LifecyclePolicy),
                "LifecyclePolicyNotFoundException",
            ),
            (
                "delete of an absent repository policy",
                ApiCall::DeleteRepositoryPolicy {
                    repository: name("app"),
                },
                ErrorKind::NotFound(Missing::RepositoryPolicy),
                "RepositoryPolicyNotFoundException",
            ),
            (
                "unparseable repository policy",
                ApiCall::SetRepositoryPolicy {
                    repository: name("app"),
                    text: "{".repeat(120),
                },
                // ECR's words for it are the ones it also uses while IAM propagates.
                ErrorKind::PolicyRejected,
                "InvalidParameterException",
            ),
            (
                "lifecycle policy shorter than ECR accepts",
                ApiCall::PutLifecyclePolicy {
                    repository: name("app"),
                    text: r#"{"rules":[]}"#.into(),
                },
                ErrorKind::Invalid,
                "InvalidParameterException",
            ),
            (
                "exclusions with a mode that takes none",
                ApiCall::PutImageTagMutability {
                    repository: name("app"),
                    image_tag_mutability: TagMutability::Immutable,
                    image_tag_mutability_exclusions: vec!["latest".into()],
                },
                ErrorKind::Invalid,
                "InvalidParameterException",
            ),
            (
                "exclusion mode without filters",
                ApiCall::PutImageTagMutability {
                    repository: name("app"),
                    image_tag_mutability: TagMutability::ImmutableWithExclusion,
                    image_tag_mutability_exclusions: Vec::new(),
                },
                ErrorKind::Invalid,
                "InvalidParameterException",
            ),
            (
                "reserved tag key",
                ApiCall::TagResource {
                    repository: name("app"),
                    tags: Tags::from([("aws:x".into(), "y".into())]),
                },
                ErrorKind::Invalid,
                "InvalidTagParameterException",
            ),
            (
                "more than fifty tags",
                ApiCall::TagResource {
                    repository: name("app"),
                    tags: (0..51).map(|i| (format!("k{i}"), String::new())).collect(),
                },
                ErrorKind::Invalid,
                "TooManyTagsException",
            ),
        ];
        for (case, call, kind, code) in cases {
            let mut stored = registry_with_app();
            let before = stored.state.clone();
            let error = stored.execute(&call).unwrap_err();
            assert_eq!(
                (error.kind, error.code.as_str()),
                (kind, code),
                "{case}: {error}"
            );
            assert_eq!(stored.state, before, "{case}");
        }
    }

    #[test]
    fn delete_with_force_removes_a_repository_that_holds_images() {
        let mut stored = registry_with_app();
        stored
            .execute(&ApiCall::DeleteRepository {
                repository: name("app"),
                force: true,
            })
            .unwrap();
        assert!(stored.state.repositories.is_empty());
        assert!(stored.image_counts.is_empty());
    }

    #[test]
    fn tag_resource_adds_and_overwrites_and_untag_removes_only_named_keys() {
        let mut stored = registry_with_app();
        let app = name("app");
        let tag = |pairs: &[(&str, &str)]| -> Tags {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        stored
            .execute(&ApiCall::TagResource {
                repository: app.clone(),
                tags: tag(&[("a", "1"), ("b", "1")]),
            })
            .unwrap();
        stored
            .execute(&ApiCall::TagResource {
                repository: app.clone(),
                tags: tag(&[("b", "2"), ("c", "2")]),
            })
            .unwrap();
        stored
            .execute(&ApiCall::UntagResource {
                repository: app.clone(),
                keys: vec!["a".into(), "never-set".into()],
            })
            .unwrap();
        assert_eq!(
            stored.state.repositories[&app].tags,
            Some(tag(&[("b", "2"), ("c", "2")]))
        );
    }

    #[test]
    fn created_repository_reads_back_with_ecr_defaults() {
        let mut stored = StoredRegistry::new(registry_id(REGISTRY));
        stored.execute(&create("fresh")).unwrap();
        let view = stored.view(&ReadScope::default());
        let fresh = &view.repositories[&name("fresh")];
        assert_eq!(fresh.image_tag_mutability, Some(TagMutability::Mutable));
        assert_eq!(fresh.image_tag_mutability_exclusions, Some(Vec::new()));
        assert_eq!(fresh.scan_on_push, Some(false));
        assert_eq!(fresh.encryption, Some(Encryption::aes256()));
    }

    #[test]
    fn read_reports_only_the_aspects_the_scope_asks_for() {
        let mut stored = registry_with_app();
        stored.insert_repository(name("other"), RepositoryState::default());
        let in_scope = |aspects| ReadScope {
            repositories: BTreeMap::from([(name("app"), aspects)]),
            other_repositories: Aspects::default(),
            only_named: false,
            registry: Default::default(),
            kms_keys: Default::default(),
        };

        let view = stored.view(&in_scope(Aspects {
            lifecycle_policy: true,
            ..Aspects::default()
        }));
        let app = &view.repositories[&name("app")];
        assert_eq!(
            (app.tags.is_some(), &app.lifecycle_policy),
            (false, &Setting::Absent)
        );
        assert!(app.repository_policy.is_unmanaged());
        assert_eq!(app.image_count, None);
        assert_eq!(view.repositories[&name("other")].tags, None);

        let mut scope = in_scope(Aspects::ALL);
        scope.other_repositories = Aspects {
            tags: true,
            ..Aspects::default()
        };
        let view = stored.view(&scope);
        assert_eq!(view.repositories[&name("other")].tags, Some(Tags::new()));
        assert!(
            view.repositories[&name("other")]
                .lifecycle_policy
                .is_unmanaged()
        );
        assert_eq!(
            view.repositories[&name("app")].repository_policy,
            Setting::Absent
        );
    }

    #[test]
    fn policies_read_back_rewritten_as_ecr_rewrites_them_and_compare_equal() {
        let mut stored = registry_with_app();
        let app = name("app");
        stored
            .execute(&ApiCall::SetRepositoryPolicy {
                repository: app.clone(),
                text: policy_text(),
            })
            .unwrap();
        stored
            .execute(&ApiCall::PutLifecyclePolicy {
                repository: app.clone(),
                text: lifecycle_text(),
            })
            .unwrap();

        let repository = &stored.state.repositories[&app];
        let policy = repository.repository_policy.present().unwrap();
        assert_eq!(
            policy.document()["Statement"][0]["Principal"]["AWS"],
            json!(["arn:aws:iam::210987654321:root"])
        );
        assert_eq!(policy, &IamPolicy::from_json_text(&policy_text()).unwrap());
        let lifecycle = repository.lifecycle_policy.present().unwrap();
        assert_eq!(lifecycle.document()["rules"][0]["rulePriority"], json!(1));
        assert_eq!(
            lifecycle,
            &LifecyclePolicy::from_json_text(&lifecycle_text()).unwrap()
        );
    }

    #[test]
    fn a_gov_cloud_registry_rewrites_bare_account_ids_to_gov_cloud_roots() {
        let gov = RegistryId::parse(&format!("{ACCOUNT}/us-gov-west-1")).unwrap();
        let mut stored = StoredRegistry::new(gov);
        let app = name("app");
        stored.execute(&create("app")).unwrap();
        stored
            .execute(&ApiCall::SetRepositoryPolicy {
                repository: app.clone(),
                text: policy_text(),
            })
            .unwrap();
        stored
            .execute(&ApiCall::PutRegistryPolicy {
                text: policy_text(),
            })
            .unwrap();

        let partition = Partition::AwsUsGov;
        let written = IamPolicy::from_json_text(&policy_text())
            .unwrap()
            .for_partition(partition);
        let policy = stored.state.repositories[&app]
            .repository_policy
            .present()
            .unwrap();
        assert_eq!(
            policy.document()["Statement"][0]["Principal"]["AWS"],
            json!(["arn:aws-us-gov:iam::210987654321:root"])
        );
        assert_eq!(policy, &written);
        assert_eq!(stored.state.registry_policy.present().unwrap(), &written);
    }

    #[test]
    fn kms_keys_are_reported_as_key_arns_whatever_form_was_given() {
        let id = registry_id(REGISTRY);
        let key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let kms = |key: Option<&str>| Encryption {
            kind: EncryptionType::Kms,
            kms_key: key.map(str::to_owned),
        };
        let cases = [
            kms(None),
            kms(Some(key_arn)),
            kms(Some("1234abcd-12ab-34cd-56ef-1234567890ab")),
            kms(Some("alias/ecr")),
            kms(Some("arn:aws:kms:us-east-1:123456789012:alias/ecr")),
        ];
        for requested in cases {
            let reported = reported_encryption(&id, Some(&requested)).unwrap();
            let reported_key = reported.kms_key.clone().unwrap();
            assert!(
                reported_key.starts_with("arn:aws:kms:us-east-1:123456789012:key/"),
                "{requested:?} -> {reported_key}"
            );
            let mut keys = ecrform_model::KmsKeys::new();
            if let Some(reference) = requested.key_to_resolve() {
                keys.insert(reference.clone(), Some(super::key_arn(&id, &reference)));
            }
            assert!(
                requested.is_satisfied_by(&reported, &keys),
                "{requested:?} -> {reported_key}"
            );
        }
        assert_eq!(
            reported_encryption(&id, Some(&kms(Some(key_arn))))
                .unwrap()
                .kms_key
                .as_deref(),
            Some(key_arn)
        );
        assert_eq!(
            reported_encryption(&id, Some(&kms(Some("alias/ecr")))).unwrap(),
            reported_encryption(
                &id,
                Some(&kms(Some("arn:aws:kms:us-east-1:123456789012:alias/ecr")))
            )
            .unwrap(),
        );
        assert!(
            reported_encryption(
                &id,
                Some(&Encryption {
                    kind: EncryptionType::Aes256,
                    kms_key: Some(key_arn.into())
                })
            )
            .is_err()
        );
    }
}
