//! `ecrform apply`: apply a saved plan after checking that nothing it touches changed since it
//! was made, or plan and apply. Deletes and replaces need their flags, and so does a lifecycle
//! policy change that would expire or archive images the current policy keeps; without a plan file,
//! apply asks on a terminal and needs `--auto-approve` elsewhere. Nothing is written when any
//! of these checks fails.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;

use ecrform_apply::{ApplyOptions, ApplyReport};
use ecrform_model::Address;
use ecrform_plan::{Allowed, Plan, SavedPlan, SignatureCheck, check_signature, spec_fingerprint};

use crate::cli::{ApplyArgs, Format};
use crate::commands::live::{self, LivePlan};
use crate::commands::plan::{PLAN_KEY_VARIABLE, plan_key};
use crate::commands::{CommandError, Outcome, guardrails, load_spec, read_input_file};
use crate::context::{Context, SpecSource, counted};
use crate::output;
use crate::progress::ApplyBar;
use crate::recovery::RecoveryRecord;
use ecrform_spec::Spec;

pub fn run(context: &Context, args: &ApplyArgs) -> Result<Outcome, CommandError> {
    let runtime = live::runtime()?;
    // The recovery record is next to the spec the plan was made from: for a plan file, its
    // spec, wherever apply runs.
    let (
        LivePlan {
            registries,
            live,
            plan,
        },
        recovery_path,
    ) = match &args.plan_file {
        Some(path) => saved_plan(context, args, path, &runtime)?,
        None => (
            fresh_plan(context, args, &runtime)?,
            context.recovery_path(),
        ),
    };
    check_gates(&plan, args)?;
    if args.plan_file.is_none() && !plan.is_empty() && !args.auto_approve {
        confirm(&plan)?;
    }
    // What a replace must restore is kept before its delete is sent.
    let mut record = RecoveryRecord::load(&recovery_path)?;
    let recorded = record.record_replaces(&plan, &live)?;
    if recorded > 0 {
        context.output.status(&format_args!(
            "kept in {} what the replace of {recorded} repository(ies) must restore, should \
             apply be interrupted",
            record.path().display()
        ));
    }
    let stopwatch = live::Stopwatch::start(context);
    let report = runtime.block_on(async {
        let bar = ApplyBar::start(&context.output, plan.changes.len());
        let options = ApplyOptions {
            parallelism: context.connection.parallelism,
            progress: bar.as_ref().map(ApplyBar::callback),
            ..ApplyOptions::default()
        };
        ecrform_apply::apply(&plan, &registries, &options).await
    });
    stopwatch.report(
        context,
        &format!(
            "applied {} of {}",
            report.applied(),
            counted(
                u64::try_from(plan.changes.len()).unwrap_or(u64::MAX),
                "change",
                "changes"
            )
        ),
    );
    print!("{}", render_report(context, &report));
    crate::github::append_step_summary(context, || ecrform_render::render_apply_markdown(&report));
    settle_record(context, &mut record, &plan, &report, &live)?;
    if !report.is_success() {
        bail_cmd(&format!(
            "{} change(s) failed and {} were skipped; run apply again once the cause is fixed",
            report.failed(),
            report.skipped()
        ))?;
    }
    Ok(Outcome::Done)
}

/// The restores a saved plan carries that the local recovery record does not hold as they are.
fn unvouched_restores(saved: &SavedPlan, record: &RecoveryRecord) -> Vec<String> {
    saved
        .registries
        .iter()
        .flat_map(|registry| {
            let id = registry.registry.clone();
            registry
                .interrupted
                .iter()
                .filter(move |(name, state)| record.kept(&id, name) != Some(*state))
                .map(move |(name, _)| {
                    format!(
                        "what it restores to {}/repository/{name} is not what the recovery \
                         record {} holds",
                        registry.registry,
                        record.path().display()
                    )
                })
        })
        .collect()
}

/// Drops from the recovery record the repositories that exist again, and says what it still
/// keeps: a replace that deleted its repository and did not create it again.
fn settle_record(
    context: &Context,
    record: &mut RecoveryRecord,
    plan: &Plan,
    report: &ApplyReport,
    live: &[ecrform_model::RegistryState],
) -> Result<(), CommandError> {
    let mut touched = Vec::new();
    let mut applied = Vec::new();
    for (change, result) in plan.changes.iter().zip(&report.results) {
        let creates = change.address.kind == ecrform_model::ResourceKind::Repository
            && matches!(
                change.action,
                ecrform_plan::Action::Create | ecrform_plan::Action::Replace
            );
        let Some(name) = change.address.repository_name().filter(|_| creates) else {
            continue;
        };
        let key = (change.address.registry.clone(), name.clone());
        if result.outcome.is_applied() {
            applied.push(key.clone());
        }
        touched.push(key);
    }
    let left = record.settle(&touched, &applied, live)?;
    let interrupted: Vec<String> = left
        .iter()
        .filter(|key| touched.contains(key))
        .map(|(registry, name)| format!("{registry}/repository/{name}"))
        .collect();
    let unrestored: Vec<String> = record
        .unrestored(live)
        .map(|(registry, name)| format!("{registry}/repository/{name}"))
        .collect();
    if !unrestored.is_empty() {
        context.output.warn(&format_args!(
            "{} exists again without all the recovery record {} keeps for it (an apply ended \
             between its create and the writes that restore it); the record keeps them: write \
             them back from it, then remove its entry",
            unrestored.join(", "),
            record.path().display()
        ));
    }
    if !interrupted.is_empty() {
        context.output.warn(&format_args!(
            "{} did not finish its replace; the recovery record {} keeps what it held, and the \
             next plan creates it again with that",
            interrupted.join(", "),
            record.path().display()
        ));
    }
    Ok(())
}

/// Plans from the spec and live state, and prints the plan for review.
fn fresh_plan(
    context: &Context,
    args: &ApplyArgs,
    runtime: &tokio::runtime::Runtime,
) -> Result<LivePlan, CommandError> {
    if context.state.is_some() {
        bail_cmd("apply writes to ECR and cannot use --state; plan against a snapshot instead")?;
    }
    let spec = load_spec(context)?;
    let planned = runtime.block_on(live::plan_live(&spec, context, !args.no_image_preview))?;
    let plan = &planned.plan;
    let (after, findings) = guardrails::judge_plan(
        &spec.guardrails.config,
        &spec.desired,
        &planned.live,
        plan,
        &guardrails::locate_in(&spec),
    );
    // The plan is shown before anything is written. With --format json or markdown, stdout
    // carries only the apply report, so the plan goes to stderr as text.
    if context.output.format == Format::Text {
        print!(
            "{}",
            output::render_plan_with_findings(&context.output, plan, &findings)
        );
        println!();
    } else {
        let text = ecrform_render::TextOptions { color: false };
        eprint!(
            "{}{}",
            ecrform_render::render_text(plan, &text),
            ecrform_render::findings::plan_findings_text(&findings)
        );
    }
    guardrails::refuse_errors(context, Some(&spec), &after, "nothing was written")?;
    Ok(planned)
}

/// Loads a saved plan and refuses it when its signature, the spec or any address it touches
/// changed, or when it is not exactly what its desired state plans against the live state
/// now. What is applied is the planner's own plan, restricted to the file's changes, so the
/// calls sent are derived, never read from the file; its images are previewed again (unless
/// `--no-image-preview`) so that the gates judge what will be sent.
fn saved_plan(
    context: &Context,
    args: &ApplyArgs,
    path: &std::path::Path,
    runtime: &tokio::runtime::Runtime,
) -> Result<(LivePlan, PathBuf), CommandError> {
    // A saved plan is applied whole, as it was reviewed; silently applying all of it when
    // asked for one registry would be worse than refusing.
    if context.registries.is_some() {
        bail_cmd(
            "--registry cannot restrict a saved plan, which is applied whole; make the plan with \
             --registry instead",
        )?;
    }
    let cannot_use = || format!("cannot use the plan file {}", path.display());
    let text = read_input_file(path, ecrform_model::limits::PLAN_FILE)?;
    let signature = check_signature(&text, plan_key()?.as_deref()).with_context(cannot_use)?;
    match signature {
        SignatureCheck::Valid | SignatureCheck::Unsigned => {}
        SignatureCheck::NotChecked => context.output.warn(&format_args!(
            "the plan file {} is signed, but {PLAN_KEY_VARIABLE} is not set, so its signature \
             was not checked",
            path.display()
        )),
    }
    let saved = SavedPlan::from_json(&text, crate::VERSION).with_context(cannot_use)?;
    let spec_context = Context {
        spec: plan_file_spec(context, &saved),
        ..context.clone()
    };
    let recovery_path = spec_context.recovery_path();
    let spec = check_spec(&spec_context, &saved)?;
    let edited = |problems: Vec<String>| {
        CommandError::Refused(
            problems
                .into_iter()
                .map(|problem| {
                    format!(
                        "the plan file {} was changed after it was made: {problem}; nothing \
                         was written",
                        path.display()
                    )
                })
                .collect(),
        )
    };
    let mut problems = saved.integrity_problems();
    // What a create restores from the recovery record is written, yet no fingerprint covers
    // it: unless a valid signature vouches for the file, it must be what the record holds.
    if signature != SignatureCheck::Valid {
        problems.extend(unvouched_restores(
            &saved,
            &RecoveryRecord::load(&recovery_path)?,
        ));
    }
    if !problems.is_empty() {
        return Err(edited(problems));
    }
    let desired = saved.desired();
    let (registries, mut live) = runtime.block_on(async {
        let stopwatch = live::Stopwatch::start(context);
        let registries = live::connect(&live::targets_for(&desired), context).await?;
        let live = live::read(&registries, &saved.read_scopes(&desired), context).await?;
        stopwatch.report(context, &live::read_work(registries.len()));
        anyhow::Ok((registries, live))
    })?;
    let stale = saved.stale_addresses(&live);
    if !stale.is_empty() {
        bail_cmd(&format!(
            "stale plan: {} changed since the plan was made; run plan again",
            list(&stale)
        ))?;
    }
    saved.attach_interrupted(&mut live);
    let replanned = ecrform_plan::plan(&desired, &live);
    let mut plan = saved.reviewed_plan(&replanned).map_err(edited)?;
    // The rules the plan is judged by: the spec's when it is here, else the plan's own.
    let config = match (&spec, &saved.guardrails) {
        (Some(spec), _) => spec.guardrails.config.clone(),
        (None, Some(stored)) => serde_json::from_value(stored.clone())
            .with_context(|| format!("the plan file {} has no valid guardrails", path.display()))?,
        (None, None) => ecrform_guardrails::Config::default(),
    };
    let no_location = |_: &ecrform_guardrails::Finding| None;
    let locate_in_spec = spec.as_ref().map(guardrails::locate_in);
    let locate: &dyn Fn(&ecrform_guardrails::Finding) -> Option<_> = match &locate_in_spec {
        Some(locate) => locate,
        None => &no_location,
    };
    let (after, _) = guardrails::judge_plan(&config, &desired, &live, &replanned, locate);
    guardrails::refuse_errors(context, spec.as_ref(), &after, "nothing was written")?;
    if !args.no_image_preview {
        runtime.block_on(live::preview_plan(
            &registries,
            &mut plan,
            live::Prefetched::new(),
        ))?;
    }
    Ok((
        LivePlan {
            registries,
            live,
            plan,
        },
        recovery_path,
    ))
}

/// A plan made from another spec than the one at hand is not the one that was reviewed: the
/// spec `-f` names, or else the one the plan records, must mean what it meant then. When
/// neither is here (a pipeline that applies the plan artifact alone), that is said, and the
/// reviewed plan is applied as it is.
/// The spec a plan file is checked against: `-f` when given, else the one it was made from.
fn plan_file_spec(context: &Context, saved: &SavedPlan) -> SpecSource {
    if context.spec.explicit {
        context.spec.clone()
    } else {
        SpecSource {
            path: PathBuf::from(&saved.spec.path),
            explicit: false,
            policies_dir: context.spec.policies_dir.clone(),
        }
    }
}

/// `context.spec` (see [`plan_file_spec`]), when it is here, must mean what it meant when the
/// plan was made.
fn check_spec(context: &Context, saved: &SavedPlan) -> Result<Option<Spec>, CommandError> {
    let source = context.spec.clone();
    if !source.exists() {
        context.output.warn(&format_args!(
            "the spec {} the plan was made from is not here, so it was not checked; applying \
             the plan file as it was reviewed",
            source.path().display()
        ));
        return Ok(None);
    }
    let spec = load_spec(context)?;
    let registries: Vec<_> = saved
        .registries
        .iter()
        .map(|r| r.registry.clone())
        .collect();
    if spec_fingerprint(&spec.desired, &registries) != saved.spec.fingerprint {
        bail_cmd(&format!(
            "stale plan: the spec {} is not the one the plan was made from (it changed since, or \
             the plan comes from another spec); run plan again",
            source.path().display()
        ))?;
    }
    Ok(Some(spec))
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
        Format::Json | Format::Sarif => ecrform_render::render_apply_json(report),
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
