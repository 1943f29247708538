//! Values from the user's input as messages quote them: cut to a readable length.
//!
//! A message names the value it refuses, so that the user can find it; but a value can be
//! anything a file holds, and a 4 MB string quoted whole makes a 4 MB "line" that no terminal
//! or CI log shows usefully. Every message that quotes a value a user wrote goes through
//! [`quoted`] (or [`cut`] for text shown without quotes), so all of them cut at the same
//! length, say that they did, and keep the message on one line.

use std::fmt;

/// The characters of a value a message shows; longer values are cut after these. ARNs that
/// ECR accepts run to 200 characters (signing profiles, pull-time update exclusions), and an
/// ARN cut short would hide the part that is wrong.
pub const SHOWN_CHARS: usize = 200;

/// `text` as `{:?}` quotes it, cut after [`SHOWN_CHARS`] characters with `…` and the full
/// length noted: `"aaaa"… (4000000 characters)`.
pub fn quoted(text: &str) -> Quoted<'_> {
    Quoted(text)
}

/// `text` as written, cut like [`quoted`]; for values a message shows without quotes
/// (numbers as written, keys in backticks). Line breaks are shown escaped, so the message
/// stays one line.
pub fn cut(text: &str) -> Cut<'_> {
    Cut(text)
}

/// See [`quoted`].
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match split_at_shown(self.0) {
            None => write!(f, "{:?}", self.0),
            Some((head, total)) => write!(f, "{head:?}… ({total} characters)"),
        }
    }
}

/// See [`cut`].
#[derive(Debug, Clone, Copy)]
pub struct Cut<'a>(&'a str);

impl fmt::Display for Cut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (head, total) = split_at_shown(self.0).map_or((self.0, None), |(h, t)| (h, Some(t)));
        for c in head.chars() {
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                c => write!(f, "{c}")?,
            }
        }
        if let Some(total) = total {
            write!(f, "… ({total} characters)")?;
        }
        Ok(())
    }
}

/// The first [`SHOWN_CHARS`] characters and the whole length, when `text` is longer.
fn split_at_shown(text: &str) -> Option<(&str, usize)> {
    let (end, _) = text.char_indices().nth(SHOWN_CHARS)?;
    Some((&text[..end], text.chars().count()))
}

/// Cuts every backtick- or double-quoted run longer than [`SHOWN_CHARS`] in a message made
/// elsewhere (serde's, which quotes the values it refuses), and escapes its line breaks.
pub fn cut_quoted_runs(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest.as_bytes()[open];
        out.push_str(&one_line(&rest[..=open]));
        let after = &rest[open + 1..];
        let Some(close) = find_closing(after, quote) else {
            rest = after;
            out.push_str(&cut(rest).to_string());
            return out;
        };
        let inner = &after[..close];
        match split_at_shown(inner) {
            None => out.push_str(&one_line(inner)),
            Some((head, total)) => {
                out.push_str(&one_line(head));
                out.push(char::from(quote));
                out.push_str(&format!("… ({total} characters)"));
                rest = &after[close + 1..];
                continue;
            }
        }
        out.push(char::from(quote));
        rest = &after[close + 1..];
    }
    out.push_str(&one_line(rest));
    out
}

fn one_line(text: &str) -> String {
    text.replace('\n', "\\n").replace('\r', "\\r")
}

/// The index of the quote that closes a run, skipping escaped quotes inside `"` runs.
fn find_closing(text: &str, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if quote == b'"' => at += 2,
            byte if byte == quote => return Some(at),
            _ => at += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_quoted_as_debug_quotes_them() {
        let cases = [
            ("app", "\"app\""),
            ("a\"b", "\"a\\\"b\""),
            ("two\nlines", "\"two\\nlines\""),
            ("", "\"\""),
        ];
        for (text, shown) in cases {
            assert_eq!(quoted(text).to_string(), shown, "{text}");
        }
    }

    #[test]
    fn long_values_are_cut_with_their_length_noted() {
        let long = "x".repeat(4_000_000);
        let shown = quoted(&long).to_string();
        assert_eq!(
            shown,
            format!("\"{}\"… (4000000 characters)", "x".repeat(SHOWN_CHARS))
        );
        let exactly = "y".repeat(SHOWN_CHARS);
        assert_eq!(quoted(&exactly).to_string(), format!("\"{exactly}\""));
        let wide = "é".repeat(SHOWN_CHARS + 1);
        assert!(quoted(&wide).to_string().ends_with("… (201 characters)"));
        assert_eq!(
            cut(&"1".repeat(300)).to_string(),
            format!("{}… (300 characters)", "1".repeat(SHOWN_CHARS))
        );
        assert_eq!(cut("a\nb").to_string(), "a\\nb");
    }

    #[test]
    fn long_quoted_runs_in_other_messages_are_cut() {
        let long = "v".repeat(500);
        let head = &long[..SHOWN_CHARS];
        let cases = [
            (
                format!("unknown variant `{long}`, expected `A`"),
                format!("unknown variant `{head}`… (500 characters), expected `A`"),
            ),
            (
                format!("invalid type: string \"{long}\", expected a map"),
                format!("invalid type: string \"{head}\"… (500 characters), expected a map"),
            ),
            (
                "invalid type: string \"a\\\"b\", expected `x`".to_owned(),
                "invalid type: string \"a\\\"b\", expected `x`".to_owned(),
            ),
            (
                "two\nlines `open".to_owned(),
                "two\\nlines `open".to_owned(),
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(cut_quoted_runs(&message), expected);
        }
    }
}
