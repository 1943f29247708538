//! How ECR answers the registry-wide writes and reads: replication, scanning and the signing
//! configuration replaced whole by their Put, the registry policy read back rewritten,
//! pull-through cache rules and creation templates keyed by prefix with ECR's codes for a
//! prefix that is taken or missing, account settings by name, and pull-time update exclusions
//! registered and deregistered one principal at a time, with ECR's codes for one that is
//! already there or missing and its limit of 100.
//!
//! What ECR reports back is not always what was put, and the planner must not mistake the
//! difference for drift: a new registry reports an empty replication configuration and BASIC
//! scanning; a pull-through cache rule reports the upstream registry ECR derives from its URL
//! and `ROOT` for a missing upstream prefix; a template reports `MUTABLE` and `AES256` where it
//! was created without them, and its policies the way ECR rewrites them.

use std::collections::BTreeSet;

use ecrform_model::{
    AccountSettingName, CreationTemplate, EncryptionType, Partition, PullTimeUpdateExclusions,
    RegistryState, RegistryWideKind, Replication, ReplicationRule, ScanFrequency, ScanRule,
    ScanType, Scanning, Setting, SigningConfiguration, SigningRule,
};
use ecrform_plan::{ApiCall, RegistryAspects, RegistryError, TemplateChanges};

use super::{
    StoredRegistry, check_exclusions, check_tags, parse_lifecycle_policy, parse_policy,
    parse_repository_policy,
};
use crate::ecr_error;

const MAX_REPLICATION_RULES: usize = 10;
const MAX_REPLICATION_DESTINATIONS: usize = 25;
const MAX_REPLICATION_FILTERS: usize = 100;
const MAX_SCANNING_RULES: usize = 2;
const MAX_PULL_THROUGH_CACHE_RULES: usize = 50;
/// The registry-wide settings of a registry nobody has configured yet.
pub(super) fn fresh(state: &mut RegistryState) {
    state.replication = Setting::Present(Replication { rules: Vec::new() });
    state.registry_policy = Setting::Absent;
    state.scanning = Setting::Present(Scanning::ecr_default());
    state.pull_through_cache = Some(Default::default());
    state.creation_templates = Some(Default::default());
    state.account_settings = Some(
        AccountSettingName::ALL
            .into_iter()
            .map(|name| (name, name.ecr_default().to_owned()))
            .collect(),
    );
    state.signing_configuration = Setting::Absent;
    state.pull_time_update_exclusions = Some(PullTimeUpdateExclusions::new());
}

/// Leaves in `view` only the registry-wide settings `aspects` asks for, as a read that made
/// only those calls would report.
pub(super) fn restrict(view: &mut RegistryState, aspects: &RegistryAspects) {
    for kind in RegistryWideKind::ALL {
        if !aspects.reads(kind) {
            view.forget(kind);
        }
    }
    if let Some(settings) = &mut view.account_settings {
        settings.retain(|name, _| aspects.account_setting_names().contains(name));
    }
}

impl StoredRegistry {
    /// Applies one registry-wide write as ECR would, or refuses it and changes nothing.
    pub(super) fn execute_registry_wide(&mut self, call: &ApiCall) -> Result<(), RegistryError> {
        let id = self.id();
        let state = &mut self.state;
        match call {
            ApiCall::PutReplicationConfiguration { rules } => {
                check_replication(state, rules)?;
                // A Put replaces the whole configuration; no rules leaves none.
                state.replication = Setting::Present(Replication {
                    rules: rules.clone(),
                });
            }
            ApiCall::PutRegistryPolicy { text } => {
                state.registry_policy = Setting::Present(parse_policy(
                    text,
                    id.region.partition(),
                    ecr_error::invalid_registry_policy,
                )?);
            }
            ApiCall::DeleteRegistryPolicy => {
                if state.registry_policy.present().is_none() {
                    return Err(ecr_error::registry_policy_not_found(&id));
                }
                state.registry_policy = Setting::Absent;
            }
            ApiCall::PutRegistryScanningConfiguration { scan_type, rules } => {
                check_scanning(*scan_type, rules)?;
                state.scanning = Setting::Present(Scanning {
                    scan_type: *scan_type,
                    rules: rules.clone(),
                });
            }
            ApiCall::CreatePullThroughCacheRule { prefix, rule } => {
                let rules = state.pull_through_cache.get_or_insert_default();
                if rules.contains_key(prefix) {
                    return Err(ecr_error::pull_through_cache_rule_already_exists(prefix));
                }
                if rules.len() >= MAX_PULL_THROUGH_CACHE_RULES {
                    return Err(ecr_error::limit_exceeded(&format!(
                        "The maximum number of pull through cache rules \
                         ({MAX_PULL_THROUGH_CACHE_RULES}) has been reached for this registry"
                    )));
                }
                rules.insert(prefix.clone(), rule.as_ecr_reports());
            }
            ApiCall::UpdatePullThroughCacheRule {
                prefix,
                credential_arn,
                custom_role_arn,
            } => {
                let rule = state
                    .pull_through_cache
                    .get_or_insert_default()
                    .get_mut(prefix)
                    .ok_or_else(|| ecr_error::pull_through_cache_rule_not_found(prefix))?;
                // The credential and the role are all an update can change.
                if let Some(arn) = credential_arn {
                    rule.credential_arn = Some(arn.clone());
                }
                if let Some(arn) = custom_role_arn {
                    rule.custom_role_arn = Some(arn.clone());
                }
            }
            ApiCall::DeletePullThroughCacheRule { prefix } => {
                state
                    .pull_through_cache
                    .get_or_insert_default()
                    .remove(prefix)
                    .ok_or_else(|| ecr_error::pull_through_cache_rule_not_found(prefix))?;
            }
            ApiCall::CreateRepositoryCreationTemplate { prefix, template } => {
                let templates = state.creation_templates.get_or_insert_default();
                if templates.contains_key(prefix) {
                    return Err(ecr_error::template_already_exists(prefix));
                }
                let reported = reported_template(template, id.region.partition())?;
                templates.insert(prefix.clone(), reported);
            }
            ApiCall::UpdateRepositoryCreationTemplate { prefix, changes } => {
                let templates = state.creation_templates.get_or_insert_default();
                let stored = templates
                    .get(prefix)
                    .ok_or_else(|| ecr_error::template_not_found(prefix))?;
                let updated = updated_template(stored, changes, id.region.partition())?;
                templates.insert(prefix.clone(), updated);
            }
            ApiCall::DeleteRepositoryCreationTemplate { prefix } => {
                state
                    .creation_templates
                    .get_or_insert_default()
                    .remove(prefix)
                    .ok_or_else(|| ecr_error::template_not_found(prefix))?;
            }
            ApiCall::PutAccountSetting { name, value } => {
                check_account_setting(*name, value)?;
                state
                    .account_settings
                    .get_or_insert_default()
                    .insert(*name, value.clone());
            }
            ApiCall::PutSigningConfiguration { rules } => {
                check_signing(rules)?;
                // A Put replaces the whole configuration; ECR keeps one of no rules as such.
                state.signing_configuration = Setting::Present(SigningConfiguration {
                    rules: rules.clone(),
                });
            }
            ApiCall::DeleteSigningConfiguration => {
                if state.signing_configuration.present().is_none() {
                    return Err(ecr_error::signing_configuration_not_found());
                }
                state.signing_configuration = Setting::Absent;
            }
            ApiCall::RegisterPullTimeUpdateExclusion { principal_arn } => {
                check_principal_arn(principal_arn)?;
                let exclusions = state.pull_time_update_exclusions.get_or_insert_default();
                if exclusions.contains(principal_arn) {
                    return Err(ecr_error::exclusion_already_exists());
                }
                if exclusions.len() >= PullTimeUpdateExclusions::MAX {
                    return Err(ecr_error::limit_exceeded(&format!(
                        "The maximum number of pull time update exclusions ({}) has been \
                         reached for this registry",
                        PullTimeUpdateExclusions::MAX
                    )));
                }
                exclusions.insert(principal_arn.clone());
            }
            ApiCall::DeregisterPullTimeUpdateExclusion { principal_arn } => {
                check_principal_arn(principal_arn)?;
                if !state
                    .pull_time_update_exclusions
                    .get_or_insert_default()
                    .remove(principal_arn)
                {
                    return Err(ecr_error::exclusion_not_found());
                }
            }
            ApiCall::CreateRepository { .. }
            | ApiCall::PutImageTagMutability { .. }
            | ApiCall::PutImageScanningConfiguration { .. }
            | ApiCall::TagResource { .. }
            | ApiCall::UntagResource { .. }
            | ApiCall::PutLifecyclePolicy { .. }
            | ApiCall::DeleteLifecyclePolicy { .. }
            | ApiCall::SetRepositoryPolicy { .. }
            | ApiCall::DeleteRepositoryPolicy { .. }
            | ApiCall::DeleteRepository { .. } => {
                return Err(ecr_error::invalid_parameter(
                    "call",
                    &format!("{} is not a registry-wide operation", call.operation()),
                ));
            }
        }
        Ok(())
    }
}

/// ECR's replication limits, and no rule may replicate a registry into itself.
fn check_replication(
    state: &RegistryState,
    rules: &[ReplicationRule],
) -> Result<(), RegistryError> {
    let parameter = "replicationConfiguration.rules";
    if rules.len() > MAX_REPLICATION_RULES {
        return Err(ecr_error::invalid_parameter(
            parameter,
            &format!("Member must have length less than or equal to {MAX_REPLICATION_RULES}"),
        ));
    }
    let destinations: BTreeSet<_> = rules.iter().flat_map(|rule| &rule.destinations).collect();
    if destinations.len() > MAX_REPLICATION_DESTINATIONS {
        return Err(ecr_error::invalid_parameter(
            parameter,
            &format!("at most {MAX_REPLICATION_DESTINATIONS} unique destinations"),
        ));
    }
    if destinations
        .iter()
        .any(|d| d.account == state.account && d.region == state.region)
    {
        return Err(ecr_error::invalid_parameter(
            parameter,
            "a registry cannot replicate to itself",
        ));
    }
    if rules.iter().any(|rule| {
        rule.destinations.is_empty() || rule.repository_filters.len() > MAX_REPLICATION_FILTERS
    }) {
        return Err(ecr_error::invalid_parameter(
            parameter,
            &format!(
                "each rule needs a destination and at most {MAX_REPLICATION_FILTERS} repository filters"
            ),
        ));
    }
    Ok(())
}

/// At most two rules, continuous scanning only with ENHANCED (the scan type itself is one of
/// ECR's by its type).
fn check_scanning(scan_type: ScanType, rules: &[ScanRule]) -> Result<(), RegistryError> {
    if rules.len() > MAX_SCANNING_RULES {
        return Err(ecr_error::invalid_parameter(
            "rules",
            &format!("Member must have length less than or equal to {MAX_SCANNING_RULES}"),
        ));
    }
    if scan_type == ScanType::Basic
        && rules
            .iter()
            .any(|rule| rule.frequency == ScanFrequency::ContinuousScan)
    {
        return Err(ecr_error::invalid_parameter(
            "rules.scanFrequency",
            "CONTINUOUS_SCAN is only supported with the ENHANCED scan type",
        ));
    }
    Ok(())
}

/// The signing configuration's limits from the API model: rules, filters per rule, and the
/// lengths of profile ARNs and filters. (The patterns are the spec's to check; what reaches
/// ECR here has passed them.)
fn check_signing(rules: &[SigningRule]) -> Result<(), RegistryError> {
    if rules.len() > SigningConfiguration::MAX_RULES {
        return Err(ecr_error::invalid_parameter(
            "signingConfiguration.rules",
            &format!(
                "Member must have length less than or equal to {}",
                SigningConfiguration::MAX_RULES
            ),
        ));
    }
    for rule in rules {
        if rule.signing_profile_arn.is_empty()
            || rule.signing_profile_arn.chars().count() > SigningRule::PROFILE_ARN_MAX_CHARS
        {
            return Err(ecr_error::invalid_parameter(
                "signingConfiguration.rules.member.signingProfileArn",
                &format!(
                    "Member must have length less than or equal to {}",
                    SigningRule::PROFILE_ARN_MAX_CHARS
                ),
            ));
        }
        if rule.repository_filters.len() > SigningRule::MAX_FILTERS {
            return Err(ecr_error::invalid_parameter(
                "signingConfiguration.rules.member.repositoryFilters",
                &format!(
                    "Member must have length less than or equal to {}",
                    SigningRule::MAX_FILTERS
                ),
            ));
        }
        if rule
            .repository_filters
            .iter()
            .any(|filter| !SigningRule::FILTER_CHARS.contains(&filter.chars().count()))
        {
            return Err(ecr_error::invalid_parameter(
                "signingConfiguration.rules.member.repositoryFilters.member.filter",
                &format!(
                    "Member must have length between {} and {}",
                    SigningRule::FILTER_CHARS.start(),
                    SigningRule::FILTER_CHARS.end()
                ),
            ));
        }
    }
    Ok(())
}

fn check_principal_arn(principal_arn: &str) -> Result<(), RegistryError> {
    let length = principal_arn.chars().count();
    if length == 0 || length > PullTimeUpdateExclusions::PRINCIPAL_ARN_MAX_CHARS {
        return Err(ecr_error::invalid_parameter(
            "principalArn",
            &format!(
                "Member must have length less than or equal to {}",
                PullTimeUpdateExclusions::PRINCIPAL_ARN_MAX_CHARS
            ),
        ));
    }
    Ok(())
}

fn check_account_setting(name: AccountSettingName, value: &str) -> Result<(), RegistryError> {
    let allowed = name.allowed_values();
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ecr_error::invalid_parameter(
            "value",
            &format!("{name} takes one of {allowed:?}"),
        ))
    }
}

/// A template the way DescribeRepositoryCreationTemplates reports it, after ECR's checks:
/// defaults filled and policies as ECR stores them in the registry's `partition`.
fn reported_template(
    template: &CreationTemplate,
    partition: Partition,
) -> Result<CreationTemplate, RegistryError> {
    if template.applied_for.is_empty() {
        return Err(ecr_error::invalid_parameter(
            "appliedFor",
            "Member must be a non-empty subset of [REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH]",
        ));
    }
    check_exclusions(
        template.effective_tag_mutability(),
        &template.image_tag_mutability_exclusions,
    )?;
    check_tags(&template.resource_tags)?;
    let encryption = template.effective_encryption();
    if encryption.kind != EncryptionType::Aes256
        && encryption
            .kms_key
            .as_deref()
            .is_some_and(|key| !key.starts_with("arn:"))
    {
        return Err(ecr_error::invalid_parameter(
            "encryptionConfiguration.kmsKey",
            "a repository creation template takes the full ARN of a KMS key",
        ));
    }
    if template.needs_custom_role() && template.custom_role_arn.as_deref().unwrap_or("").is_empty()
    {
        return Err(ecr_error::invalid_parameter(
            "customRoleArn",
            "a custom role is required to apply resource tags or KMS encryption",
        ));
    }
    let lifecycle_policy = template
        .lifecycle_policy
        .as_ref()
        .map(|policy| parse_lifecycle_policy(&policy.to_compact_json()))
        .transpose()?;
    let repository_policy = template
        .repository_policy
        .as_ref()
        .map(|policy| parse_repository_policy(&policy.to_compact_json(), partition))
        .transpose()?;
    Ok(CreationTemplate {
        lifecycle_policy,
        repository_policy,
        ..template.as_ecr_reports()
    })
}

/// UpdateRepositoryCreationTemplate: each field the request sets replaces the stored one (an
/// empty text or tag list clears it); the others stay as they are.
fn updated_template(
    stored: &CreationTemplate,
    changes: &TemplateChanges,
    partition: Partition,
) -> Result<CreationTemplate, RegistryError> {
    let mut template = stored.clone();
    if let Some(applied_for) = &changes.applied_for {
        template.applied_for = applied_for.clone();
    }
    if let Some(description) = &changes.description {
        template.description = Some(description.clone());
    }
    if let Some(mode) = changes.image_tag_mutability {
        template.image_tag_mutability = Some(mode);
        template.image_tag_mutability_exclusions = Vec::new();
    }
    if let Some(exclusions) = &changes.image_tag_mutability_exclusions {
        template.image_tag_mutability_exclusions = exclusions.clone();
    }
    if let Some(encryption) = &changes.encryption {
        template.encryption = Some(encryption.clone());
    }
    if let Some(tags) = &changes.resource_tags {
        template.resource_tags = tags.clone();
    }
    if let Some(text) = &changes.lifecycle_policy {
        template.lifecycle_policy = if text.is_empty() {
            None
        } else {
            Some(parse_lifecycle_policy(text)?)
        };
    }
    if let Some(text) = &changes.repository_policy {
        template.repository_policy = if text.is_empty() {
            None
        } else {
            Some(parse_repository_policy(text, partition)?)
        };
    }
    if let Some(role) = &changes.custom_role_arn {
        template.custom_role_arn = Some(role.clone());
    }
    // The same checks and the same reported shape as a create.
    reported_template(&template, partition)
}

#[cfg(test)]
mod tests {

    use ecrform_plan::{ErrorKind, Missing, ReadScope};

    use super::*;
    use crate::fixtures::{REGISTRY, registry_id};

    fn stored() -> StoredRegistry {
        StoredRegistry::new(registry_id(REGISTRY))
    }

    #[test]
    fn registry_wide_settings_are_read_only_when_the_scope_names_them() {
        let registry = stored();
        let unread = registry.view(&ReadScope::default());
        assert!(unread.replication.is_unmanaged());
        assert!(unread.registry_policy.is_unmanaged());
        assert!(unread.scanning.is_unmanaged());
        assert_eq!(unread.pull_through_cache, None);
        assert_eq!(unread.creation_templates, None);
        assert_eq!(unread.account_settings, None);

        let scope = ReadScope {
            registry: RegistryAspects::only([
                RegistryWideKind::RegistryPolicy,
                RegistryWideKind::Scanning,
            ])
            .with_account_settings([AccountSettingName::BlobMounting]),
            ..ReadScope::default()
        };
        let read = registry.view(&scope);
        assert!(read.replication.is_unmanaged());
        assert_eq!(read.registry_policy, Setting::Absent);
        assert_eq!(
            read.scanning,
            Setting::Present(Scanning::ecr_default()),
            "a registry nobody configured scans BASIC"
        );
        assert_eq!(
            read.account_settings,
            Some(
                [(AccountSettingName::BlobMounting, "DISABLED".to_owned())]
                    .into_iter()
                    .collect()
            ),
            "only the named setting"
        );
        let read: Vec<_> = scope.registry.kinds().collect();
        assert_eq!(
            read,
            [
                RegistryWideKind::RegistryPolicy,
                RegistryWideKind::Scanning,
                RegistryWideKind::AccountSettings
            ]
        );
    }

    #[test]
    fn registry_wide_writes_are_checked_as_ecr_checks_them() {
        let destination = |account: &str| ecrform_model::ReplicationDestination {
            region: ecrform_model::Region::parse("us-east-1").unwrap(),
            account: ecrform_model::AccountId::parse(account).unwrap(),
        };
        let template = |role: Option<&str>| CreationTemplate {
            applied_for: vec![ecrform_model::AppliedFor::Replication],
            description: None,
            image_tag_mutability: None,
            image_tag_mutability_exclusions: Vec::new(),
            encryption: None,
            resource_tags: [("team".to_owned(), "a".to_owned())].into(),
            lifecycle_policy: None,
            repository_policy: None,
            custom_role_arn: role.map(str::to_owned),
        };
        let refused = [
            (
                "replication into the registry itself",
                ApiCall::PutReplicationConfiguration {
                    rules: vec![ReplicationRule {
                        destinations: vec![destination("123456789012")],
                        repository_filters: Vec::new(),
                    }],
                },
            ),
            (
                "continuous scanning with the BASIC scan type",
                ApiCall::PutRegistryScanningConfiguration {
                    scan_type: ScanType::Basic,
                    rules: vec![ScanRule {
                        frequency: ScanFrequency::ContinuousScan,
                        filters: vec!["*".to_owned()],
                    }],
                },
            ),
            (
                "an unknown account setting value",
                ApiCall::PutAccountSetting {
                    name: AccountSettingName::RegistryPolicyScope,
                    value: "V3".to_owned(),
                },
            ),
            (
                "template tags without a custom role",
                ApiCall::CreateRepositoryCreationTemplate {
                    prefix: "ROOT".to_owned(),
                    template: template(None),
                },
            ),
        ];
        for (case, call) in refused {
            let mut registry = stored();
            let before = registry.state.clone();
            let error = registry.execute(&call).unwrap_err();
            assert_eq!(error.code, "InvalidParameterException", "{case}: {error}");
            assert_eq!(registry.state, before, "{case}");
        }

        let mut registry = stored();
        registry
            .execute(&ApiCall::CreateRepositoryCreationTemplate {
                prefix: "ROOT".to_owned(),
                template: template(Some("arn:aws:iam::123456789012:role/ecr-template")),
            })
            .unwrap();
        let reported = &registry.state.creation_templates.as_ref().unwrap()["ROOT"];
        assert_eq!(
            reported.image_tag_mutability,
            Some(ecrform_model::TagMutability::Mutable)
        );
        assert_eq!(
            reported.encryption,
            Some(ecrform_model::Encryption::aes256())
        );
    }

    const PROFILE: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release";
    const SCANNER: &str = "arn:aws:iam::123456789012:role/scanner";

    fn signing_rules(count: usize, filters: usize) -> Vec<SigningRule> {
        (0..count)
            .map(|_| SigningRule {
                signing_profile_arn: PROFILE.to_owned(),
                repository_filters: (0..filters).map(|i| format!("team-{i}/*")).collect(),
            })
            .collect()
    }

    #[test]
    fn a_new_registry_has_no_signing_configuration_and_no_exclusions() {
        let scope = ReadScope {
            registry: RegistryAspects::only([
                RegistryWideKind::SigningConfiguration,
                RegistryWideKind::PullTimeUpdateExclusions,
            ]),
            ..ReadScope::default()
        };
        let read = stored().view(&scope);
        assert_eq!(read.signing_configuration, Setting::Absent);
        assert_eq!(
            read.pull_time_update_exclusions,
            Some(PullTimeUpdateExclusions::new())
        );
        let unread = stored().view(&ReadScope::default());
        assert!(unread.signing_configuration.is_unmanaged());
        assert_eq!(unread.pull_time_update_exclusions, None);
    }

    #[test]
    fn signing_configurations_are_put_whole_and_deleted_once() {
        let mut registry = stored();
        registry
            .execute(&ApiCall::PutSigningConfiguration {
                rules: signing_rules(2, 1),
            })
            .unwrap();
        registry
            .execute(&ApiCall::PutSigningConfiguration {
                rules: signing_rules(1, 0),
            })
            .unwrap();
        assert_eq!(
            registry.state.signing_configuration,
            Setting::Present(SigningConfiguration {
                rules: signing_rules(1, 0)
            }),
            "a Put replaces the whole configuration"
        );
        registry
            .execute(&ApiCall::DeleteSigningConfiguration)
            .unwrap();
        assert_eq!(registry.state.signing_configuration, Setting::Absent);
        let error = registry
            .execute(&ApiCall::DeleteSigningConfiguration)
            .unwrap_err();
        assert_eq!(error.code, "SigningConfigurationNotFoundException");
        assert_eq!(
            error.kind,
            ErrorKind::NotFound(Missing::SigningConfiguration)
        );
    }

    #[test]
    fn pull_time_update_exclusions_are_registered_once_and_deregistered_once() {
        let register = ApiCall::RegisterPullTimeUpdateExclusion {
            principal_arn: SCANNER.to_owned(),
        };
        let deregister = ApiCall::DeregisterPullTimeUpdateExclusion {
            principal_arn: SCANNER.to_owned(),
        };
        let mut registry = stored();
        registry.execute(&register).unwrap();
        let twice = registry.execute(&register).unwrap_err();
        assert_eq!(twice.code, "ExclusionAlreadyExistsException");
        assert_eq!(twice.kind, ErrorKind::AlreadyExists);
        registry.execute(&deregister).unwrap();
        let missing = registry.execute(&deregister).unwrap_err();
        assert_eq!(missing.code, "ExclusionNotFoundException");
        assert_eq!(
            missing.kind,
            ErrorKind::NotFound(Missing::PullTimeUpdateExclusion)
        );
        assert_eq!(
            registry.state.pull_time_update_exclusions,
            Some(PullTimeUpdateExclusions::new())
        );
    }

    #[test]
    fn signing_and_exclusion_limits_are_ecrs() {
        let mut full = stored();
        for i in 0..PullTimeUpdateExclusions::MAX {
            full.execute(&ApiCall::RegisterPullTimeUpdateExclusion {
                principal_arn: format!("arn:aws:iam::123456789012:role/puller-{i}"),
            })
            .unwrap();
        }
        let one_more = full
            .execute(&ApiCall::RegisterPullTimeUpdateExclusion {
                principal_arn: SCANNER.to_owned(),
            })
            .unwrap_err();
        assert_eq!(one_more.code, "LimitExceededException");

        let refused = [
            (
                "eleven rules",
                ApiCall::PutSigningConfiguration {
                    rules: signing_rules(11, 0),
                },
            ),
            (
                "a hundred and one filters in a rule",
                ApiCall::PutSigningConfiguration {
                    rules: signing_rules(1, 101),
                },
            ),
            (
                "a filter of 257 characters",
                ApiCall::PutSigningConfiguration {
                    rules: vec![SigningRule {
                        signing_profile_arn: PROFILE.to_owned(),
                        repository_filters: vec!["a".repeat(257)],
                    }],
                },
            ),
            (
                "a profile ARN over 200 characters",
                ApiCall::PutSigningConfiguration {
                    rules: vec![SigningRule {
                        signing_profile_arn: format!("{PROFILE}{}", "x".repeat(201)),
                        repository_filters: Vec::new(),
                    }],
                },
            ),
            (
                "a principal ARN over 200 characters",
                ApiCall::RegisterPullTimeUpdateExclusion {
                    principal_arn: format!("{SCANNER}{}", "x".repeat(201)),
                },
            ),
        ];
        for (case, call) in refused {
            let mut registry = stored();
            let before = registry.state.clone();
            let error = registry.execute(&call).unwrap_err();
            assert_eq!(error.code, "InvalidParameterException", "{case}: {error}");
            assert_eq!(registry.state, before, "{case}");
        }
        let mut registry = stored();
        registry
            .execute(&ApiCall::PutSigningConfiguration {
                rules: signing_rules(SigningConfiguration::MAX_RULES, SigningRule::MAX_FILTERS),
            })
            .unwrap();
    }
}
