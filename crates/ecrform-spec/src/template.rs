//! `{{ var }}` placeholders in policy documents read as text.
//!
//! A template is substituted as text before it is parsed, so that one placeholder can stand for
//! a whole list (`"AWS": {{ accounts }}`) as well as for part of a string
//! (`"arn:aws:iam::{{ account }}:root"`). Which of the two a placeholder is depends on whether
//! it sits inside a JSON string literal, which this module tracks with JSON's double-quote
//! rules (so in YAML templates, put placeholders that are part of a string in double quotes).

use std::collections::BTreeMap;

use ecrform_model::shown::quoted;
use serde_json::Value;

/// One `{{ name }}` in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder {
    pub name: String,
    /// Byte range of the whole `{{ ... }}`.
    pub start: usize,
    pub end: usize,
    /// Inside a string literal: replaced by the var's text; otherwise by its JSON.
    pub in_string: bool,
    /// 1-based line in the template, for messages.
    pub line: usize,
}

/// Something between `{{` and `}}` that is not a var name, or a `{{` never closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MalformedPlaceholder {
    pub line: usize,
    pub text: String,
}

/// Finds every placeholder of a template.
pub(crate) fn placeholders(text: &str) -> (Vec<Placeholder>, Vec<MalformedPlaceholder>) {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut malformed = Vec::new();
    let mut in_string = false;
    let mut line = 1;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\n' => line += 1,
            b'\\' if in_string => {
                index += 2;
                continue;
            }
            b'"' => in_string = !in_string,
            b'{' if bytes.get(index + 1) == Some(&b'{') => {
                let Some(length) = text[index + 2..].find("}}") else {
                    malformed.push(MalformedPlaceholder {
                        line,
                        text: excerpt(&text[index..]),
                    });
                    break;
                };
                let end = index + 2 + length + 2;
                let inner = &text[index + 2..index + 2 + length];
                let name = inner.trim();
                if is_var_name(name) {
                    found.push(Placeholder {
                        name: name.to_owned(),
                        start: index,
                        end,
                        in_string,
                        line,
                    });
                } else {
                    malformed.push(MalformedPlaceholder {
                        line,
                        text: text[index..end].to_owned(),
                    });
                }
                line += inner.matches('\n').count();
                index = end;
                continue;
            }
            _ => {}
        }
        index += 1;
    }
    (found, malformed)
}

/// The start of an unclosed placeholder, short enough for a message.
fn excerpt(rest: &str) -> String {
    rest.lines()
        .next()
        .unwrap_or(rest)
        .chars()
        .take(40)
        .collect()
}

/// `[A-Za-z_][A-Za-z0-9_-]*`
fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A var that cannot go where its placeholder stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MisplacedVar {
    pub name: String,
    pub message: String,
}

/// Replaces every placeholder whose var is given. Placeholders without a var are left for the
/// caller to report; vars that cannot stand inside a string are returned as problems.
pub(crate) fn substitute(
    text: &str,
    placeholders: &[Placeholder],
    vars: &BTreeMap<String, Value>,
) -> Result<String, Vec<MisplacedVar>> {
    let mut output = String::with_capacity(text.len());
    let mut problems = Vec::new();
    let mut copied_to = 0;
    for placeholder in placeholders {
        let Some(value) = vars.get(&placeholder.name) else {
            continue;
        };
        output.push_str(&text[copied_to..placeholder.start]);
        copied_to = placeholder.end;
        if !placeholder.in_string {
            output.push_str(&value.to_string());
            continue;
        }
        match value {
            Value::String(inner) => {
                let quoted = Value::String(inner.clone()).to_string();
                output.push_str(&quoted[1..quoted.len() - 1]);
            }
            Value::Number(number) => output.push_str(&number.to_string()),
            Value::Bool(flag) => output.push_str(&flag.to_string()),
            Value::Null | Value::Array(_) | Value::Object(_) => {
                let kind = match value {
                    Value::Array(_) => "a list",
                    Value::Object(_) => "a mapping",
                    _ => "null",
                };
                let message = format!(
                    "var {} is {kind}, but its placeholder on line {} of the template is \
                     inside a string; only a string, number or boolean can go there",
                    quoted(&placeholder.name),
                    placeholder.line
                );
                if !problems
                    .iter()
                    .any(|p: &MisplacedVar| p.name == placeholder.name)
                {
                    problems.push(MisplacedVar {
                        name: placeholder.name.clone(),
                        message,
                    });
                }
            }
        }
    }
    output.push_str(&text[copied_to..]);
    if problems.is_empty() {
        Ok(output)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(value: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn placeholders_know_whether_they_stand_inside_a_string() {
        let text = "{\"a\": {{ list }},\n \"b\": \"x-{{name}}-\\\"{{ other }}\"}";
        let (found, malformed) = placeholders(text);
        assert!(malformed.is_empty());
        let summary: Vec<(&str, bool, usize)> = found
            .iter()
            .map(|p| (p.name.as_str(), p.in_string, p.line))
            .collect();
        assert_eq!(
            summary,
            [("list", false, 1), ("name", true, 2), ("other", true, 2)]
        );
    }

    #[test]
    fn whole_values_get_json_and_string_parts_get_text() {
        let text = r#"{"AWS": {{ accounts }}, "Resource": "arn:aws:ecr:{{region}}:{{ n }}:{{q}}"}"#;
        let (found, _) = placeholders(text);
        let given =
            vars(json!({"accounts": ["1", "2"], "region": "us-east-1", "n": 5, "q": "say \"hi\""}));
        let output = substitute(text, &found, &given).unwrap();
        let value: Value = serde_json::from_str(&output).unwrap();
        assert_eq!(
            value,
            json!({"AWS": ["1", "2"], "Resource": "arn:aws:ecr:us-east-1:5:say \"hi\""})
        );
    }

    #[test]
    fn a_list_inside_a_string_is_a_problem() {
        let text = r#"{"a": "x{{ list }}"}"#;
        let (found, _) = placeholders(text);
        let problems = substitute(text, &found, &vars(json!({"list": [1]}))).unwrap_err();
        assert_eq!(problems[0].name, "list");
        assert!(
            problems[0].message.contains("is a list"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn malformed_and_unclosed_placeholders_are_reported() {
        let (found, malformed) = placeholders("{\"a\": {{ not a name }},\n\"b\": {{ open");
        assert!(found.is_empty());
        assert_eq!(
            malformed,
            [
                MalformedPlaceholder {
                    line: 1,
                    text: "{{ not a name }}".to_owned()
                },
                MalformedPlaceholder {
                    line: 2,
                    text: "{{ open".to_owned()
                },
            ]
        );
    }

    #[test]
    fn placeholders_without_a_var_are_left_in_place() {
        let text = "{{ a }} {{ b }}";
        let (found, _) = placeholders(text);
        let output = substitute(text, &found, &vars(json!({"a": 1}))).unwrap();
        assert_eq!(output, "1 {{ b }}");
    }
}
