//! A small YAML node tree that remembers where every node was written.
//!
//! Diagnostics must point at the offending node, and a spec must report every problem in one
//! run. serde's derive stops at the first error and forgets positions, so the spec is first read
//! into this tree from yaml-rust2's event stream (whose markers carry a 1-based line and a
//! 0-based column), and everything after works on the tree. The tree keeps mapping keys in the
//! order written, with their own positions, and keeps how each scalar was written, because
//! `account: 012345678901` and `account: "012345678901"` mean different things to a user.
//!
//! Anchors, aliases and tags other than `!!str` are rejected: an alias would make one node
//! stand in several places, and a diagnostic could no longer name the one place to fix.
//! Duplicate keys are errors (the first one is kept so that the rest of the file is still
//! checked). A file holds exactly one YAML document. Nesting is bounded
//! ([`MAX_NESTING`] levels): the tree is built with an explicit stack, but what reads it
//! afterwards recurses, and a file of a million `[` must be an error, not a stack overflow.

use std::collections::HashMap;
use std::fmt;

use ecrform_model::limits::MAX_NESTING;
use ecrform_model::shown::{self, quoted};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };

    pub fn new(line: usize, column: usize) -> Self {
        Pos { line, column }
    }

    fn from_marker(marker: &Marker) -> Self {
        Pos {
            line: marker.line().max(1),
            column: marker.col() + 1,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub at: Pos,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Mapping(Vec<Entry>),
    Sequence(Vec<Node>),
    Scalar(Scalar),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_at: Pos,
    pub value: Node,
}

/// A scalar as written: its text and whether it was quoted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scalar {
    pub text: String,
    /// Quoted and block scalars are always strings; only plain ones are resolved to null,
    /// booleans and numbers.
    pub plain: bool,
}

/// What a scalar means under the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a str),
}

impl Scalar {
    pub fn resolve(&self) -> Resolved<'_> {
        if !self.plain {
            return Resolved::Str(&self.text);
        }
        resolve_plain(&self.text)
    }

    /// Plain `none` or a YAML null: the spec's way of saying "must be absent".
    pub fn is_none_keyword(&self) -> bool {
        (self.plain && self.text == "none") || self.resolve() == Resolved::Null
    }
}

fn resolve_plain(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(value) = i128::from_str_radix(hex, 16)
    {
        return Resolved::Int(value);
    }
    if let Some(octal) = text.strip_prefix("0o")
        && let Ok(value) = i128::from_str_radix(octal, 8)
    {
        return Resolved::Int(value);
    }
    if is_decimal_integer(text) {
        return match text.parse::<i128>() {
            Ok(value) => Resolved::Int(value),
            Err(_) => text
                .parse::<f64>()
                .map_or(Resolved::Str(text), Resolved::Float),
        };
    }
    if is_decimal_float(text)
        && let Ok(value) = text.parse::<f64>()
    {
        return Resolved::Float(value);
    }
    Resolved::Str(text)
}

/// `[-+]?[0-9]+`
fn is_decimal_integer(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_decimal_float(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(index) => (&unsigned[..index], Some(&unsigned[index + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match fraction {
        Some(fraction) => {
            all_digits(whole) && all_digits(fraction) && !(whole.is_empty() && fraction.is_empty())
        }
        None => !whole.is_empty() && all_digits(whole),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

impl Node {
    /// How a diagnostic names this node when it is not what was expected.
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Mapping(_) => "a mapping".to_owned(),
            NodeKind::Sequence(_) => "a sequence".to_owned(),
            NodeKind::Scalar(scalar) => match scalar.resolve() {
                Resolved::Null => "nothing (null)".to_owned(),
                Resolved::Bool(value) => format!("the boolean {value}"),
                Resolved::Int(_) | Resolved::Float(_) => {
                    format!("the number {}", shown::cut(&scalar.text))
                }
                Resolved::Str(text) => {
                    format!("the string {shown_text}", shown_text = quoted(text))
                }
            },
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// Whether this node is plain `none` or a YAML null.
    pub fn is_none_keyword(&self) -> bool {
        self.as_scalar().is_some_and(Scalar::is_none_keyword)
    }
}

/// A problem that stopped the YAML parser: nothing of the file can be trusted after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub at: Pos,
    pub message: String,
}

/// A parsed file: its root node (`None` for an empty document) and the problems found while
/// building the tree that did not stop parsing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub root: Option<Node>,
    pub problems: Vec<(Pos, String)>,
}

/// Parses one YAML document into a [`Node`] tree.
pub(crate) fn parse(text: &str) -> Result<Parsed, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = TreeBuilder::default();
    let mut documents = 0usize;
    loop {
        let (event, marker) = parser.next_token().map_err(|error| SyntaxError {
            at: Pos::from_marker(error.marker()),
            message: format!("invalid YAML: {}", error.info()),
        })?;
        let at = Pos::from_marker(&marker);
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    builder.problems.push((
                        at,
                        "a spec file holds one YAML document; remove the second `---` document"
                            .to_owned(),
                    ));
                    break;
                }
            }
            other => builder.event(other, at)?,
        }
    }
    Ok(Parsed {
        root: builder.root,
        problems: builder.problems,
    })
}

#[derive(Debug)]
enum Frame {
    Mapping {
        at: Pos,
        entries: Vec<Entry>,
        pending_key: Option<(String, Pos)>,
        first_seen: HashMap<String, Pos>,
        /// A duplicate or unusable key: its value is checked for nothing and dropped.
        skip_value: bool,
    },
    Sequence {
        at: Pos,
        items: Vec<Node>,
    },
}

#[derive(Debug, Default)]
struct TreeBuilder {
    stack: Vec<Frame>,
    root: Option<Node>,
    problems: Vec<(Pos, String)>,
}

impl TreeBuilder {
    /// Takes one event; nesting deeper than [`MAX_NESTING`] stops the file, so that nothing
    /// that walks the tree afterwards (recursively) can run out of stack.
    fn event(&mut self, event: Event, at: Pos) -> Result<(), SyntaxError> {
        if matches!(event, Event::SequenceStart(..) | Event::MappingStart(..))
            && self.stack.len() >= MAX_NESTING
        {
            return Err(SyntaxError {
                at,
                message: format!(
                    "mappings and sequences nest more than {MAX_NESTING} levels deep here; \
                     ecrform reads at most {MAX_NESTING}"
                ),
            });
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.reject_anchor(anchor, at);
                let quoted = !matches!(style, TScalarStyle::Plain);
                let forced_string = self.check_tag(tag.as_ref(), at, true);
                let scalar = Scalar {
                    text,
                    plain: !quoted && !forced_string,
                };
                self.complete(Node {
                    at,
                    kind: NodeKind::Scalar(scalar),
                });
            }
            Event::Alias(_) => {
                self.problems.push((
                    at,
                    "YAML aliases (*name) are not supported; write the value out".to_owned(),
                ));
                let null = Scalar {
                    text: String::new(),
                    plain: true,
                };
                self.complete(Node {
                    at,
                    kind: NodeKind::Scalar(null),
                });
            }
            Event::SequenceStart(anchor, tag) => {
                self.reject_anchor(anchor, at);
                self.check_tag(tag.as_ref(), at, false);
                self.stack.push(Frame::Sequence {
                    at,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.reject_anchor(anchor, at);
                self.check_tag(tag.as_ref(), at, false);
                self.stack.push(Frame::Mapping {
                    at,
                    entries: Vec::new(),
                    pending_key: None,
                    first_seen: HashMap::new(),
                    skip_value: false,
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Sequence { at, items }) = self.stack.pop() {
                    self.complete(Node {
                        at,
                        kind: NodeKind::Sequence(items),
                    });
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Mapping { at, entries, .. }) = self.stack.pop() {
                    // yaml-rust2 marks a block mapping after its first key; the first key is
                    // where a reader sees the mapping start.
                    let at = entries.first().map_or(at, |first| at.min(first.key_at));
                    self.complete(Node {
                        at,
                        kind: NodeKind::Mapping(entries),
                    });
                }
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
        Ok(())
    }

    fn reject_anchor(&mut self, anchor: usize, at: Pos) {
        if anchor != 0 {
            self.problems.push((
                at,
                "YAML anchors (&name) are not supported; write the value out (or use `defaults`)"
                    .to_owned(),
            ));
        }
    }

    /// Returns whether the tag forces the scalar to be a string (`!!str`).
    fn check_tag(&mut self, tag: Option<&Tag>, at: Pos, scalar: bool) -> bool {
        let Some(tag) = tag else { return false };
        if scalar && tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str" {
            return true;
        }
        let written = if tag.handle == "tag:yaml.org,2002:" {
            format!("!!{}", tag.suffix)
        } else {
            format!("{}{}", tag.handle, tag.suffix)
        };
        self.problems.push((
            at,
            format!(
                "YAML tags ({}) are not supported; quote the value to make it a string",
                shown::cut(&written)
            ),
        ));
        false
    }

    fn complete(&mut self, mut node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping {
                entries,
                pending_key,
                first_seen,
                skip_value,
                ..
            }) => {
                match pending_key.take() {
                    None if *skip_value => *skip_value = false,
                    None => {
                        let key = match &node.kind {
                            NodeKind::Scalar(scalar) => scalar.text.clone(),
                            _ => {
                                self.problems.push((
                                    node.at,
                                    format!(
                                        "a mapping key must be a plain string, found {}",
                                        node.describe()
                                    ),
                                ));
                                *skip_value = true;
                                // The value still arrives; keep the mapping's shape.
                                *pending_key = None;
                                return;
                            }
                        };
                        if let Some(first) = first_seen.get(&key) {
                            self.problems.push((
                                node.at,
                                format!(
                                    "duplicate key {shown_key} (first defined at line {}, column {})",
                                    first.line, first.column, shown_key = quoted(&key)
                                ),
                            ));
                            *skip_value = true;
                            return;
                        }
                        first_seen.insert(key.clone(), node.at);
                        *pending_key = Some((key, node.at));
                    }
                    Some((key, key_at)) => {
                        // An empty value is marked at the next token, often on the next line;
                        // the key is where the reader looks.
                        if matches!(&node.kind, NodeKind::Scalar(s) if s.plain && s.text.is_empty())
                        {
                            node.at = key_at;
                        }
                        entries.push(Entry {
                            key,
                            key_at,
                            value: node,
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let parsed = parse(text).unwrap();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        parsed.root.unwrap()
    }

    fn entries(node: &Node) -> &[Entry] {
        match &node.kind {
            NodeKind::Mapping(entries) => entries,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    #[test]
    fn positions_are_one_based_for_keys_values_and_block_mappings() {
        let tree = root("version: 1\nregistries:\n  - account: \"123\"\n    tags: {a: 'b'}\n");
        assert_eq!(tree.at, Pos::new(1, 1));
        let top = entries(&tree);
        assert_eq!(top[0].key_at, Pos::new(1, 1));
        assert_eq!(top[0].value.at, Pos::new(1, 10));
        let NodeKind::Sequence(items) = &top[1].value.kind else {
            panic!()
        };
        assert_eq!(top[1].value.at, Pos::new(3, 3));
        assert_eq!(items[0].at, Pos::new(3, 5));
        let registry = entries(&items[0]);
        assert_eq!(registry[0].value.at, Pos::new(3, 14));
        assert_eq!(registry[1].value.at, Pos::new(4, 11));
        assert_eq!(entries(&registry[1].value)[0].value.at, Pos::new(4, 15));
    }

    #[test]
    fn an_empty_value_is_located_at_its_key() {
        let tree = root("a:\n  empty:\n  next: 1\n");
        let inner = entries(&entries(&tree)[0].value);
        assert_eq!(inner[0].value.at, Pos::new(2, 3));
        assert!(inner[0].value.is_none_keyword());
    }

    #[test]
    fn plain_scalars_resolve_with_the_core_schema_and_quoted_ones_stay_strings() {
        let cases: &[(&str, Resolved<'_>)] = &[
            ("~", Resolved::Null),
            ("", Resolved::Null),
            ("True", Resolved::Bool(true)),
            ("yes", Resolved::Str("yes")),
            ("012345678901", Resolved::Int(12_345_678_901)),
            ("0x1f", Resolved::Int(31)),
            ("-3", Resolved::Int(-3)),
            ("1.5e3", Resolved::Float(1500.0)),
            (".5", Resolved::Float(0.5)),
            ("1.2.3", Resolved::Str("1.2.3")),
            ("us-east-1", Resolved::Str("us-east-1")),
        ];
        for (text, expected) in cases {
            let scalar = Scalar {
                text: (*text).to_owned(),
                plain: true,
            };
            assert_eq!(scalar.resolve(), *expected, "{text}");
        }
        let quoted = Scalar {
            text: "1".to_owned(),
            plain: false,
        };
        assert_eq!(quoted.resolve(), Resolved::Str("1"));
    }

    #[test]
    fn tree_problems_are_reported_with_their_position() {
        let cases = [
            (
                "a: 1\nb: 2\na: 3\n",
                Pos::new(3, 1),
                "duplicate key \"a\" (first defined at line 1, column 1)",
            ),
            (
                "a: &x 1\n",
                Pos::new(1, 7),
                "YAML anchors (&name) are not supported; write the value out (or use `defaults`)",
            ),
            (
                "a: !foo 1\n",
                Pos::new(1, 9),
                "YAML tags (!foo) are not supported; quote the value to make it a string",
            ),
            (
                "? [a]\n: 1\n",
                Pos::new(1, 3),
                "a mapping key must be a plain string, found a sequence",
            ),
            (
                "a: 1\n---\nb: 2\n",
                Pos::new(2, 1),
                "a spec file holds one YAML document; remove the second `---` document",
            ),
        ];
        for (text, at, message) in cases {
            let parsed = parse(text).unwrap();
            assert_eq!(
                parsed.problems.first(),
                Some(&(at, message.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn a_long_tag_is_cut_in_its_message() {
        let parsed = parse(&format!("a: !{} 1\n", "t".repeat(5000))).unwrap();
        let (_, message) = &parsed.problems[0];
        assert!(message.contains("… (5001 characters)"), "{message}");
        assert!(message.len() < 400, "{message}");
    }

    #[test]
    fn str_tag_forces_a_string_and_aliases_do_not_panic() {
        let tree = root("a: !!str 12\n");
        assert_eq!(
            entries(&tree)[0].value.as_scalar().unwrap().resolve(),
            Resolved::Str("12")
        );
        let parsed = parse("a: &x [1]\nb: *x\n").unwrap();
        assert_eq!(parsed.problems.len(), 2);
    }

    #[test]
    fn syntax_errors_carry_the_parser_position() {
        let error = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(error.at, Pos::new(2, 2));
        assert!(
            error.message.starts_with("invalid YAML: "),
            "{}",
            error.message
        );
        let error = parse("a: 1\n b: 2\n").unwrap_err();
        assert_eq!(error.at, Pos::new(2, 3));
    }

    #[test]
    fn json_parses_with_positions() {
        let tree = root("{\"a\": [1, {\"b\": \"x\"}],\n \"c\": true}");
        let top = entries(&tree);
        assert_eq!(top[1].key_at, Pos::new(2, 2));
        let NodeKind::Sequence(items) = &top[0].value.kind else {
            panic!()
        };
        assert_eq!(entries(&items[1])[0].value.at, Pos::new(1, 17));
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_a_syntax_error_not_a_stack_overflow() {
        let at_limit = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert!(parse(&at_limit).is_ok());
        let block: String = (0..=MAX_NESTING)
            .map(|depth| format!("{}- x\n{}-\n", "  ".repeat(depth), "  ".repeat(depth)))
            .collect();
        // yaml-rust2 refuses flow nesting past 255 itself, sometimes before the tree sees
        // level 129 (it scans ahead): either way the file stops with a located error.
        let cases = [
            ("[".repeat(1_000_000), 1),
            ("{a: ".repeat(200_000), 1),
            (block, 2 * MAX_NESTING + 1),
        ];
        for (text, line) in cases {
            let error = parse(&text).unwrap_err();
            assert_eq!(error.at.line, line, "{}", error.message);
            assert!(
                error.message.contains("more than 128 levels")
                    || error.message == "invalid YAML: recursion limit exceeded",
                "{}",
                error.message
            );
        }
    }

    #[test]
    fn aliases_are_not_expanded_however_many_there_are() {
        // "Billion laughs": each level names the previous one nine times.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for level in 1..40 {
            let previous = format!("*a{}", level - 1);
            let list = [previous.as_str(); 9].join(", ");
            bomb.push_str(&format!("a{level}: &a{level} [{list}]\n"));
        }
        let parsed = parse(&bomb).unwrap();
        // One problem per anchor and per alias, each where it is written; nothing expanded.
        assert_eq!(parsed.problems.len(), 40 + 39 * 9);
        assert_eq!(parsed.problems[1].0, Pos::new(2, 9));
    }

    #[test]
    fn an_empty_file_has_no_root() {
        assert_eq!(parse("").unwrap().root, None);
        assert_eq!(parse("# only a comment\n").unwrap().root, None);
    }
}
