//! Line and column of a node in JSON text, found by the path that validation reports.
//!
//! Validation works on a parsed `serde_json::Value` and locates problems by a path from the
//! root, which keeps it independent of where the document came from. A file given on the
//! command line should still be reported as `FILE:LINE:COLUMN`, like a spec; `serde_json`
//! keeps no positions, so this walks the text once more along the path. It only ever runs on
//! text `serde_json` has already accepted, but it never panics on any input: on anything
//! unexpected it reports "not found" and the caller falls back to an ancestor.

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
    let scanner = Scanner {
        bytes: text.as_bytes(),
    };
    let start = scanner.skip_whitespace(0);
    let offset = scanner.find(start, path)?;
    Some(position_at(text, offset))
}

/// The position of `path`, or of its nearest ancestor that is written in the text (a missing
/// key is reported where it should have been written), and whether it is the path's own.
pub fn locate_nearest(text: &str, path: &[PathSegment]) -> (TextPosition, bool) {
    (0..=path.len())
        .rev()
        .find_map(|length| Some((locate(text, &path[..length])?, length == path.len())))
        .unwrap_or((TextPosition { line: 1, column: 1 }, path.is_empty()))
}

fn position_at(text: &str, offset: usize) -> TextPosition {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    TextPosition {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

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

    /// The offset of the node at `path` inside the value that starts at `at`.
    fn find(&self, at: usize, path: &[PathSegment]) -> Option<usize> {
        let Some((first, rest)) = path.split_first() else {
            return Some(at);
        };
        match first {
            PathSegment::Key(wanted) => {
                let mut found = None;
                self.for_each_member(at, |key_at, key, value_at| {
                    if key == *wanted {
                        found = Some((key_at, value_at));
                    }
                })?;
                let (key_at, value_at) = found?;
                if rest.is_empty() {
                    Some(key_at)
                } else {
                    self.find(value_at, rest)
                }
            }
            PathSegment::Index(wanted) => {
                let value_at = self.element_at(at, *wanted)?;
                self.find(value_at, rest)
            }
        }
    }

    /// Calls `visit(key offset, key, value offset)` for each member of the object at `at`.
    fn for_each_member(
        &self,
        at: usize,
        mut visit: impl FnMut(usize, String, usize),
    ) -> Option<()> {
        if self.byte(at)? != b'{' {
            return None;
        }
        let mut at = self.skip_whitespace(at + 1);
        if self.byte(at)? == b'}' {
            return Some(());
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
            visit(key_at, key, value_at);
            at = self.skip_whitespace(self.value_end(value_at)?);
            match self.byte(at)? {
                b',' => at = self.skip_whitespace(at + 1),
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// The offset of element `wanted` of the array at `at`.
    fn element_at(&self, at: usize, wanted: usize) -> Option<usize> {
        if self.byte(at)? != b'[' {
            return None;
        }
        let mut at = self.skip_whitespace(at + 1);
        if self.byte(at)? == b']' {
            return None;
        }
        for _ in 0..wanted {
            at = self.skip_whitespace(self.value_end(at)?);
            if self.byte(at)? != b',' {
                return None;
            }
            at = self.skip_whitespace(at + 1);
        }
        Some(at)
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

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,60}", pointer in "(/[a-z0-9]{1,3}){0,3}") {
            let _ = locate_nearest(&text, &path(&pointer));
        }
    }
}
