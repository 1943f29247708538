//! Saved plans (`plan --out FILE`, `apply FILE`): the plan, the calls that apply it, the
//! desired state it was planned from and how to reach each registry, and a fingerprint of the
//! live state of every address the plan touches.
//!
//! A saved plan is a reviewed artifact that travels through CI, so `apply FILE` trusts
//! nothing in it that it can check:
//! - the file records the ecrform version that made it (another version may plan and call
//!   differently, so it refuses the file) and the spec it was made from: its path and a
//!   fingerprint of its meaning ([`spec_fingerprint`]: the canonical desired state, so that a
//!   comment or a reordering in the spec does not make the plan stale, and a change of
//!   meaning does). The desired state stored in the file must have that fingerprint;
//! - apply re-reads the live state, refuses when any touched address changed
//!   ([`SavedPlan::stale_addresses`]), plans the stored desired state again and applies only
//!   changes that are exactly the stored ones, with the calls the planner derives for them
//!   ([`SavedPlan::reviewed_plan`]): a call added, retargeted or edited in the file, a change
//!   edited or added, is refused and nothing is written. The gates are then evaluated on
//!   what will be sent;
//! - with a key (`ECRFORM_PLAN_KEY`), the file carries an HMAC-SHA256 over all of it
//!   ([`SavedPlan::sign`], [`check_signature`]), so that even a consistent rewrite of the
//!   desired state, the changes and the fingerprints together is refused.

use std::collections::{BTreeMap, BTreeSet};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use serde_json::Value;

use ecrform_model::{
    AccountSettings, Address, CreationTemplate, DesiredRegistry, DesiredState, JsonProblem,
    OwnerId, PartitionCache, RegistryId, RegistryState, RepositoryName, RepositoryState,
    ResourceKind, Setting, Target,
};

use crate::{Action, ApiCall, Aspects, Change, Plan, ReadScope};

/// The saved plan format version this build reads and writes.
pub const SAVED_PLAN_VERSION: u32 = 4;

/// One registry of a saved plan: how to reach it and what the spec asks of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedRegistry {
    pub registry: RegistryId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune_force_delete: bool,
    /// The spec's owner id (`true`: none declared).
    #[serde(default)]
    pub owner: OwnerId,
    /// The desired state of the registry, as the spec gave it.
    pub desired: RegistryState,
    /// What the recovery record kept of repositories an interrupted replace deleted, as the
    /// plan used it (see `RegistryState::interrupted`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub interrupted: BTreeMap<RepositoryName, RepositoryState>,
}

impl SavedRegistry {
    fn new(desired: &DesiredRegistry) -> Self {
        SavedRegistry {
            registry: desired.state.id(),
            role_arn: desired.role_arn.clone(),
            profile: desired.profile.clone(),
            prune: desired.prune,
            prune_force_delete: desired.prune_force_delete,
            owner: desired.owner.clone(),
            desired: desired.state.clone(),
            interrupted: BTreeMap::new(),
        }
    }

    fn to_desired(&self, partitions: &mut PartitionCache) -> DesiredRegistry {
        let mut state = self.desired.clone();
        state.place_policies_in_partition(partitions);
        DesiredRegistry {
            state,
            role_arn: self.role_arn.clone(),
            profile: self.profile.clone(),
            prune: self.prune,
            prune_force_delete: self.prune_force_delete,
            owner: self.owner.clone(),
            // A saved plan is for apply, which never reports drift.
            drift: Default::default(),
        }
    }
}

/// The spec a saved plan was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSpec {
    /// The spec path as `plan -f` was given it (a file or a directory).
    pub path: String,
    /// [`spec_fingerprint`] of its desired state, for the registries of the plan.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub saved_plan_version: u32,
    /// The version of ecrform that made the plan; another version refuses it.
    pub ecrform_version: String,
    pub spec: SavedSpec,
    pub registries: Vec<SavedRegistry>,
    pub plan: Plan,
    /// The calls of each change, by position in `plan.changes`.
    pub calls: Vec<Vec<ApiCall>>,
    /// Address -> fingerprint of its live state when the plan was made.
    pub fingerprints: BTreeMap<String, String>,
    /// The guardrails configuration the plan was judged with, as the guardrails crate
    /// serializes it: `apply FILE` judges the plan's state by it when the spec is not at
    /// hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<Value>,
    /// HMAC-SHA256 (hex) of the rest of the file, when it was made with a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("not an ecrform saved plan: {0}")]
    Format(String),
    #[error(
        "saved plan version {found} is not supported (this ecrform reads version {SAVED_PLAN_VERSION})"
    )]
    Version { found: u32 },
    #[error(
        "the plan was made by ecrform {made_by} and this is ecrform {this}; make the plan again \
         with this version"
    )]
    OtherEcrform { made_by: String, this: String },
    #[error(
        "the plan file is not signed, and ECRFORM_PLAN_KEY is set: only a plan made with the key \
         is applied"
    )]
    Unsigned,
    #[error(
        "the plan file's signature does not match ECRFORM_PLAN_KEY: it was changed after it was \
         made, or made with another key"
    )]
    BadSignature,
}

/// What [`check_signature`] found, when the file may be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// Signed with the key.
    Valid,
    /// No key to check with, and none used: nothing to say.
    Unsigned,
    /// Signed, but no key to check the signature with: the caller says so.
    NotChecked,
}

type HmacSha256 = Hmac<Sha256>;

/// The text a signature covers: the file's JSON without its signature, in canonical form
/// (maps sorted, no whitespace), so that it does not depend on how the file was printed.
fn signed_text(mut value: Value) -> (Option<Value>, String) {
    let signature = value
        .as_object_mut()
        .and_then(|fields| fields.remove("signature"));
    (signature, value.to_string())
}

fn mac(key: &[u8], text: &str) -> HmacSha256 {
    // HMAC takes a key of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(text.as_bytes());
    mac
}

/// Checks the signature of a plan file's text against `key` (from `ECRFORM_PLAN_KEY`): with
/// a key, the file must be signed with it; without one, a signed file is accepted and said so.
pub fn check_signature(text: &str, key: Option<&[u8]>) -> Result<SignatureCheck, SavedPlanError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| SavedPlanError::Format(e.to_string()))?;
    let (signature, signed) = signed_text(value);
    let signature = match signature {
        None | Some(Value::Null) => None,
        Some(Value::String(signature)) => Some(signature),
        Some(_) => return Err(SavedPlanError::BadSignature),
    };
    match (key, signature) {
        (None, None) => Ok(SignatureCheck::Unsigned),
        (None, Some(_)) => Ok(SignatureCheck::NotChecked),
        (Some(_), None) => Err(SavedPlanError::Unsigned),
        (Some(key), Some(signature)) => {
            let bytes = unhex(&signature).ok_or(SavedPlanError::BadSignature)?;
            mac(key, &signed)
                .verify_slice(&bytes)
                .map(|()| SignatureCheck::Valid)
                .map_err(|_| SavedPlanError::BadSignature)
        }
    }
}

impl SavedPlan {
    /// Saves `plan`, made from `desired` (the spec at `spec_path`), for `apply FILE`.
    pub fn new(
        plan: &Plan,
        desired: &DesiredState,
        spec_path: &str,
        ecrform_version: &str,
    ) -> Self {
        let fingerprints = plan
            .changes
            .iter()
            .map(|change| {
                (
                    change.address.to_string(),
                    fingerprint(change.before.as_ref()),
                )
            })
            .collect();
        let mut stored = plan.clone();
        let calls = stored
            .changes
            .iter_mut()
            .map(|change| std::mem::take(&mut change.calls))
            .collect();
        let ids: Vec<RegistryId> = desired.registries.iter().map(|r| r.state.id()).collect();
        SavedPlan {
            saved_plan_version: SAVED_PLAN_VERSION,
            ecrform_version: ecrform_version.to_owned(),
            spec: SavedSpec {
                path: spec_path.to_owned(),
                fingerprint: spec_fingerprint(desired, &ids),
            },
            registries: desired.registries.iter().map(SavedRegistry::new).collect(),
            // The calls are stored beside the plan: the plan's JSON form is the contract's.
            plan: stored,
            calls,
            fingerprints,
            guardrails: None,
            signature: None,
        }
    }

    /// Keeps the guardrails configuration the plan was judged with.
    pub fn with_guardrails(mut self, configuration: Value) -> Self {
        self.guardrails = Some(configuration);
        self
    }

    /// Keeps what the plan was made from of the recovery record: the interrupted replaces
    /// attached to `live`.
    pub fn keeping_interrupted(mut self, live: &[RegistryState]) -> Self {
        for registry in &mut self.registries {
            if let Some(state) = live.iter().find(|state| state.id() == registry.registry) {
                registry.interrupted = state.interrupted.clone();
            }
        }
        self
    }

    /// Gives each live registry the interrupted replaces the plan was made with, whatever
    /// the recovery record holds now: re-planning must see what planning saw.
    pub fn attach_interrupted(&self, live: &mut [RegistryState]) {
        let mut partitions = PartitionCache::new();
        for state in live {
            let id = state.id();
            state.interrupted = self
                .registries
                .iter()
                .find(|registry| registry.registry == id)
                .map(|registry| {
                    let mut holder = RegistryState::empty(id.clone());
                    holder.repositories = registry.interrupted.clone();
                    holder.place_policies_in_partition(&mut partitions);
                    holder.repositories
                })
                .unwrap_or_default();
        }
    }

    /// Signs the file with `key`: an HMAC-SHA256 over everything else in it.
    pub fn sign(&mut self, key: &[u8]) {
        self.signature = None;
        let value = serde_json::to_value(&*self).unwrap_or(Value::Null);
        let (_, text) = signed_text(value);
        self.signature = Some(hex(&mac(key, &text).finalize().into_bytes()));
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a plan file made by `ecrform_version` (this ecrform): a file made by another
    /// version, or in another format, is refused before anything else is read from it.
    pub fn from_json(text: &str, ecrform_version: &str) -> Result<Self, SavedPlanError> {
        #[derive(Deserialize)]
        struct Versions {
            saved_plan_version: u32,
            #[serde(default)]
            ecrform_version: Option<String>,
        }
        let versions: Versions = serde_json::from_str(text)
            .map_err(|e| SavedPlanError::Format(JsonProblem::from_error(&e).to_string()))?;
        if let Some(made_by) = versions.ecrform_version
            && made_by != ecrform_version
        {
            return Err(SavedPlanError::OtherEcrform {
                made_by,
                this: ecrform_version.to_owned(),
            });
        }
        if versions.saved_plan_version != SAVED_PLAN_VERSION {
            return Err(SavedPlanError::Version {
                found: versions.saved_plan_version,
            });
        }
        let saved: SavedPlan = serde_json::from_str(text)
            .map_err(|e| SavedPlanError::Format(JsonProblem::from_error(&e).to_string()))?;
        if saved.calls.len() != saved.plan.changes.len() {
            return Err(SavedPlanError::Format(String::from(
                "the calls do not match the changes",
            )));
        }
        Ok(saved)
    }

    /// The desired state the plan was made from, with its policies in their registries'
    /// partitions as the spec would place them.
    pub fn desired(&self) -> DesiredState {
        let mut partitions = PartitionCache::new();
        DesiredState {
            registries: self
                .registries
                .iter()
                .map(|registry| registry.to_desired(&mut partitions))
                .collect(),
        }
    }

    /// What can be checked in the file alone: every registry is what it says it is, the
    /// desired state has the recorded spec fingerprint, and every change has one address and
    /// one live fingerprint. Each problem is one sentence.
    pub fn integrity_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for registry in &self.registries {
            if registry.desired.id() != registry.registry {
                problems.push(format!(
                    "registry {} holds the desired state of {}",
                    registry.registry,
                    registry.desired.id()
                ));
            }
        }
        let ids: Vec<RegistryId> = self.registries.iter().map(|r| r.registry.clone()).collect();
        if spec_fingerprint(&self.desired(), &ids) != self.spec.fingerprint {
            problems.push(String::from(
                "its desired state is not the one its spec fingerprint records",
            ));
        }
        let mut seen = BTreeSet::new();
        for change in &self.plan.changes {
            let address = change.address.to_string();
            if !ids.contains(&change.address.registry) {
                problems.push(format!("{address} is in no registry of the plan"));
            }
            if !seen.insert(address.clone()) {
                problems.push(format!("{address} is changed twice"));
            }
            if !self.fingerprints.contains_key(&address) {
                problems.push(format!("{address} has no live fingerprint"));
            }
        }
        problems
    }

    /// The plan to apply: of `replanned` (the stored desired state planned again against the
    /// live state now), the changes the file holds, with the calls the planner derives. Every
    /// stored change must be exactly a replanned one (address, action, fields, before, after)
    /// and its stored calls exactly the derived ones; otherwise each difference is one
    /// sentence and nothing may be applied.
    pub fn reviewed_plan(&self, replanned: &Plan) -> Result<Plan, Vec<String>> {
        let by_address: BTreeMap<String, &Change> = replanned
            .changes
            .iter()
            .map(|change| (change.address.to_string(), change))
            .collect();
        let mut problems = Vec::new();
        for (change, calls) in self.plan.changes.iter().zip(&self.calls) {
            let address = change.address.to_string();
            let Some(derived) = by_address.get(&address) else {
                problems.push(format!("{address}: the spec plans no such change"));
                continue;
            };
            let same_change = change.action == derived.action
                && change.fields == derived.fields
                && change.before == derived.before
                && change.after == derived.after;
            if !same_change {
                problems.push(format!(
                    "{address}: the change is not the one the spec plans"
                ));
            } else if *calls != derived.calls {
                problems.push(format!(
                    "{address}: the calls are not the ones the change makes"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let reviewed: BTreeSet<&Address> = self.plan.changes.iter().map(|c| &c.address).collect();
        let changes = replanned
            .changes
            .iter()
            .filter(|change| reviewed.contains(&change.address))
            .cloned()
            .collect();
        let mut reviewed = Plan::new(changes, replanned.unmanaged.clone());
        reviewed.registries = replanned.registries.clone();
        Ok(reviewed)
    }

    /// What `apply FILE` reads again, by registry: the repositories and registry-wide
    /// settings the plan touches, each with every aspect planning it needs (what
    /// [`ReadScope::for_desired`] reads of it), and nothing else: a one-change plan of a
    /// registry of thousands of repositories reads one repository.
    pub fn read_scopes(&self, desired: &DesiredState) -> BTreeMap<RegistryId, ReadScope> {
        desired
            .registries
            .iter()
            .map(|registry| {
                let id = registry.state.id();
                let full = ReadScope::for_desired(registry);
                let touched: Vec<&Change> = self
                    .plan
                    .changes
                    .iter()
                    .filter(|change| change.address.registry == id)
                    .collect();
                let repositories = touched
                    .iter()
                    .filter_map(|change| change.address.repository_name())
                    .map(|name| {
                        let aspects = full
                            .repositories
                            .get(name)
                            .copied()
                            .unwrap_or(full.other_repositories);
                        (name.clone(), aspects)
                    })
                    .collect();
                let mut registry_aspects = full.registry.clone();
                for kind in full.registry.kinds().collect::<Vec<_>>() {
                    let kind_touched = touched
                        .iter()
                        .any(|change| change.address.kind == ResourceKind::RegistryWide(kind));
                    if !kind_touched {
                        registry_aspects.leave_out(kind);
                    }
                }
                let scope = ReadScope {
                    repositories,
                    other_repositories: Aspects::default(),
                    only_named: true,
                    registry: registry_aspects,
                    kms_keys: full.kms_keys,
                };
                (id, scope)
            })
            .collect()
    }

    /// The addresses whose live state differs from when the plan was made.
    pub fn stale_addresses(&self, live: &[RegistryState]) -> Vec<Address> {
        // The policies of a repository the plan replaces are written to the new repository
        // whatever the old one holds, so only the repository's own fingerprint matters.
        let replaced: Vec<(&RegistryId, &Target)> = self
            .plan
            .changes
            .iter()
            .filter(|c| c.address.kind == ResourceKind::Repository && c.action == Action::Replace)
            .map(|c| (&c.address.registry, &c.address.target))
            .collect();
        let follows_a_replace = |change: &Change| {
            matches!(
                change.address.kind,
                ResourceKind::LifecyclePolicy | ResourceKind::RepositoryPolicy
            ) && replaced.contains(&(&change.address.registry, &change.address.target))
        };
        self.plan
            .changes
            .iter()
            .filter(|change| !follows_a_replace(change))
            .filter(|change| {
                let now = live
                    .iter()
                    .find(|registry| registry.id() == change.address.registry)
                    .and_then(|registry| crate::diff::observe(change, registry));
                self.fingerprints.get(&change.address.to_string())
                    != Some(&fingerprint(now.as_ref()))
            })
            .map(|change| change.address.clone())
            .collect()
    }
}

/// SHA-256 of the canonical JSON (serde_json's maps are sorted) of an address's live form.
fn fingerprint(value: Option<&serde_json::Value>) -> String {
    let text = value
        .map(ToString::to_string)
        .unwrap_or_else(|| String::from("null"));
    hex(&Sha256::digest(text.as_bytes()))
}

/// A fingerprint of what a spec means for some registries: SHA-256 of their canonical
/// desired state (policies and registry-wide settings in their canonical forms, maps sorted),
/// so that formatting, comments and the order things are written in do not change it.
pub fn spec_fingerprint(desired: &DesiredState, registries: &[RegistryId]) -> String {
    let selected: Vec<Value> = desired
        .registries
        .iter()
        .filter(|registry| registries.contains(&registry.state.id()))
        .map(canonical_registry)
        .collect();
    let text = Value::Array(selected).to_string();
    hex(&Sha256::digest(text.as_bytes()))
}

/// One desired registry with every document in canonical form.
fn canonical_registry(desired: &DesiredRegistry) -> Value {
    let state = &desired.state;
    let document = |setting: &Setting<Value>| match setting {
        Setting::Unmanaged => Value::String("unmanaged".to_owned()),
        Setting::Absent => Value::Null,
        Setting::Present(value) => value.clone(),
    };
    let repositories: serde_json::Map<String, Value> = state
        .repositories
        .iter()
        .map(|(name, repository)| {
            let mut fields = serde_json::to_value(RepositoryState {
                lifecycle_policy: Setting::Unmanaged,
                repository_policy: Setting::Unmanaged,
                ..repository.clone()
            })
            .unwrap_or(Value::Null);
            if let Value::Object(fields) = &mut fields {
                let lifecycle = repository
                    .lifecycle_policy
                    .clone()
                    .map(|policy| policy.canonical().clone());
                let policy = repository
                    .repository_policy
                    .clone()
                    .map(|policy| policy.canonical().clone());
                fields.insert("lifecycle_policy".to_owned(), document(&lifecycle));
                fields.insert("repository_policy".to_owned(), document(&policy));
            }
            (name.to_string(), fields)
        })
        .collect();
    let canonical_template = |template: &CreationTemplate| {
        let canonical = template.canonical();
        let mut value = serde_json::to_value(CreationTemplate {
            lifecycle_policy: None,
            repository_policy: None,
            ..canonical.clone()
        })
        .unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut value {
            for (key, policy) in [
                (
                    "lifecycle_policy",
                    canonical.lifecycle_policy.map(|p| p.canonical().clone()),
                ),
                (
                    "repository_policy",
                    canonical.repository_policy.map(|p| p.canonical().clone()),
                ),
            ] {
                if let Some(policy) = policy {
                    fields.insert(key.to_owned(), policy);
                }
            }
        }
        value
    };
    serde_json::json!({
        "registry": state.id().to_string(),
        "role_arn": desired.role_arn,
        "profile": desired.profile,
        "prune": desired.prune,
        "prune_force_delete": desired.prune_force_delete,
        "owner": desired.owner.as_str(),
        "repositories": repositories,
        "replication": document(&state.replication.clone().map(|r| {
            serde_json::to_value(r.canonical()).unwrap_or(Value::Null)
        })),
        "registry_policy": document(&state.registry_policy.clone().map(|p| p.canonical().clone())),
        "scanning": document(&state.scanning.clone().map(|s| {
            serde_json::to_value(s.canonical()).unwrap_or(Value::Null)
        })),
        "pull_through_cache": state.pull_through_cache.as_ref().map(|rules| {
            rules
                .iter()
                .map(|(prefix, rule)| {
                    (prefix.clone(), serde_json::to_value(rule.canonical()).unwrap_or(Value::Null))
                })
                .collect::<serde_json::Map<String, Value>>()
        }),
        "creation_templates": state.creation_templates.as_ref().map(|templates| {
            templates
                .iter()
                .map(|(prefix, template)| (prefix.clone(), canonical_template(template)))
                .collect::<serde_json::Map<String, Value>>()
        }),
        "account_settings": state.account_settings.as_ref().map(AccountSettings::canonical),
        "signing_configuration": document(&state.signing_configuration.clone().map(|c| {
            serde_json::to_value(c.canonical()).unwrap_or(Value::Null)
        })),
        "pull_time_update_exclusions": state.pull_time_update_exclusions,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecrform_model::{
        DesiredState, Encryption, EncryptionType, RegistryState, RepositoryState, Setting,
        TagMutability,
    };
    use ecrform_testkit::fixtures::{
        DesiredBuilder, REGISTRY, RegistryBuilder, RepositoryBuilder, expire_untagged_after,
        iam_policy, name, registry_id,
    };

    const VERSION: &str = "1.2.3";

    fn id() -> RegistryId {
        RegistryId::parse("123456789012/us-east-1").unwrap()
    }

    fn repository(mode: TagMutability) -> RepositoryState {
        RepositoryBuilder::new().mutability(mode).build()
    }

    /// Desired: `app` immutable and `new` to create; live: `app` mutable.
    fn scenario() -> (DesiredState, RegistryState) {
        let desired = DesiredBuilder::new()
            .registry(
                RegistryBuilder::new(registry_id(REGISTRY))
                    .repository("app", repository(TagMutability::Immutable))
                    .repository("new", repository(TagMutability::Immutable)),
            )
            .build();
        let live = RegistryBuilder::new(registry_id(REGISTRY))
            .repository("app", repository(TagMutability::Mutable))
            .build();
        (desired, live)
    }

    fn saved(desired: &DesiredState, live: &RegistryState) -> SavedPlan {
        let plan = crate::plan(desired, std::slice::from_ref(live));
        SavedPlan::new(&plan, desired, "ecr.yaml", VERSION)
    }

    #[test]
    fn a_saved_plan_round_trips_with_its_calls() {
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        let read = SavedPlan::from_json(&saved.to_json(), VERSION).unwrap();
        assert_eq!(read, saved);
        assert_eq!(read.plan.changes.len(), 2);
        assert!(read.calls.iter().all(|calls| !calls.is_empty()));
        assert_eq!(read.desired(), desired);
        assert!(read.integrity_problems().is_empty());
        let replanned = crate::plan(&read.desired(), std::slice::from_ref(&live));
        assert_eq!(read.reviewed_plan(&replanned).unwrap(), replanned);
    }

    #[test]
    fn a_saved_plan_keeps_its_image_preview_so_apply_still_asks_for_allow_delete() {
        let (desired, live) = scenario();
        let mut plan = crate::plan(&desired, std::slice::from_ref(&live));
        plan.changes[0].destructive = true;
        plan.changes[0].image_preview = Some(crate::ImagePreview {
            images: 3,
            expire: 2,
            transition: 0,
            examples: vec!["v1".to_owned(), "v2".to_owned()],
        });
        let saved = SavedPlan::new(&plan, &desired, "ecr.yaml", VERSION);
        let read = SavedPlan::from_json(&saved.to_json(), VERSION)
            .unwrap()
            .plan;
        assert_eq!(read.changes[0].image_preview, plan.changes[0].image_preview);
        assert!(read.changes[0].destructive);
    }

    #[test]
    fn an_unchanged_live_state_is_not_stale() {
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        assert!(saved.stale_addresses(&[live]).is_empty());
    }

    #[test]
    fn a_changed_or_newly_created_address_is_stale() {
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        let mut changed = live.clone();
        changed
            .repositories
            .insert(name("app"), repository(TagMutability::MutableWithExclusion));
        changed
            .repositories
            .insert(name("new"), repository(TagMutability::Mutable));
        let stale: Vec<String> = saved
            .stale_addresses(&[changed])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            stale,
            [
                "123456789012/us-east-1/repository/app",
                "123456789012/us-east-1/repository/new"
            ]
        );
    }

    #[test]
    fn a_change_to_a_field_the_plan_does_not_manage_is_not_stale() {
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        let mut changed = live.clone();
        if let Some(app) = changed.repositories.values_mut().next() {
            app.scan_on_push = Some(true);
            app.lifecycle_policy = Setting::Absent;
        }
        assert!(saved.stale_addresses(&[changed]).is_empty());
    }

    fn registry_policy(principal: &str, action: &str) -> ecrform_model::IamPolicy {
        iam_policy(serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "replicate", "Effect": "Allow",
                           "Principal": {"AWS": principal}, "Action": action}]
        }))
    }

    #[test]
    fn a_registry_policy_changed_since_planning_is_stale_but_one_rewritten_is_not() {
        let want = RegistryBuilder::new(registry_id(REGISTRY))
            .registry_policy(registry_policy("210987654321", "ecr:ReplicateImage"));
        let live = RegistryBuilder::new(registry_id(REGISTRY))
            .registry_policy(registry_policy("210987654321", "ecr:CreateRepository"))
            .build();
        let desired = DesiredBuilder::new().registry(want).build();
        let saved = saved(&desired, &live);
        assert_eq!(saved.plan.changes.len(), 1);
        assert!(
            saved
                .stale_addresses(std::slice::from_ref(&live))
                .is_empty()
        );

        // ECR's rewriting of the same document (root ARN for the account id) is not a change.
        let mut rewritten = live.clone();
        rewritten.registry_policy = Setting::Present(registry_policy(
            "arn:aws:iam::210987654321:root",
            "ecr:CreateRepository",
        ));
        assert!(saved.stale_addresses(&[rewritten]).is_empty());

        let mut edited = live.clone();
        edited.registry_policy = Setting::Present(registry_policy("210987654321", "ecr:*"));
        let stale: Vec<String> = saved
            .stale_addresses(&[edited])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(stale, ["123456789012/us-east-1/registry_policy"]);

        let mut deleted = live;
        deleted.registry_policy = Setting::Absent;
        assert_eq!(saved.stale_addresses(&[deleted]).len(), 1);
    }

    /// Regression: a replace plans its repository's policies as creates (the new repository
    /// starts without them) while the old repository still has them, so every saved plan
    /// with a replace was refused as stale.
    #[test]
    fn a_saved_replace_with_policies_is_not_stale_against_the_live_state_it_was_made_from() {
        let (desired, mut live) = scenario();
        let mut desired = desired;
        let lifecycle = expire_untagged_after(7);
        let app = name("app");
        let want = desired.registries[0]
            .state
            .repositories
            .get_mut(&app)
            .unwrap();
        want.encryption = Some(Encryption {
            kind: EncryptionType::Kms,
            kms_key: None,
        });
        want.lifecycle_policy = Setting::Present(lifecycle.clone());
        let have = live.repositories.get_mut(&app).unwrap();
        have.lifecycle_policy = Setting::Present(lifecycle);
        let saved = saved(&desired, &live);
        assert!(
            saved
                .plan
                .changes
                .iter()
                .any(|c| c.action == Action::Replace),
            "{:?}",
            saved.plan.changes
        );
        assert!(saved.stale_addresses(&[live]).is_empty());
    }

    /// Regression: the ownership tag was left out of a pruned repository's fingerprint, so a
    /// saved plan would delete a repository whose tag had been taken off since planning.
    #[test]
    fn a_pruned_repository_that_lost_its_ownership_tag_is_stale() {
        let owned = || {
            RepositoryBuilder::new()
                .mutability(TagMutability::Mutable)
                .owned()
                .build()
        };
        let (mut desired, mut live) = scenario();
        desired.registries[0].prune = true;
        live.repositories.insert(name("old"), owned());
        let saved = saved(&desired, &live);
        assert!(
            saved
                .plan
                .changes
                .iter()
                .any(|c| c.action == Action::Delete)
        );
        assert!(
            saved
                .stale_addresses(std::slice::from_ref(&live))
                .is_empty()
        );
        let mut disowned = live.clone();
        disowned.repositories.insert(
            name("old"),
            RepositoryState {
                tags: Some(Default::default()),
                ..owned()
            },
        );
        let stale: Vec<String> = saved
            .stale_addresses(&[disowned])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(stale, ["123456789012/us-east-1/repository/old"]);
    }

    #[test]
    fn other_versions_and_other_files_are_refused() {
        assert!(matches!(
            SavedPlan::from_json(r#"{"saved_plan_version": 9}"#, VERSION),
            Err(SavedPlanError::Version { found: 9 })
        ));
        // In the words of the file, not of the types it is read into.
        let cases = [
            (
                r#"{"format_version": 1}"#,
                "line 1, column 21: missing field `saved_plan_version`",
            ),
            (
                "[]",
                "line 1, column 2: invalid type: an array, expected an object",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(
                SavedPlan::from_json(text, VERSION).unwrap_err().to_string(),
                format!("not an ecrform saved plan: {message}")
            );
        }
    }

    #[test]
    fn a_plan_made_by_another_ecrform_is_refused_naming_both_versions() {
        let (desired, live) = scenario();
        let text = saved(&desired, &live).to_json();
        let error = SavedPlan::from_json(&text, "1.2.4").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the plan was made by ecrform 1.2.3 and this is ecrform 1.2.4; make the plan again \
             with this version"
        );
        // Before the format version: another ecrform may write another format.
        let older = text.replace("\"saved_plan_version\": 4", "\"saved_plan_version\": 1");
        assert!(matches!(
            SavedPlan::from_json(&older, "1.2.4"),
            Err(SavedPlanError::OtherEcrform { .. })
        ));
    }

    fn lifecycle(document: serde_json::Value) -> ecrform_model::LifecyclePolicy {
        ecrform_model::LifecyclePolicy::from_value(document).unwrap()
    }

    /// One registry whose repository `app` has this repository policy and lifecycle policy.
    fn desired_with(policy: serde_json::Value, rules: serde_json::Value) -> DesiredState {
        let (mut desired, _) = scenario();
        let app = desired.registries[0]
            .state
            .repositories
            .get_mut(&name("app"))
            .unwrap();
        app.repository_policy = Setting::Present(registry_policy_document(policy));
        app.lifecycle_policy = Setting::Present(lifecycle(rules));
        desired
    }

    fn registry_policy_document(document: serde_json::Value) -> ecrform_model::IamPolicy {
        ecrform_model::IamPolicy::from_value(document).unwrap()
    }

    #[test]
    fn the_spec_fingerprint_follows_meaning_not_writing() {
        let pull = |actions: serde_json::Value, principal: &str| {
            serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions}]})
        };
        let rules = |days: u32| {
            serde_json::json!({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged",
                "countType": "sinceImagePushed", "countUnit": "days", "countNumber": days},
                "action": {"type": "expire"}}]})
        };
        let registries = [id()];
        let base = spec_fingerprint(
            &desired_with(
                pull(
                    serde_json::json!(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]),
                    "210987654321",
                ),
                rules(7),
            ),
            &registries,
        );
        let reordered = spec_fingerprint(
            &desired_with(
                pull(
                    serde_json::json!(["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]),
                    "arn:aws:iam::210987654321:root",
                ),
                rules(7),
            ),
            &registries,
        );
        assert_eq!(base, reordered, "the same meaning, written otherwise");
        for changed in [
            desired_with(
                pull(serde_json::json!(["ecr:BatchGetImage"]), "210987654321"),
                rules(7),
            ),
            desired_with(
                pull(
                    serde_json::json!(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]),
                    "210987654321",
                ),
                rules(8),
            ),
        ] {
            assert_ne!(base, spec_fingerprint(&changed, &registries));
        }
        let (mut pruning, _) = scenario();
        pruning.registries[0].prune = true;
        let (plain, _) = scenario();
        assert_ne!(
            spec_fingerprint(&plain, &registries),
            spec_fingerprint(&pruning, &registries)
        );
        assert_ne!(
            spec_fingerprint(&plain, &registries),
            spec_fingerprint(&plain, &[]),
            "only the plan's registries count"
        );
    }

    #[test]
    fn the_spec_fingerprint_covers_signing_and_pull_time_exclusions() {
        use ecrform_model::{PullTimeUpdateExclusions, SigningConfiguration, SigningRule};
        let profile = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release";
        let with = |filters: &[&str], excluded: &[&str]| {
            let (mut desired, _) = scenario();
            let state = &mut desired.registries[0].state;
            state.signing_configuration = Setting::Present(SigningConfiguration {
                rules: vec![SigningRule {
                    signing_profile_arn: profile.to_owned(),
                    repository_filters: filters.iter().map(|f| (*f).to_owned()).collect(),
                }],
            });
            state.pull_time_update_exclusions = Some(
                excluded
                    .iter()
                    .copied()
                    .collect::<PullTimeUpdateExclusions>(),
            );
            spec_fingerprint(&desired, &[id()])
        };
        let scanner = "arn:aws:iam::123456789012:role/scanner";
        let base = with(&["a/*", "b/*"], &[scanner]);
        assert_eq!(base, with(&["b/*", "a/*", "a/*"], &[scanner, scanner]));
        assert_ne!(base, with(&["a/*"], &[scanner]));
        assert_ne!(base, with(&["a/*", "b/*"], &[]));
        let (unmanaged, _) = scenario();
        assert_ne!(base, spec_fingerprint(&unmanaged, &[id()]));
    }

    /// The saved plan of [`scenario`] as JSON, edited by `edit`, read back.
    fn tampered(edit: impl FnOnce(&mut Value)) -> (SavedPlan, RegistryState) {
        let (desired, live) = scenario();
        let mut value: Value = serde_json::from_str(&saved(&desired, &live).to_json()).unwrap();
        edit(&mut value);
        let text = serde_json::to_string_pretty(&value).unwrap();
        (SavedPlan::from_json(&text, VERSION).unwrap(), live)
    }

    /// Every problem apply would find in the file: alone, then against a replan.
    fn problems_of(saved: &SavedPlan, live: &RegistryState) -> Vec<String> {
        let mut problems = saved.integrity_problems();
        let replanned = crate::plan(&saved.desired(), std::slice::from_ref(live));
        if let Err(more) = saved.reviewed_plan(&replanned) {
            problems.extend(more);
        }
        problems
    }

    const APP: &str = "123456789012/us-east-1/repository/app";

    #[test]
    fn an_untouched_file_has_no_problem() {
        let (saved, live) = tampered(|_| {});
        assert!(problems_of(&saved, &live).is_empty());
    }

    #[test]
    fn an_extra_call_is_refused() {
        let (saved, live) = tampered(|plan| {
            plan["calls"][0]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!(
                    {"call": "DeleteRepository", "repository": "legacy/keep", "force": true}
                ));
        });
        assert_eq!(
            problems_of(&saved, &live),
            [format!(
                "{APP}: the calls are not the ones the change makes"
            )]
        );
    }

    #[test]
    fn a_retargeted_call_is_refused() {
        let (saved, live) = tampered(|plan| {
            plan["calls"][0][0]["repository"] = Value::from("legacy/keep");
        });
        assert_eq!(
            problems_of(&saved, &live),
            [format!(
                "{APP}: the calls are not the ones the change makes"
            )]
        );
    }

    #[test]
    fn an_edited_change_is_refused_and_so_is_an_edited_desired_state() {
        let (saved, live) = tampered(|plan| {
            plan["plan"]["changes"][0]["after"]["image_tag_mutability"] = Value::from("MUTABLE");
        });
        assert_eq!(
            problems_of(&saved, &live),
            [format!("{APP}: the change is not the one the spec plans")]
        );
        // Editing the desired state to match does not help: the spec fingerprint records it.
        let (saved, live) = tampered(|plan| {
            plan["registries"][0]["desired"]["repositories"]["app"]["image_tag_mutability"] =
                Value::from("MUTABLE");
        });
        assert!(
            problems_of(&saved, &live)
                .contains(&"its desired state is not the one its spec fingerprint records".into()),
            "{:?}",
            problems_of(&saved, &live)
        );
    }

    #[test]
    fn an_added_change_a_removed_fingerprint_and_a_doubled_change_are_refused() {
        let (saved, live) = tampered(|plan| {
            let fingerprints = plan["fingerprints"].as_object_mut().unwrap();
            fingerprints.remove(APP);
        });
        assert_eq!(
            problems_of(&saved, &live),
            [format!("{APP} has no live fingerprint")]
        );

        let (saved, live) = tampered(|plan| {
            let mut delete = plan["plan"]["changes"][0].clone();
            delete["address"] = Value::from("123456789012/us-east-1/repository/legacy/keep");
            delete["action"] = Value::from("delete");
            plan["plan"]["changes"].as_array_mut().unwrap().push(delete);
            plan["calls"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!(
                    [{"call": "DeleteRepository", "repository": "legacy/keep", "force": true}]
                ));
            plan["fingerprints"]["123456789012/us-east-1/repository/legacy/keep"] =
                Value::from(fingerprint(None));
        });
        assert_eq!(
            problems_of(&saved, &live),
            ["123456789012/us-east-1/repository/legacy/keep: the spec plans no such change"]
        );

        let (saved, live) = tampered(|plan| {
            let first = plan["plan"]["changes"][0].clone();
            plan["plan"]["changes"].as_array_mut().unwrap().push(first);
            let calls = plan["calls"][0].clone();
            plan["calls"].as_array_mut().unwrap().push(calls);
        });
        assert_eq!(
            problems_of(&saved, &live),
            [format!("{APP} is changed twice")]
        );
    }

    #[test]
    fn the_applied_plan_is_the_replanned_one_restricted_to_the_file() {
        // Since planning, the live state drifted at an address the file does not touch (and
        // the replan, here made from a larger spec, plans it): that change is not applied.
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        let mut drifted = live.clone();
        drifted.repositories.insert(
            name("other"),
            RepositoryBuilder::new()
                .mutability(TagMutability::Mutable)
                .build(),
        );
        let mut desired_more = desired.clone();
        desired_more.registries[0]
            .state
            .repositories
            .insert(name("other"), repository(TagMutability::Immutable));
        let replanned = crate::plan(&desired_more, std::slice::from_ref(&drifted));
        assert_eq!(replanned.changes.len(), 3);
        let applied = saved.reviewed_plan(&replanned).unwrap();
        let addresses: Vec<String> = applied
            .changes
            .iter()
            .map(|c| c.address.to_string())
            .collect();
        assert_eq!(
            addresses,
            [
                APP.to_owned(),
                "123456789012/us-east-1/repository/new".to_owned()
            ]
        );
        assert!(
            applied
                .changes
                .iter()
                .all(|change| !change.calls.is_empty())
        );
    }

    const KEY: &[u8] = b"a key only CI knows";

    #[test]
    fn a_signed_plan_is_accepted_with_its_key_however_it_is_printed() {
        let (desired, live) = scenario();
        let mut saved = saved(&desired, &live);
        saved.sign(KEY);
        let text = saved.to_json();
        assert_eq!(
            check_signature(&text, Some(KEY)).unwrap(),
            SignatureCheck::Valid
        );
        let compact =
            serde_json::to_string(&serde_json::from_str::<Value>(&text).unwrap()).unwrap();
        assert_eq!(
            check_signature(&compact, Some(KEY)).unwrap(),
            SignatureCheck::Valid
        );
        assert_eq!(
            check_signature(&text, None).unwrap(),
            SignatureCheck::NotChecked
        );
        assert_eq!(SavedPlan::from_json(&text, VERSION).unwrap(), saved);
    }

    #[test]
    fn any_edit_or_another_key_breaks_the_signature_and_an_unsigned_plan_is_refused() {
        let (desired, live) = scenario();
        let mut saved = saved(&desired, &live);
        let unsigned = saved.to_json();
        assert!(matches!(
            check_signature(&unsigned, Some(KEY)),
            Err(SavedPlanError::Unsigned)
        ));
        assert_eq!(
            check_signature(&unsigned, None).unwrap(),
            SignatureCheck::Unsigned
        );
        saved.sign(KEY);
        let text = saved.to_json();
        assert!(matches!(
            check_signature(&text, Some(b"another key")),
            Err(SavedPlanError::BadSignature)
        ));
        let edited = text.replace("IMMUTABLE", "MUTABLE");
        assert_ne!(edited, text);
        assert!(matches!(
            check_signature(&edited, Some(KEY)),
            Err(SavedPlanError::BadSignature)
        ));
        let mut value: Value = serde_json::from_str(&text).unwrap();
        value["signature"] = Value::from("zz");
        assert!(matches!(
            check_signature(&value.to_string(), Some(KEY)),
            Err(SavedPlanError::BadSignature)
        ));
    }

    #[test]
    fn apply_reads_again_only_what_the_plan_touches() {
        let (mut desired, mut live) = scenario();
        for i in 0..50 {
            let name_i = format!("quiet/r{i}");
            desired.registries[0]
                .state
                .repositories
                .insert(name(&name_i), repository(TagMutability::Immutable));
            live.repositories
                .insert(name(&name_i), repository(TagMutability::Immutable));
        }
        let saved = saved(&desired, &live);
        assert_eq!(
            saved.plan.changes.len(),
            2,
            "app is updated and new created"
        );
        let scopes = saved.read_scopes(&saved.desired());
        let scope = &scopes[&id()];
        assert!(scope.only_named);
        let named: Vec<String> = scope.repositories.keys().map(ToString::to_string).collect();
        assert_eq!(named, ["app", "new"]);
        assert_eq!(scope.registry.kinds().count(), 0);

        // What is read is enough to plan the file's changes again exactly.
        let mut partial = live.clone();
        partial
            .repositories
            .retain(|n, _| scope.repositories.contains_key(n));
        let replanned = crate::plan(&saved.desired(), std::slice::from_ref(&partial));
        let applied = saved.reviewed_plan(&replanned).unwrap();
        assert_eq!(applied.changes.len(), 2);
        assert!(saved.stale_addresses(&[partial]).is_empty());
    }
}
