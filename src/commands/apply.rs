//! `ecrform apply`: apply a saved plan after checking that nothing it touches changed since it
//! was made, or plan and apply. Deletes and replaces need their flags, and so does a lifecycle
//! policy change that would expire or archive images the current policy keeps; without a plan file,
//! apply asks on a terminal and needs `--auto-approve` elsewhere. Nothing is written when any
//! of these checks fails.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;

use ecrform_apply::{ApplyOptions, ApplyReport};
use ecrform_aws::RegistryTarget;
use ecrform_model::Address;
use ecrform_plan::{Allowed, Plan, SavedPlan, spec_fingerprint};
use ecrform_render::ReportKind;

use crate::cli::{ApplyArgs, Format};
use crate::commands::live::{self, Registries};
use crate::commands::{CommandError, Outcome, load_spec, read_input_file};
use crate::context::{Context, SpecSource};
use crate::output;

pub fn run(context: &Context, args: &ApplyArgs) -> Result<Outcome, CommandError> {
    let runtime = live::runtime()?;
    let (plan, registries) = match &args.plan_file {
        Some(path) => saved_plan(context, path, &runtime)?,
        None => fresh_plan(context, args, &runtime)?,
    };
    check_gates(&plan, args)?;
    if args.plan_file.is_none() && !plan.is_empty() && !args.auto_approve {
        confirm(&plan)?;
    }
    let options = ApplyOptions {
        parallelism: context.connection.parallelism,
        ..ApplyOptions::default()
    };
    let report = runtime.block_on(ecrform_apply::apply(&plan, &registries, &options));
    print!("{}", render_report(context, &report));
    if !report.is_success() {
        bail_cmd(&format!(
            "{} change(s) failed and {} were skipped; run apply again once the cause is fixed",
            report.failed(),
            report.skipped()
        ))?;
    }
    Ok(Outcome::Done)
}

/// Plans from the spec and live state, and prints the plan for review.
fn fresh_plan(
    context: &Context,
    args: &ApplyArgs,
    runtime: &tokio::runtime::Runtime,
) -> Result<(Plan, Registries), CommandError> {
    if context.state.is_some() {
        bail_cmd("apply writes to ECR and cannot use --state; plan against a snapshot instead")?;
    }
    let spec = load_spec(context)?;
    let (registries, plan) =
        runtime.block_on(live::plan_live(&spec, context, !args.no_image_preview))?;
    // The plan is shown before anything is written. With --format json or markdown, stdout
    // carries only the apply report, so the plan goes to stderr as text.
    if context.output.format == Format::Text {
        print!(
            "{}",
            output::render_plan(&context.output, &plan, ReportKind::Plan)
        );
        println!();
    } else {
        let text = ecrform_render::TextOptions {
            color: false,
            kind: ReportKind::Plan,
        };
        eprint!("{}", ecrform_render::render_text(&plan, &text));
    }
    Ok((plan, registries))
}

/// Loads a saved plan and refuses it when the spec or any address it touches changed.
fn saved_plan(
    context: &Context,
    path: &std::path::Path,
    runtime: &tokio::runtime::Runtime,
) -> Result<(Plan, Registries), CommandError> {
    // A saved plan is applied whole, as it was reviewed; silently applying all of it when
    // asked for one registry would be worse than refusing.
    if context.registries.is_some() {
        bail_cmd(
            "--registry cannot restrict a saved plan, which is applied whole; make the plan with \
             --registry instead",
        )?;
    }
    let text = read_input_file(path, ecrform_model::limits::PLAN_FILE)?;
    let saved = SavedPlan::from_json(&text, crate::VERSION)
        .with_context(|| format!("cannot use the plan file {}", path.display()))?;
    check_spec(context, &saved)?;
    let targets: Vec<RegistryTarget> = saved
        .registries
        .iter()
        .map(|r| RegistryTarget {
            id: r.registry.clone(),
            role_arn: r.role_arn.clone(),
            profile: r.profile.clone(),
        })
        .collect();
    let scopes: BTreeMap<_, _> = saved
        .registries
        .iter()
        .map(|r| (r.registry.clone(), r.scope.clone()))
        .collect();
    let (registries, live) = runtime.block_on(async {
        let registries = live::connect(&targets, context).await?;
        let live = live::read(&registries, &scopes).await?;
        anyhow::Ok((registries, live))
    })?;
    let stale = saved.stale_addresses(&live);
    if !stale.is_empty() {
        bail_cmd(&format!(
            "stale plan: {} changed since the plan was made; run plan again",
            list(&stale)
        ))?;
    }
    Ok((saved.plan(), registries))
}

/// A plan made from another spec than the one at hand is not the one that was reviewed: the
/// spec `-f` names, or else the one the plan records, must mean what it meant then. When
/// neither is here (a pipeline that applies the plan artifact alone), that is said, and the
/// reviewed plan is applied as it is.
fn check_spec(context: &Context, saved: &SavedPlan) -> Result<(), CommandError> {
    let source = if context.spec.explicit {
        context.spec.clone()
    } else {
        SpecSource {
            path: PathBuf::from(&saved.spec.path),
            explicit: false,
            policies_dir: context.spec.policies_dir.clone(),
        }
    };
    if !source.exists() {
        context.output.warn(&format_args!(
            "the spec {} the plan was made from is not here, so it was not checked; applying \
             the plan file as it was reviewed",
            source.path().display()
        ));
        return Ok(());
    }
    let spec = load_spec(&Context {
        spec: source.clone(),
        ..context.clone()
    })?;
    let registries: Vec<_> = saved
        .registries
        .iter()
        .map(|r| r.registry.clone())
        .collect();
    if spec_fingerprint(&spec.desired, &registries) != saved.spec.fingerprint {
        bail_cmd(&format!(
            "stale plan: the spec {} changed since the plan was made; run plan again",
            source.path().display()
        ))?;
    }
    Ok(())
}

/// Deletes, replaces and lifecycle changes that expire or archive images happen only with
/// their flags; every gate that refuses is named, in one run.
fn check_gates(plan: &Plan, args: &ApplyArgs) -> Result<(), CommandError> {
    let allowed = Allowed {
        delete: args.allow_delete,
        replace: args.allow_replace,
    };
    let refusals = plan.refusals(&allowed);
    if refusals.is_empty() {
        return Ok(());
    }
    Err(CommandError::Refused(
        refusals
            .iter()
            .map(|refusal| format!("{refusal} (nothing was written)"))
            .collect(),
    ))
}

/// Asks on a terminal; elsewhere `--auto-approve` (or a reviewed plan file) is required.
fn confirm(plan: &Plan) -> Result<(), CommandError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail_cmd(
            "apply needs --auto-approve when not run on a terminal (or apply a saved plan file); \
             nothing was written",
        )?;
    }
    eprint!(
        "Apply these {} change(s)? Only 'yes' is accepted: ",
        plan.changes.len()
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if answer.trim() != "yes" {
        bail_cmd("apply cancelled; nothing was written")?;
    }
    Ok(())
}

fn render_report(context: &Context, report: &ApplyReport) -> String {
    match context.output.format {
        Format::Text => ecrform_render::render_apply_text(report),
        Format::Markdown => ecrform_render::render_apply_markdown(report),
        Format::Json => ecrform_render::render_apply_json(report),
    }
}

fn list(addresses: &[Address]) -> String {
    addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn bail_cmd(message: &str) -> Result<(), CommandError> {
    Err(CommandError::Other(anyhow::anyhow!("{message}")))
}
