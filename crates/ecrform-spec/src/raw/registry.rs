//! Reading one entry of `registries`: its identity (`account`, `region`), how to reach it
//! (`role_arn`, `profile`), `prune`, its repositories and its registry-level settings.

use super::reader::{Field, OrNone, Reader, Spanned, field, is_null};
use super::registry_wide::{
    RawAccountSetting, RawCreationTemplate, RawPullThroughCacheRule, RawReplication, RawScanning,
    RawSigningConfiguration,
};
use super::settings::{REPOSITORY_KEYS, RawDocument, RawSettings};
use crate::report::FileId;
use crate::yaml::Node;

#[derive(Debug, Clone)]
pub(crate) struct RawRegistry {
    pub file: FileId,
    pub account: Option<Spanned<String>>,
    pub region: Option<Spanned<String>>,
    pub role_arn: Option<Field<String>>,
    pub profile: Option<Field<String>>,
    pub prune: Option<Field<RawPrune>>,
    pub repositories: Vec<RawRepository>,
    pub replication: Option<Field<OrNone<RawReplication>>>,
    pub registry_policy: Option<Field<OrNone<RawDocument>>>,
    pub scanning: Option<Field<OrNone<RawScanning>>>,
    pub pull_through_cache: Option<Field<OrNone<Vec<RawPullThroughCacheRule>>>>,
    pub creation_templates: Option<Field<OrNone<Vec<RawCreationTemplate>>>>,
    pub account_settings: Option<Field<OrNone<Vec<RawAccountSetting>>>>,
    pub signing_configuration: Option<Field<OrNone<RawSigningConfiguration>>>,
    pub pull_time_update_exclusions: Option<Field<OrNone<Vec<Spanned<String>>>>>,
    /// `ignore_unmanaged`: globs over repository names `drift` does not report as unmanaged.
    pub ignore_unmanaged: Vec<Spanned<String>>,
    /// `drift_ignore`: managed drift accepted for now, by address pattern, with a reason.
    pub drift_ignore: Vec<RawDriftIgnore>,
}

/// One `drift_ignore` entry: `{address: PATTERN, reason: TEXT}`.
#[derive(Debug, Clone)]
pub(crate) struct RawDriftIgnore {
    pub address: Spanned<String>,
    pub reason: Spanned<String>,
}

const DRIFT_IGNORE_KEYS: &[&str] = &["address", "reason"];

/// `prune: true|false`, or `prune: {enabled, force_delete}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawPrune {
    pub enabled: bool,
    /// Where `force_delete: true` was written, if it was.
    pub force_delete: Option<crate::yaml::Pos>,
}

pub(crate) const PRUNE_KEYS: &[&str] = &["enabled", "force_delete"];

#[derive(Debug, Clone)]
pub(crate) struct RawRepository {
    /// Located at the key.
    pub name: Spanned<String>,
    pub settings: RawSettings,
}

pub(crate) const REGISTRY_KEYS: &[&str] = &[
    "account",
    "region",
    "role_arn",
    "profile",
    "prune",
    "repositories",
    "replication",
    "registry_policy",
    "scanning",
    "pull_through_cache",
    "creation_templates",
    "account_settings",
    "signing_configuration",
    "pull_time_update_exclusions",
    "ignore_unmanaged",
    "drift_ignore",
];

impl Reader<'_> {
    pub(super) fn registry(&mut self, node: &Node) -> Option<RawRegistry> {
        let mut fields = self.fields(
            node,
            "a registry (a mapping with account, region and repositories)",
            REGISTRY_KEYS,
        )?;
        let mut registry = RawRegistry {
            file: self.file,
            account: None,
            region: None,
            role_arn: None,
            profile: None,
            prune: None,
            repositories: Vec::new(),
            replication: None,
            registry_policy: None,
            scanning: None,
            pull_through_cache: None,
            creation_templates: None,
            account_settings: None,
            signing_configuration: None,
            pull_time_update_exclusions: None,
            ignore_unmanaged: Vec::new(),
            drift_ignore: Vec::new(),
        };
        match fields.get("account") {
            Some(entry) => registry.account = self.account(&entry.value),
            None => self.missing(node.at, "account", "this registry"),
        }
        match fields.get("region") {
            Some(entry) => registry.region = self.string(&entry.value, "a region name"),
            None => self.missing(node.at, "region", "this registry"),
        }
        if let Some(entry) = fields.get("role_arn") {
            registry.role_arn = self.string_field(entry, "an IAM role ARN");
        }
        if let Some(entry) = fields.get("profile") {
            registry.profile = self.string_field(entry, "an AWS profile name");
        }
        if let Some(entry) = fields.get("prune") {
            registry.prune = self.prune(&entry.value).map(|value| field(entry, value));
        }
        if let Some(entry) = fields.get("repositories") {
            registry.repositories = self.repositories(&entry.value);
        }
        registry.replication = self.or_none_field(&mut fields, "replication", Self::replication);
        registry.registry_policy =
            self.or_none_field(&mut fields, "registry_policy", Self::document);
        registry.scanning = self.or_none_field(&mut fields, "scanning", Self::scanning);
        registry.pull_through_cache =
            self.or_none_field(&mut fields, "pull_through_cache", Self::pull_through_cache);
        registry.creation_templates =
            self.or_none_field(&mut fields, "creation_templates", Self::creation_templates);
        registry.account_settings =
            self.or_none_field(&mut fields, "account_settings", Self::account_settings);
        registry.signing_configuration = self.or_none_field(
            &mut fields,
            "signing_configuration",
            Self::signing_configuration,
        );
        registry.pull_time_update_exclusions = self.or_none_field(
            &mut fields,
            "pull_time_update_exclusions",
            Self::pull_time_update_exclusions,
        );
        if let Some(entry) = fields.get("ignore_unmanaged")
            && !is_null(&entry.value)
        {
            registry.ignore_unmanaged = self
                .strings(&entry.value, "a list of repository name globs")
                .unwrap_or_default();
        }
        if let Some(entry) = fields.get("drift_ignore")
            && !is_null(&entry.value)
        {
            registry.drift_ignore = self.drift_ignore(&entry.value);
        }
        Some(registry)
    }

    /// `drift_ignore: [{address, reason}, ...]`; both keys are required.
    fn drift_ignore(&mut self, node: &Node) -> Vec<RawDriftIgnore> {
        const EXPECTED: &str = "a list of {address, reason} mappings";
        let Some(items) = self.sequence(node, EXPECTED) else {
            return Vec::new();
        };
        let mut rules = Vec::new();
        for item in items {
            let Some(fields) = self.fields(item, "a mapping {address, reason}", DRIFT_IGNORE_KEYS)
            else {
                continue;
            };
            let address = match fields.get("address") {
                Some(entry) => self.string(&entry.value, "an address pattern (KIND/NAME)"),
                None => {
                    self.missing(item.at, "address", "this drift_ignore entry");
                    None
                }
            };
            let reason = match fields.get("reason") {
                Some(entry) => self.string(&entry.value, "why this drift is accepted"),
                None => {
                    self.missing(item.at, "reason", "this drift_ignore entry");
                    None
                }
            };
            if let (Some(address), Some(reason)) = (address, reason) {
                rules.push(RawDriftIgnore { address, reason });
            }
        }
        rules
    }

    fn repositories(&mut self, node: &Node) -> Vec<RawRepository> {
        if is_null(node) {
            return Vec::new();
        }
        let Some(entries) = self.mapping(node, "a mapping of repository name to settings") else {
            return Vec::new();
        };
        let mut repositories = Vec::with_capacity(entries.len());
        for entry in entries {
            let settings = if entry.value.is_none_keyword() {
                Some(RawSettings::default())
            } else {
                self.settings(
                    &entry.value,
                    REPOSITORY_KEYS,
                    "repository settings (a mapping) or nothing",
                )
            };
            // A repository whose settings are malformed is still a repository: keeping it
            // lets its name be checked and duplicates be found.
            repositories.push(RawRepository {
                name: Spanned {
                    value: entry.key.clone(),
                    at: entry.key_at,
                },
                settings: settings.unwrap_or_default(),
            });
        }
        repositories
    }
}

impl Reader<'_> {
    /// `true`/`false`, or a mapping whose `enabled` defaults to true (writing one says the
    /// registry prunes) and whose `force_delete` defaults to false.
    fn prune(&mut self, node: &Node) -> Option<RawPrune> {
        if let Some(scalar) = node.as_scalar()
            && let crate::yaml::Resolved::Bool(enabled) = scalar.resolve()
        {
            return Some(RawPrune {
                enabled,
                force_delete: None,
            });
        }
        if node.as_scalar().is_some() {
            self.wrong_type(node, "true, false or a mapping {enabled, force_delete}");
            return None;
        }
        let fields = self.fields(
            node,
            "true, false or a mapping {enabled, force_delete}",
            PRUNE_KEYS,
        )?;
        let enabled = match fields.get("enabled") {
            Some(entry) => self.boolean(&entry.value)?,
            None => true,
        };
        let force_delete = match fields.get("force_delete") {
            Some(entry) => self.boolean(&entry.value)?.then_some(entry.value.at),
            None => None,
        };
        Some(RawPrune {
            enabled,
            force_delete,
        })
    }
}
