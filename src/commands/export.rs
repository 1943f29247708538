//! `ecrform export`: a v1 spec of live state, so that adopting an existing registry starts
//! from an empty plan. Policies are inline, or files under `--out-dir`.

use anyhow::Context as _;
use ecrform_spec::{ExportOptions, export};

use crate::cli::ExportArgs;
use crate::commands::{CommandError, Outcome, live, selected_targets};
use crate::context::Context;

/// The spec file name written under `--out-dir`.
const SPEC_FILE: &str = "ecr.yaml";

pub fn run(context: &Context, args: &ExportArgs) -> Result<Outcome, CommandError> {
    let (targets, _) = selected_targets(context)?;
    let states = live::read_everything(&targets, context, &Default::default())?;
    let options = ExportOptions {
        prefix: args.prefix.clone(),
        policy_files: args.out_dir.is_some(),
    };
    let exported = export(&states, &options);
    for note in &exported.notes {
        context.output.warn(note);
    }
    match &args.out_dir {
        None => print!("{}", exported.spec),
        Some(dir) => {
            let mut written = vec![(dir.join(SPEC_FILE), exported.spec.clone())];
            written.extend(
                exported
                    .files
                    .iter()
                    .map(|(path, text)| (dir.join(path), text.clone())),
            );
            for (path, text) in &written {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                std::fs::write(path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            context.output.status(&format_args!(
                "wrote {} file(s) under {}",
                written.len(),
                dir.display()
            ));
        }
    }
    Ok(Outcome::Done)
}
