//! The generic reader: walking a node tree with every problem of shape reported at its node.
//!
//! A read returns `None` when its node was reported, so that callers go on with the rest of
//! the file. This module knows value kinds (mappings with known keys, lists, strings,
//! booleans, `none`, a quoted account id), not which keys go where: apart from one hint
//! (`force_delete` written in `defaults`), that is for the reader of each concept.

use ecrform_model::shown::quoted;

use crate::report::{FileId, Location, Report};
use crate::suggest;
use crate::yaml::{Entry, Node, NodeKind, Pos, Resolved};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned<T> {
    pub value: T,
    pub at: Pos,
}

/// A mapping entry's value with the key's position too: messages about the setting as a whole
/// ("also defined at") point at the key, messages about the value at the value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field<T> {
    pub key_at: Pos,
    pub at: Pos,
    pub value: T,
}

/// A setting written as `none` (or YAML null), or a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OrNone<T> {
    None,
    Some(T),
}

/// A YAML null (not the `none` keyword, which says "must be absent" and makes no sense for a
/// list of registries or repositories).
pub(super) fn is_null(node: &Node) -> bool {
    node.as_scalar()
        .is_some_and(|scalar| scalar.resolve() == Resolved::Null)
}

pub(super) fn field<T>(entry: &Entry, value: T) -> Field<T> {
    Field {
        key_at: entry.key_at,
        at: entry.value.at,
        value,
    }
}

/// The keys of a mapping after unknown ones were reported.
pub(super) struct Fields<'n> {
    pub(super) entries: &'n [Entry],
    /// Keys that were written but whose values did not read (already reported). Repository
    /// settings hand them to validation, which then skips the checks that involve them.
    pub(super) malformed_keys: Vec<&'static str>,
}

impl<'n> Fields<'n> {
    pub(super) fn get(&self, key: &str) -> Option<&'n Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

/// Walks the tree of one file, reporting its problems in `file`.
pub(super) struct Reader<'r> {
    pub(super) file: FileId,
    pub(super) report: &'r mut Report,
}

impl Reader<'_> {
    pub(super) fn error(&mut self, at: Pos, message: impl Into<String>) {
        self.report.error(Location::new(self.file, at), message);
    }

    pub(super) fn wrong_type(&mut self, node: &Node, expected: &str) {
        self.error(
            node.at,
            format!("expected {expected}, found {}", node.describe()),
        );
    }

    pub(super) fn mapping<'n>(&mut self, node: &'n Node, expected: &str) -> Option<&'n [Entry]> {
        match &node.kind {
            NodeKind::Mapping(entries) => Some(entries),
            _ => {
                self.wrong_type(node, expected);
                None
            }
        }
    }

    /// A mapping whose keys must come from `known`.
    pub(super) fn fields<'n>(
        &mut self,
        node: &'n Node,
        expected: &str,
        known: &[&str],
    ) -> Option<Fields<'n>> {
        let entries = self.mapping(node, expected)?;
        for entry in entries {
            if !known.contains(&entry.key.as_str()) {
                self.unknown_key(entry, known);
            }
        }
        Some(Fields {
            entries,
            malformed_keys: Vec::new(),
        })
    }

    pub(super) fn unknown_key(&mut self, entry: &Entry, known: &[&str]) {
        let message = if entry.key == "force_delete" && !known.contains(&"force_delete") {
            "force_delete cannot go in defaults; set it on each repository that may be deleted \
             while it holds images"
                .to_owned()
        } else {
            match suggest::nearest(&entry.key, known.iter().copied()) {
                Some(candidate) => {
                    format!(
                        "unknown key {}; did you mean {shown_candidate}?",
                        quoted(&entry.key),
                        shown_candidate = quoted(candidate)
                    )
                }
                None => format!(
                    "unknown key {}; expected one of: {}",
                    quoted(&entry.key),
                    suggest::comma_separated(known)
                ),
            }
        };
        self.error(entry.key_at, message);
    }

    pub(super) fn missing(&mut self, at: Pos, key: &str, within: &str) {
        self.error(
            at,
            format!("missing {shown_key} in {within}", shown_key = quoted(key)),
        );
    }

    pub(super) fn sequence<'n>(&mut self, node: &'n Node, expected: &str) -> Option<&'n [Node]> {
        match &node.kind {
            NodeKind::Sequence(items) => Some(items),
            _ => {
                self.wrong_type(node, expected);
                None
            }
        }
    }

    /// Any non-null scalar, as written: `cost-center: 1234` is the string "1234".
    pub(super) fn string(&mut self, node: &Node, expected: &str) -> Option<Spanned<String>> {
        match node.as_scalar() {
            Some(scalar) if scalar.resolve() != Resolved::Null => Some(Spanned {
                value: scalar.text.clone(),
                at: node.at,
            }),
            _ => {
                self.wrong_type(node, expected);
                None
            }
        }
    }

    pub(super) fn string_field(&mut self, entry: &Entry, expected: &str) -> Option<Field<String>> {
        self.string(&entry.value, expected)
            .map(|spanned| field(entry, spanned.value))
    }

    pub(super) fn boolean(&mut self, node: &Node) -> Option<bool> {
        match node.as_scalar().map(|scalar| scalar.resolve()) {
            Some(Resolved::Bool(value)) => Some(value),
            _ => {
                self.wrong_type(node, "true or false");
                None
            }
        }
    }

    pub(super) fn strings(&mut self, node: &Node, expected: &str) -> Option<Vec<Spanned<String>>> {
        let items = self.sequence(node, expected)?;
        let mut strings = Vec::with_capacity(items.len());
        let mut complete = true;
        for item in items {
            match self.string(item, "a string") {
                Some(value) => strings.push(value),
                None => complete = false,
            }
        }
        complete.then_some(strings)
    }

    /// A 12-digit account id. An unquoted number is refused: YAML reads `012345678901` as a
    /// number, and the user must see that the leading zero is at stake.
    pub(super) fn account(&mut self, node: &Node) -> Option<Spanned<String>> {
        if let Some(scalar) = node.as_scalar()
            && matches!(scalar.resolve(), Resolved::Int(_) | Resolved::Float(_))
        {
            self.error(
                node.at,
                format!(
                    "account {} is a YAML number; quote it (account: \"{}\") so that it \
                         stays a 12-digit string",
                    scalar.text, scalar.text
                ),
            );
            return None;
        }
        self.string(node, "a 12-digit account id in quotes")
    }

    /// `none`/null or a value read by `read`.
    fn or_none<T>(
        &mut self,
        node: &Node,
        read: impl FnOnce(&mut Self, &Node) -> Option<T>,
    ) -> Option<OrNone<T>> {
        if node.is_none_keyword() {
            Some(OrNone::None)
        } else {
            read(self, node).map(OrNone::Some)
        }
    }

    /// `key` of `fields` when it is written: `none`, or its value as `read` reads it, with the
    /// entry's positions. A value that did not read (already reported) leaves `None` and
    /// marks `key` as malformed in `fields`.
    pub(super) fn or_none_field<T>(
        &mut self,
        fields: &mut Fields<'_>,
        key: &'static str,
        read: impl FnOnce(&mut Self, &Node) -> Option<T>,
    ) -> Option<Field<OrNone<T>>> {
        let entry = fields.get(key)?;
        let value = self
            .or_none(&entry.value, read)
            .map(|value| field(entry, value));
        if value.is_none() {
            fields.malformed_keys.push(key);
        }
        value
    }
}
