//! Saved plans (`plan --out FILE`, `apply FILE`): the plan, the calls that apply it, how to
//! reach each registry and what was read there, and a fingerprint of the live state of every
//! address the plan touches. Applying a saved plan re-reads those addresses and refuses when
//! any changed, so what is applied is exactly what was reviewed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use ecrform_model::{Address, RegistryId, RegistryState, ResourceKind, Target};

use crate::{Action, ApiCall, Change, Plan, ReadScope};

/// The saved plan format version this build reads and writes.
pub const SAVED_PLAN_VERSION: u32 = 2;

/// How to reach one registry of a saved plan, and what planning read there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRegistry {
    pub registry: RegistryId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub scope: ReadScope,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub saved_plan_version: u32,
    /// SHA-256 over the spec and policy files the plan was made from.
    pub spec_hash: String,
    pub registries: Vec<SavedRegistry>,
    pub plan: Plan,
    /// The calls of each change, by position in `plan.changes`.
    pub calls: Vec<Vec<ApiCall>>,
    /// Address -> fingerprint of its live state when the plan was made.
    pub fingerprints: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("not an ecrform saved plan: {0}")]
    Format(String),
    #[error(
        "saved plan version {found} is not supported (this ecrform reads version {SAVED_PLAN_VERSION})"
    )]
    Version { found: u32 },
}

impl SavedPlan {
    pub fn new(plan: &Plan, registries: Vec<SavedRegistry>, spec_hash: String) -> Self {
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
        SavedPlan {
            saved_plan_version: SAVED_PLAN_VERSION,
            spec_hash,
            registries,
            // The calls are stored beside the plan: the plan's JSON form is the contract's.
            plan: stored,
            calls,
            fingerprints,
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn from_json(text: &str) -> Result<Self, SavedPlanError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            saved_plan_version: u32,
        }
        let version: VersionOnly =
            serde_json::from_str(text).map_err(|e| SavedPlanError::Format(e.to_string()))?;
        if version.saved_plan_version != SAVED_PLAN_VERSION {
            return Err(SavedPlanError::Version {
                found: version.saved_plan_version,
            });
        }
        let saved: SavedPlan =
            serde_json::from_str(text).map_err(|e| SavedPlanError::Format(e.to_string()))?;
        if saved.calls.len() != saved.plan.changes.len() {
            return Err(SavedPlanError::Format(String::from(
                "the calls do not match the changes",
            )));
        }
        Ok(saved)
    }

    /// The plan with its calls attached again.
    pub fn plan(&self) -> Plan {
        let mut plan = self.plan.clone();
        for (change, calls) in plan.changes.iter_mut().zip(&self.calls) {
            change.calls = calls.clone();
        }
        plan
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

/// SHA-256 of a set of files' contents, in the given order, for `spec_hash`.
pub fn hash_files<'a>(contents: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut hasher = Sha256::new();
    for (name, bytes) in contents {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        SavedPlan::new(&plan, Vec::new(), String::from("hash"))
    }

    #[test]
    fn a_saved_plan_round_trips_with_its_calls() {
        let (desired, live) = scenario();
        let saved = saved(&desired, &live);
        let read = SavedPlan::from_json(&saved.to_json()).unwrap();
        assert_eq!(read, saved);
        let plan = read.plan();
        assert_eq!(plan.changes.len(), 2);
        assert!(plan.changes.iter().all(|change| !change.calls.is_empty()));
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
        let saved = SavedPlan::new(&plan, Vec::new(), String::from("hash"));
        let read = SavedPlan::from_json(&saved.to_json()).unwrap().plan();
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
            SavedPlan::from_json(r#"{"saved_plan_version": 9}"#),
            Err(SavedPlanError::Version { found: 9 })
        ));
        assert!(matches!(
            SavedPlan::from_json(r#"{"format_version": 1}"#),
            Err(SavedPlanError::Format(_))
        ));
    }
}
