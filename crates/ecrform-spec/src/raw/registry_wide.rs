//! Reading the registry-wide settings of a registry entry: `replication`, `scanning`,
//! `pull_through_cache`, `creation_templates`, `account_settings`, `signing_configuration`
//! and `pull_time_update_exclusions`. (`registry_policy` is a policy document, read like the
//! others.)

use ecrform_model::AccountSettingName;

use super::reader::{Field, OrNone, Reader, Spanned, field};
use super::settings::{RawDocument, RawEncryption, RawTag};
use crate::yaml::{Node, Pos};

/// One `NAME: VALUE` of `account_settings`.
pub(crate) type RawAccountSetting = (Spanned<String>, Spanned<String>);

#[derive(Debug, Clone)]
pub(crate) struct RawReplication {
    pub rules: Field<Vec<RawReplicationRule>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawReplicationRule {
    pub destinations: Option<Field<Vec<RawDestination>>>,
    pub repository_filters: Option<Field<Vec<Spanned<String>>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawDestination {
    pub at: Pos,
    pub region: Option<Spanned<String>>,
    pub account: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawScanning {
    pub kind: Option<Spanned<String>>,
    pub rules: Option<Field<Vec<RawScanRule>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawScanRule {
    pub frequency: Option<Spanned<String>>,
    pub filters: Option<Field<Vec<Spanned<String>>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawSigningConfiguration {
    pub rules: Field<Vec<RawSigningRule>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawSigningRule {
    pub signing_profile_arn: Option<Spanned<String>>,
    /// Written as plain strings: the filter type is WILDCARD_MATCH, the only one ECR has.
    pub repository_filters: Option<Field<Vec<Spanned<String>>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawPullThroughCacheRule {
    /// The ECR repository prefix, located at the key.
    pub prefix: Spanned<String>,
    pub upstream_url: Option<Spanned<String>>,
    pub upstream_registry: Option<Spanned<String>>,
    pub credential_arn: Option<Spanned<String>>,
    pub custom_role_arn: Option<Spanned<String>>,
    pub upstream_repository_prefix: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawCreationTemplate {
    /// The prefix (or `ROOT`), located at the key.
    pub prefix: Spanned<String>,
    pub applied_for: Option<Field<Vec<Spanned<String>>>>,
    pub description: Option<Spanned<String>>,
    pub image_tag_mutability: Option<Spanned<String>>,
    pub image_tag_mutability_exclusions: Option<Field<Vec<Spanned<String>>>>,
    pub encryption: Option<Field<RawEncryption>>,
    pub resource_tags: Option<Field<Vec<RawTag>>>,
    pub lifecycle: Option<Field<OrNone<RawDocument>>>,
    pub policy: Option<Field<OrNone<RawDocument>>>,
    pub custom_role_arn: Option<Spanned<String>>,
}

pub(crate) const REPLICATION_KEYS: &[&str] = &["rules"];
pub(crate) const REPLICATION_RULE_KEYS: &[&str] = &["destinations", "repository_filters"];
pub(crate) const DESTINATION_KEYS: &[&str] = &["region", "account"];
pub(crate) const SCANNING_KEYS: &[&str] = &["type", "rules"];
pub(crate) const SCAN_RULE_KEYS: &[&str] = &["frequency", "filters"];
pub(crate) const SIGNING_KEYS: &[&str] = &["rules"];
pub(crate) const SIGNING_RULE_KEYS: &[&str] = &["signing_profile_arn", "repository_filters"];
pub(crate) const PULL_THROUGH_CACHE_KEYS: &[&str] = &[
    "upstream_url",
    "upstream_registry",
    "credential_arn",
    "custom_role_arn",
    "upstream_repository_prefix",
];
pub(crate) const CREATION_TEMPLATE_KEYS: &[&str] = &[
    "applied_for",
    "description",
    "image_tag_mutability",
    "image_tag_mutability_exclusions",
    "encryption",
    "resource_tags",
    "lifecycle",
    "policy",
    "custom_role_arn",
];

impl Reader<'_> {
    pub(super) fn replication(&mut self, node: &Node) -> Option<RawReplication> {
        let fields = self.fields(node, "a replication mapping {rules}", REPLICATION_KEYS)?;
        let Some(entry) = fields.get("rules") else {
            self.missing(
                node.at,
                "rules",
                "replication (write rules: [] for no replication)",
            );
            return None;
        };
        let items = self.sequence(&entry.value, "a list of replication rules")?;
        let rules = items
            .iter()
            .filter_map(|item| self.replication_rule(item))
            .collect();
        Some(RawReplication {
            rules: field(entry, rules),
        })
    }

    fn replication_rule(&mut self, node: &Node) -> Option<RawReplicationRule> {
        let fields = self.fields(
            node,
            "a replication rule {destinations, repository_filters}",
            REPLICATION_RULE_KEYS,
        )?;
        let mut rule = RawReplicationRule {
            destinations: None,
            repository_filters: None,
        };
        match fields.get("destinations") {
            Some(entry) => {
                if let Some(items) =
                    self.sequence(&entry.value, "a list of destinations {region, account}")
                {
                    let destinations = items
                        .iter()
                        .filter_map(|item| self.destination(item))
                        .collect();
                    rule.destinations = Some(field(entry, destinations));
                }
            }
            None => self.missing(node.at, "destinations", "this replication rule"),
        }
        if let Some(entry) = fields.get("repository_filters") {
            rule.repository_filters = self
                .strings(&entry.value, "a list of repository name prefixes")
                .map(|filters| field(entry, filters));
        }
        Some(rule)
    }

    fn destination(&mut self, node: &Node) -> Option<RawDestination> {
        let fields = self.fields(node, "a destination {region, account}", DESTINATION_KEYS)?;
        let region = match fields.get("region") {
            Some(entry) => self.string(&entry.value, "a region name"),
            None => {
                self.missing(node.at, "region", "this destination");
                None
            }
        };
        let account = match fields.get("account") {
            Some(entry) => Some(self.account(&entry.value)?),
            None => None,
        };
        Some(RawDestination {
            at: node.at,
            region,
            account,
        })
    }

    pub(super) fn scanning(&mut self, node: &Node) -> Option<RawScanning> {
        let fields = self.fields(node, "a scanning mapping {type, rules}", SCANNING_KEYS)?;
        let kind = match fields.get("type") {
            Some(entry) => self.string(&entry.value, "a scan type (BASIC or ENHANCED)"),
            None => {
                self.missing(node.at, "type", "scanning");
                None
            }
        };
        let rules = match fields.get("rules") {
            Some(entry) => self
                .sequence(&entry.value, "a list of scanning rules")
                .map(|items| {
                    let rules = items
                        .iter()
                        .filter_map(|item| self.scan_rule(item))
                        .collect();
                    field(entry, rules)
                }),
            None => None,
        };
        Some(RawScanning { kind, rules })
    }

    fn scan_rule(&mut self, node: &Node) -> Option<RawScanRule> {
        let fields = self.fields(node, "a scanning rule {frequency, filters}", SCAN_RULE_KEYS)?;
        let frequency = match fields.get("frequency") {
            Some(entry) => self.string(&entry.value, "a scan frequency"),
            None => {
                self.missing(node.at, "frequency", "this scanning rule");
                None
            }
        };
        let filters = match fields.get("filters") {
            Some(entry) => self
                .strings(&entry.value, "a list of repository filters")
                .map(|filters| field(entry, filters)),
            None => {
                self.missing(node.at, "filters", "this scanning rule");
                None
            }
        };
        Some(RawScanRule { frequency, filters })
    }

    pub(super) fn pull_through_cache(
        &mut self,
        node: &Node,
    ) -> Option<Vec<RawPullThroughCacheRule>> {
        let entries = self.mapping(
            node,
            "a mapping of repository prefix to pull-through cache rule",
        )?;
        let mut rules = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(fields) = self.fields(
                &entry.value,
                "a pull-through cache rule {upstream_url, ...}",
                PULL_THROUGH_CACHE_KEYS,
            ) else {
                continue;
            };
            let mut optional = |key: &str, expected: &str| match fields.get(key) {
                Some(entry) => self.string(&entry.value, expected),
                None => None,
            };
            let upstream_registry = optional("upstream_registry", "an upstream registry name");
            let credential_arn = optional("credential_arn", "a Secrets Manager secret ARN");
            let custom_role_arn = optional("custom_role_arn", "an IAM role ARN");
            let upstream_repository_prefix = optional(
                "upstream_repository_prefix",
                "an upstream repository prefix",
            );
            let upstream_url = match fields.get("upstream_url") {
                Some(url) => self.string(&url.value, "an upstream registry URL"),
                None => {
                    self.missing(
                        entry.value.at,
                        "upstream_url",
                        "this pull-through cache rule",
                    );
                    None
                }
            };
            rules.push(RawPullThroughCacheRule {
                prefix: Spanned {
                    value: entry.key.clone(),
                    at: entry.key_at,
                },
                upstream_url,
                upstream_registry,
                credential_arn,
                custom_role_arn,
                upstream_repository_prefix,
            });
        }
        Some(rules)
    }

    pub(super) fn creation_templates(&mut self, node: &Node) -> Option<Vec<RawCreationTemplate>> {
        let entries = self.mapping(node, "a mapping of prefix (or ROOT) to creation template")?;
        let mut templates = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(mut fields) = self.fields(
                &entry.value,
                "a creation template {applied_for, ...}",
                CREATION_TEMPLATE_KEYS,
            ) else {
                continue;
            };
            let mut template = RawCreationTemplate {
                prefix: Spanned {
                    value: entry.key.clone(),
                    at: entry.key_at,
                },
                applied_for: None,
                description: None,
                image_tag_mutability: None,
                image_tag_mutability_exclusions: None,
                encryption: None,
                resource_tags: None,
                lifecycle: None,
                policy: None,
                custom_role_arn: None,
            };
            match fields.get("applied_for") {
                Some(applied) => {
                    template.applied_for = self
                        .strings(
                            &applied.value,
                            "a list of REPLICATION, PULL_THROUGH_CACHE or CREATE_ON_PUSH",
                        )
                        .map(|values| field(applied, values));
                }
                None => self.missing(entry.value.at, "applied_for", "this creation template"),
            }
            if let Some(found) = fields.get("description") {
                template.description = self.string(&found.value, "a description");
            }
            if let Some(found) = fields.get("image_tag_mutability") {
                template.image_tag_mutability =
                    self.string(&found.value, "a tag mutability such as IMMUTABLE");
            }
            if let Some(found) = fields.get("image_tag_mutability_exclusions") {
                template.image_tag_mutability_exclusions = self
                    .strings(&found.value, "a list of tag filters")
                    .map(|values| field(found, values));
            }
            if let Some(found) = fields.get("encryption") {
                template.encryption = self
                    .encryption(&found.value)
                    .map(|value| field(found, value));
            }
            if let Some(found) = fields.get("resource_tags") {
                template.resource_tags = self.tags(&found.value).map(|value| field(found, value));
            }
            template.lifecycle = self.or_none_field(&mut fields, "lifecycle", Self::document);
            template.policy = self.or_none_field(&mut fields, "policy", Self::document);
            if let Some(found) = fields.get("custom_role_arn") {
                template.custom_role_arn = self.string(&found.value, "an IAM role ARN");
            }
            templates.push(template);
        }
        Some(templates)
    }

    pub(super) fn signing_configuration(&mut self, node: &Node) -> Option<RawSigningConfiguration> {
        let fields = self.fields(
            node,
            "a signing configuration mapping {rules}",
            SIGNING_KEYS,
        )?;
        let Some(entry) = fields.get("rules") else {
            self.missing(
                node.at,
                "rules",
                "signing_configuration (write signing_configuration: none for no signing)",
            );
            return None;
        };
        let items = self.sequence(&entry.value, "a list of signing rules")?;
        let rules = items
            .iter()
            .filter_map(|item| self.signing_rule(item))
            .collect();
        Some(RawSigningConfiguration {
            rules: field(entry, rules),
        })
    }

    fn signing_rule(&mut self, node: &Node) -> Option<RawSigningRule> {
        let fields = self.fields(
            node,
            "a signing rule {signing_profile_arn, repository_filters}",
            SIGNING_RULE_KEYS,
        )?;
        let signing_profile_arn = match fields.get("signing_profile_arn") {
            Some(entry) => self.string(&entry.value, "an AWS Signer signing profile ARN"),
            None => {
                self.missing(node.at, "signing_profile_arn", "this signing rule");
                None
            }
        };
        let repository_filters = match fields.get("repository_filters") {
            Some(entry) => self
                .strings(&entry.value, "a list of repository filters")
                .map(|filters| field(entry, filters)),
            None => None,
        };
        Some(RawSigningRule {
            signing_profile_arn,
            repository_filters,
        })
    }

    pub(super) fn pull_time_update_exclusions(
        &mut self,
        node: &Node,
    ) -> Option<Vec<Spanned<String>>> {
        self.strings(node, "a list of IAM role or user ARNs")
    }

    pub(super) fn account_settings(&mut self, node: &Node) -> Option<Vec<RawAccountSetting>> {
        let fields = self.fields(
            node,
            "a mapping of account setting name to value",
            &AccountSettingName::names(),
        )?;
        let mut settings = Vec::new();
        for entry in fields.entries {
            if AccountSettingName::parse(&entry.key).is_none() {
                continue;
            }
            if let Some(value) = self.string(&entry.value, "an account setting value") {
                settings.push((
                    Spanned {
                        value: entry.key.clone(),
                        at: entry.key_at,
                    },
                    value,
                ));
            }
        }
        Some(settings)
    }
}
