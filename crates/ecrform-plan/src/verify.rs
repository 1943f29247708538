//! Whether a write already took effect. A call whose response was lost (the request reached
//! ECR and took effect; the answer never came back, so the client sent it again) is answered
//! the second time "already exists" or "not found". So is a call another apply of the same
//! spec made first. Neither is a failure when what the call asks for holds: the executor then
//! reads what the call was about ([`ApiCall::verification`]) and, when the live state shows the
//! call's effect ([`ApiCall::holds_in`]), counts the change as applied.
//!
//! Only creates that ECR refuses as existing and deletes it refuses as missing are checked:
//! every other write sets a value in place and may simply be sent again.

use std::collections::{BTreeMap, BTreeSet};

use ecrform_model::{RegistryState, RegistryWideKind, Setting};

use crate::{ApiCall, Aspects, ErrorKind, Missing, ReadScope, RegistryAspects};

impl ApiCall {
    /// When `error` may mean that the call's effect already holds, the read that tells.
    pub fn verification(&self, error: ErrorKind) -> Option<ReadScope> {
        let repository = |name, aspects| ReadScope {
            repositories: BTreeMap::from([(name, aspects)]),
            only_named: true,
            ..ReadScope::default()
        };
        let registry_wide = |kind| ReadScope {
            only_named: true,
            registry: RegistryAspects::only([kind]),
            ..ReadScope::default()
        };
        match (self, error) {
            (
                ApiCall::CreateRepository {
                    repository: name,
                    encryption,
                    ..
                },
                ErrorKind::AlreadyExists,
            ) => {
                let mut scope = repository(
                    name.clone(),
                    Aspects {
                        tags: true,
                        ..Aspects::default()
                    },
                );
                scope.kms_keys = encryption
                    .iter()
                    .filter_map(|encryption| encryption.key_to_resolve())
                    .collect::<BTreeSet<_>>();
                Some(scope)
            }
            (
                ApiCall::DeleteRepository {
                    repository: name, ..
                },
                ErrorKind::NotFound(Missing::Repository),
            ) => Some(repository(name.clone(), Aspects::default())),
            (
                ApiCall::DeleteLifecyclePolicy { repository: name },
                ErrorKind::NotFound(Missing::LifecyclePolicy | Missing::Repository),
            ) => Some(repository(
                name.clone(),
                Aspects {
                    lifecycle_policy: true,
                    ..Aspects::default()
                },
            )),
            (
                ApiCall::DeleteRepositoryPolicy { repository: name },
                ErrorKind::NotFound(Missing::RepositoryPolicy | Missing::Repository),
            ) => Some(repository(
                name.clone(),
                Aspects {
                    repository_policy: true,
                    ..Aspects::default()
                },
            )),
            (ApiCall::DeleteRegistryPolicy, ErrorKind::NotFound(Missing::RegistryPolicy)) => {
                Some(registry_wide(RegistryWideKind::RegistryPolicy))
            }
            (ApiCall::CreatePullThroughCacheRule { .. }, ErrorKind::AlreadyExists)
            | (
                ApiCall::DeletePullThroughCacheRule { .. },
                ErrorKind::NotFound(Missing::PullThroughCacheRule),
            ) => Some(registry_wide(RegistryWideKind::PullThroughCache)),
            (ApiCall::CreateRepositoryCreationTemplate { .. }, ErrorKind::AlreadyExists)
            | (
                ApiCall::DeleteRepositoryCreationTemplate { .. },
                ErrorKind::NotFound(Missing::CreationTemplate),
            ) => Some(registry_wide(RegistryWideKind::CreationTemplates)),
            (ApiCall::DeleteSigningConfiguration, ErrorKind::NotFound(_)) => {
                Some(registry_wide(RegistryWideKind::SigningConfiguration))
            }
            (ApiCall::RegisterPullTimeUpdateExclusion { .. }, ErrorKind::AlreadyExists)
            | (
                ApiCall::DeregisterPullTimeUpdateExclusion { .. },
                ErrorKind::NotFound(Missing::PullTimeUpdateExclusion),
            ) => Some(registry_wide(RegistryWideKind::PullTimeUpdateExclusions)),
            _ => None,
        }
    }

    /// Whether `live` (read with [`ApiCall::verification`]'s scope) shows what the call asks
    /// for: a created object exists exactly as the call would create it (a repository with
    /// every requested setting and tag, the ownership tag included, so that a repository of
    /// someone else's by the same name is never taken for ours); a deleted one is gone.
    pub fn holds_in(&self, live: &RegistryState) -> bool {
        match self {
            ApiCall::CreateRepository {
                repository,
                image_tag_mutability,
                image_tag_mutability_exclusions,
                scan_on_push,
                encryption,
                tags,
            } => {
                let Some(have) = live.repositories.get(repository) else {
                    return false;
                };
                let same_mode = image_tag_mutability.is_none_or(|mode| {
                    have.image_tag_mutability == Some(mode)
                        && (!mode.takes_exclusions()
                            || same_set(
                                image_tag_mutability_exclusions,
                                have.image_tag_mutability_exclusions.as_deref(),
                            ))
                });
                let same_scanning = scan_on_push.is_none_or(|scan| have.scan_on_push == Some(scan));
                let same_encryption = encryption.as_ref().is_none_or(|want| {
                    have.encryption
                        .as_ref()
                        .is_some_and(|have| want.is_satisfied_by(have, &live.kms_keys))
                });
                let tagged = have.tags.as_ref().is_some_and(|have| {
                    tags.iter().all(|(key, value)| have.get(key) == Some(value))
                });
                same_mode && same_scanning && same_encryption && tagged
            }
            ApiCall::DeleteRepository { repository, .. } => {
                !live.repositories.contains_key(repository)
            }
            ApiCall::DeleteLifecyclePolicy { repository } => live
                .repositories
                .get(repository)
                .is_none_or(|have| matches!(have.lifecycle_policy, Setting::Absent)),
            ApiCall::DeleteRepositoryPolicy { repository } => live
                .repositories
                .get(repository)
                .is_none_or(|have| matches!(have.repository_policy, Setting::Absent)),
            ApiCall::DeleteRegistryPolicy => matches!(live.registry_policy, Setting::Absent),
            ApiCall::CreatePullThroughCacheRule { prefix, rule } => live
                .pull_through_cache
                .as_ref()
                .and_then(|rules| rules.get(prefix))
                .is_some_and(|have| rule.differing_fields(have).is_empty()),
            ApiCall::DeletePullThroughCacheRule { prefix } => live
                .pull_through_cache
                .as_ref()
                .is_some_and(|rules| !rules.contains_key(prefix)),
            ApiCall::CreateRepositoryCreationTemplate { prefix, template } => live
                .creation_templates
                .as_ref()
                .and_then(|templates| templates.get(prefix))
                .is_some_and(|have| have.canonical() == template.canonical()),
            ApiCall::DeleteRepositoryCreationTemplate { prefix } => live
                .creation_templates
                .as_ref()
                .is_some_and(|templates| !templates.contains_key(prefix)),
            ApiCall::DeleteSigningConfiguration => {
                matches!(live.signing_configuration, Setting::Absent)
            }
            ApiCall::RegisterPullTimeUpdateExclusion { principal_arn } => live
                .pull_time_update_exclusions
                .as_ref()
                .is_some_and(|excluded| excluded.contains(principal_arn)),
            ApiCall::DeregisterPullTimeUpdateExclusion { principal_arn } => live
                .pull_time_update_exclusions
                .as_ref()
                .is_some_and(|excluded| !excluded.contains(principal_arn)),
            // Writes in place: never answered "exists" or "missing" for their own effect.
            _ => false,
        }
    }
}

fn same_set(want: &[String], have: Option<&[String]>) -> bool {
    let want: BTreeSet<&String> = want.iter().collect();
    let have: BTreeSet<&String> = have.into_iter().flatten().collect();
    want == have
}
