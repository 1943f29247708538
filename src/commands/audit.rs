//! `ecrform audit`: the spec's guardrails (or the recommended profile when there is no spec)
//! over the live registries, every repository included, unmanaged ones too. Read-only: it
//! reads everything as `snapshot` does (or a `--state` snapshot), judges it and prints a
//! pass/fail table per rule and repository. Exit 2 when a finding at error level exists.

use std::collections::{BTreeMap, BTreeSet};

use ecrform_guardrails::{Config, RegistryView};
use ecrform_model::{AWS_MANAGED_KEY_ALIAS, RegistryState};
use ecrform_render::findings::{
    AuditReport, SarifResult, render_audit_json, render_audit_markdown, render_audit_text,
    render_sarif,
};

use crate::cli::Format;
use crate::commands::guardrails::{self, locate_in};
use crate::commands::{CommandError, Outcome, live, selected_targets};
use crate::context::Context;

pub fn run(context: &Context) -> Result<Outcome, CommandError> {
    // A snapshot can be audited without a spec: every registry it holds, or `--registry`.
    let (targets, spec) = if context.state.is_some() && !context.spec.exists() {
        let targets = context
            .registries
            .iter()
            .flatten()
            .map(|id| ecrform_aws::RegistryTarget {
                id: id.clone(),
                role_arn: None,
                profile: None,
            })
            .collect();
        (targets, None)
    } else {
        selected_targets(context)?
    };
    if let Some(spec) = &spec {
        for warning in &spec.warnings {
            context.output.warn_diagnostic(warning);
        }
    }
    let live = match &context.state {
        Some(path) => from_snapshot(path, &targets)?,
        None => {
            // The AWS managed key's ARN tells `kms-encryption` which repositories use it.
            let kms_keys: BTreeMap<_, BTreeSet<String>> = targets
                .iter()
                .map(|target| {
                    let mut keys: BTreeSet<String> = spec
                        .iter()
                        .flat_map(|spec| &spec.desired.registries)
                        .filter(|registry| registry.state.id() == target.id)
                        .flat_map(|registry| ecrform_plan::desired_kms_keys(&registry.state))
                        .collect();
                    keys.insert(AWS_MANAGED_KEY_ALIAS.to_owned());
                    (target.id.clone(), keys)
                })
                .collect();
            live::read_everything(&targets, context, &kms_keys)?
        }
    };
    let config = spec
        .as_ref()
        .map_or_else(Config::default, |spec| spec.guardrails.config.clone());
    let views: Vec<RegistryView> = live.iter().map(RegistryView::from_live).collect();
    let accounts = match &spec {
        Some(spec) => ecrform_guardrails::spec_accounts(&spec.desired),
        None => {
            let accounts: BTreeSet<_> = live.iter().map(|state| state.account.clone()).collect();
            accounts.into_iter().collect()
        }
    };
    let evaluation = ecrform_guardrails::check(&config, &views, &accounts, guardrails::today());
    let report = AuditReport {
        profile: config.profile.to_string(),
        evaluation: &evaluation,
    };
    let rendered = match context.output.format {
        Format::Text => render_audit_text(&report),
        Format::Markdown => render_audit_markdown(&report),
        Format::Json => render_audit_json(&report),
        Format::Sarif => {
            // A repository the spec names is shown at its place there; others by address.
            let results: Vec<SarifResult> = evaluation
                .findings
                .iter()
                .map(|finding| {
                    let in_spec = spec.as_ref().filter(|spec| {
                        spec.desired.registries.iter().any(|registry| {
                            registry.state.id() == finding.registry
                                && finding.repository.as_ref().is_none_or(|name| {
                                    registry.state.repositories.contains_key(name)
                                })
                        })
                    });
                    SarifResult::of_finding(
                        finding,
                        in_spec.and_then(|spec| locate_in(spec)(finding)),
                    )
                })
                .collect();
            render_sarif(&results, crate::VERSION)
        }
    };
    print!("{rendered}");
    // What the report cannot say: exceptions that lapsed (and so fail the audit) or cover
    // nothing, at their place in the spec.
    if let Some(spec) = &spec {
        let (errors, warnings) = spec.guardrails.exception_diagnostics(&evaluation);
        for warning in &warnings {
            context.output.warn_diagnostic(warning);
        }
        for error in &errors {
            crate::github::print_error(error, context.output.annotations);
        }
    }
    Ok(if evaluation.has_errors() {
        Outcome::Changes
    } else {
        Outcome::Done
    })
}

/// The registries of `targets` from a snapshot file (every registry it holds when there are
/// no targets), read as `plan --state` reads it: up to its limit, a problem located.
fn from_snapshot(
    path: &std::path::Path,
    targets: &[ecrform_aws::RegistryTarget],
) -> Result<Vec<RegistryState>, CommandError> {
    let snapshot = super::read_snapshot(path)?;
    if targets.is_empty() {
        return Ok(snapshot.registries);
    }
    targets
        .iter()
        .map(|target| {
            snapshot.registry(&target.id).cloned().ok_or_else(|| {
                anyhow::anyhow!(
                    "snapshot {} has no state for registry {}",
                    path.display(),
                    target.id
                )
                .into()
            })
        })
        .collect()
}
