//! Reading the images of one repository: DescribeImages through the paginator, every page,
//! either mapped to what lifecycle rules look at ([`ecrform_lifecycle::Image`], for the plan's
//! lifecycle preview) or counted with their sizes ([`HeldImages`], for what a delete or
//! replace destroys; only the running totals are kept, whatever the repository holds).
//!
//! DescribeImages does not say which images a manifest list references (only BatchGetImage of
//! the list would), so every image is read as unreferenced: the preview may then count an
//! image that ECR would keep for its list, which errs towards asking before apply.

use aws_sdk_ecr::types::ImageDetail;
use aws_smithy_types::DateTime;
use ecrform_lifecycle::{Image, ImageStatus, Timestamp};
use ecrform_model::RepositoryName;
use ecrform_plan::{ErrorKind, HeldImages, RegistryError};

use crate::EcrRegistry;
use crate::error::classify;

/// DescribeImages pages hold at most 1000 images.
const PAGE_SIZE: i32 = 1000;

pub(crate) async fn list_images(
    registry: &EcrRegistry,
    repository: &RepositoryName,
) -> Result<Vec<Image>, RegistryError> {
    // Bounded by --parallelism like every other read: a plan touching many lifecycle policies
    // must not open a connection per repository at once.
    let _permit = registry.permits.acquire().await.ok();
    let mut pages = registry
        .reader
        .describe_images()
        .registry_id(registry.id.account.as_str())
        .repository_name(repository.as_str())
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut images = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e))?;
        for detail in page.image_details() {
            images.push(image(detail, repository)?);
        }
    }
    Ok(images)
}

pub(crate) async fn held_images(
    registry: &EcrRegistry,
    repository: &RepositoryName,
) -> Result<HeldImages, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    let mut pages = registry
        .reader
        .describe_images()
        .registry_id(registry.id.account.as_str())
        .repository_name(repository.as_str())
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut held = HeldImages {
        count: 0,
        bytes: Some(0),
    };
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e))?;
        for detail in page.image_details() {
            held.count += 1;
            // A size ECR leaves out makes the total unknown rather than too small.
            held.bytes = match (held.bytes, detail.image_size_in_bytes()) {
                (Some(total), Some(size)) => Some(total + u64::try_from(size).unwrap_or(0)),
                _ => None,
            };
        }
    }
    Ok(held)
}

fn image(detail: &ImageDetail, repository: &RepositoryName) -> Result<Image, RegistryError> {
    let unreadable = |what: &str| {
        RegistryError::new(
            ErrorKind::Other,
            "UnreadableImage",
            format!("DescribeImages of {repository} returned an image without {what}"),
        )
    };
    let digest = detail
        .image_digest()
        .ok_or_else(|| unreadable("a digest"))?;
    // Every rule orders or ages images by push time; guessing one would decide what the
    // preview says is expired.
    let pushed_at = detail
        .image_pushed_at()
        .and_then(timestamp)
        .ok_or_else(|| unreadable(&format!("a push time ({digest})")))?;
    Ok(Image {
        digest: digest.to_owned(),
        tags: detail.image_tags().to_vec(),
        pushed_at,
        last_pulled_at: detail.last_recorded_pull_time().and_then(timestamp),
        // ECR leaves the status out where archiving is not in use: the image is in standard
        // storage.
        status: detail
            .image_status()
            .and_then(|status| ImageStatus::from_ecr(status.as_str()))
            .unwrap_or(ImageStatus::Active),
        archived_at: detail.last_archived_at().and_then(timestamp),
        restored_at: detail.last_activated_at().and_then(timestamp),
        referenced_by_manifest_list: false,
    })
}

fn timestamp(time: &DateTime) -> Option<Timestamp> {
    Timestamp::from_unix(time.secs(), time.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::recorded::{Answer, RecordedEcr};
    use ecrform_plan::Registry;

    const REGISTRY: &str = "123456789012/eu-west-1";

    #[tokio::test(start_paused = true)]
    async fn held_images_are_counted_with_their_sizes_over_every_page() {
        let ecr = RecordedEcr::new();
        ecr.then(
            "DescribeImages",
            Answer::ok(json!({
                "imageDetails": [
                    { "imageDigest": "sha256:aaaa", "imagePushedAt": 1_700_000_000,
                      "imageSizeInBytes": 1_000_000 },
                    { "imageDigest": "sha256:bbbb", "imagePushedAt": 1_700_000_001,
                      "imageSizeInBytes": 2_500_000 }
                ],
                "nextToken": "page-2"
            })),
        )
        .then(
            "DescribeImages",
            Answer::ok(json!({ "imageDetails": [
                { "imageDigest": "sha256:cccc", "imagePushedAt": 1_700_000_002,
                  "imageSizeInBytes": 500_000 }
            ] })),
        );
        let registry = ecr.registry(REGISTRY, 3);
        let held = registry
            .held_images(&RepositoryName::parse("app").unwrap())
            .await
            .unwrap();
        assert_eq!(
            held,
            HeldImages {
                count: 3,
                bytes: Some(4_000_000)
            }
        );
        assert_eq!(ecr.count("DescribeImages"), 2);

        let without_sizes = RecordedEcr::new();
        without_sizes.then(
            "DescribeImages",
            Answer::ok(json!({ "imageDetails": [
                { "imageDigest": "sha256:aaaa", "imagePushedAt": 1_700_000_000 }
            ] })),
        );
        let held = without_sizes
            .registry(REGISTRY, 3)
            .held_images(&RepositoryName::parse("app").unwrap())
            .await
            .unwrap();
        assert_eq!(
            held,
            HeldImages {
                count: 1,
                bytes: None
            },
            "a size ECR leaves out is unknown, not zero"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_page_of_describe_images_is_read_and_mapped() {
        let ecr = RecordedEcr::new();
        ecr.then(
            "DescribeImages",
            Answer::ok(json!({
                "imageDetails": [{
                    "registryId": "123456789012",
                    "repositoryName": "app",
                    "imageDigest": "sha256:aaaa",
                    "imageTags": ["v1", "latest"],
                    "imagePushedAt": 1_700_000_000.5,
                    "lastRecordedPullTime": 1_700_100_000,
                    "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json"
                }],
                "nextToken": "page-2"
            })),
        )
        .then(
            "DescribeImages",
            Answer::ok(json!({
                "imageDetails": [{
                    "imageDigest": "sha256:bbbb",
                    "imagePushedAt": 1_600_000_000,
                    "imageStatus": "ARCHIVED",
                    "lastArchivedAt": 1_650_000_000,
                    "lastActivatedAt": 1_640_000_000
                }]
            })),
        );

        let images = ecr
            .registry(REGISTRY, 3)
            .list_images(&RepositoryName::parse("app").unwrap())
            .await
            .unwrap();

        let at = |seconds| Timestamp::from_unix(seconds, 0).unwrap();
        assert_eq!(
            images,
            [
                Image {
                    digest: "sha256:aaaa".to_owned(),
                    tags: vec!["v1".to_owned(), "latest".to_owned()],
                    pushed_at: Timestamp::from_unix(1_700_000_000, 500_000_000).unwrap(),
                    last_pulled_at: Some(at(1_700_100_000)),
                    status: ImageStatus::Active,
                    archived_at: None,
                    restored_at: None,
                    referenced_by_manifest_list: false,
                },
                Image {
                    digest: "sha256:bbbb".to_owned(),
                    tags: Vec::new(),
                    pushed_at: at(1_600_000_000),
                    last_pulled_at: None,
                    status: ImageStatus::Archived,
                    archived_at: Some(at(1_650_000_000)),
                    restored_at: Some(at(1_640_000_000)),
                    referenced_by_manifest_list: false,
                },
            ]
        );
        let requests = ecr.received("DescribeImages");
        assert_eq!(
            requests,
            [
                json!({ "registryId": "123456789012", "repositoryName": "app", "maxResults": 1000 }),
                json!({
                    "registryId": "123456789012",
                    "repositoryName": "app",
                    "maxResults": 1000,
                    "nextToken": "page-2"
                }),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_missing_repository_is_an_error_not_an_empty_list() {
        let ecr = RecordedEcr::new();
        ecr.always(
            "DescribeImages",
            Answer::error(
                "RepositoryNotFoundException",
                "The repository does not exist",
            ),
        );
        let error = ecr
            .registry(REGISTRY, 3)
            .list_images(&RepositoryName::parse("gone").unwrap())
            .await
            .unwrap_err();
        assert_eq!(
            error.kind,
            ErrorKind::NotFound(ecrform_plan::Missing::Repository)
        );
    }
}
