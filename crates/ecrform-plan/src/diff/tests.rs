//! Planner tests over in-memory desired/live pairs: one table per concern, each case named
//! for the behaviour it pins down.

use proptest::prelude::*;
use serde_json::json;

use ecrform_model::{
    DesiredState, Encryption, EncryptionType, IamPolicy, OWNERSHIP_TAG_KEY, OWNERSHIP_TAG_VALUE,
    RegistryState, RepositoryState, Setting, TagMutability,
};
use ecrform_testkit::fixtures::{
    ACCOUNT, DesiredBuilder, OTHER_ACCOUNT, REGION, REGISTRY, RegistryBuilder, RepositoryBuilder,
    address, expire_untagged_after, iam_policy, lifecycle_policy, name, registry_in, tags,
};

use super::{field, plan};
use crate::{Action, Plan, Summary};

const REPO: &str = "team-a/api";
const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// A pull policy granting the other account's root `actions`.
fn pull_policy(actions: &[&str]) -> IamPolicy {
    iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "pull", "Effect": "Allow",
                       "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                       "Action": actions}]
    }))
}

/// A repository whose every setting the spec manages, with no policies.
fn managed_repo() -> RepositoryState {
    RepositoryBuilder::new()
        .mutability(TagMutability::Immutable)
        .no_exclusions()
        .scan_on_push(true)
        .encryption(Encryption::aes256())
        .tags([("team", "a"), ("env", "prod")])
        .no_lifecycle_policy()
        .no_repository_policy()
        .build()
}

/// How ECR reports a repository that ecrform created from `desired`: every field filled, the
/// ownership tag and an AWS-reserved tag present.
fn as_live(desired: &RepositoryState) -> RepositoryState {
    let mut live = desired.clone();
    let mut live_tags = live.tags.take().unwrap_or_default();
    live_tags.insert(OWNERSHIP_TAG_KEY.to_owned(), OWNERSHIP_TAG_VALUE.to_owned());
    live_tags.insert(
        "aws:cloudformation:stack-name".to_owned(),
        "legacy".to_owned(),
    );
    live.tags = Some(live_tags);
    ecrform_model::snapshot::fill_live_defaults(&mut live);
    live
}

/// A spec of `account`'s registry with these repositories.
fn desired_state(
    account: &str,
    prune: bool,
    repositories: Vec<(&str, RepositoryState)>,
) -> DesiredState {
    DesiredBuilder::new()
        .registry(RegistryBuilder::new(registry_in(account)).repositories(repositories))
        .prune(prune)
        .build()
}

/// `account`'s live registry holding these repositories.
fn live_state(account: &str, repositories: Vec<(&str, RepositoryState)>) -> RegistryState {
    RegistryBuilder::new(registry_in(account))
        .repositories(repositories)
        .build()
}

/// Plans one repository of one registry.
fn plan_one(desired: Option<RepositoryState>, live: Option<RepositoryState>) -> Plan {
    let desired = desired_state(
        ACCOUNT,
        false,
        desired.map(|r| (REPO, r)).into_iter().collect(),
    );
    let live = vec![live_state(
        ACCOUNT,
        live.map(|r| (REPO, r)).into_iter().collect(),
    )];
    plan(&desired, &live)
}

/// `(address, action, destructive, fields)` of every change, for compact expectations.
fn outline(plan: &Plan) -> Vec<(String, Action, bool, Vec<String>)> {
    plan.changes
        .iter()
        .map(|c| {
            (
                c.address.to_string(),
                c.action,
                c.destructive,
                c.fields.clone(),
            )
        })
        .collect()
}

type Edit = fn(&mut RepositoryState);

struct Case {
    name: &'static str,
    desired: Edit,
    live: Edit,
    /// `(kind, action, fields)` for the one repository under test.
    expected: &'static [(&'static str, Action, &'static [&'static str])],
}

fn run_cases(cases: &[Case]) {
    for case in cases {
        let mut desired = managed_repo();
        (case.desired)(&mut desired);
        let mut live = as_live(&managed_repo());
        (case.live)(&mut live);
        let planned = plan_one(Some(desired), Some(live));
        let expected: Vec<(String, Action, bool, Vec<String>)> = case
            .expected
            .iter()
            .map(|(kind, action, fields)| {
                (
                    address(REGISTRY, &format!("{kind}/{REPO}")),
                    *action,
                    matches!(action, Action::Delete | Action::Replace),
                    fields.iter().map(|f| (*f).to_owned()).collect(),
                )
            })
            .collect();
        assert_eq!(outline(&planned), expected, "case: {}", case.name);
        assert!(planned.unmanaged.is_empty(), "case: {}", case.name);
    }
}

fn keep(_: &mut RepositoryState) {}

#[test]
fn each_repository_field_is_compared_on_its_canonical_form() {
    run_cases(&[
        Case {
            name: "identical state plans nothing",
            desired: keep,
            live: keep,
            expected: &[],
        },
        Case {
            name: "mutability change is an update of image_tag_mutability",
            desired: |r| r.image_tag_mutability = Some(TagMutability::Mutable),
            live: keep,
            expected: &[("repository", Action::Update, &[field::IMAGE_TAG_MUTABILITY])],
        },
        Case {
            name: "mutability and exclusions change together",
            desired: |r| {
                r.image_tag_mutability = Some(TagMutability::ImmutableWithExclusion);
                r.image_tag_mutability_exclusions = Some(vec!["latest".into()]);
            },
            live: keep,
            expected: &[(
                "repository",
                Action::Update,
                &[
                    field::IMAGE_TAG_MUTABILITY,
                    field::IMAGE_TAG_MUTABILITY_EXCLUSIONS,
                ],
            )],
        },
        Case {
            name: "a different exclusion set is an update of the exclusions only",
            desired: |r| {
                r.image_tag_mutability = Some(TagMutability::ImmutableWithExclusion);
                r.image_tag_mutability_exclusions = Some(vec!["latest".into(), "dev-*".into()]);
            },
            live: |r| {
                r.image_tag_mutability = Some(TagMutability::ImmutableWithExclusion);
                r.image_tag_mutability_exclusions = Some(vec!["latest".into()]);
            },
            expected: &[(
                "repository",
                Action::Update,
                &[field::IMAGE_TAG_MUTABILITY_EXCLUSIONS],
            )],
        },
        Case {
            name: "reordered and repeated exclusions are no change",
            desired: |r| {
                r.image_tag_mutability = Some(TagMutability::MutableWithExclusion);
                r.image_tag_mutability_exclusions =
                    Some(vec!["dev-*".into(), "latest".into(), "dev-*".into()]);
            },
            live: |r| {
                r.image_tag_mutability = Some(TagMutability::MutableWithExclusion);
                r.image_tag_mutability_exclusions = Some(vec!["latest".into(), "dev-*".into()]);
            },
            expected: &[],
        },
        Case {
            name: "scan_on_push change is an update",
            desired: |r| r.scan_on_push = Some(false),
            live: keep,
            expected: &[("repository", Action::Update, &[field::SCAN_ON_PUSH])],
        },
        Case {
            name: "a tag the spec adds is an update of tags",
            desired: |r| {
                r.tags
                    .get_or_insert_default()
                    .insert("cost-center".into(), "42".into());
            },
            live: keep,
            expected: &[("repository", Action::Update, &[field::TAGS])],
        },
        Case {
            name: "a tag only live has is an update of tags",
            desired: keep,
            live: |r| {
                r.tags
                    .get_or_insert_default()
                    .insert("stray".into(), "x".into());
            },
            expected: &[("repository", Action::Update, &[field::TAGS])],
        },
        Case {
            name: "a changed tag value is an update of tags",
            desired: |r| {
                r.tags
                    .get_or_insert_default()
                    .insert("env".into(), "staging".into());
            },
            live: keep,
            expected: &[("repository", Action::Update, &[field::TAGS])],
        },
        Case {
            name: "aws-reserved and ownership tags are ignored on both sides",
            desired: |r| {
                let t = r.tags.get_or_insert_default();
                t.insert("aws:created-by".into(), "someone".into());
                t.insert(OWNERSHIP_TAG_KEY.into(), "false".into());
            },
            live: |r| {
                let t = r.tags.get_or_insert_default();
                t.insert("aws:other".into(), "x".into());
                t.remove(OWNERSHIP_TAG_KEY);
            },
            expected: &[],
        },
        Case {
            name: "kms alias against the reported key arn is no change",
            desired: |r| {
                r.encryption = Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: Some("alias/ecr".into()),
                })
            },
            live: |r| {
                r.encryption = Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: Some(KEY_ARN.into()),
                })
            },
            expected: &[],
        },
        Case {
            name: "kms without a key is satisfied by any kms key",
            desired: |r| {
                r.encryption = Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: None,
                })
            },
            live: |r| {
                r.encryption = Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: Some(KEY_ARN.into()),
                })
            },
            expected: &[],
        },
        Case {
            name: "an encryption change replaces the repository",
            desired: |r| {
                r.encryption = Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: None,
                })
            },
            live: keep,
            expected: &[("repository", Action::Replace, &[field::ENCRYPTION])],
        },
        Case {
            name: "a replace lists every other differing field too",
            desired: |r| {
                r.encryption = Some(Encryption {
                    kind: EncryptionType::KmsDsse,
                    kms_key: None,
                });
                r.scan_on_push = Some(false);
            },
            live: keep,
            expected: &[(
                "repository",
                Action::Replace,
                &[field::SCAN_ON_PUSH, field::ENCRYPTION],
            )],
        },
        Case {
            name: "a different kms key id replaces the repository",
            desired: |r| {
                r.encryption = Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: Some("ffffffff-12ab-34cd-56ef-1234567890ab".into()),
                })
            },
            live: |r| {
                r.encryption = Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: Some(KEY_ARN.into()),
                })
            },
            expected: &[("repository", Action::Replace, &[field::ENCRYPTION])],
        },
        Case {
            name: "settings the spec leaves unmanaged are never diffed",
            desired: |r| *r = RepositoryState::default(),
            live: |r| {
                r.image_tag_mutability = Some(TagMutability::MutableWithExclusion);
                r.image_tag_mutability_exclusions = Some(vec!["x".into()]);
                r.scan_on_push = Some(false);
                r.encryption = Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: None,
                });
                r.tags = Some(tags([("other", "tag")]));
                r.lifecycle_policy = Setting::Present(expire_untagged_after(3));
                r.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"]));
            },
            expected: &[],
        },
        Case {
            name: "live settings left out take ECR's defaults",
            desired: |r| {
                r.image_tag_mutability = Some(TagMutability::Mutable);
                r.scan_on_push = Some(false);
            },
            live: |r| {
                r.image_tag_mutability = None;
                r.image_tag_mutability_exclusions = None;
                r.scan_on_push = None;
                r.encryption = None;
            },
            expected: &[],
        },
    ]);
}

#[test]
fn policies_are_created_updated_and_deleted_in_place() {
    run_cases(&[
        Case {
            name: "a lifecycle policy live lacks is created",
            desired: |r| r.lifecycle_policy = Setting::Present(expire_untagged_after(7)),
            live: keep,
            expected: &[("lifecycle_policy", Action::Create, &[field::DOCUMENT])],
        },
        Case {
            name: "a different lifecycle policy is updated, not deleted and created",
            desired: |r| r.lifecycle_policy = Setting::Present(expire_untagged_after(7)),
            live: |r| r.lifecycle_policy = Setting::Present(expire_untagged_after(14)),
            expected: &[("lifecycle_policy", Action::Update, &[field::DOCUMENT])],
        },
        Case {
            name: "an absent lifecycle policy deletes the live one",
            desired: |r| r.lifecycle_policy = Setting::Absent,
            live: |r| r.lifecycle_policy = Setting::Present(expire_untagged_after(14)),
            expected: &[("lifecycle_policy", Action::Delete, &[field::DOCUMENT])],
        },
        Case {
            name: "a repository policy live lacks is created",
            desired: |r| {
                r.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"]))
            },
            live: keep,
            expected: &[("repository_policy", Action::Create, &[field::DOCUMENT])],
        },
        Case {
            name: "a different repository policy is updated",
            desired: |r| {
                r.repository_policy = Setting::Present(pull_policy(&[
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ]))
            },
            live: |r| r.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"])),
            expected: &[("repository_policy", Action::Update, &[field::DOCUMENT])],
        },
        Case {
            name: "an absent repository policy deletes the live one",
            desired: |r| r.repository_policy = Setting::Absent,
            live: |r| r.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"])),
            expected: &[("repository_policy", Action::Delete, &[field::DOCUMENT])],
        },
        Case {
            name: "absent on both sides plans nothing",
            desired: |r| {
                r.lifecycle_policy = Setting::Absent;
                r.repository_policy = Setting::Absent;
            },
            live: keep,
            expected: &[],
        },
        Case {
            name: "an unmanaged policy is left alone",
            desired: |r| {
                r.lifecycle_policy = Setting::Unmanaged;
                r.repository_policy = Setting::Unmanaged;
            },
            live: |r| {
                r.lifecycle_policy = Setting::Present(expire_untagged_after(14));
                r.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"]));
            },
            expected: &[],
        },
        Case {
            name: "a repository update is followed by its lifecycle then repository policy",
            desired: |r| {
                r.scan_on_push = Some(false);
                r.lifecycle_policy = Setting::Present(expire_untagged_after(7));
                r.repository_policy = Setting::Absent;
            },
            live: |r| r.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"])),
            expected: &[
                ("repository", Action::Update, &[field::SCAN_ON_PUSH]),
                ("lifecycle_policy", Action::Create, &[field::DOCUMENT]),
                ("repository_policy", Action::Delete, &[field::DOCUMENT]),
            ],
        },
    ]);
}

#[test]
fn equal_but_differently_written_policies_are_no_change() {
    // What ECR gives back: lists reordered, a one-element list for a scalar, rules by priority.
    let desired_policy = iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::210987654321:root"]},
             "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]},
            {"Sid": "list", "Effect": "Allow", "Principal": "*", "Action": "ecr:ListImages"}
        ]
    }));
    let live_policy = iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "list", "Effect": "Allow", "Principal": "*", "Action": ["ecr:ListImages"]},
            {"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}
        ]
    }));
    let rule = |priority: u32, status: &str| {
        let mut selection = json!({"tagStatus": status, "countType": "imageCountMoreThan",
                                   "countNumber": 10});
        if status == "tagged" {
            selection["tagPrefixList"] = json!(["v", "release"]);
        }
        json!({"rulePriority": priority, "selection": selection, "action": {"type": "expire"}})
    };
    let desired_lifecycle =
        lifecycle_policy(json!({"rules": [rule(2, "tagged"), rule(1, "untagged")]}));
    let mut live_rule = rule(2, "tagged");
    live_rule["selection"]["tagPrefixList"] = json!(["release", "v"]);
    let live_lifecycle = lifecycle_policy(json!({"rules": [rule(1, "untagged"), live_rule]}));

    let mut desired = managed_repo();
    desired.repository_policy = Setting::Present(desired_policy);
    desired.lifecycle_policy = Setting::Present(desired_lifecycle);
    let mut live = as_live(&managed_repo());
    live.repository_policy = Setting::Present(live_policy);
    live.lifecycle_policy = Setting::Present(live_lifecycle);

    let planned = plan_one(Some(desired), Some(live));
    assert_eq!(outline(&planned), vec![]);
}

#[test]
fn a_missing_repository_is_created_with_the_ownership_tag() {
    let planned = plan_one(Some(managed_repo()), None);
    assert_eq!(
        outline(&planned),
        vec![(
            address(REGISTRY, "repository/team-a/api"),
            Action::Create,
            false,
            vec![
                field::IMAGE_TAG_MUTABILITY.to_owned(),
                field::IMAGE_TAG_MUTABILITY_EXCLUSIONS.to_owned(),
                field::SCAN_ON_PUSH.to_owned(),
                field::ENCRYPTION.to_owned(),
                field::TAGS.to_owned(),
            ],
        )]
    );
    let change = &planned.changes[0];
    assert_eq!(change.before, None);
    assert_eq!(
        change.after,
        Some(json!({
            "image_tag_mutability": "IMMUTABLE",
            "image_tag_mutability_exclusions": [],
            "scan_on_push": true,
            "encryption": {"type": "AES256"},
            "tags": {"env": "prod", "team": "a", OWNERSHIP_TAG_KEY: OWNERSHIP_TAG_VALUE},
        }))
    );
}

#[test]
fn a_created_repository_sets_only_managed_fields_and_always_tags() {
    let desired = RepositoryBuilder::new().scan_on_push(true).build();
    let planned = plan_one(Some(desired), None);
    assert_eq!(
        outline(&planned),
        vec![(
            address(REGISTRY, "repository/team-a/api"),
            Action::Create,
            false,
            vec![field::SCAN_ON_PUSH.to_owned(), field::TAGS.to_owned()],
        )]
    );
    assert_eq!(
        planned.changes[0].after,
        Some(json!({"scan_on_push": true, "tags": {OWNERSHIP_TAG_KEY: OWNERSHIP_TAG_VALUE}}))
    );
}

#[test]
fn a_created_repository_is_followed_by_its_policies() {
    let mut desired = managed_repo();
    desired.lifecycle_policy = Setting::Present(expire_untagged_after(7));
    desired.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"]));
    let planned = plan_one(Some(desired), None);
    let kinds: Vec<(String, Action)> = planned
        .changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (address(REGISTRY, "repository/team-a/api"), Action::Create),
            (
                address(REGISTRY, "lifecycle_policy/team-a/api"),
                Action::Create
            ),
            (
                address(REGISTRY, "repository_policy/team-a/api"),
                Action::Create
            ),
        ]
    );
    let policy = &planned.changes[2];
    assert_eq!(policy.before, None);
    assert_eq!(
        policy.after.as_ref(),
        Some(pull_policy(&["ecr:BatchGetImage"]).canonical())
    );
}

#[test]
fn an_absent_policy_creates_nothing_for_a_new_repository() {
    let planned = plan_one(Some(managed_repo()), None);
    assert_eq!(planned.changes.len(), 1);
    assert_eq!(
        planned.summary,
        Summary {
            create: 1,
            update: 0,
            delete: 0,
            replace: 0
        }
    );
}

#[test]
fn a_replace_recreates_the_desired_policies_even_when_live_ones_are_equal() {
    let mut desired = managed_repo();
    desired.encryption = Some(Encryption {
        kind: EncryptionType::Kms,
        kms_key: None,
    });
    desired.lifecycle_policy = Setting::Present(expire_untagged_after(7));
    desired.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"]));
    let mut live = as_live(&desired);
    live.encryption = Some(Encryption::aes256());

    let planned = plan_one(Some(desired), Some(live));
    assert_eq!(
        outline(&planned),
        vec![
            (
                address(REGISTRY, "repository/team-a/api"),
                Action::Replace,
                true,
                vec![field::ENCRYPTION.to_owned()]
            ),
            (
                address(REGISTRY, "lifecycle_policy/team-a/api"),
                Action::Create,
                false,
                vec![field::DOCUMENT.to_owned()]
            ),
            (
                address(REGISTRY, "repository_policy/team-a/api"),
                Action::Create,
                false,
                vec![field::DOCUMENT.to_owned()]
            ),
        ]
    );
    let replace = &planned.changes[0];
    assert_eq!(
        replace.before.as_ref().map(|b| &b["encryption"]),
        Some(&json!({"type": "AES256"}))
    );
    assert_eq!(
        replace.after.as_ref().map(|a| &a["encryption"]),
        Some(&json!({"type": "KMS"}))
    );
    assert_eq!(
        replace
            .after
            .as_ref()
            .map(|a| &a["tags"][OWNERSHIP_TAG_KEY]),
        Some(&json!(OWNERSHIP_TAG_VALUE)),
        "the new repository is ecrform's"
    );
    assert!(planned.changes[1..].iter().all(|c| c.before.is_none()));
    assert!(
        planned.changes[1..].iter().all(|c| c.recreated_unchanged),
        "the old repository held the same documents: {planned:#?}"
    );
    assert!(!planned.changes[0].recreated_unchanged);
}

#[test]
fn a_policy_recreated_after_a_replace_is_unchanged_only_when_the_old_repository_held_it() {
    let mut desired = managed_repo();
    desired.encryption = Some(Encryption {
        kind: EncryptionType::Kms,
        kms_key: None,
    });
    desired.lifecycle_policy = Setting::Present(expire_untagged_after(7));
    desired.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"]));
    let mut live = as_live(&desired);
    live.encryption = Some(Encryption::aes256());
    live.lifecycle_policy = Setting::Present(expire_untagged_after(14));
    live.repository_policy = Setting::Absent;

    let planned = plan_one(Some(desired.clone()), Some(live));
    let recreated: Vec<(String, bool)> = planned
        .changes
        .iter()
        .map(|c| (c.address.to_string(), c.recreated_unchanged))
        .collect();
    assert_eq!(
        recreated,
        [
            (address(REGISTRY, "repository/team-a/api"), false),
            (address(REGISTRY, "lifecycle_policy/team-a/api"), false),
            (address(REGISTRY, "repository_policy/team-a/api"), false),
        ]
    );
    // A repository that does not exist yet has nothing to re-create.
    let created = plan_one(Some(desired), None);
    assert!(created.changes.iter().all(|c| !c.recreated_unchanged));
}

#[test]
fn a_replace_does_not_delete_policies_the_new_repository_never_has() {
    let mut desired = managed_repo();
    desired.encryption = Some(Encryption {
        kind: EncryptionType::Kms,
        kms_key: None,
    });
    let mut live = as_live(&managed_repo());
    live.lifecycle_policy = Setting::Present(expire_untagged_after(7));
    let planned = plan_one(Some(desired), Some(live));
    assert_eq!(planned.changes.len(), 1);
    assert_eq!(planned.changes[0].action, Action::Replace);
}

#[test]
fn an_update_shows_managed_fields_before_and_after() {
    let mut desired = managed_repo();
    desired.tags = Some(tags([("team", "b")]));
    desired.encryption = None;
    let live = as_live(&managed_repo());
    let planned = plan_one(Some(desired), Some(live));
    let change = &planned.changes[0];
    assert_eq!(change.action, Action::Update);
    assert_eq!(
        change.before,
        Some(json!({
            "image_tag_mutability": "IMMUTABLE",
            "image_tag_mutability_exclusions": [],
            "scan_on_push": true,
            "tags": {"env": "prod", "team": "a"},
        }))
    );
    assert_eq!(
        change.after,
        Some(json!({
            "image_tag_mutability": "IMMUTABLE",
            "image_tag_mutability_exclusions": [],
            "scan_on_push": true,
            "tags": {"team": "b"},
        }))
    );
}

#[test]
fn policy_changes_carry_canonical_documents() {
    let mut desired = managed_repo();
    desired.lifecycle_policy = Setting::Present(expire_untagged_after(7));
    let mut live = as_live(&managed_repo());
    live.lifecycle_policy = Setting::Present(expire_untagged_after(14));
    let planned = plan_one(Some(desired), Some(live));
    let change = &planned.changes[0];
    assert_eq!(
        change.before.as_ref(),
        Some(expire_untagged_after(14).canonical())
    );
    assert_eq!(
        change.after.as_ref(),
        Some(expire_untagged_after(7).canonical())
    );

    let mut desired = managed_repo();
    desired.lifecycle_policy = Setting::Absent;
    let mut live = as_live(&managed_repo());
    live.lifecycle_policy = Setting::Present(expire_untagged_after(14));
    let planned = plan_one(Some(desired), Some(live));
    assert_eq!(
        planned.changes[0].before.as_ref(),
        Some(expire_untagged_after(14).canonical())
    );
    assert_eq!(planned.changes[0].after, None);
}

/// A live registry with one owned and one foreign repository that the spec does not name.
fn leftovers(prune: bool) -> Plan {
    let mut owned = as_live(&managed_repo());
    owned.lifecycle_policy = Setting::Present(expire_untagged_after(7));
    owned.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"]));
    let mut foreign = owned.clone();
    foreign
        .tags
        .get_or_insert_default()
        .remove(OWNERSHIP_TAG_KEY);
    let desired = desired_state(ACCOUNT, prune, vec![(REPO, managed_repo())]);
    let live = vec![live_state(
        ACCOUNT,
        vec![
            (REPO, as_live(&managed_repo())),
            ("old/owned", owned),
            ("old/foreign", foreign),
        ],
    )];
    plan(&desired, &live)
}

#[test]
fn prune_deletes_only_owned_repositories_and_not_their_policies_separately() {
    let planned = leftovers(true);
    assert_eq!(
        outline(&planned),
        vec![(
            address(REGISTRY, "repository/old/owned"),
            Action::Delete,
            true,
            vec![
                field::IMAGE_TAG_MUTABILITY.to_owned(),
                field::IMAGE_TAG_MUTABILITY_EXCLUSIONS.to_owned(),
                field::SCAN_ON_PUSH.to_owned(),
                field::ENCRYPTION.to_owned(),
                field::TAGS.to_owned(),
            ],
        )]
    );
    assert_eq!(planned.changes[0].after, None);
    // The ownership tag, the reason the repository may be deleted, is part of what it was.
    assert_eq!(
        planned.changes[0].before.as_ref().map(|b| &b["tags"]),
        Some(&json!({"env": "prod", "team": "a", OWNERSHIP_TAG_KEY: OWNERSHIP_TAG_VALUE}))
    );
    let unmanaged: Vec<String> = planned.unmanaged.iter().map(ToString::to_string).collect();
    assert_eq!(unmanaged, vec![address(REGISTRY, "repository/old/foreign")]);
}

#[test]
fn without_prune_leftover_repositories_are_only_reported() {
    let planned = leftovers(false);
    assert!(planned.is_empty());
    let unmanaged: Vec<String> = planned.unmanaged.iter().map(ToString::to_string).collect();
    assert_eq!(
        unmanaged,
        vec![
            address(REGISTRY, "repository/old/foreign"),
            address(REGISTRY, "repository/old/owned")
        ]
    );
}

#[test]
fn a_missing_live_registry_counts_as_empty() {
    let desired = desired_state(ACCOUNT, true, vec![(REPO, managed_repo())]);
    let live = vec![live_state(
        OTHER_ACCOUNT,
        vec![("ignored/repo", as_live(&managed_repo()))],
    )];
    let planned = plan(&desired, &live);
    assert_eq!(
        planned
            .changes
            .iter()
            .map(|c| (c.address.to_string(), c.action))
            .collect::<Vec<_>>(),
        vec![(address(REGISTRY, "repository/team-a/api"), Action::Create)]
    );
    assert!(
        planned.unmanaged.is_empty(),
        "registries outside the spec are not reported"
    );
}

/// Two registries, each with a create, an update with policies, a replace and a prune.
fn mixed_inputs() -> (DesiredState, Vec<RegistryState>) {
    let mut updated = managed_repo();
    updated.scan_on_push = Some(false);
    updated.lifecycle_policy = Setting::Present(expire_untagged_after(7));
    let mut replaced = managed_repo();
    replaced.encryption = Some(Encryption {
        kind: EncryptionType::Kms,
        kms_key: None,
    });
    replaced.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"]));

    let desired_repos = || {
        vec![
            ("b/replaced", replaced.clone()),
            ("a/updated", updated.clone()),
            ("c/created", managed_repo()),
        ]
    };
    let live_repos = || {
        vec![
            ("a/updated", as_live(&managed_repo())),
            ("b/replaced", as_live(&managed_repo())),
            ("a/pruned", as_live(&managed_repo())),
            ("z/foreign", managed_repo()),
        ]
    };
    let desired = DesiredBuilder::new()
        .registry(RegistryBuilder::new(registry_in(OTHER_ACCOUNT)).repositories(desired_repos()))
        .prune(true)
        .registry(RegistryBuilder::new(registry_in(ACCOUNT)).repositories(desired_repos()))
        .prune(true)
        .build();
    let live = vec![
        live_state(OTHER_ACCOUNT, live_repos()),
        live_state(ACCOUNT, live_repos()),
    ];
    (desired, live)
}

#[test]
fn changes_come_in_apply_order_whatever_the_input_order() {
    let (desired, live) = mixed_inputs();
    let planned = plan(&desired, &live);

    let mut expected = Vec::new();
    for account in [ACCOUNT, OTHER_ACCOUNT] {
        let at = |kind: &str, name: &str| format!("{account}/{REGION}/{kind}/{name}");
        expected.extend([
            (at("repository", "a/updated"), Action::Update),
            (at("lifecycle_policy", "a/updated"), Action::Create),
            (at("repository", "b/replaced"), Action::Replace),
            (at("repository_policy", "b/replaced"), Action::Create),
            (at("repository", "c/created"), Action::Create),
            (at("repository", "a/pruned"), Action::Delete),
        ]);
    }
    let actual: Vec<(String, Action)> = planned
        .changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect();
    assert_eq!(actual, expected);
    let unmanaged: Vec<String> = planned.unmanaged.iter().map(ToString::to_string).collect();
    assert_eq!(
        unmanaged,
        vec![
            format!("{ACCOUNT}/{REGION}/repository/z/foreign"),
            format!("{OTHER_ACCOUNT}/{REGION}/repository/z/foreign"),
        ]
    );
    assert_eq!(
        planned.registries,
        [registry_in(ACCOUNT), registry_in(OTHER_ACCOUNT)],
        "every registry planned, in plan order"
    );

    let mut reversed_desired = desired;
    reversed_desired.registries.reverse();
    let mut reversed_live = live;
    reversed_live.reverse();
    assert_eq!(plan(&reversed_desired, &reversed_live), planned);
}

#[test]
fn summary_counts_every_action() {
    let (desired, live) = mixed_inputs();
    let planned = plan(&desired, &live);
    assert_eq!(
        planned.summary,
        Summary {
            create: 6,
            update: 2,
            delete: 2,
            replace: 2
        }
    );
    assert!(planned.changes.iter().any(|change| change.destructive));
}

#[test]
fn an_empty_spec_plans_nothing() {
    let planned = plan(
        &DesiredState::default(),
        &[live_state(ACCOUNT, vec![(REPO, managed_repo())])],
    );
    assert!(planned.is_empty());
    assert!(planned.unmanaged.is_empty());
    assert_eq!(planned.summary, Summary::default());
}

fn setting<T: std::fmt::Debug + Clone + 'static>(
    value: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Setting<T>> {
    prop_oneof![
        Just(Setting::Unmanaged),
        Just(Setting::Absent),
        value.prop_map(Setting::Present)
    ]
}

fn repository_state() -> impl Strategy<Value = RepositoryState> {
    let tag_key = prop_oneof![
        "[a-z]{1,6}",
        "aws:[a-z]{1,6}",
        Just(OWNERSHIP_TAG_KEY.to_owned()),
    ];
    let encryption = (
        prop::sample::select(EncryptionType::ALL.to_vec()),
        prop::option::of(prop_oneof![
            Just(KEY_ARN.to_owned()),
            Just("alias/ecr".to_owned())
        ]),
    )
        .prop_map(|(kind, kms_key)| Encryption { kind, kms_key });
    let lifecycle_policy = (1u32..400).prop_map(expire_untagged_after);
    let repository_policy = prop::sample::subsequence(
        vec![
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:ListImages",
        ],
        1..=3,
    )
    .prop_map(|actions| pull_policy(&actions));
    (
        prop::option::of(prop::sample::select(TagMutability::ALL.to_vec())),
        prop::option::of(prop::collection::vec("[a-z*-]{1,8}", 0..4)),
        prop::option::of(any::<bool>()),
        prop::option::of(encryption),
        prop::option::of(prop::collection::btree_map(tag_key, "[a-z0-9 ]{0,6}", 0..5)),
        setting(lifecycle_policy),
        setting(repository_policy),
    )
        .prop_map(
            |(mutability, exclusions, scan, encryption, tags, lifecycle, policy)| RepositoryState {
                image_tag_mutability: mutability,
                image_tag_mutability_exclusions: exclusions,
                scan_on_push: scan,
                encryption,
                tags,
                lifecycle_policy: lifecycle,
                repository_policy: policy,
                force_delete: false,
                image_count: None,
            },
        )
}

proptest! {
    #[test]
    fn a_state_planned_against_itself_is_empty(
        repositories in prop::collection::btree_map("[a-z]{2,5}(/[a-z]{2,5})?", repository_state(), 0..5),
        prune in any::<bool>(),
    ) {
        let repositories: Vec<(&str, RepositoryState)> =
            repositories.iter().map(|(name, repo)| (name.as_str(), repo.clone())).collect();
        let desired = desired_state(ACCOUNT, prune, repositories.clone());
        let live = vec![live_state(ACCOUNT, repositories)];
        let planned = plan(&desired, &live);
        prop_assert!(planned.is_empty(), "{:?}", planned.changes);
        prop_assert!(planned.unmanaged.is_empty());
        prop_assert_eq!(planned.summary, Summary::default());
    }
}

/// The calls of every change of a plan, in order, as `Operation repository` strings.
fn call_outline(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .flat_map(|c| c.calls.iter())
        .map(|call| match call.repository() {
            Some(repository) => format!("{} {repository}", call.operation()),
            None => call.operation().to_string(),
        })
        .collect()
}

#[test]
fn each_change_carries_the_minimal_calls_that_apply_it() {
    type Edit = fn(&mut RepositoryState);
    let cases: [(&str, Edit, &[&str]); 6] = [
        (
            "mutability",
            |r| r.image_tag_mutability = Some(TagMutability::Mutable),
            &["PutImageTagMutability team-a/api"],
        ),
        (
            "scan on push",
            |r| r.scan_on_push = Some(false),
            &["PutImageScanningConfiguration team-a/api"],
        ),
        (
            "tag value changed",
            |r| r.tags = Some(tags([("team", "b"), ("env", "prod")])),
            &["TagResource team-a/api"],
        ),
        (
            "tag removed",
            |r| r.tags = Some(tags([("team", "a")])),
            &["UntagResource team-a/api"],
        ),
        (
            "lifecycle added",
            |r| r.lifecycle_policy = Setting::Present(expire_untagged_after(7)),
            &["PutLifecyclePolicy team-a/api"],
        ),
        (
            "policy added",
            |r| r.repository_policy = Setting::Present(pull_policy(&["ecr:*"])),
            &["SetRepositoryPolicy team-a/api"],
        ),
    ];
    for (name, edit, expected) in cases {
        let mut desired = managed_repo();
        edit(&mut desired);
        let plan = plan_one(Some(desired), Some(as_live(&managed_repo())));
        assert_eq!(call_outline(&plan), *expected, "{name}");
    }
}

#[test]
fn tag_calls_touch_only_the_differing_user_keys() {
    let mut desired = managed_repo();
    desired.tags = Some(tags([("team", "b"), ("cost", "x")]));
    let plan = plan_one(Some(desired), Some(as_live(&managed_repo())));
    let calls = &plan.changes[0].calls;
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[0],
        crate::ApiCall::TagResource {
            repository: name(REPO),
            tags: tags([("cost", "x"), ("team", "b")]),
        }
    );
    // The ownership tag and aws: keys that live state holds are never removed.
    assert_eq!(
        calls[1],
        crate::ApiCall::UntagResource {
            repository: name(REPO),
            keys: vec!["env".to_owned()]
        }
    );
}

#[test]
fn a_create_is_one_call_with_every_setting_and_the_ownership_tag() {
    let plan = plan_one(Some(managed_repo()), None);
    let crate::ApiCall::CreateRepository {
        tags: created,
        image_tag_mutability,
        scan_on_push,
        ..
    } = &plan.changes[0].calls[0]
    else {
        panic!("{:?}", plan.changes[0].calls);
    };
    assert_eq!(plan.changes[0].calls.len(), 1);
    assert_eq!(*image_tag_mutability, Some(TagMutability::Immutable));
    assert_eq!(*scan_on_push, Some(true));
    assert_eq!(
        created.get(OWNERSHIP_TAG_KEY).map(String::as_str),
        Some(OWNERSHIP_TAG_VALUE)
    );
    assert_eq!(created.get("team").map(String::as_str), Some("a"));
}

#[test]
fn a_replace_deletes_with_the_specs_force_flag_then_creates() {
    let mut desired = managed_repo();
    desired.encryption = Some(Encryption {
        kind: EncryptionType::Kms,
        kms_key: None,
    });
    desired.force_delete = true;
    let plan = plan_one(Some(desired), Some(as_live(&managed_repo())));
    assert_eq!(
        call_outline(&plan),
        ["DeleteRepository team-a/api", "CreateRepository team-a/api"]
    );
    assert_eq!(
        plan.changes[0].calls[0],
        crate::ApiCall::DeleteRepository {
            repository: name(REPO),
            force: true
        }
    );
}

#[test]
fn a_replace_says_why_it_cannot_change_in_place() {
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let kms = |key: Option<&str>| Encryption {
        kind: EncryptionType::Kms,
        kms_key: key.map(str::to_owned),
    };
    let cases = [
        (
            kms(Some(key)),
            Encryption::aes256(),
            format!("encryption AES256 -> KMS ({key})"),
        ),
        (
            kms(None),
            Encryption::aes256(),
            "encryption AES256 -> KMS (the AWS managed key)".to_owned(),
        ),
        (
            Encryption::aes256(),
            kms(Some(key)),
            format!("encryption KMS ({key}) -> AES256"),
        ),
    ];
    for (want, have, reason) in cases {
        let mut desired = managed_repo();
        desired.encryption = Some(want);
        let mut live = as_live(&managed_repo());
        live.encryption = Some(have);
        let plan = plan_one(Some(desired), Some(live));
        assert_eq!(plan.changes[0].action, Action::Replace);
        assert_eq!(
            plan.changes[0].replace_reason.as_deref(),
            Some(reason.as_str())
        );
    }
    let update = plan_one(
        Some(managed_repo()),
        Some(as_live(&RepositoryState {
            image_tag_mutability: Some(TagMutability::Mutable),
            ..managed_repo()
        })),
    );
    assert!(update.changes.iter().all(|c| c.replace_reason.is_none()));
}

#[test]
fn keys_compare_as_kms_resolved_them_so_a_rotated_alias_is_a_replace() {
    let key_a = "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-12ab-34cd-56ef-1234567890ab";
    let key_b = "arn:aws:kms:us-east-1:123456789012:key/bbbbbbbb-12ab-34cd-56ef-1234567890ab";
    let kms = |key: Option<&str>| Encryption {
        kind: EncryptionType::Kms,
        kms_key: key.map(str::to_owned),
    };
    let plan_with_keys = |want: Encryption, keys: &[(&str, Option<&str>)]| {
        let mut desired = managed_repo();
        desired.encryption = Some(want);
        let mut live_repository = as_live(&managed_repo());
        live_repository.encryption = Some(kms(Some(key_a)));
        let mut live = live_state(ACCOUNT, vec![(REPO, live_repository)]);
        live.kms_keys = keys
            .iter()
            .map(|(reference, arn)| ((*reference).to_owned(), arn.map(str::to_owned)))
            .collect();
        plan(
            &desired_state(ACCOUNT, false, vec![(REPO, desired)]),
            &[live],
        )
    };
    let same = plan_with_keys(kms(Some("alias/a")), &[("alias/a", Some(key_a))]);
    assert!(same.is_empty(), "{:?}", outline(&same));
    let rotated = plan_with_keys(kms(Some("alias/b")), &[("alias/b", Some(key_b))]);
    assert_eq!(rotated.changes[0].action, Action::Replace);
    assert_eq!(
        rotated.changes[0].replace_reason.as_deref(),
        Some(format!("encryption KMS ({key_a}) -> KMS ({key_b}, from alias/b)").as_str())
    );
    let managed = plan_with_keys(kms(None), &[("alias/aws/ecr", Some(key_b))]);
    assert_eq!(
        managed.changes[0].action,
        Action::Replace,
        "a customer key does not satisfy the AWS managed key"
    );
    // Without what KMS says (no permission), the old comparison by name decides.
    let unresolved = plan_with_keys(kms(Some("alias/b")), &[]);
    assert!(unresolved.is_empty(), "{:?}", outline(&unresolved));
}

#[test]
fn a_policy_set_to_absent_is_deleted_by_its_own_call() {
    let mut live = as_live(&managed_repo());
    live.lifecycle_policy = Setting::Present(expire_untagged_after(7));
    live.repository_policy = Setting::Present(pull_policy(&["ecr:*"]));
    let plan = plan_one(Some(managed_repo()), Some(live));
    assert_eq!(
        call_outline(&plan),
        [
            "DeleteLifecyclePolicy team-a/api",
            "DeleteRepositoryPolicy team-a/api"
        ]
    );
}

/// Regression: a replace recreated the repository from the spec alone, so tags, mutability
/// and policies the spec does not manage were lost without the plan saying so.
#[test]
fn a_replace_keeps_what_the_spec_does_not_manage() {
    let desired = RepositoryBuilder::new()
        .encryption(Encryption {
            kind: EncryptionType::Kms,
            kms_key: None,
        })
        .build();
    let mut live = as_live(&managed_repo());
    live.repository_policy = Setting::Present(pull_policy(&["ecr:BatchGetImage"]));
    live.lifecycle_policy = Setting::Present(expire_untagged_after(7));
    let plan = plan_one(Some(desired), Some(live));
    assert_eq!(
        call_outline(&plan),
        [
            "DeleteRepository team-a/api",
            "CreateRepository team-a/api",
            "PutLifecyclePolicy team-a/api",
            "SetRepositoryPolicy team-a/api"
        ]
    );
    let crate::ApiCall::CreateRepository {
        image_tag_mutability,
        scan_on_push,
        tags: created,
        ..
    } = &plan.changes[0].calls[1]
    else {
        panic!("{:?}", plan.changes[0].calls);
    };
    assert_eq!(*image_tag_mutability, Some(TagMutability::Immutable));
    assert_eq!(*scan_on_push, Some(true));
    assert_eq!(created.get("team").map(String::as_str), Some("a"));
    assert_eq!(created.get("env").map(String::as_str), Some("prod"));
}

/// A repository that a replace deleted and did not create again: the create restores what
/// the recovery record kept of it and the spec does not manage, and says so.
#[test]
fn a_repository_an_interrupted_replace_deleted_is_created_with_what_the_record_kept() {
    let policy = pull_policy(&["ecr:BatchGetImage"]);
    let want = RepositoryBuilder::new()
        .mutability(TagMutability::Immutable)
        .no_exclusions()
        .encryption(Encryption {
            kind: EncryptionType::Kms,
            kms_key: Some(KEY_ARN.to_owned()),
        })
        .build();
    let desired = DesiredBuilder::new()
        .registry(RegistryBuilder::new(registry_in(ACCOUNT)).repository(REPO, want.clone()))
        .build();
    let old = as_live(
        &RepositoryBuilder::new()
            .mutability(TagMutability::Immutable)
            .no_exclusions()
            .encryption(Encryption::aes256())
            .tags([("team", "a")])
            .lifecycle_policy(expire_untagged_after(3))
            .repository_policy(policy.clone())
            .build(),
    );
    let mut live = RegistryState::empty(registry_in(ACCOUNT));

    let plain = plan(&desired, std::slice::from_ref(&live));
    assert_eq!(plain.changes.len(), 1);
    assert_eq!(plain.changes[0].calls.len(), 1, "a plain create");
    assert_eq!(plain.changes[0].restores, None);

    live.interrupted.insert(name(REPO), old);
    let restoring = plan(&desired, &[live]);
    assert_eq!(restoring.changes.len(), 1, "{:?}", restoring.changes);
    let change = &restoring.changes[0];
    assert_eq!(change.action, Action::Create);
    assert_eq!(
        change.restores.as_deref(),
        Some(
            "what an interrupted replace deleted, from the recovery record: tags, lifecycle \
             policy, repository policy"
        )
    );
    let operations: Vec<_> = change.calls.iter().map(crate::ApiCall::operation).collect();
    assert_eq!(
        operations,
        [
            ecrform_model::Operation::CreateRepository,
            ecrform_model::Operation::PutLifecyclePolicy,
            ecrform_model::Operation::SetRepositoryPolicy,
        ]
    );
    let crate::ApiCall::CreateRepository {
        tags, encryption, ..
    } = &change.calls[0]
    else {
        unreachable!()
    };
    assert_eq!(tags.get("team").map(String::as_str), Some("a"));
    assert_eq!(
        encryption.as_ref(),
        want.encryption.as_ref(),
        "the spec's new key"
    );
}

/// A live repository carrying the ownership tag of `owner`.
fn owned_by(owner: &str) -> RepositoryState {
    let mut repository = as_live(&managed_repo());
    repository
        .tags
        .get_or_insert_default()
        .insert(OWNERSHIP_TAG_KEY.to_owned(), owner.to_owned());
    repository
}

/// The registry of a spec with this owner id (`None`: none declared) that prunes, holding
/// `REPO` and a repository left by each of `team-a`, `team-b` and the legacy owner.
fn shared_registry(owner: Option<&str>) -> Plan {
    let mut builder = DesiredBuilder::new()
        .registry(RegistryBuilder::new(registry_in(ACCOUNT)).repository(REPO, managed_repo()))
        .prune(true);
    if let Some(owner) = owner {
        builder = builder.owner(owner);
    }
    let live = live_state(
        ACCOUNT,
        vec![
            (REPO, owned_by(owner.unwrap_or(OWNERSHIP_TAG_VALUE))),
            ("left/a", owned_by("team-a")),
            ("left/b", owned_by("team-b")),
            ("left/legacy", owned_by(OWNERSHIP_TAG_VALUE)),
        ],
    );
    plan(&builder.build(), &[live])
}

fn owned_elsewhere(plan: &Plan) -> Vec<(String, String)> {
    plan.owned_elsewhere
        .iter()
        .map(|owned| (owned.address.to_string(), owned.owner.clone()))
        .collect()
}

#[test]
fn prune_deletes_only_what_the_specs_own_owner_created() {
    let team_a = shared_registry(Some("team-a"));
    assert_eq!(
        outline(&team_a)
            .into_iter()
            .map(|(address, action, ..)| (address, action))
            .collect::<Vec<_>>(),
        [(address(REGISTRY, "repository/left/a"), Action::Delete)]
    );
    assert_eq!(
        team_a.changes[0]
            .before
            .as_ref()
            .map(|b| &b["tags"][OWNERSHIP_TAG_KEY]),
        Some(&json!("team-a"))
    );
    assert_eq!(
        owned_elsewhere(&team_a),
        [
            (address(REGISTRY, "repository/left/b"), "team-b".to_owned()),
            (
                address(REGISTRY, "repository/left/legacy"),
                "true".to_owned()
            ),
        ]
    );
    assert!(team_a.unmanaged.is_empty(), "{:?}", team_a.unmanaged);

    // A spec without an owner id is the legacy owner: it prunes what `true` marks.
    let legacy = shared_registry(None);
    let deleted: Vec<String> = legacy
        .changes
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    assert_eq!(deleted, [address(REGISTRY, "repository/left/legacy")]);
    assert_eq!(
        owned_elsewhere(&legacy),
        [
            (address(REGISTRY, "repository/left/a"), "team-a".to_owned()),
            (address(REGISTRY, "repository/left/b"), "team-b".to_owned()),
        ]
    );
}

#[test]
fn a_created_repository_carries_the_specs_owner_id() {
    let desired = DesiredBuilder::new()
        .registry(RegistryBuilder::new(registry_in(ACCOUNT)).repository(REPO, managed_repo()))
        .owner("team-a")
        .build();
    let planned = plan(&desired, &[live_state(ACCOUNT, vec![])]);
    let crate::ApiCall::CreateRepository { tags, .. } = &planned.changes[0].calls[0] else {
        panic!("{:?}", planned.changes[0].calls)
    };
    assert_eq!(
        tags.get(OWNERSHIP_TAG_KEY).map(String::as_str),
        Some("team-a")
    );
    assert_eq!(
        planned.changes[0]
            .after
            .as_ref()
            .map(|a| &a["tags"][OWNERSHIP_TAG_KEY]),
        Some(&json!("team-a"))
    );
}

/// A spec that declares an owner id takes over the repositories of its own that the legacy
/// owner created: the `owner` field, in the update's one TagResource.
#[test]
fn declaring_an_owner_moves_the_specs_legacy_repositories_to_it() {
    let mut want = managed_repo();
    want.tags = Some(tags([("team", "a"), ("env", "staging")]));
    let desired = DesiredBuilder::new()
        .registry(
            RegistryBuilder::new(registry_in(ACCOUNT))
                .repository(REPO, want)
                .repository("same/tags", managed_repo())
                .repository("other/team", managed_repo()),
        )
        .owner("team-a")
        .build();
    let live = live_state(
        ACCOUNT,
        vec![
            (REPO, owned_by(OWNERSHIP_TAG_VALUE)),
            ("same/tags", owned_by(OWNERSHIP_TAG_VALUE)),
            ("other/team", owned_by("team-b")),
        ],
    );
    let planned = plan(&desired, std::slice::from_ref(&live));
    let summary: Vec<(String, Vec<String>, Vec<crate::ApiCall>)> = planned
        .changes
        .iter()
        .map(|c| (c.address.to_string(), c.fields.clone(), c.calls.clone()))
        .collect();
    let tag_call = |pairs: &[(&str, &str)], repository: &str| crate::ApiCall::TagResource {
        repository: name(repository),
        tags: tags(pairs.iter().copied()),
    };
    assert_eq!(
        summary,
        [
            (
                address(REGISTRY, "repository/same/tags"),
                vec![field::OWNER.to_owned()],
                vec![tag_call(&[(OWNERSHIP_TAG_KEY, "team-a")], "same/tags")],
            ),
            (
                address(REGISTRY, "repository/team-a/api"),
                vec![field::TAGS.to_owned(), field::OWNER.to_owned()],
                vec![tag_call(
                    &[("env", "staging"), (OWNERSHIP_TAG_KEY, "team-a")],
                    REPO
                )],
            ),
        ],
        "team-b's repository is not taken over"
    );
    let change = &planned.changes[0];
    assert_eq!(
        change.before.as_ref().map(|b| &b["owner"]),
        Some(&json!("true"))
    );
    assert_eq!(
        change.after.as_ref().map(|a| &a["owner"]),
        Some(&json!("team-a"))
    );
    // A saved plan notices an owner changed since planning.
    assert_eq!(super::observe(change, &live), change.before);
    let mut retagged = live.clone();
    retagged
        .repositories
        .insert(name("same/tags"), owned_by("team-c"));
    assert_ne!(super::observe(change, &retagged), change.before);
}
