//! Reading `guardrails:` (top level): the profile, per-rule settings and exceptions.
//!
//! A rule's setting is a level (`naming: off`) or a mapping of `level` and the rule's
//! parameters. Which parameters a rule takes is the rule's to say, so this layer keeps a
//! rule's mapping entries with their nodes, and validation reads them against the rule.

use super::reader::{Field, Reader, Spanned, field};
use crate::yaml::{Entry, Node, NodeKind, Pos};

#[derive(Debug, Clone, Default)]
pub(crate) struct RawGuardrails {
    pub profile: Option<Spanned<String>>,
    pub rules: Vec<RawRuleSetting>,
    pub exceptions: Vec<RawException>,
}

/// One entry of `guardrails.rules`.
#[derive(Debug, Clone)]
pub(crate) struct RawRuleSetting {
    /// The rule id, at the key.
    pub rule: Spanned<String>,
    pub level: Option<Spanned<String>>,
    /// The rule's parameters as written (a mapping's entries other than `level`).
    pub parameters: Vec<Entry>,
}

/// One entry of `guardrails.exceptions`.
#[derive(Debug, Clone)]
pub(crate) struct RawException {
    pub at: Pos,
    pub rule: Option<Spanned<String>>,
    pub repositories: Option<Field<Vec<Spanned<String>>>>,
    pub reason: Option<Spanned<String>>,
    pub until: Option<Spanned<String>>,
}

pub(crate) const GUARDRAILS_KEYS: &[&str] = &["profile", "rules", "exceptions"];
pub(crate) const EXCEPTION_KEYS: &[&str] = &["rule", "repositories", "reason", "until"];

impl Reader<'_> {
    pub(super) fn guardrails(&mut self, node: &Node) -> Option<RawGuardrails> {
        let fields = self.fields(
            node,
            "guardrails (a mapping with profile, rules and exceptions)",
            GUARDRAILS_KEYS,
        )?;
        let mut guardrails = RawGuardrails::default();
        if let Some(entry) = fields.get("profile") {
            guardrails.profile =
                self.string(&entry.value, "a profile (recommended, strict or none)");
        }
        if let Some(entry) = fields.get("rules")
            && !entry.value.is_none_keyword()
            && let Some(entries) =
                self.mapping(&entry.value, "a mapping of rule id to a level or settings")
        {
            for entry in entries {
                if let Some(setting) = self.rule_setting(entry) {
                    guardrails.rules.push(setting);
                }
            }
        }
        if let Some(entry) = fields.get("exceptions")
            && !entry.value.is_none_keyword()
            && let Some(items) = self.sequence(&entry.value, "a list of exceptions")
        {
            for item in items {
                if let Some(exception) = self.exception(item) {
                    guardrails.exceptions.push(exception);
                }
            }
        }
        Some(guardrails)
    }

    fn rule_setting(&mut self, entry: &Entry) -> Option<RawRuleSetting> {
        let rule = Spanned {
            value: entry.key.clone(),
            at: entry.key_at,
        };
        if let NodeKind::Mapping(entries) = &entry.value.kind {
            let level = match entries.iter().find(|e| e.key == "level") {
                Some(level) => Some(self.string(&level.value, "a level (error, warning or off)")?),
                None => None,
            };
            return Some(RawRuleSetting {
                rule,
                level,
                parameters: entries
                    .iter()
                    .filter(|e| e.key != "level")
                    .cloned()
                    .collect(),
            });
        }
        let level = self.string(
            &entry.value,
            "a level (error, warning or off) or a mapping of the rule's settings",
        )?;
        Some(RawRuleSetting {
            rule,
            level: Some(level),
            parameters: Vec::new(),
        })
    }

    fn exception(&mut self, node: &Node) -> Option<RawException> {
        let fields = self.fields(
            node,
            "an exception {rule, repositories, reason, until}",
            EXCEPTION_KEYS,
        )?;
        let mut exception = RawException {
            at: node.at,
            rule: None,
            repositories: None,
            reason: None,
            until: None,
        };
        match fields.get("rule") {
            Some(entry) => exception.rule = self.string(&entry.value, "a rule id"),
            None => self.missing(node.at, "rule", "this exception"),
        }
        match fields.get("repositories") {
            Some(entry) => {
                exception.repositories = self
                    .strings(&entry.value, "a list of repository names or globs")
                    .map(|names| field(entry, names));
            }
            None => self.missing(node.at, "repositories", "this exception"),
        }
        match fields.get("reason") {
            Some(entry) => exception.reason = self.string(&entry.value, "a reason (a string)"),
            None => self.error(
                node.at,
                "missing \"reason\" in this exception: say why the rule does not apply",
            ),
        }
        if let Some(entry) = fields.get("until") {
            exception.until = self.string(&entry.value, "a date YYYY-MM-DD");
        }
        Some(exception)
    }
}
