//! serde_json's errors as a user reads them: a line, a column, and a message in the words of
//! the file rather than of the Rust types it is read into.
//!
//! serde describes what it expected by the type it was filling (`expected struct
//! RegistryState`, `expected u32`, `invalid type: map`), which names nothing a user wrote. The
//! files ecrform reads as typed JSON (snapshots, saved plans) report their problems through
//! [`JsonProblem::from_error`], which says the same in JSON's terms (`expected an object`,
//! `expected a whole number`, `invalid type: an object`) and cuts the values it quotes.

use crate::shown;

/// A problem in a JSON text, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonProblem {
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    pub message: String,
}

impl JsonProblem {
    pub fn from_error(error: &serde_json::Error) -> Self {
        let text = error.to_string();
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let message = text.strip_suffix(&suffix).unwrap_or(&text);
        JsonProblem {
            line: error.line().max(1),
            column: error.column().max(1),
            message: shown::cut_quoted_runs(&in_json_terms(message)),
        }
    }
}

/// `line L, column C: message`
impl std::fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// What serde says it expected, by the Rust type it was filling, in JSON's words. Longest
/// first: `tuple struct X` before `struct X`.
const TYPE_EXPECTATIONS: &[(&str, &str)] = &[
    ("internally tagged enum ", "an object"),
    ("adjacently tagged enum ", "an object"),
    ("struct variant ", "an object"),
    ("tuple variant ", "an array"),
    ("newtype variant ", "a value"),
    ("unit variant ", "a string"),
    ("tuple struct ", "an array"),
    ("newtype struct ", "a value"),
    ("unit struct ", "null"),
    ("struct ", "an object"),
    ("enum ", "one of the documented values"),
];

/// serde's words for JSON's kinds of value and for Rust's primitive types.
const WORDS: &[(&str, &str)] = &[
    ("a sequence", "an array"),
    ("a map", "an object"),
    ("sequence", "an array"),
    ("map", "an object"),
    ("unit value", "null"),
    ("unit", "null"),
    ("a borrowed string", "a string"),
    ("variant identifier", "a string naming a variant"),
    ("field identifier", "a key"),
    ("u8", "a whole number from 0 to 255"),
    ("u16", "a whole number from 0 to 65535"),
    ("u32", "a whole number from 0 to 4294967295"),
    ("u64", "a whole number of at least 0"),
    ("u128", "a whole number of at least 0"),
    ("usize", "a whole number of at least 0"),
    ("i8", "a whole number"),
    ("i16", "a whole number"),
    ("i32", "a whole number"),
    ("i64", "a whole number"),
    ("i128", "a whole number"),
    ("isize", "a whole number"),
    ("f32", "a number"),
    ("f64", "a number"),
];

/// Rewrites the type names in a serde message; text that quotes the input is left as it is.
fn in_json_terms(message: &str) -> String {
    if message.starts_with("data did not match any variant of untagged enum ") {
        return "the value has none of the accepted forms".to_owned();
    }
    // serde also reads a struct from an array, and then complains of its length.
    if message.starts_with("invalid length ") && message.contains(", expected struct ") {
        return "invalid type: an array, expected an object".to_owned();
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        // The places serde names a type: after `expected ` and after `invalid type: `.
        let next = ["expected ", "invalid type: "]
            .iter()
            .filter_map(|lead| rest.find(lead).map(|at| (at, *lead)))
            .min();
        let Some((at, lead)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at + lead.len()]);
        rest = &rest[at + lead.len()..];
        // A value quoted in backticks or quotes is the input's: copy it untouched.
        if rest.starts_with(['`', '"']) {
            continue;
        }
        if let Some((phrase, words)) = TYPE_EXPECTATIONS
            .iter()
            .find(|(phrase, _)| rest.starts_with(phrase))
        {
            let name = &rest[phrase.len()..];
            let name_end = name
                .find(|c: char| !(c.is_alphanumeric() || "_:<>".contains(c)))
                .unwrap_or(name.len());
            out.push_str(words);
            rest = &name[name_end..];
            continue;
        }
        let word_end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == ' '))
            .unwrap_or(rest.len());
        let candidate = &rest[..word_end];
        if let Some((word, words)) = WORDS
            .iter()
            .find(|(word, _)| candidate == *word || candidate.starts_with(&format!("{word} ")))
        {
            out.push_str(words);
            rest = &rest[word.len()..];
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
        name: String,
        list: Vec<bool>,
        nested: Option<Box<Inner>>,
    }

    fn problem(text: &str) -> String {
        let error = serde_json::from_str::<Inner>(text).unwrap_err();
        JsonProblem::from_error(&error).message
    }

    #[test]
    fn messages_speak_of_json_values_not_rust_types() {
        let cases = [
            ("[]", "invalid type: an array, expected an object"),
            ("3", "invalid type: integer `3`, expected an object"),
            (
                r#"{"count": "x"}"#,
                r#"invalid type: string "x", expected a whole number from 0 to 4294967295"#,
            ),
            (
                r#"{"count": -1}"#,
                "invalid value: integer `-1`, expected a whole number from 0 to 4294967295",
            ),
            (
                r#"{"count": 1, "name": {}}"#,
                "invalid type: an object, expected a string",
            ),
            (
                r#"{"count": 1, "name": "a", "list": {}}"#,
                "invalid type: an object, expected an array",
            ),
            (
                r#"{"count": 1, "name": "a", "list": [null]}"#,
                "invalid type: null, expected a boolean",
            ),
            (
                r#"{"count": 1, "name": "a", "list": [], "nested": []}"#,
                "invalid type: an array, expected an object",
            ),
            (
                r#"{"cont": 1}"#,
                "unknown field `cont`, expected one of `count`, `name`, `list`, `nested`",
            ),
            (r#"{"count": 1}"#, "missing field `name`"),
        ];
        for (text, expected) in cases {
            assert_eq!(problem(text), expected, "{text}");
        }
    }

    #[test]
    fn problems_are_located_and_quoted_values_cut() {
        let long = "s".repeat(3000);
        let text = format!("{{\n  \"count\": \"{long}\"}}");
        let error = serde_json::from_str::<Inner>(&text).unwrap_err();
        let problem = JsonProblem::from_error(&error);
        assert_eq!(problem.line, 2);
        assert!(problem.column > 1);
        assert!(
            problem.message.contains("… (3000 characters)"),
            "{}",
            problem.message
        );
        assert!(problem.message.len() < 300, "{}", problem.message);
        let empty = serde_json::from_str::<Inner>("").unwrap_err();
        assert_eq!(
            JsonProblem::from_error(&empty),
            JsonProblem {
                line: 1,
                column: 1,
                message: "EOF while parsing a value".to_owned()
            }
        );
    }
}
