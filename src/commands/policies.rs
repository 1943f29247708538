//! `ecrform policies list|show`: the built-in library of reviewed policy documents
//! (`ecrform_spec::builtin_policies`), so that a spec's author can see what `builtin/NAME`
//! holds, which vars a template takes, and what an IAM document grants, without the source.
//!
//! What a document grants is the model's access matrix of the document filled in with its
//! example vars, read without knowing the repository or registry it will govern (resources
//! are then shown, not matched).

use anyhow::anyhow;
use ecrform_model::IamPolicy;
use ecrform_model::policy::{AccessGrant, AccessScope};
use ecrform_spec::{
    BuiltinPolicy, PolicyKind, builtin_policies, builtin_policy, nearest_builtin_policy,
};
use serde_json::{Value, json};

use crate::cli::{Format, PoliciesCommand, PoliciesShowArgs};
use crate::commands::{CommandError, Outcome};
use crate::context::Context;

pub fn run(context: &Context, command: &PoliciesCommand) -> Result<Outcome, CommandError> {
    let format = context.output.format;
    match command {
        PoliciesCommand::List => print!("{}", list(format)),
        PoliciesCommand::Show(args) => print!("{}", show(format, args)?),
    }
    Ok(Outcome::Done)
}

/// The spec key that takes a document of `kind`.
fn spec_key(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Lifecycle => "lifecycle",
        PolicyKind::Repository => "policy",
        PolicyKind::Registry => "registry_policy",
    }
}

fn var_names(builtin: &BuiltinPolicy) -> String {
    if builtin.vars.is_empty() {
        return "-".to_owned();
    }
    let names: Vec<&str> = builtin.vars.iter().map(|var| var.name).collect();
    names.join(", ")
}

/// How a spec names the document: `lifecycle: builtin/NAME`, or the template with its
/// example vars.
fn usage(builtin: &BuiltinPolicy) -> String {
    let key = spec_key(builtin.kind);
    if !builtin.is_template() {
        return format!("{key}: {}", builtin.reference());
    }
    let vars: Vec<String> = builtin
        .vars
        .iter()
        .map(|var| format!("{}: {}", var.name, var.example))
        .collect();
    format!(
        "{key}: {{template: {}, vars: {{{}}}}}",
        builtin.reference(),
        vars.join(", ")
    )
}

/// What an IAM document grants filled in with its example vars; `None` for a lifecycle
/// policy.
fn example_grants(builtin: &BuiltinPolicy) -> anyhow::Result<Option<Vec<AccessGrant>>> {
    let scope = match builtin.kind {
        PolicyKind::Lifecycle => return Ok(None),
        PolicyKind::Repository => AccessScope::Repository(None),
        PolicyKind::Registry => AccessScope::Registry(None),
    };
    // The library's tests instantiate and validate every document with its example vars.
    let document = builtin
        .instantiate(&builtin.example_vars())
        .map_err(|problem| anyhow!("{} cannot be filled in: {problem}", builtin.reference()))?;
    let policy = IamPolicy::from_value(document)
        .map_err(|error| anyhow!("{} is not a policy: {error}", builtin.reference()))?;
    Ok(Some(policy.access(&scope).grants))
}

fn list(format: Format) -> String {
    let library = builtin_policies();
    match format {
        Format::Text => {
            let width = |field: fn(&BuiltinPolicy) -> String| {
                library.iter().map(|b| field(b).len()).max().unwrap_or(0)
            };
            let (name_width, vars_width) = (width(BuiltinPolicy::reference), width(var_names));
            let mut out = format!(
                "{:name_width$}  {:10}  {:vars_width$}  DESCRIPTION\n",
                "NAME", "KIND", "VARS"
            );
            for builtin in library {
                out.push_str(&format!(
                    "{:name_width$}  {:10}  {:vars_width$}  {}\n",
                    builtin.reference(),
                    builtin.kind.directory(),
                    var_names(builtin),
                    builtin.description
                ));
            }
            out.push_str("\n`ecrform policies show NAME` prints one, with how a spec uses it.\n");
            out
        }
        Format::Markdown => {
            let mut out =
                String::from("| name | kind | vars | what it does |\n| --- | --- | --- | --- |\n");
            for builtin in library {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    builtin.reference(),
                    builtin.kind.directory(),
                    var_names(builtin),
                    builtin.description
                ));
            }
            out
        }
        Format::Json | Format::Sarif => {
            let entries: Vec<Value> = library.iter().map(summary).collect();
            pretty(&json!({ "policies": entries }))
        }
    }
}

fn summary(builtin: &BuiltinPolicy) -> Value {
    let vars: Vec<Value> = builtin
        .vars
        .iter()
        .map(|var| {
            let example: Value = serde_json::from_str(var.example).unwrap_or(Value::Null);
            json!({"name": var.name, "description": var.description, "example": example})
        })
        .collect();
    json!({
        "name": builtin.reference(),
        "kind": builtin.kind.directory(),
        "description": builtin.description,
        "template": builtin.is_template(),
        "vars": vars,
        "path": builtin.path(),
    })
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

fn show(format: Format, args: &PoliciesShowArgs) -> anyhow::Result<String> {
    let Some(builtin) = builtin_policy(&args.name) else {
        let names: Vec<String> = builtin_policies()
            .iter()
            .map(BuiltinPolicy::reference)
            .collect();
        let hint = nearest_builtin_policy(&args.name)
            .map(|found| format!("; did you mean {:?}?", found.reference()))
            .unwrap_or_default();
        return Err(anyhow!(
            "no built-in policy {:?}{hint} (the library has {}; `ecrform policies list` \
             describes them)",
            args.name,
            names.join(", ")
        ));
    };
    let grants = example_grants(builtin)?;
    let kind = format!(
        "{} policy{}",
        builtin.kind.directory(),
        if builtin.is_template() {
            ", template"
        } else {
            ""
        }
    );
    let grants_heading = if builtin.is_template() {
        "With the example vars it grants:"
    } else {
        "It grants:"
    };
    Ok(match format {
        Format::Text => {
            let mut out = format!(
                "{} ({kind})\n{}.\n",
                builtin.reference(),
                builtin.description
            );
            if builtin.is_template() {
                out.push_str("\nVars:\n");
                for var in builtin.vars {
                    out.push_str(&format!(
                        "  {}: {} (example: {})\n",
                        var.name, var.description, var.example
                    ));
                }
            }
            out.push_str(&format!("\nIn a spec:\n  {}\n", usage(builtin)));
            if let Some(grants) = &grants {
                out.push_str(&format!("\n{grants_heading}\n"));
                for grant in grants {
                    out.push_str(&format!("  {grant}\n"));
                }
            }
            out.push_str(&format!("\n{}:\n{}", builtin.path(), builtin.text));
            out
        }
        Format::Markdown => {
            let mut out = format!(
                "### `{}` ({kind})\n\n{}.\n",
                builtin.reference(),
                builtin.description
            );
            if builtin.is_template() {
                out.push_str("\n| var | what to give | example |\n| --- | --- | --- |\n");
                for var in builtin.vars {
                    out.push_str(&format!(
                        "| `{}` | {} | `{}` |\n",
                        var.name, var.description, var.example
                    ));
                }
            }
            out.push_str(&format!(
                "\nIn a spec:\n\n```yaml\n{}\n```\n",
                usage(builtin)
            ));
            if let Some(grants) = &grants {
                out.push_str(&format!("\n{grants_heading}\n\n"));
                for grant in grants {
                    out.push_str(&format!("- {grant}\n"));
                }
            }
            out.push_str(&format!(
                "\n`{}`:\n\n```json\n{}```\n",
                builtin.path(),
                builtin.text
            ));
            out
        }
        Format::Json | Format::Sarif => {
            let mut value = summary(builtin);
            value["usage"] = Value::from(usage(builtin));
            if let Some(grants) = &grants {
                value["example_access"] = serde_json::to_value(grants)?;
            }
            value["text"] = Value::from(builtin.text);
            pretty(&value)
        }
    })
}
