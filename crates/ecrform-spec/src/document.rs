//! Policy documents as JSON values that still know where each part was written.
//!
//! The model and lifecycle crates check documents as `serde_json::Value`s and locate problems
//! by a path into the document. Converting the YAML node tree (an inline document, or a policy
//! file: JSON parses fine with the YAML parser) also builds an index from each path to its
//! position, so that such a problem becomes `FILE:LINE:COLUMN` of the node.

use std::collections::HashMap;

use std::path::Path;

use ecrform_model::PathSegment;
use ecrform_model::shown;
use serde_json::{Map, Number, Value};

use crate::yaml::{self, Node, NodeKind, Pos, Resolved};
use crate::{Diagnostic, Diagnostics};

/// A document read on its own from YAML text (JSON is YAML too), by the rules the spec reads
/// its policy documents with, that can still say where each of its parts was written. For
/// files outside a spec, such as the policy that `lifecycle preview` takes.
#[derive(Debug, Clone)]
pub struct LocatedDocument {
    pub value: Value,
    index: PathIndex,
}

impl LocatedDocument {
    /// Parses `text`; every problem is a diagnostic located in `file`. YAML anchors, aliases,
    /// tags and duplicate keys are refused as in a spec, and an empty document is a problem.
    pub fn parse(file: &Path, text: &str) -> Result<Self, Diagnostics> {
        let at = |pos: Pos, message: String| Diagnostic {
            file: file.to_owned(),
            line: Some(pos.line),
            column: Some(pos.column),
            message,
        };
        let parsed =
            yaml::parse(text).map_err(|error| Diagnostics(vec![at(error.at, error.message)]))?;
        let mut problems: Vec<Diagnostic> = parsed
            .problems
            .into_iter()
            .map(|(pos, message)| at(pos, message))
            .collect();
        let Some(root) = parsed.root else {
            return Err(Diagnostics(vec![at(
                Pos::START,
                "the document is empty".to_owned(),
            )]));
        };
        match to_json(&root) {
            Ok((value, index)) if problems.is_empty() => Ok(LocatedDocument { value, index }),
            Ok(_) => Err(Diagnostics(problems)),
            Err(errors) => {
                problems.extend(errors.into_iter().map(|error| at(error.at, error.message)));
                problems.sort_by_key(|problem| (problem.line, problem.column));
                Err(Diagnostics(problems))
            }
        }
    }

    /// Where the node at `path` was written as a 1-based (line, column), or its nearest
    /// ancestor that was, and whether the position is the path's own.
    pub fn locate(&self, path: &[PathSegment]) -> ((usize, usize), bool) {
        let (at, exact) = self.index.locate(path);
        ((at.line, at.column), exact)
    }
}

/// Where each part of a document was written. Mapping entries are located at their key.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathIndex {
    positions: HashMap<Vec<PathSegment>, Pos>,
}

impl PathIndex {
    /// An index that knows only the document's root, for documents without positions.
    pub fn root_only(at: Pos) -> Self {
        let mut positions = HashMap::new();
        positions.insert(Vec::new(), at);
        PathIndex { positions }
    }

    /// The position of `path`, or of its nearest ancestor that exists (a problem with a
    /// missing key is reported where the key should have been written), and whether the
    /// position is the path's own.
    pub fn locate(&self, path: &[PathSegment]) -> (Pos, bool) {
        (0..=path.len())
            .rev()
            .find_map(|length| {
                let at = self.positions.get(&path[..length]).copied()?;
                Some((at, length == path.len()))
            })
            .unwrap_or((Pos::START, path.is_empty()))
    }
}

/// A node that has no JSON equivalent, with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConversionError {
    pub at: Pos,
    pub message: String,
}

/// Converts a YAML node to JSON under the core schema: plain scalars become null, booleans
/// and numbers where they read as such, everything else a string.
pub(crate) fn to_json(node: &Node) -> Result<(Value, PathIndex), Vec<ConversionError>> {
    let mut index = PathIndex::default();
    let mut errors = Vec::new();
    let mut path = Vec::new();
    let value = convert(node, node.at, &mut path, &mut index, &mut errors);
    if errors.is_empty() {
        Ok((value, index))
    } else {
        Err(errors)
    }
}

fn convert(
    node: &Node,
    located_at: Pos,
    path: &mut Vec<PathSegment>,
    index: &mut PathIndex,
    errors: &mut Vec<ConversionError>,
) -> Value {
    index.positions.insert(path.clone(), located_at);
    match &node.kind {
        NodeKind::Mapping(entries) => {
            let mut object = Map::new();
            for entry in entries {
                path.push(PathSegment::Key(entry.key.clone()));
                let value = convert(&entry.value, entry.key_at, path, index, errors);
                path.pop();
                object.insert(entry.key.clone(), value);
            }
            Value::Object(object)
        }
        NodeKind::Sequence(items) => {
            let mut values = Vec::with_capacity(items.len());
            for (position, item) in items.iter().enumerate() {
                path.push(PathSegment::Index(position));
                values.push(convert(item, item.at, path, index, errors));
                path.pop();
            }
            Value::Array(values)
        }
        NodeKind::Scalar(scalar) => match scalar.resolve() {
            Resolved::Null => Value::Null,
            Resolved::Bool(value) => Value::Bool(value),
            Resolved::Str(text) => Value::String(text.to_owned()),
            Resolved::Int(value) => match integer(value) {
                Some(number) => Value::Number(number),
                None => {
                    errors.push(ConversionError {
                        at: node.at,
                        message: format!(
                            "the number {} is too large for JSON",
                            shown::cut(&scalar.text)
                        ),
                    });
                    Value::Null
                }
            },
            Resolved::Float(value) => match Number::from_f64(value) {
                Some(number) => Value::Number(number),
                None => {
                    errors.push(ConversionError {
                        at: node.at,
                        message: format!(
                            "{} is not a JSON number; quote it if a string is meant",
                            shown::cut(&scalar.text)
                        ),
                    });
                    Value::Null
                }
            },
        },
    }
}

fn integer(value: i128) -> Option<Number> {
    if let Ok(small) = i64::try_from(value) {
        return Some(Number::from(small));
    }
    u64::try_from(value).ok().map(Number::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn a_document_on_its_own_is_read_with_every_problem_located() {
        let file = Path::new("policy.yaml");
        let document = LocatedDocument::parse(
            file,
            "rules:\n  - rulePriority: 1\n    selection: {tagStatus: any}\n",
        )
        .unwrap();
        assert_eq!(document.value["rules"][0]["rulePriority"], 1);
        let priority = [
            PathSegment::Key("rules".to_owned()),
            PathSegment::Index(0),
            PathSegment::Key("rulePriority".to_owned()),
        ];
        assert_eq!(document.locate(&priority), ((2, 5), true));
        assert_eq!(document.locate(&priority[..1]), ((1, 1), true));

        let cases = [
            ("", vec!["policy.yaml:1:1: the document is empty"]),
            (
                "rules: [\n",
                vec![
                    "policy.yaml:2:1: invalid YAML: while parsing a node, did not find expected node content",
                ],
            ),
            (
                "a: &x 1\nb: .nan\n",
                vec![
                    "policy.yaml:1:7: YAML anchors (&name) are not supported; write the value out (or use `defaults`)",
                    "policy.yaml:2:4: .nan is not a JSON number; quote it if a string is meant",
                ],
            ),
        ];
        for (text, expected) in cases {
            let problems: Vec<String> = LocatedDocument::parse(file, text)
                .unwrap_err()
                .0
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(problems, expected, "{text:?}");
        }
    }

    fn key(name: &str) -> PathSegment {
        PathSegment::Key(name.to_owned())
    }

    #[test]
    fn inline_yaml_becomes_json_with_positions_at_keys_and_items() {
        let text = "rules:\n  - rulePriority: 1\n    selection: {tagStatus: \"untagged\", countNumber: 7}\n    enabled: true\n";
        let root = parse(text).unwrap().root.unwrap();
        let (value, index) = to_json(&root).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countNumber": 7}, "enabled": true}]})
        );
        let rule = vec![key("rules"), PathSegment::Index(0)];
        assert_eq!(index.locate(&rule).0, Pos::new(2, 5));
        let count = [rule.clone(), vec![key("selection"), key("countNumber")]].concat();
        assert_eq!(index.locate(&count).0, Pos::new(3, 40));
        let missing = [rule.clone(), vec![key("selection"), key("countUnit")]].concat();
        assert_eq!(index.locate(&missing).0, Pos::new(3, 5));
        assert_eq!(index.locate(&[]).0, Pos::new(1, 1));
        assert_eq!(index.locate(&missing), (Pos::new(3, 5), false));
        assert_eq!(index.locate(&count), (Pos::new(3, 40), true));
        let unlocated = PathIndex::root_only(Pos::START);
        assert_eq!(unlocated.locate(&rule), (Pos::START, false));
    }

    #[test]
    fn numbers_without_a_json_form_are_errors() {
        let root = parse("a: .nan\nb: 999999999999999999999999\n")
            .unwrap()
            .root
            .unwrap();
        let errors = to_json(&root).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].at, Pos::new(1, 4));
    }
}
