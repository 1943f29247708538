//! Running the rules: every rule that is on, over every subject of every registry, with the
//! configured level, and exceptions applied; the pass/fail table `audit` prints; and the
//! comparison `plan` makes between the registry after the change and before it.

use std::collections::{BTreeMap, BTreeSet};

use ecrform_model::{AccountId, DesiredState, RegistryId, RepositoryName};

use crate::checks::{self, Context, Verdict};
use crate::config::{Config, Date};
use crate::finding::Finding;
use crate::rules::{Level, RuleId, Scope};
use crate::view::RegistryView;

/// How one subject fared under one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Failed, at this level.
    Fail(Level),
    /// Failed, and an exception covers it.
    Excepted,
    /// The rule does not apply to it.
    NotApplicable,
    /// What the rule looks at is not known.
    Unknown,
    /// The rule is off.
    Off,
}

impl Outcome {
    /// The cell of the audit table.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(Level::Error) => "FAIL",
            Outcome::Fail(_) => "warn",
            Outcome::Excepted => "exc",
            Outcome::NotApplicable => "-",
            Outcome::Unknown => "?",
            Outcome::Off => "off",
        }
    }

    /// The status in JSON.
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::Excepted => "excepted",
            Outcome::NotApplicable => "not_applicable",
            Outcome::Unknown => "unknown",
            Outcome::Off => "off",
        }
    }

    fn fails(self) -> bool {
        matches!(self, Outcome::Fail(_) | Outcome::Excepted)
    }
}

/// One row of the table: a repository, or a registry's registry-wide subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub registry: RegistryId,
    /// `None`: the registry itself (replication, the registry policy).
    pub repository: Option<RepositoryName>,
    pub outcomes: BTreeMap<RuleId, Outcome>,
}

/// Everything the rules found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// At error or warning level, not excepted; ordered by registry, subject, rule.
    pub findings: Vec<Finding>,
    /// Findings an exception covers, with the exception's index.
    pub excepted: Vec<(Finding, usize)>,
    /// Exceptions past their `until`, by index: they cover nothing and are errors.
    pub expired_exceptions: Vec<usize>,
    /// Exceptions that covered no finding, by index.
    pub unused_exceptions: Vec<usize>,
    pub table: Vec<Row>,
}

impl Evaluation {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }

    /// Whether anything makes the command fail: an error finding or a lapsed exception.
    pub fn has_errors(&self) -> bool {
        self.errors() > 0 || !self.expired_exceptions.is_empty()
    }

    /// The table's rows by subject, so that comparing two evaluations stays linear in the
    /// number of repositories.
    fn rows_by_subject(&self) -> BTreeMap<(&RegistryId, Option<&RepositoryName>), &Row> {
        self.table
            .iter()
            .map(|row| ((&row.registry, row.repository.as_ref()), row))
            .collect()
    }
}

fn outcome_of(
    rows: &BTreeMap<(&RegistryId, Option<&RepositoryName>), &Row>,
    finding: &Finding,
) -> Option<Outcome> {
    rows.get(&(&finding.registry, finding.repository.as_ref()))
        .and_then(|row| row.outcomes.get(&finding.rule).copied())
}

/// How one subject is judged under a rule.
type Judge<'a> = Box<dyn Fn(RuleId) -> Verdict + 'a>;

/// Runs every rule of `config` over `registries` on `today` (for exceptions that lapse).
/// `spec_accounts` are the accounts of the spec's registries, where replication may go
/// unless the configuration names the accounts.
pub fn check(
    config: &Config,
    registries: &[RegistryView],
    spec_accounts: &[AccountId],
    today: Date,
) -> Evaluation {
    // Compiled once, not once per repository. The spec checked the pattern; one that does
    // not compile matches nothing.
    let name_pattern = config
        .parameters
        .name_pattern
        .as_deref()
        .map(regex_lite::Regex::new);
    let context = Context {
        parameters: &config.parameters,
        spec_accounts,
        name_pattern: name_pattern.as_ref().map(|compiled| compiled.as_ref().ok()),
    };
    let active: Vec<(usize, &crate::Exception)> = config
        .exceptions
        .iter()
        .enumerate()
        .filter(|(_, exception)| !exception.has_expired(today))
        .collect();
    let mut evaluation = Evaluation {
        expired_exceptions: config
            .exceptions
            .iter()
            .enumerate()
            .filter(|(_, exception)| exception.has_expired(today))
            .map(|(index, _)| index)
            .collect(),
        ..Evaluation::default()
    };
    let mut used = BTreeSet::new();
    for registry in registries {
        let mut subjects: Vec<(Option<&RepositoryName>, Judge<'_>)> = Vec::new();
        for (name, repository) in &registry.repositories {
            subjects.push((
                Some(name),
                Box::new(move |rule| {
                    checks::check_repository(rule, registry, name, repository, &context)
                }),
            ));
        }
        for name in &registry.pruned {
            subjects.push((
                Some(name),
                Box::new(move |rule| match rule {
                    RuleId::DeletionProtection => {
                        checks::check_pruned(name, registry, context.parameters)
                    }
                    _ => Verdict::NotApplicable,
                }),
            ));
        }
        subjects.push((
            None,
            Box::new(|rule| checks::check_registry(rule, registry, &context)),
        ));
        for (repository, judge) in subjects {
            let mut row = Row {
                registry: registry.id.clone(),
                repository: repository.cloned(),
                outcomes: BTreeMap::new(),
            };
            for rule in RuleId::all() {
                let level = config.level(rule);
                let applies = repository.is_some()
                    || rule.definition().scope == Scope::Registry
                    || matches!(rule, RuleId::PublicAccess | RuleId::LeastPrivilege);
                let outcome = if !applies {
                    Outcome::NotApplicable
                } else if level == Level::Off {
                    Outcome::Off
                } else {
                    match judge(rule) {
                        Verdict::Pass => Outcome::Pass,
                        Verdict::NotApplicable => Outcome::NotApplicable,
                        Verdict::Unknown => Outcome::Unknown,
                        Verdict::Fail(problems) => {
                            let name = repository.map(RepositoryName::as_str);
                            let exception = active
                                .iter()
                                .find(|(_, e)| e.rule == rule && e.covers(name));
                            for (aspect, message) in problems {
                                let finding = Finding {
                                    rule,
                                    level,
                                    registry: registry.id.clone(),
                                    repository: repository.cloned(),
                                    aspect,
                                    message,
                                };
                                match exception {
                                    Some((index, _)) => {
                                        used.insert(*index);
                                        evaluation.excepted.push((finding, *index));
                                    }
                                    None => evaluation.findings.push(finding),
                                }
                            }
                            if exception.is_some() {
                                Outcome::Excepted
                            } else {
                                Outcome::Fail(level)
                            }
                        }
                    }
                };
                row.outcomes.insert(rule, outcome);
            }
            evaluation.table.push(row);
        }
    }
    evaluation.unused_exceptions = active
        .iter()
        .map(|(index, _)| *index)
        .filter(|index| !used.contains(index))
        .collect();
    evaluation
}

/// The accounts of a spec's registries: where replication may go unless the configuration
/// names the accounts.
pub fn spec_accounts(desired: &DesiredState) -> Vec<AccountId> {
    let accounts: BTreeSet<AccountId> = desired
        .registries
        .iter()
        .map(|registry| registry.state.account.clone())
        .collect();
    accounts.into_iter().collect()
}

/// The rules over a spec's desired state, as `validate` judges it (see
/// [`RegistryView::from_spec`]).
pub fn check_desired(config: &Config, desired: &DesiredState, today: Date) -> Evaluation {
    let views: Vec<RegistryView> = desired
        .registries
        .iter()
        .map(RegistryView::from_spec)
        .collect();
    check(config, &views, &spec_accounts(desired), today)
}

/// Findings after a change, against before it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// Findings the change introduces: the subject passes the rule now, or does not exist.
    pub introduced: Vec<Finding>,
    /// Findings that are there already: the subject fails the rule now too (or what the
    /// rule looks at was not read).
    pub existing: Vec<Finding>,
    /// Findings of now that the change resolves.
    pub resolved: Vec<Finding>,
}

/// Sorts the findings of `after` into introduced and existing by what `before` says of the
/// same rule and subject, and lists what `before` fails that `after` no longer does.
pub fn compare(after: &Evaluation, before: &Evaluation) -> Comparison {
    let mut comparison = Comparison::default();
    let before_rows = before.rows_by_subject();
    let after_rows = after.rows_by_subject();
    for finding in &after.findings {
        let now = outcome_of(&before_rows, finding);
        match now {
            Some(outcome) if outcome.fails() || outcome == Outcome::Unknown => {
                comparison.existing.push(finding.clone());
            }
            _ => comparison.introduced.push(finding.clone()),
        }
    }
    for finding in &before.findings {
        let later = outcome_of(&after_rows, finding);
        let still_failing =
            later.is_some_and(|outcome| outcome.fails() || outcome == Outcome::Unknown);
        let subject_left = later.is_none() && finding.repository.is_some();
        if !still_failing && !subject_left {
            comparison.resolved.push(finding.clone());
        }
    }
    comparison.resolved.dedup();
    comparison
}
