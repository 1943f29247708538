//! Reading live state: every repository with the aspects the scope names
//! ([`repositories`]), the registry-wide settings it names ([`registry_wide`]) and the KMS
//! keys it names (`crate::kms`), concurrently. Conversions from the SDK's types are in
//! [`convert`].

mod convert;
mod registry_wide;
mod repositories;

use ecrform_model::RegistryState;
use ecrform_plan::{ReadScope, RegistryError};

use crate::EcrRegistry;

/// One registry's live state, as far as `scope` asks.
pub(crate) async fn read_registry(
    registry: &EcrRegistry,
    scope: &ReadScope,
) -> Result<RegistryState, RegistryError> {
    let (mut state, settings, (mut keys, mut warnings)) = tokio::try_join!(
        repositories::read_repositories(registry, scope),
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
