//! Reading live state: every repository with the aspects the scope names
//! ([`repositories`]), the registry-wide settings it names ([`registry_wide`]) and the KMS
//! keys it names (`crate::kms`), concurrently. Conversions from the SDK's types are in
//! [`convert`]. A caller that shows progress learns how the repositories' reads advance
//! ([`ReadProgress`]); the port's `read` tells no one.

mod convert;
mod registry_wide;
mod repositories;

use ecrform_model::{LifecyclePolicy, RegistryState, RepositoryName, Setting};
use ecrform_plan::{ReadScope, RegistryError};

use crate::EcrRegistry;

/// How one registry's read advances: told when it starts, then for every page of the listing
/// and every repository whose reads finished, in the order they happen (the reads of a page's
/// repositories start as soon as the page arrives).
#[derive(Debug, Clone, PartialEq)]
pub enum ReadProgress {
    /// The read starts (again, for a registry read once more).
    Started,
    /// One more page of DescribeRepositories listed this many repositories.
    Listed { repositories: usize },
    /// One more repository has been read: its name and, when the read covered it, its
    /// lifecycle policy (so that a caller can start reading its images for the lifecycle
    /// preview before the whole registry is read).
    RepositoryRead {
        name: RepositoryName,
        lifecycle_policy: Setting<LifecyclePolicy>,
    },
}

impl EcrRegistry {
    /// [`ecrform_plan::Registry::read`], telling `progress` how it advances.
    pub async fn read_reporting(
        &self,
        scope: &ReadScope,
        progress: &(dyn Fn(ReadProgress) + Send + Sync),
    ) -> Result<RegistryState, RegistryError> {
        read_registry_reporting(self, scope, progress).await
    }
}

/// One registry's live state, as far as `scope` asks.
pub(crate) async fn read_registry(
    registry: &EcrRegistry,
    scope: &ReadScope,
) -> Result<RegistryState, RegistryError> {
    read_registry_reporting(registry, scope, &|_| {}).await
}

async fn read_registry_reporting(
    registry: &EcrRegistry,
    scope: &ReadScope,
    progress: &(dyn Fn(ReadProgress) + Send + Sync),
) -> Result<RegistryState, RegistryError> {
    let (mut state, settings, (mut keys, mut warnings)) = tokio::try_join!(
        repositories::read_repositories(registry, scope, progress),
        registry_wide::read_settings(registry, &scope.registry),
        crate::kms::resolve(registry, scope.kms_keys.iter().cloned()),
    )?;
    // ECR reports key ARNs; a key reported in another form (the local emulator keeps the
    // alias a repository was created with) is resolved as well, once the listing names it.
    let reported: Vec<String> = state
        .repositories
        .values()
        .filter_map(|repository| repository.encryption.as_ref()?.kms_key.clone())
        .filter(|key| !ecrform_model::is_key_arn(key) && !keys.contains_key(key))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !reported.is_empty() {
        let (more, more_warnings) = crate::kms::resolve(registry, reported).await?;
        keys.extend(more);
        warnings.extend(more_warnings);
    }
    state.kms_keys = keys;
    state.read_warnings = warnings;
    settings.fill(&mut state);
    Ok(state)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::recorded::{Answer, RecordedEcr, described};

    const REGISTRY: &str = "123456789012/us-east-1";

    #[tokio::test(start_paused = true)]
    async fn progress_is_told_the_listing_then_each_repository_read() {
        let ecr = RecordedEcr::new();
        ecr.always(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [
                described(REGISTRY, "api"), described(REGISTRY, "web"), described(REGISTRY, "batch")
            ] })),
        );
        let told = Mutex::new(Vec::new());
        let read = |name: &str| ReadProgress::RepositoryRead {
            name: RepositoryName::parse(name).unwrap(),
            lifecycle_policy: Setting::Unmanaged,
        };

        let state = ecr
            .registry(REGISTRY, 1)
            .read_reporting(&ReadScope::default(), &|step| {
                told.lock().unwrap().push(step);
            })
            .await
            .unwrap();

        assert_eq!(state.repositories.len(), 3);
        assert_eq!(
            told.into_inner().unwrap(),
            [
                ReadProgress::Started,
                ReadProgress::Listed { repositories: 3 },
                read("api"),
                read("web"),
                read("batch"),
            ]
        );
    }
}
