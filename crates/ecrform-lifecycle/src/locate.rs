//! Line and column of a node in JSON text, found by the path that validation reports.
//!
//! Validation works on a parsed `serde_json::Value` and locates problems by a path from the
//! root, which keeps it independent of where the document came from. A file given on the
//! command line should still be reported as `FILE:LINE:COLUMN`, like a spec; `serde_json`
//! keeps no positions, so this walks the text once more along the path. It only ever runs on
//! text `serde_json` has already accepted, but it never panics on any input: on anything
//! unexpected it reports "not found" and the caller falls back to an ancestor.
//!
//! One input can have thousands of problems (an image list of 10,000 images with bad
//! timestamps), so a [`Locator`] keeps what it learnt for the next path: the members of every
//! object and the elements of every array it has walked, and where lines start. Each part of
//! the text is then scanned once however many problems it holds, and locating every problem
//! costs time linear in the text, not in the text times the problems.

use std::collections::HashMap;

use ecrform_model::PathSegment;

/// A place in a text: 1-based line, and 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextPosition {
    pub line: usize,
    pub column: usize,
}

/// Where the node at `path` is written: for an object member its key, for an array element
/// its first character. Where a key appears twice, the last one, which is the one `serde_json`
/// keeps. `None` if the text has no such node.
pub fn locate(text: &str, path: &[PathSegment]) -> Option<TextPosition> {
    Locator::new(text).locate(path)
}

/// The position of `path`, or of its nearest ancestor that is written in the text (a missing
/// key is reported where it should have been written), and whether it is the path's own.
pub fn locate_nearest(text: &str, path: &[PathSegment]) -> (TextPosition, bool) {
    Locator::new(text).locate_nearest(path)
}

/// An object's member as written: its key, the key's offset and the value's.
type Member = (String, usize, usize);

/// Locates many paths in one text, each part of the text scanned once (see the module docs).
#[derive(Debug)]
pub struct Locator<'a> {
    text: &'a str,
    scanner: Scanner<'a>,
    /// Offsets of the objects walked, to their members (`None`: not an object).
    members: HashMap<usize, Option<Vec<Member>>>,
    /// Offsets of the arrays walked, to the offsets of their elements.
    elements: HashMap<usize, Option<Vec<usize>>>,
    /// Where each line starts, built at the first position asked for.
    line_starts: Option<Vec<usize>>,
    /// The last position computed (offset, line start, column), from which a later offset on
    /// the same line counts on instead of from the line's start.
    last_column: Option<(usize, usize, usize)>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        Locator {
            text,
            scanner: Scanner {
                bytes: text.as_bytes(),
            },
            members: HashMap::new(),
            elements: HashMap::new(),
            line_starts: None,
            last_column: None,
        }
    }

    /// See [`locate`].
    pub fn locate(&mut self, path: &[PathSegment]) -> Option<TextPosition> {
        let start = self.scanner.skip_whitespace(0);
        let offset = self.find(start, path)?;
        Some(self.position_at(offset))
    }

    /// See [`locate_nearest`].
    pub fn locate_nearest(&mut self, path: &[PathSegment]) -> (TextPosition, bool) {
        (0..=path.len())
            .rev()
            .find_map(|length| Some((self.locate(&path[..length])?, length == path.len())))
            .unwrap_or((TextPosition { line: 1, column: 1 }, path.is_empty()))
    }

    /// The offset of the node at `path` inside the value that starts at `at`.
    fn find(&mut self, mut at: usize, path: &[PathSegment]) -> Option<usize> {
        for (depth, segment) in path.iter().enumerate() {
            let last = depth + 1 == path.len();
            match segment {
                PathSegment::Key(wanted) => {
                    let members = self
                        .members
                        .entry(at)
                        .or_insert_with(|| self.scanner.members(at))
                        .as_ref()?;
                    let &(_, key_at, value_at) =
                        members.iter().rev().find(|(key, _, _)| key == wanted)?;
                    if last {
                        return Some(key_at);
                    }
                    at = value_at;
                }
                PathSegment::Index(wanted) => {
                    let elements = self
                        .elements
                        .entry(at)
                        .or_insert_with(|| self.scanner.elements(at))
                        .as_ref()?;
                    at = *elements.get(*wanted)?;
                }
            }
        }
        Some(at)
    }

    fn position_at(&mut self, offset: usize) -> TextPosition {
        let text = self.text;
        let offset = (0..=offset.min(text.len()))
            .rev()
            .find(|at| text.is_char_boundary(*at))
            .unwrap_or(0);
        let line_starts = self.line_starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(
                    text.bytes()
                        .enumerate()
                        .filter(|(_, byte)| *byte == b'\n')
                        .map(|(at, _)| at + 1),
                )
                .collect()
        });
        let line_index = line_starts.partition_point(|start| *start <= offset) - 1;
        let line_start = line_starts[line_index];
        let (from, columns_before) = match self.last_column {
            Some((last, start, column)) if start == line_start && last <= offset => {
                (last, column - 1)
            }
            _ => (line_start, 0),
        };
        let column = columns_before + text[from..offset].chars().count() + 1;
        self.last_column = Some((offset, line_start, column));
        TextPosition {
            line: line_index + 1,
            column,
        }
    }
}

#[derive(Debug)]
struct Scanner<'a> {
    bytes: &'a [u8],
}

impl Scanner<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn skip_whitespace(&self, mut at: usize) -> usize {
        // A byte order mark is not JSON whitespace, but editors write one at the start.
        if self.bytes.get(at..at + 3) == Some(b"\xEF\xBB\xBF".as_slice()) {
            at += 3;
        }
        while matches!(self.byte(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            at += 1;
        }
        at
    }

    /// Every member of the object at `at`: its key, the key's offset and the value's.
    fn members(&self, at: usize) -> Option<Vec<Member>> {
        if self.byte(at)? != b'{' {
            return None;
        }
        let mut members = Vec::new();
        let mut at = self.skip_whitespace(at + 1);
        if self.byte(at)? == b'}' {
            return Some(members);
        }
        loop {
            let key_at = at;
            let key_end = self.string_end(key_at)?;
            let key: String = serde_json::from_slice(self.bytes.get(key_at..key_end)?).ok()?;
            at = self.skip_whitespace(key_end);
            if self.byte(at)? != b':' {
                return None;
            }
            let value_at = self.skip_whitespace(at + 1);
            members.push((key, key_at, value_at));
            at = self.skip_whitespace(self.value_end(value_at)?);
            match self.byte(at)? {
                b',' => at = self.skip_whitespace(at + 1),
                b'}' => return Some(members),
                _ => return None,
            }
        }
    }

    /// The offset of every element of the array at `at`.
    fn elements(&self, at: usize) -> Option<Vec<usize>> {
        if self.byte(at)? != b'[' {
            return None;
        }
        let mut elements = Vec::new();
        let mut at = self.skip_whitespace(at + 1);
        if self.byte(at)? == b']' {
            return Some(elements);
        }
        loop {
            elements.push(at);
            at = self.skip_whitespace(self.value_end(at)?);
            match self.byte(at)? {
                b',' => at = self.skip_whitespace(at + 1),
                b']' => return Some(elements),
                _ => return None,
            }
        }
    }

    /// The offset just past the string that starts at `at`.
    fn string_end(&self, at: usize) -> Option<usize> {
        if self.byte(at)? != b'"' {
            return None;
        }
        let mut at = at + 1;
        loop {
            match self.byte(at)? {
                b'"' => return Some(at + 1),
                b'\\' => at += 2,
                _ => at += 1,
            }
        }
    }

    /// The offset just past the value that starts at `at`. Containers are skipped by counting
    /// brackets outside strings, without recursion, so nesting depth costs nothing.
    fn value_end(&self, at: usize) -> Option<usize> {
        match self.byte(at)? {
            b'"' => self.string_end(at),
            b'{' | b'[' => {
                let mut depth = 0_usize;
                let mut at = at;
                loop {
                    match self.byte(at)? {
                        b'"' => {
                            at = self.string_end(at)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                return Some(at + 1);
                            }
                        }
                        _ => {}
                    }
                    at += 1;
                }
            }
            _ => {
                let mut at = at;
                while self.byte(at).is_some_and(|byte| {
                    !matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    at += 1;
                }
                Some(at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

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

    const DOCUMENT: &str = r#"{
  "rules": [
    {"rulePriority": 1, "selection": {"tagStatus": "any"}},
    {
      "rulePriority": 2,
      "description": "a \"quoted\" } ] { [ text",
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["prod*", "é*"]
      }
    }
  ]
}"#;

    #[test]
    fn locates_keys_and_elements() {
        let cases: &[(&str, (usize, usize))] = &[
            ("", (1, 1)),
            ("/rules", (2, 3)),
            ("/rules/0", (3, 5)),
            ("/rules/0/rulePriority", (3, 6)),
            ("/rules/0/selection/tagStatus", (3, 39)),
            ("/rules/1", (4, 5)),
            ("/rules/1/selection", (7, 7)),
            ("/rules/1/selection/tagPatternList", (9, 9)),
            ("/rules/1/selection/tagPatternList/1", (9, 37)),
        ];
        for &(pointer, (line, column)) in cases {
            assert_eq!(
                locate(DOCUMENT, &path(pointer)),
                Some(TextPosition { line, column }),
                "{pointer}"
            );
        }
    }

    #[test]
    fn missing_nodes_fall_back_to_the_nearest_ancestor() {
        assert_eq!(locate(DOCUMENT, &path("/rules/2")), None);
        assert_eq!(locate(DOCUMENT, &path("/rules/0/action")), None);
        assert_eq!(locate(DOCUMENT, &path("/rules/0/rulePriority/x")), None);
        assert_eq!(
            locate_nearest(DOCUMENT, &path("/rules/0/action/type")),
            (TextPosition { line: 3, column: 5 }, false)
        );
        assert_eq!(
            locate_nearest(DOCUMENT, &path("/rules/1/selection")),
            (TextPosition { line: 7, column: 7 }, true)
        );
    }

    #[test]
    fn duplicate_keys_locate_the_last_like_serde_json() {
        let text = "{\"a\": 1,\n \"a\": {\"b\": 2}}";
        assert_eq!(
            locate(text, &path("/a")),
            Some(TextPosition { line: 2, column: 2 })
        );
        assert_eq!(
            locate(text, &path("/a/b")),
            Some(TextPosition { line: 2, column: 8 })
        );
    }

    #[test]
    fn escaped_keys_are_compared_decoded() {
        let text = r#"{"r\u0075les": [true]}"#;
        assert_eq!(
            locate(text, &path("/rules/0")),
            Some(TextPosition {
                line: 1,
                column: 17
            })
        );
    }

    /// Regression: every path was found by scanning from the start of the text, and every
    /// line and column by counting from it, so 10,000 problems in one file took minutes.
    #[test]
    fn locating_every_element_of_a_long_document_takes_linear_time() {
        const ELEMENTS: usize = 20_000;
        let element = |index: usize| format!("{{\"n\": {index}, \"tag\": \"é{index}\"}}");
        let one_line = format!(
            "{{\"items\": [{}]}}",
            (0..ELEMENTS).map(element).collect::<Vec<_>>().join(", ")
        );
        let pretty = format!(
            "{{\n\"items\": [\n{}\n]}}",
            (0..ELEMENTS).map(element).collect::<Vec<_>>().join(",\n")
        );
        let started = std::time::Instant::now();
        for (text, on_line) in [(&one_line, false), (&pretty, true)] {
            let mut locator = Locator::new(text);
            for index in 0..ELEMENTS {
                let position = locator
                    .locate(&path(&format!("/items/{index}/tag")))
                    .unwrap();
                if on_line {
                    assert_eq!(position.line, index + 3);
                    let column = format!("{{\"n\": {index}, ").chars().count() + 1;
                    assert_eq!(position.column, column);
                }
            }
            let last = locator
                .locate(&path(&format!("/items/{}", ELEMENTS - 1)))
                .unwrap();
            let expected = text[..text.rfind("{\"n\"").unwrap()].chars().count();
            assert_eq!(last.column, if on_line { 1 } else { expected + 1 });
        }
        // Quadratic work here takes minutes; linear work well under a second, even in debug.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,60}", pointer in "(/[a-z0-9]{1,3}){0,3}") {
            let _ = locate_nearest(&text, &path(&pointer));
        }
    }
}
