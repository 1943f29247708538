//! `ecrform access [--live]`: who can do what under each registry's policies, from the spec
//! (what merging it would give) or, with `--live`, from what ECR holds (or a `--state`
//! snapshot). The matrix is the model's ([`ecrform_model::policy::RegistryAccess`]); this
//! module only chooses where the policies come from and prints.

use ecrform_model::RegistryState;
use ecrform_model::policy::RegistryAccess;
use ecrform_render::AccessSource;

use crate::cli::{AccessArgs, Format};
use crate::commands::{CommandError, Outcome, live, live_from_snapshot, load_spec};
use crate::context::Context;

pub fn run(context: &Context, args: &AccessArgs) -> Result<Outcome, CommandError> {
    let spec = load_spec(context)?;
    let (states, source) = if args.live {
        let states = match &context.state {
            Some(path) => live_from_snapshot(path, &spec.desired)?,
            None => live::read_policies(&live::targets_for(&spec.desired), context)?,
        };
        for warning in states.iter().flat_map(|state| &state.read_warnings) {
            context.output.warn(warning);
        }
        (states, AccessSource::Live)
    } else {
        if let Some(path) = &context.state {
            return Err(anyhow::anyhow!(
                "--state {} is live state: pass --live to read access from it (without it, \
                 access reads the spec's policies)",
                path.display()
            )
            .into());
        }
        let states: Vec<RegistryState> = spec
            .desired
            .registries
            .iter()
            .map(|registry| registry.state.clone())
            .collect();
        (states, AccessSource::Spec)
    };
    let registries: Vec<RegistryAccess> = states.iter().map(RegistryAccess::of).collect();
    let rendered = match context.output.format {
        Format::Text => ecrform_render::render_access_text(&registries, source),
        Format::Markdown => ecrform_render::render_access_markdown(&registries, source),
        Format::Json | Format::Sarif => ecrform_render::render_access_json(&registries, source),
    };
    print!("{rendered}");
    Ok(Outcome::Done)
}
