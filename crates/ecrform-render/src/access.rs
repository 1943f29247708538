//! The access lines of a policy change, which reviewers read instead of its diff:
//! `+ 345678901234 (account) can pull`, `- arn:aws:iam::123456789012:role/ci can push`,
//! `! * (anyone in o-abc123) can pull` (a grant to anyone is marked `!`). Each format places
//! them above the change's diff with one call; the words are the model's
//! ([`ecrform_model::policy::AccessGrant::sentence`]), so every format says the same.

use ecrform_plan::Change;

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
    let mut out = String::from("Access:\n\n```diff\n");
    for line in signed {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("```\n\n");
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
