//! The raw layer: the node tree walked into plain structs that mirror the spec's YAML.
//!
//! This layer owns the spec's *shape*: which keys exist where (unknown keys are errors with
//! the nearest valid key suggested), which keys are required, and whether each value is a
//! mapping, a list, a string or a boolean. It does not judge values (names, limits, enums);
//! validation does, on these structs. Every field keeps its position, and a field that was
//! already reported here comes out as `None`, so validation never reports a problem twice.
//!
//! `reader` is the generic walk (mappings with known keys, lists, scalars, `none`, what is
//! missing); the concepts of the spec are read with it in `settings` (repository settings and
//! policy documents), `registry` (a registry entry and its repositories) and `registry_wide`
//! (replication, scanning, pull-through cache rules, creation templates, account settings,
//! the signing configuration, pull-time update exclusions).

mod guardrails;
mod reader;
mod registry;
mod registry_wide;
mod settings;

use crate::report::{FileId, Report};
use crate::yaml::{Node, Pos, Resolved};

pub(crate) use self::guardrails::{RawException, RawGuardrails, RawRuleSetting};
pub(crate) use self::reader::{Field, OrNone, Spanned};
use self::reader::{Reader, field, is_null};
pub(crate) use self::registry::RawRegistry;
pub(crate) use self::registry_wide::{
    RawCreationTemplate, RawPullThroughCacheRule, RawReplication, RawReplicationRule, RawScanning,
    RawSigningConfiguration, RawSigningRule,
};
use self::settings::DEFAULTS_KEYS;
pub(crate) use self::settings::{RawDocument, RawEncryption, RawSettings, RawTag, RawTemplate};

/// The keys of every mapping the raw layer reads, for the JSON Schema (`crate::schema`).
pub(crate) mod keys {
    pub(crate) use super::TOP_LEVEL_KEYS;
    pub(crate) use super::guardrails::{EXCEPTION_KEYS, GUARDRAILS_KEYS};
    pub(crate) use super::registry::{PRUNE_KEYS, REGISTRY_KEYS};
    pub(crate) use super::registry_wide::{
        CREATION_TEMPLATE_KEYS, DESTINATION_KEYS, PULL_THROUGH_CACHE_KEYS, REPLICATION_KEYS,
        REPLICATION_RULE_KEYS, SCAN_RULE_KEYS, SCANNING_KEYS, SIGNING_KEYS, SIGNING_RULE_KEYS,
    };
    pub(crate) use super::settings::{
        DEFAULTS_KEYS, ENCRYPTION_KEYS, REPOSITORY_KEYS, TEMPLATE_KEYS,
    };
}

/// One spec file.
#[derive(Debug, Clone)]
pub(crate) struct RawFile {
    pub file: FileId,
    /// `owner:`, the spec's owner id, as written.
    pub owner: Option<Field<String>>,
    pub defaults: Option<Field<RawSettings>>,
    /// `guardrails:`, the rules' configuration.
    pub guardrails: Option<Field<RawGuardrails>>,
    pub registries: Vec<RawRegistry>,
}

pub(crate) const TOP_LEVEL_KEYS: &[&str] =
    &["version", "owner", "defaults", "guardrails", "registries"];

/// Walks one file's tree into a [`RawFile`], reporting every problem of shape.
pub(crate) fn read_file(file: FileId, root: Option<&Node>, report: &mut Report) -> RawFile {
    let mut reader = Reader { file, report };
    let mut raw_file = RawFile {
        file,
        owner: None,
        defaults: None,
        guardrails: None,
        registries: Vec::new(),
    };
    let Some(root) = root else {
        reader.error(
            Pos::START,
            "the spec file is empty; it needs at least \"version: 1\"",
        );
        return raw_file;
    };
    let Some(fields) = reader.fields(
        root,
        "a mapping with version, defaults and registries",
        TOP_LEVEL_KEYS,
    ) else {
        return raw_file;
    };
    match fields.get("version") {
        None => reader.error(root.at, "missing \"version: 1\" (the spec format version)"),
        Some(entry) => reader.version(&entry.value),
    }
    if let Some(entry) = fields.get("owner") {
        raw_file.owner = reader.string_field(entry, "an owner id (a string)");
    }
    if let Some(entry) = fields.get("defaults") {
        let settings = if entry.value.is_none_keyword() {
            Some(RawSettings::default())
        } else {
            reader.settings(
                &entry.value,
                DEFAULTS_KEYS,
                "defaults (a mapping of repository settings)",
            )
        };
        raw_file.defaults = settings.map(|value| field(entry, value));
    }
    if let Some(entry) = fields.get("guardrails") {
        let guardrails = if entry.value.is_none_keyword() {
            Some(RawGuardrails::default())
        } else {
            reader.guardrails(&entry.value)
        };
        raw_file.guardrails = guardrails.map(|value| field(entry, value));
    }
    // `registries:` with nothing under it is an empty list, as a file being written often is.
    if let Some(entry) = fields.get("registries")
        && !is_null(&entry.value)
        && let Some(items) = reader.sequence(&entry.value, "a list of registries")
    {
        raw_file.registries = items
            .iter()
            .filter_map(|item| reader.registry(item))
            .collect();
    }
    raw_file
}

impl Reader<'_> {
    fn version(&mut self, node: &Node) {
        match node.as_scalar().map(|scalar| scalar.resolve()) {
            Some(Resolved::Int(1)) => {}
            Some(Resolved::Int(_)) => {
                let text = node
                    .as_scalar()
                    .map(|scalar| scalar.text.as_str())
                    .unwrap_or_default();
                self.error(
                    node.at,
                    format!("unsupported spec version {text}; this ecrform reads version 1"),
                );
            }
            _ => self.wrong_type(node, "version 1"),
        }
    }
}

#[cfg(test)]
mod tests;
