//! What ecrform says about itself, for editors and shells: the JSON Schema of its spec
//! (`schema`), shell completions (`completions`) and manual pages (`man`). None of them reads
//! a spec or calls AWS. Completions and man pages are made from the same clap command that
//! parses the flags, so they cannot drift from it.

use std::io::Write;

use anyhow::Context as _;

use crate::cli::{CompletionsArgs, ManArgs};
use crate::commands::{CommandError, Outcome};
use crate::context::Context;

/// `ecrform schema`: the spec's JSON Schema, pretty-printed.
pub fn schema() -> Result<Outcome, CommandError> {
    let schema = serde_json::to_string_pretty(&ecrform_spec::json_schema())
        .context("cannot print the schema")?;
    write_stdout(format!("{schema}\n").as_bytes())?;
    Ok(Outcome::Done)
}

/// `ecrform completions SHELL`: the completion script for SHELL.
pub fn completions(args: &CompletionsArgs) -> Result<Outcome, CommandError> {
    let mut script = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut crate::cli::documented_command(),
        "ecrform",
        &mut script,
    );
    write_stdout(&script)?;
    Ok(Outcome::Done)
}

/// `ecrform man`: the page of `ecrform` on stdout, or with `--out-dir` a page for it and for
/// every command (`ecrform-plan.1`, `ecrform-lifecycle-preview.1`, ...).
pub fn man(context: &Context, args: &ManArgs) -> Result<Outcome, CommandError> {
    let command = crate::cli::documented_command();
    let Some(dir) = &args.out_dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .context("cannot render the manual page")?;
        write_stdout(&page)?;
        return Ok(Outcome::Done);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Built, each command has its display name (`ecrform-lifecycle-preview`), which names its
    // page; the `help` command has no page of its own.
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut written = 0;
    let mut pending = vec![command];
    while let Some(command) = pending.pop() {
        pending.extend(command.get_subcommands().cloned());
        let man = clap_mangen::Man::new(command);
        let path = dir.join(man.get_filename());
        man.generate_to(dir)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written += 1;
    }
    context.output.status(&format_args!(
        "wrote {written} manual pages under {}",
        dir.display()
    ));
    Ok(Outcome::Done)
}

/// Writes a result to stdout. A reader that went away (`| head`) is not an error worth a
/// message: what it wanted, it has.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}
