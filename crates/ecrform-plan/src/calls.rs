//! The ECR API calls that apply a change. The planner decides them from the typed desired and
//! live states (it alone decides what to change); the AWS adapter only executes them. They are
//! the payload of the [`crate::Registry`] port and of saved plan files.

use serde::{Deserialize, Serialize};

use ecrform_model::{Encryption, RepositoryName, TagMutability, Tags};

/// One ECR write, in the vocabulary of the ECR API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call")]
pub enum ApiCall {
    /// Everything the repository address manages, in one call.
    CreateRepository {
        repository: RepositoryName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_tag_mutability: Option<TagMutability>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        image_tag_mutability_exclusions: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scan_on_push: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encryption: Option<Encryption>,
        tags: Tags,
    },
    PutImageTagMutability {
        repository: RepositoryName,
        image_tag_mutability: TagMutability,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        image_tag_mutability_exclusions: Vec<String>,
    },
    PutImageScanningConfiguration {
        repository: RepositoryName,
        scan_on_push: bool,
    },
    /// Adds or overwrites only these tags.
    TagResource {
        repository: RepositoryName,
        tags: Tags,
    },
    /// Removes only these tag keys.
    UntagResource {
        repository: RepositoryName,
        keys: Vec<String>,
    },
    PutLifecyclePolicy {
        repository: RepositoryName,
        text: String,
    },
    DeleteLifecyclePolicy {
        repository: RepositoryName,
    },
    SetRepositoryPolicy {
        repository: RepositoryName,
        text: String,
    },
    DeleteRepositoryPolicy {
        repository: RepositoryName,
    },
    /// `force` deletes the images with it; only set when the spec says `force_delete: true`.
    DeleteRepository {
        repository: RepositoryName,
        force: bool,
    },
}

impl ApiCall {
    /// The ECR operation name, as AWS documents and logs it.
    pub fn operation(&self) -> &'static str {
        match self {
            ApiCall::CreateRepository { .. } => "CreateRepository",
            ApiCall::PutImageTagMutability { .. } => "PutImageTagMutability",
            ApiCall::PutImageScanningConfiguration { .. } => "PutImageScanningConfiguration",
            ApiCall::TagResource { .. } => "TagResource",
            ApiCall::UntagResource { .. } => "UntagResource",
            ApiCall::PutLifecyclePolicy { .. } => "PutLifecyclePolicy",
            ApiCall::DeleteLifecyclePolicy { .. } => "DeleteLifecyclePolicy",
            ApiCall::SetRepositoryPolicy { .. } => "SetRepositoryPolicy",
            ApiCall::DeleteRepositoryPolicy { .. } => "DeleteRepositoryPolicy",
            ApiCall::DeleteRepository { .. } => "DeleteRepository",
        }
    }

    /// The repository the call acts on.
    pub fn repository(&self) -> &RepositoryName {
        match self {
            ApiCall::CreateRepository { repository, .. }
            | ApiCall::PutImageTagMutability { repository, .. }
            | ApiCall::PutImageScanningConfiguration { repository, .. }
            | ApiCall::TagResource { repository, .. }
            | ApiCall::UntagResource { repository, .. }
            | ApiCall::PutLifecyclePolicy { repository, .. }
            | ApiCall::DeleteLifecyclePolicy { repository }
            | ApiCall::SetRepositoryPolicy { repository, .. }
            | ApiCall::DeleteRepositoryPolicy { repository }
            | ApiCall::DeleteRepository { repository, .. } => repository,
        }
    }
}
