//! `ecrform validate`: parse and check the spec and its guardrails, with no AWS call.
//! `--format sarif` prints every finding and spec problem as SARIF 2.1.0 on stdout, for
//! GitHub code scanning, and exits as the text form does.

use ecrform_guardrails::Level;
use ecrform_render::findings::{SarifResult, render_sarif};

use crate::cli::Format;
use crate::commands::guardrails::{self, locate_in, spec_problems};
use crate::commands::{CommandError, Outcome, load_spec};
use crate::context::Context;

pub fn run(context: &Context) -> Result<Outcome, CommandError> {
    if context.output.format == Format::Sarif {
        return sarif(context);
    }
    let spec = load_spec(context)?;
    let evaluation = guardrails::judge_spec(&spec);
    guardrails::report(context, &spec, &evaluation)?;
    let registries = spec.desired.registries.len();
    let repositories: usize = spec
        .desired
        .registries
        .iter()
        .map(|r| r.state.repositories.len())
        .sum();
    if !context.output.is_quiet() {
        println!(
            "{} is valid: {registries} registr{}, {repositories} repositor{}.",
            context.spec.path().display(),
            if registries == 1 { "y" } else { "ies" },
            if repositories == 1 { "y" } else { "ies" },
        );
    }
    Ok(Outcome::Done)
}

/// The spec's problems, or its findings, as SARIF; exit 1 when any is an error.
fn sarif(context: &Context) -> Result<Outcome, CommandError> {
    let spec = match ecrform_spec::load(&context.spec.load_options()) {
        Ok(spec) => spec,
        Err(diagnostics) => {
            print!(
                "{}",
                render_sarif(&spec_problems(&diagnostics.0, Level::Error), crate::VERSION)
            );
            return Err(CommandError::Spec(diagnostics));
        }
    };
    let evaluation = guardrails::judge_spec(&spec);
    let locate = locate_in(&spec);
    let mut results = spec_problems(&spec.warnings, Level::Warning);
    results.extend(
        evaluation
            .findings
            .iter()
            .map(|finding| SarifResult::of_finding(finding, locate(finding))),
    );
    let (exception_errors, exception_warnings) = spec.guardrails.exception_diagnostics(&evaluation);
    results.extend(spec_problems(&exception_errors, Level::Error));
    results.extend(spec_problems(&exception_warnings, Level::Warning));
    let (errors, _) = spec.guardrails.diagnostics(&evaluation);
    print!("{}", render_sarif(&results, crate::VERSION));
    if errors.is_empty() {
        Ok(Outcome::Done)
    } else {
        Err(CommandError::Spec(ecrform_spec::Diagnostics(errors)))
    }
}
