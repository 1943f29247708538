//! The plan value and its JSON form, which is part of the interface contract:
//! `{"format_version":1,"changes":[...],"summary":{...},"unmanaged":[...]}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use ecrform_model::Address;

use crate::ApiCall;

/// The plan JSON format version.
pub const FORMAT_VERSION: u32 = 1;

/// What a change does to the object at its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Delete and create again: for settings that cannot change in place (encryption, names,
    /// creation-only fields).
    Replace,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Replace => "replace",
        }
    }
}

/// One planned change. A no-op is never a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// True for deletes and replaces (and anything else that loses data).
    pub destructive: bool,
    /// The fields that differ (for updates and replaces; every managed field for a create).
    pub fields: Vec<String>,
    /// Canonical live form, `null` when absent.
    pub before: Option<Value>,
    /// Canonical desired form, `null` when absent.
    pub after: Option<Value>,
    /// The ECR calls that apply this change, in order. Not part of the plan JSON contract;
    /// saved plan files carry them separately.
    #[serde(skip)]
    pub calls: Vec<ApiCall>,
    /// For a lifecycle policy change on a repository that exists: what the new policy would do
    /// to its images that the current one does not (see [`crate::preview`]). An extension of
    /// the plan JSON, left out when the images were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_preview: Option<ImagePreview>,
}

/// The images a lifecycle policy change would newly expire or archive, as read at plan time:
/// `{"images": N, "expire": N, "transition": N, "examples": ["v1.0", "sha256:abcd1234", ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePreview {
    /// How many images the repository holds (every one was evaluated).
    pub images: usize,
    /// Expired by the new policy and not by the current one.
    pub expire: usize,
    /// Archived by the new policy and kept by the current one.
    pub transition: usize,
    /// The first few of those images, by tag (or a short digest for an untagged one).
    pub examples: Vec<String>,
}

impl ImagePreview {
    /// Whether the change would take any image out of standard storage or the repository.
    pub fn acts_on_images(&self) -> bool {
        self.expire + self.transition > 0
    }
}

/// Counts of changes per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub replace: usize,
}

/// The plan: every change, in apply order, plus the objects that exist but are not managed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub changes: Vec<Change>,
    pub summary: Summary,
    pub unmanaged: Vec<Address>,
}

impl Plan {
    /// Builds a plan, computing the summary from the changes.
    pub fn new(changes: Vec<Change>, unmanaged: Vec<Address>) -> Self {
        let mut summary = Summary::default();
        for change in &changes {
            match change.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Delete => summary.delete += 1,
                Action::Replace => summary.replace += 1,
            }
        }
        Plan {
            format_version: FORMAT_VERSION,
            changes,
            summary,
            unmanaged,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}
