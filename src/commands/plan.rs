//! `ecrform plan`: diff the spec against live state and print the plan; `--out` saves it for
//! `apply FILE`. Lifecycle policy changes are previewed against the images their
//! repositories hold (see `ecrform_plan::preview`) unless `--no-image-preview`.

use anyhow::Context as _;
use ecrform_plan::SavedPlan;

use crate::cli::{Format, PlanArgs};
use crate::commands::{CommandError, Outcome, guardrails, live, live_state, load_spec};
use crate::context::Context;
use crate::output;

pub fn run(context: &Context, args: &PlanArgs) -> Result<Outcome, CommandError> {
    let spec = load_spec(context)?;
    let (live, plan) = if context.state.is_some() {
        // A snapshot holds no images: a plan against it cannot preview them, but it may say
        // how many a repository holds.
        let live = live_state(context, &spec)?;
        let mut plan = ecrform_plan::plan(&spec.desired, &live);
        ecrform_plan::preview::annotate_held(&mut plan, &held_in_snapshot(&live));
        (live, plan)
    } else {
        let preview = !args.no_image_preview;
        let planned = live::runtime()?.block_on(live::plan_live(&spec, context, preview))?;
        (planned.live, planned.plan)
    };
    let (after, findings) = guardrails::judge_plan(
        &spec.guardrails.config,
        &spec.desired,
        &live,
        &plan,
        &guardrails::locate_in(&spec),
    );
    let refused = guardrails::refuse_errors(
        context,
        Some(&spec),
        &after,
        if args.out.is_some() {
            "the plan was not saved, and cannot be applied"
        } else {
            "the plan cannot be applied"
        },
    );
    if let (Some(out), true) = (&args.out, refused.is_ok()) {
        let mut saved = SavedPlan::new(
            &plan,
            &spec.desired,
            &context.spec.path().display().to_string(),
            crate::VERSION,
        )
        .keeping_interrupted(&live)
        .with_guardrails(guardrails_config(&spec.guardrails.config));
        let signed = match plan_key()? {
            Some(key) => {
                saved.sign(&key);
                ", signed with ECRFORM_PLAN_KEY"
            }
            None => "",
        };
        std::fs::write(out, saved.to_json())
            .with_context(|| format!("cannot write the plan to {}", out.display()))?;
        context
            .output
            .note(&format_args!("saved the plan to {}{signed}", out.display()));
    }
    let comment = || {
        let mut options = comment_options(context, args);
        options.guardrails = Some(findings.clone());
        if refused.is_err() {
            // Not saved: the comment must not point at it.
            options.saved_plan = None;
        }
        ecrform_render::render_plan_comment(&plan, &options)
    };
    if context.output.format == Format::Markdown {
        print!("{}", comment().text);
    } else {
        print!(
            "{}",
            output::render_plan_with_findings(&context.output, &plan, &findings)
        );
    }
    crate::github::append_step_summary(context, || comment().text);
    refused?;
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Outcome::Changes
    } else {
        Outcome::Done
    })
}

/// How the pull request comment is made: its marker's key (`--comment-key`, or derived from
/// the spec path and the `--registry` selection), its budget, and the saved plan it points to.
pub fn comment_options(context: &Context, args: &PlanArgs) -> ecrform_render::CommentOptions {
    ecrform_render::CommentOptions {
        key: Some(
            args.comment_key
                .clone()
                .unwrap_or_else(|| derived_comment_key(context)),
        ),
        max_chars: Some(usize::try_from(args.max_comment_chars).unwrap_or(usize::MAX)),
        saved_plan: args.out.as_ref().map(|out| out.display().to_string()),
        guardrails: None,
    }
}

/// The comment key a spec path and a `--registry` selection stand for.
pub fn derived_comment_key(context: &Context) -> ecrform_render::CommentKey {
    let registries: Vec<String> = context
        .registries
        .iter()
        .flatten()
        .map(ToString::to_string)
        .collect();
    ecrform_render::CommentKey::derived(&context.spec.path().display().to_string(), &registries)
}

/// The key saved plans are signed with (`ECRFORM_PLAN_KEY`), when set. Set but empty is an
/// error: in CI, a secret the job cannot see expands to nothing, and silently not signing (or
/// not checking) would defeat the key.
pub fn plan_key() -> anyhow::Result<Option<Vec<u8>>> {
    match std::env::var_os(PLAN_KEY_VARIABLE) {
        None => Ok(None),
        Some(key) if key.is_empty() => anyhow::bail!(
            "{PLAN_KEY_VARIABLE} is set but empty (a CI secret the job cannot read expands to \
             nothing); set it to the key, or unset it to use unsigned plans"
        ),
        Some(key) => Ok(Some(key.into_encoded_bytes())),
    }
}

/// The guardrails configuration as a saved plan keeps it, so that `apply FILE` judges the
/// plan by the same rules when the spec is not at hand.
pub fn guardrails_config(config: &ecrform_guardrails::Config) -> serde_json::Value {
    serde_json::to_value(config).unwrap_or_default()
}

pub const PLAN_KEY_VARIABLE: &str = "ECRFORM_PLAN_KEY";

/// The image counts a snapshot records for its repositories (sizes it does not know).
fn held_in_snapshot(
    live: &[ecrform_model::RegistryState],
) -> ecrform_plan::preview::HeldByRepository {
    live.iter()
        .flat_map(|registry| {
            registry
                .repositories
                .iter()
                .filter_map(|(name, repository)| {
                    let count = repository.image_count?;
                    Some((
                        (registry.id(), name.clone()),
                        ecrform_plan::HeldImages { count, bytes: None },
                    ))
                })
        })
        .collect()
}
