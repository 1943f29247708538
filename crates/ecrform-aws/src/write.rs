//! Executing the planner's calls, one ECR operation each.

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType as SdkEncryptionType, ImageScanningConfiguration,
    ImageTagMutability, ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType,
    Tag,
};
use ecrform_model::{Encryption, RepositoryName, TagMutability, Tags};
use ecrform_plan::{ApiCall, ErrorKind, RegistryError};

use crate::EcrRegistry;
use crate::error::classify;

/// Sends a request and keeps only whether it succeeded, with the error classified.
macro_rules! send {
    ($request:expr) => {
        $request.send().await.map(drop).map_err(|e| classify(&e))
    };
}

pub(crate) async fn execute(registry: &EcrRegistry, call: &ApiCall) -> Result<(), RegistryError> {
    let ecr = &registry.client;
    let account = registry.id.account.as_str();
    match call {
        ApiCall::CreateRepository {
            repository,
            image_tag_mutability,
            image_tag_mutability_exclusions,
            scan_on_push,
            encryption,
            tags,
        } => {
            let mut request = ecr
                .create_repository()
                .registry_id(account)
                .repository_name(repository.as_str())
                .set_tags(Some(sdk_tags(tags)?));
            if let Some(mode) = image_tag_mutability {
                request = request
                    .image_tag_mutability(sdk_mutability(*mode))
                    .set_image_tag_mutability_exclusion_filters(exclusions(
                        *mode,
                        image_tag_mutability_exclusions,
                    )?);
            }
            if let Some(scan_on_push) = scan_on_push {
                request = request.image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(*scan_on_push)
                        .build(),
                );
            }
            if let Some(encryption) = encryption {
                request = request.encryption_configuration(sdk_encryption(encryption)?);
            }
            send!(request)
        }
        ApiCall::PutImageTagMutability {
            repository,
            image_tag_mutability,
            image_tag_mutability_exclusions,
        } => send!(
            ecr.put_image_tag_mutability()
                .registry_id(account)
                .repository_name(repository.as_str())
                .image_tag_mutability(sdk_mutability(*image_tag_mutability))
                .set_image_tag_mutability_exclusion_filters(exclusions(
                    *image_tag_mutability,
                    image_tag_mutability_exclusions,
                )?)
        ),
        ApiCall::PutImageScanningConfiguration {
            repository,
            scan_on_push,
        } => send!(
            ecr.put_image_scanning_configuration()
                .registry_id(account)
                .repository_name(repository.as_str())
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(*scan_on_push)
                        .build(),
                )
        ),
        ApiCall::TagResource { repository, tags } => send!(
            ecr.tag_resource()
                .resource_arn(repository_arn(registry, repository))
                .set_tags(Some(sdk_tags(tags)?))
        ),
        ApiCall::UntagResource { repository, keys } => send!(
            ecr.untag_resource()
                .resource_arn(repository_arn(registry, repository))
                .set_tag_keys(Some(keys.clone()))
        ),
        ApiCall::PutLifecyclePolicy { repository, text } => send!(
            ecr.put_lifecycle_policy()
                .registry_id(account)
                .repository_name(repository.as_str())
                .lifecycle_policy_text(text)
        ),
        ApiCall::DeleteLifecyclePolicy { repository } => send!(
            ecr.delete_lifecycle_policy()
                .registry_id(account)
                .repository_name(repository.as_str())
        ),
        ApiCall::SetRepositoryPolicy { repository, text } => send!(
            ecr.set_repository_policy()
                .registry_id(account)
                .repository_name(repository.as_str())
                .policy_text(text)
        ),
        ApiCall::DeleteRepositoryPolicy { repository } => send!(
            ecr.delete_repository_policy()
                .registry_id(account)
                .repository_name(repository.as_str())
        ),
        ApiCall::DeleteRepository { repository, force } => send!(
            ecr.delete_repository()
                .registry_id(account)
                .repository_name(repository.as_str())
                .force(*force)
        ),
    }
}

/// Tagging takes an ARN; ECR's repository ARNs are predictable from the registry and name.
/// The partition follows the region (GovCloud and China have their own).
fn repository_arn(registry: &EcrRegistry, repository: &RepositoryName) -> String {
    let region = registry.id.region.as_str();
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    format!(
        "arn:{partition}:ecr:{region}:{}:repository/{repository}",
        registry.id.account
    )
}

fn sdk_mutability(mode: TagMutability) -> ImageTagMutability {
    ImageTagMutability::from(mode.as_str())
}

/// Exclusion filters go only with the modes that take them; ECR rejects them otherwise.
fn exclusions(
    mode: TagMutability,
    filters: &[String],
) -> Result<Option<Vec<ImageTagMutabilityExclusionFilter>>, RegistryError> {
    if !mode.takes_exclusions() {
        return Ok(None);
    }
    filters
        .iter()
        .map(|filter| {
            ImageTagMutabilityExclusionFilter::builder()
                .filter_type(ImageTagMutabilityExclusionFilterType::Wildcard)
                .filter(filter)
                .build()
                .map_err(request_error)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn sdk_tags(tags: &Tags) -> Result<Vec<Tag>, RegistryError> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(request_error)
        })
        .collect()
}

fn sdk_encryption(encryption: &Encryption) -> Result<EncryptionConfiguration, RegistryError> {
    let mut builder = EncryptionConfiguration::builder()
        .encryption_type(SdkEncryptionType::from(encryption.kind.as_str()));
    if let Some(key) = &encryption.kms_key {
        builder = builder.kms_key(key);
    }
    builder.build().map_err(request_error)
}

fn request_error(error: aws_smithy_types::error::operation::BuildError) -> RegistryError {
    RegistryError::new(ErrorKind::Invalid, "InvalidRequest", error.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::recorded::{Answer, RecordedEcr, described};
    use ecrform_model::EncryptionType;
    use ecrform_plan::Registry;

    const REGISTRY: &str = "123456789012/eu-west-1";
    const KEY_ARN: &str =
        "arn:aws:kms:eu-west-1:123456789012:key/0b7b2a7e-7f3e-4d43-9a4c-5e8d1f1c2a3b";

    fn name(raw: &str) -> RepositoryName {
        RepositoryName::parse(raw).unwrap()
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// Executes `call` against an endpoint that accepts it and returns the one request sent.
    async fn sent(registry: &str, call: &ApiCall) -> Value {
        let ecr = RecordedEcr::new();
        // The write paths ignore the response body; a repository is what most of them return.
        ecr.always(
            call.operation(),
            Answer::ok(json!({ "repository": described(registry, "app") })),
        );
        ecr.registry(registry, 1).call(call).await.unwrap();
        let mut requests = ecr.received(call.operation());
        assert_eq!(
            ecr.total(),
            1,
            "{} sent more than one request",
            call.operation()
        );
        requests.remove(0)
    }

    #[tokio::test(start_paused = true)]
    async fn create_repository_sends_every_setting_in_one_request() {
        let call = ApiCall::CreateRepository {
            repository: name("team/app"),
            image_tag_mutability: Some(TagMutability::ImmutableWithExclusion),
            image_tag_mutability_exclusions: vec!["latest".to_owned(), "dev-*".to_owned()],
            scan_on_push: Some(true),
            encryption: Some(Encryption {
                kind: EncryptionType::Kms,
                kms_key: Some(KEY_ARN.to_owned()),
            }),
            tags: tags(&[("team", "platform"), ("managed-by", "ecrform")]),
        };

        assert_eq!(
            sent(REGISTRY, &call).await,
            json!({
                "registryId": "123456789012",
                "repositoryName": "team/app",
                "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [
                    { "filterType": "WILDCARD", "filter": "latest" },
                    { "filterType": "WILDCARD", "filter": "dev-*" }
                ],
                "imageScanningConfiguration": { "scanOnPush": true },
                "encryptionConfiguration": { "encryptionType": "KMS", "kmsKey": KEY_ARN },
                "tags": [
                    { "Key": "managed-by", "Value": "ecrform" },
                    { "Key": "team", "Value": "platform" }
                ]
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn create_repository_leaves_out_what_the_spec_does_not_manage() {
        let call = ApiCall::CreateRepository {
            repository: name("app"),
            image_tag_mutability: Some(TagMutability::Mutable),
            // Stale filters must not reach ECR with a mode that takes none.
            image_tag_mutability_exclusions: vec!["latest".to_owned()],
            scan_on_push: None,
            encryption: Some(Encryption {
                kind: EncryptionType::Kms,
                kms_key: None,
            }),
            tags: Tags::new(),
        };

        assert_eq!(
            sent(REGISTRY, &call).await,
            json!({
                "registryId": "123456789012",
                "repositoryName": "app",
                "imageTagMutability": "MUTABLE",
                "encryptionConfiguration": { "encryptionType": "KMS" },
                "tags": []
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tags_target_the_repository_arn_of_the_region_partition() {
        let cases = [
            (
                "123456789012/eu-west-1",
                "arn:aws:ecr:eu-west-1:123456789012:repository/team/app",
            ),
            (
                "123456789012/cn-north-1",
                "arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/app",
            ),
            (
                "123456789012/us-gov-west-1",
                "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/team/app",
            ),
        ];
        for (registry, arn) in cases {
            let tag = ApiCall::TagResource {
                repository: name("team/app"),
                tags: tags(&[("team", "platform")]),
            };
            assert_eq!(
                sent(registry, &tag).await,
                json!({ "resourceArn": arn, "tags": [{ "Key": "team", "Value": "platform" }] }),
                "{registry}"
            );
            let untag = ApiCall::UntagResource {
                repository: name("team/app"),
                keys: vec!["old".to_owned()],
            };
            assert_eq!(
                sent(registry, &untag).await,
                json!({ "resourceArn": arn, "tagKeys": ["old"] }),
                "{registry}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tag_mutability_sends_exclusion_filters_only_with_the_modes_that_take_them() {
        for mode in TagMutability::ALL {
            let call = ApiCall::PutImageTagMutability {
                repository: name("app"),
                image_tag_mutability: mode,
                image_tag_mutability_exclusions: vec!["release-*".to_owned()],
            };
            let mut expected = json!({
                "registryId": "123456789012",
                "repositoryName": "app",
                "imageTagMutability": mode.as_str()
            });
            if mode.takes_exclusions() {
                expected["imageTagMutabilityExclusionFilters"] =
                    json!([{ "filterType": "WILDCARD", "filter": "release-*" }]);
            }
            assert_eq!(sent(REGISTRY, &call).await, expected, "{mode}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_other_call_sends_its_documented_request() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"ecr:BatchGetImage"}]}"#;
        let lifecycle = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":100},"action":{"type":"expire"}}]}"#;
        let repository = || json!({ "registryId": "123456789012", "repositoryName": "app" });
        let with = |key: &str, value: Value| {
            let mut body = repository();
            body[key] = value;
            body
        };
        let cases = [
            (
                ApiCall::PutImageScanningConfiguration {
                    repository: name("app"),
                    scan_on_push: true,
                },
                with("imageScanningConfiguration", json!({ "scanOnPush": true })),
            ),
            (
                ApiCall::PutLifecyclePolicy {
                    repository: name("app"),
                    text: lifecycle.to_owned(),
                },
                with("lifecyclePolicyText", json!(lifecycle)),
            ),
            (
                ApiCall::DeleteLifecyclePolicy {
                    repository: name("app"),
                },
                repository(),
            ),
            (
                ApiCall::SetRepositoryPolicy {
                    repository: name("app"),
                    text: policy.to_owned(),
                },
                with("policyText", json!(policy)),
            ),
            (
                ApiCall::DeleteRepositoryPolicy {
                    repository: name("app"),
                },
                repository(),
            ),
            (
                ApiCall::DeleteRepository {
                    repository: name("app"),
                    force: false,
                },
                with("force", json!(false)),
            ),
            (
                ApiCall::DeleteRepository {
                    repository: name("app"),
                    force: true,
                },
                with("force", json!(true)),
            ),
        ];
        for (call, expected) in cases {
            assert_eq!(
                sent(REGISTRY, &call).await,
                expected,
                "{}",
                call.operation()
            );
        }
    }
}
