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
    pub prune: Option<Field<bool>>,
    pub repositories: Vec<RawRepository>,
    pub replication: Option<Field<OrNone<RawReplication>>>,
    pub registry_policy: Option<Field<OrNone<RawDocument>>>,
    pub scanning: Option<Field<OrNone<RawScanning>>>,
    pub pull_through_cache: Option<Field<OrNone<Vec<RawPullThroughCacheRule>>>>,
    pub creation_templates: Option<Field<OrNone<Vec<RawCreationTemplate>>>>,
    pub account_settings: Option<Field<OrNone<Vec<RawAccountSetting>>>>,
    pub signing_configuration: Option<Field<OrNone<RawSigningConfiguration>>>,
    pub pull_time_update_exclusions: Option<Field<OrNone<Vec<Spanned<String>>>>>,
}

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
            registry.prune = self.boolean(&entry.value).map(|value| field(entry, value));
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
        Some(registry)
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
