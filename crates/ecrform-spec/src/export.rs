//! `ecrform export`: a v1 spec (YAML) that describes live state, so that adopting an existing
//! registry starts from a plan with nothing in it.
//!
//! The promise is that the written spec loads without errors and that planning it against the
//! same live state is empty. Live state can hold things the spec refuses (ECR's API is looser
//! than the user guide, and older than some of our checks), so every piece is checked before
//! it is written, by the loader itself: each repository (and each registry-wide setting) is
//! written to a one-repository spec, loaded through the same parser and validation as a real
//! spec, and compared with live state the way the planner compares it. What passes is written;
//! what does not is dealt with, never panicked on:
//!
//! - A repository whose name the spec rejects (ECR's API accepts `1abc` or `a__b`; the spec
//!   follows the user guide) is skipped, with a comment `# skipped NAME: reason` where it
//!   would have been. The spec cannot name it, so it stays unmanaged and the plan lists it so.
//! - A setting the spec cannot express as live has it (more than 49 user tags, a tag key the
//!   spec reserves, a lifecycle rule our validation refuses, ...) is left out, with a comment
//!   `# NAME: KEY left out (not managed): reason`. Left out means unmanaged, so the plan stays
//!   empty and the rest of the repository is still managed.
//! - A registry-wide setting that fails is left out whole, with the same kind of comment:
//!   those are exact sets, and dropping one rule would plan its deletion later.
//! - A registry policy that refuses the cross-account replication of another exported registry
//!   (or a registry with no policy at all there) is left out, with a comment saying so: the
//!   loader rejects that pair, and replication between them does nothing until the policy is
//!   fixed in ECR. Validation then warns that the pair cannot be checked.
//!
//! Every comment is also returned in [`Exported::notes`] for the command to print.
//!
//! Other decisions:
//! - Every setting live state read is written, so the spec fully describes each repository;
//!   nothing goes to `defaults`. A setting live state did not read (`Setting::Unmanaged`, a
//!   `None`) is left out rather than filled with ECR's default: it was not seen.
//! - Reserved tags (`aws:` keys and the ownership tag `ecrform:managed`) are never written. A
//!   repository ecrform did not create must not become one it may prune, and one it created
//!   keeps its tag because the planner never touches reserved keys.
//! - `image_tag_mutability_exclusions` is written only with a mode that takes exclusions.
//! - Under ENHANCED registry scanning (when it is exported too), `scan_on_push` is left out:
//!   it has no effect there, and the loader would warn about every repository.
//! - With [`ExportOptions::prefix`], only repositories whose names start with it are written,
//!   and the registry-wide settings are left out: they are not scoped by name, and a registry's
//!   keys may be defined in one file only, so per-team exports must be able to sit side by side.
//! - With [`ExportOptions::policy_files`], each repository's lifecycle and repository policy and
//!   each registry policy go to `policies/<kind>/NAME.json` (pretty JSON) and are referenced by
//!   name. NAME is the repository name with `/` replaced by `.` (the registry's
//!   `ACCOUNT.REGION` for a registry policy); documents with the same canonical form share the
//!   file of the first one. Names are unique per directory: a name already taken by another
//!   document (`team-a/api` and `team-a.api`, or one repository in two registries) gets `-2`,
//!   `-3`, ... and `none`, which the spec reads as "absent", is never used. Creation templates
//!   are written whole and inline.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use ecrform_model::shown::quoted;
use ecrform_model::{
    AccountSettings, CreationTemplate, DesiredState, PullThroughCacheRule, RegistryId,
    RegistryState, RegistryWideKind, Replication, RepositoryName, RepositoryState, Scanning,
    Setting, SigningConfiguration, Tags, is_reserved_tag_key,
};
use serde::Serialize;
use serde_json::Value as Json;
use serde_yaml::{Mapping, Value as Yaml};

use crate::replication_access::{
    REPLICATION_ACTIONS, ReplicationAccess, and_list, replication_access,
};
use crate::report::Report;
use crate::sources::SourceText;

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Only repositories whose names start with this (and then no registry-wide settings).
    pub prefix: Option<String>,
    /// Write policy documents to `policies/<kind>/NAME.json` instead of inline.
    pub policy_files: bool,
}

/// An exported spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The spec's YAML text.
    pub spec: String,
    /// Policy documents to write next to the spec: a path relative to the spec's directory
    /// (such as `policies/lifecycle/team-a.api.json`) and its contents. Empty unless
    /// [`ExportOptions::policy_files`].
    pub files: Vec<(PathBuf, String)>,
    /// What was skipped or left out and why, one line each, most starting `ACCOUNT/REGION: `;
    /// the spec holds the same text as comments. For the command to print as warnings.
    pub notes: Vec<String>,
}

/// Writes a spec of `registries` that plans empty against them.
pub fn export(registries: &[RegistryState], options: &ExportOptions) -> Exported {
    let mut ordered: Vec<&RegistryState> = registries.iter().collect();
    ordered.sort_by_key(|registry| registry.id());
    let mut exporter = Exporter {
        options,
        files: PolicyFiles::default(),
        notes: Vec::new(),
        refused_policies: if options.prefix.is_none() {
            refused_registry_policies(&ordered)
        } else {
            BTreeMap::new()
        },
    };

    let mut header_notes = Vec::new();
    let mut seen = BTreeSet::new();
    let mut body = String::new();
    for registry in ordered {
        let id = registry.id();
        if !seen.insert(id.clone()) {
            // Two live states of one registry cannot both be true; the first one is written.
            let note = format!("skipped registry {id}: it is listed more than once");
            exporter.notes.push(note.clone());
            header_notes.push(note);
            continue;
        }
        body.push_str(&exporter.registry(registry));
    }

    let mut spec = header(&seen, options);
    for note in &header_notes {
        spec.push_str(&comment("", note));
    }
    spec.push_str("version: 1\n");
    if body.is_empty() {
        spec.push_str("registries: []\n");
    } else {
        spec.push_str("registries:\n");
        spec.push_str(&body);
    }
    Exported {
        spec,
        files: exporter.files.files,
        notes: exporter.notes,
    }
}

/// The comment at the top: what wrote the file and from where.
fn header(registries: &BTreeSet<RegistryId>, options: &ExportOptions) -> String {
    let shown: Vec<String> = registries.iter().map(ToString::to_string).collect();
    let from = if shown.is_empty() {
        "no registries".to_owned()
    } else {
        format!("registries {}", shown.join(", "))
    };
    let mut text = format!("# Generated by `ecrform export` from {from}.\n");
    if let Some(prefix) = &options.prefix {
        text.push_str(&format!(
            "# Only repositories whose names start with {prefix:?}; registry-wide settings are \
             left out.\n"
        ));
    }
    text.push_str(
        "# Planning this spec against the same live state changes nothing. What is left out is \
         not managed.\n",
    );
    text
}

/// A YAML comment line at `indent`, kept on one line whatever the reason says.
fn comment(indent: &str, text: &str) -> String {
    format!("{indent}# {}\n", text.replace(['\n', '\r'], " "))
}

/// `text` (serde_yaml output) with every non-empty line indented; block scalars stay valid
/// because their lines move together.
fn indented(text: &str, indent: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_owned()
            } else {
                format!("{indent}{line}\n")
            }
        })
        .collect()
}

fn to_yaml(value: &impl Serialize) -> Result<Yaml, String> {
    serde_yaml::to_value(value).map_err(|error| format!("cannot be written as YAML: {error}"))
}

fn to_text(value: &impl Serialize) -> Result<String, String> {
    serde_yaml::to_string(value).map_err(|error| format!("cannot be written as YAML: {error}"))
}

fn string(text: &str) -> Yaml {
    Yaml::String(text.to_owned())
}

/// The spec's "must be absent".
fn none() -> Yaml {
    string("none")
}

/// The user's tags: what the spec manages.
fn user_tags(tags: &Tags) -> Tags {
    tags.iter()
        .filter(|(key, _)| !is_reserved_tag_key(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// Exclusion filters as the planner compares them: a set.
fn filter_set(filters: Option<&Vec<String>>) -> BTreeSet<&str> {
    filters.into_iter().flatten().map(String::as_str).collect()
}

/// A repository setting the spec writes as one unit (the mode and its exclusions are one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Mutability,
    ScanOnPush,
    Encryption,
    Tags,
    Lifecycle,
    Policy,
}

impl Group {
    const ALL: [Group; 6] = [
        Group::Mutability,
        Group::ScanOnPush,
        Group::Encryption,
        Group::Tags,
        Group::Lifecycle,
        Group::Policy,
    ];

    fn key(self) -> &'static str {
        match self {
            Group::Mutability => "image_tag_mutability",
            Group::ScanOnPush => "scan_on_push",
            Group::Encryption => "encryption",
            Group::Tags => "tags",
            Group::Lifecycle => "lifecycle",
            Group::Policy => "policy",
        }
    }

    /// Whether `desired` (read back from the written spec) plans nothing against `live` for
    /// this setting, compared the way the planner compares it.
    fn reads_back(self, desired: &RepositoryState, live: &RepositoryState) -> bool {
        match self {
            Group::Mutability => {
                desired.image_tag_mutability == live.image_tag_mutability
                    && filter_set(desired.image_tag_mutability_exclusions.as_ref())
                        == filter_set(live.image_tag_mutability_exclusions.as_ref())
            }
            Group::ScanOnPush => desired.scan_on_push == live.scan_on_push,
            Group::Encryption => desired.encryption == live.encryption,
            Group::Tags => desired.tags == live.tags.as_ref().map(user_tags),
            Group::Lifecycle => desired.lifecycle_policy == live.lifecycle_policy,
            Group::Policy => desired.repository_policy == live.repository_policy,
        }
    }
}

/// One setting ready to write: its entries with documents inline (what is checked), and the
/// document to move to a file in policy-files mode.
#[derive(Debug)]
struct Written {
    group: Group,
    entries: Vec<(Yaml, Yaml)>,
    document: Option<(PolicyDirectory, Json, Json)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PolicyDirectory {
    Lifecycle,
    Repository,
    Registry,
}

impl PolicyDirectory {
    fn name(self) -> &'static str {
        match self {
            PolicyDirectory::Lifecycle => "lifecycle",
            PolicyDirectory::Repository => "repository",
            PolicyDirectory::Registry => "registry",
        }
    }
}

/// Policy documents written to files: one file per canonical form and directory, each under
/// a name no other document of its directory has.
#[derive(Debug, Default)]
struct PolicyFiles {
    by_canonical: HashMap<(PolicyDirectory, String), String>,
    taken: HashSet<(PolicyDirectory, String)>,
    files: Vec<(PathBuf, String)>,
}

impl PolicyFiles {
    /// The name `document` is written under, `base` when it is free.
    fn name(
        &mut self,
        directory: PolicyDirectory,
        base: &str,
        document: &Json,
        canonical: &Json,
    ) -> Result<String, String> {
        let identity = (directory, canonical.to_string());
        if let Some(name) = self.by_canonical.get(&identity) {
            return Ok(name.clone());
        }
        let mut text = serde_json::to_string_pretty(document)
            .map_err(|error| format!("cannot be written as JSON: {error}"))?;
        text.push('\n');
        let free = |name: &str, taken: &HashSet<(PolicyDirectory, String)>| {
            // A plain `none` in the spec means "absent", never a document of that name.
            name != "none" && !taken.contains(&(directory, name.to_owned()))
        };
        let mut name = base.to_owned();
        let mut counter = 1;
        while !free(&name, &self.taken) {
            counter += 1;
            name = format!("{base}-{counter}");
        }
        self.taken.insert((directory, name.clone()));
        self.by_canonical.insert(identity, name.clone());
        let path = Path::new("policies")
            .join(directory.name())
            .join(format!("{name}.json"));
        self.files.push((path, text));
        Ok(name)
    }
}

#[derive(Debug)]
struct Exporter<'o> {
    options: &'o ExportOptions,
    files: PolicyFiles,
    notes: Vec<String>,
    /// Registries whose policy is left out, and why; see [`refused_registry_policies`].
    refused_policies: BTreeMap<RegistryId, String>,
}

impl Exporter<'_> {
    /// One registry as an item of the `registries:` list.
    fn registry(&mut self, registry: &RegistryState) -> String {
        let id = registry.id();
        let mut identity = Mapping::new();
        identity.insert(string("account"), string(registry.account.as_str()));
        identity.insert(string("region"), string(registry.region.as_str()));
        let mut text = match to_text(&vec![Yaml::Mapping(identity)]) {
            Ok(text) => text,
            Err(reason) => {
                let note = format!("skipped registry {id}: {reason}");
                self.notes.push(note.clone());
                return comment("", &note);
            }
        };

        // Registry-wide settings are decided first: ENHANCED scanning changes what a
        // repository's settings mean. Their text still goes after the repositories.
        let (wide, wide_notes) = if self.options.prefix.is_none() {
            self.registry_wide(registry)
        } else {
            (Mapping::new(), Vec::new())
        };
        let enhanced = wide.contains_key("scanning")
            && registry
                .scanning
                .present()
                .is_some_and(|scanning| scanning.scan_type == ecrform_model::ScanType::Enhanced);

        let mut repositories = String::new();
        // Notes go right above the repository they are about, or after the last one.
        let mut pending: Vec<String> = Vec::new();
        for (name, live) in &registry.repositories {
            if let Some(prefix) = &self.options.prefix
                && !name.as_str().starts_with(prefix.as_str())
            {
                continue;
            }
            let (entry, notes) = self.repository(registry, name, live, enhanced);
            for note in notes {
                self.notes.push(format!("{id}: {note}"));
                pending.push(note);
            }
            if let Some(entry) = entry {
                for note in pending.drain(..) {
                    repositories.push_str(&comment("    ", &note));
                }
                repositories.push_str(&indented(&entry, "    "));
            }
        }
        if repositories.is_empty() {
            // Comments alone under the key would make it null; keep the mapping explicit.
            for note in &pending {
                text.push_str(&comment("  ", note));
            }
            text.push_str("  repositories: {}\n");
        } else {
            text.push_str("  repositories:\n");
            text.push_str(&repositories);
            for note in &pending {
                text.push_str(&comment("    ", note));
            }
        }

        for note in wide_notes {
            text.push_str(&comment("  ", &note));
            self.notes.push(format!("{id}: {note}"));
        }
        if !wide.is_empty() {
            match to_text(&Yaml::Mapping(wide)) {
                Ok(wide) => text.push_str(&indented(&wide, "  ")),
                Err(reason) => {
                    let note = format!("registry-wide settings left out: {reason}");
                    text.push_str(&comment("  ", &note));
                    self.notes.push(format!("{id}: {note}"));
                }
            }
        }
        text
    }

    /// One repository's `NAME: {settings}` text (unindented) and its notes; no text when the
    /// repository is skipped.
    fn repository(
        &mut self,
        registry: &RegistryState,
        name: &RepositoryName,
        live: &RepositoryState,
        enhanced_scanning: bool,
    ) -> (Option<String>, Vec<String>) {
        let mut notes = Vec::new();
        if let Err(error) = RepositoryName::parse_strict(name.as_str()) {
            notes.push(format!(
                "skipped {name}: {error} (ECR's API accepts it, the spec does not)"
            ));
            return (None, notes);
        }
        let left_out = |group: Group, reason: &str| {
            format!("{name}: {} left out (not managed): {reason}", group.key())
        };

        let mut settings = Vec::new();
        for group in Group::ALL {
            // Under ENHANCED registry scanning, scan_on_push has no effect and the loader
            // warns about every one written; it is left unmanaged instead.
            if enhanced_scanning && group == Group::ScanOnPush {
                continue;
            }
            match written(group, live) {
                None => {}
                Some(Ok(written)) => settings.push(written),
                Some(Err(reason)) => notes.push(left_out(group, &reason)),
            }
        }
        if let Err(first) = check_repository(registry, name, live, &settings) {
            // Find what the spec refuses, one setting at a time, and keep the rest.
            let mut kept = Vec::new();
            for written in settings {
                match check_repository(registry, name, live, std::slice::from_ref(&written)) {
                    Ok(()) => kept.push(written),
                    Err(reason) => notes.push(left_out(written.group, &reason)),
                }
            }
            if let Err(reason) = check_repository(registry, name, live, &kept) {
                notes.push(format!(
                    "skipped {name}: its settings load one by one but not together: {reason} \
                     (as a whole: {first})"
                ));
                return (None, notes);
            }
            settings = kept;
        }

        let mut body = Mapping::new();
        for written in settings {
            let mut entries = written.entries;
            if self.options.policy_files
                && let Some((directory, document, canonical)) = &written.document
            {
                let base = name.as_str().replace('/', ".");
                match self.files.name(*directory, &base, document, canonical) {
                    Ok(file_name) => {
                        entries = vec![(string(written.group.key()), string(&file_name))];
                    }
                    // The inline document was checked; it is still a faithful export.
                    Err(reason) => {
                        notes.push(format!("{name}: {} inline: {reason}", written.group.key()))
                    }
                }
            }
            body.extend(entries);
        }
        let mut entry = Mapping::new();
        entry.insert(string(name.as_str()), Yaml::Mapping(body));
        match to_text(&Yaml::Mapping(entry)) {
            Ok(text) => (Some(text), notes),
            Err(reason) => {
                notes.push(format!("skipped {name}: {reason}"));
                (None, notes)
            }
        }
    }

    /// The registry-wide keys live state holds, each checked on its own, and notes for those
    /// left out.
    fn registry_wide(&mut self, registry: &RegistryState) -> (Mapping, Vec<String>) {
        let mut keys = Mapping::new();
        let mut notes = Vec::new();
        for setting in RegistryWideKind::ALL {
            if setting == RegistryWideKind::RegistryPolicy
                && let Some(reason) = self.refused_policies.get(&registry.id())
            {
                notes.push(format!(
                    "{} left out (not managed): {reason}",
                    setting.spec_key()
                ));
                continue;
            }
            let value = match wide_value(setting, registry) {
                None => continue,
                Some(Ok(value)) => value,
                Some(Err(reason)) => {
                    notes.push(format!(
                        "{} left out (not managed): {reason}",
                        setting.spec_key()
                    ));
                    continue;
                }
            };
            if let Err(reason) = check_registry_wide(registry, setting, &value) {
                notes.push(format!(
                    "{} left out (not managed): {reason}",
                    setting.spec_key()
                ));
                continue;
            }
            let mut value = value;
            if self.options.policy_files
                && setting == RegistryWideKind::RegistryPolicy
                && let Setting::Present(policy) = &registry.registry_policy
            {
                let base = format!("{}.{}", registry.account, registry.region);
                match self.files.name(
                    PolicyDirectory::Registry,
                    &base,
                    policy.document(),
                    policy.canonical(),
                ) {
                    Ok(name) => value = string(&name),
                    Err(reason) => notes.push(format!("registry_policy inline: {reason}")),
                }
            }
            keys.insert(string(setting.spec_key()), value);
        }
        (keys, notes)
    }
}

/// The setting as the spec writes it, documents inline; `None` when live state did not read
/// it, an error when the spec cannot say what live state has.
fn written(group: Group, live: &RepositoryState) -> Option<Result<Written, String>> {
    let entry = |value: Result<Yaml, String>| {
        value.map(|value| Written {
            group,
            entries: vec![(string(group.key()), value)],
            document: None,
        })
    };
    Some(match group {
        Group::Mutability => {
            let mode = live.image_tag_mutability?;
            let filters = live
                .image_tag_mutability_exclusions
                .clone()
                .unwrap_or_default();
            let mut entries = vec![(string(group.key()), string(mode.as_str()))];
            if mode.takes_exclusions() {
                // The planner compares filters as a set, so repeats carry nothing.
                let mut unique: Vec<String> = Vec::new();
                for filter in filters {
                    if !unique.contains(&filter) {
                        unique.push(filter);
                    }
                }
                let filters = Yaml::Sequence(unique.iter().map(|f| string(f)).collect());
                entries.push((string("image_tag_mutability_exclusions"), filters));
            } else if !filters.is_empty() {
                return Some(Err(format!(
                    "live state lists exclusion filters for {mode}, which takes none"
                )));
            }
            Ok(Written {
                group,
                entries,
                document: None,
            })
        }
        Group::ScanOnPush => entry(Ok(Yaml::Bool(live.scan_on_push?))),
        Group::Encryption => entry(to_yaml(live.encryption.as_ref()?)),
        Group::Tags => entry(to_yaml(&user_tags(live.tags.as_ref()?))),
        Group::Lifecycle => match &live.lifecycle_policy {
            Setting::Unmanaged => return None,
            Setting::Absent => entry(Ok(none())),
            Setting::Present(policy) => document(
                group,
                PolicyDirectory::Lifecycle,
                policy.document(),
                policy.canonical(),
            ),
        },
        Group::Policy => match &live.repository_policy {
            Setting::Unmanaged => return None,
            Setting::Absent => entry(Ok(none())),
            Setting::Present(policy) => document(
                group,
                PolicyDirectory::Repository,
                policy.document(),
                policy.canonical(),
            ),
        },
    })
}

fn document(
    group: Group,
    directory: PolicyDirectory,
    document: &Json,
    canonical: &Json,
) -> Result<Written, String> {
    Ok(Written {
        group,
        entries: vec![(string(group.key()), to_yaml(document)?)],
        document: Some((directory, document.clone(), canonical.clone())),
    })
}

/// Loads `settings` as the only repository of a one-registry spec and compares what the
/// loader makes of it with live state; the first problem otherwise.
fn check_repository(
    registry: &RegistryState,
    name: &RepositoryName,
    live: &RepositoryState,
    settings: &[Written],
) -> Result<(), String> {
    let mut body = Mapping::new();
    for written in settings {
        body.extend(written.entries.iter().cloned());
    }
    let mut repositories = Mapping::new();
    repositories.insert(string(name.as_str()), Yaml::Mapping(body));
    let desired = load_fragment(
        registry,
        string("repositories"),
        Yaml::Mapping(repositories),
    )?;
    let state = desired
        .registries
        .first()
        .and_then(|registry| registry.state.repositories.get(name))
        .ok_or_else(|| "the repository does not read back".to_owned())?;
    match settings
        .iter()
        .find(|written| !written.group.reads_back(state, live))
    {
        Some(written) => Err(format!(
            "{} does not read back as live state has it",
            written.group.key()
        )),
        None => Ok(()),
    }
}

/// The setting as the spec writes it (documents inline), in canonical form so that what ECR
/// filled in by itself (the `ROOT` upstream prefix, a template's `MUTABLE`, an empty
/// replication) is left out as a spec leaves it out; `None` when live state did not read it.
fn wide_value(kind: RegistryWideKind, registry: &RegistryState) -> Option<Result<Yaml, String>> {
    Some(match kind {
        RegistryWideKind::Replication => match &registry.replication {
            Setting::Unmanaged => return None,
            Setting::Absent => Ok(none()),
            Setting::Present(replication) => match replication.canonical() {
                None => Ok(none()),
                Some(replication) => to_yaml(&replication),
            },
        },
        RegistryWideKind::RegistryPolicy => match &registry.registry_policy {
            Setting::Unmanaged => return None,
            Setting::Absent => Ok(none()),
            Setting::Present(policy) => to_yaml(policy.document()),
        },
        RegistryWideKind::Scanning => match &registry.scanning {
            Setting::Unmanaged => return None,
            Setting::Absent => Err(
                "live state has no scanning configuration, and the spec cannot say that".to_owned(),
            ),
            Setting::Present(scanning) => to_yaml(&scanning.canonical()),
        },
        RegistryWideKind::PullThroughCache => {
            let rules: BTreeMap<&String, PullThroughCacheRule> = registry
                .pull_through_cache
                .as_ref()?
                .iter()
                .map(|(prefix, rule)| (prefix, rule.canonical()))
                .collect();
            to_yaml(&rules)
        }
        RegistryWideKind::CreationTemplates => {
            let templates: BTreeMap<String, CreationTemplate> = registry
                .creation_templates
                .as_ref()?
                .iter()
                .map(|(prefix, template)| (prefix.clone(), template.canonical()))
                .collect();
            creation_templates(&templates)
        }
        RegistryWideKind::AccountSettings => {
            to_yaml(&registry.account_settings.as_ref()?.canonical())
        }
        RegistryWideKind::SigningConfiguration => match &registry.signing_configuration {
            Setting::Unmanaged => return None,
            Setting::Absent => Ok(none()),
            Setting::Present(configuration) => match configuration.canonical() {
                None => Ok(none()),
                Some(configuration) => to_yaml(&configuration),
            },
        },
        RegistryWideKind::PullTimeUpdateExclusions => {
            to_yaml(registry.pull_time_update_exclusions.as_ref()?)
        }
    })
}

/// Whether the setting, written and loaded again, means what live state has.
fn reads_back(kind: RegistryWideKind, desired: &RegistryState, live: &RegistryState) -> bool {
    fn canonical_map<T, C: PartialEq>(
        map: Option<&BTreeMap<String, T>>,
        canonical: impl Fn(&T) -> C,
    ) -> Option<BTreeMap<&String, C>> {
        map.map(|map| {
            map.iter()
                .map(|(key, value)| (key, canonical(value)))
                .collect()
        })
    }
    match kind {
        RegistryWideKind::Replication => {
            let canonical = |state: &RegistryState| {
                state.replication.present().and_then(Replication::canonical)
            };
            canonical(desired) == canonical(live)
        }
        RegistryWideKind::RegistryPolicy => desired.registry_policy == live.registry_policy,
        RegistryWideKind::Scanning => {
            desired.scanning.present().map(Scanning::canonical)
                == live.scanning.present().map(Scanning::canonical)
        }
        RegistryWideKind::PullThroughCache => {
            let (want, have) = (
                desired.pull_through_cache.as_ref(),
                live.pull_through_cache.as_ref(),
            );
            match (want, have) {
                (Some(want), Some(have)) => {
                    want.len() == have.len()
                        && want.iter().all(|(prefix, rule)| {
                            have.get(prefix)
                                .is_some_and(|live| rule.differing_fields(live).is_empty())
                        })
                }
                (want, have) => want.is_none() && have.is_none(),
            }
        }
        RegistryWideKind::CreationTemplates => {
            canonical_map(
                desired.creation_templates.as_ref(),
                CreationTemplate::canonical,
            ) == canonical_map(
                live.creation_templates.as_ref(),
                CreationTemplate::canonical,
            )
        }
        RegistryWideKind::AccountSettings => {
            desired
                .account_settings
                .as_ref()
                .map(AccountSettings::canonical)
                == live
                    .account_settings
                    .as_ref()
                    .map(AccountSettings::canonical)
        }
        RegistryWideKind::SigningConfiguration => {
            let canonical = |state: &RegistryState| {
                state
                    .signing_configuration
                    .present()
                    .and_then(SigningConfiguration::canonical)
            };
            canonical(desired) == canonical(live)
        }
        RegistryWideKind::PullTimeUpdateExclusions => {
            desired.pull_time_update_exclusions == live.pull_time_update_exclusions
        }
    }
}

/// Creation templates in the spec's keys: the model's, with the documents under `lifecycle`
/// and `policy` as in a repository.
fn creation_templates(templates: &BTreeMap<String, CreationTemplate>) -> Result<Yaml, String> {
    let mut written = Mapping::new();
    for (prefix, template) in templates {
        let Yaml::Mapping(fields) = to_yaml(template)? else {
            return Err(format!(
                "template {shown_prefix} is not written as a mapping",
                shown_prefix = quoted(prefix)
            ));
        };
        let mut renamed = Mapping::new();
        for (field, value) in fields {
            let field = match field.as_str() {
                Some("lifecycle_policy") => string("lifecycle"),
                Some("repository_policy") => string("policy"),
                _ => field,
            };
            renamed.insert(field, value);
        }
        written.insert(string(prefix), Yaml::Mapping(renamed));
    }
    Ok(Yaml::Mapping(written))
}

fn check_registry_wide(
    registry: &RegistryState,
    setting: RegistryWideKind,
    value: &Yaml,
) -> Result<(), String> {
    let desired = load_fragment(registry, string(setting.spec_key()), value.clone())?;
    let state = desired
        .registries
        .first()
        .map(|registry| &registry.state)
        .ok_or_else(|| "the registry does not read back".to_owned())?;
    if reads_back(setting, state, registry) {
        Ok(())
    } else {
        Err(format!(
            "{} does not read back as live state has it",
            setting.spec_key()
        ))
    }
}

/// The registries whose live registry policy refuses (or, being absent, cannot allow) the
/// cross-account replication that another of `registries` has and that export writes, with
/// the reason for the note. Written as it is, the pair would not load (see
/// `replication_access`). Each registry is taken once, as [`export`] writes the first of
/// duplicates.
fn refused_registry_policies(registries: &[&RegistryState]) -> BTreeMap<RegistryId, String> {
    let mut by_id: BTreeMap<RegistryId, &RegistryState> = BTreeMap::new();
    for registry in registries {
        by_id.entry(registry.id()).or_insert(registry);
    }
    let mut refused = BTreeMap::new();
    for (source_id, source) in &by_id {
        let Setting::Present(replication) = &source.replication else {
            continue;
        };
        let exported = wide_value(RegistryWideKind::Replication, source)
            .and_then(Result::ok)
            .is_some_and(|value| {
                check_registry_wide(source, RegistryWideKind::Replication, &value).is_ok()
            });
        if !exported {
            continue;
        }
        let destinations = replication
            .rules
            .iter()
            .flat_map(|rule| &rule.destinations)
            .filter(|destination| destination.account != source.account);
        for destination in destinations {
            let id = RegistryId::new(destination.account.clone(), destination.region.clone());
            let Some(target) = by_id.get(&id) else {
                continue;
            };
            let account = &source.account;
            let reason = match replication_access(account, &target.registry_policy) {
                ReplicationAccess::NoPolicy => format!(
                    "live state has no registry policy, but replication from {source_id} needs \
                     one allowing account {account} {}",
                    and_list(&REPLICATION_ACTIONS)
                ),
                ReplicationAccess::Incomplete { refused, .. } if !refused.is_empty() => format!(
                    "it does not allow account {account} {}, which replication from {source_id} \
                     needs",
                    and_list(&refused)
                ),
                _ => continue,
            };
            refused.entry(id).or_insert(reason);
        }
    }
    refused
}

/// Loads a spec of one registry with one key through the loader's own parser and validation,
/// in memory; the first problem (its message) otherwise. No named document is referenced, so
/// nothing is read from disk.
fn load_fragment(
    registry: &RegistryState,
    name: Yaml,
    value: Yaml,
) -> Result<DesiredState, String> {
    let mut item = Mapping::new();
    item.insert(string("account"), string(registry.account.as_str()));
    item.insert(string("region"), string(registry.region.as_str()));
    item.insert(name, value);
    let mut spec = Mapping::new();
    spec.insert(string("version"), Yaml::Number(1.into()));
    spec.insert(
        string("registries"),
        Yaml::Sequence(vec![Yaml::Mapping(item)]),
    );
    let text = to_text(&Yaml::Mapping(spec))?;

    let mut report = Report::new(PathBuf::new());
    let file = report.file(Path::new("export.yaml"));
    let desired = crate::desired_state(
        &[SourceText { file, text }],
        PathBuf::from("policies"),
        &mut report,
    );
    match report.errors().into_iter().next() {
        Some(diagnostic) => Err(diagnostic.message),
        None => Ok(desired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::yaml;

    #[test]
    fn file_names_are_unique_per_directory_and_never_none() {
        let mut files = PolicyFiles::default();
        let one = json!({"rules": [1]});
        let two = json!({"rules": [2]});
        let three = json!({"rules": [3]});
        let four = json!({"rules": [4]});
        let lifecycle = PolicyDirectory::Lifecycle;
        let cases = [
            (lifecycle, "team-a.api", &one, "team-a.api"),
            // The same document again: the first file is shared.
            (lifecycle, "team-a.web", &one, "team-a.api"),
            (lifecycle, "team-a.api", &two, "team-a.api-2"),
            (lifecycle, "team-a.api", &three, "team-a.api-3"),
            // Another directory has names of its own.
            (
                PolicyDirectory::Repository,
                "team-a.api",
                &two,
                "team-a.api",
            ),
            (lifecycle, "none", &four, "none-2"),
        ];
        for (directory, base, document, expected) in cases {
            let name = files.name(directory, base, document, document).unwrap();
            assert_eq!(name, expected, "{base} {document}");
        }
        let paths: Vec<String> = files
            .files
            .iter()
            .map(|(path, _)| path.display().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "policies/lifecycle/team-a.api.json",
                "policies/lifecycle/team-a.api-2.json",
                "policies/lifecycle/team-a.api-3.json",
                "policies/repository/team-a.api.json",
                "policies/lifecycle/none-2.json",
            ]
        );
        assert_eq!(files.files[0].1, "{\n  \"rules\": [\n    1\n  ]\n}\n");
    }

    #[test]
    fn indenting_keeps_block_scalars_and_blank_lines_intact() {
        let mut mapping = Mapping::new();
        mapping.insert(string("note"), string("first\n\nthird\n"));
        let text = to_text(&Yaml::Mapping(mapping.clone())).unwrap();
        let moved = format!("outer:\n{}", indented(&text, "  "));
        let back: Yaml = serde_yaml::from_str(&moved).unwrap();
        assert_eq!(back.get("outer"), Some(&Yaml::Mapping(mapping)));
        let parsed = yaml::parse(&moved).unwrap();
        assert!(parsed.problems.is_empty());
    }

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(comment("  ", "a\nb\r\nc"), "  # a b  c\n");
    }

    #[test]
    fn none_is_written_plain_so_the_loader_reads_absent() {
        assert_eq!(to_text(&none()).unwrap(), "none\n");
    }
}
