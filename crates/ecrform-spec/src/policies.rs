//! Policy documents: named ones in `policies/<kind>/NAME.{json,yaml,yml}`, inline ones written
//! in the spec, and templates with `{{ var }}` placeholders. Each is turned into a JSON value,
//! checked by the model (IAM shape, lifecycle shape) and by `ecrform_lifecycle::validate`
//! (ECR's rule validation), and held to ECR's size limits; every problem found in a document is
//! mapped from its JSON path back to a position. A named document is read and checked once,
//! however many repositories use it, so its problems are reported once, in its own file.
//!
//! An IAM policy's canonical form depends on the partition of the registry it is used in (a
//! bare account id is that partition's root), which a document does not know when it is
//! checked (a `defaults` policy serves every registry). Documents are checked in the
//! commercial partition, and [`PolicyLibrary::place_in_partition`] moves a registry's policies
//! into its own once the registry is assembled: one canonical form per document and partition,
//! with nothing read or checked again.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use ecrform_model::limits;
use ecrform_model::shown::quoted;
use ecrform_model::{
    DocumentError, IamPolicy, LifecyclePolicy, PartitionCache, PathSegment, RegistryState,
};
use serde_json::Value;

use crate::builtin::{BUILTIN_PREFIX, BuiltinPolicy, builtin_policies, builtin_policy};
use crate::document::{self, PathIndex};
use crate::raw::{RawDocument, RawTemplate, Spanned};
use crate::report::{FileId, Location, Report};
use crate::sources;
use crate::suggest;
use crate::template;
use crate::yaml::{self, Pos};

/// ECR's limit on repository and registry policy text.
const IAM_POLICY_MAX_CHARS: usize = 10_240;

const DOCUMENT_EXTENSIONS: [&str; 3] = ["json", "yaml", "yml"];

/// The kinds of policy documents a spec names: each has its directory under `policies/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKind {
    Lifecycle,
    Repository,
    Registry,
}

/// The guardrails judge a document of each kind by the rules that read it.
impl From<PolicyKind> for ecrform_guardrails::JudgedDocument {
    fn from(kind: PolicyKind) -> Self {
        match kind {
            PolicyKind::Lifecycle => ecrform_guardrails::JudgedDocument::Lifecycle,
            PolicyKind::Repository => ecrform_guardrails::JudgedDocument::RepositoryPolicy,
            PolicyKind::Registry => ecrform_guardrails::JudgedDocument::RegistryPolicy,
        }
    }
}

impl PolicyKind {
    /// The directory under `policies/` that holds this kind's named documents.
    pub fn directory(self) -> &'static str {
        match self {
            PolicyKind::Lifecycle => "lifecycle",
            PolicyKind::Repository => "repository",
            PolicyKind::Registry => "registry",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PolicyKind::Lifecycle => "lifecycle policy",
            PolicyKind::Repository => "repository policy",
            PolicyKind::Registry => "registry policy",
        }
    }
}

/// A document that passed every check.
#[derive(Debug, Clone)]
pub(crate) enum CheckedDocument {
    Lifecycle(LifecyclePolicy),
    Iam(IamPolicy),
}

/// A model type that checked documents of some kinds become, so that one
/// [`PolicyLibrary::resolve`] serves every kind and hands back the type its caller stores.
pub(crate) trait PolicyDocument: Sized {
    /// The kinds whose documents are of this type.
    const KINDS: &'static [PolicyKind];

    /// The document, when `checked` is of this type.
    fn from_checked(checked: CheckedDocument) -> Option<Self>;
}

impl PolicyDocument for LifecyclePolicy {
    const KINDS: &'static [PolicyKind] = &[PolicyKind::Lifecycle];

    fn from_checked(checked: CheckedDocument) -> Option<Self> {
        match checked {
            CheckedDocument::Lifecycle(policy) => Some(policy),
            CheckedDocument::Iam(_) => None,
        }
    }
}

impl PolicyDocument for IamPolicy {
    const KINDS: &'static [PolicyKind] = &[PolicyKind::Repository, PolicyKind::Registry];

    fn from_checked(checked: CheckedDocument) -> Option<Self> {
        match checked {
            CheckedDocument::Iam(policy) => Some(policy),
            CheckedDocument::Lifecycle(_) => None,
        }
    }
}

/// The named documents of one kind.
#[derive(Debug, Clone)]
enum Listing {
    /// Name to the files with that name (more than one is an ambiguity).
    Names(BTreeMap<String, Vec<PathBuf>>),
    Unreadable(String),
}

/// Where a named document or template is.
#[derive(Debug, Clone)]
enum Source {
    File(PathBuf),
    Builtin(&'static BuiltinPolicy),
}

/// Finds, reads and checks policy documents for one load.
#[derive(Debug)]
pub(crate) struct PolicyLibrary {
    root: PathBuf,
    listings: HashMap<PolicyKind, Listing>,
    named_documents: HashMap<PathBuf, Option<CheckedDocument>>,
    template_texts: HashMap<PathBuf, Option<String>>,
    /// The built-in documents used as they are, checked once each.
    builtin_documents: HashMap<&'static str, Option<CheckedDocument>>,
    /// The IAM policies moved into other partitions than the commercial one.
    partitions: PartitionCache,
}

impl PolicyLibrary {
    /// `root` holds `lifecycle/`, `repository/` and `registry/`.
    pub fn new(root: PathBuf) -> Self {
        PolicyLibrary {
            root,
            listings: HashMap::new(),
            named_documents: HashMap::new(),
            template_texts: HashMap::new(),
            builtin_documents: HashMap::new(),
            partitions: PartitionCache::new(),
        }
    }

    /// Gives every IAM policy of a registry's desired state the canonical form of the
    /// registry's partition, sharing it among the registry's (and other registries') uses of
    /// one document. In a commercial registry nothing changes.
    pub fn place_in_partition(&mut self, state: &mut RegistryState) {
        state.place_policies_in_partition(&mut self.partitions);
    }

    /// Resolves and checks a document of `kind` the spec refers to from `file`; `None` when a
    /// problem was reported.
    pub fn resolve<D: PolicyDocument>(
        &mut self,
        kind: PolicyKind,
        document: &RawDocument,
        file: FileId,
        report: &mut Report,
    ) -> Option<D> {
        debug_assert!(
            D::KINDS.contains(&kind),
            "a {} is not of the type asked for",
            kind.label()
        );
        let checked = match document {
            RawDocument::Named(name) => self.named(kind, name, file, report),
            RawDocument::Inline(node) => {
                let (value, index) = to_located_json(node, file, report)?;
                check_located(kind, value, &index, file, report)
            }
            RawDocument::Template(template) => self.template(kind, template, file, report),
        };
        checked.and_then(D::from_checked)
    }

    fn named(
        &mut self,
        kind: PolicyKind,
        name: &Spanned<String>,
        file: FileId,
        report: &mut Report,
    ) -> Option<CheckedDocument> {
        let path = match self.locate(kind, name, "", file, report)? {
            Source::File(path) => path,
            Source::Builtin(builtin) => return self.builtin(kind, builtin, name, file, report),
        };
        if let Some(checked) = self.named_documents.get(&path) {
            return checked.clone();
        }
        let checked = load_named(kind, &path, report);
        self.named_documents.insert(path, checked.clone());
        checked
    }

    /// A document of the built-in library, used as it is: checked once (it passes, as the
    /// library's tests make sure; a problem would be reported where the spec names it).
    fn builtin(
        &mut self,
        kind: PolicyKind,
        builtin: &'static BuiltinPolicy,
        name: &Spanned<String>,
        file: FileId,
        report: &mut Report,
    ) -> Option<CheckedDocument> {
        let here = Location::new(file, name.at);
        if builtin.is_template() {
            let vars: Vec<String> = builtin
                .vars
                .iter()
                .map(|var| format!("{}: {}", var.name, var.example))
                .collect();
            report.error(
                here,
                format!(
                    "{} is a template; write {{template: {}, vars: {{{}}}}}",
                    builtin.reference(),
                    builtin.reference(),
                    vars.join(", ")
                ),
            );
            return None;
        }
        if let Some(checked) = self.builtin_documents.get(builtin.name) {
            return checked.clone();
        }
        let source = format!("built-in {} {}", kind.label(), builtin.reference());
        let checked = match builtin.instantiate(&BTreeMap::new()) {
            Ok(value) => report_checked(kind, value, &source, here, report),
            Err(message) => {
                report.error(here, format!("{source} cannot be read: {message}"));
                None
            }
        };
        self.builtin_documents.insert(builtin.name, checked.clone());
        checked
    }

    fn template(
        &mut self,
        kind: PolicyKind,
        template: &RawTemplate,
        file: FileId,
        report: &mut Report,
    ) -> Option<CheckedDocument> {
        let here = Location::new(file, template.at);
        let located = self.locate(kind, &template.name, " template", file, report)?;
        let (text, shown, is_json) = match &located {
            Source::File(path) => (
                self.template_text(path, report)?,
                report.relative(path),
                is_json_file(path),
            ),
            Source::Builtin(builtin) => (builtin.text.to_owned(), "built in".to_owned(), true),
        };
        let source = format!(
            "{} from template {} ({shown})",
            kind.label(),
            quoted(&template.name.value)
        );

        let mut vars = BTreeMap::new();
        let mut usable = true;
        for var in &template.vars {
            match document::to_json(&var.value) {
                Ok((value, _)) => {
                    vars.insert(var.name.value.clone(), value);
                }
                Err(errors) => {
                    usable = false;
                    for error in errors {
                        report.error(Location::new(file, error.at), error.message);
                    }
                }
            }
        }

        let (placeholders, malformed) = template::placeholders(&text);
        for bad in &malformed {
            usable = false;
            report.error(
                here,
                format!(
                    "template {} ({shown}) line {}: {} is not a placeholder; write {{{{ name }}}} \
                     with a name of letters, digits, '_' or '-'",
                    quoted(&template.name.value),
                    bad.line,
                    quoted(&bad.text)
                ),
            );
        }
        let mut needed: Vec<&str> = placeholders.iter().map(|p| p.name.as_str()).collect();
        needed.sort_unstable();
        needed.dedup();
        for name in &needed {
            if !vars.contains_key(*name) && template.vars.iter().all(|var| var.name.value != *name)
            {
                usable = false;
                report.error(
                    here,
                    format!(
                        "template {} ({shown}) needs var {shown_name}, which vars does not set",
                        quoted(&template.name.value),
                        shown_name = quoted(name)
                    ),
                );
            }
        }
        for var in &template.vars {
            if !needed.contains(&var.name.value.as_str()) {
                usable = false;
                let hint = suggest::did_you_mean(&var.name.value, needed.iter().copied());
                report.error(
                    Location::new(file, var.name.at),
                    format!(
                        "var {} is not used by template {} ({shown}){hint}",
                        quoted(&var.name.value),
                        quoted(&template.name.value)
                    ),
                );
            }
        }
        if !usable {
            return None;
        }

        let substituted = match template::substitute(&text, &placeholders, &vars) {
            Ok(substituted) => substituted,
            Err(problems) => {
                for problem in problems {
                    let at = template
                        .vars
                        .iter()
                        .find(|var| var.name.value == problem.name)
                        .map_or(template.at, |var| var.name.at);
                    report.error(
                        Location::new(file, at),
                        format!(
                            "{problem} (template {}, {shown})",
                            quoted(&template.name.value),
                            problem = problem.message
                        ),
                    );
                }
                return None;
            }
        };
        let value = match parse_text(is_json, &substituted) {
            Ok(value) => value,
            Err(message) => {
                report.error(
                    here,
                    format!("{source} is not valid after substitution: {message}"),
                );
                return None;
            }
        };
        report_checked(kind, value, &source, here, report)
    }

    /// The text of a template file, read once.
    fn template_text(&mut self, path: &Path, report: &mut Report) -> Option<String> {
        if let Some(text) = self.template_texts.get(path) {
            return text.clone();
        }
        let text = sources::read_text(path, limits::POLICY_FILE, report).map(|source| source.text);
        self.template_texts.insert(path.to_owned(), text.clone());
        text
    }

    /// Where a name refers to: a document of the built-in library (`builtin/NAME`) or a
    /// file; a diagnostic listing what is available when neither has it.
    fn locate(
        &mut self,
        kind: PolicyKind,
        name: &Spanned<String>,
        noun_suffix: &str,
        file: FileId,
        report: &mut Report,
    ) -> Option<Source> {
        if !name.value.starts_with(BUILTIN_PREFIX) {
            return self
                .find(kind, name, noun_suffix, file, report)
                .map(Source::File);
        }
        let here = Location::new(file, name.at);
        let noun = format!("built-in {}{noun_suffix}", kind.label());
        match builtin_policy(&name.value) {
            Some(builtin) if builtin.kind == kind => return Some(Source::Builtin(builtin)),
            Some(builtin) => {
                report.error(
                    here,
                    format!(
                        "{} is a built-in {}, not a {}",
                        builtin.reference(),
                        builtin.kind.label(),
                        kind.label()
                    ),
                );
                return None;
            }
            None => {}
        }
        let available: Vec<String> = builtin_policies()
            .iter()
            .filter(|builtin| builtin.kind == kind)
            .map(BuiltinPolicy::reference)
            .collect();
        let hint = suggest::nearest(&name.value, available.iter().map(String::as_str))
            .map(|found| format!("; did you mean {found:?}?"))
            .unwrap_or_default();
        report.error(
            here,
            format!(
                "unknown {noun} {:?}{hint} (available: {}; `ecrform policies list` describes them)",
                name.value,
                available.join(", ")
            ),
        );
        None
    }

    /// The file a name refers to, or a diagnostic listing what is available.
    fn find(
        &mut self,
        kind: PolicyKind,
        name: &Spanned<String>,
        noun_suffix: &str,
        file: FileId,
        report: &mut Report,
    ) -> Option<PathBuf> {
        let here = Location::new(file, name.at);
        let directory = self.root.join(kind.directory());
        let shown_directory = report.relative(&directory);
        let noun = format!("{}{noun_suffix}", kind.label());
        let listing = self
            .listings
            .entry(kind)
            .or_insert_with(|| list_documents(&directory))
            .clone();
        let names = match listing {
            Listing::Names(names) => names,
            Listing::Unreadable(error) => {
                report.error(
                    here,
                    format!("cannot list the {noun}s in {shown_directory}: {error}"),
                );
                return None;
            }
        };
        let wanted = name.value.as_str();
        match names.get(wanted).map(Vec::as_slice) {
            Some([only]) => return Some(only.clone()),
            Some(several) => {
                let files: Vec<String> = several.iter().map(|path| report.relative(path)).collect();
                report.error(
                    here,
                    format!(
                        "{noun} {shown_wanted} is ambiguous: {}; keep one",
                        files.join(" and "),
                        shown_wanted = quoted(wanted)
                    ),
                );
                return None;
            }
            None => {}
        }
        if names.is_empty() {
            report.error(
                here,
                format!(
                    "unknown {noun} {shown_wanted}: there is no {shown_directory}/{wanted}.json, .yaml or .yml", shown_wanted = quoted(wanted)
                ),
            );
            return None;
        }
        let stem = DOCUMENT_EXTENSIONS
            .iter()
            .find_map(|extension| wanted.strip_suffix(&format!(".{extension}")))
            .filter(|stem| names.contains_key(*stem));
        let suggestion =
            stem.or_else(|| suggest::nearest(wanted, names.keys().map(String::as_str)));
        let hint = suggestion
            .map(|found| format!("; did you mean {shown_found}?", shown_found = quoted(found)))
            .unwrap_or_default();
        let available: Vec<&str> = names.keys().map(String::as_str).collect();
        report.error(
            here,
            format!(
                "unknown {noun} {shown_wanted}{hint} (available: {})",
                available.join(", "),
                shown_wanted = quoted(wanted)
            ),
        );
        None
    }
}

/// The named documents in one directory; a directory that does not exist has none.
fn list_documents(directory: &Path) -> Listing {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Listing::Names(BTreeMap::new());
        }
        Err(error) => return Listing::Unreadable(error.to_string()),
    };
    let mut names: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in entries {
        let path = match entry {
            Ok(entry) => entry.path(),
            Err(error) => return Listing::Unreadable(error.to_string()),
        };
        let (Some(stem), Some(extension)) = (
            path.file_stem().and_then(|stem| stem.to_str()),
            path.extension().and_then(|extension| extension.to_str()),
        ) else {
            continue;
        };
        if DOCUMENT_EXTENSIONS.contains(&extension) && !stem.starts_with('.') && path.is_file() {
            names.entry(stem.to_owned()).or_default().push(path.clone());
        }
    }
    for paths in names.values_mut() {
        paths.sort();
    }
    Listing::Names(names)
}

/// Reads, parses and checks a named document; its problems are located in its own file.
fn load_named(kind: PolicyKind, path: &Path, report: &mut Report) -> Option<CheckedDocument> {
    let source = sources::read_text(path, limits::POLICY_FILE, report)?;
    let file = source.file;
    if is_json_file(path) {
        // JSON is checked as JSON (a .json file with YAML-only syntax is wrong), and parsed
        // again as YAML only to learn where each node is.
        let value: Value = match serde_json::from_str(&source.text) {
            Ok(value) => value,
            Err(error) => {
                let at = Pos::new(error.line().max(1), error.column().max(1));
                // The position is the diagnostic's own; serde_json's text repeats it.
                let text = error.to_string();
                let suffix = format!(" at line {} column {}", error.line(), error.column());
                let message = text.strip_suffix(&suffix).unwrap_or(&text);
                report.error(Location::new(file, at), format!("invalid JSON: {message}"));
                return None;
            }
        };
        let index = match yaml::parse(&source.text) {
            Ok(parsed) => {
                let mut duplicate = false;
                for (at, message) in parsed.problems {
                    duplicate = true;
                    report.error(Location::new(file, at), message);
                }
                if duplicate {
                    return None;
                }
                parsed
                    .root
                    .and_then(|root| document::to_json(&root).ok())
                    .map_or_else(|| PathIndex::root_only(Pos::START), |(_, index)| index)
            }
            Err(_) => PathIndex::root_only(Pos::START),
        };
        return check_located(kind, value, &index, file, report);
    }
    let parsed = match yaml::parse(&source.text) {
        Ok(parsed) => parsed,
        Err(error) => {
            report.error(Location::new(file, error.at), error.message);
            return None;
        }
    };
    let mut clean = true;
    for (at, message) in parsed.problems {
        clean = false;
        report.error(Location::new(file, at), message);
    }
    let Some(root) = parsed.root else {
        report.error(
            Location::new(file, Pos::START),
            format!("the {} file is empty", kind.label()),
        );
        return None;
    };
    let (value, index) = to_located_json(&root, file, report)?;
    if !clean {
        return None;
    }
    check_located(kind, value, &index, file, report)
}

fn to_located_json(
    node: &yaml::Node,
    file: FileId,
    report: &mut Report,
) -> Option<(Value, PathIndex)> {
    match document::to_json(node) {
        Ok(converted) => Some(converted),
        Err(errors) => {
            for error in errors {
                report.error(Location::new(file, error.at), error.message);
            }
            None
        }
    }
}

fn is_json_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "json")
}

/// Checks a document that has no positions of its own (a template after substitution, a
/// built-in document): its problems are reported at `here`, where the spec names it, with
/// the path into the document.
fn report_checked(
    kind: PolicyKind,
    value: Value,
    source: &str,
    here: Location,
    report: &mut Report,
) -> Option<CheckedDocument> {
    match check(kind, value) {
        Ok(checked) => Some(checked),
        Err(errors) => {
            for error in errors {
                report.error(
                    here,
                    format!("{source}{}: {}", at_pointer(&error.path), error.message),
                );
            }
            None
        }
    }
}

/// Parses substituted template text as JSON or YAML, its file's format.
fn parse_text(is_json: bool, text: &str) -> Result<Value, String> {
    if is_json {
        return serde_json::from_str(text).map_err(|error| error.to_string());
    }
    let parsed = yaml::parse(text).map_err(|error| format!("{} at {}", error.message, error.at))?;
    if let Some((at, message)) = parsed.problems.first() {
        return Err(format!("{message} at {at}"));
    }
    let root = parsed
        .root
        .ok_or_else(|| "the document is empty".to_owned())?;
    document::to_json(&root)
        .map(|(value, _)| value)
        .map_err(|errors| {
            errors
                .first()
                .map(|error| format!("{} at {}", error.message, error.at))
                .unwrap_or_default()
        })
}

/// Checks a document whose nodes have positions in `file`.
fn check_located(
    kind: PolicyKind,
    value: Value,
    index: &PathIndex,
    file: FileId,
    report: &mut Report,
) -> Option<CheckedDocument> {
    match check(kind, value) {
        Ok(checked) => Some(checked),
        Err(errors) => {
            for error in errors {
                // A position that names the node makes the path redundant; one that only
                // names an ancestor (a document without positions) needs the path too.
                let (at, exact) = index.locate(&error.path);
                let pointer = if exact {
                    String::new()
                } else {
                    at_pointer(&error.path)
                };
                report.error(
                    Location::new(file, at),
                    format!("{}{pointer}: {}", kind.label(), error.message),
                );
            }
            None
        }
    }
}

/// ` at /a/0/b`, or nothing for the document's root.
fn at_pointer(path: &[PathSegment]) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at {}", ecrform_model::document::display_path(path))
    }
}

/// Every check of a document of `kind`: shape and canonical form (model), ECR's lifecycle rule
/// validation (which includes the lifecycle text's length limits), and ECR's size limit on
/// minified IAM policy text.
pub(crate) fn check(kind: PolicyKind, value: Value) -> Result<CheckedDocument, Vec<DocumentError>> {
    match kind {
        PolicyKind::Lifecycle => {
            let mut errors = ecrform_lifecycle::validate(&value);
            let policy = match LifecyclePolicy::from_value(value) {
                Ok(policy) => Some(policy),
                Err(error) => {
                    // The shape check and the rule validation may see the same problem.
                    if !errors.iter().any(|known| known.path == error.path) {
                        errors.push(error);
                    }
                    None
                }
            };
            match policy {
                Some(policy) if errors.is_empty() => Ok(CheckedDocument::Lifecycle(policy)),
                _ => Err(errors),
            }
        }
        PolicyKind::Repository | PolicyKind::Registry => {
            let minified_chars = value.to_string().chars().count();
            let mut errors = Vec::new();
            let policy = match IamPolicy::from_value(value) {
                Ok(policy) => Some(policy),
                Err(error) => {
                    errors.push(error);
                    None
                }
            };
            if minified_chars > IAM_POLICY_MAX_CHARS {
                errors.push(DocumentError::at_root(format!(
                    "the minified document is {minified_chars} characters; ECR allows at most 10,240"
                )));
            }
            match policy {
                Some(policy) if errors.is_empty() => Ok(CheckedDocument::Iam(policy)),
                _ => Err(errors),
            }
        }
    }
}

#[cfg(test)]
mod tests;
