//! Reaching live ECR: connecting to the registries of a command and reading them, all
//! registries at once. Errors name the registry and carry the AWS error code and message.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use futures_util::future::join_all;

use ecrform_aws::{ConnectOptions, EcrRegistry, RegistryTarget};
use ecrform_model::{DesiredState, RegistryId, RegistryState};
use ecrform_plan::{ErrorKind, ReadScope, Registry, RegistryError};

use crate::cli::GlobalArgs;

/// The registries of one command, connected.
pub type Registries = BTreeMap<RegistryId, Arc<EcrRegistry>>;

/// One async runtime per command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub async fn connect(
    targets: &[RegistryTarget],
    global: &GlobalArgs,
) -> anyhow::Result<Registries> {
    let options = ConnectOptions {
        endpoint_url: global.endpoint_url.clone(),
        parallelism: usize::from(global.parallelism),
        ..ConnectOptions::default()
    };
    let clients = join_all(targets.iter().map(|target| async {
        ecrform_aws::connect(target, &options)
            .await
            .map_err(|error| read_error(&target.id, &error))
    }));
    clients
        .await
        .into_iter()
        .map(|registry| registry.map(|r| (r.id().clone(), Arc::new(r))))
        .collect()
}

/// Reads every registry with its scope, concurrently; the first failure names its registry.
pub async fn read(
    registries: &Registries,
    scopes: &BTreeMap<RegistryId, ReadScope>,
) -> anyhow::Result<Vec<RegistryState>> {
    let reads = scopes.iter().map(|(id, scope)| async move {
        let registry = registries
            .get(id)
            .with_context(|| format!("no connection to registry {id}"))?;
        registry
            .read(scope)
            .await
            .map_err(|error| read_error(id, &error))
    });
    join_all(reads).await.into_iter().collect()
}

/// Everything about every repository of `targets` (export, snapshot).
pub fn read_everything(
    targets: &[RegistryTarget],
    global: &GlobalArgs,
) -> anyhow::Result<Vec<RegistryState>> {
    let scopes = targets
        .iter()
        .map(|t| (t.id.clone(), ReadScope::everything()))
        .collect();
    runtime()?.block_on(async {
        let registries = connect(targets, global).await?;
        read(&registries, &scopes).await
    })
}

/// The scopes that planning `desired` needs.
pub fn scopes_for(desired: &DesiredState) -> BTreeMap<RegistryId, ReadScope> {
    desired
        .registries
        .iter()
        .map(|registry| (registry.state.id(), ReadScope::for_desired(registry)))
        .collect()
}

pub fn targets_for(desired: &DesiredState) -> Vec<RegistryTarget> {
    desired
        .registries
        .iter()
        .map(RegistryTarget::for_desired)
        .collect()
}

/// One sentence a user can act on.
fn read_error(id: &RegistryId, error: &RegistryError) -> anyhow::Error {
    let hint = match error.kind {
        ErrorKind::Unreachable => "; check --endpoint-url / AWS_ENDPOINT_URL and the network",
        ErrorKind::Credentials => {
            "; check AWS_PROFILE, the credentials of the default chain and the registry's role_arn"
        }
        ErrorKind::AccessDenied => "; the credentials lack ECR read permissions",
        ErrorKind::Unsupported => "; the endpoint does not implement this ECR operation",
        _ => "",
    };
    anyhow::anyhow!("cannot read registry {id}: {error}{hint}")
}
