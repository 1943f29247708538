//! Reading live state: DescribeRepositories through the paginator, then, concurrently and
//! only for what the scope names, ListTagsForResource, GetLifecyclePolicy and
//! GetRepositoryPolicy. A not-found answer to a policy read means "no policy".

use futures_util::future::join_all;

use aws_sdk_ecr::types::Repository;
use ecrform_model::snapshot::fill_live_defaults;
use ecrform_model::{
    Encryption, EncryptionType, IamPolicy, LifecyclePolicy, RegistryState, RepositoryName,
    RepositoryState, Setting, TagMutability, Tags,
};
use ecrform_plan::{Aspects, ErrorKind, ReadScope, RegistryError};

use crate::EcrRegistry;
use crate::error::classify;

/// DescribeRepositories pages hold at most 1000 repositories.
const PAGE_SIZE: i32 = 1000;

pub(crate) async fn read_registry(
    registry: &EcrRegistry,
    scope: &ReadScope,
) -> Result<RegistryState, RegistryError> {
    let listed = list_repositories(registry).await?;
    let mut state = RegistryState::empty(registry.id.clone());
    let mut reads = Vec::new();
    for repository in &listed {
        let Some(name) = repository.repository_name() else {
            continue;
        };
        let name = RepositoryName::parse(name)
            .map_err(|e| RegistryError::new(ErrorKind::Other, "UnexpectedName", e.to_string()))?;
        let aspects = match scope.repositories.get(&name) {
            Some(aspects) => *aspects,
            None => scope.other_repositories,
        };
        let arn = repository.repository_arn().unwrap_or_default().to_owned();
        state
            .repositories
            .insert(name.clone(), describe(repository));
        reads.push(read_aspects(registry, name, arn, aspects));
    }
    for result in join_all(reads).await {
        let (name, aspects) = result?;
        if let Some(repository) = state.repositories.get_mut(&name) {
            repository.tags = aspects.tags;
            repository.lifecycle_policy = aspects.lifecycle_policy;
            repository.repository_policy = aspects.repository_policy;
        }
    }
    Ok(state)
}

async fn list_repositories(registry: &EcrRegistry) -> Result<Vec<Repository>, RegistryError> {
    let mut pages = registry
        .client
        .describe_repositories()
        .registry_id(registry.id.account.as_str())
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut repositories = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e))?;
        repositories.extend(page.repositories().iter().cloned());
    }
    Ok(repositories)
}

/// The settings DescribeRepositories reports, with ECR's defaults where it leaves one out.
fn describe(repository: &Repository) -> RepositoryState {
    let mut state = RepositoryState {
        image_tag_mutability: repository
            .image_tag_mutability()
            .and_then(|mode| TagMutability::parse(mode.as_str())),
        image_tag_mutability_exclusions: Some(
            repository
                .image_tag_mutability_exclusion_filters()
                .iter()
                .map(|filter| filter.filter().to_owned())
                .collect(),
        ),
        scan_on_push: repository
            .image_scanning_configuration()
            .map(|c| c.scan_on_push()),
        encryption: repository.encryption_configuration().and_then(|c| {
            Some(Encryption {
                kind: EncryptionType::parse(c.encryption_type().as_str())?,
                kms_key: c.kms_key().map(str::to_owned),
            })
        }),
        ..RepositoryState::default()
    };
    fill_live_defaults(&mut state);
    // Policies and tags are filled by their own reads, or stay unread.
    state.tags = None;
    state.lifecycle_policy = Setting::Unmanaged;
    state.repository_policy = Setting::Unmanaged;
    state
}

/// What the per-repository reads found.
struct AspectValues {
    tags: Option<Tags>,
    lifecycle_policy: Setting<LifecyclePolicy>,
    repository_policy: Setting<IamPolicy>,
}

async fn read_aspects(
    registry: &EcrRegistry,
    name: RepositoryName,
    arn: String,
    aspects: Aspects,
) -> Result<(RepositoryName, AspectValues), RegistryError> {
    let tags = async {
        if !aspects.tags {
            return Ok(None);
        }
        let _permit = registry.permits.acquire().await.ok();
        let output = registry
            .client
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok::<_, RegistryError>(Some(
            output
                .tags()
                .iter()
                .map(|tag| (tag.key().to_owned(), tag.value().to_owned()))
                .collect(),
        ))
    };
    let lifecycle = async {
        if !aspects.lifecycle_policy {
            return Ok(Setting::Unmanaged);
        }
        let _permit = registry.permits.acquire().await.ok();
        let result = registry
            .client
            .get_lifecycle_policy()
            .registry_id(registry.id.account.as_str())
            .repository_name(name.as_str())
            .send()
            .await;
        let text = match result {
            Ok(output) => output.lifecycle_policy_text().map(str::to_owned),
            Err(error) => absent_if_not_found(classify(&error))?,
        };
        parse_live(
            text,
            LifecyclePolicy::from_json_text,
            &name,
            "lifecycle policy",
        )
    };
    let policy = async {
        if !aspects.repository_policy {
            return Ok(Setting::Unmanaged);
        }
        let _permit = registry.permits.acquire().await.ok();
        let result = registry
            .client
            .get_repository_policy()
            .registry_id(registry.id.account.as_str())
            .repository_name(name.as_str())
            .send()
            .await;
        let text = match result {
            Ok(output) => output.policy_text().map(str::to_owned),
            Err(error) => absent_if_not_found(classify(&error))?,
        };
        parse_live(text, IamPolicy::from_json_text, &name, "repository policy")
    };
    let (tags, lifecycle_policy, repository_policy) = tokio::join!(tags, lifecycle, policy);
    Ok((
        name,
        AspectValues {
            tags: tags?,
            lifecycle_policy: lifecycle_policy?,
            repository_policy: repository_policy?,
        },
    ))
}

/// Not-found on a read is the answer "there is none".
fn absent_if_not_found(error: RegistryError) -> Result<Option<String>, RegistryError> {
    if error.kind == ErrorKind::NotFound {
        Ok(None)
    } else {
        Err(error)
    }
}

fn parse_live<T>(
    text: Option<String>,
    parse: impl Fn(&str) -> Result<T, ecrform_model::DocumentError>,
    name: &RepositoryName,
    what: &str,
) -> Result<Setting<T>, RegistryError> {
    match text {
        None => Ok(Setting::Absent),
        Some(text) => parse(&text).map(Setting::Present).map_err(|e| {
            RegistryError::new(
                ErrorKind::Other,
                "UnreadablePolicy",
                format!("the live {what} of {name} cannot be read: {e}"),
            )
        }),
    }
}
