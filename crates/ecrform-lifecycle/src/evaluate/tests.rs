//! Tests of the evaluation engine: every worked example of ECR's user guide pages on lifecycle
//! policies (policies read through the validator, so both share one model of a rule), a table
//! of edge cases the guide leaves open, and properties that hold for any rules and images.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::rule::{Selection, TagStatus};

const DAY: i64 = 86_400;

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
}

/// `seconds` before [`now`] (negative: after).
fn before_now(seconds: i64) -> Timestamp {
    Timestamp::from_unix(now().unix_seconds() - seconds, 0).unwrap()
}

fn image(name: &str, tags: &[&str], pushed_at: Timestamp) -> Image {
    Image {
        digest: format!("sha256:{name}"),
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
        pushed_at,
        last_pulled_at: None,
        status: ImageStatus::Active,
        archived_at: None,
        restored_at: None,
        referenced_by_manifest_list: false,
    }
}

/// A repository as the user guide lists one: "Image A, Taglist: [...], Pushed: N days ago",
/// in push order. "N days ago" is read as a moment within the Nth day, and images listed later
/// as pushed later, which is what the guide's outcomes assume (in "Filtering on all images",
/// Example B, images D and E are both "1 day ago" and E counts as the newer).
fn listed(entries: &[(&str, &[&str], i64)]) -> Vec<Image> {
    entries
        .iter()
        .enumerate()
        .map(|(position, &(name, tags, days))| {
            image(name, tags, before_now(days * DAY - 1 - position as i64))
        })
        .collect()
}

fn policy(document: Value) -> LifecyclePolicyRules {
    crate::parse(&document).unwrap_or_else(|errors| panic!("invalid policy: {errors:?}"))
}

fn rule(priority: u32, selection: Value, action: Value) -> Value {
    json!({"rulePriority": priority, "description": format!("Rule {priority}"), "selection": selection, "action": action})
}

fn expire() -> Value {
    json!({"type": "expire"})
}

fn to_archive() -> Value {
    json!({"type": "transition", "targetStorageClass": "archive"})
}

/// The images a policy acts on, as (name, action, rule), in the order the images are given.
fn acted_on(policy: &LifecyclePolicyRules, images: &[Image]) -> Vec<(String, &'static str, u32)> {
    evaluate(policy, images, now())
        .into_iter()
        .zip(images)
        .filter(|(decision, _)| decision.is_acted_on())
        .map(|(decision, image)| {
            (
                image.digest.trim_start_matches("sha256:").to_owned(),
                decision.action.as_str(),
                decision.rule.unwrap(),
            )
        })
        .collect()
}

fn outcome(entries: &[(&str, &'static str, u32)]) -> Vec<(String, &'static str, u32)> {
    entries
        .iter()
        .map(|&(name, action, rule)| (name.to_owned(), action, rule))
        .collect()
}

// ---------------------------------------------------------------------------------------
// "Examples of lifecycle policies in Amazon ECR", in the order of the page.
// ---------------------------------------------------------------------------------------

#[test]
fn guide_filtering_on_image_age_expires_prod_images_older_than_14_days() {
    let policy = policy(json!({"rules": [{
        "rulePriority": 1, "description": "Expire images older than 14 days",
        "selection": {"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
        "action": {"type": "expire"}
    }]}));
    let images = [
        image("prod-old", &["prod-1"], before_now(20 * DAY)),
        image(
            "production",
            &["production-team1"],
            before_now(14 * DAY + 1),
        ),
        image("prod-exactly-14", &["prod-2"], before_now(14 * DAY)),
        image("prod-new", &["prod-3"], before_now(DAY)),
        image("beta-old", &["beta-1"], before_now(30 * DAY)),
        image("untagged-old", &[], before_now(30 * DAY)),
    ];
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[("prod-old", "expire", 1), ("production", "expire", 1)])
    );
}

#[test]
fn guide_filtering_on_last_pulled_time_archives_images_not_pulled_in_90_days() {
    let policy = policy(json!({"rules": [{
        "rulePriority": 1, "description": "Archive images not pulled in 90 days",
        "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90},
        "action": {"type": "transition", "targetStorageClass": "archive"}
    }]}));
    let pulled = |name: &str, pushed_days: i64, pulled_seconds: i64| Image {
        last_pulled_at: Some(before_now(pulled_seconds)),
        ..image(name, &["v1"], before_now(pushed_days * DAY))
    };
    let mut archived = image("already-archived", &[], before_now(400 * DAY));
    archived.status = ImageStatus::Archived;
    archived.archived_at = Some(before_now(200 * DAY));
    let images = [
        pulled("pulled-100-days-ago", 300, 100 * DAY),
        pulled("pulled-recently", 300, 10 * DAY),
        pulled("pulled-exactly-90-days-ago", 300, 90 * DAY),
        image("never-pulled-old", &[], before_now(91 * DAY)),
        image("never-pulled-exactly-90", &[], before_now(90 * DAY)),
        archived,
    ];
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[
            ("pulled-100-days-ago", "transition", 1),
            ("never-pulled-old", "transition", 1),
        ])
    );
}

#[test]
fn guide_filtering_on_archive_transition_time_expires_images_archived_over_365_days() {
    let policy = policy(json!({"rules": [{
        "rulePriority": 1, "description": "Expire images archived for more than 365 days",
        "selection": {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365},
        "action": {"type": "expire"}
    }]}));
    let archived = |name: &str, archived_seconds: i64| Image {
        status: ImageStatus::Archived,
        archived_at: Some(before_now(archived_seconds)),
        ..image(name, &["v1"], before_now(1000 * DAY))
    };
    let images = [
        archived("archived-366-days", 366 * DAY),
        archived("archived-exactly-365-days", 365 * DAY),
        archived("archived-recently", 10 * DAY),
        image("standard-and-old", &[], before_now(1000 * DAY)),
    ];
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[("archived-366-days", "expire", 1)])
    );
}

#[test]
fn guide_filtering_on_image_count_keeps_one_untagged_image() {
    let policy = policy(json!({"rules": [{
        "rulePriority": 1, "description": "Keep only one untagged image, expire all others",
        "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"}
    }]}));
    let images = listed(&[
        ("untagged-oldest", &[], 5),
        ("tagged-old", &["v1"], 4),
        ("untagged-older", &[], 3),
        ("untagged-newest", &[], 2),
        ("tagged-new", &["v2"], 1),
    ]);
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[
            ("untagged-oldest", "expire", 1),
            ("untagged-older", "expire", 1)
        ])
    );
}

fn prod_beta_repository() -> Vec<Image> {
    listed(&[
        ("A", &["beta-1", "prod-1"], 10),
        ("B", &["beta-2", "prod-2"], 9),
        ("C", &["beta-3"], 8),
    ])
}

fn count_rule(priority: u32, pattern: &str, count: u32) -> Value {
    rule(
        priority,
        json!({"tagStatus": "tagged", "tagPatternList": [pattern], "countType": "imageCountMoreThan", "countNumber": count}),
        expire(),
    )
}

#[test]
fn guide_multiple_rules_example_a_prod_first_expires_only_image_a() {
    // Rule 2 would mark A and B, but both were seen by rule 1 (A expired, B kept).
    let policy = policy(json!({"rules": [count_rule(1, "prod*", 1), count_rule(2, "beta*", 1)]}));
    let images = prod_beta_repository();
    assert_eq!(acted_on(&policy, &images), outcome(&[("A", "expire", 1)]));
    let decisions = evaluate(&policy, &images, now());
    assert_eq!(decisions[1].rule, Some(1), "B is kept by rule 1");
    assert_eq!(decisions[2].rule, Some(2), "C is kept by rule 2");
}

#[test]
fn guide_multiple_rules_example_b_beta_first_expires_images_a_and_b() {
    // Rule 2 sees no images: all were already seen by rule 1.
    let policy = policy(json!({"rules": [count_rule(1, "beta*", 1), count_rule(2, "prod*", 1)]}));
    assert_eq!(
        acted_on(&policy, &prod_beta_repository()),
        outcome(&[("A", "expire", 1), ("B", "expire", 1)])
    );
}

#[test]
fn guide_multiple_tags_example_a_selects_images_matching_every_pattern() {
    let policy = policy(json!({"rules": [rule(
        1,
        json!({"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"], "countType": "sinceImagePushed", "countNumber": 5, "countUnit": "days"}),
        expire(),
    )]}));
    let images = listed(&[
        ("A", &["alpha-1"], 12),
        ("B", &["beta-1"], 11),
        ("C", &["alpha-2", "beta-2"], 10),
        ("D", &["alpha-3"], 4),
        ("E", &["beta-3"], 3),
        ("F", &["alpha-4", "beta-4"], 2),
    ]);
    assert_eq!(acted_on(&policy, &images), outcome(&[("C", "expire", 1)]));
}

#[test]
fn guide_multiple_tags_example_b_tags_are_not_exclusive() {
    let policy = policy(json!({"rules": [rule(
        1,
        json!({"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"], "countType": "imageCountMoreThan", "countNumber": 1}),
        expire(),
    )]}));
    let images = listed(&[
        ("A", &["alpha-1", "beta-1", "gamma-1"], 10),
        ("B", &["alpha-2", "beta-2"], 9),
        ("C", &["alpha-3", "beta-3", "gamma-2"], 8),
    ]);
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[("A", "expire", 1), ("B", "expire", 1)])
    );
}

#[test]
fn guide_all_images_example_a_keeps_only_the_newest_image() {
    let policy = policy(json!({"rules": [rule(
        1,
        json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}),
        expire(),
    )]}));
    let images = listed(&[
        ("A", &["alpha-1"], 4),
        ("B", &["beta-1"], 3),
        ("C", &[], 2),
        ("D", &["alpha-2"], 1),
    ]);
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[("A", "expire", 1), ("B", "expire", 1), ("C", "expire", 1)])
    );
}

#[test]
fn guide_all_images_example_b_combines_every_rule_type() {
    let policy = policy(json!({"rules": [
        count_rule(1, "alpha*", 1),
        rule(2, json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}), expire()),
        rule(3, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}), expire()),
    ]}));
    let images = listed(&[
        ("A", &["alpha-1", "beta-1"], 4),
        ("B", &[], 3),
        ("C", &["alpha-2"], 2),
        ("D", &["git hash"], 1),
        ("E", &[], 1),
    ]);
    // Rule 3 sees all five and keeps the newest (E), but A, B, C and E were identified by
    // rules 1 and 2, so only D is left for it.
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[("A", "expire", 1), ("B", "expire", 2), ("D", "expire", 3)])
    );
}

#[test]
fn guide_archive_example_archives_prod_images_older_than_30_days() {
    let policy = policy(json!({"rules": [{
        "rulePriority": 1, "description": "Archive production images older than 30 days",
        "selection": {"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30},
        "action": {"type": "transition", "targetStorageClass": "archive"}
    }]}));
    let images = [
        image("prod-31-days", &["prod-1"], before_now(31 * DAY)),
        image("prod-exactly-30-days", &["prod-2"], before_now(30 * DAY)),
        image("dev-100-days", &["dev-1"], before_now(100 * DAY)),
    ];
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[("prod-31-days", "transition", 1)])
    );
}

#[test]
fn guide_combining_archive_and_expire_rules_treats_each_storage_class_separately() {
    let policy = policy(json!({"rules": [
        {"rulePriority": 1, "description": "Archive images older than 30 days",
         "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30},
         "action": {"type": "transition", "targetStorageClass": "archive"}},
        {"rulePriority": 2, "description": "Expire images archived for more than 365 days",
         "selection": {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365},
         "action": {"type": "expire"}}
    ]}));
    let archived = |name: &str, archived_days: i64| Image {
        status: ImageStatus::Archived,
        archived_at: Some(before_now(archived_days * DAY)),
        ..image(name, &[], before_now(1000 * DAY))
    };
    let images = [
        image("standard-old", &["v1"], before_now(31 * DAY)),
        image("standard-new", &["v2"], before_now(5 * DAY)),
        archived("archived-long-ago", 400),
        archived("archived-recently", 100),
    ];
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[
            ("standard-old", "transition", 1),
            ("archived-long-ago", "expire", 2)
        ])
    );
    // Rule 1, an `any` rule of the standard class, does not shield archived images from rule 2.
    let decisions = evaluate(&policy, &images, now());
    assert_eq!(decisions[3].rule, Some(2));
}

// ---------------------------------------------------------------------------------------
// Edge cases the guide leaves open.
// ---------------------------------------------------------------------------------------

#[test]
fn equal_push_times_break_ties_by_digest_whatever_the_listing_order() {
    let policy = policy(json!({"rules": [rule(
        1,
        json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}),
        expire(),
    )]}));
    let same_time = before_now(DAY);
    let images = [
        image("0002", &[], same_time),
        image("0001", &[], same_time),
        image("0003", &[], same_time),
    ];
    let expected = outcome(&[("0002", "expire", 1), ("0003", "expire", 1)]);
    assert_eq!(acted_on(&policy, &images), expected);
    let reversed: Vec<Image> = images.iter().rev().cloned().collect();
    let mut acted = acted_on(&policy, &reversed);
    acted.reverse();
    assert_eq!(acted, expected);
}

#[test]
fn age_criteria_act_only_on_more_than_n_days() {
    let pushed = policy(json!({"rules": [rule(
        1,
        json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}),
        expire(),
    )]}));
    let exactly = now().days_earlier(7);
    let one_nanosecond = |earlier: bool| {
        let nanos = if earlier { -1 } else { 1 };
        let total = i128::from(exactly.unix_seconds()) * 1_000_000_000 + nanos;
        Timestamp::from_unix(
            i64::try_from(total.div_euclid(1_000_000_000)).unwrap(),
            u32::try_from(total.rem_euclid(1_000_000_000)).unwrap(),
        )
        .unwrap()
    };
    let images = [
        image("exactly-7-days", &[], exactly),
        image("a-nanosecond-more", &[], one_nanosecond(true)),
        image("a-nanosecond-less", &[], one_nanosecond(false)),
        image("pushed-in-the-future", &[], before_now(-DAY)),
    ];
    assert_eq!(
        acted_on(&pushed, &images),
        outcome(&[("a-nanosecond-more", "expire", 1)])
    );
}

#[test]
fn untagged_and_tagged_rules_each_count_their_own_images() {
    let policy = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}), expire()),
        rule(2, json!({"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 2}), expire()),
        rule(3, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 5}), expire()),
    ]}));
    let images = listed(&[
        ("u1", &[], 9),
        ("v1", &["v1"], 8),
        ("other", &["latest"], 7),
        ("u2", &[], 6),
        ("v2", &["v2"], 5),
        ("v3", &["v3", "latest-v"], 4),
        ("u3", &[], 3),
        ("fresh", &["main"], 1),
    ]);
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[
            ("u1", "expire", 1),
            ("v1", "expire", 2),
            ("other", "expire", 3),
            ("u2", "expire", 1),
        ])
    );
}

#[test]
fn every_prefix_of_a_list_must_match_some_tag() {
    let policy = policy(json!({"rules": [rule(
        1,
        json!({"tagStatus": "tagged", "tagPrefixList": ["alpha", "beta"], "countType": "imageCountMoreThan", "countNumber": 1}),
        expire(),
    )]}));
    let images = listed(&[
        ("both-old", &["alpha-1", "beta-1"], 5),
        ("alpha-only", &["alpha-2"], 4),
        ("beta-only", &["beta-2"], 3),
        ("one-tag-for-both", &["alphabeta"], 2),
        ("both-new", &["beta-3", "alpha-3"], 1),
    ]);
    // "alphabeta" starts with alpha but not with beta: every prefix must match, each by any tag.
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[("both-old", "expire", 1)])
    );
}

#[test]
fn patterns_with_wildcards_in_the_middle_match_whole_tags() {
    let policy = policy(json!({"rules": [rule(
        1,
        json!({"tagStatus": "tagged", "tagPatternList": ["v*-rc*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}),
        expire(),
    )]}));
    let images = [
        image("release-candidate", &["v1.2-rc3"], before_now(2 * DAY)),
        image("bare-rc", &["v-rc"], before_now(2 * DAY)),
        image("release", &["v1.2"], before_now(2 * DAY)),
        image("not-anchored", &["xv1-rc1"], before_now(2 * DAY)),
        image(
            "one-tag-matches",
            &["latest", "v2-rc1-hotfix"],
            before_now(2 * DAY),
        ),
    ];
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[
            ("release-candidate", "expire", 1),
            ("bare-rc", "expire", 1),
            ("one-tag-matches", "expire", 1),
        ])
    );
}

#[test]
fn an_image_archived_by_one_rule_is_not_expired_by_an_archive_rule_in_the_same_pass() {
    let policy = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}), to_archive()),
        rule(2, json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90}), expire()),
    ]}));
    let mut no_archive_time = image("archived-without-time", &[], before_now(1000 * DAY));
    no_archive_time.status = ImageStatus::Archived;
    let images = [image("old", &[], before_now(1000 * DAY)), no_archive_time];
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[("old", "transition", 1)])
    );
    let decisions = evaluate(&policy, &images, now());
    assert_eq!(
        decisions[1],
        Decision {
            action: ImageAction::Keep,
            rule: Some(2),
            held_by_manifest_list: false
        },
        "an archived image without an archival time is selected but never old enough"
    );
}

#[test]
fn count_rules_on_archive_count_only_archived_images() {
    let policy = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}), expire()),
        rule(2, json!({"tagStatus": "any", "storageClass": "archive", "countType": "imageCountMoreThan", "countNumber": 1}), expire()),
    ]}));
    let mut images = listed(&[
        ("archived-old", &[], 9),
        ("standard-old", &[], 8),
        ("archived-new", &[], 7),
        ("standard-new", &[], 6),
        ("restoring", &[], 1),
    ]);
    for index in [0, 2] {
        images[index].status = ImageStatus::Archived;
        images[index].archived_at = Some(before_now(100 * DAY));
    }
    images[4].status = ImageStatus::Activating;
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[("archived-old", "expire", 2), ("standard-old", "expire", 1)])
    );
    assert_eq!(
        evaluate(&policy, &images, now())[4],
        Decision::UNSELECTED,
        "an image being restored is in neither storage class"
    );
}

#[test]
fn manifest_list_children_are_kept_but_still_counted_and_shielded() {
    let policy = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}), expire()),
        rule(2, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}), expire()),
    ]}));
    let mut images = listed(&[
        ("orphan-old", &[], 9),
        ("child-old", &[], 8),
        ("index-old", &["v1"], 8),
        ("child-new", &[], 3),
        ("index-new", &["v2"], 3),
    ]);
    images[1].referenced_by_manifest_list = true;
    images[3].referenced_by_manifest_list = true;
    // Rule 1 keeps child-new (the newest untagged image: a child still takes a place in the
    // count), picks child-old and orphan-old, and expires only the orphan. Rule 2 cannot touch
    // the children that rule 1 selected; it expires the old tagged indexes.
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[
            ("orphan-old", "expire", 1),
            ("index-old", "expire", 2),
            ("index-new", "expire", 2),
        ])
    );
    let decisions = evaluate(&policy, &images, now());
    assert_eq!(
        decisions[1],
        Decision {
            action: ImageAction::Keep,
            rule: Some(1),
            held_by_manifest_list: true
        }
    );
    assert!(
        !decisions[3].held_by_manifest_list,
        "within the count, not held"
    );
}

#[test]
fn a_restore_from_archive_restarts_the_push_and_pull_clocks() {
    let policy = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "tagged", "tagPrefixList": ["pushed"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}), expire()),
        rule(2, json!({"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30}), to_archive()),
    ]}));
    let restored =
        |name: &str, tags: &[&str], pulled_days: Option<i64>, restored_days: i64| Image {
            last_pulled_at: pulled_days.map(|days| before_now(days * DAY)),
            restored_at: Some(before_now(restored_days * DAY)),
            ..image(name, tags, before_now(300 * DAY))
        };
    let images = [
        restored("pushed-restored-recently", &["pushed-1"], None, 2),
        restored("pushed-restored-long-ago", &["pushed-2"], None, 40),
        restored("pulled-before-recent-restore", &[], Some(200), 5),
        restored("pulled-after-old-restore", &[], Some(31), 100),
        restored("pulled-recently", &[], Some(3), 100),
    ];
    assert_eq!(
        acted_on(&policy, &images),
        outcome(&[
            ("pushed-restored-long-ago", "expire", 1),
            ("pulled-after-old-restore", "transition", 2),
        ])
    );
}

#[test]
fn rules_apply_in_priority_order_whatever_order_they_are_given_in() {
    let selection = |count| Selection {
        tag_status: TagStatus::Any,
        tag_prefixes: Vec::new(),
        tag_patterns: Vec::new(),
        storage_class: StorageClass::Standard,
        count,
    };
    let rules = LifecyclePolicyRules {
        rules: vec![
            Rule {
                priority: 9,
                description: None,
                selection: selection(CountCriterion::ImageCountMoreThan(1)),
                action: RuleAction::Expire,
            },
            Rule {
                priority: 3,
                description: None,
                selection: selection(CountCriterion::SinceImagePushed { days: 1 }),
                action: RuleAction::Transition {
                    target: StorageClass::Archive,
                },
            },
        ],
    };
    let images = listed(&[("old", &[], 5), ("new", &[], 4)]);
    assert_eq!(
        acted_on(&rules, &images),
        outcome(&[("old", "transition", 3), ("new", "transition", 3)])
    );
    assert!(evaluate(&rules, &[], now()).is_empty());
}

#[test]
fn compare_policies_counts_what_the_new_policy_adds() {
    let keep_two = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2}), expire())]}),
    );
    let keep_one = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}), expire())]}),
    );
    let archive_old = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}), to_archive())]}),
    );
    let images = listed(&[("a", &[], 5), ("b", &[], 4), ("c", &[], 3)]);

    let tighter = compare_policies(Some(&keep_two), Some(&keep_one), &images, now());
    assert_eq!(tighter.newly_expired, vec![1]);
    assert!(tighter.newly_transitioned.is_empty());
    assert!(compare_policies(Some(&keep_one), Some(&keep_two), &images, now()).is_empty());

    let first_policy = compare_policies(None, Some(&keep_one), &images, now());
    assert_eq!(first_policy.newly_expired, vec![0, 1]);
    assert!(compare_policies(Some(&keep_one), None, &images, now()).is_empty());

    let archive_instead = compare_policies(Some(&keep_two), Some(&archive_old), &images, now());
    assert_eq!(archive_instead.newly_expired, Vec::<usize>::new());
    assert_eq!(archive_instead.newly_transitioned, vec![1, 2]);
    let expire_archived = compare_policies(Some(&archive_old), Some(&keep_one), &images, now());
    assert_eq!(
        expire_archived.newly_expired,
        vec![0, 1],
        "archived today, expired tomorrow"
    );
}

#[test]
fn summary_counts_each_action() {
    let decide = |action| Decision {
        action,
        rule: Some(1),
        held_by_manifest_list: false,
    };
    let decisions = [
        decide(ImageAction::Keep),
        decide(ImageAction::Expire),
        decide(ImageAction::Expire),
        decide(ImageAction::Transition {
            target: StorageClass::Archive,
        }),
    ];
    assert_eq!(
        Summary::of(&decisions),
        Summary {
            keep: 1,
            expire: 2,
            transition: 1
        }
    );
}

// ---------------------------------------------------------------------------------------
// Properties, over rules that need not be a valid policy: the engine must hold them anyway.
// ---------------------------------------------------------------------------------------

const TAGS: &[&str] = &["alpha-1", "beta-2", "prod", "prod-2", "v1-rc1", "latest"];
const LIST_ENTRIES: &[&str] = &["alpha", "beta", "prod", "prod*", "*rc*", "v*-rc*", "*"];

fn any_image() -> impl Strategy<Value = Image> {
    (
        proptest::sample::subsequence(TAGS, 0..=3),
        0_i64..400 * DAY,
        proptest::option::of(0_i64..400 * DAY),
        prop_oneof![
            4 => Just(ImageStatus::Active),
            2 => Just(ImageStatus::Archived),
            1 => Just(ImageStatus::Activating),
        ],
        proptest::option::of(0_i64..400 * DAY),
        proptest::option::of(0_i64..400 * DAY),
        proptest::bool::weighted(0.2),
        // Few distinct push times, so that ties are common.
        proptest::bool::weighted(0.3),
    )
        .prop_map(
            |(tags, pushed, pulled, status, archived, restored, referenced, round)| {
                let pushed = if round { pushed / DAY * DAY } else { pushed };
                Image {
                    digest: String::new(),
                    tags: tags.iter().map(|tag| tag.to_string()).collect(),
                    pushed_at: before_now(pushed),
                    last_pulled_at: pulled.map(before_now),
                    status,
                    archived_at: archived.map(before_now),
                    restored_at: restored.map(before_now),
                    referenced_by_manifest_list: referenced,
                }
            },
        )
}

fn any_images() -> impl Strategy<Value = Vec<Image>> {
    proptest::collection::vec(any_image(), 0..24).prop_map(|mut images| {
        for (index, image) in images.iter_mut().enumerate() {
            image.digest = format!("sha256:{index:04}");
        }
        images
    })
}

fn any_rule_body() -> impl Strategy<Value = (Selection, RuleAction)> {
    let tag_selection = prop_oneof![
        Just((TagStatus::Any, Vec::new(), Vec::new())),
        Just((TagStatus::Untagged, Vec::new(), Vec::new())),
        proptest::sample::subsequence(LIST_ENTRIES, 1..=2).prop_map(|list| (
            TagStatus::Tagged,
            strings(&list),
            Vec::new()
        )),
        proptest::sample::subsequence(LIST_ENTRIES, 1..=2).prop_map(|list| (
            TagStatus::Tagged,
            Vec::new(),
            strings(&list)
        )),
    ];
    let count = prop_oneof![
        (0_u32..6).prop_map(CountCriterion::ImageCountMoreThan),
        (1_u32..400).prop_map(|days| CountCriterion::SinceImagePushed { days }),
        (1_u32..400).prop_map(|days| CountCriterion::SinceImagePulled { days }),
        (1_u32..400).prop_map(|days| CountCriterion::SinceImageTransitioned { days }),
    ];
    let storage_class = prop_oneof![Just(StorageClass::Standard), Just(StorageClass::Archive)];
    let action = prop_oneof![
        Just(RuleAction::Expire),
        Just(RuleAction::Transition {
            target: StorageClass::Archive
        }),
    ];
    (tag_selection, count, storage_class, action).prop_map(
        |((tag_status, tag_prefixes, tag_patterns), count, storage_class, action)| {
            (
                Selection {
                    tag_status,
                    tag_prefixes,
                    tag_patterns,
                    storage_class,
                    count,
                },
                action,
            )
        },
    )
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|entry| entry.to_string()).collect()
}

/// Rules with distinct priorities, listed in no particular order.
fn any_rules() -> impl Strategy<Value = LifecyclePolicyRules> {
    proptest::collection::vec(any_rule_body(), 0..6)
        .prop_flat_map(|bodies| {
            let priorities: Vec<u32> = (1..=bodies.len() as u32).map(|p| p * 10).collect();
            (Just(bodies), Just(priorities).prop_shuffle())
        })
        .prop_map(|(bodies, priorities)| LifecyclePolicyRules {
            rules: bodies
                .into_iter()
                .zip(priorities)
                .map(|((selection, action), priority)| Rule {
                    priority,
                    description: None,
                    selection,
                    action,
                })
                .collect(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn each_image_is_decided_by_the_first_rule_that_selects_it(
        rules in any_rules(),
        images in any_images(),
    ) {
        let decisions = evaluate(&rules, &images, now());
        prop_assert_eq!(decisions.len(), images.len());
        let mut by_priority: Vec<&Rule> = rules.rules.iter().collect();
        by_priority.sort_by_key(|rule| rule.priority);
        for (image, decision) in images.iter().zip(&decisions) {
            let first = by_priority.iter().find(|rule| selects(rule, image));
            prop_assert_eq!(decision.rule, first.map(|rule| rule.priority));
            if let Some(rule) = first {
                if decision.is_acted_on() {
                    prop_assert_eq!(decision.action, ImageAction::of_rule(rule.action));
                    prop_assert!(!image.referenced_by_manifest_list);
                }
            } else {
                prop_assert_eq!(decision.action, ImageAction::Keep);
            }
            if decision.held_by_manifest_list {
                prop_assert!(image.referenced_by_manifest_list);
                prop_assert_eq!(decision.action, ImageAction::Keep);
            }
        }
    }

    #[test]
    fn one_count_rule_on_any_keeps_exactly_min_of_n_and_the_images(
        keep in 1_u32..10,
        images in any_images(),
    ) {
        let images: Vec<Image> = images
            .into_iter()
            .map(|image| Image {
                status: ImageStatus::Active,
                referenced_by_manifest_list: false,
                ..image
            })
            .collect();
        let policy = policy(json!({"rules": [rule(
            1,
            json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep}),
            expire(),
        )]}));
        let summary = Summary::of(&evaluate(&policy, &images, now()));
        prop_assert_eq!(summary.keep, (keep as usize).min(images.len()));
        prop_assert_eq!(summary.expire, images.len() - summary.keep);
    }

    #[test]
    fn a_lower_priority_rule_never_undoes_what_a_higher_one_decided(
        rules in any_rules(),
        (selection, action) in any_rule_body(),
        images in any_images(),
    ) {
        let before = evaluate(&rules, &images, now());
        let lowest = rules.rules.iter().map(|rule| rule.priority).max().unwrap_or(0) + 1;
        let mut extended = rules.clone();
        extended.rules.push(Rule { priority: lowest, description: None, selection, action });
        let after = evaluate(&extended, &images, now());
        for (before, after) in before.iter().zip(&after) {
            if before.rule.is_some() {
                prop_assert_eq!(before, after);
            }
        }
    }

    #[test]
    fn decisions_do_not_depend_on_the_order_images_are_listed_in(
        rules in any_rules(),
        images in any_images(),
        seed in any::<u64>(),
    ) {
        let mut shuffled: Vec<usize> = (0..images.len()).collect();
        // A cheap deterministic shuffle; proptest shrinks the seed.
        shuffled.sort_by_key(|&index| (index as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let reordered: Vec<Image> = shuffled.iter().map(|&index| images[index].clone()).collect();
        let original = evaluate(&rules, &images, now());
        let permuted = evaluate(&rules, &reordered, now());
        for (position, &index) in shuffled.iter().enumerate() {
            prop_assert_eq!(permuted[position], original[index]);
        }
    }
}

#[test]
fn the_validator_produces_exactly_the_rules_the_engine_evaluates() {
    let parsed = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 2}), expire()),
        rule(2, json!({"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30}), to_archive()),
        rule(3, json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90}), expire()),
    ]}));
    let selection = |tag_status, tag_patterns: &[&str], storage_class, count| Selection {
        tag_status,
        tag_prefixes: Vec::new(),
        tag_patterns: strings(tag_patterns),
        storage_class,
        count,
    };
    let rule = |priority: u32, selection, action| Rule {
        priority,
        description: Some(format!("Rule {priority}")),
        selection,
        action,
    };
    let built = LifecyclePolicyRules {
        rules: vec![
            rule(
                1,
                selection(
                    TagStatus::Tagged,
                    &["prod*"],
                    StorageClass::Standard,
                    CountCriterion::ImageCountMoreThan(2),
                ),
                RuleAction::Expire,
            ),
            rule(
                2,
                selection(
                    TagStatus::Any,
                    &[],
                    StorageClass::Standard,
                    CountCriterion::SinceImagePulled { days: 30 },
                ),
                RuleAction::Transition {
                    target: StorageClass::Archive,
                },
            ),
            rule(
                3,
                selection(
                    TagStatus::Any,
                    &[],
                    StorageClass::Archive,
                    CountCriterion::SinceImageTransitioned { days: 90 },
                ),
                RuleAction::Expire,
            ),
        ],
    };
    assert_eq!(parsed, built);
}
