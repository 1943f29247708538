//! What a change does, computed as data: per-field differences of a settings object, or a line
//! diff of a policy document's canonical pretty JSON. Both renderers read this and only decide
//! how it looks, so the terminal and the PR comment can never disagree about what changes.
//!
//! Settings objects hold documents and tag sets of their own (a creation template's lifecycle
//! and repository policies, its resource tags): those fields are diffed the way a document or
//! a repository's tags are, rather than as one long line of JSON.

use std::collections::BTreeSet;
use std::ops::Range;

use serde_json::{Map, Value};
use similar::{ChangeTag, TextDiff};

use ecrform_plan::{Change, field};

/// Lines of unchanged context shown around each changed part of a document.
pub const CONTEXT_LINES: usize = 3;

/// The difference one change makes.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeDiff {
    /// A settings object (a repository, a cache rule ...), field by field.
    Fields(Vec<FieldDiff>),
    /// A policy document, as hunks of a line diff of its canonical pretty JSON.
    Document(Vec<Hunk>),
}

/// One listed field of a settings object.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub name: String,
    pub change: FieldChange,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldChange {
    /// A value set, removed or changed. `None` where the whole object is absent (a create's
    /// `before`, a delete's `after`); a field missing from a present object is JSON `null`.
    Value {
        before: Option<Value>,
        after: Option<Value>,
    },
    /// Tags, key by key; tags that stay the same are left out.
    Tags(Vec<TagDiff>),
    /// A document held in a field, as hunks of a line diff of its canonical pretty JSON.
    /// `before_present` / `after_present` say whether the document exists on each side.
    Document {
        before_present: bool,
        after_present: bool,
        hunks: Vec<Hunk>,
    },
}

/// One tag key that is added (`before` is `None`), removed (`after` is `None`) or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagDiff {
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A run of changed document lines with their context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// 0-based line ranges in the old and new text.
    pub old: Range<usize>,
    pub new: Range<usize>,
    pub lines: Vec<DocumentLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOp {
    Context,
    Removed,
    Added,
}

/// One line of a document diff, without its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    pub op: LineOp,
    pub text: String,
}

/// The difference `change` makes, according to the kind of object at its address.
pub fn diff_change(change: &Change) -> ChangeDiff {
    diff_change_with(change, CONTEXT_LINES)
}

/// [`diff_change`] with `context` unchanged lines around each changed part of a document.
pub fn diff_change_with(change: &Change, context: usize) -> ChangeDiff {
    if change.address.kind.is_document() {
        ChangeDiff::Document(document_hunks_with(
            change.before.as_ref(),
            change.after.as_ref(),
            context,
        ))
    } else {
        ChangeDiff::Fields(field_diffs(change, context))
    }
}

/// The line diff of two documents' canonical pretty JSON; an absent document is empty text.
pub fn document_hunks(before: Option<&Value>, after: Option<&Value>) -> Vec<Hunk> {
    document_hunks_with(before, after, CONTEXT_LINES)
}

/// [`document_hunks`] with `context` unchanged lines around each changed part.
pub fn document_hunks_with(
    before: Option<&Value>,
    after: Option<&Value>,
    context: usize,
) -> Vec<Hunk> {
    let old = before.map(pretty_lines).unwrap_or_default();
    let new = after.map(pretty_lines).unwrap_or_default();
    let diff = TextDiff::from_lines(&old, &new);
    diff.grouped_ops(context)
        .into_iter()
        .filter_map(|group| {
            let (first, last) = (group.first()?, group.last()?);
            let lines = group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|line| DocumentLine {
                    op: match line.tag() {
                        ChangeTag::Equal => LineOp::Context,
                        ChangeTag::Delete => LineOp::Removed,
                        ChangeTag::Insert => LineOp::Added,
                    },
                    text: line.value().trim_end_matches(['\n', '\r']).to_owned(),
                })
                .collect();
            Some(Hunk {
                old: first.old_range().start..last.old_range().end,
                new: first.new_range().start..last.new_range().end,
                lines,
            })
        })
        .collect()
}

/// Pretty JSON ending in a newline, so that a last line that changes is not reported as a
/// missing line ending.
fn pretty_lines(value: &Value) -> String {
    // Serializing a `Value` cannot fail (its keys are strings); the compact form is a fallback
    // that still shows something rather than nothing.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// Fields of settings objects that hold a policy document.
const DOCUMENT_FIELDS: [&str; 2] = [field::LIFECYCLE_POLICY, field::REPOSITORY_POLICY];

fn field_diffs(change: &Change, context: usize) -> Vec<FieldDiff> {
    let before = change.before.as_ref();
    let after = change.after.as_ref();
    let names: Vec<String> = if change.fields.is_empty() {
        // A hand-written or older plan without `fields`: show every field either side has.
        let keys: BTreeSet<&String> = [before, after]
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(Map::keys)
            .collect();
        keys.into_iter().cloned().collect()
    } else {
        change.fields.clone()
    };
    names
        .into_iter()
        .map(|name| {
            let before_value = field_value(before, &name);
            let after_value = field_value(after, &name);
            let document = |value: &Option<Value>| value.clone().filter(Value::is_object);
            let change = match (
                name == field::TAGS || name == field::RESOURCE_TAGS,
                tag_map(before_value.as_ref()),
                tag_map(after_value.as_ref()),
            ) {
                (true, Some(old), Some(new)) => FieldChange::Tags(tag_diffs(&old, &new)),
                _ if DOCUMENT_FIELDS.contains(&name.as_str())
                    && (document(&before_value).is_some() || document(&after_value).is_some()) =>
                {
                    let (old, new) = (document(&before_value), document(&after_value));
                    FieldChange::Document {
                        before_present: old.is_some(),
                        after_present: new.is_some(),
                        hunks: document_hunks_with(old.as_ref(), new.as_ref(), context),
                    }
                }
                _ => FieldChange::Value {
                    before: before_value,
                    after: after_value,
                },
            };
            FieldDiff { name, change }
        })
        .collect()
}

/// A field of one side: `None` when the side is absent, `null` when the field is missing, and
/// the whole value when the side is not an object (a setting that is a single value).
fn field_value(side: Option<&Value>, name: &str) -> Option<Value> {
    side.map(|value| match value {
        Value::Object(object) => object.get(name).cloned().unwrap_or(Value::Null),
        other => other.clone(),
    })
}

/// Tags as key to displayed value; an absent side has none. `None` when the value is not a
/// tag object, which is then shown as a plain value instead.
fn tag_map(value: Option<&Value>) -> Option<Vec<(String, String)>> {
    match value {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Object(object)) => Some(
            object
                .iter()
                .map(|(key, value)| {
                    let shown = match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    (key.clone(), shown)
                })
                .collect(),
        ),
        Some(_) => None,
    }
}

fn tag_diffs(before: &[(String, String)], after: &[(String, String)]) -> Vec<TagDiff> {
    let lookup = |tags: &[(String, String)], key: &str| {
        tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    let keys: BTreeSet<&String> = before.iter().chain(after).map(|(key, _)| key).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (old, new) = (lookup(before, key), lookup(after, key));
            (old != new).then(|| TagDiff {
                key: key.clone(),
                before: old,
                after: new,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecrform_model::Address;
    use ecrform_plan::Action;
    use serde_json::json;

    fn change(
        address: &str,
        fields: &[&str],
        before: Option<Value>,
        after: Option<Value>,
    ) -> Change {
        Change::new(
            Address::parse(address).unwrap(),
            Action::Update,
            fields.iter().map(|f| (*f).to_owned()).collect(),
            before,
            after,
            Vec::new(),
        )
    }

    #[test]
    fn tags_are_compared_key_by_key_and_unchanged_ones_left_out() {
        let diff = diff_change(&change(
            "123456789012/us-east-1/repository/app",
            &["tags"],
            Some(json!({"tags": {"same": "1", "gone": "x", "moved": "a"}})),
            Some(json!({"tags": {"same": "1", "new": "y", "moved": "b"}})),
        ));
        let tag = |key: &str, before: Option<&str>, after: Option<&str>| TagDiff {
            key: key.to_owned(),
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        };
        assert_eq!(
            diff,
            ChangeDiff::Fields(vec![FieldDiff {
                name: "tags".to_owned(),
                change: FieldChange::Tags(vec![
                    tag("gone", Some("x"), None),
                    tag("moved", Some("a"), Some("b")),
                    tag("new", None, Some("y")),
                ]),
            }])
        );
    }

    #[test]
    fn a_field_missing_from_a_present_object_is_null_but_an_absent_object_is_none() {
        let diff = diff_change(&change(
            "123456789012/us-east-1/repository/app",
            &["scan_on_push"],
            None,
            Some(json!({"scan_on_push": true})),
        ));
        assert_eq!(
            diff,
            ChangeDiff::Fields(vec![FieldDiff {
                name: "scan_on_push".to_owned(),
                change: FieldChange::Value {
                    before: None,
                    after: Some(json!(true))
                },
            }])
        );
        let diff = diff_change(&change(
            "123456789012/us-east-1/repository/app",
            &["scan_on_push"],
            Some(json!({})),
            Some(json!({"scan_on_push": true})),
        ));
        assert!(matches!(
            diff,
            ChangeDiff::Fields(fields) if fields[0].change == FieldChange::Value { before: Some(Value::Null), after: Some(json!(true)) }
        ));
    }

    #[test]
    fn without_fields_every_key_of_either_side_is_shown() {
        let diff = diff_change(&change(
            "123456789012/us-east-1/repository/app",
            &[],
            Some(json!({"b": 1})),
            Some(json!({"a": 2})),
        ));
        let ChangeDiff::Fields(fields) = diff else {
            panic!("fields expected")
        };
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn a_document_change_is_one_hunk_with_context() {
        let before = json!({"rules": [{"rulePriority": 1, "countNumber": 7, "a": 1, "b": 2, "c": 3, "d": 4, "e": 5}]});
        let mut after = before.clone();
        after["rules"][0]["countNumber"] = json!(14);
        let hunks = document_hunks(Some(&before), Some(&after));
        assert_eq!(hunks.len(), 1);
        let ops: Vec<LineOp> = hunks[0].lines.iter().map(|l| l.op).collect();
        assert_eq!(ops.iter().filter(|op| **op == LineOp::Removed).count(), 1);
        assert_eq!(ops.iter().filter(|op| **op == LineOp::Added).count(), 1);
        assert_eq!(
            ops.iter().filter(|op| **op == LineOp::Context).count(),
            2 * CONTEXT_LINES
        );
        assert!(
            hunks[0]
                .lines
                .iter()
                .any(|l| l.op == LineOp::Added && l.text.trim() == "\"countNumber\": 14,")
        );
    }

    #[test]
    fn an_absent_document_diffs_as_empty_text() {
        let hunks = document_hunks(None, Some(&json!({"a": 1})));
        assert_eq!(hunks.len(), 1);
        assert_eq!(hunks[0].old, 0..0);
        assert_eq!(hunks[0].new, 0..3);
        assert!(hunks[0].lines.iter().all(|l| l.op == LineOp::Added));
        assert!(document_hunks(None, None).is_empty());
        assert!(document_hunks(Some(&json!({"a": 1})), Some(&json!({"a": 1}))).is_empty());
    }

    #[test]
    fn registry_singletons_diff_as_documents_and_keyed_objects_by_field() {
        for (address, document) in [
            ("123456789012/us-east-1/replication", true),
            ("123456789012/us-east-1/registry_policy", true),
            ("123456789012/us-east-1/scanning", true),
            (
                "123456789012/us-east-1/pull_through_cache/docker-hub",
                false,
            ),
            ("123456789012/us-east-1/creation_template/ROOT", false),
            (
                "123456789012/us-east-1/account_setting/BLOB_MOUNTING",
                false,
            ),
        ] {
            let diff = diff_change(&change(
                address,
                &["value"],
                Some(json!({"a": 1})),
                Some(json!({"a": 2})),
            ));
            assert_eq!(
                matches!(diff, ChangeDiff::Document(_)),
                document,
                "{address}"
            );
        }
    }

    #[test]
    fn a_template_field_holding_a_document_diffs_as_a_nested_document() {
        let diff = diff_change(&change(
            "123456789012/us-east-1/creation_template/ROOT",
            &["lifecycle_policy", "repository_policy", "resource_tags"],
            Some(json!({"lifecycle_policy": {"rules": [{"countNumber": 7}]},
                        "resource_tags": {"team": "a"}})),
            Some(json!({"lifecycle_policy": {"rules": [{"countNumber": 30}]},
                        "repository_policy": {"Statement": []},
                        "resource_tags": {"team": "b"}})),
        ));
        let ChangeDiff::Fields(fields) = diff else {
            panic!("fields expected")
        };
        assert!(matches!(
            &fields[0].change,
            FieldChange::Document { before_present: true, after_present: true, hunks } if hunks.len() == 1
        ));
        assert!(matches!(
            &fields[1].change,
            FieldChange::Document {
                before_present: false,
                after_present: true,
                ..
            }
        ));
        assert_eq!(
            fields[2].change,
            FieldChange::Tags(vec![TagDiff {
                key: "team".to_owned(),
                before: Some("a".to_owned()),
                after: Some("b".to_owned()),
            }])
        );
    }
}
