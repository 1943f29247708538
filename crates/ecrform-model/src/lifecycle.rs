//! Lifecycle policy documents and their canonical form.
//!
//! ECR returns lifecycle policies minified with rules ordered by priority. Canonicalization
//! sorts rules by priority and tag lists, drops empty optionals and the default storage
//! class, compares numbers by value, and keeps every key it does not model, so that a change
//! to such a key is still a change.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use crate::canonical::{child_index, json_kind, sort_key, sorted_object, sorted_set};
use crate::policy_document::{DocumentKind, PolicyDocument};
use crate::{DocumentError, PathSegment};

/// The kind of lifecycle policies.
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle;

impl DocumentKind for Lifecycle {
    const WHAT: &'static str = "lifecycle policy";

    /// Nothing outside the document changes what it means.
    type Context = ();

    /// Checks the document's basic shape (an object with a `rules` list) and canonicalizes
    /// it. ECR's rule-level validation lives in the `ecrform-lifecycle` crate.
    fn canonicalize(document: &Value, (): ()) -> Result<Value, DocumentError> {
        canonicalize(document)
    }
}

/// A lifecycle policy: the document as written and its canonical form.
pub type LifecyclePolicy = PolicyDocument<Lifecycle>;

/// The canonical form of a lifecycle policy document, or an error if it is not an object with
/// a `rules` list of objects.
///
/// ECR's own rule checks (valid tag statuses, count types, priorities unique...) belong to the
/// `ecrform-lifecycle` crate; this only makes equivalent documents equal. The canonical form:
///
/// - `rules` sorted by numeric `rulePriority`. Rules whose priority is missing or not a number
///   (invalid for ECR, reported by validation) sort after the others; ties are broken by the
///   rule's compact canonical JSON so that the order never depends on the input's.
/// - In `selection`, `tagPrefixList` and `tagPatternList` sorted with duplicates collapsed:
///   ECR requires every entry to match some tag of the image, so they are sets.
/// - Empty optionals dropped: a modeled optional key (`description`, `tagPrefixList`,
///   `tagPatternList`, `storageClass`, `countUnit`, `targetStorageClass`) whose value is null
///   or an empty list, and an empty `description`. ECR leaves them out when it returns a
///   policy.
/// - `storageClass: "standard"` dropped from a selection: a rule that names no storage class
///   selects standard images (ECR's default, which `ecrform-lifecycle` evaluates too), so both
///   are one rule. Dropping the default rather than filling it in keeps the canonical form, and
///   the plan diffs shown from it, the shape users write and most policies have (storage
///   classes came late); `archive`, the one that changes what a rule selects, still shows.
/// - Numbers compared by value, at any depth: ECR reads a lifecycle policy's numbers as
///   numbers, so `7.0` is the `countNumber` (or `rulePriority`) `7`. A whole number is written
///   as an integer.
/// - Every other key, at the top level and in rules, selections and actions, is kept as
///   written (object keys sorted), even when null or empty: a key ecrform does not model may
///   mean something to ECR, so adding, removing or changing it is a change.
pub fn canonicalize(document: &Value) -> Result<Value, DocumentError> {
    let Value::Object(policy) = document else {
        return Err(DocumentError::at_root(format!(
            "a lifecycle policy must be a JSON object, not {}",
            json_kind(document)
        )));
    };
    let Some(rules) = policy.get("rules") else {
        return Err(DocumentError::at_root(
            "a lifecycle policy needs a \"rules\" list",
        ));
    };
    let rules_path = [PathSegment::Key("rules".to_string())];
    let Value::Array(rules) = rules else {
        return Err(DocumentError::new(
            rules_path.to_vec(),
            format!("rules must be a list of rules, not {}", json_kind(rules)),
        ));
    };

    let mut canonical_rules = Vec::with_capacity(rules.len());
    for (index, rule) in rules.iter().enumerate() {
        let Value::Object(rule) = rule else {
            return Err(DocumentError::new(
                child_index(&rules_path, index),
                format!("each rule must be an object, not {}", json_kind(rule)),
            ));
        };
        let rule = canonical_rule(rule);
        let priority = rule.get("rulePriority").and_then(Value::as_f64);
        canonical_rules.push((priority, sort_key(&rule), rule));
    }
    canonical_rules.sort_by(|(priority_a, text_a, _), (priority_b, text_b, _)| {
        compare_priorities(*priority_a, *priority_b).then_with(|| text_a.cmp(text_b))
    });
    let canonical_rules = canonical_rules
        .into_iter()
        .map(|(_, _, rule)| rule)
        .collect();

    let mut entries: Vec<(String, Value)> = policy
        .iter()
        .filter(|(key, _)| key.as_str() != "rules")
        .map(|(key, value)| (key.clone(), by_value(value)))
        .collect();
    entries.push(("rules".to_string(), Value::Array(canonical_rules)));
    Ok(Value::Object(sorted_object(entries)))
}

/// Numeric priorities in ascending order, then rules without one.
fn compare_priorities(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The optional keys ecrform models, per level: these are dropped when null or an empty list.
const OPTIONAL_RULE_KEYS: &[&str] = &["description"];
const OPTIONAL_SELECTION_KEYS: &[&str] = &[
    "tagPrefixList",
    "tagPatternList",
    "storageClass",
    "countUnit",
];
const OPTIONAL_ACTION_KEYS: &[&str] = &["targetStorageClass"];

/// The storage class a selection without `storageClass` selects.
const DEFAULT_STORAGE_CLASS: &str = "standard";

fn canonical_rule(rule: &Map<String, Value>) -> Value {
    let mut entries = Vec::with_capacity(rule.len());
    for (key, value) in rule {
        if is_empty_optional(OPTIONAL_RULE_KEYS, key, value)
            || (key == "description" && value.as_str() == Some(""))
        {
            continue;
        }
        let canonical = match (key.as_str(), value) {
            ("selection", Value::Object(selection)) => canonical_selection(selection),
            ("action", Value::Object(action)) => {
                without_empty_optionals(OPTIONAL_ACTION_KEYS, action)
            }
            // A selection or action of the wrong type is for validation to report; kept as is
            // it still compares.
            _ => by_value(value),
        };
        entries.push((key.clone(), canonical));
    }
    Value::Object(sorted_object(entries))
}

fn canonical_selection(selection: &Map<String, Value>) -> Value {
    let mut entries = Vec::with_capacity(selection.len());
    for (key, value) in selection {
        if is_empty_optional(OPTIONAL_SELECTION_KEYS, key, value)
            || (key == "storageClass" && value.as_str() == Some(DEFAULT_STORAGE_CLASS))
        {
            continue;
        }
        let canonical = match (key.as_str(), value) {
            ("tagPrefixList" | "tagPatternList", Value::Array(tags)) => {
                Value::Array(sorted_set(tags.iter().map(by_value)))
            }
            _ => by_value(value),
        };
        entries.push((key.clone(), canonical));
    }
    Value::Object(sorted_object(entries))
}

fn without_empty_optionals(optional_keys: &[&str], object: &Map<String, Value>) -> Value {
    let entries = object
        .iter()
        .filter(|(key, value)| !is_empty_optional(optional_keys, key, value))
        .map(|(key, value)| (key.clone(), by_value(value)));
    Value::Object(sorted_object(entries))
}

/// A value kept as written, with object keys sorted and numbers by value at any depth.
fn by_value(value: &Value) -> Value {
    match value {
        Value::Number(number) => Value::Number(number_by_value(number)),
        Value::Array(items) => Value::Array(items.iter().map(by_value).collect()),
        Value::Object(map) => Value::Object(sorted_object(
            map.iter()
                .map(|(key, value)| (key.clone(), by_value(value))),
        )),
        other => other.clone(),
    }
}

/// One spelling per numeric value: a float with no fraction (`7.0`, `7e0`) as the integer it
/// equals, when an integer can hold it exactly; every other number as it is.
fn number_by_value(number: &Number) -> Number {
    // 2^63 and 2^64, exactly representable: the bounds of i64 and u64 as floats.
    const I64_MIN: f64 = -9_223_372_036_854_775_808.0;
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    match number.as_f64() {
        Some(float) if number.is_f64() && float.fract() == 0.0 => {
            if (0.0..U64_END).contains(&float) {
                Number::from(float as u64)
            } else if (I64_MIN..0.0).contains(&float) {
                Number::from(float as i64)
            } else {
                number.clone()
            }
        }
        _ => number.clone(),
    }
}

/// Whether `key` is one of the modeled `optional_keys` and holds nothing (null or `[]`).
/// Keys ecrform does not model are never "empty optionals": they always survive.
fn is_empty_optional(optional_keys: &[&str], key: &str, value: &Value) -> bool {
    let empty = match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        _ => false,
    };
    empty && optional_keys.contains(&key)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lifecycle(text: &str) -> LifecyclePolicy {
        LifecyclePolicy::from_json_text(text)
            .unwrap_or_else(|e| panic!("{text}\nis not a lifecycle policy: {}: {e}", e.pointer()))
    }

    /// Each row is a test named for the behaviour: `name: left, right;`.
    macro_rules! no_change {
        ($($name:ident: $left:expr, $right:expr;)*) => {$(
            #[test]
            fn $name() {
                let (left, right) = (lifecycle($left), lifecycle($right));
                assert_eq!(left.canonical(), right.canonical());
                assert!(left == right && right == left);
            }
        )*};
    }

    macro_rules! change {
        ($($name:ident: $left:expr, $right:expr;)*) => {$(
            #[test]
            fn $name() {
                let (left, right) = (lifecycle($left), lifecycle($right));
                assert_ne!(left.canonical(), right.canonical());
                assert!(left != right && right != left);
            }
        )*};
    }

    const TWO_RULES: &str = r#"{
        "rules": [
            {
                "rulePriority": 1,
                "description": "keep ten releases",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": ["v", "release-"],
                    "countType": "imageCountMoreThan",
                    "countNumber": 10
                },
                "action": {"type": "expire"}
            },
            {
                "rulePriority": 2,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 7
                },
                "action": {"type": "expire"}
            }
        ]
    }"#;

    const TWO_RULES_AS_ECR_RETURNS_THEM: &str = r#"{"rules":[{"rulePriority":1,"description":"keep ten releases","selection":{"tagStatus":"tagged","tagPrefixList":["v","release-"],"countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}},{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;

    const UNTAGGED_RULE: &str = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;

    no_change! {
        lifecycle_whitespace_difference_is_no_change: TWO_RULES, TWO_RULES_AS_ECR_RETURNS_THEM;
        lifecycle_rules_reordered_is_no_change:
            r#"{"rules":[
                {"rulePriority":20,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":100},"action":{"type":"expire"}},
                {"rulePriority":3,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}},
                {"rulePriority":10,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]}"#,
            r#"{"rules":[
                {"rulePriority":3,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}},
                {"rulePriority":10,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}},
                {"rulePriority":20,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":100},"action":{"type":"expire"}}]}"#;
        tag_prefix_list_reordered_is_no_change:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v","release-","rc"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["rc","v","release-"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#;
        tag_pattern_list_reordered_is_no_change:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["prod*","*-rc*"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["*-rc*","prod*"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#;
        repeated_tag_pattern_is_no_change:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["prod*","prod*"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#;
        empty_description_is_no_change:
            r#"{"rules":[{"rulePriority":1,"description":"","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#,
            UNTAGGED_RULE;
        null_description_is_no_change:
            r#"{"rules":[{"rulePriority":1,"description":null,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#,
            UNTAGGED_RULE;
        empty_tag_lists_are_no_change:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","tagPrefixList":[],"tagPatternList":[],"countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#,
            UNTAGGED_RULE;
        null_optionals_in_selection_and_action_are_no_change:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","tagPrefixList":null,"storageClass":null,"countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire","targetStorageClass":null}}]}"#,
            UNTAGGED_RULE;

        // A selection without a storage class selects standard images.
        selection_without_storage_class_equals_standard:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","storageClass":"standard","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#,
            UNTAGGED_RULE;
        transition_rule_without_storage_class_equals_standard:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":30},"action":{"type":"transition","targetStorageClass":"archive"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","storageClass":"standard","countType":"sinceImagePulled","countUnit":"days","countNumber":30},"action":{"type":"transition","targetStorageClass":"archive"}}]}"#;

        // Numbers compare by value.
        whole_float_count_number_equals_the_integer:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7.0},"action":{"type":"expire"}}]}"#,
            UNTAGGED_RULE;
        exponent_count_number_equals_the_integer:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":0.7e1},"action":{"type":"expire"}}]}"#,
            UNTAGGED_RULE;
        whole_float_rule_priorities_equal_the_integers:
            TWO_RULES_AS_ECR_RETURNS_THEM,
            r#"{"rules":[{"rulePriority":2.0,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}},{"rulePriority":1.0,"description":"keep ten releases","selection":{"tagStatus":"tagged","tagPrefixList":["v","release-"],"countType":"imageCountMoreThan","countNumber":10.0},"action":{"type":"expire"}}]}"#;
        whole_float_in_an_unknown_key_equals_the_integer:
            r#"{"rules":[{"rulePriority":1,"x-weight":3,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"x-weight":3.0,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
    }

    change! {
        count_number_change_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}"#;
        rule_priority_change_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
        description_change_is_a_change:
            TWO_RULES,
            r#"{"rules":[{"rulePriority":1,"description":"keep five releases","selection":{"tagStatus":"tagged","tagPrefixList":["v","release-"],"countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}},{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
        storage_class_added_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","storageClass":"archive","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
        transition_target_added_is_a_change:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":30},"action":{"type":"transition"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":30},"action":{"type":"transition","targetStorageClass":"archive"}}]}"#;
        unknown_selection_key_added_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7,"minimumAge":3},"action":{"type":"expire"}}]}"#;
        unknown_null_key_added_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire","futureOption":null}}]}"#;
        unknown_rule_key_changed_is_a_change:
            r#"{"rules":[{"rulePriority":1,"madeUpKey":"a","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"madeUpKey":"b","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
        unknown_top_level_key_added_is_a_change:
            UNTAGGED_RULE,
            r#"{"schemaVersion":2,"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
        tag_pattern_list_vs_tag_prefix_list_is_a_change:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["prod"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#;
        tag_added_to_prefix_list_is_a_change:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod","stage"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#;
        standard_storage_class_changed_to_archive_is_a_change:
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","storageClass":"standard","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","storageClass":"archive","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
        storage_class_in_another_case_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","storageClass":"Standard","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
        fractional_count_number_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7.5},"action":{"type":"expire"}}]}"#;
        another_count_number_written_as_a_float_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":8.0},"action":{"type":"expire"}}]}"#;
        count_number_as_a_string_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":"7"},"action":{"type":"expire"}}]}"#;
        rule_added_is_a_change:
            UNTAGGED_RULE,
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}},{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
    }

    #[test]
    fn canonical_form_sorts_rules_and_tag_lists_and_drops_empty_optionals() {
        let document = json!({
            "rules": [
                {"rulePriority": 5, "description": "",
                 "selection": {"tagStatus": "tagged", "tagPatternList": ["b*", "a*", "b*"],
                               "countType": "imageCountMoreThan", "countNumber": 2,
                               "countUnit": null},
                 "action": {"type": "expire", "targetStorageClass": null}},
                {"rulePriority": 1, "description": "untagged",
                 "selection": {"tagStatus": "untagged", "tagPrefixList": [],
                               "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
                 "action": {"type": "expire"}},
            ],
        });
        let expected = json!({
            "rules": [
                {"rulePriority": 1, "description": "untagged",
                 "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                               "countUnit": "days", "countNumber": 1},
                 "action": {"type": "expire"}},
                {"rulePriority": 5,
                 "selection": {"tagStatus": "tagged", "tagPatternList": ["a*", "b*"],
                               "countType": "imageCountMoreThan", "countNumber": 2},
                 "action": {"type": "expire"}},
            ],
        });
        assert_eq!(canonicalize(&document).unwrap(), expected);
    }

    #[test]
    fn canonical_form_drops_the_standard_storage_class_and_writes_whole_numbers_as_integers() {
        let document = json!({"rules": [{
            "rulePriority": 3.0,
            "selection": {"tagStatus": "any", "storageClass": "standard",
                          "countType": "imageCountMoreThan", "countNumber": 1e2},
            "action": {"type": "expire"},
        }]});
        let expected = json!({"rules": [{
            "rulePriority": 3,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100},
            "action": {"type": "expire"},
        }]});
        let canonical = canonicalize(&document).unwrap();
        assert_eq!(canonical, expected);
        // Integers, not floats that compare equal: the text a plan diff shows is `100`.
        assert_eq!(canonical.to_string(), expected.to_string());
        assert!(canonical["rules"][0]["rulePriority"].is_u64());
    }

    #[test]
    fn numbers_keep_their_value_whatever_their_size_or_sign() {
        let cases = [
            (json!(-3.0), json!(-3)),
            (json!(-0.0), json!(0)),
            (json!(2.5), json!(2.5)),
            (json!(1e300), json!(1e300)),
            (json!(u64::MAX), json!(u64::MAX)),
            (json!(i64::MIN), json!(i64::MIN)),
        ];
        for (written, canonical) in cases {
            assert_eq!(by_value(&written), canonical, "{written}");
            assert_eq!(
                by_value(&written).to_string(),
                canonical.to_string(),
                "{written}"
            );
        }
    }

    #[test]
    fn unknown_keys_survive_canonicalization_even_when_empty() {
        let document = json!({
            "x-owner": {"b": 1, "a": []},
            "rules": [{"rulePriority": 1, "x-note": "", "x-list": [],
                       "selection": {"tagStatus": "any", "x-filter": null,
                                     "countType": "imageCountMoreThan", "countNumber": 9},
                       "action": {"type": "expire", "x-dry-run": []}}],
        });
        assert_eq!(canonicalize(&document).unwrap(), document);
    }

    #[test]
    fn rules_without_a_numeric_priority_sort_after_the_others() {
        let document = json!({"rules": [
            {"rulePriority": "1", "selection": {"tagStatus": "any"}},
            {"selection": {"tagStatus": "untagged"}},
            {"rulePriority": 2.5, "selection": {"tagStatus": "tagged"}},
            {"rulePriority": 10, "selection": "not an object"},
        ]});
        let canonical = canonicalize(&document).unwrap();
        let order: Vec<&Value> = canonical["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rule| rule.get("rulePriority").unwrap_or(&Value::Null))
            .collect();
        assert_eq!(order, [&json!(2.5), &json!(10), &json!("1"), &Value::Null]);
        assert_eq!(canonicalize(&canonical).unwrap(), canonical);
    }

    #[test]
    fn lifecycle_shape_errors_carry_the_path_to_the_offending_node() {
        let rules = PathSegment::Key("rules".to_string());
        let cases: Vec<(&str, &str, Vec<PathSegment>, &str)> = vec![
            (
                "not an object",
                "[]",
                vec![],
                "a lifecycle policy must be a JSON object, not a list",
            ),
            (
                "no rules",
                r#"{"Rules":[]}"#,
                vec![],
                "a lifecycle policy needs a \"rules\" list",
            ),
            (
                "rules an object",
                r#"{"rules":{}}"#,
                vec![rules.clone()],
                "rules must be a list of rules, not an object",
            ),
            (
                "rule a string",
                r#"{"rules":[{"rulePriority":1},"expire"]}"#,
                vec![rules.clone(), PathSegment::Index(1)],
                "each rule must be an object, not a string",
            ),
        ];
        for (case, text, path, message) in cases {
            let error = LifecyclePolicy::from_json_text(text).expect_err(case);
            assert_eq!(error, DocumentError::new(path, message), "case: {case}");
        }
        let error = LifecyclePolicy::from_json_text("{").unwrap_err();
        assert!(error.path.is_empty());
        assert!(
            error
                .message
                .starts_with("lifecycle policy text is not valid JSON"),
            "{error}"
        );
    }

    #[test]
    fn empty_rules_list_is_kept() {
        assert_eq!(
            canonicalize(&json!({"rules": []})).unwrap(),
            json!({"rules": []})
        );
    }

    #[test]
    fn document_and_compact_text_stay_as_written() {
        let written =
            lifecycle(r#"{"rules":[{"rulePriority":2,"description":""},{"rulePriority":1}]}"#);
        assert_eq!(
            written.to_compact_json(),
            r#"{"rules":[{"description":"","rulePriority":2},{"rulePriority":1}]}"#
        );
    }

    /// Generated lifecycle policies rendered in equivalent ways: rules and tag lists shuffled,
    /// tags repeated, empty optionals added.
    mod properties {
        use proptest::prelude::*;
        use serde_json::{Map, Value, json};

        use super::super::{LifecyclePolicy, canonicalize};

        const TAGS: &[&str] = &["v", "release-", "prod*", "*-rc", "dev", "latest"];

        #[derive(Debug, Clone)]
        struct RuleModel {
            description: Option<String>,
            tags: Option<(bool, Vec<&'static str>)>,
            count_days: Option<u32>,
            count_number: u32,
            archive: bool,
            unknown: Option<(String, Value)>,
        }

        fn rule_model() -> impl Strategy<Value = RuleModel> {
            (
                proptest::option::of("[a-z ]{1,12}"),
                proptest::option::of((
                    any::<bool>(),
                    prop::collection::vec(prop::sample::select(TAGS), 1..4),
                )),
                any::<bool>(),
                1u32..100,
                any::<bool>(),
                proptest::option::of((
                    "x-[a-z]{1,6}",
                    prop_oneof![
                        Just(Value::Null),
                        Just(json!([])),
                        any::<i32>().prop_map(Value::from)
                    ],
                )),
            )
                .prop_map(
                    |(description, tags, by_days, count_number, archive, unknown)| RuleModel {
                        description,
                        tags,
                        count_days: by_days.then_some(count_number),
                        count_number,
                        archive,
                        unknown,
                    },
                )
        }

        /// Distinct priorities, one per rule.
        fn policy_model() -> impl Strategy<Value = Vec<(u32, RuleModel)>> {
            prop::collection::btree_map(1u32..200, rule_model(), 0..6)
                .prop_map(|rules| rules.into_iter().collect())
        }

        struct Choices(u64);

        impl Choices {
            fn next(&mut self) -> u64 {
                self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = self.0;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            }

            fn below(&mut self, n: usize) -> usize {
                (self.next() % n as u64) as usize
            }

            fn coin(&mut self) -> bool {
                self.next() & 1 == 1
            }

            fn shuffle<T>(&mut self, items: &mut [T]) {
                for i in (1..items.len()).rev() {
                    items.swap(i, self.below(i + 1));
                }
            }

            fn empty_optional(&mut self) -> Value {
                if self.coin() { Value::Null } else { json!([]) }
            }

            /// A whole number as an integer or as a float of the same value.
            fn number(&mut self, number: u32) -> Value {
                if self.coin() {
                    json!(number)
                } else {
                    json!(f64::from(number))
                }
            }
        }

        fn render_rule(priority: u32, rule: &RuleModel, choices: &mut Choices) -> Value {
            let mut selection = Map::new();
            match &rule.tags {
                Some((patterns, tags)) => {
                    let mut tags: Vec<&str> = tags.clone();
                    if choices.below(4) == 0 {
                        tags.push(tags[0]);
                    }
                    choices.shuffle(&mut tags);
                    let list = if *patterns {
                        "tagPatternList"
                    } else {
                        "tagPrefixList"
                    };
                    selection.insert("tagStatus".into(), json!("tagged"));
                    selection.insert(list.into(), json!(tags));
                }
                None => {
                    selection.insert("tagStatus".into(), json!("untagged"));
                    if choices.coin() {
                        selection.insert("tagPrefixList".into(), choices.empty_optional());
                    }
                }
            }
            match rule.count_days {
                Some(days) => {
                    selection.insert("countType".into(), json!("sinceImagePushed"));
                    selection.insert("countUnit".into(), json!("days"));
                    selection.insert("countNumber".into(), choices.number(days));
                }
                None => {
                    selection.insert("countType".into(), json!("imageCountMoreThan"));
                    selection.insert("countNumber".into(), choices.number(rule.count_number));
                }
            }
            if rule.archive {
                selection.insert("storageClass".into(), json!("archive"));
            } else {
                match choices.below(3) {
                    0 => {
                        selection.insert("storageClass".into(), Value::Null);
                    }
                    1 => {
                        selection.insert("storageClass".into(), json!("standard"));
                    }
                    _ => {}
                }
            }
            let mut action = Map::new();
            action.insert("type".into(), json!("expire"));
            if choices.coin() {
                action.insert("targetStorageClass".into(), Value::Null);
            }
            let mut object = Map::new();
            object.insert("rulePriority".into(), choices.number(priority));
            match &rule.description {
                Some(description) => {
                    object.insert("description".into(), json!(description));
                }
                None => match choices.below(3) {
                    0 => {
                        object.insert("description".into(), json!(""));
                    }
                    1 => {
                        object.insert("description".into(), Value::Null);
                    }
                    _ => {}
                },
            }
            if let Some((key, value)) = &rule.unknown {
                object.insert(key.clone(), value.clone());
            }
            object.insert("selection".into(), Value::Object(selection));
            object.insert("action".into(), Value::Object(action));
            Value::Object(object)
        }

        fn render(rules: &[(u32, RuleModel)], seed: u64) -> Value {
            let mut choices = Choices(seed);
            let mut rendered: Vec<Value> = rules
                .iter()
                .map(|(priority, rule)| render_rule(*priority, rule, &mut choices))
                .collect();
            choices.shuffle(&mut rendered);
            json!({"rules": rendered})
        }

        proptest! {
            #[test]
            fn canonicalize_is_idempotent(model in policy_model(), seed in any::<u64>()) {
                let canonical = canonicalize(&render(&model, seed)).unwrap();
                prop_assert_eq!(canonicalize(&canonical).unwrap(), canonical);
            }

            #[test]
            fn equivalent_renderings_are_equal_both_ways(
                model in policy_model(),
                seed_a in any::<u64>(),
                seed_b in any::<u64>(),
            ) {
                let a = LifecyclePolicy::from_value(render(&model, seed_a)).unwrap();
                let b = LifecyclePolicy::from_value(render(&model, seed_b)).unwrap();
                prop_assert!(a == b, "{} != {}", a.canonical(), b.canonical());
                prop_assert!(b == a);
            }

            #[test]
            fn equality_is_symmetric(
                model_a in policy_model(),
                model_b in policy_model(),
                seed_a in any::<u64>(),
                seed_b in any::<u64>(),
            ) {
                let a = LifecyclePolicy::from_value(render(&model_a, seed_a)).unwrap();
                let b = LifecyclePolicy::from_value(render(&model_b, seed_b)).unwrap();
                prop_assert_eq!(a == b, b == a);
            }

            #[test]
            fn a_changed_count_number_is_never_equal(
                model in prop::collection::btree_map(1u32..200, rule_model(), 1..6)
                    .prop_map(|rules| rules.into_iter().collect::<Vec<_>>()),
                seed in any::<u64>(),
                which in any::<prop::sample::Index>(),
            ) {
                let mut changed = model.clone();
                let rule = &mut changed[which.index(model.len())].1;
                rule.count_number += 1;
                rule.count_days = rule.count_days.map(|days| days + 1);
                let a = LifecyclePolicy::from_value(render(&model, seed)).unwrap();
                let b = LifecyclePolicy::from_value(render(&changed, seed)).unwrap();
                prop_assert!(a != b);
                prop_assert!(b != a);
            }

            #[test]
            fn a_changed_storage_class_is_never_equal(
                model in prop::collection::btree_map(1u32..200, rule_model(), 1..6)
                    .prop_map(|rules| rules.into_iter().collect::<Vec<_>>()),
                seed_a in any::<u64>(),
                seed_b in any::<u64>(),
                which in any::<prop::sample::Index>(),
            ) {
                let mut changed = model.clone();
                let rule = &mut changed[which.index(model.len())].1;
                rule.archive = !rule.archive;
                let a = LifecyclePolicy::from_value(render(&model, seed_a)).unwrap();
                let b = LifecyclePolicy::from_value(render(&changed, seed_b)).unwrap();
                prop_assert!(a != b);
                prop_assert!(b != a);
            }
        }
    }
}
