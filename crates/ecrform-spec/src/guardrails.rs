//! `guardrails:` checked into the rules' [`Config`], and where guardrail findings are in the
//! spec's files.
//!
//! The configuration is written once across a directory spec's files, like `defaults`. Every
//! problem is a diagnostic at the node to fix: an unknown rule id or parameter (with the
//! nearest valid one), a level or profile that does not exist, a glob or pattern that cannot
//! match, an exception without its reason or with a date that is not one.
//!
//! Findings are located from their [`Aspect`]: validation notes where each repository and
//! each of its settings was written (its own key, or the key in `defaults` it comes from),
//! and where each registry-wide setting was, so that `validate` prints
//! `FILE:LINE:COLUMN: [RULE-ID] message` at the setting that causes the finding.

use std::collections::BTreeMap;

use ecrform_guardrails::{
    Aspect, Config, Date, Evaluation, Exception, Finding, Level, Profile, RuleId,
};
use ecrform_model::{AccountId, RegistryId, RepositoryName};

use crate::Diagnostic;
use crate::raw::{RawException, RawFile, RawGuardrails, RawRuleSetting, Spanned};
use crate::report::{FileId, Location};
use crate::suggest;
use crate::validator::Validator;
use crate::yaml::{Entry, Node};

/// The spec's guardrails: the configuration and the places findings point at.
#[derive(Debug, Clone)]
pub struct Guardrails {
    pub config: Config,
    /// Where each exception of `config` was written, and its `until` when it has one.
    pub exception_places: Vec<(Diagnostic, Option<Diagnostic>)>,
    /// Where each repository, its settings and each registry-wide setting was written.
    pub(crate) places: BTreeMap<(RegistryId, Option<RepositoryName>, Aspect), Diagnostic>,
    /// Where a finding that has no place of its own points: the first spec file.
    pub(crate) fallback: Diagnostic,
}

impl Guardrails {
    /// The diagnostic of a finding: at the setting it is about, else the repository, else
    /// the registry, with the message `[RULE-ID] message`.
    pub fn locate(&self, finding: &Finding) -> Diagnostic {
        let registry = &finding.registry;
        let repository = finding.repository.clone();
        let candidates = [
            (registry.clone(), repository.clone(), finding.aspect),
            (registry.clone(), repository.clone(), Aspect::Repository),
            (registry.clone(), None, finding.aspect),
            (registry.clone(), None, Aspect::Repository),
        ];
        let place = candidates
            .iter()
            .find_map(|key| self.places.get(key))
            .unwrap_or(&self.fallback);
        Diagnostic {
            message: finding.tagged_message(),
            ..place.clone()
        }
    }

    /// An evaluation's findings and the problems of its exceptions as diagnostics: errors
    /// (error findings, lapsed exceptions) and warnings (warning findings, unused exceptions),
    /// each in file and position order.
    pub fn diagnostics(&self, evaluation: &Evaluation) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
        let (mut errors, mut warnings) = self.exception_diagnostics(evaluation);
        for finding in &evaluation.findings {
            let diagnostic = self.locate(finding);
            if finding.is_error() {
                errors.push(diagnostic);
            } else {
                warnings.push(diagnostic);
            }
        }
        let order = |d: &Diagnostic| (d.file.clone(), d.line, d.column);
        errors.sort_by_key(order);
        warnings.sort_by_key(order);
        (errors, warnings)
    }

    /// The problems of the exceptions themselves, at the exception: errors (lapsed ones) and
    /// warnings (ones that cover no finding).
    pub fn exception_diagnostics(
        &self,
        evaluation: &Evaluation,
    ) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for &index in &evaluation.expired_exceptions {
            let (Some(exception), Some((at, until_at))) = (
                self.config.exceptions.get(index),
                self.exception_places.get(index),
            ) else {
                continue;
            };
            let until = exception
                .until
                .map(|date| date.to_string())
                .unwrap_or_default();
            errors.push(Diagnostic {
                message: format!(
                    "the exception for {} expired on {until}; fix what it covers, or renew it \
                     with a later until",
                    exception.rule
                ),
                ..until_at.clone().unwrap_or_else(|| at.clone())
            });
        }
        for &index in &evaluation.unused_exceptions {
            let (Some(exception), Some((at, _))) = (
                self.config.exceptions.get(index),
                self.exception_places.get(index),
            ) else {
                continue;
            };
            warnings.push(Diagnostic {
                message: format!(
                    "the exception for {} covers no finding (repositories {}); remove it",
                    exception.rule,
                    exception.repositories.join(", ")
                ),
                ..at.clone()
            });
        }
        let order = |d: &Diagnostic| (d.file.clone(), d.line, d.column);
        errors.sort_by_key(order);
        warnings.sort_by_key(order);
        (errors, warnings)
    }
}

impl crate::Spec {
    /// The spec's own guardrails over its desired state on `today` (for exceptions that
    /// lapse), as `validate` judges it.
    pub fn judge_guardrails(&self, today: Date) -> Evaluation {
        ecrform_guardrails::check_desired(&self.guardrails.config, &self.desired, today)
    }

    /// The `strict` profile over the spec, whatever its own `guardrails:` says (its levels,
    /// parameters and exceptions are not used): every finding as a diagnostic at the setting
    /// it comes from, `[RULE-ID] message`. Empty when the spec passes `strict`; tests of
    /// specs and policy documents that must be exemplary assert that.
    pub fn strict_findings(&self) -> Vec<Diagnostic> {
        let strict = Config::for_profile(Profile::Strict);
        // No exceptions, so the day does not matter.
        let today = Date {
            year: 1970,
            month: 1,
            day: 1,
        };
        let evaluation = ecrform_guardrails::check_desired(&strict, &self.desired, today);
        let (errors, warnings) = self.guardrails.diagnostics(&evaluation);
        errors.into_iter().chain(warnings).collect()
    }
}

/// The parameters a rule's mapping may set, and how each is read.
#[derive(Debug, Clone, Copy)]
enum ParameterKind {
    /// A list of strings.
    Strings(StringKind),
    Bool,
    /// A regular expression.
    Pattern,
}

/// What a parameter's value is, for the JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParameterShape {
    Strings,
    Bool,
    Pattern,
}

/// The shape of a rule's parameter, `None` when the rule takes no such parameter.
pub(crate) fn parameter_schema(rule: RuleId, key: &str) -> Option<ParameterShape> {
    parameter_kind(rule, key).map(|kind| match kind {
        ParameterKind::Strings(_) => ParameterShape::Strings,
        ParameterKind::Bool => ParameterShape::Bool,
        ParameterKind::Pattern => ParameterShape::Pattern,
    })
}

/// What a list parameter's entries are.
#[derive(Debug, Clone, Copy)]
enum StringKind {
    /// Repository names or globs of them.
    RepositoryGlob,
    /// Tag mutability exclusion filters.
    ExclusionFilter,
    /// Account ids or IAM ARNs (globs).
    Principal,
    TagKey,
    Account,
}

fn parameter_kind(rule: RuleId, key: &str) -> Option<ParameterKind> {
    use ParameterKind::{Bool, Pattern, Strings};
    use StringKind::{Account, ExclusionFilter, Principal, RepositoryGlob, TagKey};
    match (rule, key) {
        (RuleId::TagImmutability, "allowed_exclusions") => Some(Strings(ExclusionFilter)),
        (RuleId::LeastPrivilege, "allowed_push_principals") => Some(Strings(Principal)),
        (RuleId::KmsEncryption, "repositories") => Some(Strings(RepositoryGlob)),
        (RuleId::KmsEncryption, "customer_managed") => Some(Bool),
        (RuleId::Naming, "pattern") => Some(Pattern),
        (RuleId::Naming, "require_namespace") => Some(Bool),
        (RuleId::Naming, "deny") => Some(Strings(RepositoryGlob)),
        (RuleId::RequiredTags, "keys") => Some(Strings(TagKey)),
        (RuleId::DeletionProtection, "protected") => Some(Strings(RepositoryGlob)),
        (RuleId::ReplicationDestinations, "allowed_accounts") => Some(Strings(Account)),
        _ => None,
    }
}

/// Whether a repository glob can match a repository name: lowercase letters, digits, `.`,
/// `_`, `-`, `/` and `*`.
fn is_repository_glob(glob: &str) -> bool {
    !glob.is_empty()
        && glob.len() <= 256
        && glob
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/*".contains(c))
}

impl Validator<'_> {
    /// The one `guardrails:` block, checked; the recommended profile when no file has one.
    pub(crate) fn guardrails(
        &mut self,
        files: &[RawFile],
    ) -> (Config, Vec<(Location, Option<Location>)>) {
        let mut first: Option<(FileId, crate::yaml::Pos)> = None;
        let mut chosen = None;
        for file in files {
            let Some(guardrails) = &file.guardrails else {
                continue;
            };
            match first {
                None => {
                    first = Some((file.file, guardrails.key_at));
                    chosen = Some((file.file, &guardrails.value));
                }
                Some((first_file, first_at)) => {
                    let other = self.report.describe(Location::new(first_file, first_at));
                    self.error(
                        file.file,
                        guardrails.key_at,
                        format!("guardrails are defined twice; also defined at {other}"),
                    );
                }
            }
        }
        match chosen {
            Some((file, raw)) => self.guardrails_block(file, raw),
            None => (Config::default(), Vec::new()),
        }
    }

    fn guardrails_block(
        &mut self,
        file: FileId,
        raw: &RawGuardrails,
    ) -> (Config, Vec<(Location, Option<Location>)>) {
        let profile = match &raw.profile {
            Some(text) => {
                let names: Vec<&str> = Profile::ALL.iter().map(|p| p.as_str()).collect();
                self.one_of(file, text, "guardrails profile", &names)
                    .and_then(Profile::parse)
                    .unwrap_or_default()
            }
            None => Profile::Recommended,
        };
        let mut config = Config::for_profile(profile);
        let mut seen: BTreeMap<RuleId, ()> = BTreeMap::new();
        for setting in &raw.rules {
            let Some(rule) = self.rule_id(file, &setting.rule) else {
                continue;
            };
            if seen.insert(rule, ()).is_some() {
                self.error(file, setting.rule.at, format!("rule {rule} is set twice"));
                continue;
            }
            self.rule_setting(file, rule, setting, &mut config);
        }
        let mut places = Vec::new();
        for raw_exception in &raw.exceptions {
            if let Some(exception) = self.exception(file, raw_exception) {
                places.push((
                    Location::new(file, raw_exception.at),
                    raw_exception
                        .until
                        .as_ref()
                        .map(|until| Location::new(file, until.at)),
                ));
                config.exceptions.push(exception);
            }
        }
        (config, places)
    }

    fn rule_id(&mut self, file: FileId, text: &Spanned<String>) -> Option<RuleId> {
        if let Some(rule) = RuleId::parse(&text.value) {
            return Some(rule);
        }
        let ids: Vec<&str> = RuleId::all().map(RuleId::as_str).collect();
        let hint = suggest::did_you_mean(&text.value, ids.iter().copied());
        self.error(
            file,
            text.at,
            format!(
                "unknown guardrail rule {:?}{hint} (expected one of {})",
                text.value,
                suggest::comma_separated(&ids)
            ),
        );
        None
    }

    fn rule_setting(
        &mut self,
        file: FileId,
        rule: RuleId,
        setting: &RawRuleSetting,
        config: &mut Config,
    ) {
        if let Some(level) = &setting.level {
            let names: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
            if let Some(level) = self
                .one_of(file, level, "guardrail level", &names)
                .and_then(Level::parse)
            {
                config.set_level(rule, level);
            }
        }
        for entry in &setting.parameters {
            let Some(kind) = parameter_kind(rule, &entry.key) else {
                let mut known: Vec<&str> = vec!["level"];
                known.extend(rule.definition().parameters.iter().copied());
                let message = match suggest::nearest(&entry.key, known.iter().copied()) {
                    Some(candidate) => format!(
                        "unknown setting {:?} of rule {rule}; did you mean {candidate:?}?",
                        entry.key
                    ),
                    None => format!(
                        "unknown setting {:?} of rule {rule}; expected one of: {}",
                        entry.key,
                        suggest::comma_separated(&known)
                    ),
                };
                self.error(file, entry.key_at, message);
                continue;
            };
            self.parameter(file, rule, entry, kind, config);
        }
    }

    fn parameter(
        &mut self,
        file: FileId,
        rule: RuleId,
        entry: &Entry,
        kind: ParameterKind,
        config: &mut Config,
    ) {
        let parameters = &mut config.parameters;
        match kind {
            ParameterKind::Bool => {
                let Some(value) = self.boolean_node(file, &entry.value) else {
                    return;
                };
                match (rule, entry.key.as_str()) {
                    (RuleId::KmsEncryption, _) => parameters.kms_customer_managed = value,
                    _ => parameters.require_namespace = value,
                }
            }
            ParameterKind::Pattern => {
                let Some(text) = self.string_node(file, &entry.value, "a regular expression")
                else {
                    return;
                };
                match regex_lite::Regex::new(&text.value) {
                    Ok(_) => parameters.name_pattern = Some(text.value),
                    Err(error) => self.error(
                        file,
                        text.at,
                        format!(
                            "naming pattern {:?} is not a regular expression: {error}",
                            text.value
                        ),
                    ),
                }
            }
            ParameterKind::Strings(strings) => {
                let Some(values) = self.strings_node(file, &entry.value) else {
                    return;
                };
                let mut checked = Vec::new();
                let mut accounts = Vec::new();
                for value in values {
                    if let Some(problem) = self.string_problem(strings, &value.value) {
                        self.error(file, value.at, problem);
                        continue;
                    }
                    if let StringKind::Account = strings
                        && let Ok(account) = AccountId::parse(&value.value)
                    {
                        accounts.push(account);
                    }
                    checked.push(value.value);
                }
                match entry.key.as_str() {
                    "allowed_exclusions" => parameters.allowed_exclusions = checked,
                    "allowed_push_principals" => parameters.allowed_push_principals = checked,
                    "repositories" => parameters.kms_repositories = checked,
                    "deny" => parameters.deny_names = checked,
                    "keys" => parameters.required_tags = checked,
                    "protected" => parameters.protected = checked,
                    "allowed_accounts" => parameters.allowed_replication_accounts = Some(accounts),
                    _ => {}
                }
            }
        }
    }

    fn string_problem(&self, kind: StringKind, value: &str) -> Option<String> {
        match kind {
            StringKind::RepositoryGlob => (!is_repository_glob(value)).then(|| {
                format!(
                    "{value:?} is not a repository name glob (lowercase letters, digits, '.', '_', \
                     '-', '/' and '*')"
                )
            }),
            StringKind::ExclusionFilter => (!crate::patterns::is_exclusion_filter(value)).then(|| {
                format!(
                    "exclusion filter {value:?} must be 1 to 128 letters, digits, '.', '_', '-' or '*'"
                )
            }),
            StringKind::Principal => {
                let account = value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit());
                (!account && !value.starts_with("arn:") && value != "*").then(|| {
                    format!("principal {value:?} must be a 12-digit account id or an IAM ARN (arn:...)")
                })
            }
            StringKind::TagKey => (value.is_empty() || value.chars().count() > 128)
                .then(|| format!("tag key {value:?} must be 1 to 128 characters long")),
            StringKind::Account => AccountId::parse(value).err().map(|error| error.0),
        }
    }

    fn exception(&mut self, file: FileId, raw: &RawException) -> Option<Exception> {
        let rule = raw.rule.as_ref().and_then(|rule| self.rule_id(file, rule));
        let mut valid = rule.is_some();
        let mut repositories = Vec::new();
        if let Some(globs) = &raw.repositories {
            if globs.value.is_empty() {
                valid = false;
                self.error(
                    file,
                    globs.at,
                    "an exception needs at least one repository name or glob",
                );
            }
            for glob in &globs.value {
                match self.string_problem(StringKind::RepositoryGlob, &glob.value) {
                    Some(problem) => {
                        valid = false;
                        self.error(file, glob.at, problem);
                    }
                    None => repositories.push(glob.value.clone()),
                }
            }
        } else {
            valid = false;
        }
        let reason = match &raw.reason {
            Some(reason) if reason.value.trim().is_empty() => {
                self.error(
                    file,
                    reason.at,
                    "an exception's reason must not be empty: say why the rule does not apply",
                );
                None
            }
            Some(reason) => Some(reason.value.clone()),
            None => None,
        };
        let until = match &raw.until {
            Some(text) => match Date::parse(&text.value) {
                Some(date) => Some(date),
                None => {
                    self.error(
                        file,
                        text.at,
                        format!("until {:?} is not a date (write YYYY-MM-DD)", text.value),
                    );
                    valid = false;
                    None
                }
            },
            None => None,
        };
        let (Some(rule), Some(reason), true) = (rule, reason, valid) else {
            return None;
        };
        Some(Exception {
            rule,
            repositories,
            reason,
            until,
        })
    }

    fn string_node(
        &mut self,
        file: FileId,
        node: &Node,
        expected: &str,
    ) -> Option<Spanned<String>> {
        match node.as_scalar() {
            Some(scalar) if scalar.resolve() != crate::yaml::Resolved::Null => Some(Spanned {
                value: scalar.text.clone(),
                at: node.at,
            }),
            _ => {
                self.error(
                    file,
                    node.at,
                    format!("expected {expected}, found {}", node.describe()),
                );
                None
            }
        }
    }

    fn boolean_node(&mut self, file: FileId, node: &Node) -> Option<bool> {
        match node.as_scalar().map(|scalar| scalar.resolve()) {
            Some(crate::yaml::Resolved::Bool(value)) => Some(value),
            _ => {
                self.error(
                    file,
                    node.at,
                    format!("expected true or false, found {}", node.describe()),
                );
                None
            }
        }
    }

    fn strings_node(&mut self, file: FileId, node: &Node) -> Option<Vec<Spanned<String>>> {
        let crate::yaml::NodeKind::Sequence(items) = &node.kind else {
            self.error(
                file,
                node.at,
                format!("expected a list of strings, found {}", node.describe()),
            );
            return None;
        };
        items
            .iter()
            .map(|item| self.string_node(file, item, "a string"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_a_rule_names_is_read_and_no_other() {
        for rule in ecrform_guardrails::RULES {
            for parameter in rule.parameters {
                assert!(
                    parameter_kind(rule.rule, parameter).is_some(),
                    "{} names {parameter}, which the spec does not read",
                    rule.id
                );
            }
            for key in [
                "allowed_exclusions",
                "allowed_push_principals",
                "repositories",
                "customer_managed",
                "pattern",
                "require_namespace",
                "deny",
                "keys",
                "protected",
                "allowed_accounts",
            ] {
                assert_eq!(
                    parameter_kind(rule.rule, key).is_some(),
                    rule.parameters.contains(&key),
                    "{} and {key}",
                    rule.id
                );
            }
        }
    }
}
