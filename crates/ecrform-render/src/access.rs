//! Access in reports. The access lines of a policy change, which reviewers read instead of its
//! diff:
//! `+ 345678901234 (account) can pull`, `- arn:aws:iam::123456789012:role/ci can push`,
//! `! * (anyone in o-abc123) can pull` (a grant to anyone is marked `!`). Each format places
//! them above the change's diff with one call; the words are the model's
//! ([`ecrform_model::policy::AccessGrant::sentence`]), so every format says the same.
//!
//! And the access matrix `ecrform access` prints: every registry's policies, a line per
//! grant.

use ecrform_model::policy::{PolicyAccess, RegistryAccess};
use ecrform_plan::Change;
use serde::Serialize;

/// What a change that alters no access says.
const UNCHANGED: &str = "access: unchanged (who can do what is the same)";

/// The access lines of `change` for a terminal, at the body's indentation: `access:` and a
/// line per grant the change adds or removes, or the one line saying access is unchanged.
/// Empty for a change that is not a policy change.
pub fn access_lines(change: &Change) -> Vec<String> {
    let Some(signed) = signed_lines(change) else {
        return Vec::new();
    };
    if signed.is_empty() {
        return vec![UNCHANGED.to_owned()];
    }
    std::iter::once("access:".to_owned())
        .chain(signed.into_iter().map(|line| format!("  {line}")))
        .collect()
}

/// The same for a pull-request comment: a `diff` block, so that GitHub colours additions and
/// removals, followed by a blank line. Empty for a change that is not a policy change.
pub fn access_markdown(change: &Change) -> String {
    let Some(signed) = signed_lines(change) else {
        return String::new();
    };
    if signed.is_empty() {
        return format!("{UNCHANGED}\n\n");
    }
    // A condition's value may hold backticks: the fence outgrows them.
    let fence = crate::markdown::fence_for(&signed);
    let mut out = format!("Access:\n\n{fence}diff\n");
    for line in signed {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!("{fence}\n\n"));
    out
}

/// `+ grant`, `- grant`, `! grant`, in the delta's order; `None` without a delta.
fn signed_lines(change: &Change) -> Option<Vec<String>> {
    let delta = change.access.as_ref()?;
    Some(
        delta
            .lines()
            .into_iter()
            .map(|(sign, grant)| format!("{} {grant}", sign.as_str()))
            .collect(),
    )
}

/// Where the policies of an access report come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessSource {
    /// The spec's desired policies.
    Spec,
    /// The policies ECR (or a snapshot) holds.
    Live,
}

impl AccessSource {
    fn as_str(self) -> &'static str {
        match self {
            AccessSource::Spec => "spec",
            AccessSource::Live => "live",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            AccessSource::Spec => "Who can do what under the policies of the spec",
            AccessSource::Live => "Who can do what under the policies ECR holds",
        }
    }
}

/// What a policy that is not there, or not known, means for access.
fn absent_phrase(
    access: &PolicyAccess,
    what: Absent,
    source: AccessSource,
) -> Option<&'static str> {
    match (access, what, source) {
        (PolicyAccess::Present { grants }, _, _) if grants.is_empty() => {
            Some("a policy that grants no ECR access")
        }
        (PolicyAccess::Present { .. }, _, _) => None,
        (PolicyAccess::None, Absent::Repository, _) => {
            Some("no policy: only this account's principals, through their IAM policies")
        }
        (PolicyAccess::None, Absent::Registry, _) => {
            Some("no policy: no other account can replicate into the registry")
        }
        (PolicyAccess::None, Absent::Template, _) => {
            Some("no policy for the repositories it creates")
        }
        (PolicyAccess::Unknown, Absent::Registry, AccessSource::Spec) => {
            Some("not in the spec (access --live reads it from ECR)")
        }
        (PolicyAccess::Unknown, _, AccessSource::Spec) => {
            Some("policy not in the spec (access --live reads it)")
        }
        (PolicyAccess::Unknown, _, AccessSource::Live) => {
            Some("not known (not read: the endpoint or the snapshot does not hold it)")
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Absent {
    Repository,
    Registry,
    Template,
}

/// Every policy of a registry with what it is called in a report, registry-wide first.
fn policies(registry: &RegistryAccess) -> Vec<(String, &PolicyAccess, Absent)> {
    let mut policies = vec![(
        "registry policy".to_owned(),
        &registry.registry_policy,
        Absent::Registry,
    )];
    for (prefix, access) in &registry.creation_templates {
        policies.push((
            format!("creation template {prefix}"),
            access,
            Absent::Template,
        ));
    }
    for (name, access) in &registry.repositories {
        policies.push((name.to_string(), access, Absent::Repository));
    }
    policies
}

/// The access matrix of every registry for a terminal: per registry, the registry policy,
/// the creation templates' policies and each repository's, a line per grant.
pub fn render_access_text(registries: &[RegistryAccess], source: AccessSource) -> String {
    let mut out = format!("{}.\n", source.heading());
    for registry in registries {
        out.push_str(&format!("\n{}\n", registry.registry));
        for (label, access, absent) in policies(registry) {
            match absent_phrase(access, absent, source) {
                Some(phrase) => out.push_str(&format!("  {label}: {phrase}\n")),
                None => {
                    out.push_str(&format!("  {label}:\n"));
                    if let PolicyAccess::Present { grants } = access {
                        for grant in grants {
                            out.push_str(&format!("    {grant}\n"));
                        }
                    }
                }
            }
        }
    }
    out
}

/// The same as a Markdown table per registry, for a pull request or a wiki page.
pub fn render_access_markdown(registries: &[RegistryAccess], source: AccessSource) -> String {
    let mut out = format!("## ecrform access\n\n{}.\n", source.heading());
    for registry in registries {
        out.push_str(&format!(
            "\n### `{}`\n\n| policy | who | can |\n| --- | --- | --- |\n",
            registry.registry
        ));
        for (label, access, absent) in policies(registry) {
            match (absent_phrase(access, absent, source), access) {
                (Some(phrase), _) => {
                    out.push_str(&format!("| {} | | {} |\n", cell(&label), cell(phrase)));
                }
                (None, PolicyAccess::Present { grants }) => {
                    for grant in grants {
                        out.push_str(&format!(
                            "| {} | {} | {} |\n",
                            cell(&label),
                            code_cell(&grant.who()),
                            cell(&grant.what())
                        ));
                    }
                }
                (None, _) => {}
            }
        }
    }
    out
}

/// Text as itself in a table cell: what Markdown would read as emphasis (the `*` of an ARN
/// pattern), a link, HTML or the cell's end is escaped.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text as code in a table cell: delimited by more backticks than it holds, its `|` escaped
/// (GitHub ends a cell at `|` even within code).
fn code_cell(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let delimiter = "`".repeat(longest + 1);
    let padding = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!(
        "{delimiter}{padding}{}{padding}{delimiter}",
        text.replace('|', "\\|")
    )
}

/// `{"source": "spec"|"live", "registries": [{registry, registry_policy, repositories,
/// creation_templates?}]}`, each policy `{"policy": "present", "grants": [...]}`,
/// `{"policy": "none"}` or `{"policy": "unknown"}`.
pub fn render_access_json(registries: &[RegistryAccess], source: AccessSource) -> String {
    #[derive(Serialize)]
    struct Report<'a> {
        source: &'static str,
        registries: &'a [RegistryAccess],
    }
    let report = Report {
        source: source.as_str(),
        registries,
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}
