//! What a lifecycle policy's rules can do, with the semantics of `ecrform-lifecycle`'s
//! evaluator: rules apply in ascending priority per storage class, the first rule that selects
//! an image decides it (acting on it or keeping it), and later rules still count it.
//!
//! Two consequences users trip over, each a rule:
//! - A `tagStatus: any` rule with `imageCountMoreThan N` after an untagged rule keeps the N
//!   newest images *of any kind*: the untagged images the earlier rule selects are decided
//!   by that rule, but still fill places among the N. "Keep 10" then keeps 10 minus the
//!   untagged images among the 10 newest.
//! - A rule can never act when every image it could select is selected by an earlier rule.
//!   For tagged selections that is language inclusion of their tag globs, which is exact
//!   here (see [`pattern_covers`]).

use ecrform_lifecycle::{
    CountCriterion, LifecyclePolicyRules, Rule, RuleAction, StorageClass, TagStatus, glob_matches,
};

/// Whether untagged images are expired: a rule expires them from standard storage, or one
/// moves them to archive storage and another expires them there.
pub(crate) fn expires_untagged(policy: &LifecyclePolicyRules) -> bool {
    let selects_untagged = |rule: &&Rule, class: StorageClass| {
        rule.selection.storage_class == class
            && matches!(
                rule.selection.tag_status,
                TagStatus::Untagged | TagStatus::Any
            )
    };
    let acts = |action: fn(&RuleAction) -> bool, class| {
        policy
            .rules
            .iter()
            .any(|rule| action(&rule.action) && selects_untagged(&rule, class))
    };
    let expire = |action: &RuleAction| *action == RuleAction::Expire;
    let transition = |action: &RuleAction| *action != RuleAction::Expire;
    acts(expire, StorageClass::Standard)
        || (acts(transition, StorageClass::Standard) && acts(expire, StorageClass::Archive))
}

/// Whether some rule expires tagged images (by count or age, from either storage class).
pub(crate) fn caps_tagged(policy: &LifecyclePolicyRules) -> bool {
    policy.rules.iter().any(|rule| {
        rule.action == RuleAction::Expire
            && matches!(
                rule.selection.tag_status,
                TagStatus::Tagged | TagStatus::Any
            )
    })
}

/// Every `any` count rule that counts the untagged images an earlier rule selects, unless its
/// description says that untagged images count.
pub(crate) fn any_count_traps(policy: &LifecyclePolicyRules) -> Vec<String> {
    let mut traps = Vec::new();
    for (index, rule) in policy.rules.iter().enumerate() {
        let CountCriterion::ImageCountMoreThan(keep) = rule.selection.count else {
            continue;
        };
        if rule.selection.tag_status != TagStatus::Any || says_untagged_count(rule) {
            continue;
        }
        let earlier_untagged = policy.rules[..index].iter().find(|earlier| {
            earlier.selection.tag_status == TagStatus::Untagged
                && earlier.selection.storage_class == rule.selection.storage_class
        });
        if let Some(earlier) = earlier_untagged {
            traps.push(format!(
                "lifecycle rule {} (tagStatus any, imageCountMoreThan {keep}) also counts the \
                 untagged images that rule {} selects: it keeps the {keep} newest images of any \
                 kind, so fewer than {keep} tagged images whenever untagged ones are among the \
                 newest; select tagStatus tagged with tagPatternList [\"*\"], or say in its \
                 description that untagged images count",
                rule.priority, earlier.priority
            ));
        }
    }
    traps
}

/// Phrases of a description that acknowledge that untagged images count.
const COUNTS_UNTAGGED: &[&str] = &["untagged", "tagged or not", "of any kind", "any image"];

/// A description that acknowledges the count: it mentions untagged images, or says the
/// images are tagged or not.
fn says_untagged_count(rule: &Rule) -> bool {
    rule.description.as_deref().is_some_and(|text| {
        let text = text.to_lowercase();
        COUNTS_UNTAGGED.iter().any(|phrase| text.contains(phrase))
    })
}

/// Every rule that can never act on an image, because earlier rules of its storage class
/// select every image it could select.
pub(crate) fn unreachable_rules(policy: &LifecyclePolicyRules) -> Vec<String> {
    let mut found = Vec::new();
    for (index, rule) in policy.rules.iter().enumerate() {
        let earlier: Vec<&Rule> = policy.rules[..index]
            .iter()
            .filter(|earlier| earlier.selection.storage_class == rule.selection.storage_class)
            .collect();
        if let Some(cover) = earlier.iter().find(|earlier| selects_all_of(earlier, rule)) {
            found.push(format!(
                "lifecycle rule {} can never act on an image: rule {} comes first and selects \
                 every image it could select",
                rule.priority, cover.priority
            ));
            continue;
        }
        if rule.selection.tag_status == TagStatus::Any {
            let untagged = earlier
                .iter()
                .find(|e| e.selection.tag_status == TagStatus::Untagged);
            let all_tagged = earlier
                .iter()
                .find(|e| e.selection.tag_status == TagStatus::Tagged && selects_every_tag(e));
            if let (Some(untagged), Some(tagged)) = (untagged, all_tagged) {
                found.push(format!(
                    "lifecycle rule {} can never act on an image: rules {} (untagged) and {} \
                     (every tagged image) come first and select every image",
                    rule.priority, untagged.priority, tagged.priority
                ));
            }
        }
    }
    found
}

/// A selection's tag list as globs: a prefix `p` is the glob `p*` (tags hold no `*`).
fn globs(rule: &Rule) -> Vec<String> {
    rule.selection
        .tag_prefixes
        .iter()
        .map(|prefix| format!("{prefix}*"))
        .chain(rule.selection.tag_patterns.iter().cloned())
        .collect()
}

/// Whether a tagged rule selects every tagged image: each entry matches any tag.
fn selects_every_tag(rule: &Rule) -> bool {
    globs(rule)
        .iter()
        .all(|glob| glob.chars().all(|c| c == '*'))
}

/// Whether `earlier` selects every image `later` could select (same storage class).
fn selects_all_of(earlier: &Rule, later: &Rule) -> bool {
    match (earlier.selection.tag_status, later.selection.tag_status) {
        (TagStatus::Any, _) => true,
        (TagStatus::Untagged, TagStatus::Untagged) => true,
        (TagStatus::Tagged, TagStatus::Tagged) => {
            // `earlier` needs each of its entries to match some tag; an image `later` selects
            // has, for each of `later`'s entries, a tag matching it. So every entry of
            // `earlier` must contain one of `later`'s entries.
            let later_globs = globs(later);
            globs(earlier).iter().all(|wide| {
                later_globs
                    .iter()
                    .any(|narrow| pattern_covers(wide, narrow))
            })
        }
        _ => false,
    }
}

/// Whether every tag the glob `narrow` matches is matched by the glob `wide` (`*` only).
///
/// Exact: replacing each `*` of `narrow` by a character `wide` does not contain gives a tag
/// that `narrow` matches; `wide` can match it only by absorbing those characters into its own
/// stars, and then it matches whatever the stars of `narrow` stand for.
pub(crate) fn pattern_covers(wide: &str, narrow: &str) -> bool {
    let fresh = ['\u{1}', '\u{2}', '#', '~']
        .into_iter()
        .find(|c| !wide.contains(*c))
        .unwrap_or('\u{1}');
    glob_matches(wide, &narrow.replace('*', &fresh.to_string()))
}

#[cfg(test)]
mod tests {
    use ecrform_lifecycle::{Image, ImageAction, ImageStatus, Timestamp, evaluate};
    use serde_json::json;

    use super::*;

    fn rules(rules: serde_json::Value) -> LifecyclePolicyRules {
        ecrform_lifecycle::parse(&json!({ "rules": rules })).unwrap()
    }

    fn untagged_then_any(description: &str) -> LifecyclePolicyRules {
        rules(json!([
            {"rulePriority": 1, "description": "expire untagged after 7 days",
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
             "action": {"type": "expire"}},
            {"rulePriority": 2, "description": description,
             "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3},
             "action": {"type": "expire"}}
        ]))
    }

    #[test]
    fn an_any_count_rule_after_an_untagged_rule_keeps_fewer_tagged_images() {
        // What the rule reports is what the evaluator does: three tagged images and two
        // young untagged ones, "keep 3" keeps one tagged image.
        let policy = untagged_then_any("keep 3");
        let now = Timestamp::parse_rfc3339("2026-05-10T00:00:00Z").unwrap();
        let image = |digest: &str, tags: &[&str], pushed: &str| Image {
            digest: digest.to_owned(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            pushed_at: Timestamp::parse_rfc3339(pushed).unwrap(),
            last_pulled_at: None,
            status: ImageStatus::Active,
            archived_at: None,
            restored_at: None,
            referenced_by_manifest_list: false,
        };
        let images = [
            image("sha256:a", &["v1"], "2026-05-01T00:00:00Z"),
            image("sha256:b", &["v2"], "2026-05-02T00:00:00Z"),
            image("sha256:c", &["v3"], "2026-05-03T00:00:00Z"),
            image("sha256:d", &[], "2026-05-08T00:00:00Z"),
            image("sha256:e", &[], "2026-05-09T00:00:00Z"),
        ];
        let kept_tagged = evaluate(&policy, &images, now)
            .iter()
            .zip(&images)
            .filter(|(decision, image)| {
                decision.action == ImageAction::Keep && !image.tags.is_empty()
            })
            .count();
        assert_eq!(kept_tagged, 1);
        assert_eq!(any_count_traps(&policy).len(), 1);
        assert!(any_count_traps(&policy)[0].starts_with(
            "lifecycle rule 2 (tagStatus any, imageCountMoreThan 3) also counts the untagged \
             images that rule 1 selects"
        ));
    }

    #[test]
    fn an_any_count_rule_that_says_untagged_images_count_passes() {
        for description in [
            "keep the 3 newest, Untagged included",
            "Keep the 3 most recent images, tagged or not",
            "keep 3 images of any kind",
        ] {
            assert!(
                any_count_traps(&untagged_then_any(description)).is_empty(),
                "{description}"
            );
        }
        let alone = rules(json!([{"rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3},
            "action": {"type": "expire"}}]));
        assert!(
            any_count_traps(&alone).is_empty(),
            "no earlier untagged rule"
        );
    }

    #[test]
    fn glob_coverage_is_language_inclusion() {
        let cases = [
            ("prod*", "prod-*", true),
            ("prod*", "prod", true),
            ("prod*", "pro*", false),
            ("*", "anything*", true),
            ("*-stable", "v*-stable", true),
            ("*-stable", "*stable", false),
            ("*a*a*", "*aa*", true),
            ("*ab*", "*a*b*", false),
            ("v1.*", "v1.2.*", true),
            ("v1*", "v1.*", true),
            ("release", "release", true),
            ("release", "release*", false),
        ];
        for (wide, narrow, covers) in cases {
            assert_eq!(pattern_covers(wide, narrow), covers, "{wide} over {narrow}");
        }
    }

    #[test]
    fn a_rule_behind_one_that_selects_all_it_could_is_unreachable() {
        let policy = rules(json!([
            {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPrefixList": ["prod"], "countType": "imageCountMoreThan", "countNumber": 10}, "action": {"type": "expire"}},
            {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["prod-*"], "countType": "imageCountMoreThan", "countNumber": 2}, "action": {"type": "expire"}},
            {"rulePriority": 3, "selection": {"tagStatus": "tagged", "tagPatternList": ["beta-*"], "countType": "imageCountMoreThan", "countNumber": 2}, "action": {"type": "expire"}}
        ]));
        assert_eq!(
            unreachable_rules(&policy),
            [
                "lifecycle rule 2 can never act on an image: rule 1 comes first and selects every \
              image it could select"
            ]
        );
    }

    #[test]
    fn an_any_rule_behind_untagged_and_every_tagged_image_is_unreachable() {
        let policy = rules(json!([
            {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}},
            {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": 10}, "action": {"type": "expire"}},
            {"rulePriority": 3, "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 365}, "action": {"type": "expire"}}
        ]));
        assert_eq!(unreachable_rules(&policy).len(), 1);
        assert!(unreachable_rules(&policy)[0].starts_with("lifecycle rule 3 can never act"));
        // Narrow the tagged rule and the any rule decides the other tagged images.
        let narrowed = rules(json!([
            {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}},
            {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["v*"], "countType": "imageCountMoreThan", "countNumber": 10}, "action": {"type": "expire"}},
            {"rulePriority": 3, "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 365}, "action": {"type": "expire"}}
        ]));
        assert!(unreachable_rules(&narrowed).is_empty());
    }

    #[test]
    fn rules_of_another_storage_class_do_not_shadow() {
        let policy = rules(json!([
            {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}, "action": {"type": "transition", "targetStorageClass": "archive"}},
            {"rulePriority": 2, "selection": {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90}, "action": {"type": "expire"}}
        ]));
        assert!(unreachable_rules(&policy).is_empty());
        assert!(caps_tagged(&policy));
        assert!(
            expires_untagged(&policy),
            "untagged images are archived, then expired from archive"
        );
        let archived_only = rules(json!([
            {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}, "action": {"type": "transition", "targetStorageClass": "archive"}}
        ]));
        assert!(
            !expires_untagged(&archived_only),
            "archived and kept there forever"
        );
    }
}
