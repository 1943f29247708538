//! Building blocks shared by the IAM and lifecycle canonicalizers.
//!
//! Canonical forms are compared with `==` and pretty-printed for plan diffs, so they must be
//! deterministic down to the order of object keys and of list elements that are really sets.
//! serde_json's default `Map` is already sorted, but a dependency anywhere in the build can
//! turn on its `preserve_order` feature; rebuilding every object with sorted keys here keeps
//! the canonical text stable whichever map the build ends up with.

use serde_json::{Map, Value};

use crate::PathSegment;

/// A copy of `value` in which every object, at any depth, has its keys in sorted order.
/// Used for parts of a document that are kept verbatim (keys ecrform does not model).
pub(crate) fn sort_keys_deep(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(sorted_object(
            map.iter()
                .map(|(key, value)| (key.clone(), sort_keys_deep(value))),
        )),
        Value::Array(items) => Value::Array(items.iter().map(sort_keys_deep).collect()),
        other => other.clone(),
    }
}

/// An object whose keys are inserted in sorted order.
pub(crate) fn sorted_object(
    entries: impl IntoIterator<Item = (String, Value)>,
) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = entries.into_iter().collect();
    entries.sort_by(|(a, _), (b, _)| a.cmp(b));
    entries.into_iter().collect()
}

/// The key canonical lists are sorted by: the value's compact JSON text. Values passed here
/// are already canonical (sorted keys), so equal values always produce equal keys.
pub(crate) fn sort_key(value: &Value) -> String {
    value.to_string()
}

/// Sorts values that form a set and collapses duplicates.
pub(crate) fn sorted_set(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut keyed: Vec<(String, Value)> = values
        .into_iter()
        .map(|value| (sort_key(&value), value))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| a.cmp(b));
    keyed.dedup_by(|(a, _), (b, _)| a == b);
    keyed.into_iter().map(|(_, value)| value).collect()
}

/// `path` extended by one object key.
pub(crate) fn child_key(path: &[PathSegment], key: &str) -> Vec<PathSegment> {
    let mut child = path.to_vec();
    child.push(PathSegment::Key(key.to_string()));
    child
}

/// `path` extended by one list index.
pub(crate) fn child_index(path: &[PathSegment], index: usize) -> Vec<PathSegment> {
    let mut child = path.to_vec();
    child.push(PathSegment::Index(index));
    child
}

/// What kind of JSON value this is, for messages such as "must be a string, not a number".
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sorted_set_orders_and_collapses_duplicates() {
        let cases = [
            (
                vec![json!("b"), json!("a"), json!("b")],
                vec![json!("a"), json!("b")],
            ),
            (
                vec![json!(2), json!("2"), json!(2)],
                vec![json!("2"), json!(2)],
            ),
            (vec![], vec![]),
        ];
        for (input, expected) in cases {
            assert_eq!(sorted_set(input.clone()), expected, "input {input:?}");
        }
    }

    #[test]
    fn sort_keys_deep_reaches_nested_objects_and_lists() {
        let value = json!({"z": [{"b": 1, "a": 2}], "a": {"y": null, "x": true}});
        let sorted = sort_keys_deep(&value);
        assert_eq!(sorted, value);
        assert_eq!(
            sorted.to_string(),
            r#"{"a":{"x":true,"y":null},"z":[{"a":2,"b":1}]}"#
        );
    }
}
