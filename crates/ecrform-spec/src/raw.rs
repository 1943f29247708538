//! The raw layer: the node tree walked into plain structs that mirror the spec's YAML.
//!
//! This layer owns the spec's *shape*: which keys exist where (unknown keys are errors with
//! the nearest valid key suggested), which keys are required, and whether each value is a
//! mapping, a list, a string or a boolean. It does not judge values (names, limits, enums);
//! validation does, on these structs. Every field keeps its position, and a field that was
//! already reported here comes out as `None`, so validation never reports a problem twice.

use ecrform_model::AccountSettingName;

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

/// One spec file.
#[derive(Debug, Clone)]
pub(crate) struct RawFile {
    pub file: FileId,
    pub defaults: Option<Field<RawSettings>>,
    pub registries: Vec<RawRegistry>,
}

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
    pub malformed: Vec<&'static str>,
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

#[derive(Debug, Clone)]
pub(crate) struct RawRegistry {
    pub file: FileId,
    pub account: Option<Spanned<String>>,
    pub region: Option<Spanned<String>>,
    pub role_arn: Option<Field<String>>,
    pub profile: Option<Field<String>>,
    pub prune: Option<Field<bool>>,
    pub repositories: Vec<RawRepository>,
    pub replication: Option<Field<OrNone<RawReplication>>>,
    pub registry_policy: Option<Field<OrNone<RawDocument>>>,
    pub scanning: Option<Field<OrNone<RawScanning>>>,
    pub pull_through_cache: Option<Field<OrNone<Vec<RawPullThroughCacheRule>>>>,
    pub creation_templates: Option<Field<OrNone<Vec<RawCreationTemplate>>>>,
    pub account_settings: Option<Field<OrNone<Vec<RawAccountSetting>>>>,
}

/// One `NAME: VALUE` of `account_settings`.
pub(crate) type RawAccountSetting = (Spanned<String>, Spanned<String>);

#[derive(Debug, Clone)]
pub(crate) struct RawRepository {
    /// Located at the key.
    pub name: Spanned<String>,
    pub settings: RawSettings,
}

#[derive(Debug, Clone)]
pub(crate) struct RawReplication {
    pub rules: Field<Vec<RawReplicationRule>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawReplicationRule {
    pub destinations: Option<Field<Vec<RawDestination>>>,
    pub repository_filters: Option<Field<Vec<Spanned<String>>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawDestination {
    pub at: Pos,
    pub region: Option<Spanned<String>>,
    pub account: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawScanning {
    pub kind: Option<Spanned<String>>,
    pub rules: Option<Field<Vec<RawScanRule>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawScanRule {
    pub frequency: Option<Spanned<String>>,
    pub filters: Option<Field<Vec<Spanned<String>>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawPullThroughCacheRule {
    /// The ECR repository prefix, located at the key.
    pub prefix: Spanned<String>,
    pub upstream_url: Option<Spanned<String>>,
    pub upstream_registry: Option<Spanned<String>>,
    pub credential_arn: Option<Spanned<String>>,
    pub custom_role_arn: Option<Spanned<String>>,
    pub upstream_repository_prefix: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawCreationTemplate {
    /// The prefix (or `ROOT`), located at the key.
    pub prefix: Spanned<String>,
    pub applied_for: Option<Field<Vec<Spanned<String>>>>,
    pub description: Option<Spanned<String>>,
    pub image_tag_mutability: Option<Spanned<String>>,
    pub image_tag_mutability_exclusions: Option<Field<Vec<Spanned<String>>>>,
    pub encryption: Option<Field<RawEncryption>>,
    pub resource_tags: Option<Field<Vec<RawTag>>>,
    pub lifecycle: Option<Field<OrNone<RawDocument>>>,
    pub policy: Option<Field<OrNone<RawDocument>>>,
    pub custom_role_arn: Option<Spanned<String>>,
}

pub(crate) const TOP_LEVEL_KEYS: &[&str] = &["version", "defaults", "registries"];
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
pub(crate) const REGISTRY_KEYS: &[&str] = &[
    "account",
    "region",
    "role_arn",
    "profile",
    "prune",
    "repositories",
    "replication",
    "registry_policy",
    "scanning",
    "pull_through_cache",
    "creation_templates",
    "account_settings",
];
const ENCRYPTION_KEYS: &[&str] = &["type", "kms_key"];
const TEMPLATE_KEYS: &[&str] = &["template", "vars"];
const REPLICATION_KEYS: &[&str] = &["rules"];
const REPLICATION_RULE_KEYS: &[&str] = &["destinations", "repository_filters"];
const DESTINATION_KEYS: &[&str] = &["region", "account"];
const SCANNING_KEYS: &[&str] = &["type", "rules"];
const SCAN_RULE_KEYS: &[&str] = &["frequency", "filters"];
const PULL_THROUGH_CACHE_KEYS: &[&str] = &[
    "upstream_url",
    "upstream_registry",
    "credential_arn",
    "custom_role_arn",
    "upstream_repository_prefix",
];
const CREATION_TEMPLATE_KEYS: &[&str] = &[
    "applied_for",
    "description",
    "image_tag_mutability",
    "image_tag_mutability_exclusions",
    "encryption",
    "resource_tags",
    "lifecycle",
    "policy",
    "custom_role_arn",
];

/// Walks one file's tree into a [`RawFile`], reporting every problem of shape.
pub(crate) fn read_file(file: FileId, root: Option<&Node>, report: &mut Report) -> RawFile {
    let mut reader = Reader { file, report };
    let mut raw = RawFile {
        file,
        defaults: None,
        registries: Vec::new(),
    };
    let Some(root) = root else {
        reader.error(
            Pos::START,
            "the spec file is empty; it needs at least \"version: 1\"",
        );
        return raw;
    };
    let Some(fields) = reader.fields(
        root,
        "a mapping with version, defaults and registries",
        TOP_LEVEL_KEYS,
    ) else {
        return raw;
    };
    match fields.get("version") {
        None => reader.error(root.at, "missing \"version: 1\" (the spec format version)"),
        Some(entry) => reader.version(&entry.value),
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
        raw.defaults = settings.map(|value| field(entry, value));
    }
    // `registries:` with nothing under it is an empty list, as a file being written often is.
    if let Some(entry) = fields.get("registries")
        && !is_null(&entry.value)
        && let Some(items) = reader.sequence(&entry.value, "a list of registries")
    {
        raw.registries = items
            .iter()
            .filter_map(|item| reader.registry(item))
            .collect();
    }
    raw
}

/// A YAML null (not the `none` keyword, which says "must be absent" and makes no sense for a
/// list of registries or repositories).
fn is_null(node: &Node) -> bool {
    node.as_scalar()
        .is_some_and(|scalar| scalar.resolve() == Resolved::Null)
}

fn field<T>(entry: &Entry, value: T) -> Field<T> {
    Field {
        key_at: entry.key_at,
        at: entry.value.at,
        value,
    }
}

/// The keys of a mapping after unknown ones were reported.
struct Fields<'n> {
    entries: &'n [Entry],
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

struct Reader<'r> {
    file: FileId,
    report: &'r mut Report,
}

impl Reader<'_> {
    fn error(&mut self, at: Pos, message: impl Into<String>) {
        self.report.error(Location::new(self.file, at), message);
    }

    fn wrong_type(&mut self, node: &Node, expected: &str) {
        self.error(
            node.at,
            format!("expected {expected}, found {}", node.describe()),
        );
    }

    fn mapping<'n>(&mut self, node: &'n Node, expected: &str) -> Option<&'n [Entry]> {
        match &node.kind {
            NodeKind::Mapping(entries) => Some(entries),
            _ => {
                self.wrong_type(node, expected);
                None
            }
        }
    }

    /// A mapping whose keys must come from `known`.
    fn fields<'n>(&mut self, node: &'n Node, expected: &str, known: &[&str]) -> Option<Fields<'n>> {
        let entries = self.mapping(node, expected)?;
        for entry in entries {
            if !known.contains(&entry.key.as_str()) {
                self.unknown_key(entry, known);
            }
        }
        Some(Fields { entries })
    }

    fn unknown_key(&mut self, entry: &Entry, known: &[&str]) {
        let message = if entry.key == "force_delete" && !known.contains(&"force_delete") {
            "force_delete cannot go in defaults; set it on each repository that may be deleted \
             while it holds images"
                .to_owned()
        } else {
            match suggest::nearest(&entry.key, known.iter().copied()) {
                Some(candidate) => {
                    format!("unknown key {:?}; did you mean {candidate:?}?", entry.key)
                }
                None => format!(
                    "unknown key {:?}; expected one of: {}",
                    entry.key,
                    suggest::list(known)
                ),
            }
        };
        self.error(entry.key_at, message);
    }

    fn missing(&mut self, at: Pos, key: &str, within: &str) {
        self.error(at, format!("missing {key:?} in {within}"));
    }

    fn sequence<'n>(&mut self, node: &'n Node, expected: &str) -> Option<&'n [Node]> {
        match &node.kind {
            NodeKind::Sequence(items) => Some(items),
            _ => {
                self.wrong_type(node, expected);
                None
            }
        }
    }

    /// Any non-null scalar, as written: `cost-center: 1234` is the string "1234".
    fn string(&mut self, node: &Node, expected: &str) -> Option<Spanned<String>> {
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

    fn string_field(&mut self, entry: &Entry, expected: &str) -> Option<Field<String>> {
        self.string(&entry.value, expected)
            .map(|spanned| field(entry, spanned.value))
    }

    fn boolean(&mut self, node: &Node) -> Option<bool> {
        match node.as_scalar().map(|scalar| scalar.resolve()) {
            Some(Resolved::Bool(value)) => Some(value),
            _ => {
                self.wrong_type(node, "true or false");
                None
            }
        }
    }

    fn strings(&mut self, node: &Node, expected: &str) -> Option<Vec<Spanned<String>>> {
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
    fn account(&mut self, node: &Node) -> Option<Spanned<String>> {
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

    fn settings(&mut self, node: &Node, known: &[&str], expected: &str) -> Option<RawSettings> {
        let fields = self.fields(node, expected, known)?;
        let mut settings = RawSettings::default();
        let mut malformed = Vec::new();
        let mut track = |key: &'static str, read: bool| {
            if !read {
                malformed.push(key);
            }
        };
        if let Some(entry) = fields.get("image_tag_mutability") {
            settings.image_tag_mutability = self
                .or_none(&entry.value, |reader, node| {
                    reader
                        .string(node, "a tag mutability such as IMMUTABLE")
                        .map(|s| s.value)
                })
                .map(|value| field(entry, value));
            track(
                "image_tag_mutability",
                settings.image_tag_mutability.is_some(),
            );
        }
        if let Some(entry) = fields.get("image_tag_mutability_exclusions") {
            settings.image_tag_mutability_exclusions = self
                .or_none(&entry.value, |reader, node| {
                    reader.strings(node, "a list of tag filters")
                })
                .map(|value| field(entry, value));
            track(
                "image_tag_mutability_exclusions",
                settings.image_tag_mutability_exclusions.is_some(),
            );
        }
        if let Some(entry) = fields.get("scan_on_push") {
            settings.scan_on_push = self
                .or_none(&entry.value, |reader, node| reader.boolean(node))
                .map(|value| field(entry, value));
            track("scan_on_push", settings.scan_on_push.is_some());
        }
        if let Some(entry) = fields.get("encryption") {
            settings.encryption = self
                .or_none(&entry.value, |reader, node| reader.encryption(node))
                .map(|value| field(entry, value));
            track("encryption", settings.encryption.is_some());
        }
        if let Some(entry) = fields.get("tags") {
            settings.tags = self
                .or_none(&entry.value, |reader, node| reader.tags(node))
                .map(|value| field(entry, value));
            track("tags", settings.tags.is_some());
        }
        if let Some(entry) = fields.get("lifecycle") {
            settings.lifecycle = self
                .or_none(&entry.value, |reader, node| reader.document(node))
                .map(|value| field(entry, value));
            track("lifecycle", settings.lifecycle.is_some());
        }
        if let Some(entry) = fields.get("policy") {
            settings.policy = self
                .or_none(&entry.value, |reader, node| reader.document(node))
                .map(|value| field(entry, value));
            track("policy", settings.policy.is_some());
        }
        if let Some(entry) = fields.get("force_delete") {
            settings.force_delete = self.boolean(&entry.value).map(|value| field(entry, value));
            track("force_delete", settings.force_delete.is_some());
        }
        settings.malformed = malformed;
        Some(settings)
    }

    fn encryption(&mut self, node: &Node) -> Option<RawEncryption> {
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

    fn tags(&mut self, node: &Node) -> Option<Vec<RawTag>> {
        let entries = self.mapping(node, "a mapping of tag key to value")?;
        let mut tags = Vec::with_capacity(entries.len());
        for entry in entries {
            let value = match entry.value.as_scalar() {
                Some(scalar) if scalar.resolve() != Resolved::Null => scalar.text.clone(),
                Some(_) => {
                    self.error(
                        entry.value.at,
                        format!(
                            "tag {:?} has no value; write \"\" for an empty value",
                            entry.key
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

    fn document(&mut self, node: &Node) -> Option<RawDocument> {
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

    fn registry(&mut self, node: &Node) -> Option<RawRegistry> {
        let fields = self.fields(
            node,
            "a registry (a mapping with account, region and repositories)",
            REGISTRY_KEYS,
        )?;
        let mut registry = RawRegistry {
            file: self.file,
            account: None,
            region: None,
            role_arn: None,
            profile: None,
            prune: None,
            repositories: Vec::new(),
            replication: None,
            registry_policy: None,
            scanning: None,
            pull_through_cache: None,
            creation_templates: None,
            account_settings: None,
        };
        match fields.get("account") {
            Some(entry) => registry.account = self.account(&entry.value),
            None => self.missing(node.at, "account", "this registry"),
        }
        match fields.get("region") {
            Some(entry) => registry.region = self.string(&entry.value, "a region name"),
            None => self.missing(node.at, "region", "this registry"),
        }
        if let Some(entry) = fields.get("role_arn") {
            registry.role_arn = self.string_field(entry, "an IAM role ARN");
        }
        if let Some(entry) = fields.get("profile") {
            registry.profile = self.string_field(entry, "an AWS profile name");
        }
        if let Some(entry) = fields.get("prune") {
            registry.prune = self.boolean(&entry.value).map(|value| field(entry, value));
        }
        if let Some(entry) = fields.get("repositories") {
            registry.repositories = self.repositories(&entry.value);
        }
        if let Some(entry) = fields.get("replication") {
            registry.replication = self
                .or_none(&entry.value, |reader, node| reader.replication(node))
                .map(|value| field(entry, value));
        }
        if let Some(entry) = fields.get("registry_policy") {
            registry.registry_policy = self
                .or_none(&entry.value, |reader, node| reader.document(node))
                .map(|value| field(entry, value));
        }
        if let Some(entry) = fields.get("scanning") {
            registry.scanning = self
                .or_none(&entry.value, |reader, node| reader.scanning(node))
                .map(|value| field(entry, value));
        }
        if let Some(entry) = fields.get("pull_through_cache") {
            registry.pull_through_cache = self
                .or_none(&entry.value, |reader, node| reader.pull_through_cache(node))
                .map(|value| field(entry, value));
        }
        if let Some(entry) = fields.get("creation_templates") {
            registry.creation_templates = self
                .or_none(&entry.value, |reader, node| reader.creation_templates(node))
                .map(|value| field(entry, value));
        }
        if let Some(entry) = fields.get("account_settings") {
            registry.account_settings = self
                .or_none(&entry.value, |reader, node| reader.account_settings(node))
                .map(|value| field(entry, value));
        }
        Some(registry)
    }

    fn repositories(&mut self, node: &Node) -> Vec<RawRepository> {
        if is_null(node) {
            return Vec::new();
        }
        let Some(entries) = self.mapping(node, "a mapping of repository name to settings") else {
            return Vec::new();
        };
        let mut repositories = Vec::with_capacity(entries.len());
        for entry in entries {
            let settings = if entry.value.is_none_keyword() {
                Some(RawSettings::default())
            } else {
                self.settings(
                    &entry.value,
                    REPOSITORY_KEYS,
                    "repository settings (a mapping) or nothing",
                )
            };
            // A repository whose settings are malformed is still a repository: keeping it
            // lets its name be checked and duplicates be found.
            repositories.push(RawRepository {
                name: Spanned {
                    value: entry.key.clone(),
                    at: entry.key_at,
                },
                settings: settings.unwrap_or_default(),
            });
        }
        repositories
    }

    fn replication(&mut self, node: &Node) -> Option<RawReplication> {
        let fields = self.fields(node, "a replication mapping {rules}", REPLICATION_KEYS)?;
        let Some(entry) = fields.get("rules") else {
            self.missing(
                node.at,
                "rules",
                "replication (write rules: [] for no replication)",
            );
            return None;
        };
        let items = self.sequence(&entry.value, "a list of replication rules")?;
        let rules = items
            .iter()
            .filter_map(|item| self.replication_rule(item))
            .collect();
        Some(RawReplication {
            rules: field(entry, rules),
        })
    }

    fn replication_rule(&mut self, node: &Node) -> Option<RawReplicationRule> {
        let fields = self.fields(
            node,
            "a replication rule {destinations, repository_filters}",
            REPLICATION_RULE_KEYS,
        )?;
        let mut rule = RawReplicationRule {
            destinations: None,
            repository_filters: None,
        };
        match fields.get("destinations") {
            Some(entry) => {
                if let Some(items) =
                    self.sequence(&entry.value, "a list of destinations {region, account}")
                {
                    let destinations = items
                        .iter()
                        .filter_map(|item| self.destination(item))
                        .collect();
                    rule.destinations = Some(field(entry, destinations));
                }
            }
            None => self.missing(node.at, "destinations", "this replication rule"),
        }
        if let Some(entry) = fields.get("repository_filters") {
            rule.repository_filters = self
                .strings(&entry.value, "a list of repository name prefixes")
                .map(|filters| field(entry, filters));
        }
        Some(rule)
    }

    fn destination(&mut self, node: &Node) -> Option<RawDestination> {
        let fields = self.fields(node, "a destination {region, account}", DESTINATION_KEYS)?;
        let region = match fields.get("region") {
            Some(entry) => self.string(&entry.value, "a region name"),
            None => {
                self.missing(node.at, "region", "this destination");
                None
            }
        };
        let account = match fields.get("account") {
            Some(entry) => Some(self.account(&entry.value)?),
            None => None,
        };
        Some(RawDestination {
            at: node.at,
            region,
            account,
        })
    }

    fn scanning(&mut self, node: &Node) -> Option<RawScanning> {
        let fields = self.fields(node, "a scanning mapping {type, rules}", SCANNING_KEYS)?;
        let kind = match fields.get("type") {
            Some(entry) => self.string(&entry.value, "a scan type (BASIC or ENHANCED)"),
            None => {
                self.missing(node.at, "type", "scanning");
                None
            }
        };
        let rules = match fields.get("rules") {
            Some(entry) => self
                .sequence(&entry.value, "a list of scanning rules")
                .map(|items| {
                    let rules = items
                        .iter()
                        .filter_map(|item| self.scan_rule(item))
                        .collect();
                    field(entry, rules)
                }),
            None => None,
        };
        Some(RawScanning { kind, rules })
    }

    fn scan_rule(&mut self, node: &Node) -> Option<RawScanRule> {
        let fields = self.fields(node, "a scanning rule {frequency, filters}", SCAN_RULE_KEYS)?;
        let frequency = match fields.get("frequency") {
            Some(entry) => self.string(&entry.value, "a scan frequency"),
            None => {
                self.missing(node.at, "frequency", "this scanning rule");
                None
            }
        };
        let filters = match fields.get("filters") {
            Some(entry) => self
                .strings(&entry.value, "a list of repository filters")
                .map(|filters| field(entry, filters)),
            None => {
                self.missing(node.at, "filters", "this scanning rule");
                None
            }
        };
        Some(RawScanRule { frequency, filters })
    }

    fn pull_through_cache(&mut self, node: &Node) -> Option<Vec<RawPullThroughCacheRule>> {
        let entries = self.mapping(
            node,
            "a mapping of repository prefix to pull-through cache rule",
        )?;
        let mut rules = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(fields) = self.fields(
                &entry.value,
                "a pull-through cache rule {upstream_url, ...}",
                PULL_THROUGH_CACHE_KEYS,
            ) else {
                continue;
            };
            let mut optional = |key: &str, expected: &str| match fields.get(key) {
                Some(entry) => self.string(&entry.value, expected),
                None => None,
            };
            let upstream_registry = optional("upstream_registry", "an upstream registry name");
            let credential_arn = optional("credential_arn", "a Secrets Manager secret ARN");
            let custom_role_arn = optional("custom_role_arn", "an IAM role ARN");
            let upstream_repository_prefix = optional(
                "upstream_repository_prefix",
                "an upstream repository prefix",
            );
            let upstream_url = match fields.get("upstream_url") {
                Some(url) => self.string(&url.value, "an upstream registry URL"),
                None => {
                    self.missing(
                        entry.value.at,
                        "upstream_url",
                        "this pull-through cache rule",
                    );
                    None
                }
            };
            rules.push(RawPullThroughCacheRule {
                prefix: Spanned {
                    value: entry.key.clone(),
                    at: entry.key_at,
                },
                upstream_url,
                upstream_registry,
                credential_arn,
                custom_role_arn,
                upstream_repository_prefix,
            });
        }
        Some(rules)
    }

    fn creation_templates(&mut self, node: &Node) -> Option<Vec<RawCreationTemplate>> {
        let entries = self.mapping(node, "a mapping of prefix (or ROOT) to creation template")?;
        let mut templates = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(fields) = self.fields(
                &entry.value,
                "a creation template {applied_for, ...}",
                CREATION_TEMPLATE_KEYS,
            ) else {
                continue;
            };
            let mut template = RawCreationTemplate {
                prefix: Spanned {
                    value: entry.key.clone(),
                    at: entry.key_at,
                },
                applied_for: None,
                description: None,
                image_tag_mutability: None,
                image_tag_mutability_exclusions: None,
                encryption: None,
                resource_tags: None,
                lifecycle: None,
                policy: None,
                custom_role_arn: None,
            };
            match fields.get("applied_for") {
                Some(applied) => {
                    template.applied_for = self
                        .strings(
                            &applied.value,
                            "a list of REPLICATION, PULL_THROUGH_CACHE or CREATE_ON_PUSH",
                        )
                        .map(|values| field(applied, values));
                }
                None => self.missing(entry.value.at, "applied_for", "this creation template"),
            }
            if let Some(found) = fields.get("description") {
                template.description = self.string(&found.value, "a description");
            }
            if let Some(found) = fields.get("image_tag_mutability") {
                template.image_tag_mutability =
                    self.string(&found.value, "a tag mutability such as IMMUTABLE");
            }
            if let Some(found) = fields.get("image_tag_mutability_exclusions") {
                template.image_tag_mutability_exclusions = self
                    .strings(&found.value, "a list of tag filters")
                    .map(|values| field(found, values));
            }
            if let Some(found) = fields.get("encryption") {
                template.encryption = self
                    .encryption(&found.value)
                    .map(|value| field(found, value));
            }
            if let Some(found) = fields.get("resource_tags") {
                template.resource_tags = self.tags(&found.value).map(|value| field(found, value));
            }
            if let Some(found) = fields.get("lifecycle") {
                template.lifecycle = self
                    .or_none(&found.value, |reader, node| reader.document(node))
                    .map(|value| field(found, value));
            }
            if let Some(found) = fields.get("policy") {
                template.policy = self
                    .or_none(&found.value, |reader, node| reader.document(node))
                    .map(|value| field(found, value));
            }
            if let Some(found) = fields.get("custom_role_arn") {
                template.custom_role_arn = self.string(&found.value, "an IAM role ARN");
            }
            templates.push(template);
        }
        Some(templates)
    }

    fn account_settings(&mut self, node: &Node) -> Option<Vec<RawAccountSetting>> {
        let fields = self.fields(
            node,
            "a mapping of account setting name to value",
            &AccountSettingName::names(),
        )?;
        let mut settings = Vec::new();
        for entry in fields.entries {
            if AccountSettingName::parse(&entry.key).is_none() {
                continue;
            }
            if let Some(value) = self.string(&entry.value, "an account setting value") {
                settings.push((
                    Spanned {
                        value: entry.key.clone(),
                        at: entry.key_at,
                    },
                    value,
                ));
            }
        }
        Some(settings)
    }
}
