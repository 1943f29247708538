//! Reading repositories: DescribeRepositories through the paginator, then, concurrently and
//! only for what the scope names, ListTagsForResource, GetLifecyclePolicy and
//! GetRepositoryPolicy. A policy's not-found answer means "no policy"; a repository that is
//! not found by its own reads was deleted after the listing and is left out. Repository
//! policies are read in the registry's partition, where ECR stores a bare account id as that
//! partition's root.

use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};

use aws_sdk_ecr::types::Repository;
use ecrform_model::lifecycle::Lifecycle;
use ecrform_model::policy::Iam;
use ecrform_model::snapshot::fill_live_defaults;
use ecrform_model::{
    Encryption, EncryptionType, IamPolicy, LifecyclePolicy, RegistryState, RepositoryName,
    RepositoryState, Setting, TagMutability, Tags, TextCache,
};
use ecrform_plan::{Aspects, ErrorKind, Missing, ReadScope, RegistryError};

use super::ReadProgress;
use crate::EcrRegistry;
use crate::error::classify;

/// DescribeRepositories pages hold at most 1000 repositories.
const PAGE_SIZE: i32 = 1000;

/// DescribeRepositories takes at most 100 names at once.
const NAMES_PER_CALL: usize = 100;

/// Every repository (or, for a scope `only_named`, the named ones that exist), with the
/// aspects the scope names. The per-repository reads start with the first page of the
/// listing and run as a bounded stream: at most `parallelism` reads exist at a time, however
/// many repositories the registry holds.
pub(super) async fn read_repositories(
    registry: &EcrRegistry,
    scope: &ReadScope,
    progress: &(dyn Fn(ReadProgress) + Send + Sync),
) -> Result<RegistryState, RegistryError> {
    progress(ReadProgress::Started);
    let documents = Documents::default();
    let documents = &documents;
    let pages: std::pin::Pin<
        Box<dyn Stream<Item = Result<Vec<Repository>, RegistryError>> + Send + '_>,
    > = if scope.only_named {
        Box::pin(named_pages(registry, scope))
    } else {
        Box::pin(listing_pages(registry))
    };
    let listed = pages
        .map_ok(|page| {
            progress(ReadProgress::Listed {
                repositories: page.len(),
            });
            stream::iter(page.into_iter().map(Ok::<_, RegistryError>))
        })
        .try_flatten()
        .map(|repository| async move {
            let repository = repository?;
            let Some(name) = repository.repository_name() else {
                return Ok(None);
            };
            let name = RepositoryName::parse(name).map_err(|e| {
                RegistryError::new(ErrorKind::Other, "UnexpectedName", e.to_string())
            })?;
            let aspects = match scope.repositories.get(&name) {
                Some(aspects) => *aspects,
                None => scope.other_repositories,
            };
            // ECR reports the ARN; should it not, the ARN it would report.
            let arn = repository
                .repository_arn()
                .filter(|arn| !arn.is_empty())
                .map_or_else(|| registry.id.repository_arn(&name), str::to_owned);
            let described =
                describe(&repository).map_err(|unknown| unknown.error(&registry.id, &name))?;
            drop(repository);
            let (name, values) = read_aspects(registry, name, arn, aspects, documents).await?;
            progress(ReadProgress::RepositoryRead {
                name: name.clone(),
                lifecycle_policy: values
                    .as_ref()
                    .map_or(Setting::Unmanaged, |values| values.lifecycle_policy.clone()),
            });
            Ok(Some((name, described, values)))
        })
        .buffer_unordered(registry.parallelism);
    let mut state = RegistryState::empty(registry.id.clone());
    futures_util::pin_mut!(listed);
    while let Some(read) = listed.next().await {
        // A repository deleted since it was listed is no longer part of the live state:
        // describing it with "no policy" would be a claim about a repository that is gone.
        if let Some((name, mut repository, Some(aspects))) = read? {
            repository.tags = aspects.tags;
            repository.lifecycle_policy = aspects.lifecycle_policy;
            repository.repository_policy = aspects.repository_policy;
            state.repositories.insert(name, repository);
        }
    }
    Ok(state)
}

/// Every page of DescribeRepositories, as it arrives.
fn listing_pages(
    registry: &EcrRegistry,
) -> impl Stream<Item = Result<Vec<Repository>, RegistryError>> + Send + '_ {
    let pages = registry
        .reader
        .describe_repositories()
        .registry_id(registry.id.account.as_str())
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    stream::unfold(pages, |mut pages| async move {
        let page = pages.next().await?;
        let page = page
            .map(|page| page.repositories().to_vec())
            .map_err(|e| classify(&e));
        Some((page, pages))
    })
}

/// The named repositories that exist, 100 names a call. ECR refuses a call naming one that
/// does not exist, so such a call is made again one name at a time, and a name ECR does not
/// know is left out.
fn named_pages<'a>(
    registry: &'a EcrRegistry,
    scope: &'a ReadScope,
) -> impl Stream<Item = Result<Vec<Repository>, RegistryError>> + Send + 'a {
    let names: Vec<&RepositoryName> = scope.repositories.keys().collect();
    let batches: Vec<Vec<&RepositoryName>> = names
        .chunks(NAMES_PER_CALL)
        .map(<[&RepositoryName]>::to_vec)
        .collect();
    stream::iter(batches).then(move |batch| async move {
        match describe_named(registry, &batch).await {
            Err(error) if error.kind == ErrorKind::NotFound(Missing::Repository) => {
                let mut found = Vec::new();
                for name in batch {
                    match describe_named(registry, &[name]).await {
                        Ok(mut one) => found.append(&mut one),
                        Err(error) if error.kind == ErrorKind::NotFound(Missing::Repository) => {}
                        Err(error) => return Err(error),
                    }
                }
                Ok(found)
            }
            other => other,
        }
    })
}

async fn describe_named(
    registry: &EcrRegistry,
    names: &[&RepositoryName],
) -> Result<Vec<Repository>, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    registry
        .reader
        .describe_repositories()
        .registry_id(registry.id.account.as_str())
        .set_repository_names(Some(names.iter().map(|name| name.to_string()).collect()))
        .send()
        .await
        .map(|output| output.repositories().to_vec())
        .map_err(|e| classify(&e))
}

/// A value of a live repository that this ecrform has no word for: ECR added a mode or type
/// after this release. Reading it as ECR's default could plan a destructive replace from a
/// value ecrform never understood, so the read stops instead.
#[derive(Debug)]
struct UnknownValue {
    field: &'static str,
    value: String,
}

impl UnknownValue {
    fn error(&self, registry: &ecrform_model::RegistryId, name: &RepositoryName) -> RegistryError {
        let address = ecrform_model::Address::repository(
            registry.clone(),
            ecrform_model::ResourceKind::Repository,
            name.clone(),
        );
        RegistryError::new(
            ErrorKind::UnreadableLiveValue,
            "UnknownLiveValue",
            format!(
                "{address} has {} {:?}, which this ecrform does not know; nothing was planned \
                 from it (a newer ecrform may know it)",
                self.field, self.value
            ),
        )
    }
}

/// The settings DescribeRepositories reports, with ECR's defaults where it leaves one out
/// (and only there: a value it reports that ecrform does not know is an error).
fn describe(repository: &Repository) -> Result<RepositoryState, UnknownValue> {
    let image_tag_mutability = repository
        .image_tag_mutability()
        .map(|mode| {
            TagMutability::parse(mode.as_str()).ok_or_else(|| UnknownValue {
                field: "image_tag_mutability",
                value: mode.as_str().to_owned(),
            })
        })
        .transpose()?;
    let encryption = repository
        .encryption_configuration()
        .map(|c| {
            let kind = EncryptionType::parse(c.encryption_type().as_str()).ok_or_else(|| {
                UnknownValue {
                    field: "encryption type",
                    value: c.encryption_type().as_str().to_owned(),
                }
            })?;
            Ok(Encryption {
                kind,
                kms_key: c.kms_key().map(str::to_owned),
            })
        })
        .transpose()?;
    if let Some(filter) = repository
        .image_tag_mutability_exclusion_filters()
        .iter()
        .find(|filter| filter.filter_type().as_str() != "WILDCARD")
    {
        return Err(UnknownValue {
            field: "an image tag mutability exclusion filter of type",
            value: filter.filter_type().as_str().to_owned(),
        });
    }
    let mut state = RepositoryState {
        image_tag_mutability,
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
        encryption,
        ..RepositoryState::default()
    };
    fill_live_defaults(&mut state);
    // Policies and tags are filled by their own reads, or stay unread.
    state.tags = None;
    state.lifecycle_policy = Setting::Unmanaged;
    state.repository_policy = Setting::Unmanaged;
    Ok(state)
}

/// The documents one registry's read has parsed, each distinct text once (see
/// [`TextCache`]).
#[derive(Debug, Default)]
struct Documents {
    lifecycle: TextCache<Lifecycle>,
    iam: TextCache<Iam>,
}

/// What the per-repository reads found.
struct AspectValues {
    tags: Option<Tags>,
    lifecycle_policy: Setting<LifecyclePolicy>,
    repository_policy: Setting<IamPolicy>,
}

/// The aspects of one repository, or `None` when the repository was deleted after it was
/// listed.
async fn read_aspects(
    registry: &EcrRegistry,
    name: RepositoryName,
    arn: String,
    aspects: Aspects,
    documents: &Documents,
) -> Result<(RepositoryName, Option<AspectValues>), RegistryError> {
    let tags = async {
        if !aspects.tags {
            return Ok(None);
        }
        let _permit = registry.permits.acquire().await.ok();
        let output = registry
            .reader
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
    let account = registry.id.account.as_str();
    let partition = registry.id.region.partition();
    let lifecycle = read_document(
        registry,
        aspects.lifecycle_policy,
        async {
            registry
                .reader
                .get_lifecycle_policy()
                .registry_id(account)
                .repository_name(name.as_str())
                .send()
                .await
                .map(|output| output.lifecycle_policy_text().map(str::to_owned))
                .map_err(|error| classify(&error))
        },
        Missing::LifecyclePolicy,
        |text: &str| documents.lifecycle.parse(text, ()),
        (&name, "lifecycle policy"),
    );
    let policy = read_document(
        registry,
        aspects.repository_policy,
        async {
            registry
                .reader
                .get_repository_policy()
                .registry_id(account)
                .repository_name(name.as_str())
                .send()
                .await
                .map(|output| output.policy_text().map(str::to_owned))
                .map_err(|error| classify(&error))
        },
        Missing::RepositoryPolicy,
        |text: &str| documents.iam.parse(text, partition),
        (&name, "repository policy"),
    );
    let (tags, lifecycle_policy, repository_policy) = tokio::join!(tags, lifecycle, policy);
    let values = tags.and_then(|tags| {
        Ok(AspectValues {
            tags,
            lifecycle_policy: lifecycle_policy?,
            repository_policy: repository_policy?,
        })
    });
    match values {
        Ok(values) => Ok((name, Some(values))),
        Err(error) if error.kind == ErrorKind::NotFound(Missing::Repository) => Ok((name, None)),
        Err(error) => Err(error),
    }
}

/// One policy document of a repository, read only when the scope asks for it. The request is
/// sent once a request slot of the registry is free; its own not-found answer means "no such
/// policy". Any other not-found (the repository's) says nothing about the policy, so it stays
/// an error for the caller, as does every other error.
async fn read_document<T>(
    registry: &EcrRegistry,
    wanted: bool,
    request: impl Future<Output = Result<Option<String>, RegistryError>>,
    not_found: Missing,
    parse: impl Fn(&str) -> Result<T, ecrform_model::DocumentError>,
    (name, what): (&RepositoryName, &str),
) -> Result<Setting<T>, RegistryError> {
    if !wanted {
        return Ok(Setting::Unmanaged);
    }
    let _permit = registry.permits.acquire().await.ok();
    let text = match request.await {
        Ok(text) => text,
        Err(error) if error.kind == ErrorKind::NotFound(not_found) => None,
        Err(error) => return Err(error),
    };
    parse_live(text, parse, name, what)
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
                ErrorKind::UnreadableLiveValue,
                "UnreadablePolicy",
                format!("the live {what} of {name} cannot be read: {e}"),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::recorded::{Answer, RecordedEcr, described};
    use ecrform_plan::Registry;

    const REGISTRY: &str = "123456789012/eu-west-1";

    fn name(raw: &str) -> RepositoryName {
        RepositoryName::parse(raw).unwrap()
    }

    /// ECR answers with exactly one repository page: `app`.
    fn one_repository(ecr: &RecordedEcr) {
        ecr.then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [described(REGISTRY, "app")] })),
        );
    }

    fn scope_of(entries: &[(&str, Aspects)], others: Aspects) -> ReadScope {
        ReadScope {
            kms_keys: Default::default(),
            repositories: entries
                .iter()
                .map(|(raw, aspects)| (name(raw), *aspects))
                .collect(),
            other_repositories: others,
            only_named: false,
            registry: Default::default(),
        }
    }

    /// A scope `only_named` reads the named repositories, 100 names a call, without listing
    /// the registry; a call that names one ECR does not know is made again a name at a time.
    #[tokio::test(start_paused = true)]
    async fn a_named_read_describes_only_the_named_repositories_that_exist() {
        let ecr = RecordedEcr::new();
        ecr.then(
            "DescribeRepositories",
            Answer::error(
                "RepositoryNotFoundException",
                "The repository with name 'gone' does not exist",
            ),
        )
        .then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [described(REGISTRY, "app")] })),
        )
        .then(
            "DescribeRepositories",
            Answer::error(
                "RepositoryNotFoundException",
                "The repository with name 'gone' does not exist",
            ),
        );
        let registry = ecr.registry(REGISTRY, 1);
        let mut scope = scope_of(
            &[("app", Aspects::default()), ("gone", Aspects::default())],
            Aspects::ALL,
        );
        scope.only_named = true;

        let state = registry.read(&scope).await.unwrap();

        assert_eq!(
            state.repositories.keys().collect::<Vec<_>>(),
            [&name("app")]
        );
        let names: Vec<Value> = ecr
            .received("DescribeRepositories")
            .iter()
            .map(|request| request["repositoryNames"].clone())
            .collect();
        assert_eq!(
            names,
            [json!(["app", "gone"]), json!(["app"]), json!(["gone"])]
        );
        assert_eq!(ecr.total(), 3, "no listing, no per-repository reads");
    }

    #[tokio::test(start_paused = true)]
    async fn every_page_of_describe_repositories_is_read_with_the_token_sent_back() {
        let ecr = RecordedEcr::new();
        ecr.then(
            "DescribeRepositories",
            Answer::ok(json!({
                "repositories": [described(REGISTRY, "app"), described(REGISTRY, "team/api")],
                "nextToken": "ukD72mdD/mC8b5xV3susmJzzaTgp3hKwR9nRJ2bnRjmM5M="
            })),
        )
        .then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [described(REGISTRY, "web")] })),
        );

        let state = ecr
            .registry(REGISTRY, 3)
            .read(&ReadScope::default())
            .await
            .unwrap();

        let names: Vec<&str> = state.repositories.keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["app", "team/api", "web"]);
        let requests = ecr.received("DescribeRepositories");
        assert_eq!(requests.len(), 2);
        assert_eq!(
            requests[0],
            json!({ "registryId": "123456789012", "maxResults": 1000 })
        );
        assert_eq!(
            requests[1],
            json!({
                "registryId": "123456789012",
                "maxResults": 1000,
                "nextToken": "ukD72mdD/mC8b5xV3susmJzzaTgp3hKwR9nRJ2bnRjmM5M="
            })
        );
        // An empty scope reads nothing per repository.
        assert_eq!(ecr.total(), 2);
    }

    // Regression: a mode ECR added after this release was read as MUTABLE (and an unknown
    // encryption type as AES256), which could plan a destructive replace from a value
    // ecrform never understood.
    #[tokio::test(start_paused = true)]
    async fn a_live_value_ecrform_does_not_know_stops_the_read_naming_address_field_and_value() {
        let cases = [
            (
                "imageTagMutability",
                json!("IMMUTABLE_WITH_SOMETHING_NEW"),
                "image_tag_mutability \"IMMUTABLE_WITH_SOMETHING_NEW\"",
            ),
            (
                "encryptionConfiguration",
                json!({ "encryptionType": "KMS_QUANTUM" }),
                "encryption type \"KMS_QUANTUM\"",
            ),
            (
                "imageTagMutabilityExclusionFilters",
                json!([{ "filterType": "REGEX", "filter": "v.*" }]),
                "exclusion filter of type \"REGEX\"",
            ),
        ];
        for (key, value, named) in cases {
            let ecr = RecordedEcr::new();
            let mut repository = described(REGISTRY, "app");
            repository[key] = value;
            ecr.then(
                "DescribeRepositories",
                Answer::ok(json!({ "repositories": [repository] })),
            );

            let error = ecr
                .registry(REGISTRY, 3)
                .read(&ReadScope::default())
                .await
                .unwrap_err();

            assert_eq!(error.kind, ErrorKind::UnreadableLiveValue, "{key}");
            assert!(
                error
                    .message
                    .starts_with("123456789012/eu-west-1/repository/app has "),
                "{error}"
            );
            assert!(error.message.contains(named), "{key}: {error}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn described_settings_are_read_with_ecr_defaults_filled_in() {
        let ecr = RecordedEcr::new();
        let mut immutable = described(REGISTRY, "locked");
        immutable["imageTagMutability"] = json!("IMMUTABLE_WITH_EXCLUSION");
        immutable["imageTagMutabilityExclusionFilters"] =
            json!([{ "filterType": "WILDCARD", "filter": "latest*" }]);
        immutable["imageScanningConfiguration"] = json!({ "scanOnPush": true });
        immutable["encryptionConfiguration"] = json!({
            "encryptionType": "KMS",
            "kmsKey": "arn:aws:kms:eu-west-1:123456789012:key/0b7b2a7e-7f3e-4d43-9a4c-5e8d1f1c2a3b"
        });
        let mut bare = described(REGISTRY, "bare");
        for key in [
            "imageTagMutability",
            "imageScanningConfiguration",
            "encryptionConfiguration",
        ] {
            bare.as_object_mut().unwrap().remove(key);
        }
        ecr.then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [immutable, bare] })),
        );

        let state = ecr
            .registry(REGISTRY, 3)
            .read(&ReadScope::default())
            .await
            .unwrap();

        let locked = &state.repositories[&name("locked")];
        assert_eq!(
            locked.image_tag_mutability,
            Some(TagMutability::ImmutableWithExclusion)
        );
        assert_eq!(
            locked.image_tag_mutability_exclusions,
            Some(vec!["latest*".to_owned()])
        );
        assert_eq!(locked.scan_on_push, Some(true));
        assert_eq!(
            locked.encryption,
            Some(Encryption {
                kind: EncryptionType::Kms,
                kms_key: Some(
                    "arn:aws:kms:eu-west-1:123456789012:key/0b7b2a7e-7f3e-4d43-9a4c-5e8d1f1c2a3b"
                        .to_owned()
                ),
            })
        );
        let bare = &state.repositories[&name("bare")];
        assert_eq!(bare.image_tag_mutability, Some(TagMutability::Mutable));
        assert_eq!(bare.image_tag_mutability_exclusions, Some(vec![]));
        assert_eq!(bare.scan_on_push, Some(false));
        assert_eq!(bare.encryption, Some(Encryption::aes256()));
        // Not read, so not claimed.
        assert_eq!(bare.tags, None);
        assert_eq!(bare.lifecycle_policy, Setting::Unmanaged);
        assert_eq!(bare.repository_policy, Setting::Unmanaged);
    }

    #[tokio::test(start_paused = true)]
    async fn policy_not_found_answers_are_absent_policies() {
        let ecr = RecordedEcr::new();
        one_repository(&ecr);
        ecr.then(
            "GetLifecyclePolicy",
            Answer::error(
                "LifecyclePolicyNotFoundException",
                "Lifecycle policy does not exist for the repository with name 'app' in the \
                 registry with id '123456789012'",
            ),
        )
        .then(
            "GetRepositoryPolicy",
            Answer::error(
                "RepositoryPolicyNotFoundException",
                "Repository policy does not exist for the repository with name 'app' in the \
                 registry with id '123456789012'",
            ),
        );
        let policies = Aspects {
            lifecycle_policy: true,
            repository_policy: true,
            ..Aspects::default()
        };

        let state = ecr
            .registry(REGISTRY, 3)
            .read(&scope_of(&[("app", policies)], Aspects::default()))
            .await
            .unwrap();

        let app = &state.repositories[&name("app")];
        assert_eq!(app.lifecycle_policy, Setting::Absent);
        assert_eq!(app.repository_policy, Setting::Absent);
        assert_eq!(app.tags, None);
        let expected = json!({ "registryId": "123456789012", "repositoryName": "app" });
        assert_eq!(
            ecr.received("GetLifecyclePolicy"),
            std::slice::from_ref(&expected)
        );
        assert_eq!(ecr.received("GetRepositoryPolicy"), [expected]);
        assert_eq!(ecr.count("ListTagsForResource"), 0);
    }

    /// Repositories that share a policy text share one parsed document: a registry of many
    /// repositories under one lifecycle policy holds it once.
    #[tokio::test(start_paused = true)]
    async fn identical_policy_texts_are_parsed_once_per_read() {
        let ecr = RecordedEcr::new();
        ecr.then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [
                described(REGISTRY, "ra"), described(REGISTRY, "rb"), described(REGISTRY, "rc")
            ] })),
        );
        let text = |days: u32| {
            format!(
                r#"{{"rules":[{{"rulePriority":1,"selection":{{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":{days}}},"action":{{"type":"expire"}}}}]}}"#
            )
        };
        for days in [7, 7, 14] {
            ecr.then(
                "GetLifecyclePolicy",
                Answer::ok(json!({ "registryId": "123456789012", "repositoryName": "x",
                                   "lifecyclePolicyText": text(days) })),
            );
        }
        let lifecycle = Aspects {
            lifecycle_policy: true,
            ..Aspects::default()
        };
        let state = ecr
            .registry(REGISTRY, 1)
            .read(&scope_of(&[], lifecycle))
            .await
            .unwrap();
        let documents: Vec<&LifecyclePolicy> = state
            .repositories
            .values()
            .map(|repository| repository.lifecycle_policy.present().unwrap())
            .collect();
        let shared = documents
            .iter()
            .filter(|document| document.document()["rules"][0]["selection"]["countNumber"] == 7)
            .collect::<Vec<_>>();
        assert_eq!(shared.len(), 2);
        assert!(std::ptr::eq(shared[0].document(), shared[1].document()));
        assert!(
            documents
                .iter()
                .any(|d| !std::ptr::eq(d.document(), shared[0].document()))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn policies_as_ecr_rewrites_them_are_read_as_present() {
        let ecr = RecordedEcr::new();
        one_repository(&ecr);
        // ECR's rendering of a policy that was put with a bare account-id principal.
        let rewritten = "{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\" : [ {\n    \
             \"Sid\" : \"pull\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \
             \"AWS\" : \"arn:aws:iam::210987654321:root\"\n    },\n    \"Action\" : [ \
             \"ecr:BatchGetImage\", \"ecr:GetDownloadUrlForLayer\" ]\n  } ]\n}";
        let lifecycle = r#"{"rules":[{"rulePriority":1,"description":"expire untagged","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}"#;
        ecr.then(
            "GetRepositoryPolicy",
            Answer::ok(json!({
                "registryId": "123456789012",
                "repositoryName": "app",
                "policyText": rewritten
            })),
        )
        .then(
            "GetLifecyclePolicy",
            Answer::ok(json!({
                "registryId": "123456789012",
                "repositoryName": "app",
                "lifecyclePolicyText": lifecycle,
                "lastEvaluatedAt": 1.712345678E9
            })),
        )
        .then(
            "ListTagsForResource",
            Answer::ok(json!({ "tags": [
                { "Key": "team", "Value": "platform" },
                { "Key": "managed-by", "Value": "ecrform" }
            ] })),
        );

        let state = ecr
            .registry(REGISTRY, 3)
            .read(&scope_of(&[("app", Aspects::ALL)], Aspects::default()))
            .await
            .unwrap();

        let app = &state.repositories[&name("app")];
        let as_written = IamPolicy::from_json_text(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":["ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"]}]}"#,
        )
        .unwrap();
        assert_eq!(app.repository_policy, Setting::Present(as_written));
        assert_eq!(
            app.lifecycle_policy,
            Setting::Present(LifecyclePolicy::from_json_text(lifecycle).unwrap())
        );
        let tags = app.tags.as_ref().unwrap();
        assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
        assert_eq!(tags.len(), 2);
        assert_eq!(
            ecr.received("ListTagsForResource"),
            [json!({ "resourceArn": "arn:aws:ecr:eu-west-1:123456789012:repository/app" })]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_gov_cloud_registry_reads_its_policies_and_tags_in_its_partition() {
        const GOV: &str = "123456789012/us-gov-west-1";
        let ecr = RecordedEcr::new();
        ecr.then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [described(GOV, "app")] })),
        );
        // What GovCloud's ECR gives back for a policy put with a bare account id.
        let rewritten = "{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\" : [ {\n    \
             \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \
             \"AWS\" : \"arn:aws-us-gov:iam::210987654321:root\"\n    },\n    \"Action\" : \
             \"ecr:BatchGetImage\"\n  } ]\n}";
        ecr.then(
            "GetRepositoryPolicy",
            Answer::ok(json!({
                "registryId": "123456789012",
                "repositoryName": "app",
                "policyText": rewritten
            })),
        )
        .then("ListTagsForResource", Answer::ok(json!({ "tags": [] })));
        let aspects = Aspects {
            tags: true,
            repository_policy: true,
            ..Aspects::default()
        };

        let state = ecr
            .registry(GOV, 3)
            .read(&scope_of(&[("app", aspects)], Aspects::default()))
            .await
            .unwrap();

        let live = state.repositories[&name("app")]
            .repository_policy
            .present()
            .unwrap();
        assert_eq!(live.partition(), ecrform_model::Partition::AwsUsGov);
        let bare = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:BatchGetImage"}]}"#;
        let desired = IamPolicy::from_json_text(bare)
            .unwrap()
            .for_partition(ecrform_model::Partition::AwsUsGov);
        assert_eq!(live, &desired);
        // The bare account id read as if commercial never converges with what ECR holds.
        assert_ne!(IamPolicy::from_json_text(bare).unwrap(), *live);
        assert_eq!(
            ecr.received("ListTagsForResource"),
            [
                json!({ "resourceArn": "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/app" })
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_repository_listed_without_an_arn_is_read_by_the_arn_ecr_gives_it() {
        const CHINA: &str = "123456789012/cn-north-1";
        let ecr = RecordedEcr::new();
        let mut repository = described(CHINA, "app");
        repository.as_object_mut().unwrap().remove("repositoryArn");
        ecr.then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [repository] })),
        )
        .then("ListTagsForResource", Answer::ok(json!({ "tags": [] })));
        let tags = Aspects {
            tags: true,
            ..Aspects::default()
        };

        ecr.registry(CHINA, 3)
            .read(&scope_of(&[("app", tags)], Aspects::default()))
            .await
            .unwrap();

        assert_eq!(
            ecr.received("ListTagsForResource"),
            [json!({ "resourceArn": "arn:aws-cn:ecr:cn-north-1:123456789012:repository/app" })]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_aspects_in_scope_are_requested() {
        let ecr = RecordedEcr::new();
        ecr.then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [
                described(REGISTRY, "tagged"),
                described(REGISTRY, "expiring"),
                described(REGISTRY, "guarded"),
                described(REGISTRY, "unmanaged")
            ] })),
        )
        .always("ListTagsForResource", Answer::ok(json!({ "tags": [] })))
        .always(
            "GetLifecyclePolicy",
            Answer::error(
                "LifecyclePolicyNotFoundException",
                "Lifecycle policy does not exist",
            ),
        )
        .always(
            "GetRepositoryPolicy",
            Answer::error(
                "RepositoryPolicyNotFoundException",
                "Repository policy does not exist",
            ),
        );
        let tags = Aspects {
            tags: true,
            ..Aspects::default()
        };
        let scope = scope_of(
            &[
                ("tagged", tags),
                (
                    "expiring",
                    Aspects {
                        lifecycle_policy: true,
                        ..Aspects::default()
                    },
                ),
                (
                    "guarded",
                    Aspects {
                        repository_policy: true,
                        ..Aspects::default()
                    },
                ),
            ],
            // A pruning registry reads the tags of repositories outside the spec.
            tags,
        );

        let state = ecr.registry(REGISTRY, 3).read(&scope).await.unwrap();

        let arns: Vec<Value> = ecr
            .received("ListTagsForResource")
            .into_iter()
            .map(|body| body["resourceArn"].clone())
            .collect();
        assert_eq!(arns.len(), 2);
        assert!(arns.contains(&json!(
            "arn:aws:ecr:eu-west-1:123456789012:repository/tagged"
        )));
        assert!(arns.contains(&json!(
            "arn:aws:ecr:eu-west-1:123456789012:repository/unmanaged"
        )));
        assert_eq!(
            ecr.received("GetLifecyclePolicy"),
            [json!({ "registryId": "123456789012", "repositoryName": "expiring" })]
        );
        assert_eq!(
            ecr.received("GetRepositoryPolicy"),
            [json!({ "registryId": "123456789012", "repositoryName": "guarded" })]
        );
        assert_eq!(ecr.total(), 1 + 2 + 1 + 1);
        let expiring = &state.repositories[&name("expiring")];
        assert_eq!(expiring.lifecycle_policy, Setting::Absent);
        assert_eq!(expiring.repository_policy, Setting::Unmanaged);
        assert_eq!(expiring.tags, None);
        assert_eq!(
            state.repositories[&name("unmanaged")].tags,
            Some(Tags::new())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_policy_read_that_is_refused_fails_the_read() {
        let ecr = RecordedEcr::new();
        one_repository(&ecr);
        ecr.then(
            "GetRepositoryPolicy",
            Answer::error(
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: \
                 ecr:GetRepositoryPolicy on resource: \
                 arn:aws:ecr:eu-west-1:123456789012:repository/app",
            ),
        );
        let policy = Aspects {
            repository_policy: true,
            ..Aspects::default()
        };

        let error = ecr
            .registry(REGISTRY, 3)
            .read(&scope_of(&[("app", policy)], Aspects::default()))
            .await
            .unwrap_err();

        assert_eq!(error.kind, ErrorKind::AccessDenied);
        assert_eq!(error.code, "AccessDeniedException");
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreadable_live_policy_is_an_error_naming_the_repository() {
        let ecr = RecordedEcr::new();
        one_repository(&ecr);
        ecr.then(
            "GetRepositoryPolicy",
            Answer::ok(
                json!({ "registryId": "123456789012", "repositoryName": "app",
                               "policyText": "{\n  \"Version\" : " }),
            ),
        );
        let policy = Aspects {
            repository_policy: true,
            ..Aspects::default()
        };

        let error = ecr
            .registry(REGISTRY, 3)
            .read(&scope_of(&[("app", policy)], Aspects::default()))
            .await
            .unwrap_err();

        assert_eq!(error.code, "UnreadablePolicy");
        assert!(
            error.message.contains("repository policy of app"),
            "{error}"
        );
        assert!(!error.message.contains('\n'), "{error:?}");
    }

    fn repository_not_found(name: &str) -> Answer {
        Answer::error(
            "RepositoryNotFoundException",
            &format!(
                "The repository with name '{name}' does not exist in the registry with id \
                 '123456789012'"
            ),
        )
    }

    // Regression: a repository deleted between the listing and its policy read was reported
    // as existing with no policy, because every not-found counted as "absent".
    #[tokio::test(start_paused = true)]
    async fn a_repository_deleted_before_its_policy_read_is_not_in_the_state() {
        let ecr = RecordedEcr::new();
        ecr.then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [
                described(REGISTRY, "app"),
                described(REGISTRY, "gone")
            ] })),
        )
        .always(
            "GetLifecyclePolicy",
            Answer::error(
                "LifecyclePolicyNotFoundException",
                "Lifecycle policy does not exist",
            ),
        );
        ecr.always_for("GetRepositoryPolicy", "gone", repository_not_found("gone"));
        let lifecycle = Aspects {
            lifecycle_policy: true,
            ..Aspects::default()
        };
        let policy = Aspects {
            repository_policy: true,
            ..Aspects::default()
        };

        let state = ecr
            .registry(REGISTRY, 3)
            .read(&scope_of(
                &[("app", lifecycle), ("gone", policy)],
                Aspects::default(),
            ))
            .await
            .unwrap();

        let names: Vec<&str> = state.repositories.keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["app"]);
        assert_eq!(
            state.repositories[&name("app")].lifecycle_policy,
            Setting::Absent
        );
    }

    // Regression: the same race on the tags read failed the whole read.
    #[tokio::test(start_paused = true)]
    async fn a_repository_deleted_before_its_tags_read_is_not_in_the_state() {
        let ecr = RecordedEcr::new();
        ecr.then(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [
                described(REGISTRY, "app"),
                described(REGISTRY, "gone")
            ] })),
        )
        .always("ListTagsForResource", Answer::ok(json!({ "tags": [] })))
        .always_for("ListTagsForResource", "gone", repository_not_found("gone"));
        let tags = Aspects {
            tags: true,
            ..Aspects::default()
        };

        let state = ecr
            .registry(REGISTRY, 3)
            .read(&scope_of(&[], tags))
            .await
            .unwrap();

        let names: Vec<&str> = state.repositories.keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["app"]);
        assert_eq!(state.repositories[&name("app")].tags, Some(Tags::new()));
    }
}
