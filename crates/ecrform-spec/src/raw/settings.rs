//! Reading repository settings (a repository's body and `defaults`) and the policy documents
//! they refer to (a name, an inline document or a template with its vars). Creation templates
//! reuse the encryption, tag and document readers.

use ecrform_model::shown::quoted;

use super::reader::{Field, OrNone, Reader, Spanned, field};
use crate::yaml::{Node, NodeKind, Pos, Resolved};

/// Repository settings: the body of a repository entry and of `defaults`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawSettings {
    pub image_tag_mutability: Option<Field<OrNone<String>>>,
    pub image_tag_mutability_exclusions: Option<Field<OrNone<Vec<Spanned<String>>>>>,
    pub scan_on_push: Option<Field<OrNone<bool>>>,
    pub encryption: Option<Field<OrNone<RawEncryption>>>,
    pub tags: Option<Field<OrNone<Vec<RawTag>>>>,
    pub lifecycle: Option<Field<OrNone<RawDocument>>>,
    pub policy: Option<Field<OrNone<RawDocument>>>,
    /// Repository entries only.
    pub force_delete: Option<Field<bool>>,
    /// Keys that were written but already reported as malformed here; validation skips the
    /// checks that involve them instead of reporting them as missing.
    pub malformed_keys: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawEncryption {
    pub kind: Spanned<String>,
    pub kms_key: Option<Field<String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawTag {
    pub key: Spanned<String>,
    pub value: Spanned<String>,
}

/// A policy document as the spec refers to it.
#[derive(Debug, Clone)]
pub(crate) enum RawDocument {
    /// A name in `policies/<kind>/`.
    Named(Spanned<String>),
    /// A document written in the spec, in ECR's own JSON shape.
    Inline(Node),
    Template(RawTemplate),
}

#[derive(Debug, Clone)]
pub(crate) struct RawTemplate {
    /// The `{template, vars}` mapping.
    pub at: Pos,
    pub name: Spanned<String>,
    pub vars: Vec<RawVar>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawVar {
    pub name: Spanned<String>,
    pub value: Node,
}

pub(crate) const DEFAULTS_KEYS: &[&str] = &[
    "image_tag_mutability",
    "image_tag_mutability_exclusions",
    "scan_on_push",
    "encryption",
    "tags",
    "lifecycle",
    "policy",
];
pub(crate) const REPOSITORY_KEYS: &[&str] = &[
    "image_tag_mutability",
    "image_tag_mutability_exclusions",
    "scan_on_push",
    "encryption",
    "tags",
    "lifecycle",
    "policy",
    "force_delete",
];
pub(crate) const ENCRYPTION_KEYS: &[&str] = &["type", "kms_key"];
pub(crate) const TEMPLATE_KEYS: &[&str] = &["template", "vars"];

impl Reader<'_> {
    pub(super) fn settings(
        &mut self,
        node: &Node,
        known: &[&str],
        expected: &str,
    ) -> Option<RawSettings> {
        let mut fields = self.fields(node, expected, known)?;
        let mut settings = RawSettings {
            image_tag_mutability: self.or_none_field(
                &mut fields,
                "image_tag_mutability",
                |reader, node| {
                    reader
                        .string(node, "a tag mutability such as IMMUTABLE")
                        .map(|s| s.value)
                },
            ),
            image_tag_mutability_exclusions: self.or_none_field(
                &mut fields,
                "image_tag_mutability_exclusions",
                |reader, node| reader.strings(node, "a list of tag filters"),
            ),
            scan_on_push: self.or_none_field(&mut fields, "scan_on_push", Self::boolean),
            encryption: self.or_none_field(&mut fields, "encryption", Self::encryption),
            tags: self.or_none_field(&mut fields, "tags", Self::tags),
            lifecycle: self.or_none_field(&mut fields, "lifecycle", Self::document),
            policy: self.or_none_field(&mut fields, "policy", Self::document),
            ..RawSettings::default()
        };
        if let Some(entry) = fields.get("force_delete") {
            settings.force_delete = self.boolean(&entry.value).map(|value| field(entry, value));
            if settings.force_delete.is_none() {
                fields.malformed_keys.push("force_delete");
            }
        }
        settings.malformed_keys = fields.malformed_keys;
        Some(settings)
    }

    pub(super) fn encryption(&mut self, node: &Node) -> Option<RawEncryption> {
        let fields = self.fields(
            node,
            "an encryption mapping {type, kms_key}",
            ENCRYPTION_KEYS,
        )?;
        let kms_key = match fields.get("kms_key") {
            Some(entry) => Some(self.string_field(entry, "a KMS key id, ARN or alias")?),
            None => None,
        };
        let Some(kind) = fields.get("type") else {
            self.missing(node.at, "type", "encryption");
            return None;
        };
        let kind = self.string(&kind.value, "an encryption type (AES256, KMS or KMS_DSSE)")?;
        Some(RawEncryption { kind, kms_key })
    }

    pub(super) fn tags(&mut self, node: &Node) -> Option<Vec<RawTag>> {
        let entries = self.mapping(node, "a mapping of tag key to value")?;
        let mut tags = Vec::with_capacity(entries.len());
        for entry in entries {
            let value = match entry.value.as_scalar() {
                Some(scalar) if scalar.resolve() != Resolved::Null => scalar.text.clone(),
                Some(_) => {
                    self.error(
                        entry.value.at,
                        format!(
                            "tag {} has no value; write \"\" for an empty value",
                            quoted(&entry.key)
                        ),
                    );
                    continue;
                }
                None => {
                    self.wrong_type(&entry.value, "a tag value (a string)");
                    continue;
                }
            };
            tags.push(RawTag {
                key: Spanned {
                    value: entry.key.clone(),
                    at: entry.key_at,
                },
                value: Spanned {
                    value,
                    at: entry.value.at,
                },
            });
        }
        Some(tags)
    }

    pub(super) fn document(&mut self, node: &Node) -> Option<RawDocument> {
        match &node.kind {
            NodeKind::Scalar(_) => self.string(node, "a policy name").map(RawDocument::Named),
            NodeKind::Mapping(entries) if entries.iter().any(|entry| entry.key == "template") => {
                self.template(node).map(RawDocument::Template)
            }
            NodeKind::Mapping(_) => Some(RawDocument::Inline(node.clone())),
            NodeKind::Sequence(_) => {
                self.wrong_type(
                    node,
                    "a policy name, an inline document (a mapping) or {template, vars}",
                );
                None
            }
        }
    }

    fn template(&mut self, node: &Node) -> Option<RawTemplate> {
        let fields = self.fields(node, "{template, vars}", TEMPLATE_KEYS)?;
        let name = fields.get("template")?;
        let name = self.string(&name.value, "a template name")?;
        let mut vars = Vec::new();
        if let Some(entry) = fields.get("vars")
            && !entry.value.is_none_keyword()
        {
            let entries = self.mapping(&entry.value, "a mapping of var name to value")?;
            vars = entries
                .iter()
                .map(|var| RawVar {
                    name: Spanned {
                        value: var.key.clone(),
                        at: var.key_at,
                    },
                    value: var.value.clone(),
                })
                .collect();
        }
        Some(RawTemplate {
            at: node.at,
            name,
            vars,
        })
    }
}
