//! `ecrform registries`: the spec's registries (after `--registry`), for a CI matrix that
//! runs one job per registry. No AWS call.
//!
//! Text is one address a line, for shell loops; JSON is one line, an array of
//! `{account, region, address}`, which GitHub Actions' `fromJSON` takes as a matrix; Markdown a
//! table.

use serde::Serialize;

use crate::cli::Format;
use crate::commands::{CommandError, Outcome, load_spec};
use crate::context::Context;

/// One registry, as the matrix job needs it: `address` is what `--registry` takes.
#[derive(Debug, Serialize)]
struct Listed {
    account: String,
    region: String,
    address: String,
}

pub fn run(context: &Context) -> Result<Outcome, CommandError> {
    let spec = load_spec(context)?;
    let listed: Vec<Listed> = spec
        .desired
        .registries
        .iter()
        .map(|registry| Listed {
            account: registry.state.account.to_string(),
            region: registry.state.region.to_string(),
            address: registry.state.id().to_string(),
        })
        .collect();
    print!("{}", render(context.output.format, &listed)?);
    Ok(Outcome::Done)
}

fn render(format: Format, listed: &[Listed]) -> anyhow::Result<String> {
    Ok(match format {
        Format::Text => listed
            .iter()
            .map(|registry| format!("{}\n", registry.address))
            .collect(),
        Format::Json | Format::Sarif => format!("{}\n", serde_json::to_string(listed)?),
        Format::Markdown => {
            let mut table = String::from("| account | region | address |\n| --- | --- | --- |\n");
            for registry in listed {
                table.push_str(&format!(
                    "| {} | {} | `{}` |\n",
                    registry.account, registry.region, registry.address
                ));
            }
            table
        }
    })
}
