//! The recovery record: what a replace must restore, kept where the next run finds it.
//!
//! A replace deletes a repository and creates it again; what the spec does not manage (a
//! repository policy written by hand, tags, ...) lives only in the old repository until the
//! create has written it again. Should the process be killed between the delete and the
//! create, or the create fail, that would be lost. So before apply sends any call, every
//! repository the plan replaces is written to the record, as it was read; a `plan` or
//! `apply` that finds one of them missing creates it with what the record kept (the plan says
//! so), and an entry leaves the record once its repository exists again.
//!
//! The record is JSON (`.ecrform-recovery.json` next to the spec unless `--recovery-file`),
//! written to a temporary file and renamed, so that it is never half written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use ecrform_model::{
    JsonProblem, RegistryId, RegistryState, RepositoryName, RepositoryState, ResourceKind, Setting,
    limits,
};
use ecrform_plan::{Action, Plan};

/// The record's format version.
const RECOVERY_VERSION: u32 = 1;

/// The record's file name, next to the spec.
pub const RECOVERY_FILE_NAME: &str = ".ecrform-recovery.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFile {
    recovery_version: u32,
    entries: Vec<Entry>,
}

/// One repository a replace deletes, as it was before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// `ACCOUNT/REGION`.
    registry: String,
    repository: RepositoryName,
    state: RepositoryState,
}

/// The record at one path, loaded.
#[derive(Debug, Clone)]
pub struct RecoveryRecord {
    path: PathBuf,
    entries: BTreeMap<(RegistryId, RepositoryName), RepositoryState>,
}

impl RecoveryRecord {
    /// Reads the record at `path`; none there is an empty record.
    pub fn load(path: &Path) -> anyhow::Result<RecoveryRecord> {
        let record = RecoveryRecord {
            path: path.to_owned(),
            entries: BTreeMap::new(),
        };
        if !path.exists() {
            return Ok(record);
        }
        let text = ecrform_spec::read_bounded(path, limits::RECOVERY_FILE)
            .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
        let file: RecordFile = serde_json::from_str(&text).map_err(|error| {
            let problem = JsonProblem::from_error(&error);
            anyhow::anyhow!(
                "{}:{}:{}: not an ecrform recovery record: {}",
                path.display(),
                problem.line,
                problem.column,
                problem.message
            )
        })?;
        let mut record = record;
        if file.recovery_version != RECOVERY_VERSION {
            anyhow::bail!(
                "{}: recovery record version {} is not supported (this ecrform reads version \
                 {RECOVERY_VERSION})",
                path.display(),
                file.recovery_version
            );
        }
        let mut partitions = ecrform_model::PartitionCache::new();
        for entry in file.entries {
            let registry = RegistryId::parse(&entry.registry).map_err(|error| {
                anyhow::anyhow!("{}: registry {:?}: {error}", path.display(), entry.registry)
            })?;
            let mut holder = RegistryState::empty(registry.clone());
            holder
                .repositories
                .insert(entry.repository.clone(), entry.state);
            // Policies read back are in their registry's partition, as they were read.
            holder.place_policies_in_partition(&mut partitions);
            if let Some((name, state)) = holder.repositories.into_iter().next() {
                record.entries.insert((registry, name), state);
            }
        }
        Ok(record)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the record keeps of `name` in `registry`.
    pub fn kept(&self, registry: &RegistryId, name: &RepositoryName) -> Option<&RepositoryState> {
        self.entries.get(&(registry.clone(), name.clone()))
    }

    /// Tells each live registry which of its missing repositories the record keeps.
    pub fn attach(&self, live: &mut [RegistryState]) {
        for registry in live {
            let id = registry.id();
            let missing: BTreeMap<RepositoryName, RepositoryState> = self
                .entries
                .iter()
                .filter(|((entry_registry, name), _)| {
                    *entry_registry == id && !registry.repositories.contains_key(name)
                })
                .map(|((_, name), state)| (name.clone(), state.clone()))
                .collect();
            registry.interrupted = missing;
        }
    }

    /// Before apply writes anything: records every repository `plan` replaces, as `live`
    /// holds it, and saves the record. Returns how many repositories it recorded.
    pub fn record_replaces(
        &mut self,
        plan: &Plan,
        live: &[RegistryState],
    ) -> anyhow::Result<usize> {
        let mut recorded = 0;
        for change in &plan.changes {
            if change.address.kind != ResourceKind::Repository || change.action != Action::Replace {
                continue;
            }
            let Some(name) = change.address.repository_name() else {
                continue;
            };
            let state = live
                .iter()
                .find(|registry| registry.id() == change.address.registry)
                .and_then(|registry| registry.repositories.get(name));
            if let Some(state) = state {
                self.entries.insert(
                    (change.address.registry.clone(), name.clone()),
                    state.clone(),
                );
                recorded += 1;
            }
        }
        if recorded > 0 {
            self.save()?;
        }
        Ok(recorded)
    }

    /// After apply: drops the entries whose repository exists again and saves what remains,
    /// or removes the file when nothing does. `touched` are the repositories the plan created
    /// or replaced, `applied` those of them that applied, `live` what existed when the plan
    /// was made (an entry whose repository existed then and was not touched was created
    /// again some other way). Returns the entries left.
    pub fn settle(
        &mut self,
        touched: &[(RegistryId, RepositoryName)],
        applied: &[(RegistryId, RepositoryName)],
        live: &[RegistryState],
    ) -> anyhow::Result<Vec<(RegistryId, RepositoryName)>> {
        let before = self.entries.len();
        self.entries.retain(|key, kept| {
            if touched.contains(key) {
                return !applied.contains(key);
            }
            let (registry, name) = key;
            // A repository that exists again is settled only once it holds what the record
            // keeps: a run that died between its create and the restores that follow it left a
            // repository without them, and the record is then their only copy.
            !live
                .iter()
                .filter(|state| state.id() == *registry)
                .filter_map(|state| state.repositories.get(name))
                .any(|found| holds_what_is_kept(found, kept))
        });
        if self.entries.len() != before {
            self.save()?;
        }
        Ok(self.entries.keys().cloned().collect())
    }

    /// The entries kept for repositories that exist: what their restores still lack.
    pub fn unrestored<'a>(
        &'a self,
        live: &'a [RegistryState],
    ) -> impl Iterator<Item = &'a (RegistryId, RepositoryName)> + 'a {
        self.entries.iter().filter_map(move |(key, kept)| {
            let (registry, name) = key;
            live.iter()
                .filter(|state| state.id() == *registry)
                .filter_map(|state| state.repositories.get(name))
                .any(|found| !holds_what_is_kept(found, kept))
                .then_some(key)
        })
    }

    fn save(&self) -> anyhow::Result<()> {
        if self.entries.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error)
                    .with_context(|| {
                        format!("cannot remove the recovery record {}", self.path.display())
                    }),
                _ => Ok(()),
            };
        }
        let file = RecordFile {
            recovery_version: RECOVERY_VERSION,
            entries: self
                .entries
                .iter()
                .map(|((registry, repository), state)| Entry {
                    registry: registry.to_string(),
                    repository: repository.clone(),
                    state: state.clone(),
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&file).context("cannot write JSON")?;
        text.push('\n');
        let temporary = self.path.with_extension("json.tmp");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &self.path))
            .with_context(|| format!("cannot write the recovery record {}", self.path.display()))
    }
}

/// Whether `found` holds the policies and tags `kept` records (what a replace writes back
/// after its create). An aspect the read did not cover is taken as held: a replace reads every
/// aspect of its repository.
fn holds_what_is_kept(found: &RepositoryState, kept: &RepositoryState) -> bool {
    fn policy_held<T: PartialEq>(found: &Setting<T>, kept: &Setting<T>) -> bool {
        matches!(found, Setting::Unmanaged) || !matches!(kept, Setting::Present(_)) || found == kept
    }
    let tags_held = match (&found.tags, &kept.tags) {
        (Some(found), Some(kept)) => kept
            .iter()
            .all(|(key, value)| found.get(key) == Some(value)),
        _ => true,
    };
    tags_held
        && policy_held(&found.lifecycle_policy, &kept.lifecycle_policy)
        && policy_held(&found.repository_policy, &kept.repository_policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecrform_model::{Encryption, EncryptionType, Setting, TagMutability};
    use ecrform_testkit::fixtures::{
        DesiredBuilder, OTHER_ACCOUNT, REGISTRY, RegistryBuilder, RepositoryBuilder, name,
        pull_policy, registry_id,
    };

    /// A directory of its own for one test.
    fn scratch(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ecrform-recovery-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Live: `app` under AES256 with a repository policy the spec does not manage; desired:
    /// `app` under KMS (a replace).
    fn replacing() -> (Plan, Vec<RegistryState>) {
        let live = RegistryBuilder::new(registry_id(REGISTRY))
            .repository(
                "app",
                RepositoryBuilder::new()
                    .mutability(TagMutability::Immutable)
                    .no_exclusions()
                    .encryption(Encryption::aes256())
                    .owned()
                    .repository_policy(pull_policy(OTHER_ACCOUNT))
                    .build(),
            )
            .build();
        let desired = DesiredBuilder::new()
            .registry(
                RegistryBuilder::new(registry_id(REGISTRY)).repository(
                    "app",
                    RepositoryBuilder::new()
                        .encryption(Encryption {
                            kind: EncryptionType::Kms,
                            kms_key: None,
                        })
                        .build(),
                ),
            )
            .build();
        let plan = ecrform_plan::plan(&desired, std::slice::from_ref(&live));
        assert_eq!(plan.summary.replace, 1);
        (plan, vec![live])
    }

    #[test]
    fn no_record_is_an_empty_record() {
        let dir = scratch("none");
        let record = RecoveryRecord::load(&dir.join(RECOVERY_FILE_NAME)).unwrap();
        let mut live = vec![RegistryState::empty(registry_id(REGISTRY))];
        record.attach(&mut live);
        assert!(live[0].interrupted.is_empty());
    }

    #[test]
    fn a_replace_is_recorded_before_apply_and_read_back_for_its_missing_repository() {
        let dir = scratch("recorded");
        let path = dir.join(RECOVERY_FILE_NAME);
        let (plan, live) = replacing();
        let mut record = RecoveryRecord::load(&path).unwrap();
        assert_eq!(record.record_replaces(&plan, &live).unwrap(), 1);
        assert!(path.exists());

        // The process dies after the delete: the next run finds the repository missing.
        let mut after = vec![RegistryState::empty(registry_id(REGISTRY))];
        RecoveryRecord::load(&path).unwrap().attach(&mut after);
        let kept = &after[0].interrupted[&name("app")];
        assert_eq!(
            kept.repository_policy,
            Setting::Present(pull_policy(OTHER_ACCOUNT))
        );
        assert_eq!(kept, &live[0].repositories[&name("app")]);
        // A repository that exists is not restored from the record.
        let mut existing = live.clone();
        RecoveryRecord::load(&path).unwrap().attach(&mut existing);
        assert!(existing[0].interrupted.is_empty());
    }

    #[test]
    fn an_entry_stays_until_its_repository_exists_again() {
        let dir = scratch("settle");
        let path = dir.join(RECOVERY_FILE_NAME);
        let (plan, live) = replacing();
        let mut record = RecoveryRecord::load(&path).unwrap();
        record.record_replaces(&plan, &live).unwrap();
        let app = (registry_id(REGISTRY), name("app"));

        let apps = std::slice::from_ref(&app);
        let left = record.settle(apps, &[], &live).unwrap();
        assert_eq!(left, apps, "the replace did not finish");
        assert!(path.exists());

        let left = record.settle(apps, apps, &live).unwrap();
        assert!(left.is_empty());
        assert!(!path.exists(), "an empty record is removed");

        // Recreated some other way: it existed when the next plan was made.
        record.record_replaces(&plan, &live).unwrap();
        assert!(record.settle(&[], &[], &live).unwrap().is_empty());

        // Recreated by a run that died before it wrote the policy back: the entry stays, as
        // the policy's only copy, and says so.
        record.record_replaces(&plan, &live).unwrap();
        let mut without_policy = live.clone();
        without_policy[0]
            .repositories
            .get_mut(&name("app"))
            .unwrap()
            .repository_policy = Setting::Absent;
        let left = record.settle(&[], &[], &without_policy).unwrap();
        assert_eq!(left, apps);
        assert_eq!(
            record.unrestored(&without_policy).collect::<Vec<_>>(),
            [&app]
        );
        assert_eq!(record.unrestored(&live).count(), 0);
    }

    #[test]
    fn a_malformed_record_is_a_located_error() {
        let dir = scratch("malformed");
        let path = dir.join(RECOVERY_FILE_NAME);
        std::fs::write(
            &path,
            "{\n  \"recovery_version\": 1,\n  \"entries\": [7]\n}\n",
        )
        .unwrap();
        let error = RecoveryRecord::load(&path).unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "{}:3:15: not an ecrform recovery record: invalid type: integer `7`, expected \
                 an object",
                path.display()
            )
        );
        std::fs::write(&path, "{\"recovery_version\": 2, \"entries\": []}").unwrap();
        assert!(
            RecoveryRecord::load(&path)
                .unwrap_err()
                .to_string()
                .ends_with(
                    "recovery record version 2 is not supported (this ecrform reads version 1)"
                )
        );
    }
}
