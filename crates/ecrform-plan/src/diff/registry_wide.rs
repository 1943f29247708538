//! Planning of the registry-wide settings: replication, the registry policy, scanning,
//! pull-through cache rules, repository creation templates, account settings, the signing
//! configuration and pull-time update exclusions.
//!
//! The spec owns each of them that it mentions and nothing else. The four singletons
//! (replication, registry policy, scanning, signing configuration) are documents compared
//! whole on canonical forms; pull-through cache rules and creation templates are exact sets
//! keyed by prefix, pull-time update exclusions an exact set of principal ARNs; account
//! settings are managed by name, one at a time. See the parent module for the order.
//!
//! Every comparison is on the model's canonical forms (`ecrform_model::registry_wide`): live
//! values arrive as ECR reports them, with its defaults filled in, and this module never
//! reduces them itself. What is left here is deciding the change and its calls.

use serde::Serialize;
use serde_json::{Map, Value};

use ecrform_model::{
    AccountSettings, Address, CreationTemplate, Encryption, IamPolicy, PullThroughCacheField,
    PullThroughCacheRule, PullTimeUpdateExclusions, RegistryState, RegistryWideKind, Replication,
    Scanning, Setting, SigningConfiguration, TagMutability, Tags,
};

use super::{DocumentCalls, Planned, RegistryContext, encryption_value, field, plan_document};
use crate::{Action, ApiCall, Change, TemplateChanges};

/// Account settings by name: each one the spec names is written when it differs; the others
/// are not read and never touched. A setting always has a value, so there is no delete.
pub(super) fn plan_account_settings(registry: &RegistryContext<'_>, planned: &mut Planned) {
    let Some(want) = &registry.desired.state.account_settings else {
        return;
    };
    let live = registry
        .live
        .account_settings
        .as_ref()
        .map(AccountSettings::canonical);
    for (name, value) in want {
        let have = live.as_ref().and_then(|settings| settings.get(name));
        if have == Some(value) {
            continue;
        }
        // Every setting has a value in ECR; one missing from live state was not reported.
        let action = if have.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        planned.changes.push(Change::new(
            Address::keyed(
                registry.id.clone(),
                RegistryWideKind::AccountSettings,
                name.as_str(),
            ),
            action,
            vec![field::VALUE.to_owned()],
            have.map(|value| Value::String(value.clone())),
            Some(Value::String(value.clone())),
            vec![ApiCall::PutAccountSetting {
                name: *name,
                value: value.clone(),
            }],
        ));
    }
}

/// The registry policy, like a repository policy: written in place, deleted only for `none`.
pub(super) fn plan_registry_policy(registry: &RegistryContext<'_>, planned: &mut Planned) {
    let change = plan_document(
        Address::singleton(registry.id.clone(), RegistryWideKind::RegistryPolicy),
        &registry.desired.state.registry_policy,
        registry.live.registry_policy.present(),
        |policy: &IamPolicy| policy.canonical().clone(),
        DocumentCalls {
            put: |policy: &IamPolicy| ApiCall::PutRegistryPolicy {
                text: policy.to_compact_json(),
            },
            delete: Some(ApiCall::DeleteRegistryPolicy),
        },
    );
    planned.changes.extend(change);
}

/// Creation templates the spec lists: created, or updated in place (every field but the
/// prefix can change). Templates that left the spec are deleted with the other removals.
pub(super) fn plan_creation_templates(registry: &RegistryContext<'_>, planned: &mut Planned) {
    let Some(want) = &registry.desired.state.creation_templates else {
        return;
    };
    let live = registry.live.creation_templates.as_ref();
    for (prefix, template) in want {
        let address = Address::keyed(
            registry.id.clone(),
            RegistryWideKind::CreationTemplates,
            prefix,
        );
        let want_object = template_object(template);
        match live.and_then(|live| live.get(prefix)) {
            None => planned.changes.push(Change::new(
                address,
                Action::Create,
                present_keys(&want_object, &TemplateField::NAMES),
                None,
                Some(want_object),
                vec![ApiCall::CreateRepositoryCreationTemplate {
                    prefix: prefix.clone(),
                    template: template.clone(),
                }],
            )),
            Some(have) => {
                let have_object = template_object(&have.canonical());
                let differing: Vec<TemplateField> = TemplateField::ALL
                    .into_iter()
                    .filter(|f| want_object.get(f.name()) != have_object.get(f.name()))
                    .collect();
                if differing.is_empty() {
                    continue;
                }
                planned.changes.push(Change::new(
                    address,
                    Action::Update,
                    differing.iter().map(|f| f.name().to_owned()).collect(),
                    Some(have_object),
                    Some(want_object),
                    vec![ApiCall::UpdateRepositoryCreationTemplate {
                        prefix: prefix.clone(),
                        changes: template_changes(template, &differing),
                    }],
                ));
            }
        }
    }
}

/// Pull-through cache rules the spec lists: created; updated in place when only the
/// credential or the role differ (all UpdatePullThroughCacheRule can change); otherwise
/// replaced. Rules that left the spec are deleted with the other removals.
pub(super) fn plan_pull_through_cache(registry: &RegistryContext<'_>, planned: &mut Planned) {
    let Some(want) = &registry.desired.state.pull_through_cache else {
        return;
    };
    let live = registry.live.pull_through_cache.as_ref();
    for (prefix, rule) in want {
        let address = Address::keyed(
            registry.id.clone(),
            RegistryWideKind::PullThroughCache,
            prefix,
        );
        let create = ApiCall::CreatePullThroughCacheRule {
            prefix: prefix.clone(),
            rule: rule.clone(),
        };
        let Some(have) = live.and_then(|live| live.get(prefix)) else {
            planned.changes.push(Change::new(
                address,
                Action::Create,
                PullThroughCacheField::ALL
                    .into_iter()
                    .filter(|f| f.value(rule).is_some())
                    .map(|f| f.name().to_owned())
                    .collect(),
                None,
                Some(to_json(rule)),
                vec![create],
            ));
            continue;
        };
        let differing = rule.differing_fields(have);
        if differing.is_empty() {
            continue;
        }
        let in_place = differing.iter().all(|f| f.updatable_to(rule));
        let (action, calls) = if in_place {
            // Both go in the request whether they changed or not: the update sets the rule's
            // credential and role to what the spec says.
            let update = ApiCall::UpdatePullThroughCacheRule {
                prefix: prefix.clone(),
                credential_arn: rule.credential_arn.clone(),
                custom_role_arn: rule.custom_role_arn.clone(),
            };
            (Action::Update, vec![update])
        } else {
            let delete = ApiCall::DeletePullThroughCacheRule {
                prefix: prefix.clone(),
            };
            (Action::Replace, vec![delete, create])
        };
        let mut change = Change::new(
            address,
            action,
            differing.iter().map(|f| f.name().to_owned()).collect(),
            Some(cache_rule_object(have)),
            Some(to_json(rule)),
            calls,
        );
        if action == Action::Replace {
            change.replace_reason = Some(cache_replace_reason(&differing, rule, have));
        }
        planned.changes.push(change);
    }
}

/// Why a pull-through cache rule is replaced: the creation-only fields that differ (the
/// upstream is set when a rule is created), or the credential or role the spec takes away
/// (which UpdatePullThroughCacheRule cannot).
fn cache_replace_reason(
    differing: &[PullThroughCacheField],
    want: &PullThroughCacheRule,
    have: &PullThroughCacheRule,
) -> String {
    let (want, have) = (want.canonical(), have.canonical());
    let parts: Vec<String> = differing
        .iter()
        .filter(|field| !field.updatable_to(&want))
        .map(|field| match (field.value(&have), field.value(&want)) {
            (Some(before), Some(after)) => format!("{} {before} -> {after}", field.name()),
            (Some(before), None) => {
                format!(
                    "{} {before} removed (an update cannot remove it)",
                    field.name()
                )
            }
            (None, Some(after)) => format!("{} set to {after}", field.name()),
            (None, None) => field.name().to_owned(),
        })
        .collect();
    parts.join(", ")
}

/// The replication configuration, compared whole. `none` (or no rules) clears it with a Put
/// of no rules, which is a delete; live state with no rules is the same as none.
pub(super) fn plan_replication(registry: &RegistryContext<'_>, planned: &mut Planned) {
    let want: Setting<Replication> = match &registry.desired.state.replication {
        Setting::Unmanaged => return,
        Setting::Absent => Setting::Absent,
        Setting::Present(replication) => replication.canonical().into(),
    };
    let have = registry
        .live
        .replication
        .present()
        .and_then(Replication::canonical);
    let change = plan_document(
        Address::singleton(registry.id.clone(), RegistryWideKind::Replication),
        &want,
        have.as_ref(),
        to_json,
        DocumentCalls {
            put: |replication: &Replication| ApiCall::PutReplicationConfiguration {
                rules: replication.rules.clone(),
            },
            delete: Some(ApiCall::PutReplicationConfiguration { rules: Vec::new() }),
        },
    );
    planned.changes.extend(change);
}

/// The scanning configuration, compared whole and written with a Put that replaces it. Every
/// registry has one, so there is nothing to delete: a desired `Absent` (which the spec refuses)
/// plans nothing.
pub(super) fn plan_scanning(registry: &RegistryContext<'_>, planned: &mut Planned) {
    let want = registry
        .desired
        .state
        .scanning
        .clone()
        .map(|s| s.canonical());
    let have = registry.live.scanning.present().map(Scanning::canonical);
    let change = plan_document(
        Address::singleton(registry.id.clone(), RegistryWideKind::Scanning),
        &want,
        have.as_ref(),
        to_json,
        DocumentCalls {
            put: |scanning: &Scanning| ApiCall::PutRegistryScanningConfiguration {
                scan_type: scanning.scan_type,
                rules: scanning.rules.clone(),
            },
            delete: None,
        },
    );
    planned.changes.extend(change);
}

/// The signing configuration, compared whole and written with a Put that replaces it.
/// `none` (or no rules, which signs nothing) deletes it; live state with no rules is the
/// same as none, so it is never deleted for nothing.
pub(super) fn plan_signing_configuration(registry: &RegistryContext<'_>, planned: &mut Planned) {
    let want: Setting<SigningConfiguration> = match &registry.desired.state.signing_configuration {
        Setting::Unmanaged => return,
        Setting::Absent => Setting::Absent,
        Setting::Present(configuration) => configuration.canonical().into(),
    };
    let have = registry
        .live
        .signing_configuration
        .present()
        .and_then(SigningConfiguration::canonical);
    let change = plan_document(
        Address::singleton(registry.id.clone(), RegistryWideKind::SigningConfiguration),
        &want,
        have.as_ref(),
        to_json,
        DocumentCalls {
            put: |configuration: &SigningConfiguration| ApiCall::PutSigningConfiguration {
                rules: configuration.rules.clone(),
            },
            delete: Some(ApiCall::DeleteSigningConfiguration),
        },
    );
    planned.changes.extend(change);
}

/// The spec's pull-time update exclusions that live state lacks, each registered on its own.
/// Exclusions that left the spec are deregistered with the other removals.
pub(super) fn plan_pull_time_update_exclusions(
    registry: &RegistryContext<'_>,
    planned: &mut Planned,
) {
    let Some(want) = &registry.desired.state.pull_time_update_exclusions else {
        return;
    };
    let empty = PullTimeUpdateExclusions::new();
    let have = registry
        .live
        .pull_time_update_exclusions
        .as_ref()
        .unwrap_or(&empty);
    for principal in want.missing_from(have) {
        planned.changes.push(Change::new(
            exclusion_address(registry, principal),
            Action::Create,
            vec![field::PRINCIPAL_ARN.to_owned()],
            None,
            Some(Value::String(principal.clone())),
            vec![ApiCall::RegisterPullTimeUpdateExclusion {
                principal_arn: principal.clone(),
            }],
        ));
    }
}

/// Pull-time update exclusions live state has for principals the spec's exact set lacks:
/// deregistered, which makes their pulls count as an image's last pull again (and so keeps
/// images that lifecycle rules counting from the last pull would otherwise expire or archive).
/// Only when the spec manages the exclusions at all: otherwise they were not even read.
pub(super) fn plan_leftover_pull_time_update_exclusions(
    registry: &RegistryContext<'_>,
    planned: &mut Planned,
) {
    let (Some(want), Some(have)) = (
        &registry.desired.state.pull_time_update_exclusions,
        &registry.live.pull_time_update_exclusions,
    ) else {
        return;
    };
    for principal in have.missing_from(want) {
        planned.changes.push(Change::new(
            exclusion_address(registry, principal),
            Action::Delete,
            vec![field::PRINCIPAL_ARN.to_owned()],
            Some(Value::String(principal.clone())),
            None,
            vec![ApiCall::DeregisterPullTimeUpdateExclusion {
                principal_arn: principal.clone(),
            }],
        ));
    }
}

fn exclusion_address(registry: &RegistryContext<'_>, principal: &str) -> Address {
    Address::keyed(
        registry.id.clone(),
        RegistryWideKind::PullTimeUpdateExclusions,
        principal,
    )
}

/// Pull-through cache rules live state has under a prefix the spec's exact set lacks. Only
/// when the spec manages the rules at all: otherwise they were not even read.
pub(super) fn plan_leftover_pull_through_cache(
    registry: &RegistryContext<'_>,
    planned: &mut Planned,
) {
    let (Some(want), Some(have)) = (
        &registry.desired.state.pull_through_cache,
        &registry.live.pull_through_cache,
    ) else {
        return;
    };
    for (prefix, rule) in have
        .iter()
        .filter(|(prefix, _)| !want.contains_key(*prefix))
    {
        planned.changes.push(Change::new(
            Address::keyed(
                registry.id.clone(),
                RegistryWideKind::PullThroughCache,
                prefix,
            ),
            Action::Delete,
            present_cache_fields(rule),
            Some(cache_rule_object(rule)),
            None,
            vec![ApiCall::DeletePullThroughCacheRule {
                prefix: prefix.clone(),
            }],
        ));
    }
}

/// Creation templates live state has under a prefix the spec's exact set lacks.
pub(super) fn plan_leftover_creation_templates(
    registry: &RegistryContext<'_>,
    planned: &mut Planned,
) {
    let (Some(want), Some(have)) = (
        &registry.desired.state.creation_templates,
        &registry.live.creation_templates,
    ) else {
        return;
    };
    for (prefix, template) in have
        .iter()
        .filter(|(prefix, _)| !want.contains_key(*prefix))
    {
        let before = template_object(&template.canonical());
        planned.changes.push(Change::new(
            Address::keyed(
                registry.id.clone(),
                RegistryWideKind::CreationTemplates,
                prefix,
            ),
            Action::Delete,
            present_keys(&before, &TemplateField::NAMES),
            Some(before),
            None,
            vec![ApiCall::DeleteRepositoryCreationTemplate {
                prefix: prefix.clone(),
            }],
        ));
    }
}

/// The `before` that a registry-wide change would have if it were planned against `live`
/// now; `None` for repository kinds, which the parent module observes.
pub(super) fn observe(change: &Change, live: &RegistryState) -> Option<Value> {
    let key = change.address.key();
    match change.address.kind.registry_wide()? {
        RegistryWideKind::Replication => live
            .replication
            .present()
            .and_then(Replication::canonical)
            .map(|replication| to_json(&replication)),
        RegistryWideKind::RegistryPolicy => live
            .registry_policy
            .present()
            .map(|policy| policy.canonical().clone()),
        RegistryWideKind::Scanning => live
            .scanning
            .present()
            .map(|scanning| to_json(&scanning.canonical())),
        RegistryWideKind::PullThroughCache => live
            .pull_through_cache
            .as_ref()?
            .get(key?)
            .map(cache_rule_object),
        RegistryWideKind::CreationTemplates => live
            .creation_templates
            .as_ref()?
            .get(key?)
            .map(|template| template_object(&template.canonical())),
        RegistryWideKind::AccountSettings => {
            let name = ecrform_model::AccountSettingName::parse(key?)?;
            live.account_settings
                .as_ref()?
                .canonical()
                .get(&name)
                .map(|value| Value::String(value.clone()))
        }
        RegistryWideKind::SigningConfiguration => live
            .signing_configuration
            .present()
            .and_then(SigningConfiguration::canonical)
            .map(|configuration| to_json(&configuration)),
        RegistryWideKind::PullTimeUpdateExclusions => live
            .pull_time_update_exclusions
            .as_ref()?
            .get(key?)
            .map(|principal| Value::String(principal.clone())),
    }
}

/// A serializable model value as JSON; the model's types always serialize (their map keys are
/// strings), so `null` is only a guard that keeps this total.
fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Sorted, without repeats: the lists of registry-wide settings that are sets to ECR.
fn sorted_set(values: &[String]) -> Vec<String> {
    let mut values = values.to_vec();
    values.sort();
    values.dedup();
    values
}

/// A live pull-through cache rule as a plan shows it: its canonical form (what ECR fills in by
/// itself left out, as a spec leaves it out), absent fields left out. The desired side is
/// shown as the spec writes it.
fn cache_rule_object(rule: &PullThroughCacheRule) -> Value {
    to_json(&rule.canonical())
}

/// The names of the fields a rule's canonical form has, in plan order.
fn present_cache_fields(rule: &PullThroughCacheRule) -> Vec<String> {
    let canonical = rule.canonical();
    PullThroughCacheField::ALL
        .into_iter()
        .filter(|f| f.value(&canonical).is_some())
        .map(|f| f.name().to_owned())
        .collect()
}

/// The fields of a creation template, in the order `fields` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TemplateField {
    AppliedFor,
    Description,
    ImageTagMutability,
    ImageTagMutabilityExclusions,
    Encryption,
    ResourceTags,
    LifecyclePolicy,
    RepositoryPolicy,
    CustomRoleArn,
}

impl TemplateField {
    const ALL: [TemplateField; 9] = [
        TemplateField::AppliedFor,
        TemplateField::Description,
        TemplateField::ImageTagMutability,
        TemplateField::ImageTagMutabilityExclusions,
        TemplateField::Encryption,
        TemplateField::ResourceTags,
        TemplateField::LifecyclePolicy,
        TemplateField::RepositoryPolicy,
        TemplateField::CustomRoleArn,
    ];

    const NAMES: [&'static str; 9] = [
        field::APPLIED_FOR,
        field::DESCRIPTION,
        field::IMAGE_TAG_MUTABILITY,
        field::IMAGE_TAG_MUTABILITY_EXCLUSIONS,
        field::ENCRYPTION,
        field::RESOURCE_TAGS,
        field::LIFECYCLE_POLICY,
        field::REPOSITORY_POLICY,
        field::CUSTOM_ROLE_ARN,
    ];

    fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The field's canonical value; `None` when the template does not have it.
    fn value(self, template: &CreationTemplate) -> Option<Value> {
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .filter(|text| !text.is_empty())
                .map(|text| Value::String(text.to_owned()))
        };
        match self {
            TemplateField::AppliedFor => {
                let names: Vec<String> = template
                    .applied_for
                    .iter()
                    .map(|applied| applied.as_str().to_owned())
                    .collect();
                Some(Value::from(sorted_set(&names)))
            }
            TemplateField::Description => text(&template.description),
            // ECR reports its defaults for a template created without them: MUTABLE, AES256.
            TemplateField::ImageTagMutability => Some(Value::String(
                template
                    .image_tag_mutability
                    .unwrap_or(TagMutability::Mutable)
                    .as_str()
                    .to_owned(),
            )),
            TemplateField::ImageTagMutabilityExclusions => {
                let filters = sorted_set(&template.image_tag_mutability_exclusions);
                (!filters.is_empty()).then(|| Value::from(filters))
            }
            TemplateField::Encryption => Some(encryption_value(
                template
                    .encryption
                    .as_ref()
                    .unwrap_or(&Encryption::aes256()),
            )),
            TemplateField::ResourceTags => (!template.resource_tags.is_empty()).then(|| {
                template
                    .resource_tags
                    .iter()
                    .map(|(key, value)| (key.clone(), Value::String(value.clone())))
                    .collect::<Map<String, Value>>()
                    .into()
            }),
            TemplateField::LifecyclePolicy => template
                .lifecycle_policy
                .as_ref()
                .map(|policy| policy.canonical().clone()),
            TemplateField::RepositoryPolicy => template
                .repository_policy
                .as_ref()
                .map(|policy| policy.canonical().clone()),
            TemplateField::CustomRoleArn => text(&template.custom_role_arn),
        }
    }
}

/// A template's canonical object: the fields it has, sets sorted, documents canonical, and
/// ECR's defaults where the template leaves mutability and encryption out.
fn template_object(template: &CreationTemplate) -> Value {
    let object: Map<String, Value> = TemplateField::ALL
        .into_iter()
        .filter_map(|f| f.value(template).map(|value| (f.name().to_owned(), value)))
        .collect();
    Value::Object(object)
}

/// The names among `names` that `object` has, in that order.
fn present_keys(object: &Value, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter(|name| object.get(**name).is_some())
        .map(|name| (*name).to_owned())
        .collect()
}

/// The update request that makes a template's `differing` fields what `want` says.
fn template_changes(want: &CreationTemplate, differing: &[TemplateField]) -> TemplateChanges {
    let mut changes = TemplateChanges::default();
    let cleared = |value: &Option<String>| Some(value.clone().unwrap_or_default());
    for f in differing {
        match f {
            TemplateField::AppliedFor => changes.applied_for = Some(want.applied_for.clone()),
            TemplateField::Description => changes.description = cleared(&want.description),
            TemplateField::ImageTagMutability | TemplateField::ImageTagMutabilityExclusions => {
                let mode = want.image_tag_mutability.unwrap_or(TagMutability::Mutable);
                changes.image_tag_mutability = Some(mode);
                // ECR rejects exclusion filters for a mode that does not take them.
                changes.image_tag_mutability_exclusions = Some(if mode.takes_exclusions() {
                    want.image_tag_mutability_exclusions.clone()
                } else {
                    Vec::new()
                });
            }
            TemplateField::Encryption => {
                changes.encryption =
                    Some(want.encryption.clone().unwrap_or_else(Encryption::aes256))
            }
            TemplateField::ResourceTags => {
                let tags: Tags = want.resource_tags.clone();
                changes.resource_tags = Some(tags);
            }
            TemplateField::LifecyclePolicy => {
                changes.lifecycle_policy = Some(
                    want.lifecycle_policy
                        .as_ref()
                        .map(|policy| policy.to_compact_json())
                        .unwrap_or_default(),
                )
            }
            TemplateField::RepositoryPolicy => {
                changes.repository_policy = Some(
                    want.repository_policy
                        .as_ref()
                        .map(|policy| policy.to_compact_json())
                        .unwrap_or_default(),
                )
            }
            TemplateField::CustomRoleArn => {
                changes.custom_role_arn = cleared(&want.custom_role_arn)
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests;
