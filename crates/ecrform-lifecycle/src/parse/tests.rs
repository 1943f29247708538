//! Tests of lifecycle policy validation: the user guide's policies and each feature ECR
//! accepts, one rejected document per rule ECR enforces (with its exact path and message),
//! and properties that hold for any JSON at all.

use ecrform_model::{DocumentError, PathSegment};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::parse;
use crate::rule::{
    CountCriterion, LifecyclePolicyRules, Rule, RuleAction, Selection, StorageClass, TagStatus,
};
use crate::validate;

/// A path written as a JSON pointer; numeric segments are array indexes (no key in a lifecycle
/// policy is a number).
fn path(pointer: &str) -> Vec<PathSegment> {
    pointer
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.parse::<usize>() {
            Ok(index) => PathSegment::Index(index),
            Err(_) => PathSegment::Key(segment.to_owned()),
        })
        .collect()
}

/// Errors as (JSON pointer, message) pairs, in the order they are reported.
type ExpectedErrors = &'static [(&'static str, &'static str)];

fn expected(errors: &[(&str, &str)]) -> Vec<DocumentError> {
    errors
        .iter()
        .map(|(pointer, message)| DocumentError::new(path(pointer), *message))
        .collect()
}

/// Sets the value at a pointer whose parent exists (an object key or an existing index).
fn set(mut document: Value, pointer: &str, value: Value) -> Value {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer has a parent");
    match document.pointer_mut(parent).expect("parent exists") {
        Value::Object(object) => {
            object.insert(last.to_owned(), value);
        }
        Value::Array(array) => array[last.parse::<usize>().expect("index")] = value,
        _ => panic!("parent of {pointer} is not a container"),
    }
    document
}

fn remove(mut document: Value, pointer: &str) -> Value {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer has a parent");
    document
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent is an object")
        .remove(last)
        .expect("key exists");
    document
}

fn policy(rules: Vec<Value>) -> Value {
    json!({ "rules": rules })
}

fn untagged_count(priority: u32) -> Value {
    json!({
        "rulePriority": priority,
        "description": "Keep only one untagged image, expire all others",
        "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"}
    })
}

fn untagged_age(priority: u32) -> Value {
    json!({
        "rulePriority": priority,
        "description": "Expire images older than 14 days",
        "selection": {
            "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
            "countNumber": 14
        },
        "action": {"type": "expire"}
    })
}

fn tagged_prefixes(priority: u32, prefixes: &[&str]) -> Value {
    json!({
        "rulePriority": priority,
        "description": "Keep the newest tagged image",
        "selection": {
            "tagStatus": "tagged", "tagPrefixList": prefixes, "countType": "imageCountMoreThan",
            "countNumber": 1
        },
        "action": {"type": "expire"}
    })
}

fn tagged_patterns(priority: u32, patterns: &[&str]) -> Value {
    json!({
        "rulePriority": priority,
        "description": "Expire images older than 14 days",
        "selection": {
            "tagStatus": "tagged", "tagPatternList": patterns, "countType": "sinceImagePushed",
            "countUnit": "days", "countNumber": 14
        },
        "action": {"type": "expire"}
    })
}

fn any_count(priority: u32) -> Value {
    json!({
        "rulePriority": priority,
        "description": "Keep at most 100 images of any kind",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100},
        "action": {"type": "expire"}
    })
}

fn archive_unpulled(priority: u32) -> Value {
    json!({
        "rulePriority": priority,
        "description": "Archive images not pulled for 30 days",
        "selection": {
            "tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days",
            "countNumber": 30
        },
        "action": {"type": "transition", "targetStorageClass": "archive"}
    })
}

fn expire_archived(priority: u32) -> Value {
    json!({
        "rulePriority": priority,
        "description": "Expire images archived for 90 days",
        "selection": {
            "tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned",
            "countUnit": "days", "countNumber": 90
        },
        "action": {"type": "expire"}
    })
}

/// Chaining for test data built in one expression.
trait Pipe: Sized {
    fn pipe(self, f: impl FnOnce(Self) -> Self) -> Self {
        f(self)
    }
}
impl Pipe for Value {}

#[test]
fn policies_ecr_accepts_have_no_errors() {
    let many_rules: Vec<Value> = (1..=50)
        .map(|n| tagged_prefixes(n, &[&format!("team-{n}")]))
        .collect();
    let cases: Vec<(&str, Value)> = vec![
        (
            "user guide: expire untagged images older than 14 days",
            policy(vec![untagged_age(1)]),
        ),
        (
            "user guide: keep only one untagged image",
            policy(vec![untagged_count(1)]),
        ),
        (
            "tag prefix list",
            policy(vec![tagged_prefixes(1, &["prod"])]),
        ),
        (
            "tag pattern list",
            policy(vec![tagged_patterns(1, &["prod*"])]),
        ),
        (
            "user guide: multiple rules with distinct prefixes",
            policy(vec![
                tagged_prefixes(1, &["prod"]),
                tagged_prefixes(2, &["beta"]),
            ]),
        ),
        (
            "several prefixes in one rule",
            policy(vec![tagged_prefixes(1, &["alpha", "beta"])]),
        ),
        (
            "overlapping but different prefix lists",
            policy(vec![
                tagged_prefixes(1, &["prod"]),
                tagged_prefixes(2, &["prod", "beta"]),
            ]),
        ),
        (
            "pattern with exactly four wildcards",
            policy(vec![tagged_patterns(1, &["*test*1*2*3"])]),
        ),
        (
            "archive transition after no pulls",
            policy(vec![archive_unpulled(1)]),
        ),
        (
            "expire archived images after 90 days",
            policy(vec![expire_archived(1)]),
        ),
        (
            "transition with an image count",
            policy(vec![set(
                set(untagged_count(1), "/action/type", json!("transition")),
                "/action/targetStorageClass",
                json!("archive"),
            )]),
        ),
        (
            "transition with push age",
            policy(vec![set(
                untagged_age(1),
                "/action",
                json!({"type": "transition", "targetStorageClass": "archive"}),
            )]),
        ),
        (
            "explicit standard storage class",
            policy(vec![set(
                untagged_count(1),
                "/selection/storageClass",
                json!("standard"),
            )]),
        ),
        (
            "non-sequential priorities with any last",
            policy(vec![
                tagged_prefixes(10, &["prod"]),
                untagged_count(1),
                any_count(100),
            ]),
        ),
        (
            "rules written out of priority order",
            policy(vec![
                any_count(3),
                untagged_age(2),
                tagged_patterns(1, &["release-*"]),
            ]),
        ),
        (
            "one untagged rule per storage class",
            policy(vec![
                untagged_count(1),
                set(
                    set(untagged_age(2), "/selection/storageClass", json!("archive")),
                    "/selection/countType",
                    json!("sinceImageTransitioned"),
                )
                .pipe(|rule| set(rule, "/selection/countNumber", json!(180))),
            ]),
        ),
        (
            "the same prefixes in different storage classes",
            policy(vec![
                archive_unpulled(9),
                tagged_prefixes(1, &["prod"]),
                set(
                    set(
                        set(
                            tagged_prefixes(2, &["prod"]),
                            "/selection/storageClass",
                            json!("archive"),
                        ),
                        "/selection/countType",
                        json!("sinceImageTransitioned"),
                    ),
                    "/selection/countNumber",
                    json!(365),
                )
                .pipe(|rule| set(rule, "/selection/countUnit", json!("days"))),
            ]),
        ),
        (
            "any is last only within its own storage class",
            policy(vec![
                expire_archived(1),
                untagged_count(2),
                archive_unpulled(3),
            ]),
        ),
        ("fifty rules", policy(many_rules)),
        (
            "description may be empty",
            policy(vec![set(untagged_count(1), "/description", json!(""))]),
        ),
        (
            "no description",
            policy(vec![remove(untagged_count(1), "/description")]),
        ),
        (
            "largest priority ECR reads",
            policy(vec![set(
                untagged_count(1),
                "/rulePriority",
                json!(2_147_483_647),
            )]),
        ),
    ];
    for (name, document) in cases {
        assert_eq!(validate(&document), Vec::new(), "{name}");
        assert!(parse(&document).is_ok(), "{name}");
    }
}

#[test]
fn parse_builds_the_typed_rules_in_priority_order() {
    let archive_tagged = set(
        set(
            archive_unpulled(20),
            "/selection/tagStatus",
            json!("tagged"),
        ),
        "/selection/tagPatternList",
        json!(["*"]),
    );
    let document = policy(vec![
        any_count(30),
        archive_tagged,
        expire_archived(25),
        tagged_patterns(2, &["prod*", "*-stable"]),
        remove(tagged_prefixes(1, &["prod"]), "/description"),
    ]);
    let selection =
        |tag_status, prefixes: &[&str], patterns: &[&str], storage_class, count| Selection {
            tag_status,
            tag_prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
            tag_patterns: patterns.iter().map(|s| s.to_string()).collect(),
            storage_class,
            count,
        };
    let expected = LifecyclePolicyRules {
        rules: vec![
            Rule {
                priority: 1,
                description: None,
                selection: selection(
                    TagStatus::Tagged,
                    &["prod"],
                    &[],
                    StorageClass::Standard,
                    CountCriterion::ImageCountMoreThan(1),
                ),
                action: RuleAction::Expire,
            },
            Rule {
                priority: 2,
                description: Some("Expire images older than 14 days".to_owned()),
                selection: selection(
                    TagStatus::Tagged,
                    &[],
                    &["prod*", "*-stable"],
                    StorageClass::Standard,
                    CountCriterion::SinceImagePushed { days: 14 },
                ),
                action: RuleAction::Expire,
            },
            Rule {
                priority: 20,
                description: Some("Archive images not pulled for 30 days".to_owned()),
                selection: selection(
                    TagStatus::Tagged,
                    &[],
                    &["*"],
                    StorageClass::Standard,
                    CountCriterion::SinceImagePulled { days: 30 },
                ),
                action: RuleAction::Transition {
                    target: StorageClass::Archive,
                },
            },
            Rule {
                priority: 25,
                description: Some("Expire images archived for 90 days".to_owned()),
                selection: selection(
                    TagStatus::Any,
                    &[],
                    &[],
                    StorageClass::Archive,
                    CountCriterion::SinceImageTransitioned { days: 90 },
                ),
                action: RuleAction::Expire,
            },
            Rule {
                priority: 30,
                description: Some("Keep at most 100 images of any kind".to_owned()),
                selection: selection(
                    TagStatus::Any,
                    &[],
                    &[],
                    StorageClass::Standard,
                    CountCriterion::ImageCountMoreThan(100),
                ),
                action: RuleAction::Expire,
            },
        ],
    };
    assert_eq!(parse(&document), Ok(expected));
}

#[test]
fn policies_ecr_rejects_report_each_problem_at_its_node() {
    let fifty_one: Vec<Value> = (1..=51)
        .map(|n| tagged_prefixes(n, &[&format!("team-{n}")]))
        .collect();
    let cases: Vec<(&str, Value, ExpectedErrors)> = vec![
        // The document as a whole.
        (
            "document that is not an object",
            json!([untagged_count(1), untagged_count(2), untagged_count(3)]),
            &[(
                "",
                "a lifecycle policy must be a JSON object with a rules array, not an array",
            )],
        ),
        (
            "document without rules",
            json!({"Rules": [untagged_count(1)]}),
            &[
                (
                    "/Rules",
                    "unknown key \"Rules\" in the policy; did you mean \"rules\"?",
                ),
                ("", "a lifecycle policy needs a rules array"),
            ],
        ),
        (
            "unknown top-level key",
            set(policy(vec![untagged_count(1)]), "/version", json!(1)),
            &[(
                "/version",
                "unknown key \"version\" in the policy; expected one of rules",
            )],
        ),
        (
            "rules that are not an array",
            json!({"rules": untagged_count(1)}),
            &[("/rules", "rules must be an array of rules, not an object")],
        ),
        (
            "empty rules, also below the length floor",
            json!({"rules": []}),
            &[
                ("/rules", "rules must contain at least one rule"),
                (
                    "",
                    "the policy is 12 characters long when minified; ECR accepts 100 to 30720",
                ),
            ],
        ),
        (
            "more than fifty rules",
            policy(fifty_one),
            &[(
                "/rules",
                "a lifecycle policy may have at most 50 rules, not 51",
            )],
        ),
        (
            "policy longer than ECR accepts",
            policy(vec![set(
                untagged_count(1),
                "/description",
                json!("x".repeat(30_720)),
            )]),
            &[(
                "",
                "the policy is 30880 characters long when minified; ECR accepts 100 to 30720",
            )],
        ),
        // One rule's own keys.
        (
            "rule that is not an object",
            policy(vec![untagged_count(1), json!("expire everything")]),
            &[(
                "/rules/1",
                "rule at index 1 must be an object, not \"expire everything\"",
            )],
        ),
        (
            "missing rulePriority",
            policy(vec![remove(untagged_count(1), "/rulePriority")]),
            &[("/rules/0", "rule at index 0: rulePriority is required")],
        ),
        (
            "zero rulePriority",
            policy(vec![set(untagged_count(1), "/rulePriority", json!(0))]),
            &[(
                "/rules/0/rulePriority",
                "rule at index 0: rulePriority must be at least 1, not 0",
            )],
        ),
        (
            "negative rulePriority",
            policy(vec![set(untagged_count(1), "/rulePriority", json!(-3))]),
            &[(
                "/rules/0/rulePriority",
                "rule at index 0: rulePriority must be at least 1, not -3",
            )],
        ),
        (
            "fractional rulePriority",
            policy(vec![set(untagged_count(1), "/rulePriority", json!(1.5))]),
            &[(
                "/rules/0/rulePriority",
                "rule at index 0: rulePriority must be a whole number, not 1.5",
            )],
        ),
        (
            "rulePriority written as a string",
            policy(vec![set(untagged_count(1), "/rulePriority", json!("1"))]),
            &[(
                "/rules/0/rulePriority",
                "rule at index 0: rulePriority must be a whole number, not \"1\"",
            )],
        ),
        (
            "rulePriority beyond a 32-bit integer",
            policy(vec![set(
                untagged_count(1),
                "/rulePriority",
                json!(2_147_483_648_u64),
            )]),
            &[(
                "/rules/0/rulePriority",
                "rule at index 0: rulePriority must be at most 2147483647, not 2147483648",
            )],
        ),
        (
            "duplicate rulePriority",
            policy(vec![
                tagged_prefixes(1, &["prod"]),
                tagged_prefixes(1, &["beta"]),
            ]),
            &[(
                "/rules/1/rulePriority",
                "rules at index 0 and 1 both have rulePriority 1; priorities must be unique",
            )],
        ),
        (
            "misspelled rule key",
            policy(vec![set(
                remove(untagged_count(1), "/description"),
                "/descripton",
                json!("x"),
            )]),
            &[(
                "/rules/0/descripton",
                "rule 1: unknown key \"descripton\" in the rule; did you mean \"description\"?",
            )],
        ),
        (
            "unknown rule key",
            policy(vec![set(untagged_count(1), "/enabled", json!(true))]),
            &[(
                "/rules/0/enabled",
                "rule 1: unknown key \"enabled\" in the rule; expected one of rulePriority, description, selection, action",
            )],
        ),
        (
            "null description",
            policy(vec![set(untagged_count(1), "/description", Value::Null)]),
            &[(
                "/rules/0/description",
                "rule 1: description must not be null; leave the key out instead",
            )],
        ),
        (
            "description that is not a string",
            policy(vec![set(
                untagged_count(1),
                "/description",
                json!(["a", "b"]),
            )]),
            &[(
                "/rules/0/description",
                "rule 1: description must be a string, not an array",
            )],
        ),
        (
            "missing selection",
            policy(vec![set(
                remove(untagged_count(1), "/selection"),
                "/description",
                json!("x".repeat(60)),
            )]),
            &[("/rules/0", "rule 1: selection is required")],
        ),
        (
            "selection that is not an object",
            policy(vec![set(
                untagged_count(1),
                "/selection",
                json!("untagged images older than two weeks"),
            )]),
            &[(
                "/rules/0/selection",
                "rule 1: selection must be an object, not \"untagged images older than two weeks\"",
            )],
        ),
        (
            "missing action",
            policy(vec![remove(untagged_count(1), "/action")]),
            &[("/rules/0", "rule 1: action is required")],
        ),
        (
            "action that is not an object",
            policy(vec![set(untagged_count(1), "/action", json!("expire"))]),
            &[(
                "/rules/0/action",
                "rule 1: action must be an object, not \"expire\"",
            )],
        ),
        // Selection.
        (
            "missing tagStatus",
            policy(vec![remove(untagged_count(1), "/selection/tagStatus")]),
            &[("/rules/0/selection", "rule 1: tagStatus is required")],
        ),
        (
            "tagStatus in the wrong case",
            policy(vec![set(
                untagged_count(1),
                "/selection/tagStatus",
                json!("UNTAGGED"),
            )]),
            &[(
                "/rules/0/selection/tagStatus",
                "rule 1: tagStatus must be tagged, untagged or any, not \"UNTAGGED\"",
            )],
        ),
        (
            "null tagStatus",
            policy(vec![set(
                untagged_count(1),
                "/selection/tagStatus",
                Value::Null,
            )]),
            &[(
                "/rules/0/selection/tagStatus",
                "rule 1: tagStatus must be tagged, untagged or any, not null",
            )],
        ),
        (
            "tagged without a tag list",
            policy(vec![remove(
                tagged_prefixes(1, &["prod"]),
                "/selection/tagPrefixList",
            )]),
            &[(
                "/rules/0/selection",
                "rule 1: tagStatus tagged needs a tagPrefixList or a tagPatternList",
            )],
        ),
        (
            "tagged with both tag lists",
            policy(vec![set(
                tagged_prefixes(1, &["prod"]),
                "/selection/tagPatternList",
                json!(["prod*"]),
            )]),
            &[(
                "/rules/0/selection/tagPatternList",
                "rule 1: tagPrefixList and tagPatternList cannot be used together; keep one",
            )],
        ),
        (
            "empty tagPrefixList",
            policy(vec![tagged_prefixes(1, &[])]),
            &[(
                "/rules/0/selection/tagPrefixList",
                "rule 1: tagPrefixList must not be empty",
            )],
        ),
        (
            "empty tagPatternList",
            policy(vec![tagged_patterns(1, &[])]),
            &[(
                "/rules/0/selection/tagPatternList",
                "rule 1: tagPatternList must not be empty",
            )],
        ),
        (
            "tagPrefixList that is a string",
            policy(vec![set(
                tagged_prefixes(1, &[]),
                "/selection/tagPrefixList",
                json!("prod"),
            )]),
            &[(
                "/rules/0/selection/tagPrefixList",
                "rule 1: tagPrefixList must be an array of strings, not \"prod\"",
            )],
        ),
        (
            "tagPrefixList entry that is not a string",
            policy(vec![set(
                tagged_prefixes(1, &[]),
                "/selection/tagPrefixList",
                json!(["prod", 2]),
            )]),
            &[(
                "/rules/0/selection/tagPrefixList/1",
                "rule 1: tagPrefixList entries must be strings, not 2",
            )],
        ),
        (
            "null tagPrefixList beside a pattern list",
            policy(vec![set(
                tagged_patterns(1, &["prod*"]),
                "/selection/tagPrefixList",
                Value::Null,
            )]),
            &[(
                "/rules/0/selection/tagPrefixList",
                "rule 1: tagPrefixList must not be null; leave the key out instead",
            )],
        ),
        (
            "untagged with a tagPrefixList",
            policy(vec![set(
                untagged_count(1),
                "/selection/tagPrefixList",
                json!(["prod"]),
            )]),
            &[(
                "/rules/0/selection/tagPrefixList",
                "rule 1: tagPrefixList is only allowed with tagStatus tagged, not untagged",
            )],
        ),
        (
            "any with a tagPatternList",
            policy(vec![set(
                any_count(1),
                "/selection/tagPatternList",
                json!(["prod*"]),
            )]),
            &[(
                "/rules/0/selection/tagPatternList",
                "rule 1: tagPatternList is only allowed with tagStatus tagged, not any",
            )],
        ),
        (
            "pattern with five wildcards",
            policy(vec![tagged_patterns(1, &["prod*", "test*1*2*3*4*"])]),
            &[(
                "/rules/0/selection/tagPatternList/1",
                "rule 1: tag pattern \"test*1*2*3*4*\" has 5 wildcards; at most 4 are allowed",
            )],
        ),
        (
            "unknown storageClass",
            policy(vec![set(
                untagged_count(1),
                "/selection/storageClass",
                json!("glacier"),
            )]),
            &[(
                "/rules/0/selection/storageClass",
                "rule 1: storageClass must be standard or archive, not \"glacier\"",
            )],
        ),
        (
            "null storageClass",
            policy(vec![set(
                untagged_count(1),
                "/selection/storageClass",
                Value::Null,
            )]),
            &[(
                "/rules/0/selection/storageClass",
                "rule 1: storageClass must not be null; leave the key out instead",
            )],
        ),
        (
            "missing countType",
            policy(vec![remove(untagged_count(1), "/selection/countType")]),
            &[("/rules/0/selection", "rule 1: countType is required")],
        ),
        (
            "unknown countType",
            policy(vec![set(
                untagged_count(1),
                "/selection/countType",
                json!("imageCountLessThan"),
            )]),
            &[(
                "/rules/0/selection/countType",
                "rule 1: countType must be imageCountMoreThan, sinceImagePushed, sinceImagePulled or sinceImageTransitioned, not \"imageCountLessThan\"",
            )],
        ),
        (
            "sinceImagePushed without countUnit",
            policy(vec![remove(untagged_age(1), "/selection/countUnit")]),
            &[(
                "/rules/0/selection",
                "rule 1: countUnit is required when countType is sinceImagePushed",
            )],
        ),
        (
            "sinceImagePulled without countUnit",
            policy(vec![remove(archive_unpulled(1), "/selection/countUnit")]),
            &[(
                "/rules/0/selection",
                "rule 1: countUnit is required when countType is sinceImagePulled",
            )],
        ),
        (
            "sinceImageTransitioned without countUnit",
            policy(vec![remove(expire_archived(1), "/selection/countUnit")]),
            &[(
                "/rules/0/selection",
                "rule 1: countUnit is required when countType is sinceImageTransitioned",
            )],
        ),
        (
            "countUnit with imageCountMoreThan",
            policy(vec![set(
                untagged_count(1),
                "/selection/countUnit",
                json!("days"),
            )]),
            &[(
                "/rules/0/selection/countUnit",
                "rule 1: countUnit is not allowed when countType is imageCountMoreThan",
            )],
        ),
        (
            "countUnit other than days",
            policy(vec![set(
                untagged_age(1),
                "/selection/countUnit",
                json!("hours"),
            )]),
            &[(
                "/rules/0/selection/countUnit",
                "rule 1: countUnit must be days, not \"hours\"",
            )],
        ),
        (
            "null countUnit where one is required",
            policy(vec![set(
                untagged_age(1),
                "/selection/countUnit",
                Value::Null,
            )]),
            &[
                (
                    "/rules/0/selection/countUnit",
                    "rule 1: countUnit must not be null; leave the key out instead",
                ),
                (
                    "/rules/0/selection",
                    "rule 1: countUnit is required when countType is sinceImagePushed",
                ),
            ],
        ),
        (
            "missing countNumber",
            policy(vec![remove(untagged_count(1), "/selection/countNumber")]),
            &[("/rules/0/selection", "rule 1: countNumber is required")],
        ),
        (
            "zero countNumber",
            policy(vec![set(
                untagged_count(1),
                "/selection/countNumber",
                json!(0),
            )]),
            &[(
                "/rules/0/selection/countNumber",
                "rule 1: countNumber must be at least 1, not 0",
            )],
        ),
        (
            "countNumber written as a string",
            policy(vec![set(
                untagged_count(1),
                "/selection/countNumber",
                json!("5"),
            )]),
            &[(
                "/rules/0/selection/countNumber",
                "rule 1: countNumber must be a whole number, not \"5\"",
            )],
        ),
        (
            "misspelled selection key",
            policy(vec![set(
                remove(untagged_count(1), "/selection/countNumber"),
                "/selection/countnumber",
                json!(1),
            )]),
            &[
                (
                    "/rules/0/selection/countnumber",
                    "rule 1: unknown key \"countnumber\" in selection; did you mean \"countNumber\"?",
                ),
                ("/rules/0/selection", "rule 1: countNumber is required"),
            ],
        ),
        // Action.
        (
            "missing action type",
            policy(vec![set(untagged_count(1), "/action", json!({}))]),
            &[("/rules/0/action", "rule 1: action type is required")],
        ),
        (
            "unknown action type",
            policy(vec![set(
                untagged_count(1),
                "/action/type",
                json!("delete"),
            )]),
            &[(
                "/rules/0/action/type",
                "rule 1: action type must be expire or transition, not \"delete\"",
            )],
        ),
        (
            "transition without targetStorageClass",
            policy(vec![remove(
                archive_unpulled(1),
                "/action/targetStorageClass",
            )]),
            &[(
                "/rules/0/action",
                "rule 1: targetStorageClass is required when action type is transition",
            )],
        ),
        (
            "transition to standard",
            policy(vec![set(
                archive_unpulled(1),
                "/action/targetStorageClass",
                json!("standard"),
            )]),
            &[(
                "/rules/0/action/targetStorageClass",
                "rule 1: targetStorageClass must be archive, not \"standard\"",
            )],
        ),
        (
            "expire with a targetStorageClass",
            policy(vec![set(
                untagged_count(1),
                "/action/targetStorageClass",
                json!("archive"),
            )]),
            &[(
                "/rules/0/action/targetStorageClass",
                "rule 1: targetStorageClass is only allowed when action type is transition",
            )],
        ),
        (
            "unknown action key",
            policy(vec![set(
                untagged_count(1),
                "/action/tpye",
                json!("expire"),
            )]),
            &[(
                "/rules/0/action/tpye",
                "rule 1: unknown key \"tpye\" in action; did you mean \"type\"?",
            )],
        ),
        // Count types, storage classes and actions together.
        (
            "sinceImagePulled with expire",
            policy(vec![set(
                archive_unpulled(1),
                "/action",
                json!({"type": "expire"}),
            )]),
            &[(
                "/rules/0/selection/countType",
                "rule 1: countType sinceImagePulled is only allowed with action type transition",
            )],
        ),
        (
            "sinceImageTransitioned with transition",
            policy(vec![set(
                expire_archived(1),
                "/action",
                json!({"type": "transition", "targetStorageClass": "archive"}),
            )]),
            &[
                (
                    "/rules/0/selection/countType",
                    "rule 1: countType sinceImageTransitioned is only allowed with action type expire",
                ),
                (
                    "/rules/0/selection/storageClass",
                    "rule 1: action type transition is only allowed with storageClass standard",
                ),
            ],
        ),
        (
            "sinceImageTransitioned on the default storage class",
            policy(vec![remove(expire_archived(1), "/selection/storageClass")]),
            &[(
                "/rules/0/selection",
                "rule 1: countType sinceImageTransitioned is only allowed with storageClass archive",
            )],
        ),
        (
            "sinceImageTransitioned on explicit standard",
            policy(vec![set(
                expire_archived(1),
                "/selection/storageClass",
                json!("standard"),
            )]),
            &[(
                "/rules/0/selection/storageClass",
                "rule 1: countType sinceImageTransitioned is only allowed with storageClass archive",
            )],
        ),
        (
            "sinceImageTransitioned under 90 days",
            policy(vec![set(
                expire_archived(1),
                "/selection/countNumber",
                json!(89),
            )]),
            &[(
                "/rules/0/selection/countNumber",
                "rule 1: countNumber must be at least 90 when countType is sinceImageTransitioned, not 89",
            )],
        ),
        (
            "transition from archive",
            policy(vec![
                set(untagged_age(1), "/selection/storageClass", json!("archive")).pipe(|rule| {
                    set(
                        rule,
                        "/action",
                        json!({"type": "transition", "targetStorageClass": "archive"}),
                    )
                }),
            ]),
            &[(
                "/rules/0/selection/storageClass",
                "rule 1: action type transition is only allowed with storageClass standard",
            )],
        ),
        // Rules of one storage class together.
        (
            "two untagged rules",
            policy(vec![untagged_count(1), untagged_age(2)]),
            &[(
                "/rules/1/selection/tagStatus",
                "rule 2: only one rule per storage class may select untagged images, and rule 1 already does for storageClass standard",
            )],
        ),
        (
            "two untagged rules written out of priority order",
            policy(vec![untagged_count(5), untagged_age(2)]),
            &[(
                "/rules/0/selection/tagStatus",
                "rule 5: only one rule per storage class may select untagged images, and rule 2 already does for storageClass standard",
            )],
        ),
        (
            "two untagged rules on archive",
            policy(vec![
                set(
                    expire_archived(1),
                    "/selection/tagStatus",
                    json!("untagged"),
                ),
                set(
                    expire_archived(2),
                    "/selection/tagStatus",
                    json!("untagged"),
                ),
            ]),
            &[(
                "/rules/1/selection/tagStatus",
                "rule 2: only one rule per storage class may select untagged images, and rule 1 already does for storageClass archive",
            )],
        ),
        (
            "the same prefix list in two rules",
            policy(vec![
                tagged_prefixes(1, &["prod"]),
                tagged_prefixes(2, &["prod"]),
            ]),
            &[(
                "/rules/1/selection/tagPrefixList",
                "rule 2: tagPrefixList [\"prod\"] is already used by rule 1; tag prefixes must be unique within storageClass standard",
            )],
        ),
        (
            "the same prefixes in another order",
            policy(vec![
                tagged_prefixes(1, &["prod", "beta"]),
                tagged_prefixes(2, &["beta", "prod"]),
            ]),
            &[(
                "/rules/1/selection/tagPrefixList",
                "rule 2: tagPrefixList [\"beta\",\"prod\"] is already used by rule 1; tag prefixes must be unique within storageClass standard",
            )],
        ),
        (
            "any before another rule",
            policy(vec![any_count(1), untagged_count(2)]),
            &[(
                "/rules/0/selection/tagStatus",
                "rule 1: a rule with tagStatus any must have the highest rulePriority within storageClass standard, but rule 2 comes after it",
            )],
        ),
        (
            "two any rules",
            policy(vec![any_count(2), archive_unpulled(1)]),
            &[(
                "/rules/1/selection/tagStatus",
                "rule 1: a rule with tagStatus any must have the highest rulePriority within storageClass standard, but rule 2 comes after it",
            )],
        ),
    ];
    for (name, document, errors) in cases {
        assert_eq!(validate(&document), expected(errors), "{name}");
        assert_eq!(parse(&document), Err(expected(errors)), "{name}");
    }
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let document = policy(vec![
        set(untagged_count(1), "/selection/countUnit", json!("days")),
        set(
            tagged_prefixes(2, &["prod"]),
            "/action/type",
            json!("delete"),
        ),
        remove(untagged_age(2), "/selection/countUnit"),
        json!(7),
    ]);
    let errors: Vec<(String, String)> = validate(&document)
        .into_iter()
        .map(|e| (e.pointer(), e.message))
        .collect();
    let expected: Vec<(String, String)> = [
        ("/rules/0/selection/countUnit", "rule 1: countUnit is not allowed when countType is imageCountMoreThan"),
        ("/rules/1/action/type", "rule 2: action type must be expire or transition, not \"delete\""),
        ("/rules/2/selection", "rule 2: countUnit is required when countType is sinceImagePushed"),
        ("/rules/3", "rule at index 3 must be an object, not 7"),
        ("/rules/2/rulePriority", "rules at index 1 and 2 both have rulePriority 2; priorities must be unique"),
        (
            "/rules/2/selection/tagStatus",
            "rule 2: only one rule per storage class may select untagged images, and rule 1 already does for storageClass standard",
        ),
    ]
    .iter()
    .map(|(pointer, message)| (pointer.to_string(), message.to_string()))
    .collect();
    assert_eq!(errors, expected);
}

/// The node an error path points at, if it exists.
fn resolve<'a>(document: &'a Value, path: &[PathSegment]) -> Option<&'a Value> {
    path.iter()
        .try_fold(document, |node, segment| match segment {
            PathSegment::Key(key) => node.get(key.as_str()),
            PathSegment::Index(index) => node.get(*index),
        })
}

/// JSON made of the words lifecycle policies use, so that random documents often get past the
/// first checks and exercise the deeper ones.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let words = prop::sample::select(vec![
        "rules",
        "rulePriority",
        "description",
        "selection",
        "action",
        "tagStatus",
        "tagged",
        "untagged",
        "any",
        "tagPrefixList",
        "tagPatternList",
        "storageClass",
        "standard",
        "archive",
        "countType",
        "imageCountMoreThan",
        "sinceImagePushed",
        "sinceImagePulled",
        "sinceImageTransitioned",
        "countUnit",
        "days",
        "countNumber",
        "type",
        "expire",
        "transition",
        "targetStorageClass",
        "prod",
        "prod*",
        "*a*b*c*d*e",
        "",
    ]);
    let text = prop_oneof![words.clone().prop_map(str::to_owned), any::<String>()];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (0u64..200).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text.clone().prop_map(Value::from),
    ];
    let key = prop_oneof![words.prop_map(str::to_owned), any::<String>()];
    leaf.prop_recursive(5, 96, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Every node of a document with its path, root first.
fn nodes(document: &Value) -> Vec<Vec<PathSegment>> {
    let mut found = vec![Vec::new()];
    let mut next = 0;
    while let Some(path) = found.get(next).cloned() {
        next += 1;
        match resolve(document, &path) {
            Some(Value::Object(object)) => {
                for key in object.keys() {
                    let mut child = path.clone();
                    child.push(PathSegment::Key(key.clone()));
                    found.push(child);
                }
            }
            Some(Value::Array(array)) => {
                for index in 0..array.len() {
                    let mut child = path.clone();
                    child.push(PathSegment::Index(index));
                    found.push(child);
                }
            }
            _ => {}
        }
    }
    found
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    Remove,
    Insert(String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        arbitrary_json().prop_map(Mutation::Replace),
        Just(Mutation::Remove),
        (any::<String>(), arbitrary_json()).prop_map(|(key, value)| Mutation::Insert(key, value)),
    ]
}

/// Applies a mutation at a node; removing the root or inserting into a scalar does nothing.
fn mutate(document: &mut Value, path: &[PathSegment], mutation: Mutation) {
    let Some((last, parent)) = path.split_last() else {
        if let Mutation::Replace(value) = mutation {
            *document = value;
        }
        return;
    };
    let parent = parent
        .iter()
        .try_fold(document, |node, segment| match segment {
            PathSegment::Key(key) => node.get_mut(key.as_str()),
            PathSegment::Index(index) => node.get_mut(*index),
        });
    let Some(parent) = parent else { return };
    match (parent, last, mutation) {
        (Value::Object(object), PathSegment::Key(key), Mutation::Replace(value)) => {
            object.insert(key.clone(), value);
        }
        (Value::Object(object), PathSegment::Key(key), Mutation::Remove) => {
            object.remove(key);
        }
        (Value::Array(array), PathSegment::Index(index), Mutation::Replace(value)) => {
            if let Some(slot) = array.get_mut(*index) {
                *slot = value;
            }
        }
        (Value::Array(array), PathSegment::Index(index), Mutation::Remove)
            if *index < array.len() =>
        {
            array.remove(*index);
        }
        (parent, _, Mutation::Insert(key, value)) => {
            if let Value::Object(object) = parent {
                object.insert(key, value);
            } else if let Value::Array(array) = parent {
                array.push(value);
            }
        }
        _ => {}
    }
}

fn valid_policy() -> Value {
    policy(vec![
        tagged_prefixes(1, &["prod", "release"]),
        tagged_patterns(2, &["v*.*"]),
        untagged_age(3),
        archive_unpulled(10),
        expire_archived(20),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn validate_never_panics_and_points_at_existing_nodes(document in arbitrary_json()) {
        let errors = validate(&document);
        for error in &errors {
            prop_assert!(resolve(&document, &error.path).is_some(), "{} in {}", error.pointer(), document);
        }
        prop_assert_eq!(errors.is_empty(), parse(&document).is_ok());
    }

    #[test]
    fn validate_never_panics_on_mutated_valid_policies(
        mutations in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4)
    ) {
        let mut document = valid_policy();
        for (target, mutation) in mutations {
            let paths = nodes(&document);
            let path = target.get(&paths).clone();
            mutate(&mut document, &path, mutation);
        }
        let errors = validate(&document);
        for error in &errors {
            prop_assert!(resolve(&document, &error.path).is_some(), "{} in {}", error.pointer(), document);
            prop_assert!(!error.message.is_empty());
        }
        prop_assert_eq!(errors.is_empty(), parse(&document).is_ok());
    }
}

#[test]
fn the_mutation_base_is_valid() {
    assert_eq!(validate(&valid_policy()), Vec::new());
}
