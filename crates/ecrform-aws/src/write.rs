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
