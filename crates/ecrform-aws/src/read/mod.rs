//! Reading live state: every repository with the aspects the scope names
//! ([`repositories`]), and the registry-wide settings it names ([`registry_wide`]), the two
//! concurrently. Conversions from the SDK's types are in [`convert`].

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
    let (mut state, settings) = tokio::try_join!(
        repositories::read_repositories(registry, scope),
        registry_wide::read_settings(registry, &scope.registry),
    )?;
    settings.fill(&mut state);
    Ok(state)
}
