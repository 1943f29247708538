//! The evaluation engine: which images of a repository a lifecycle policy keeps, expires or
//! transitions to archive, and which rule decided.
//!
//! ECR only shows what a policy does after it is put (or through a preview API that the local
//! emulator lacks), so a pull request that changes a policy cannot show what it will delete.
//! This is ECR's evaluation as a pure function of the rules, the images and "now", so that the
//! `lifecycle preview` command and the planner (evaluating an old and a new policy over the
//! same images, see [`compare_policies`]) can both answer that offline.
//!
//! The semantics, from ECR's user guide ("Lifecycle policy evaluation rules") and its worked
//! examples:
//! - Rules apply in ascending `rulePriority`. A rule selects the images of its storage class
//!   whose tags fit its `tagStatus` and lists ([`Selection::matches_tags`]).
//! - `imageCountMoreThan N` orders the selected images newest first and picks all but the
//!   first N; the `since*` criteria pick selected images whose reference time is *more than*
//!   N days (of 86,400 seconds) before now, so an image exactly N days old is kept.
//! - An image is acted on by at most one rule. The first rule that selects an image decides
//!   it (acting on it or keeping it); lower-priority rules still see and count it, but never
//!   act on it.
//! - An image that a manifest list references is never expired or archived while the list
//!   exists; it is still selected and counted, so it still shields itself from later rules.
//!
//! Decisions this module makes where ECR's documentation is silent, each covered by a test:
//! - Equal push times: newer-first order breaks ties by digest, ascending, so the result never
//!   depends on the order images are listed in.
//! - Reference times: push time, or the time of the last restore from archive when there was
//!   one (the guide: a restored image's `last_activated_at` replaces its push time). For
//!   `sinceImagePulled`, the later of the last recorded pull and the last restore, or the push
//!   time when neither happened. For `sinceImageTransitioned`, the time the image was archived;
//!   an archived image without one is never picked.
//! - Count rules order archived images by the same push reference time as standard ones.
//! - An image being restored from archive (`ACTIVATING`) is in neither storage class: no rule
//!   selects it and it is kept.

use std::cmp::Reverse;

use crate::rule::{CountCriterion, LifecyclePolicyRules, Rule, RuleAction, StorageClass};
use crate::timestamp::Timestamp;

/// One image of a repository, as far as lifecycle rules look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `sha256:...`; identifies the image in decisions and breaks ties between push times.
    pub digest: String,
    /// Empty for an untagged image.
    pub tags: Vec<String>,
    pub pushed_at: Timestamp,
    /// When ECR last recorded a pull; `None` if never pulled.
    pub last_pulled_at: Option<Timestamp>,
    pub status: ImageStatus,
    /// When the image was last moved to archive storage.
    pub archived_at: Option<Timestamp>,
    /// When the image was last restored from archive storage.
    pub restored_at: Option<Timestamp>,
    /// Whether a manifest list (image index) in the repository references this image.
    pub referenced_by_manifest_list: bool,
}

/// ECR's `imageStatus`: where an image is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageStatus {
    /// In standard storage.
    Active,
    /// In archive storage.
    Archived,
    /// Being restored from archive to standard storage.
    Activating,
}

impl ImageStatus {
    /// The storage class whose rules consider the image; none while it is being restored.
    pub fn storage_class(self) -> Option<StorageClass> {
        match self {
            ImageStatus::Active => Some(StorageClass::Standard),
            ImageStatus::Archived => Some(StorageClass::Archive),
            ImageStatus::Activating => None,
        }
    }

    /// ECR's spelling (`ACTIVE`, `ARCHIVED`, `ACTIVATING`).
    pub fn from_ecr(text: &str) -> Option<Self> {
        match text {
            "ACTIVE" => Some(ImageStatus::Active),
            "ARCHIVED" => Some(ImageStatus::Archived),
            "ACTIVATING" => Some(ImageStatus::Activating),
            _ => None,
        }
    }
}

/// What happens to an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageAction {
    Keep,
    Expire,
    Transition { target: StorageClass },
}

impl ImageAction {
    /// `keep`, `expire` or `transition`, as the preview's JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageAction::Keep => "keep",
            ImageAction::Expire => "expire",
            ImageAction::Transition { .. } => "transition",
        }
    }

    fn of_rule(action: RuleAction) -> Self {
        match action {
            RuleAction::Expire => ImageAction::Expire,
            RuleAction::Transition { target } => ImageAction::Transition { target },
        }
    }
}

/// The outcome for one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decision {
    pub action: ImageAction,
    /// The priority of the rule that decided: the first rule that selected the image, whether
    /// it acted on the image or kept it. `None` when no rule selected it (it is kept).
    pub rule: Option<u32>,
    /// The deciding rule picked the image, but it is kept because a manifest list references it.
    pub held_by_manifest_list: bool,
}

impl Decision {
    const UNSELECTED: Decision = Decision {
        action: ImageAction::Keep,
        rule: None,
        held_by_manifest_list: false,
    };

    /// Whether the image leaves standard storage or the repository.
    pub fn is_acted_on(self) -> bool {
        self.action != ImageAction::Keep
    }
}

/// How many images end up kept, expired and transitioned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Summary {
    pub keep: usize,
    pub expire: usize,
    pub transition: usize,
}

impl Summary {
    pub fn of(decisions: &[Decision]) -> Self {
        decisions
            .iter()
            .fold(Summary::default(), |mut summary, decision| {
                match decision.action {
                    ImageAction::Keep => summary.keep += 1,
                    ImageAction::Expire => summary.expire += 1,
                    ImageAction::Transition { .. } => summary.transition += 1,
                }
                summary
            })
    }
}

/// Applies a policy's rules to the images of one repository at `now`: one decision per image,
/// in the order the images are given.
pub fn evaluate(policy: &LifecyclePolicyRules, images: &[Image], now: Timestamp) -> Vec<Decision> {
    // Validated policies are already in priority order; a hand-built one need not be. The sort
    // is stable, so rules sharing a priority (which validation rejects) keep their order.
    let mut rules: Vec<&Rule> = policy.rules.iter().collect();
    rules.sort_by_key(|rule| rule.priority);

    let newest_first = newest_first(images);
    let mut decisions = vec![Decision::UNSELECTED; images.len()];
    let mut selected_by_earlier_rule = vec![false; images.len()];
    for rule in rules {
        let selected: Vec<usize> = newest_first
            .iter()
            .copied()
            .filter(|&index| selects(rule, &images[index]))
            .collect();
        let picked = picked_by_criterion(rule.selection.count, &selected, images, now);
        for &index in &selected {
            if selected_by_earlier_rule[index] {
                continue;
            }
            let image = &images[index];
            let is_picked = picked[index];
            decisions[index] = Decision {
                action: if is_picked && !image.referenced_by_manifest_list {
                    ImageAction::of_rule(rule.action)
                } else {
                    ImageAction::Keep
                },
                rule: Some(rule.priority),
                held_by_manifest_list: is_picked && image.referenced_by_manifest_list,
            };
        }
        // Only after the rule has decided: the images it selected are now out of reach of
        // every later rule, which still counts them.
        for index in selected {
            selected_by_earlier_rule[index] = true;
        }
    }
    decisions
}

/// Image indexes ordered newest first by push reference time, ties broken by digest.
fn newest_first(images: &[Image]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..images.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |index: usize| {
            let image = &images[index];
            (Reverse(push_reference(image)), image.digest.as_str())
        };
        key(a).cmp(&key(b))
    });
    order
}

fn selects(rule: &Rule, image: &Image) -> bool {
    image.status.storage_class() == Some(rule.selection.storage_class)
        && rule.selection.matches_tags(&image.tags)
}

/// Which of the selected images (given newest first) the rule's count criterion picks, as a
/// flag per image of the repository.
fn picked_by_criterion(
    count: CountCriterion,
    selected_newest_first: &[usize],
    images: &[Image],
    now: Timestamp,
) -> Vec<bool> {
    // "More than N days": strictly before the instant N days ago.
    let older_than =
        |days: u32, time: Option<Timestamp>| time.is_some_and(|time| time < now.days_earlier(days));
    let mut picked = vec![false; images.len()];
    for (position, &index) in selected_newest_first.iter().enumerate() {
        let image = &images[index];
        picked[index] = match count {
            CountCriterion::ImageCountMoreThan(keep) => {
                usize::try_from(keep).is_ok_and(|keep| position >= keep)
            }
            CountCriterion::SinceImagePushed { days } => {
                older_than(days, Some(push_reference(image)))
            }
            CountCriterion::SinceImagePulled { days } => {
                older_than(days, Some(pull_reference(image)))
            }
            CountCriterion::SinceImageTransitioned { days } => older_than(days, image.archived_at),
        };
    }
    picked
}

/// The time that stands for "pushed": the push, or the last restore from archive if later.
fn push_reference(image: &Image) -> Timestamp {
    image
        .restored_at
        .map_or(image.pushed_at, |restored| restored.max(image.pushed_at))
}

/// The time that stands for "last pulled": the later of the last pull and the last restore,
/// or the push when neither happened.
fn pull_reference(image: &Image) -> Timestamp {
    match (image.last_pulled_at, image.restored_at) {
        (Some(pulled), Some(restored)) => pulled.max(restored),
        (Some(time), None) | (None, Some(time)) => time,
        (None, None) => image.pushed_at,
    }
}

/// What a policy change does to the images of a repository: the images the new policy acts on
/// that the old one did not, by index into the images. For a plan to show "this change expires
/// 12 images that are kept today".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyChangeImpact {
    /// Expired by the new policy, not by the old one (which kept or transitioned them).
    pub newly_expired: Vec<usize>,
    /// Transitioned by the new policy, kept by the old one.
    pub newly_transitioned: Vec<usize>,
}

impl PolicyChangeImpact {
    pub fn is_empty(&self) -> bool {
        self.newly_expired.is_empty() && self.newly_transitioned.is_empty()
    }
}

/// Evaluates an old and a new policy (`None`: no policy, which keeps everything) over the same
/// images at the same instant and returns what the new one adds.
pub fn compare_policies(
    old: Option<&LifecyclePolicyRules>,
    new: Option<&LifecyclePolicyRules>,
    images: &[Image],
    now: Timestamp,
) -> PolicyChangeImpact {
    let decide = |policy: Option<&LifecyclePolicyRules>| match policy {
        Some(policy) => evaluate(policy, images, now),
        None => vec![Decision::UNSELECTED; images.len()],
    };
    let (before, after) = (decide(old), decide(new));
    let mut impact = PolicyChangeImpact::default();
    for (index, (before, after)) in before.iter().zip(&after).enumerate() {
        match (before.action, after.action) {
            (ImageAction::Expire, _) => {}
            (_, ImageAction::Expire) => impact.newly_expired.push(index),
            (ImageAction::Keep, ImageAction::Transition { .. }) => {
                impact.newly_transitioned.push(index);
            }
            _ => {}
        }
    }
    impact
}

#[cfg(test)]
mod tests;
