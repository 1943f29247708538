//! The planner: `plan(desired, live)` compares the spec's desired state with live state on
//! canonical forms and returns the [`Plan`] of changes that makes live equal the spec. It is a
//! pure function so that the same value can be rendered, saved, snapshot-tested and applied.
//!
//! # Order
//! The order of `Plan::changes` is the apply order, and it is deterministic: it depends only on
//! the inputs' contents, never on the order registries or repositories were listed in.
//! - Registries in ascending `ACCOUNT/REGION` order; a registry's changes are contiguous.
//! - Within a registry, the registry-wide settings come first, because what they say shapes
//!   the repositories that follow (a creation template applies to repositories created after
//!   it, a registry policy lets other accounts replicate in), in this order (see
//!   [`REGISTRY_STEPS`]):
//!   1. `account_setting`s by name: `REGISTRY_POLICY_SCOPE` decides how the registry policy
//!      is read, so it goes before the policy;
//!   2. `registry_policy`;
//!   3. `creation_template`s by prefix (creates and updates), before the pull-through cache
//!      rules and replication that create repositories from them;
//!   4. `pull_through_cache` rules by prefix (creates, updates, replaces);
//!   5. `replication`;
//!   6. `scanning`;
//!   7. `signing_configuration`;
//!   8. `pull_time_update_exclusion`s registered, by principal ARN.
//!
//!   Scanning, signing and the pull-time exclusions say what happens to images as they are
//!   pushed and pulled; nothing else in a plan depends on them, and they depend on nothing but
//!   the registry, so they come last among the settings, in the order the spec documents
//!   them. (Within the executor's second phase these chains run concurrently anyway: the
//!   order is what a reviewer reads.)
//! - Then, for each desired repository by name: the `repository` change (create, update or
//!   replace) first, because a policy needs its repository; then its `lifecycle_policy`; then
//!   its `repository_policy`.
//! - Then the removals: pull-through cache rules and creation templates whose prefix left the
//!   spec's exact set, by prefix, pull-time update exclusions whose principal left it, by ARN,
//!   and the deletes of pruned repositories, by name; after every create and update of the
//!   registry, so that a failed apply never leaves a registry with less than it started with.
//!   (A signing configuration the spec sets to `none` is not a removal: like a registry policy
//!   set to `none`, the spec asks for its absence in place.)
//!
//! The executor (see [`crate::apply`]) keeps this order within a registry and adds one across
//! registries: every registry's policy and account settings are written before anything else
//! of any registry, so that a destination's policy is in place before a source replicates.
//!
//! # Shapes
//! `before` and `after` are canonical JSON, `null` when the object is absent:
//! - `repository`: an object with the managed fields only (see [`field`]), reserved tag keys
//!   left out, exclusions sorted. For an update both sides hold the fields the spec manages.
//!   A created (or replacing) repository's `after` also holds the ownership tag, which ecrform
//!   writes; a delete's `before` holds every field live state has.
//! - policy documents (`lifecycle_policy`, `repository_policy`, `registry_policy`): the
//!   document's canonical form.
//! - `replication`: `{"rules": [{"destinations": [{"region", "account"}],
//!   "repository_filters": [...]}]}` with destinations and filters sorted and deduplicated and
//!   rules sorted; a configuration without rules is absent (`null`).
//! - `scanning`: `{"type", "rules": [{"frequency", "filters"}]}`, rules by frequency, filters
//!   sorted.
//! - `pull_through_cache`: the rule's fields as the spec writes them (`upstream_url`,
//!   `upstream_registry`, `credential_arn`, `custom_role_arn`, `upstream_repository_prefix`),
//!   absent ones left out.
//! - `creation_template`: the template's fields as the spec writes them, `applied_for` and
//!   exclusions sorted, `lifecycle_policy` and `repository_policy` canonical, and ECR's
//!   defaults (`MUTABLE`, `AES256`) where the template leaves mutability or encryption out.
//! - `account_setting`: the value, a JSON string.
//! - `signing_configuration`: `{"rules": [{"signing_profile_arn", "repository_filters":
//!   [...]}]}`, filters sorted and deduplicated (left out when a rule has none), rules sorted;
//!   a configuration without rules is absent (`null`).
//! - `pull_time_update_exclusion`: the principal ARN, a JSON string (field
//!   [`field::PRINCIPAL_ARN`]); a registered exclusion has nothing else to compare.
//!
//! `fields` names what differs: for an update or replace the differing fields, for a create
//! every field it sets (a repository's always include `tags`, for the ownership tag), for a
//! delete every field it removes. A document is compared whole, so its changes list the single
//! field [`field::DOCUMENT`]; an account setting's the single field [`field::VALUE`].

use serde_json::{Map, Value};

use ecrform_model::snapshot::fill_live_defaults;
use ecrform_model::{
    Address, DesiredRegistry, DesiredState, Encryption, IamPolicy, KmsKeys, LifecyclePolicy,
    OWNERSHIP_TAG_KEY, OWNERSHIP_TAG_VALUE, OwnerId, RegistryId, RegistryState, RepositoryName,
    RepositoryState, ResourceKind, Setting, TagMutability, Tags, is_reserved_tag_key,
};

use crate::{Action, ApiCall, Change, OwnedElsewhere, Plan};

/// The names used in [`Change::fields`]; they are part of the plan JSON contract.
pub mod field {
    pub const IMAGE_TAG_MUTABILITY: &str = "image_tag_mutability";
    pub const IMAGE_TAG_MUTABILITY_EXCLUSIONS: &str = "image_tag_mutability_exclusions";
    pub const SCAN_ON_PUSH: &str = "scan_on_push";
    pub const ENCRYPTION: &str = "encryption";
    pub const TAGS: &str = "tags";
    /// The one field of a policy document address: the document is compared whole.
    pub const DOCUMENT: &str = "document";
    /// The one field of an account setting.
    pub const VALUE: &str = "value";
    // Pull-through cache rules: the model names their fields.
    use ecrform_model::PullThroughCacheField as Cache;
    pub const UPSTREAM_URL: &str = Cache::UpstreamUrl.name();
    pub const UPSTREAM_REGISTRY: &str = Cache::UpstreamRegistry.name();
    pub const CREDENTIAL_ARN: &str = Cache::CredentialArn.name();
    pub const CUSTOM_ROLE_ARN: &str = Cache::CustomRoleArn.name();
    pub const UPSTREAM_REPOSITORY_PREFIX: &str = Cache::UpstreamRepositoryPrefix.name();
    // Creation templates (with the repository fields above and `custom_role_arn`).
    pub const APPLIED_FOR: &str = "applied_for";
    pub const DESCRIPTION: &str = "description";
    pub const RESOURCE_TAGS: &str = "resource_tags";
    pub const LIFECYCLE_POLICY: &str = "lifecycle_policy";
    pub const REPOSITORY_POLICY: &str = "repository_policy";
    /// The one field of a pull-time update exclusion.
    pub const PRINCIPAL_ARN: &str = "principal_arn";
    /// A repository's owner: the ownership tag's value, which moves from the legacy owner to
    /// the spec's owner id (see `migrates_ownership`).
    pub const OWNER: &str = "owner";
}

/// Plans the changes that make `live` equal `desired`.
///
/// A registry of the spec that `live` does not hold counts as empty: every repository is
/// created. Registries in `live` that the spec does not name are ignored.
pub fn plan(desired: &DesiredState, live: &[RegistryState]) -> Plan {
    let mut registries: Vec<(RegistryId, &DesiredRegistry)> = desired
        .registries
        .iter()
        .map(|registry| (registry.state.id(), registry))
        .collect();
    registries.sort_by(|a, b| a.0.cmp(&b.0));

    let mut planned = Planned::default();
    for (id, desired_registry) in registries {
        let empty;
        let live_registry = match live.iter().find(|registry| registry.id() == id) {
            Some(registry) => registry,
            None => {
                empty = RegistryState::empty(id.clone());
                &empty
            }
        };
        planned.registries.push(id.clone());
        let context = RegistryContext {
            id: &id,
            desired: desired_registry,
            live: live_registry,
        };
        for step in REGISTRY_STEPS {
            step(&context, &mut planned);
        }
    }
    crate::access::annotate(&mut planned.changes);
    let mut plan = Plan::new(planned.changes, planned.unmanaged);
    plan.owned_elsewhere = planned.owned_elsewhere;
    plan.registries = planned.registries;
    plan
}

/// What the planner has found so far, in apply order.
#[derive(Debug, Default)]
struct Planned {
    changes: Vec<Change>,
    unmanaged: Vec<Address>,
    owned_elsewhere: Vec<OwnedElsewhere>,
    registries: Vec<RegistryId>,
}

/// One registry as both sides know it.
#[derive(Debug)]
struct RegistryContext<'a> {
    id: &'a RegistryId,
    desired: &'a DesiredRegistry,
    live: &'a RegistryState,
}

type RegistryStep = fn(&RegistryContext<'_>, &mut Planned);

/// The planning steps of one registry, in apply order (see the module documentation).
const REGISTRY_STEPS: [RegistryStep; 13] = [
    registry_wide::plan_account_settings,
    registry_wide::plan_registry_policy,
    registry_wide::plan_creation_templates,
    registry_wide::plan_pull_through_cache,
    registry_wide::plan_replication,
    registry_wide::plan_scanning,
    registry_wide::plan_signing_configuration,
    registry_wide::plan_pull_time_update_exclusions,
    plan_desired_repositories,
    registry_wide::plan_leftover_pull_through_cache,
    registry_wide::plan_leftover_creation_templates,
    registry_wide::plan_leftover_pull_time_update_exclusions,
    plan_leftover_repositories,
];

/// Creates, updates and replaces of the spec's repositories, each followed by its policies.
fn plan_desired_repositories(registry: &RegistryContext<'_>, planned: &mut Planned) {
    for (name, want) in &registry.desired.state.repositories {
        let have = registry.live.repositories.get(name).map(|live| {
            // Live state may leave a setting out where ECR reports its default; absent equals
            // default, as DescribeRepositories itself has it.
            let mut live = live.clone();
            fill_live_defaults(&mut live);
            live
        });
        plan_repository(
            registry.id,
            name,
            want,
            have.as_ref(),
            (registry.live, &registry.desired.owner),
            planned,
        );
    }
}

/// Live repositories the spec does not name: pruned when ecrform owns them, otherwise reported.
fn plan_leftover_repositories(registry: &RegistryContext<'_>, planned: &mut Planned) {
    for (name, have) in &registry.live.repositories {
        if registry.desired.state.repositories.contains_key(name) {
            continue;
        }
        let address =
            Address::repository(registry.id.clone(), ResourceKind::Repository, name.clone());
        let owner = &registry.desired.owner;
        if let Some(other) = have.owner().filter(|other| *other != owner.as_str()) {
            // Another spec created it: never this spec's to prune, nor unmanaged.
            planned.owned_elsewhere.push(OwnedElsewhere {
                address,
                owner: other.to_owned(),
            });
        } else if registry.desired.prune && have.is_owned_by(owner) {
            // Deleting a repository deletes its policies with it: no separate policy deletes.
            let present: Vec<RepositoryField> = RepositoryField::ALL
                .into_iter()
                .filter(|f| f.value(have).is_some())
                .collect();
            // Without the registry's prune force_delete, ECR refuses to delete a repository
            // that still holds images, which is the guard the contract promises.
            let delete = ApiCall::DeleteRepository {
                repository: name.clone(),
                force: registry.desired.prune_force_delete,
            };
            planned.changes.push(Change::new(
                address,
                Action::Delete,
                names(&present),
                Some(removal_object(have, &present)),
                None,
                vec![delete],
            ));
        } else {
            planned.unmanaged.push(address);
        }
    }
}

fn plan_repository(
    registry: &RegistryId,
    name: &RepositoryName,
    want: &RepositoryState,
    have: Option<&RepositoryState>,
    (live, owner): (&RegistryState, &OwnerId),
    planned: &mut Planned,
) {
    let keys = &live.kms_keys;
    let address = |kind| Address::repository(registry.clone(), kind, name.clone());
    let managed: Vec<RepositoryField> = RepositoryField::ALL
        .into_iter()
        .filter(|f| f.value(want).is_some())
        .collect();

    // The policies that live state has for the repository once the repository change is
    // applied: none after a create or a replace, since a new repository starts without them.
    let live_policies = match have {
        None => {
            let mut fields = managed.clone();
            if !fields.contains(&RepositoryField::Tags) {
                fields.push(RepositoryField::Tags);
            }
            let mut create = Change::new(
                address(ResourceKind::Repository),
                Action::Create,
                names(&fields),
                None,
                Some(created_repository_object(want, &managed, owner)),
                vec![create_repository_call(name, want, owner)],
            );
            // Deleted by a replace that did not finish: created again as the replace would
            // have, with what the spec does not manage restored from the old repository.
            if let Some(old) = live.interrupted.get(name) {
                create.calls = replacement_calls(name, want, old, owner)
                    .into_iter()
                    .filter(|call| !matches!(call, ApiCall::DeleteRepository { .. }))
                    .collect();
                create.restores = Some(restored_phrase(want, old));
            }
            planned.changes.push(create);
            None
        }
        Some(have) => {
            let differing: Vec<RepositoryField> = managed
                .iter()
                .copied()
                .filter(|f| f.differs(want, have, keys))
                .collect();
            if differing.contains(&RepositoryField::Encryption) {
                let mut replace = Change::new(
                    address(ResourceKind::Repository),
                    Action::Replace,
                    names(&differing),
                    Some(repository_object(have, &managed)),
                    Some(created_repository_object(want, &managed, owner)),
                    replacement_calls(name, want, have, owner),
                );
                // Encryption is set when a repository is created: there is no update call.
                replace.replace_reason = Some(format!(
                    "encryption {} -> {}",
                    encryption_phrase(have.encryption.as_ref(), keys),
                    encryption_phrase(want.encryption.as_ref(), keys),
                ));
                planned.changes.push(replace);
                None
            } else {
                let migrates = migrates_ownership(have, owner);
                if !differing.is_empty() || migrates {
                    let mut update = Change::new(
                        address(ResourceKind::Repository),
                        Action::Update,
                        names(&differing),
                        Some(repository_object(have, &managed)),
                        Some(repository_object(want, &managed)),
                        update_calls(name, want, have, &differing),
                    );
                    if migrates {
                        take_ownership(&mut update, name, owner);
                    }
                    planned.changes.push(update);
                }
                Some(have)
            }
        }
    };

    let lifecycle = plan_document(
        address(ResourceKind::LifecyclePolicy),
        &want.lifecycle_policy,
        live_policies.and_then(|have| have.lifecycle_policy.present()),
        |policy| policy.canonical().clone(),
        DocumentCalls {
            put: |policy: &LifecyclePolicy| ApiCall::PutLifecyclePolicy {
                repository: name.clone(),
                text: policy.to_compact_json(),
            },
            delete: Some(ApiCall::DeleteLifecyclePolicy {
                repository: name.clone(),
            }),
        },
    );
    let repository_policy = plan_document(
        address(ResourceKind::RepositoryPolicy),
        &want.repository_policy,
        live_policies.and_then(|have| have.repository_policy.present()),
        |policy| policy.canonical().clone(),
        DocumentCalls {
            put: |policy: &IamPolicy| ApiCall::SetRepositoryPolicy {
                repository: name.clone(),
                text: policy.to_compact_json(),
            },
            delete: Some(ApiCall::DeleteRepositoryPolicy {
                repository: name.clone(),
            }),
        },
    );
    // A replace leaves a repository without policies, so the spec's are created again; when
    // the old repository held the same document, the create only writes it back.
    let replaced = have.filter(|_| live_policies.is_none());
    let mut lifecycle = lifecycle;
    let mut repository_policy = repository_policy;
    if let Some(old) = replaced {
        if let Some(change) = &mut lifecycle {
            change.recreated_unchanged = old.lifecycle_policy.present().is_some()
                && old.lifecycle_policy.present() == want.lifecycle_policy.present();
        }
        if let Some(change) = &mut repository_policy {
            change.recreated_unchanged = old.repository_policy.present().is_some()
                && old.repository_policy.present() == want.repository_policy.present();
        }
    }
    planned.changes.extend(lifecycle);
    planned.changes.extend(repository_policy);
}

/// Plans one document: written in place when it differs (never delete-then-create, which
/// would leave a window without a policy), deleted only when the spec says "absent" and the
/// document can be deleted at all (`calls.delete`). `canonical` gives the form shown in
/// `before` and `after`; equality is the type's own, which compares canonical forms.
fn plan_document<T: PartialEq>(
    address: Address,
    want: &Setting<T>,
    have: Option<&T>,
    canonical: impl Fn(&T) -> Value,
    calls: DocumentCalls<impl Fn(&T) -> ApiCall>,
) -> Option<Change> {
    let want = want.as_managed()?;
    let action = match (have, want) {
        (None, None) => return None,
        (Some(_), None) if calls.delete.is_none() => return None,
        (Some(have), Some(want)) if have == want => return None,
        (None, Some(_)) => Action::Create,
        (Some(_), Some(_)) => Action::Update,
        (Some(_), None) => Action::Delete,
    };
    // Writing a policy replaces it in place: there is never a window without one.
    let calls = match want {
        Some(want) => vec![(calls.put)(want)],
        None => calls.delete.into_iter().collect(),
    };
    Some(Change::new(
        address,
        action,
        vec![field::DOCUMENT.to_owned()],
        have.map(&canonical),
        want.map(&canonical),
        calls,
    ))
}

/// What `change.before` would be if the change were planned against `live` now: the same
/// projection the planner made (the fields `before` holds, canonical documents), so that a
/// saved plan can tell whether its addresses changed since it was made.
pub(crate) fn observe(change: &Change, live: &RegistryState) -> Option<Value> {
    let Some(name) = change.address.repository_name() else {
        return registry_wide::observe(change, live);
    };
    let mut repository = live.repositories.get(name)?.clone();
    fill_live_defaults(&mut repository);
    match change.address.kind {
        ResourceKind::Repository => {
            let fields: Vec<RepositoryField> = match &change.before {
                Some(Value::Object(before)) => RepositoryField::ALL
                    .into_iter()
                    .filter(|f| before.contains_key(f.name()))
                    .collect(),
                _ => RepositoryField::ALL.to_vec(),
            };
            let mut object = if change.action == Action::Delete {
                removal_object(&repository, &fields)
            } else {
                repository_object(&repository, &fields)
            };
            if let (Some(Value::Object(before)), Value::Object(now)) = (&change.before, &mut object)
                && before.contains_key(field::OWNER)
            {
                now.insert(
                    field::OWNER.to_owned(),
                    repository
                        .owner()
                        .map_or(Value::Null, |o| Value::String(o.to_owned())),
                );
            }
            Some(object)
        }
        ResourceKind::LifecyclePolicy => repository
            .lifecycle_policy
            .present()
            .map(|policy| policy.canonical().clone()),
        ResourceKind::RepositoryPolicy => repository
            .repository_policy
            .present()
            .map(|policy| policy.canonical().clone()),
        ResourceKind::RegistryWide(_) => None,
    }
}

/// How a document is written and deleted; `None` for a document that cannot be absent.
struct DocumentCalls<P> {
    put: P,
    delete: Option<ApiCall>,
}

/// CreateRepository with every managed setting and the ownership tag, in one call.
fn create_repository_call(
    name: &RepositoryName,
    want: &RepositoryState,
    owner: &OwnerId,
) -> ApiCall {
    let mut tags: Tags = want
        .tags
        .iter()
        .flatten()
        .filter(|(key, _)| !is_reserved_tag_key(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    tags.insert(OWNERSHIP_TAG_KEY.to_owned(), owner.as_str().to_owned());
    ApiCall::CreateRepository {
        repository: name.clone(),
        image_tag_mutability: want.image_tag_mutability,
        image_tag_mutability_exclusions: want
            .image_tag_mutability_exclusions
            .clone()
            .unwrap_or_default(),
        scan_on_push: want.scan_on_push,
        encryption: want.encryption.clone(),
        tags,
    }
}

/// Delete, then create again with the spec's settings. What the spec does not manage keeps its
/// live value on the new repository ("not managed" means never changed, a replace included):
/// unmanaged mutability, scanning and tags go into the create, unmanaged policies are written
/// again after it. Planning reads every aspect of a repository whose encryption the spec
/// manages (see `ReadScope::for_desired`), so those live values are known here.
fn replacement_calls(
    name: &RepositoryName,
    want: &RepositoryState,
    have: &RepositoryState,
    owner: &OwnerId,
) -> Vec<ApiCall> {
    let mut carried = want.clone();
    if want.image_tag_mutability.is_none() {
        carried.image_tag_mutability = have.image_tag_mutability;
        carried.image_tag_mutability_exclusions = have.image_tag_mutability_exclusions.clone();
    }
    carried.scan_on_push = want.scan_on_push.or(have.scan_on_push);
    if want.tags.is_none() {
        carried.tags = have.tags.clone();
    }
    let mut calls = vec![
        ApiCall::DeleteRepository {
            repository: name.clone(),
            force: want.force_delete,
        },
        create_repository_call(name, &carried, owner),
    ];
    if want.lifecycle_policy.is_unmanaged()
        && let Some(policy) = have.lifecycle_policy.present()
    {
        calls.push(ApiCall::PutLifecyclePolicy {
            repository: name.clone(),
            text: policy.to_compact_json(),
        });
    }
    if want.repository_policy.is_unmanaged()
        && let Some(policy) = have.repository_policy.present()
    {
        calls.push(ApiCall::SetRepositoryPolicy {
            repository: name.clone(),
            text: policy.to_compact_json(),
        });
    }
    calls
}

/// What a create restores of an interrupted replace's old repository: `tags, lifecycle
/// policy, repository policy` (what the spec leaves unmanaged and the old repository had
/// other than ECR's defaults).
fn restored_phrase(want: &RepositoryState, old: &RepositoryState) -> String {
    let mut restored = Vec::new();
    // ECR's defaults (MUTABLE, no scan on push) are not worth a word.
    if want.image_tag_mutability.is_none()
        && old
            .image_tag_mutability
            .is_some_and(|mode| mode != TagMutability::Mutable)
    {
        restored.push("tag mutability");
    }
    if want.scan_on_push.is_none() && old.scan_on_push == Some(true) {
        restored.push("scan on push");
    }
    if want.tags.is_none()
        && old
            .tags
            .iter()
            .flatten()
            .any(|(key, _)| !is_reserved_tag_key(key))
    {
        restored.push("tags");
    }
    if want.lifecycle_policy.is_unmanaged() && old.lifecycle_policy.present().is_some() {
        restored.push("lifecycle policy");
    }
    if want.repository_policy.is_unmanaged() && old.repository_policy.present().is_some() {
        restored.push("repository policy");
    }
    if restored.is_empty() {
        String::from("what an interrupted replace deleted (nothing beyond the spec)")
    } else {
        format!(
            "what an interrupted replace deleted, from the recovery record: {}",
            restored.join(", ")
        )
    }
}

/// The minimal calls for the differing fields of an existing repository: tags are added or
/// overwritten with TagResource and removed with UntagResource, each with only the keys that
/// differ.
fn update_calls(
    name: &RepositoryName,
    want: &RepositoryState,
    have: &RepositoryState,
    differing: &[RepositoryField],
) -> Vec<ApiCall> {
    let mut calls = Vec::new();
    let mutability_differs = differing.contains(&RepositoryField::ImageTagMutability)
        || differing.contains(&RepositoryField::ImageTagMutabilityExclusions);
    if mutability_differs
        && let Some(mode) = want.image_tag_mutability.or(have.image_tag_mutability)
    {
        let exclusions = want
            .image_tag_mutability_exclusions
            .as_ref()
            .or(have.image_tag_mutability_exclusions.as_ref())
            .cloned()
            .unwrap_or_default();
        calls.push(ApiCall::PutImageTagMutability {
            repository: name.clone(),
            image_tag_mutability: mode,
            // ECR rejects exclusion filters for a mode that does not take them.
            image_tag_mutability_exclusions: if mode.takes_exclusions() {
                exclusions
            } else {
                Vec::new()
            },
        });
    }
    if differing.contains(&RepositoryField::ScanOnPush)
        && let Some(scan_on_push) = want.scan_on_push
    {
        calls.push(ApiCall::PutImageScanningConfiguration {
            repository: name.clone(),
            scan_on_push,
        });
    }
    if differing.contains(&RepositoryField::Tags) {
        let empty = Tags::new();
        let want_tags = want.tags.as_ref().unwrap_or(&empty);
        let have_tags = have.tags.as_ref().unwrap_or(&empty);
        let user = |key: &String| !is_reserved_tag_key(key);
        let to_set: Tags = want_tags
            .iter()
            .filter(|(key, value)| user(key) && have_tags.get(*key) != Some(*value))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let to_remove: Vec<String> = have_tags
            .keys()
            .filter(|key| user(key) && !want_tags.contains_key(*key))
            .cloned()
            .collect();
        if !to_set.is_empty() {
            calls.push(ApiCall::TagResource {
                repository: name.clone(),
                tags: to_set,
            });
        }
        if !to_remove.is_empty() {
            calls.push(ApiCall::UntagResource {
                repository: name.clone(),
                keys: to_remove,
            });
        }
    }
    calls
}

/// The fields of the `repository` address, in the order they are listed in `fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RepositoryField {
    ImageTagMutability,
    ImageTagMutabilityExclusions,
    ScanOnPush,
    Encryption,
    Tags,
}

impl RepositoryField {
    const ALL: [RepositoryField; 5] = [
        RepositoryField::ImageTagMutability,
        RepositoryField::ImageTagMutabilityExclusions,
        RepositoryField::ScanOnPush,
        RepositoryField::Encryption,
        RepositoryField::Tags,
    ];

    fn name(self) -> &'static str {
        match self {
            RepositoryField::ImageTagMutability => field::IMAGE_TAG_MUTABILITY,
            RepositoryField::ImageTagMutabilityExclusions => field::IMAGE_TAG_MUTABILITY_EXCLUSIONS,
            RepositoryField::ScanOnPush => field::SCAN_ON_PUSH,
            RepositoryField::Encryption => field::ENCRYPTION,
            RepositoryField::Tags => field::TAGS,
        }
    }

    /// The field's canonical value, `None` when the state does not hold (or manage) it.
    fn value(self, repository: &RepositoryState) -> Option<Value> {
        match self {
            RepositoryField::ImageTagMutability => repository
                .image_tag_mutability
                .map(|mode| Value::String(mode.as_str().to_owned())),
            RepositoryField::ImageTagMutabilityExclusions => {
                // Exclusion filters are a set: order and repeats carry no meaning to ECR.
                repository
                    .image_tag_mutability_exclusions
                    .as_ref()
                    .map(|filters| {
                        let mut filters = filters.clone();
                        filters.sort();
                        filters.dedup();
                        Value::from(filters)
                    })
            }
            RepositoryField::ScanOnPush => repository.scan_on_push.map(Value::Bool),
            RepositoryField::Encryption => repository.encryption.as_ref().map(encryption_value),
            RepositoryField::Tags => repository.tags.as_ref().map(|tags| tags_value(tags, None)),
        }
    }

    /// Whether a field that `want` manages differs in `have`.
    fn differs(self, want: &RepositoryState, have: &RepositoryState, keys: &KmsKeys) -> bool {
        match self {
            // The key forms (alias, id, ARN) that ECR reports differently compare equal here.
            RepositoryField::Encryption => match (&want.encryption, &have.encryption) {
                (Some(want), Some(have)) => !want.is_satisfied_by(have, keys),
                (Some(_), None) => true,
                (None, _) => false,
            },
            _ => self.value(want) != self.value(have),
        }
    }
}

fn names(fields: &[RepositoryField]) -> Vec<String> {
    fields.iter().map(|f| f.name().to_owned()).collect()
}

/// The canonical object of `fields` of a repository; a field the state lacks is `null`.
fn repository_object(repository: &RepositoryState, fields: &[RepositoryField]) -> Value {
    let object: Map<String, Value> = fields
        .iter()
        .map(|f| {
            (
                f.name().to_owned(),
                f.value(repository).unwrap_or(Value::Null),
            )
        })
        .collect();
    Value::Object(object)
}

/// A pruned repository as the plan shows it: with the ownership tag, the reason it may be
/// deleted, so that a saved plan is stale when the tag has been taken off since.
fn removal_object(repository: &RepositoryState, fields: &[RepositoryField]) -> Value {
    let mut object = repository_object(repository, fields);
    if let Some(owner) = repository.owner()
        && let Some(Value::Object(tags)) = object.get_mut(field::TAGS)
    {
        tags.insert(
            OWNERSHIP_TAG_KEY.to_owned(),
            Value::String(owner.to_owned()),
        );
    }
    object
}

/// What a repository that ecrform creates looks like: the managed fields, and the ownership
/// tag that lets `prune` delete it later.
fn created_repository_object(
    want: &RepositoryState,
    managed: &[RepositoryField],
    owner: &OwnerId,
) -> Value {
    let mut object = repository_object(want, managed);
    let tags = want
        .tags
        .as_ref()
        .map(|tags| tags_value(tags, Some(owner)))
        .unwrap_or_else(|| tags_value(&Tags::new(), Some(owner)));
    if let Value::Object(map) = &mut object {
        map.insert(field::TAGS.to_owned(), tags);
    }
    object
}

/// How a replace reason names an encryption (see [`Encryption::describe`]).
fn encryption_phrase(encryption: Option<&Encryption>, keys: &KmsKeys) -> String {
    match encryption {
        Some(encryption) => encryption.describe(keys),
        None => "unknown".to_owned(),
    }
}

fn encryption_value(encryption: &Encryption) -> Value {
    let mut object = Map::new();
    object.insert(
        "type".to_owned(),
        Value::String(encryption.kind.as_str().to_owned()),
    );
    if let Some(key) = &encryption.kms_key {
        object.insert("kms_key".to_owned(), Value::String(key.clone()));
    }
    Value::Object(object)
}

/// The user's tags: reserved keys are outside the user's control and never planned.
fn tags_value(tags: &Tags, owner: Option<&OwnerId>) -> Value {
    let mut object: Map<String, Value> = tags
        .iter()
        .filter(|(key, _)| !is_reserved_tag_key(key))
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    if let Some(owner) = owner {
        object.insert(
            OWNERSHIP_TAG_KEY.to_owned(),
            Value::String(owner.as_str().to_owned()),
        );
    }
    Value::Object(object)
}

/// Whether a repository of the spec that the legacy owner created (tag `true`) becomes the
/// spec's now that it declares an owner id: how a spec moves to owner ids without leaving its
/// repositories behind. A repository another id owns is not taken over.
fn migrates_ownership(have: &RepositoryState, owner: &OwnerId) -> bool {
    !owner.is_legacy() && have.owner() == Some(OWNERSHIP_TAG_VALUE)
}

/// Adds the ownership move to a repository update: the `owner` field, and the ownership tag
/// in the update's TagResource (one is added when the update has none).
fn take_ownership(update: &mut Change, name: &RepositoryName, owner: &OwnerId) {
    update.fields.push(field::OWNER.to_owned());
    for (side, value) in [
        (&mut update.before, OWNERSHIP_TAG_VALUE),
        (&mut update.after, owner.as_str()),
    ] {
        if let Some(Value::Object(object)) = side {
            object.insert(field::OWNER.to_owned(), Value::String(value.to_owned()));
        }
    }
    let tag = (OWNERSHIP_TAG_KEY.to_owned(), owner.as_str().to_owned());
    let existing = update.calls.iter_mut().find_map(|call| match call {
        ApiCall::TagResource { tags, .. } => Some(tags),
        _ => None,
    });
    match existing {
        Some(tags) => {
            tags.insert(tag.0, tag.1);
        }
        None => update.calls.push(ApiCall::TagResource {
            repository: name.clone(),
            tags: Tags::from([tag]),
        }),
    }
}

mod registry_wide;

#[cfg(test)]
mod tests;
