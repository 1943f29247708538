//! What a plan learns from the images repositories hold, at plan time. For a lifecycle policy
//! change: the image preview, what the new policy would do to the images a repository holds
//! today. For a delete or replace of a repository: how many images (and bytes) go with it
//! ([`held_image_reads`], [`annotate_held`]), which also tells whether ECR would refuse the
//! delete for want of `force_delete` ([`crate::Change::blocking_problem`]).
//!
//! The lifecycle preview in detail: A policy diff says which rule changed, not that the change deletes
//! twelve release images; a reviewer needs the second. The planner stays pure: the binary
//! reads the images of the repositories [`image_reads`] names, and [`annotate`] evaluates the
//! live and the planned policy over them (see `ecrform_lifecycle::compare_policies`), records
//! an [`ImagePreview`] on each change and marks a change that expires or archives images
//! destructive, so that apply asks for `--allow-delete` as it does for deletes.

use std::collections::BTreeMap;

use serde_json::Value;

use ecrform_lifecycle::{Image, LifecyclePolicyRules, Timestamp, compare_policies};
use ecrform_model::{Address, RegistryId, RepositoryName, ResourceKind};

use crate::{Action, Change, HeldImages, ImagePreview, Plan};

/// How many images a preview names.
pub const EXAMPLE_COUNT: usize = 5;

/// The images read for a preview, by registry and repository.
pub type RepositoryImages = BTreeMap<(RegistryId, RepositoryName), Vec<Image>>;

/// How many images (and bytes) repositories hold, by registry and repository.
pub type HeldByRepository = BTreeMap<(RegistryId, RepositoryName), HeldImages>;

/// The repositories `plan` deletes or replaces: their images go with them, and a reviewer
/// must see how many before approving.
pub fn held_image_reads(plan: &Plan) -> Vec<(RegistryId, RepositoryName)> {
    let mut reads: Vec<(RegistryId, RepositoryName)> = plan
        .changes
        .iter()
        .filter(|change| {
            change.address.kind == ResourceKind::Repository
                && matches!(change.action, Action::Delete | Action::Replace)
        })
        .filter_map(repository_key_of)
        .collect();
    reads.sort();
    reads.dedup();
    reads
}

/// Sets [`Change::images`] on every repository delete and replace whose repository is in
/// `held`.
pub fn annotate_held(plan: &mut Plan, held: &HeldByRepository) {
    for change in &mut plan.changes {
        if change.address.kind != ResourceKind::Repository
            || !matches!(change.action, Action::Delete | Action::Replace)
        {
            continue;
        }
        if let Some(images) = repository_key_of(change).and_then(|key| held.get(&key)) {
            change.images = Some(*images);
        }
    }
}

fn repository_key_of(change: &Change) -> Option<(RegistryId, RepositoryName)> {
    repository_key(&change.address)
}

/// The repositories whose images a preview of `plan` needs: those with a lifecycle policy
/// change that exist live and keep existing. A repository the plan creates or replaces has no
/// images the new policy could act on (a replace deletes them anyway, and says so), so
/// reading them would only cost calls.
pub fn image_reads(plan: &Plan) -> Vec<(RegistryId, RepositoryName)> {
    let recreated = |registry: &RegistryId, name: &RepositoryName| {
        plan.changes.iter().any(|change| {
            change.address.kind == ResourceKind::Repository
                && change.address.registry == *registry
                && change.address.repository_name() == Some(name)
                && matches!(change.action, Action::Create | Action::Replace)
        })
    };
    let mut reads: Vec<(RegistryId, RepositoryName)> = plan
        .changes
        .iter()
        .filter(|change| change.address.kind == ResourceKind::LifecyclePolicy)
        .filter_map(|change| {
            let name = change.address.repository_name()?;
            if recreated(&change.address.registry, name) {
                return None;
            }
            Some((change.address.registry.clone(), name.clone()))
        })
        .collect();
    reads.sort();
    reads.dedup();
    reads
}

/// Sets [`Change::image_preview`] on every lifecycle policy change whose repository's images
/// are in `images`, evaluated at `now`, and marks destructive each one that would expire or
/// archive an image the current policy keeps.
///
/// A change whose `before` or `after` does not parse as a lifecycle policy (a live policy ECR
/// accepted under rules this crate does not know) gets no preview: comparing against "no
/// policy" instead would report images the current policy already expires.
pub fn annotate(plan: &mut Plan, images: &RepositoryImages, now: Timestamp) {
    for change in &mut plan.changes {
        if change.address.kind != ResourceKind::LifecyclePolicy {
            continue;
        }
        let Some(key) = repository_key(&change.address) else {
            continue;
        };
        let Some(images) = images.get(&key) else {
            continue;
        };
        let Some(preview) = preview(change, images, now) else {
            continue;
        };
        if preview.acts_on_images() {
            change.destructive = true;
        }
        change.image_preview = Some(preview);
    }
}

fn repository_key(address: &Address) -> Option<(RegistryId, RepositoryName)> {
    Some((address.registry.clone(), address.repository_name()?.clone()))
}

fn preview(change: &Change, images: &[Image], now: Timestamp) -> Option<ImagePreview> {
    let old = rules(change.before.as_ref())?;
    let new = rules(change.after.as_ref())?;
    let impact = compare_policies(old.as_ref(), new.as_ref(), images, now);
    let mut acted_on: Vec<usize> = impact
        .newly_expired
        .iter()
        .chain(&impact.newly_transitioned)
        .copied()
        .collect();
    // Oldest first: those are the images a count or age rule reaches first, and the order
    // must not depend on the order DescribeImages listed them in.
    acted_on.sort_by(|&a, &b| {
        let key = |index: usize| (images[index].pushed_at, images[index].digest.as_str());
        key(a).cmp(&key(b))
    });
    Some(ImagePreview {
        images: images.len(),
        expire: impact.newly_expired.len(),
        transition: impact.newly_transitioned.len(),
        examples: acted_on
            .into_iter()
            .take(EXAMPLE_COUNT)
            .map(|index| label(&images[index]))
            .collect(),
    })
}

/// The policy a side of the change holds: `Some(None)` for no policy, `None` when the
/// document cannot be evaluated.
fn rules(document: Option<&Value>) -> Option<Option<LifecyclePolicyRules>> {
    match document {
        None => Some(None),
        Some(document) => ecrform_lifecycle::parse(document).ok().map(Some),
    }
}

/// How an image is named to a reviewer: its first tag, or the start of its digest.
fn label(image: &Image) -> String {
    match image.tags.iter().min() {
        Some(tag) => tag.clone(),
        None => {
            let end = "sha256:".len() + 8;
            image.digest.get(..end).unwrap_or(&image.digest).to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use ecrform_lifecycle::ImageStatus;
    use ecrform_testkit::fixtures::{name, registry_id};

    use super::*;

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;

    fn registry() -> RegistryId {
        registry_id("123456789012/eu-west-1")
    }

    fn image(digest: &str, tags: &[&str], days_old: i64) -> Image {
        Image {
            digest: format!("sha256:{digest}"),
            tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
            pushed_at: Timestamp::from_unix(NOW - days_old * DAY, 0).unwrap(),
            last_pulled_at: None,
            status: ImageStatus::Active,
            archived_at: None,
            restored_at: None,
            referenced_by_manifest_list: false,
        }
    }

    /// Keeps the newest `keep` images tagged `v*`, doing `action` to the rest.
    fn keep_newest(keep: u32, action: Value) -> Value {
        json!({ "rules": [{
            "rulePriority": 1,
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": ["v"],
                "countType": "imageCountMoreThan",
                "countNumber": keep
            },
            "action": action
        }]})
    }

    fn expire() -> Value {
        json!({ "type": "expire" })
    }

    fn lifecycle_change(action: Action, before: Option<Value>, after: Option<Value>) -> Change {
        Change::new(
            Address::repository(registry(), ResourceKind::LifecyclePolicy, name("app")),
            action,
            vec!["document".to_owned()],
            before,
            after,
            Vec::new(),
        )
    }

    fn three_releases() -> RepositoryImages {
        let images = vec![
            image("aaaa1111aaaa1111", &["v1"], 30),
            image("bbbb2222bbbb2222", &["v2"], 20),
            image("cccc3333cccc3333", &["v3"], 10),
        ];
        BTreeMap::from([((registry(), name("app")), images)])
    }

    fn annotated(change: Change, images: &RepositoryImages) -> Change {
        let mut plan = Plan::new(vec![change], Vec::new());
        annotate(&mut plan, images, Timestamp::from_unix(NOW, 0).unwrap());
        plan.changes.remove(0)
    }

    #[test]
    fn a_new_policy_that_expires_kept_images_is_destructive_and_names_them_oldest_first() {
        let change = annotated(
            lifecycle_change(Action::Create, None, Some(keep_newest(1, expire()))),
            &three_releases(),
        );
        assert!(change.destructive);
        assert_eq!(
            change.image_preview,
            Some(ImagePreview {
                images: 3,
                expire: 2,
                transition: 0,
                examples: vec!["v1".to_owned(), "v2".to_owned()],
            })
        );
    }

    #[test]
    fn a_change_both_policies_agree_on_is_previewed_but_not_destructive() {
        let change = annotated(
            lifecycle_change(
                Action::Update,
                Some(keep_newest(5, expire())),
                Some(keep_newest(3, expire())),
            ),
            &three_releases(),
        );
        assert!(!change.destructive);
        let preview = change.image_preview.unwrap();
        assert_eq!(
            (preview.images, preview.expire, preview.transition),
            (3, 0, 0)
        );
        assert!(preview.examples.is_empty());
    }

    #[test]
    fn images_the_current_policy_already_expires_are_not_counted_again() {
        let change = annotated(
            lifecycle_change(
                Action::Update,
                Some(keep_newest(2, expire())),
                Some(keep_newest(1, expire())),
            ),
            &three_releases(),
        );
        let preview = change.image_preview.unwrap();
        assert_eq!(preview.expire, 1);
        assert_eq!(preview.examples, ["v2"]);
        assert!(change.destructive);
    }

    #[test]
    fn canonical_policies_as_the_planner_records_them_are_evaluated() {
        let canonical = |document: Value| {
            ecrform_model::LifecyclePolicy::from_value(document)
                .unwrap()
                .canonical()
                .clone()
        };
        let change = annotated(
            lifecycle_change(
                Action::Update,
                Some(canonical(keep_newest(3, expire()))),
                Some(canonical(keep_newest(1, expire()))),
            ),
            &three_releases(),
        );
        assert_eq!(change.image_preview.unwrap().expire, 2);
    }

    #[test]
    fn archiving_kept_images_counts_as_transition_and_is_destructive() {
        let archive = json!({ "type": "transition", "targetStorageClass": "archive" });
        let change = annotated(
            lifecycle_change(Action::Create, None, Some(keep_newest(1, archive))),
            &three_releases(),
        );
        let preview = change.image_preview.unwrap();
        assert_eq!((preview.expire, preview.transition), (0, 2));
        assert!(change.destructive);
    }

    #[test]
    fn deleting_a_policy_expires_nothing_and_stays_destructive_as_a_delete() {
        let change = annotated(
            lifecycle_change(Action::Delete, Some(keep_newest(1, expire())), None),
            &three_releases(),
        );
        assert_eq!(change.image_preview.unwrap().expire, 0);
        assert!(change.destructive);
    }

    #[test]
    fn a_repository_whose_images_were_not_read_gets_no_preview() {
        let change = annotated(
            lifecycle_change(Action::Create, None, Some(keep_newest(1, expire()))),
            &RepositoryImages::new(),
        );
        assert_eq!(change.image_preview, None);
        assert!(!change.destructive);
    }

    #[test]
    fn an_untagged_image_is_named_by_the_start_of_its_digest() {
        let untagged = json!({ "rules": [{
            "rulePriority": 1,
            "selection": { "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1 },
            "action": { "type": "expire" }
        }]});
        let images = BTreeMap::from([(
            (registry(), name("app")),
            vec![
                image("0123456789abcdef", &[], 5),
                image("fedcba9876543210", &[], 1),
            ],
        )]);
        let change = annotated(
            lifecycle_change(Action::Create, None, Some(untagged)),
            &images,
        );
        assert_eq!(change.image_preview.unwrap().examples, ["sha256:01234567"]);
    }

    #[test]
    fn only_lifecycle_changes_of_repositories_that_stay_are_read() {
        let repository = |action| {
            Change::new(
                Address::repository(registry(), ResourceKind::Repository, name("new")),
                action,
                Vec::new(),
                None,
                None,
                Vec::new(),
            )
        };
        let mut new_policy = lifecycle_change(Action::Create, None, Some(keep_newest(1, expire())));
        new_policy.address =
            Address::repository(registry(), ResourceKind::LifecyclePolicy, name("new"));
        let plan = Plan::new(
            vec![
                repository(Action::Create),
                new_policy,
                lifecycle_change(Action::Create, None, Some(keep_newest(1, expire()))),
            ],
            Vec::new(),
        );
        assert_eq!(image_reads(&plan), [(registry(), name("app"))]);
    }

    fn repository_change(name_: &str, action: Action, force: bool) -> Change {
        Change::new(
            Address::repository(registry(), ResourceKind::Repository, name(name_)),
            action,
            Vec::new(),
            None,
            None,
            vec![crate::ApiCall::DeleteRepository {
                repository: name(name_),
                force,
            }],
        )
    }

    #[test]
    fn deletes_and_replaces_of_repositories_are_read_for_their_images() {
        let plan = Plan::new(
            vec![
                repository_change("gone", Action::Delete, false),
                repository_change("kms", Action::Replace, false),
                repository_change("kept", Action::Update, false),
                lifecycle_change(Action::Delete, Some(keep_newest(1, expire())), None),
            ],
            Vec::new(),
        );
        assert_eq!(
            held_image_reads(&plan),
            [(registry(), name("gone")), (registry(), name("kms"))]
        );
    }

    #[test]
    fn a_repository_that_holds_images_and_is_not_forced_would_fail() {
        let twelve = HeldImages {
            count: 12,
            bytes: Some(1_503_238_553),
        };
        let held = BTreeMap::from([
            ((registry(), name("gone")), twelve),
            ((registry(), name("forced")), twelve),
            (
                (registry(), name("empty")),
                HeldImages {
                    count: 0,
                    bytes: Some(0),
                },
            ),
        ]);
        let mut plan = Plan::new(
            vec![
                repository_change("gone", Action::Delete, false),
                repository_change("forced", Action::Replace, true),
                repository_change("empty", Action::Delete, false),
            ],
            Vec::new(),
        );
        annotate_held(&mut plan, &held);
        assert_eq!(plan.changes[0].images, Some(twelve));
        assert_eq!(
            plan.changes[0].images.unwrap().holds_phrase(),
            "holds 12 images, 1.4 GiB"
        );
        assert_eq!(
            plan.changes[0].blocking_problem().as_deref(),
            Some("holds 12 images and force_delete is not set")
        );
        assert_eq!(
            plan.changes[1].blocking_problem(),
            None,
            "force_delete is set"
        );
        assert_eq!(plan.changes[2].blocking_problem(), None, "it holds nothing");
        let refusals = plan.refusals(&crate::Allowed {
            delete: true,
            replace: true,
        });
        assert_eq!(refusals.len(), 1, "no flag lifts it: {refusals:?}");
        assert!(
            refusals[0]
                .to_string()
                .starts_with("123456789012/eu-west-1/repository/gone would fail: holds 12 images")
        );
    }
}
