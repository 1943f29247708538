//! Live registry-wide values from the SDK's types into the model's, as ECR reports them: no
//! value is reduced or defaulted here (the model's canonical forms do that, once, for every
//! side of a comparison). A value the model has no word for (a scan frequency, filter type or
//! enum value ECR added after this release) is an error naming the setting and the value,
//! never read as some default.

use aws_sdk_ecr::types::{
    ImageTagMutability, PullThroughCacheRule as SdkPullThroughCacheRule,
    RegistryScanningConfiguration, ReplicationConfiguration, RepositoryCreationTemplate,
    RepositoryFilterType, ScanningRepositoryFilterType,
    SigningConfiguration as SdkSigningConfiguration, SigningRepositoryFilterType,
};
use ecrform_model::{
    AccountId, AppliedFor, CreationTemplate, Encryption, EncryptionType, IamPolicy,
    LifecyclePolicy, Partition, PullThroughCacheRule, Region, Replication, ReplicationDestination,
    ReplicationRule, ScanFrequency, ScanRule, ScanType, Scanning, Setting, SigningConfiguration,
    SigningRule, TagMutability,
};
use ecrform_plan::{ErrorKind, RegistryError};

pub(super) fn replication(
    config: Option<&ReplicationConfiguration>,
) -> Result<Setting<Replication>, RegistryError> {
    // ECR reports a registry that never replicated, and one whose rules were cleared, as
    // `rules: []`: reported as it is, which the canonical form reads as no replication.
    let rules = config
        .map(ReplicationConfiguration::rules)
        .unwrap_or_default();
    let mut read = Vec::with_capacity(rules.len());
    for rule in rules {
        let mut destinations = Vec::with_capacity(rule.destinations().len());
        for destination in rule.destinations() {
            destinations.push(ReplicationDestination {
                region: Region::parse(destination.region())
                    .map_err(|e| unexpected("replication destination", e))?,
                account: AccountId::parse(destination.registry_id())
                    .map_err(|e| unexpected("replication destination", e))?,
            });
        }
        let mut repository_filters = Vec::with_capacity(rule.repository_filters().len());
        for filter in rule.repository_filters() {
            // Dropping a filter ecrform does not model would read a narrower rule as one that
            // replicates everything.
            if filter.filter_type() != &RepositoryFilterType::PrefixMatch {
                return Err(unexpected(
                    "replication filter",
                    format!("type {} is not PREFIX_MATCH", filter.filter_type()),
                ));
            }
            repository_filters.push(filter.filter().to_owned());
        }
        read.push(ReplicationRule {
            destinations,
            repository_filters,
        });
    }
    Ok(Setting::Present(Replication { rules: read }))
}

pub(super) fn scanning(
    config: Option<&RegistryScanningConfiguration>,
) -> Result<Setting<Scanning>, RegistryError> {
    let Some(config) = config else {
        return Ok(Setting::Absent);
    };
    let Some(scan_type) = config.scan_type() else {
        return Ok(Setting::Absent);
    };
    let mut rules = Vec::with_capacity(config.rules().len());
    for rule in config.rules() {
        let mut filters = Vec::with_capacity(rule.repository_filters().len());
        for filter in rule.repository_filters() {
            if filter.filter_type() != &ScanningRepositoryFilterType::Wildcard {
                return Err(unexpected(
                    "scanning filter",
                    format!("type {} is not WILDCARD", filter.filter_type()),
                ));
            }
            filters.push(filter.filter().to_owned());
        }
        let frequency = rule.scan_frequency().as_str();
        rules.push(ScanRule {
            frequency: ScanFrequency::parse(frequency).ok_or_else(|| {
                unexpected("scanning rule", format!("frequency {frequency} is unknown"))
            })?,
            filters,
        });
    }
    let scan_type = ScanType::parse(scan_type.as_str()).ok_or_else(|| {
        unexpected(
            "scanning configuration",
            format!("scan type {scan_type} is unknown"),
        )
    })?;
    Ok(Setting::Present(Scanning { scan_type, rules }))
}

/// A signing configuration as GetSigningConfiguration reports it; an answer without one is
/// no configuration. A configuration with no rules is reported as it is (the canonical form
/// reads it as absent).
pub(super) fn signing_configuration(
    config: Option<&SdkSigningConfiguration>,
) -> Result<Setting<SigningConfiguration>, RegistryError> {
    let Some(config) = config else {
        return Ok(Setting::Absent);
    };
    let mut rules = Vec::with_capacity(config.rules().len());
    for rule in config.rules() {
        let profile = rule.signing_profile_arn();
        if profile.is_empty() {
            return Err(unexpected("signing rule", "it names no signing profile"));
        }
        let mut repository_filters = Vec::with_capacity(rule.repository_filters().len());
        for filter in rule.repository_filters() {
            // Reading a filter of another type as WILDCARD_MATCH would sign other images
            // than the rule does; dropping it would read a narrower rule as one for all.
            if filter.filter_type() != &SigningRepositoryFilterType::WildcardMatch {
                return Err(unexpected(
                    "signing rule filter",
                    format!("type {} is not WILDCARD_MATCH", filter.filter_type()),
                ));
            }
            repository_filters.push(filter.filter().to_owned());
        }
        rules.push(SigningRule {
            signing_profile_arn: profile.to_owned(),
            repository_filters,
        });
    }
    Ok(Setting::Present(SigningConfiguration { rules }))
}

pub(super) fn pull_through_cache_rule(
    rule: &SdkPullThroughCacheRule,
) -> Result<(String, PullThroughCacheRule), RegistryError> {
    let prefix = rule
        .ecr_repository_prefix()
        .filter(|prefix| !prefix.is_empty())
        .ok_or_else(|| unexpected("pull-through cache rule", "it has no ECR repository prefix"))?;
    let upstream_url = rule
        .upstream_registry_url()
        .filter(|url| !url.is_empty())
        .ok_or_else(|| {
            unexpected(
                &format!("pull-through cache rule {prefix:?}"),
                "it has no upstream registry URL",
            )
        })?;
    let read = PullThroughCacheRule {
        upstream_url: upstream_url.to_owned(),
        upstream_registry: rule.upstream_registry().map(|u| u.as_str().to_owned()),
        credential_arn: non_empty(rule.credential_arn()),
        custom_role_arn: non_empty(rule.custom_role_arn()),
        upstream_repository_prefix: non_empty(rule.upstream_repository_prefix()),
    };
    Ok((prefix.to_owned(), read))
}

/// A creation template as ECR reports it; its repository policy is read in `partition`, the
/// registry's.
pub(super) fn creation_template(
    template: &RepositoryCreationTemplate,
    partition: Partition,
) -> Result<(String, CreationTemplate), RegistryError> {
    let prefix = template
        .prefix()
        .filter(|prefix| !prefix.is_empty())
        .ok_or_else(|| unexpected("creation template", "it has no prefix"))?;
    let what = format!("creation template {prefix:?}");
    let image_tag_mutability = template
        .image_tag_mutability()
        .map(|mode| tag_mutability(mode, &what))
        .transpose()?;
    let encryption = template
        .encryption_configuration()
        .map(|config| {
            let kind =
                EncryptionType::parse(config.encryption_type().as_str()).ok_or_else(|| {
                    unexpected(
                        &what,
                        format!("encryption type {} is unknown", config.encryption_type()),
                    )
                })?;
            Ok::<_, RegistryError>(Encryption {
                kind,
                kms_key: non_empty(config.kms_key()),
            })
        })
        .transpose()?;
    let lifecycle_policy = non_empty(template.lifecycle_policy())
        .map(|text| {
            LifecyclePolicy::from_json_text(&text)
                .map_err(|e| unreadable_policy(&format!("the lifecycle policy of {what}"), e))
        })
        .transpose()?;
    let repository_policy = non_empty(template.repository_policy())
        .map(|text| {
            IamPolicy::from_json_text_in(&text, partition)
                .map_err(|e| unreadable_policy(&format!("the repository policy of {what}"), e))
        })
        .transpose()?;
    let read = CreationTemplate {
        applied_for: template
            .applied_for()
            .iter()
            .map(|applied| {
                AppliedFor::parse(applied.as_str()).ok_or_else(|| {
                    unexpected(&what, format!("applied_for value {applied} is unknown"))
                })
            })
            .collect::<Result<_, _>>()?,
        description: non_empty(template.description()),
        image_tag_mutability,
        image_tag_mutability_exclusions: template
            .image_tag_mutability_exclusion_filters()
            .iter()
            .map(|filter| filter.filter().to_owned())
            .collect(),
        encryption,
        resource_tags: template
            .resource_tags()
            .iter()
            .map(|tag| (tag.key().to_owned(), tag.value().to_owned()))
            .collect(),
        lifecycle_policy,
        repository_policy,
        custom_role_arn: non_empty(template.custom_role_arn()),
    };
    Ok((prefix.to_owned(), read))
}

pub(super) fn tag_mutability(
    mode: &ImageTagMutability,
    what: &str,
) -> Result<TagMutability, RegistryError> {
    TagMutability::parse(mode.as_str())
        .ok_or_else(|| unexpected(what, format!("image tag mutability {mode} is unknown")))
}

pub(super) fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|value| !value.is_empty()).map(str::to_owned)
}

pub(super) fn unexpected(what: &str, problem: impl std::fmt::Display) -> RegistryError {
    RegistryError::new(
        ErrorKind::UnreadableLiveValue,
        "UnexpectedLiveValue",
        format!("the live {what} cannot be read: {problem}"),
    )
}

pub(super) fn unreadable_policy(what: &str, error: ecrform_model::DocumentError) -> RegistryError {
    RegistryError::new(
        ErrorKind::UnreadableLiveValue,
        "UnreadablePolicy",
        format!("the live {what} cannot be read: {error}"),
    )
}
