//! The ids, names, documents and states that tests build their scenarios from.
//!
//! Before this module every test file spelled its own `registry_id()`, `name()`, `tags()`,
//! "expire untagged after N days" policy and `DesiredState { registries: vec![..] }`, each a
//! little differently. Here each is defined once, so that a test reads as the scenario it sets
//! up (`RepositoryBuilder::new().mutability(TagMutability::Immutable).scan_on_push(true)`)
//! rather than as the layout of a struct, and a change to the model is made in one place.
//!
//! Everything here produces ecrform-model types (and `serde_json` values), never a type of
//! ecrform-plan: the planner's own unit tests use these fixtures through a dev-dependency, and
//! a plan type from here would be a second copy of the crate under test. Fixtures panic on
//! invalid input, naming it: a fixture that cannot be built is a broken test.

use std::collections::BTreeMap;
use std::fmt::Display;

use serde_json::{Value, json};

use ecrform_model::{
    AccountId, AccountSettingName, AccountSettings, Address, DesiredRegistry, DesiredState,
    Encryption, EncryptionType, IamPolicy, LifecyclePolicy, OWNERSHIP_TAG_KEY, OWNERSHIP_TAG_VALUE,
    OwnerId, PullThroughCacheRule, Region, RegistryId, RegistryState, Replication,
    ReplicationDestination, ReplicationRule, RepositoryName, RepositoryState, ScanFrequency,
    ScanRule, ScanType, Scanning, Setting, TagMutability, Tags,
};

/// The account most tests manage (also the emulator's default account).
pub const ACCOUNT: &str = "123456789012";
/// A second account: the one granted pulls, or replicated into.
pub const OTHER_ACCOUNT: &str = "210987654321";
/// The region of every registry unless a test says otherwise.
pub const REGION: &str = "us-east-1";
/// [`ACCOUNT`] in [`REGION`], written as `--registry` takes it.
pub const REGISTRY: &str = "123456789012/us-east-1";
/// The actions a cross-account pull needs.
pub const PULL_ACTIONS: [&str; 2] = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

// ---------------------------------------------------------------------------------------------
// Ids and names
// ---------------------------------------------------------------------------------------------

/// A registry id from `ACCOUNT/REGION`.
pub fn registry_id(raw: &str) -> RegistryId {
    RegistryId::parse(raw).unwrap_or_else(|error| panic!("fixture registry {raw:?}: {error}"))
}

/// The registry of `account` in [`REGION`].
pub fn registry_in(account: &str) -> RegistryId {
    registry_id(&format!("{account}/{REGION}"))
}

/// A repository name as the ECR API accepts it (not only as the spec does: live state may
/// hold names the spec rejects).
pub fn name(raw: &str) -> RepositoryName {
    RepositoryName::parse(raw).unwrap_or_else(|error| panic!("fixture name {raw:?}: {error}"))
}

/// The address `REGISTRY/KIND/NAME` as plans and reports print it, e.g.
/// `address(REGISTRY, "repository/team-a/api")` or `address(&id, "replication")`.
pub fn address(registry: impl Display, kind_and_name: &str) -> String {
    let raw = format!("{registry}/{kind_and_name}");
    match Address::parse(&raw) {
        Ok(address) => address.to_string(),
        Err(error) => panic!("fixture address {raw:?}: {error}"),
    }
}

/// Tags from `(key, value)` pairs.
pub fn tags<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Tags {
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

/// KMS encryption with `key` (an ARN, a key id or an alias).
pub fn kms(key: &str) -> Encryption {
    Encryption {
        kind: EncryptionType::Kms,
        kms_key: Some(key.to_owned()),
    }
}

// ---------------------------------------------------------------------------------------------
// Policy documents
// ---------------------------------------------------------------------------------------------

/// An IAM policy (repository or registry policy) from its document.
pub fn iam_policy(document: Value) -> IamPolicy {
    IamPolicy::from_value(document.clone())
        .unwrap_or_else(|error| panic!("fixture IAM policy {document}: {error}"))
}

/// A lifecycle policy from its document.
pub fn lifecycle_policy(document: Value) -> LifecyclePolicy {
    LifecyclePolicy::from_value(document.clone())
        .unwrap_or_else(|error| panic!("fixture lifecycle policy {document}: {error}"))
}

/// A repository policy letting `principal` pull: one `Allow` statement, Sid `pull`, with
/// [`PULL_ACTIONS`]. Given a bare account id, as a spec may write it, ECR stores the root ARN
/// instead; the planner must see the two as the same policy.
pub fn pull_policy(principal: &str) -> IamPolicy {
    iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "pull", "Effect": "Allow",
                       "Principal": {"AWS": principal},
                       "Action": PULL_ACTIONS}]
    }))
}

/// A lifecycle policy of one rule: expire untagged images `days` after they were pushed.
pub fn expire_untagged_after(days: u32) -> LifecyclePolicy {
    LifecycleBuilder::new().expire_untagged_after(days).build()
}

/// A lifecycle policy of one rule: keep the `count` most recent images, tagged or not.
pub fn keep_images(count: u32) -> LifecyclePolicy {
    LifecycleBuilder::new().keep_images(count).build()
}

/// A lifecycle policy of several rules, numbered by priority in the order they are added.
#[derive(Debug, Clone, Default)]
pub struct LifecycleBuilder {
    rules: Vec<Value>,
}

impl LifecycleBuilder {
    pub fn new() -> Self {
        LifecycleBuilder::default()
    }

    /// Expires untagged images `days` after they were pushed (described "expire untagged
    /// images").
    pub fn expire_untagged_after(self, days: u32) -> Self {
        self.rule(
            Some("expire untagged images"),
            json!({"tagStatus": "untagged", "countType": "sinceImagePushed",
                   "countUnit": "days", "countNumber": days}),
        )
    }

    /// Keeps the `count` most recent images, tagged or not.
    pub fn keep_images(self, count: u32) -> Self {
        self.rule(
            None,
            json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": count}),
        )
    }

    /// Keeps the `count` most recent images whose tags start with one of `prefixes`.
    pub fn keep_tagged(self, count: u32, prefixes: &[&str]) -> Self {
        self.rule(
            None,
            json!({"tagStatus": "tagged", "tagPrefixList": prefixes,
                   "countType": "imageCountMoreThan", "countNumber": count}),
        )
    }

    fn rule(mut self, description: Option<&str>, selection: Value) -> Self {
        let mut rule = json!({
            "rulePriority": self.rules.len() + 1,
            "selection": selection,
            "action": {"type": "expire"}
        });
        if let Some(description) = description {
            rule["description"] = json!(description);
        }
        self.rules.push(rule);
        self
    }

    /// The document, as a spec or ECR would hold it.
    pub fn document(&self) -> Value {
        json!({"rules": self.rules})
    }

    pub fn build(self) -> LifecyclePolicy {
        lifecycle_policy(self.document())
    }
}

// ---------------------------------------------------------------------------------------------
// Repositories
// ---------------------------------------------------------------------------------------------

/// A repository's state, desired or live. It starts with every setting unmanaged (what a spec
/// entry with no settings means); each call manages one setting.
#[derive(Debug, Clone, Default)]
pub struct RepositoryBuilder {
    state: RepositoryState,
}

impl RepositoryBuilder {
    pub fn new() -> Self {
        RepositoryBuilder::default()
    }

    /// The tag mutability mode, leaving the exclusion filters as they are.
    pub fn mutability(mut self, mode: TagMutability) -> Self {
        self.state.image_tag_mutability = Some(mode);
        self
    }

    /// The exclusion filters of the mutability mode.
    pub fn exclusions<'a>(mut self, filters: impl IntoIterator<Item = &'a str>) -> Self {
        self.state.image_tag_mutability_exclusions =
            Some(filters.into_iter().map(str::to_owned).collect());
        self
    }

    /// No exclusion filters, managed: what ECR reports for a mode without exclusions.
    pub fn no_exclusions(self) -> Self {
        self.exclusions([])
    }

    pub fn scan_on_push(mut self, enabled: bool) -> Self {
        self.state.scan_on_push = Some(enabled);
        self
    }

    pub fn encryption(mut self, encryption: Encryption) -> Self {
        self.state.encryption = Some(encryption);
        self
    }

    /// Manages the tags and adds `pairs` to them; `tags([])` manages an empty set.
    pub fn tags<'a>(mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.state
            .tags
            .get_or_insert_with(Tags::new)
            .extend(tags(pairs));
        self
    }

    /// Adds the ownership tag: ecrform created this repository, so prune may delete it.
    /// Created by a spec that declares no owner id (the legacy owner).
    pub fn owned(self) -> Self {
        self.tags([(OWNERSHIP_TAG_KEY, OWNERSHIP_TAG_VALUE)])
    }

    /// Created by the spec whose owner id is `owner`.
    pub fn owned_by(self, owner: &str) -> Self {
        self.tags([(OWNERSHIP_TAG_KEY, owner)])
    }

    pub fn lifecycle_policy(mut self, policy: LifecyclePolicy) -> Self {
        self.state.lifecycle_policy = Setting::Present(policy);
        self
    }

    /// No lifecycle policy, managed (`lifecycle: none` in a spec).
    pub fn no_lifecycle_policy(mut self) -> Self {
        self.state.lifecycle_policy = Setting::Absent;
        self
    }

    pub fn repository_policy(mut self, policy: IamPolicy) -> Self {
        self.state.repository_policy = Setting::Present(policy);
        self
    }

    /// No repository policy, managed (`policy: none` in a spec).
    pub fn no_repository_policy(mut self) -> Self {
        self.state.repository_policy = Setting::Absent;
        self
    }

    /// Desired only: the spec allows deleting the repository while it holds images.
    pub fn force_delete(mut self) -> Self {
        self.state.force_delete = true;
        self
    }

    /// Live only: the repository holds `count` images.
    pub fn images(mut self, count: u64) -> Self {
        self.state.image_count = Some(count);
        self
    }

    pub fn build(self) -> RepositoryState {
        self.state
    }
}

impl From<RepositoryBuilder> for RepositoryState {
    fn from(builder: RepositoryBuilder) -> Self {
        builder.build()
    }
}

// ---------------------------------------------------------------------------------------------
// Registry-wide settings
// ---------------------------------------------------------------------------------------------

/// A replication destination: `account` in `region`.
pub fn destination(account: &str, region: &str) -> ReplicationDestination {
    ReplicationDestination {
        region: Region::parse(region)
            .unwrap_or_else(|error| panic!("fixture region {region:?}: {error}")),
        account: AccountId::parse(account)
            .unwrap_or_else(|error| panic!("fixture account {account:?}: {error}")),
    }
}

/// A replication rule to `(account, region)` destinations, for repositories starting with
/// one of `filters` (every repository when there are none).
pub fn replication_rule(destinations: &[(&str, &str)], filters: &[&str]) -> ReplicationRule {
    ReplicationRule {
        destinations: destinations
            .iter()
            .map(|(account, region)| destination(account, region))
            .collect(),
        repository_filters: filters.iter().map(|filter| (*filter).to_owned()).collect(),
    }
}

/// A replication configuration of `rules`.
pub fn replication(rules: impl IntoIterator<Item = ReplicationRule>) -> Replication {
    Replication {
        rules: rules.into_iter().collect(),
    }
}

/// A scanning configuration: its type and `(frequency, filters)` rules.
pub fn scanning(scan_type: ScanType, rules: &[(ScanFrequency, &[&str])]) -> Scanning {
    Scanning {
        scan_type,
        rules: rules
            .iter()
            .map(|(frequency, filters)| ScanRule {
                frequency: *frequency,
                filters: filters.iter().map(|filter| (*filter).to_owned()).collect(),
            })
            .collect(),
    }
}

/// A pull-through cache rule as a spec writes it: the upstream and its credential, nothing
/// ECR derives or defaults.
pub fn cache_rule(upstream_url: &str, credential_arn: Option<&str>) -> PullThroughCacheRule {
    PullThroughCacheRule {
        upstream_url: upstream_url.to_owned(),
        upstream_registry: None,
        credential_arn: credential_arn.map(str::to_owned),
        custom_role_arn: None,
        upstream_repository_prefix: None,
    }
}

/// Pull-through cache rules or creation templates keyed by their prefix.
pub fn by_prefix<'a, T>(entries: impl IntoIterator<Item = (&'a str, T)>) -> BTreeMap<String, T> {
    entries
        .into_iter()
        .map(|(prefix, entry)| (prefix.to_owned(), entry))
        .collect()
}

/// Account settings from `(name, value)` pairs.
pub fn account_settings<'a>(
    pairs: impl IntoIterator<Item = (AccountSettingName, &'a str)>,
) -> AccountSettings {
    pairs
        .into_iter()
        .map(|(name, value)| (name, value.to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Registries and desired state
// ---------------------------------------------------------------------------------------------

/// A registry's state, desired or live. It starts with no repositories and every
/// registry-wide setting unmanaged (or, in live state, not read).
#[derive(Debug, Clone)]
pub struct RegistryBuilder {
    state: RegistryState,
}

impl RegistryBuilder {
    pub fn new(id: RegistryId) -> Self {
        RegistryBuilder {
            state: RegistryState::empty(id),
        }
    }

    /// Adds (or replaces) the repository `raw`.
    pub fn repository(mut self, raw: &str, repository: impl Into<RepositoryState>) -> Self {
        self.state.repositories.insert(name(raw), repository.into());
        self
    }

    /// Adds the repositories of `(name, state)` pairs.
    pub fn repositories<'a, R: Into<RepositoryState>>(
        self,
        repositories: impl IntoIterator<Item = (&'a str, R)>,
    ) -> Self {
        repositories
            .into_iter()
            .fold(self, |builder, (raw, repository)| {
                builder.repository(raw, repository)
            })
    }

    pub fn replication(mut self, replication: Replication) -> Self {
        self.state.replication = Setting::Present(replication);
        self
    }

    /// No replication, managed (`replication: none`; ECR reports it as no rules).
    pub fn no_replication(mut self) -> Self {
        self.state.replication = Setting::Absent;
        self
    }

    pub fn registry_policy(mut self, policy: IamPolicy) -> Self {
        self.state.registry_policy = Setting::Present(policy);
        self
    }

    /// No registry policy, managed (`registry_policy: none`).
    pub fn no_registry_policy(mut self) -> Self {
        self.state.registry_policy = Setting::Absent;
        self
    }

    pub fn scanning(mut self, scanning: Scanning) -> Self {
        self.state.scanning = Setting::Present(scanning);
        self
    }

    /// The exact set of pull-through cache rules, by prefix.
    pub fn pull_through_cache<'a>(
        mut self,
        rules: impl IntoIterator<Item = (&'a str, PullThroughCacheRule)>,
    ) -> Self {
        self.state.pull_through_cache = Some(by_prefix(rules));
        self
    }

    /// The exact set of repository creation templates, by prefix.
    pub fn creation_templates<'a>(
        mut self,
        templates: impl IntoIterator<Item = (&'a str, ecrform_model::CreationTemplate)>,
    ) -> Self {
        self.state.creation_templates = Some(by_prefix(templates));
        self
    }

    /// The named account settings (desired: only these are managed).
    pub fn account_settings<'a>(
        mut self,
        pairs: impl IntoIterator<Item = (AccountSettingName, &'a str)>,
    ) -> Self {
        self.state.account_settings = Some(account_settings(pairs));
        self
    }

    pub fn build(self) -> RegistryState {
        self.state
    }
}

impl From<RegistryBuilder> for RegistryState {
    fn from(builder: RegistryBuilder) -> Self {
        builder.build()
    }
}

/// What a spec asks for: one or more registries, each with its prune flag and the role to
/// reach it through.
#[derive(Debug, Clone, Default)]
pub struct DesiredBuilder {
    registries: Vec<DesiredRegistry>,
}

impl DesiredBuilder {
    pub fn new() -> Self {
        DesiredBuilder::default()
    }

    /// Adds a registry in `state`: without prune, reached with the default credentials.
    pub fn registry(mut self, state: impl Into<RegistryState>) -> Self {
        self.registries.push(DesiredRegistry {
            state: state.into(),
            role_arn: None,
            profile: None,
            prune: false,
            prune_force_delete: false,
            owner: OwnerId::legacy(),
            drift: Default::default(),
        });
        self
    }

    /// Declares `owner` as the owner id of the registry added last.
    pub fn owner(mut self, owner: &str) -> Self {
        self.last_registry().owner = OwnerId::parse(owner).unwrap_or_else(|e| panic!("{e}"));
        self
    }

    /// Sets `prune` on the registry added last.
    pub fn prune(mut self, prune: bool) -> Self {
        self.last_registry().prune = prune;
        self
    }

    /// Sets the drift rules of the registry added last.
    pub fn drift(mut self, drift: ecrform_model::DriftIgnores) -> Self {
        self.last_registry().drift = drift;
        self
    }

    /// Reaches the registry added last by assuming `role_arn`.
    pub fn role(mut self, role_arn: &str) -> Self {
        self.last_registry().role_arn = Some(role_arn.to_owned());
        self
    }

    fn last_registry(&mut self) -> &mut DesiredRegistry {
        self.registries
            .last_mut()
            .unwrap_or_else(|| panic!("add a registry before setting its prune flag or role"))
    }

    pub fn build(self) -> DesiredState {
        DesiredState {
            registries: self.registries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_start_with_nothing_managed() {
        assert_eq!(RepositoryBuilder::new().build(), RepositoryState::default());
        assert_eq!(
            RegistryBuilder::new(registry_id(REGISTRY)).build(),
            RegistryState::empty(registry_id(REGISTRY))
        );
        let desired = DesiredBuilder::new()
            .registry(RegistryBuilder::new(registry_id(REGISTRY)))
            .build();
        let registry = &desired.registries[0];
        assert_eq!(
            (registry.prune, &registry.role_arn, &registry.profile),
            (false, &None, &None)
        );
    }

    #[test]
    fn prune_and_role_apply_to_the_registry_added_last() {
        let desired = DesiredBuilder::new()
            .registry(RegistryBuilder::new(registry_in(ACCOUNT)))
            .registry(RegistryBuilder::new(registry_in(OTHER_ACCOUNT)))
            .prune(true)
            .role("arn:aws:iam::210987654321:role/ecrform")
            .build();
        let governance: Vec<(String, bool, Option<&str>)> = desired
            .registries
            .iter()
            .map(|registry| {
                (
                    registry.state.id().to_string(),
                    registry.prune,
                    registry.role_arn.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            governance,
            [
                (REGISTRY.to_owned(), false, None),
                (
                    "210987654321/us-east-1".to_owned(),
                    true,
                    Some("arn:aws:iam::210987654321:role/ecrform")
                ),
            ]
        );
    }

    #[test]
    fn tags_accumulate_and_owned_adds_the_ownership_tag() {
        let repository = RepositoryBuilder::new()
            .tags([("team", "a")])
            .owned()
            .tags([("team", "b"), ("env", "prod")])
            .build();
        assert_eq!(
            repository.tags,
            Some(tags([
                ("env", "prod"),
                (OWNERSHIP_TAG_KEY, OWNERSHIP_TAG_VALUE),
                ("team", "b")
            ]))
        );
        assert!(repository.is_owned());
        assert_eq!(
            RepositoryBuilder::new().tags([]).build().tags,
            Some(Tags::new())
        );
    }

    #[test]
    fn lifecycle_rules_are_numbered_in_the_order_they_are_added() {
        let policy = LifecycleBuilder::new()
            .expire_untagged_after(14)
            .keep_tagged(30, &["release", "v"])
            .keep_images(100)
            .build();
        let rules = policy.document()["rules"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let outline: Vec<(Value, Value, Value)> = rules
            .iter()
            .map(|rule| {
                (
                    rule["rulePriority"].clone(),
                    rule["selection"]["tagStatus"].clone(),
                    rule["selection"]["countNumber"].clone(),
                )
            })
            .collect();
        assert_eq!(
            outline,
            [
                (json!(1), json!("untagged"), json!(14)),
                (json!(2), json!("tagged"), json!(30)),
                (json!(3), json!("any"), json!(100)),
            ]
        );
        assert_eq!(
            expire_untagged_after(7),
            LifecycleBuilder::new().expire_untagged_after(7).build()
        );
    }

    #[test]
    fn a_pull_policy_for_a_bare_account_equals_the_one_ecr_stores() {
        let root = format!("arn:aws:iam::{OTHER_ACCOUNT}:root");
        assert_eq!(pull_policy(OTHER_ACCOUNT), pull_policy(&root));
        assert_ne!(pull_policy(OTHER_ACCOUNT), pull_policy(ACCOUNT));
    }

    #[test]
    fn addresses_are_checked_and_printed_as_plans_print_them() {
        assert_eq!(
            address(REGISTRY, "repository/team-a/api"),
            "123456789012/us-east-1/repository/team-a/api"
        );
        assert_eq!(
            address(registry_in(OTHER_ACCOUNT), "replication"),
            "210987654321/us-east-1/replication"
        );
    }

    /// End-to-end specs name the emulator's default registry; the fixtures' is the same.
    #[test]
    fn the_default_registry_is_the_emulators() {
        use crate::emulator;
        assert_eq!(
            REGISTRY,
            format!("{}/{}", emulator::DEFAULT_ACCOUNT_ID, emulator::REGION)
        );
        assert_eq!(registry_in(ACCOUNT), registry_id(REGISTRY));
    }

    #[test]
    #[should_panic(expected = "fixture address")]
    fn an_address_of_no_known_kind_is_refused() {
        address(REGISTRY, "repositry/team-a/api");
    }
}
