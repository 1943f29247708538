//! The JSON Schema of the spec (`ecrform schema`), so that editors validate and complete
//! `ecr.yaml` as they type.
//!
//! The schema is derived from the facts the raw layer checks, not written by hand: every
//! mapping's keys are the raw layer's own key list (so a key validation does not know is not
//! in the schema, and `additionalProperties: false` refuses what validation refuses), and every
//! closed set of values is the model's enum. What is written here is what a list of names
//! cannot say: each key's shape (a string, a list, `none`, ...) and its description, one
//! [`Property`] per key. A test checks that every key of every mapping has exactly one, so a
//! key added to the raw layer without its line here fails the tests, naming the table.
//!
//! The schema is deliberately never stricter than validation: where the spec takes any scalar
//! as a string (`cost-center: 1234`), so does the schema. It cannot check what needs more than
//! one value or a file (names of policy documents, mutability exclusions against the mode,
//! limits across registries); `validate` still does.

use ecrform_model::{
    AccountSettingName, AppliedFor, EncryptionType, ScanFrequency, ScanType, TagMutability,
    UpstreamRegistry,
};
use serde_json::{Map, Value, json};

use crate::raw::keys;
use crate::settings::{REPOSITORY_TAG_LIMIT, TEMPLATE_TAG_LIMIT};

/// The draft the schema is written in: the one YAML language servers support best.
pub const SCHEMA_DIALECT: &str = "http://json-schema.org/draft-07/schema#";

/// One key of a mapping: its shape as a schema, and what it means.
#[derive(Debug, Clone, Copy)]
struct Property {
    key: &'static str,
    required: bool,
    schema: fn() -> Value,
    description: &'static str,
}

/// A key the spec may leave out.
const fn optional(key: &'static str, schema: fn() -> Value, description: &'static str) -> Property {
    Property {
        key,
        required: false,
        schema,
        description,
    }
}

/// A key the spec must write.
const fn required(key: &'static str, schema: fn() -> Value, description: &'static str) -> Property {
    Property {
        key,
        required: true,
        schema,
        description,
    }
}

/// One mapping of the spec: a definition of the schema, with the raw layer's keys.
#[derive(Debug, Clone, Copy)]
struct Mapping {
    /// The definition's name (`#/definitions/NAME`).
    name: &'static str,
    description: &'static str,
    /// The keys the raw layer reads in this mapping, in its order.
    keys: &'static [&'static str],
    /// Each key's shape and description.
    properties: &'static [Property],
}

// Adding a key to the spec: add it to the raw layer's list (`crate::raw`), then one line to
// the table of its mapping below.

static TOP_LEVEL: &[Property] = &[
    required(
        "version",
        version,
        "The spec format version; this ecrform reads 1.",
    ),
    optional(
        "owner",
        text,
        "This spec's owner id: the value of the ownership tag (ecrform:managed) on what it \
         creates; prune deletes only repositories that carry it. 1 to 128 letters, digits and \
         . _ - : / @ + =",
    ),
    optional(
        "defaults",
        defaults,
        "Repository settings merged under every repository of every registry; a repository's \
         own key wins, tags merge key by key.",
    ),
    optional(
        "guardrails",
        guardrails,
        "The guardrail rules that validate, plan and audit judge by: a profile (recommended, \
         strict, none), each rule's level and parameters, and exceptions with their reason.",
    ),
    optional(
        "registries",
        registries,
        "The registries this spec manages, each an account and region.",
    ),
];

static GUARDRAILS: &[Property] = &[
    optional(
        "profile",
        guardrail_profile,
        "recommended (the default: public access an error, the rest warnings), strict (every \
         rule an error, stricter parameters) or none (every rule off).",
    ),
    optional(
        "rules",
        guardrail_rules,
        "Per rule id: a level (error, warning, off), or a mapping of level and the rule's \
         parameters.",
    ),
    optional(
        "exceptions",
        guardrail_exceptions,
        "Repositories a rule does not apply to, each with its reason.",
    ),
];

static EXCEPTION: &[Property] = &[
    required("rule", guardrail_rule_id, "The rule the exception is for."),
    required(
        "repositories",
        filters,
        "Repository names or globs (* matches any run of characters, / included); * alone \
         also covers registry-wide findings.",
    ),
    required(
        "reason",
        text,
        "Why the rule does not apply: required, never empty.",
    ),
    optional(
        "until",
        date,
        "The last day the exception holds (YYYY-MM-DD); after it, it is itself an error.",
    ),
];

static SETTINGS: &[Property] = &[
    optional(
        "image_tag_mutability",
        tag_mutability,
        "Whether image tags can be overwritten.",
    ),
    optional(
        "image_tag_mutability_exclusions",
        filters,
        "1 to 5 tag filters ([0-9a-zA-Z._*-], at most 128 characters) exempt from the \
         mutability mode; exactly when the mode ends in _WITH_EXCLUSION.",
    ),
    optional(
        "scan_on_push",
        boolean,
        "Scan images when pushed (deprecated by ECR in favour of registry scanning).",
    ),
    optional(
        "encryption",
        encryption,
        "How the repository is encrypted; creation-only: a change replaces the repository.",
    ),
    optional(
        "tags",
        repository_tags,
        "The exact set of tags (none: no tags); at most 49, keys up to 128 and values up to \
         256 characters, no aws: keys.",
    ),
    optional(
        "lifecycle",
        document_or_none,
        "The lifecycle policy: a name in policies/lifecycle/, an inline document, \
         {template, vars}, or none for no policy.",
    ),
    optional(
        "policy",
        document_or_none,
        "The repository policy: a name in policies/repository/, an inline document, \
         {template, vars}, or none for no policy.",
    ),
    optional(
        "force_delete",
        boolean,
        "Allow deleting (or replacing) this repository while it holds images.",
    ),
];

static ENCRYPTION: &[Property] = &[
    required("type", encryption_type, "The encryption type."),
    optional(
        "kms_key",
        string,
        "With KMS types: a key id, key ARN, alias name or alias ARN (default: the AWS managed \
         key).",
    ),
];

static TEMPLATE: &[Property] = &[
    required(
        "template",
        text,
        "The name of the document whose {{ var }} placeholders are replaced.",
    ),
    optional(
        "vars",
        vars,
        "The value of each placeholder; every var must be used and every placeholder given.",
    ),
];

static REGISTRY: &[Property] = &[
    required(
        "account",
        account,
        "The registry's 12-digit AWS account id, quoted.",
    ),
    required(
        "region",
        string,
        "The registry's region, such as us-east-1.",
    ),
    optional(
        "role_arn",
        string,
        "An IAM role to assume (with STS) to reach this registry.",
    ),
    optional(
        "profile",
        text,
        "The AWS profile to reach this registry with.",
    ),
    optional(
        "prune",
        prune,
        "Delete this spec's repositories that left it: true or false, or {enabled, \
         force_delete}.",
    ),
    optional(
        "ignore_unmanaged",
        filters,
        "Globs over repository names that drift does not report as unmanaged (* within a \
         segment, ** across segments).",
    ),
    optional(
        "drift_ignore",
        drift_ignores,
        "Managed drift accepted for now: {address: KIND[/NAME] glob, reason}; drift counts \
         it as ignored.",
    ),
    optional(
        "repositories",
        repositories,
        "The repositories of this registry, by name, each with its settings (or nothing for \
         the defaults only).",
    ),
    optional(
        "replication",
        replication,
        "The registry's replication configuration; none (or rules: []) for no replication.",
    ),
    optional(
        "registry_policy",
        document_or_none,
        "The registry policy: a name in policies/registry/, an inline document, {template, \
         vars}, or none.",
    ),
    optional("scanning", scanning, "The registry scanning configuration."),
    optional(
        "pull_through_cache",
        pull_through_cache,
        "The exact set of pull-through cache rules, by ECR repository prefix; none for no \
         rules.",
    ),
    optional(
        "creation_templates",
        creation_templates,
        "The exact set of repository creation templates, by prefix or ROOT; none for no \
         templates.",
    ),
    optional(
        "account_settings",
        account_settings,
        "Account settings by name; only the named ones are managed.",
    ),
    optional(
        "signing_configuration",
        signing_configuration,
        "Managed signing with AWS Signer; none for no signing configuration.",
    ),
    optional(
        "pull_time_update_exclusions",
        pull_time_update_exclusions,
        "The exact set of IAM role or user ARNs whose pulls ECR does not record; none for no \
         exclusions.",
    ),
];

static PRUNE: &[Property] = &[
    optional(
        "enabled",
        boolean,
        "Whether the registry prunes (default true when the mapping is written).",
    ),
    optional(
        "force_delete",
        boolean,
        "Delete pruned repositories with the images they hold.",
    ),
];

static REPLICATION: &[Property] = &[required(
    "rules",
    replication_rules,
    "At most 10 rules; [] for no replication.",
)];

static REPLICATION_RULE: &[Property] = &[
    required(
        "destinations",
        destinations,
        "Where images are replicated to (at most 25 unique destinations across rules).",
    ),
    optional(
        "repository_filters",
        filters,
        "Repository name prefixes (PREFIX_MATCH) this rule replicates; all repositories \
         when left out.",
    ),
];

static DESTINATION: &[Property] = &[
    required("region", string, "The destination region."),
    optional(
        "account",
        account,
        "The destination account (default: this registry's), quoted.",
    ),
];

static SCANNING: &[Property] = &[
    required("type", scan_type, "BASIC or ENHANCED scanning."),
    optional("rules", scan_rules, "At most 2 scanning rules."),
];

static SCAN_RULE: &[Property] = &[
    required(
        "frequency",
        scan_frequency,
        "How often the matched repositories are scanned; CONTINUOUS_SCAN only with ENHANCED.",
    ),
    required(
        "filters",
        filters,
        "Repository filters (WILDCARD): without *, a name that contains the filter matches.",
    ),
];

static SIGNING: &[Property] = &[required(
    "rules",
    signing_rules,
    "At most 10 signing rules; [] for none.",
)];

static SIGNING_RULE: &[Property] = &[
    required(
        "signing_profile_arn",
        string,
        "An AWS Signer signing profile ARN \
         (arn:aws:signer:REGION:ACCOUNT:/signing-profiles/NAME).",
    ),
    optional(
        "repository_filters",
        filters,
        "At most 100 repository filters (WILDCARD_MATCH); every repository when left out.",
    ),
];

static PULL_THROUGH_CACHE_RULE: &[Property] = &[
    required(
        "upstream_url",
        string,
        "The upstream registry's URL, such as registry-1.docker.io.",
    ),
    optional(
        "upstream_registry",
        upstream_registry,
        "The upstream registry (ECR derives it from the URL when left out).",
    ),
    optional(
        "credential_arn",
        string,
        "The Secrets Manager secret (named ecr-pullthroughcache/...) with the upstream \
         credentials.",
    ),
    optional(
        "custom_role_arn",
        string,
        "The IAM role ECR assumes to reach the upstream registry.",
    ),
    optional(
        "upstream_repository_prefix",
        text,
        "The upstream repository prefix (default ROOT).",
    ),
];

static CREATION_TEMPLATE: &[Property] = &[
    required(
        "applied_for",
        applied_for,
        "What the template applies to: REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH.",
    ),
    optional("description", text, "What the template is for."),
    optional(
        "image_tag_mutability",
        tag_mutability,
        "The tag mutability of the repositories ECR creates.",
    ),
    optional(
        "image_tag_mutability_exclusions",
        filters,
        "Tag filters exempt from the mutability mode.",
    ),
    optional(
        "encryption",
        encryption,
        "The encryption of the repositories ECR creates; KMS keys as full ARNs.",
    ),
    optional(
        "resource_tags",
        template_tags,
        "The tags of the repositories ECR creates (at most 50); needs custom_role_arn.",
    ),
    optional(
        "lifecycle",
        document_or_none,
        "The lifecycle policy of the repositories ECR creates.",
    ),
    optional(
        "policy",
        document_or_none,
        "The repository policy of the repositories ECR creates.",
    ),
    optional(
        "custom_role_arn",
        string,
        "The role ECR uses to tag or encrypt the repositories it creates.",
    ),
];

/// Every mapping of the spec, each a definition of the schema.
static MAPPINGS: &[Mapping] = &[
    Mapping {
        name: "spec",
        description: "An ecrform spec, version 1.",
        keys: keys::TOP_LEVEL_KEYS,
        properties: TOP_LEVEL,
    },
    Mapping {
        name: "defaults",
        description: "Repository settings merged under every repository.",
        keys: keys::DEFAULTS_KEYS,
        properties: SETTINGS,
    },
    Mapping {
        name: "repository",
        description: "A repository's settings; a setting left out is not managed.",
        keys: keys::REPOSITORY_KEYS,
        properties: SETTINGS,
    },
    Mapping {
        name: "encryption",
        description: "A repository's encryption.",
        keys: keys::ENCRYPTION_KEYS,
        properties: ENCRYPTION,
    },
    Mapping {
        name: "template",
        description: "A named document with its placeholders replaced.",
        keys: keys::TEMPLATE_KEYS,
        properties: TEMPLATE,
    },
    Mapping {
        name: "registry",
        description: "One registry: an account and region, its repositories and its \
                      registry-wide settings.",
        keys: keys::REGISTRY_KEYS,
        properties: REGISTRY,
    },
    Mapping {
        name: "prune",
        description: "Pruning with its options.",
        keys: keys::PRUNE_KEYS,
        properties: PRUNE,
    },
    Mapping {
        name: "replication",
        description: "The replication configuration, replaced whole.",
        keys: keys::REPLICATION_KEYS,
        properties: REPLICATION,
    },
    Mapping {
        name: "replication_rule",
        description: "One replication rule.",
        keys: keys::REPLICATION_RULE_KEYS,
        properties: REPLICATION_RULE,
    },
    Mapping {
        name: "destination",
        description: "A replication destination.",
        keys: keys::DESTINATION_KEYS,
        properties: DESTINATION,
    },
    Mapping {
        name: "scanning",
        description: "The registry scanning configuration, replaced whole.",
        keys: keys::SCANNING_KEYS,
        properties: SCANNING,
    },
    Mapping {
        name: "scan_rule",
        description: "One scanning rule.",
        keys: keys::SCAN_RULE_KEYS,
        properties: SCAN_RULE,
    },
    Mapping {
        name: "signing_configuration",
        description: "The signing configuration, replaced whole.",
        keys: keys::SIGNING_KEYS,
        properties: SIGNING,
    },
    Mapping {
        name: "signing_rule",
        description: "One signing rule.",
        keys: keys::SIGNING_RULE_KEYS,
        properties: SIGNING_RULE,
    },
    Mapping {
        name: "pull_through_cache_rule",
        description: "One pull-through cache rule.",
        keys: keys::PULL_THROUGH_CACHE_KEYS,
        properties: PULL_THROUGH_CACHE_RULE,
    },
    Mapping {
        name: "creation_template",
        description: "One repository creation template.",
        keys: keys::CREATION_TEMPLATE_KEYS,
        properties: CREATION_TEMPLATE,
    },
    Mapping {
        name: "guardrails",
        description: "The guardrail rules' configuration.",
        keys: keys::GUARDRAILS_KEYS,
        properties: GUARDRAILS,
    },
    Mapping {
        name: "exception",
        description: "A guardrail exception.",
        keys: keys::EXCEPTION_KEYS,
        properties: EXCEPTION,
    },
];

/// The JSON Schema (draft-07) of a spec file.
pub fn json_schema() -> Value {
    let mut definitions = Map::new();
    for mapping in MAPPINGS {
        definitions.insert(mapping.name.to_owned(), object(mapping));
    }
    definitions.insert("account_settings".to_owned(), account_settings_object());
    definitions.insert("document".to_owned(), document());
    let mut schema = Map::new();
    schema.insert("$schema".to_owned(), json!(SCHEMA_DIALECT));
    schema.insert("title".to_owned(), json!("ecrform spec (version 1)"));
    if let Value::Object(root) = reference("spec") {
        schema.extend(root);
    }
    schema.insert("definitions".to_owned(), Value::Object(definitions));
    Value::Object(schema)
}

/// A mapping whose keys are exactly the raw layer's.
fn object(mapping: &Mapping) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for key in mapping.keys {
        // Every key has a property (a test checks it); one without would accept anything.
        let Some(property) = mapping.properties.iter().find(|p| p.key == *key) else {
            properties.insert((*key).to_owned(), json!({}));
            continue;
        };
        let mut schema = (property.schema)();
        if let Value::Object(fields) = &mut schema {
            fields.insert("description".to_owned(), json!(property.description));
        }
        properties.insert((*key).to_owned(), schema);
        if property.required {
            required.push(*key);
        }
    }
    let mut object = json!({
        "type": "object",
        "description": mapping.description,
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        object["required"] = json!(required);
    }
    object
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/definitions/{name}")})
}

/// `none` or YAML null: "must be absent", or the empty set.
fn none() -> Value {
    json!({"enum": ["none", null]})
}

/// `none`, or a value of `schema`.
fn or_none(schema: Value) -> Value {
    json!({"anyOf": [none(), schema]})
}

/// Any scalar but null, taken as written: `1234` is the string "1234".
fn text() -> Value {
    json!({"type": ["string", "number", "boolean"]})
}

/// A value that only a string can be (an ARN, a region, a URL).
fn string() -> Value {
    json!({"type": "string"})
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

fn version() -> Value {
    json!({"const": 1})
}

fn account() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{12}$"})
}

fn names(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn tag_mutability() -> Value {
    names(&TagMutability::names())
}

fn encryption_type() -> Value {
    names(&EncryptionType::names())
}

fn scan_type() -> Value {
    names(&ScanType::names())
}

fn scan_frequency() -> Value {
    names(&ScanFrequency::names())
}

fn upstream_registry() -> Value {
    names(&UpstreamRegistry::names())
}

fn applied_for() -> Value {
    json!({"type": "array", "items": names(&AppliedFor::names())})
}

fn filters() -> Value {
    json!({"type": "array", "items": text()})
}

fn list_of(definition: &str) -> Value {
    json!({"type": "array", "items": reference(definition)})
}

fn encryption() -> Value {
    reference("encryption")
}

fn tags(limit: usize) -> Value {
    json!({
        "type": "object",
        "maxProperties": limit,
        "additionalProperties": text(),
    })
}

fn repository_tags() -> Value {
    or_none(tags(REPOSITORY_TAG_LIMIT))
}

fn template_tags() -> Value {
    tags(TEMPLATE_TAG_LIMIT)
}

/// A policy document: a name (a string), an inline document in ECR's JSON shape (any
/// mapping), or `{template, vars}` (a mapping with a `template` key).
fn document() -> Value {
    json!({
        "type": ["string", "object"],
        "if": {"type": "object", "required": ["template"]},
        "then": reference("template"),
    })
}

fn document_or_none() -> Value {
    or_none(reference("document"))
}

fn vars() -> Value {
    or_none(json!({"type": "object"}))
}

fn defaults() -> Value {
    or_none(reference("defaults"))
}

fn registries() -> Value {
    json!({"type": ["array", "null"], "items": reference("registry")})
}

fn repositories() -> Value {
    json!({
        "type": ["object", "null"],
        "additionalProperties": or_none(reference("repository")),
    })
}

fn prune() -> Value {
    json!({"anyOf": [boolean(), reference("prune")]})
}

fn replication() -> Value {
    or_none(reference("replication"))
}

fn replication_rules() -> Value {
    list_of("replication_rule")
}

fn destinations() -> Value {
    list_of("destination")
}

fn scanning() -> Value {
    reference("scanning")
}

fn scan_rules() -> Value {
    list_of("scan_rule")
}

fn signing_configuration() -> Value {
    or_none(reference("signing_configuration"))
}

fn signing_rules() -> Value {
    list_of("signing_rule")
}

fn pull_through_cache() -> Value {
    or_none(json!({
        "type": "object",
        "additionalProperties": reference("pull_through_cache_rule"),
    }))
}

fn creation_templates() -> Value {
    or_none(json!({
        "type": "object",
        "additionalProperties": reference("creation_template"),
    }))
}

fn drift_ignores() -> Value {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"address": string(), "reason": text()},
            "required": ["address", "reason"],
            "additionalProperties": false,
        },
    })
}

fn guardrails() -> Value {
    or_none(reference("guardrails"))
}

fn guardrail_profile() -> Value {
    let profiles: Vec<&str> = ecrform_guardrails::Profile::ALL
        .iter()
        .map(|profile| profile.as_str())
        .collect();
    names(&profiles)
}

fn guardrail_level() -> Value {
    let levels: Vec<&str> = ecrform_guardrails::Level::ALL
        .iter()
        .map(|level| level.as_str())
        .collect();
    names(&levels)
}

fn guardrail_rule_id() -> Value {
    let ids: Vec<&str> = ecrform_guardrails::RULES
        .iter()
        .map(|rule| rule.id)
        .collect();
    names(&ids)
}

/// Every rule by its id: a level, or a mapping of `level` and the parameters the rule takes
/// (as `crate::guardrails` reads them).
fn guardrail_rules() -> Value {
    let mut rules = Map::new();
    for rule in ecrform_guardrails::RULES {
        let mut parameters = Map::new();
        parameters.insert("level".to_owned(), guardrail_level());
        for parameter in rule.parameters {
            let schema = match crate::guardrails::parameter_schema(rule.rule, parameter) {
                Some(crate::guardrails::ParameterShape::Strings) => filters(),
                Some(crate::guardrails::ParameterShape::Bool) => boolean(),
                Some(crate::guardrails::ParameterShape::Pattern) => string(),
                None => json!({}),
            };
            parameters.insert((*parameter).to_owned(), schema);
        }
        rules.insert(
            rule.id.to_owned(),
            json!({
                "description": format!("{}. Why: {}.", rule.checks, rule.rationale),
                "anyOf": [
                    guardrail_level(),
                    {"type": "object", "properties": parameters, "additionalProperties": false},
                ],
            }),
        );
    }
    or_none(json!({
        "type": "object",
        "properties": rules,
        "additionalProperties": false,
    }))
}

fn guardrail_exceptions() -> Value {
    or_none(list_of("exception"))
}

/// A day as `until` takes it.
fn date() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
}

fn account_settings() -> Value {
    reference("account_settings")
}

fn pull_time_update_exclusions() -> Value {
    or_none(json!({"type": "array", "items": string()}))
}

/// Account settings by the names ECR knows, each with the values it accepts.
fn account_settings_object() -> Value {
    let properties: Map<String, Value> = AccountSettingName::ALL
        .iter()
        .map(|name| (name.as_str().to_owned(), names(name.allowed_values())))
        .collect();
    json!({
        "type": "object",
        "description": "Account settings by name, each with the values ECR accepts.",
        "properties": properties,
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_key_of_every_mapping_has_exactly_one_property() {
        let mut problems = Vec::new();
        for mapping in MAPPINGS {
            let keys: BTreeSet<&str> = mapping.keys.iter().copied().collect();
            for key in mapping.keys {
                let count = mapping.properties.iter().filter(|p| p.key == *key).count();
                if count != 1 {
                    problems.push(format!(
                        "key {key:?} of {} has {count} properties; add one line for it to the \
                         table of {} in crates/ecrform-spec/src/schema.rs",
                        mapping.name, mapping.name
                    ));
                }
            }
            // A table may serve several mappings (defaults and repositories share one);
            // a property no mapping reads is a key the spec no longer has.
            for property in mapping.properties {
                let used = MAPPINGS.iter().any(|other| {
                    std::ptr::eq(other.properties, mapping.properties)
                        && other.keys.contains(&property.key)
                });
                if !used {
                    problems.push(format!(
                        "{} describes {:?}, which the raw layer does not read",
                        mapping.name, property.key
                    ));
                }
            }
            assert_eq!(
                keys.len(),
                mapping.keys.len(),
                "{} repeats a key",
                mapping.name
            );
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_reference_names_a_definition() {
        let schema = json_schema();
        let definitions = schema["definitions"].as_object().unwrap();
        let mut references = Vec::new();
        collect_references(&schema, &mut references);
        assert!(references.len() > 10, "{references:?}");
        for reference in references {
            let name = reference
                .strip_prefix("#/definitions/")
                .unwrap_or_else(|| panic!("{reference}"));
            assert!(definitions.contains_key(name), "{reference} is not defined");
        }
    }

    #[test]
    fn enums_are_the_models_values() {
        let schema = json_schema();
        let registry = &schema["definitions"]["registry"]["properties"];
        assert_eq!(
            schema["definitions"]["encryption"]["properties"]["type"]["enum"],
            json!(["AES256", "KMS", "KMS_DSSE"])
        );
        assert_eq!(
            schema["definitions"]["account_settings"]["properties"]["REGISTRY_POLICY_SCOPE"]["enum"],
            json!(["V1", "V2"])
        );
        assert_eq!(registry["account"]["pattern"], "^[0-9]{12}$");
        assert_eq!(
            schema["definitions"]["registry"]["required"],
            json!(["account", "region"])
        );
        // Every key carries its description.
        for (key, property) in registry.as_object().unwrap() {
            assert!(property["description"].is_string(), "{key}");
        }
    }

    fn collect_references<'v>(value: &'v Value, into: &mut Vec<&'v str>) {
        match value {
            Value::Object(fields) => {
                for (key, field) in fields {
                    match (key.as_str(), field) {
                        ("$ref", Value::String(target)) => into.push(target),
                        _ => collect_references(field, into),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect_references(item, into)),
            _ => {}
        }
    }
}
