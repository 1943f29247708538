//! What `drift` is told to accept: per registry, unmanaged repositories it does not report
//! (`ignore_unmanaged`, globs over repository names) and managed differences a team accepts
//! for now (`drift_ignore`, globs over addresses, each with its reason). Ignored objects are
//! still counted as ignored; these rules only keep them from making `drift` fail.
//!
//! The globs are small on purpose: `*` is any run of characters within one `/`-separated
//! segment, `**` (a whole segment) any run of segments, `?` one character within a segment.

use std::fmt;

use crate::address::{Address, ResourceKind};

/// The longest pattern: a repository name is at most 256 characters.
pub const MAX_PATTERN_CHARS: usize = 256;

/// A validated glob over repository names or registry-relative addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern(String);

impl NamePattern {
    /// A glob as the spec writes it, checked: not empty, at most 256 characters, `**` only as
    /// a whole segment, and no character a name or an address cannot hold.
    pub fn parse(raw: &str) -> Result<NamePattern, String> {
        if raw.is_empty() {
            return Err("a pattern must not be empty".to_owned());
        }
        if raw.chars().count() > MAX_PATTERN_CHARS {
            return Err(format!(
                "a pattern is at most {MAX_PATTERN_CHARS} characters long"
            ));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "._-/:@+=,*?".contains(*c)))
        {
            return Err(format!(
                "a pattern holds letters, digits, . _ - / : @ + = , and the wildcards * ** ?; \
                 {bad:?} is none of them"
            ));
        }
        for segment in raw.split('/') {
            if segment.contains("**") && segment != "**" {
                return Err(format!(
                    "** matches whole segments and must stand alone between slashes, not in \
                     {segment:?}; use * within a segment"
                ));
            }
        }
        Ok(NamePattern(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        glob(self.0.as_bytes(), text.as_bytes())
    }

    /// The kind a registry-relative address pattern names in its first segment, when it is no
    /// wildcard: `repository/team-a/*` names `repository`.
    pub fn literal_kind(&self) -> Option<&str> {
        let first = self.0.split('/').next()?;
        (!first.contains(['*', '?'])).then_some(first)
    }
}

impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => {
            // `**/x` also matches `x`: no segment at all.
            if let [b'/', after @ ..] = rest
                && glob(after, text)
            {
                return true;
            }
            (0..=text.len()).any(|skip| glob(rest, &text[skip..]))
        }
        [b'*', rest @ ..] => {
            let segment = text.iter().position(|c| *c == b'/').unwrap_or(text.len());
            (0..=segment).any(|skip| glob(rest, &text[skip..]))
        }
        [b'?', rest @ ..] => matches!(text, [c, tail @ ..] if *c != b'/' && glob(rest, tail)),
        [p, rest @ ..] => matches!(text, [c, tail @ ..] if c == p && glob(rest, tail)),
    }
}

/// Managed drift a team accepts for now: addresses matching `pattern` (registry-relative,
/// `KIND[/NAME]`), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftIgnore {
    pub pattern: NamePattern,
    pub reason: String,
}

/// One registry's drift rules (both empty when the spec has none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriftIgnores {
    /// `ignore_unmanaged`: repository names not reported as unmanaged.
    pub unmanaged: Vec<NamePattern>,
    /// `drift_ignore`: managed differences accepted, in spec order (the first match names the
    /// reason).
    pub managed: Vec<DriftIgnore>,
}

impl DriftIgnores {
    pub fn is_empty(&self) -> bool {
        self.unmanaged.is_empty() && self.managed.is_empty()
    }

    /// The `ignore_unmanaged` pattern that covers an unmanaged object, by its name.
    pub fn unmanaged_pattern(&self, address: &Address) -> Option<&NamePattern> {
        let name = address.name()?;
        self.unmanaged.iter().find(|pattern| pattern.matches(name))
    }

    /// The `drift_ignore` rule that covers a managed difference at `address`.
    pub fn managed_rule(&self, address: &Address) -> Option<&DriftIgnore> {
        let relative = relative_address(address);
        self.managed
            .iter()
            .find(|rule| rule.pattern.matches(&relative))
    }
}

/// `KIND[/NAME]`: an address without its registry, as `drift_ignore` patterns are written.
pub fn relative_address(address: &Address) -> String {
    match address.name() {
        Some(name) => format!("{}/{name}", address.kind),
        None => address.kind.to_string(),
    }
}

/// The address kinds a `drift_ignore` pattern may start with.
pub fn address_kinds() -> Vec<&'static str> {
    ResourceKind::all().map(ResourceKind::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_within_segments_and_across_them_with_double_stars() {
        let cases = [
            ("scratch/*", "scratch/a", true),
            ("scratch/*", "scratch/a/b", false),
            ("scratch/*", "scratch", false),
            ("legacy/**", "legacy/a/b/c", true),
            ("legacy/**", "legacy/a", true),
            ("**/tmp", "tmp", true),
            ("**/tmp", "a/b/tmp", true),
            ("**", "anything/at/all", true),
            ("team-?/api", "team-a/api", true),
            ("team-?/api", "team-ab/api", false),
            ("*-old", "web-old", true),
            ("repository/team-a/*", "repository/team-a/api", true),
            ("repository/team-a/*", "lifecycle_policy/team-a/api", false),
            ("*/team-a/*", "lifecycle_policy/team-a/api", true),
            ("replication", "replication", true),
            ("exact", "exactly", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                NamePattern::parse(pattern).unwrap().matches(text),
                expected,
                "{pattern} ~ {text}"
            );
        }
    }

    #[test]
    fn bad_globs_are_refused_with_why() {
        for (raw, says) in [
            ("", "must not be empty"),
            ("team-a/**x", "must stand alone"),
            ("team-[ab]/*", "'['"),
            ("a b", "' '"),
        ] {
            let error = NamePattern::parse(raw).unwrap_err();
            assert!(error.contains(says), "{raw:?}: {error}");
        }
        assert!(NamePattern::parse(&"a".repeat(257)).is_err());
    }

    #[test]
    fn rules_cover_addresses_relative_to_their_registry() {
        let ignores = DriftIgnores {
            unmanaged: vec![NamePattern::parse("scratch/*").unwrap()],
            managed: vec![DriftIgnore {
                pattern: NamePattern::parse("repository/team-a/*").unwrap(),
                reason: "migrating".to_owned(),
            }],
        };
        let address = |raw| Address::parse(raw).unwrap();
        assert!(
            ignores
                .unmanaged_pattern(&address("123456789012/us-east-1/repository/scratch/x"))
                .is_some()
        );
        assert_eq!(
            ignores
                .managed_rule(&address("123456789012/us-east-1/repository/team-a/api"))
                .map(|rule| rule.reason.as_str()),
            Some("migrating")
        );
        assert!(
            ignores
                .managed_rule(&address("123456789012/us-east-1/replication"))
                .is_none()
        );
    }
}
