//! What `validate`, `plan`, `apply` and `audit` share about guardrails: the day exceptions
//! are judged on, judging the spec, judging the registry after a plan against it before,
//! and turning findings into located diagnostics, SARIF results and the plan's section.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use ecrform_guardrails::{Config, Date, Evaluation, RegistryView};
use ecrform_model::{DesiredState, RegistryId, RegistryState, RepositoryName, ResourceKind};
use ecrform_plan::{Action, Plan};
use ecrform_render::findings::{PlanFindings, SarifResult, ShownFinding, SourceLocation};
use ecrform_spec::{Diagnostic, Diagnostics, Spec};

use crate::commands::CommandError;
use crate::context::Context;

/// Today (UTC), for exceptions that lapse.
pub fn today() -> Date {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        });
    Date::from_unix_seconds(seconds)
}

/// The spec's guardrails over its desired state, today.
pub fn judge_spec(spec: &Spec) -> Evaluation {
    spec.judge_guardrails(today())
}

/// Prints an evaluation's warnings as `warning: FILE:LINE:COLUMN: [RULE-ID] message` and
/// fails with its errors as spec diagnostics.
pub fn report(context: &Context, spec: &Spec, evaluation: &Evaluation) -> Result<(), CommandError> {
    let (errors, warnings) = spec.guardrails.diagnostics(evaluation);
    for warning in &warnings {
        context.output.warn_diagnostic(warning);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Spec(Diagnostics(errors)))
    }
}

/// The repositories a plan deletes, per registry (those that left a spec that prunes).
fn deleted_repositories(plan: &Plan) -> BTreeMap<RegistryId, BTreeSet<RepositoryName>> {
    let mut deleted: BTreeMap<RegistryId, BTreeSet<RepositoryName>> = BTreeMap::new();
    for change in &plan.changes {
        if change.address.kind == ResourceKind::Repository
            && change.action == Action::Delete
            && let Some(name) = change.address.repository_name()
        {
            deleted
                .entry(change.address.registry.clone())
                .or_default()
                .insert(name.clone());
        }
    }
    deleted
}

/// The rules over the registries after `plan` (the desired state over `live`) and before
/// it (`live`), with `config`: the evaluation after, and the section a plan shows.
pub fn judge_plan(
    config: &Config,
    desired: &DesiredState,
    live: &[RegistryState],
    plan: &Plan,
    locate: &dyn Fn(&ecrform_guardrails::Finding) -> Option<SourceLocation>,
) -> (Evaluation, PlanFindings) {
    let mut deleted = deleted_repositories(plan);
    let mut after_views = Vec::new();
    let mut before_views = Vec::new();
    for registry in &desired.registries {
        let id = registry.state.id();
        let Some(live) = live.iter().find(|live| live.id() == id) else {
            continue;
        };
        after_views.push(RegistryView::after_plan(
            registry,
            live,
            deleted.remove(&id).unwrap_or_default(),
        ));
        before_views.push(RegistryView::from_live(live));
    }
    let accounts = ecrform_guardrails::spec_accounts(desired);
    let today = today();
    let after = ecrform_guardrails::check(config, &after_views, &accounts, today);
    let before = ecrform_guardrails::check(config, &before_views, &accounts, today);
    let comparison = ecrform_guardrails::compare(&after, &before);
    let shown = |findings: Vec<ecrform_guardrails::Finding>| -> Vec<ShownFinding> {
        findings
            .into_iter()
            .map(|finding| ShownFinding {
                location: locate(&finding),
                finding,
            })
            .collect()
    };
    let section = PlanFindings {
        profile: config.profile.to_string(),
        introduced: shown(comparison.introduced),
        existing: shown(comparison.existing),
        resolved: comparison.resolved,
    };
    (after, section)
}

/// Where a diagnostic is, for SARIF and JSON.
pub fn source_location(diagnostic: &Diagnostic) -> SourceLocation {
    SourceLocation {
        file: diagnostic.file.display().to_string(),
        line: diagnostic.line,
        column: diagnostic.column,
    }
}

/// A finding's place in the spec.
pub fn locate_in(
    spec: &Spec,
) -> impl Fn(&ecrform_guardrails::Finding) -> Option<SourceLocation> + '_ {
    |finding| Some(source_location(&spec.guardrails.locate(finding)))
}

/// Spec problems as SARIF results of the rule `spec`.
pub fn spec_problems(
    diagnostics: &[Diagnostic],
    level: ecrform_guardrails::Level,
) -> Vec<SarifResult> {
    diagnostics
        .iter()
        .map(|diagnostic| SarifResult {
            finding: None,
            level,
            message: diagnostic.message.clone(),
            location: Some(source_location(diagnostic)),
            address: None,
        })
        .collect()
}

/// Fails a plan whose state after it has errors: error findings, or lapsed exceptions.
/// `what` says what was not done ("the plan was not saved", "nothing was written").
pub fn refuse_errors(
    context: &Context,
    spec: Option<&Spec>,
    evaluation: &Evaluation,
    what: &str,
) -> Result<(), CommandError> {
    if !evaluation.has_errors() {
        if let Some(spec) = spec {
            let (_, warnings) = spec.guardrails.exception_diagnostics(evaluation);
            for warning in &warnings {
                context.output.warn_diagnostic(warning);
            }
        }
        return Ok(());
    }
    match spec {
        Some(spec) => {
            let (errors, _) = spec.guardrails.diagnostics(evaluation);
            context.output.status(&format_args!(
                "guardrails: {} error(s) after this plan; {what}",
                errors.len()
            ));
            Err(CommandError::Spec(Diagnostics(errors)))
        }
        None => Err(CommandError::Refused(
            evaluation
                .findings
                .iter()
                .filter(|finding| finding.is_error())
                .map(|finding| {
                    format!(
                        "{}: {} ({what})",
                        finding.address(),
                        finding.tagged_message()
                    )
                })
                .collect(),
        )),
    }
}
