//! The Markdown rendering of a plan, for a pull request comment.
//!
//! It opens with one line a reviewer can act on (the counts and the registries), then names
//! every destructive change with what it destroys, outside any folded block, then every change
//! by registry and repository, each repository folded in a `<details>` (open when it holds a
//! destructive change).
//!
//! A comment has a size limit (GitHub refuses more than 65,536 characters), so the comment is
//! composed at the most detailed level that fits the budget, stepping down one level at a time,
//! each step visible in the comment: long diffs shortened to their hunks (`... N more lines`),
//! then one line per repository or setting for what is not destructive, then one line of counts
//! per registry, and last the list of destructive changes cut short with a count of the rest.
//! The summary and the destructive section are always there, and a shortened comment ends with
//! a line that says what it left out and where the full plan is. Every level is composed whole,
//! so a code block or a `<details>` is never cut in half.

use ecrform_plan::{Change, Plan};

use crate::layout::{self, BodyStyle, Item, Line, RegistryGroup, Sign};

/// The comment size `--max-comment-chars` defaults to: under GitHub's 65,536, with room for
/// what a pipeline wraps around it.
pub const DEFAULT_MAX_COMMENT_CHARS: usize = 65_000;

/// The smallest budget a comment can be asked to fit: the summary, the destructive heading,
/// a count of what is left out and the closing line always fit in it.
pub const MIN_COMMENT_CHARS: usize = 1_000;

/// The longest comment key.
const MAX_KEY_CHARS: usize = 200;

/// The key of the hidden marker `<!-- ecrform:plan key=KEY -->` that lets a pipeline find and
/// update its own comment: letters, digits and `. _ / : @ + = , -`, without `--` (which HTML
/// comments do not allow), at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentKey(String);

impl CommentKey {
    /// A key as `--comment-key` gives it, checked.
    pub fn parse(raw: &str) -> Result<CommentKey, String> {
        if raw.is_empty() {
            return Err("the comment key is empty".to_owned());
        }
        if raw.chars().count() > MAX_KEY_CHARS {
            return Err(format!(
                "the comment key is {} characters long; at most {MAX_KEY_CHARS} are allowed",
                raw.chars().count()
            ));
        }
        if let Some(bad) = raw.chars().find(|c| !is_key_char(*c)) {
            return Err(format!(
                "the comment key {raw:?} contains {bad:?}; use letters, digits and . _ / : @ + = , -"
            ));
        }
        if raw.contains("--") {
            return Err(format!(
                "the comment key {raw:?} contains \"--\", which an HTML comment cannot hold"
            ));
        }
        Ok(CommentKey(raw.to_owned()))
    }

    /// The key a spec path and a `--registry` selection stand for: the path with `\` as `/`,
    /// and `@` with the selected registries in order (`ecr.yaml@123456789012/us-east-1`).
    /// Characters a key cannot hold become `_`.
    pub fn derived(spec_path: &str, registries: &[String]) -> CommentKey {
        let mut raw = spec_path.replace('\\', "/");
        if !registries.is_empty() {
            let mut registries = registries.to_vec();
            registries.sort();
            registries.dedup();
            raw.push('@');
            raw.push_str(&registries.join(","));
        }
        let mut key: String = raw
            .chars()
            .map(|c| if is_key_char(c) { c } else { '_' })
            .collect();
        while key.contains("--") {
            key = key.replace("--", "-");
        }
        // Keep the end, which tells specs apart better than a shared directory prefix.
        let length = key.chars().count();
        if length > MAX_KEY_CHARS {
            key = key.chars().skip(length - MAX_KEY_CHARS).collect();
        }
        if key.is_empty() {
            key.push('_');
        }
        CommentKey(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CommentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._/:@+=,-".contains(c)
}

/// The hidden first line of a comment: `<!-- ecrform:plan key=KEY -->`.
pub fn comment_marker(kind: &str, key: &CommentKey) -> String {
    format!("<!-- ecrform:{kind} key={key} -->")
}

/// How a plan comment is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentOptions {
    /// The marker's key; no marker without one.
    pub key: Option<CommentKey>,
    /// The most characters the comment may have; `None` for no limit.
    pub max_chars: Option<usize>,
    /// Where the plan was saved (`plan --out FILE`), for the line that says where the full
    /// plan is.
    pub saved_plan: Option<String>,
    /// The guardrails section the comment ends with (see [`crate::findings`]), shortened with
    /// the rest of the comment to fit.
    pub guardrails: Option<crate::findings::PlanFindings>,
}

impl Default for CommentOptions {
    fn default() -> Self {
        CommentOptions {
            key: None,
            max_chars: Some(DEFAULT_MAX_COMMENT_CHARS),
            saved_plan: None,
            guardrails: None,
        }
    }
}

/// A plan comment, and how it came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    /// Its length in characters (what GitHub counts).
    pub chars: usize,
    /// Whether a detail was left out to fit the budget.
    pub shortened: bool,
    /// Whether it fits the budget (it always does but for a budget below what the summary and
    /// the closing line need).
    pub fits: bool,
}

/// Renders a plan as GitHub-flavoured Markdown, in full.
pub fn render_markdown(plan: &Plan) -> String {
    compose(
        plan,
        &CommentOptions {
            max_chars: None,
            ..CommentOptions::default()
        },
        Detail::Full,
        usize::MAX,
    )
}

/// Renders a plan as a pull request comment that fits `options.max_chars`, stepping down
/// from full detail one level at a time (see the module documentation).
pub fn render_plan_comment(plan: &Plan, options: &CommentOptions) -> Comment {
    let Some(budget) = options.max_chars else {
        return finished(
            compose(plan, options, Detail::Full, usize::MAX),
            false,
            true,
        );
    };
    for detail in [
        Detail::Full,
        Detail::ShortDiffs,
        Detail::DestructiveOnly,
        Detail::Counts {
            compact: false,
            shapes: true,
            listed: None,
        },
        Detail::Counts {
            compact: true,
            shapes: true,
            listed: None,
        },
        Detail::Counts {
            compact: true,
            shapes: false,
            listed: None,
        },
    ] {
        let text = compose(plan, options, detail, cap(budget));
        if chars(&text) <= budget {
            return finished(text, detail != Detail::Full, true);
        }
    }
    // Even the counts are too long: the destructive list is cut to what fits.
    let destructive = layout::destructive_changes(plan).len();
    let at = |listed| {
        compose(
            plan,
            options,
            Detail::Counts {
                compact: true,
                shapes: false,
                listed: Some(listed),
            },
            cap(budget),
        )
    };
    let (mut fitting, mut too_many) = (0, destructive);
    if chars(&at(0)) > budget {
        return finished(at(0), true, false);
    }
    while too_many - fitting > 1 {
        let middle = fitting + (too_many - fitting) / 2;
        if chars(&at(middle)) <= budget {
            fitting = middle;
        } else {
            too_many = middle;
        }
    }
    finished(at(fitting), true, true)
}

fn finished(text: String, shortened: bool, fits: bool) -> Comment {
    Comment {
        chars: chars(&text),
        text,
        shortened,
        fits,
    }
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// How much of the guardrails section a level of detail shows: all of it with every change,
/// the findings a change introduces when only destructive changes are listed, the counts when
/// changes are counted.
fn findings_detail(detail: Detail) -> crate::findings::FindingsDetail {
    match detail {
        Detail::Full | Detail::ShortDiffs => crate::findings::FindingsDetail::Full,
        Detail::DestructiveOnly => crate::findings::FindingsDetail::Introduced,
        Detail::Counts { .. } => crate::findings::FindingsDetail::Counts,
    }
}

/// How much of the plan a comment shows, most first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Every change with its whole diff.
    Full,
    /// Every change, long diffs shortened to their hunks.
    ShortDiffs,
    /// Destructive changes with shortened diffs; everything else one line each, and the
    /// unmanaged objects counted.
    DestructiveOnly,
    /// One line of counts per registry, with the kinds of change it holds when `shapes`;
    /// destructive changes named with their whole reason, or `compact`ly with its gist;
    /// `listed` of them named (`None`: all).
    Counts {
        compact: bool,
        shapes: bool,
        listed: Option<usize>,
    },
}

/// A length in bytes beyond which a text has more than `budget` characters (a character is
/// at most four bytes), so composing can stop there.
fn cap(budget: usize) -> usize {
    budget.saturating_mul(4)
}

/// The comment at one level of detail. Composing stops once the text is longer than `cap`
/// bytes: what comes out then is only known to be too long.
fn compose(plan: &Plan, options: &CommentOptions, detail: Detail, cap: usize) -> String {
    let mut out = String::new();
    if let Some(key) = &options.key {
        out.push_str(&comment_marker("plan", key));
        out.push('\n');
    }
    out.push_str(&format!(
        "**{}** — {}\n\n",
        layout::PLAN_TITLE,
        layout::summary_counts(plan)
    ));

    let destructive = layout::destructive_changes(plan);
    let (compact, listed) = match detail {
        Detail::Counts {
            compact, listed, ..
        } => (
            compact,
            listed.map_or(destructive.len(), |listed| listed.min(destructive.len())),
        ),
        _ => (false, destructive.len()),
    };
    if !destructive.is_empty() {
        out.push_str(&format!(
            "**{}** ({}):\n\n",
            layout::DESTRUCTIVE_HEADING,
            layout::thousands(destructive.len())
        ));
        for change in &destructive[..listed] {
            if compact {
                out.push_str(&format!(
                    "- {} {}: {}\n",
                    code_span(layout::symbol(change.action)),
                    code_span(&change.address.to_string()),
                    escape_inline(&layout::short_destructive_reason(change))
                ));
            } else {
                out.push_str(&format!(
                    "- {} {} {}: {}\n",
                    code_span(layout::symbol(change.action)),
                    change.action.as_str(),
                    code_span(&change.address.to_string()),
                    code_span(&layout::destructive_reason(change))
                ));
            }
        }
        if listed < destructive.len() {
            let rest = destructive.len() - listed;
            let line = if listed == 0 {
                format!(
                    "- {} destructive change{}, not named here to fit the comment: they are in \
                     the text output",
                    layout::thousands(rest),
                    layout::plural(rest)
                )
            } else {
                format!(
                    "- ... and {} more destructive change{}, listed in the text output",
                    layout::thousands(rest),
                    layout::plural(rest)
                )
            };
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }

    let groups = layout::registry_groups(plan);
    let mut shortened_diffs = 0;
    let mut one_line = 0;
    match detail {
        Detail::Counts { shapes, .. } => {
            if !plan.is_empty() {
                out.push_str(
                    "**By registry** (changes counted, not listed, to fit the comment):\n\n",
                );
                for group in &groups {
                    out.push_str(&format!(
                        "- {}: {}\n",
                        code_span(&group.registry.to_string()),
                        group_counts(group)
                    ));
                    if shapes {
                        for line in shape_lines(group) {
                            out.push_str(&format!("  - {line}\n"));
                        }
                    }
                }
                out.push('\n');
            }
        }
        _ => {
            for group in &groups {
                if plan.is_empty() && group.unmanaged.is_empty() && group.owned_elsewhere.is_empty()
                {
                    continue;
                }
                let (shortened, lines) = push_group(&mut out, plan, group, detail, cap);
                if out.len() > cap {
                    return out;
                }
                shortened_diffs += shortened;
                one_line += lines;
            }
        }
    }

    let mut left_out = Vec::new();
    if let Some(findings) = &options.guardrails {
        let (section, shortened) =
            crate::findings::plan_findings_comment_section(findings, findings_detail(detail));
        out.push_str(&section);
        left_out.extend(shortened);
        if out.len() > cap {
            return out;
        }
    }
    if shortened_diffs > 0 {
        left_out.push(format!(
            "long diffs of {} change{} cut to their first lines",
            layout::thousands(shortened_diffs),
            layout::plural(shortened_diffs)
        ));
    }
    if one_line > 0 {
        left_out.push(format!(
            "{} repositor{} and settings that destroy nothing shown in one line each, without \
             their diffs",
            layout::thousands(one_line),
            if one_line == 1 { "y" } else { "ies" }
        ));
    }
    if detail == Detail::DestructiveOnly {
        let unmanaged: usize = groups
            .iter()
            .map(|g| g.unmanaged.len() + g.owned_elsewhere.len())
            .sum();
        if unmanaged > 0 {
            left_out.push("unmanaged repositories counted, not named".to_owned());
        }
    }
    if let Detail::Counts { shapes, .. } = detail {
        left_out.push(if shapes {
            "every change counted per registry and kind, not listed".to_owned()
        } else {
            "every change counted per registry, not listed".to_owned()
        });
        if compact && listed > 0 {
            left_out.push("destructive changes named with the gist of their reason".to_owned());
        }
        if listed == 0 && !destructive.is_empty() {
            left_out.push("no destructive change named, only counted".to_owned());
        } else if listed < destructive.len() {
            left_out.push(format!(
                "{} of the {} destructive changes not named",
                layout::thousands(destructive.len() - listed),
                layout::thousands(destructive.len())
            ));
        }
    }
    if !left_out.is_empty() {
        let budget = options.max_chars.map_or_else(String::new, |max| {
            format!(" {} characters", layout::thousands(max))
        });
        let full = match &options.saved_plan {
            Some(path) => format!(
                "the saved plan {} and in the text output (`ecrform plan`)",
                code_span(path)
            ),
            None => "the text output (`ecrform plan`)".to_owned(),
        };
        out.push_str(&format!(
            "_Shortened to fit{budget}: {}. The full plan is in {full}._\n",
            left_out.join("; ")
        ));
    }
    // One trailing newline, not the blank line every section leaves behind it.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// The most kinds of change listed under a registry's counts.
const MAX_SHAPES: usize = 10;

/// What kinds of change a registry holds, most frequent first: `2,500 repositories: update
/// repository (tags) · update repository policy`, `1 setting: update scanning`.
fn shape_lines(group: &RegistryGroup<'_>) -> Vec<String> {
    let mut shapes: std::collections::BTreeMap<(bool, String), usize> =
        std::collections::BTreeMap::new();
    for item in &group.items {
        let shape = match item {
            Item::Repository { changes, .. } => (
                true,
                changes
                    .iter()
                    .map(|change| layout::change_phrase(change))
                    .collect::<Vec<_>>()
                    .join(" · "),
            ),
            Item::Setting(change) => (false, layout::change_phrase(change)),
        };
        *shapes.entry(shape).or_default() += 1;
    }
    let mut shapes: Vec<((bool, String), usize)> = shapes.into_iter().collect();
    shapes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut lines: Vec<String> = shapes
        .iter()
        .take(MAX_SHAPES)
        .map(|((repository, shape), count)| {
            let what = match (repository, count) {
                (true, 1) => "repository",
                (true, _) => "repositories",
                (false, 1) => "setting",
                (false, _) => "settings",
            };
            format!(
                "{} {what}: {}",
                layout::thousands(*count),
                escape_inline(shape)
            )
        })
        .collect();
    if shapes.len() > MAX_SHAPES {
        let rest: usize = shapes[MAX_SHAPES..].iter().map(|(_, count)| count).sum();
        lines.push(format!(
            "{} more in {} other kinds of change",
            layout::thousands(rest),
            layout::thousands(shapes.len() - MAX_SHAPES)
        ));
    }
    lines
}

/// `3 to create, 40 to update, 1 to replace, 2 to delete; 12 unmanaged`.
fn group_counts(group: &RegistryGroup<'_>) -> String {
    let mut counts = if group.has_changes() {
        layout::action_counts(&group.summary())
    } else {
        "no changes".to_owned()
    };
    if !group.unmanaged.is_empty() {
        counts.push_str(&format!(
            "; {} unmanaged",
            layout::thousands(group.unmanaged.len())
        ));
    }
    if !group.owned_elsewhere.is_empty() {
        counts.push_str(&format!(
            "; {} owned by another spec",
            layout::thousands(group.owned_elsewhere.len())
        ));
    }
    counts
}

/// One registry's section. Returns how many changes had their diff shortened and how many
/// items were put in one line.
fn push_group(
    out: &mut String,
    plan: &Plan,
    group: &RegistryGroup<'_>,
    detail: Detail,
    cap: usize,
) -> (usize, usize) {
    out.push_str(&format!(
        "### {}\n\n",
        layout::registry_heading(&group.registry)
    ));
    if !group.has_changes() && !plan.is_empty() {
        out.push_str("No changes.\n\n");
    }
    let style = match detail {
        Detail::Full => BodyStyle::FULL,
        _ => BodyStyle::SHORT,
    };
    let mut shortened = 0;
    let mut one_line = 0;
    let mut in_list = false;
    if detail == Detail::DestructiveOnly && group.items.iter().any(|item| !item.is_destructive()) {
        out.push_str(
            "_Changes that destroy nothing are shown one line each, without their diffs, to fit \
             the comment._\n\n",
        );
    }
    for item in &group.items {
        if out.len() > cap {
            break;
        }
        if detail == Detail::DestructiveOnly && !item.is_destructive() {
            out.push_str(&format!("- {}\n", item_line(item)));
            in_list = true;
            one_line += 1;
            continue;
        }
        if in_list {
            out.push('\n');
            in_list = false;
        }
        shortened += push_details(out, item, style);
    }
    if in_list {
        out.push('\n');
    }
    let counted = detail == Detail::DestructiveOnly;
    if !group.unmanaged.is_empty() {
        let names: Vec<String> = group
            .unmanaged
            .iter()
            .map(|address| code_span(address.name().unwrap_or(address.kind.as_str())))
            .collect();
        out.push_str(&format!(
            "**Unmanaged** (exist but not in the spec, never touched): {}\n\n",
            if counted {
                repositories_phrase(names.len())
            } else {
                names.join(", ")
            }
        ));
    }
    if !group.owned_elsewhere.is_empty() {
        let owned: Vec<String> = group
            .owned_elsewhere
            .iter()
            .map(|owned| {
                format!(
                    "{} (owner {})",
                    code_span(owned.address.name().unwrap_or(owned.address.kind.as_str())),
                    escape_inline(&layout::owner_phrase(&owned.owner))
                )
            })
            .collect();
        out.push_str(&format!(
            "**Owned by another spec** (its ownership tag names another owner id; never \
             touched): {}\n\n",
            if counted {
                repositories_phrase(owned.len())
            } else {
                owned.join(", ")
            }
        ));
    }
    (shortened, one_line)
}

/// `1 repository`, `1,234 repositories`.
fn repositories_phrase(count: usize) -> String {
    match count {
        1 => "1 repository".to_owned(),
        n => format!("{} repositories", layout::thousands(n)),
    }
}

/// A repository's changes or a registry-wide change in one line, for a list.
fn item_line(item: &Item<'_>) -> String {
    match item {
        Item::Repository { name, changes } => format!(
            "{}: {}",
            code_span(name.as_str()),
            changes
                .iter()
                .map(|change| layout::change_phrase(change))
                .collect::<Vec<_>>()
                .join(" · ")
        ),
        Item::Setting(change) => format!(
            "{} {} {}{}",
            code_span(layout::symbol(change.action)),
            change.action.as_str(),
            code_span(&change.address.to_string()),
            escape_inline(&layout::header_suffix(change))
        ),
    }
}

/// One folded block: a repository with its changes, or a registry-wide change. Open when it
/// holds a destructive change. Returns how many diffs `style` shortened.
fn push_details(out: &mut String, item: &Item<'_>, style: BodyStyle) -> usize {
    let open = if item.is_destructive() { " open" } else { "" };
    let summary = match item {
        Item::Repository { name, changes } => format!(
            "<code>{}</code>: {}",
            html_escape(name.as_str()),
            html_escape(
                &changes
                    .iter()
                    .map(|change| layout::change_phrase(change))
                    .collect::<Vec<_>>()
                    .join(" · ")
            )
        ),
        Item::Setting(change) => format!(
            "<code>{}</code> {} <code>{}</code>{}",
            html_escape(layout::symbol(change.action)),
            change.action.as_str(),
            html_escape(&change.address.to_string()),
            html_escape(&layout::header_suffix(change))
        ),
    };
    out.push_str(&format!("<details{open}><summary>{summary}</summary>\n\n"));
    let mut shortened = 0;
    for change in item.changes() {
        if let Item::Repository { .. } = item {
            out.push_str(&code_span(&format!(
                "{} {} {}{}",
                layout::symbol(change.action),
                change.action.as_str(),
                change.address,
                layout::header_suffix(change)
            )));
            out.push_str("\n\n");
        }
        shortened += push_body(out, change, style);
    }
    out.push_str("</details>\n\n");
    shortened
}

/// A change's notes and its diff block. Returns 1 when `style` shortened the diff.
fn push_body(out: &mut String, change: &Change, style: BodyStyle) -> usize {
    for note in layout::notes(change) {
        let text = escape_inline(&note.text);
        if note.alarming {
            out.push_str(&format!("{} {text}\n\n", layout::PREVIEW_MARK));
        } else {
            out.push_str(&format!("{text}\n\n"));
        }
    }
    // Who gains or loses access, above the diff: what a reviewer reads first.
    out.push_str(&crate::access::access_markdown(change));
    let lines = layout::change_lines(change, style);
    if lines.is_empty() {
        return 0;
    }
    let shortened =
        style != BodyStyle::FULL && layout::change_lines(change, BodyStyle::FULL) != lines;
    let body: Vec<String> = lines.iter().map(diff_line).collect();
    let fence = fence_for(&body);
    out.push_str(&format!("{fence}diff\n"));
    for line in &body {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!("{fence}\n\n"));
    usize::from(shortened)
}

/// A line of a `diff` block: the sign in the first column, where GitHub looks for it.
pub(crate) fn diff_line(line: &Line) -> String {
    let text = match line.sign {
        // GitHub highlights hunk headers only at the start of a line, nested or not.
        Sign::Hunk | Sign::Elided => line.text.clone(),
        sign => format!("{} {}{}", sign.as_str(), "  ".repeat(line.depth), line.text),
    };
    text.trim_end().to_owned()
}

/// A code fence longer than any run of backticks in the block, so that a policy containing
/// backticks cannot close the block early.
pub(crate) fn fence_for(lines: &[String]) -> String {
    "`".repeat(longest_backtick_run(lines.iter().map(String::as_str)).max(2) + 1)
}

fn longest_backtick_run<'a>(texts: impl IntoIterator<Item = &'a str>) -> usize {
    texts
        .into_iter()
        .flat_map(|text| text.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// `text` as a Markdown code span, whatever backticks it holds.
pub(crate) fn code_span(text: &str) -> String {
    let ticks = "`".repeat(longest_backtick_run([text]) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// Text for inside HTML (`<summary>`).
pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Free text in Markdown, its punctuation taken literally (a tag `dev-*` is no emphasis).
pub(crate) fn escape_inline(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<|~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_the_content() {
        assert_eq!(fence_for(&["plain".to_owned()]), "```");
        assert_eq!(fence_for(&["a ```` b".to_owned()]), "`````");
    }

    #[test]
    fn code_spans_hold_any_backticks() {
        assert_eq!(code_span("plain"), "`plain`");
        assert_eq!(code_span("a ` b"), "``a ` b``");
        assert_eq!(code_span("`edge"), "`` `edge ``");
    }

    #[test]
    fn comment_keys_are_checked_and_derived_keys_always_valid() {
        assert!(CommentKey::parse("prod/ecr.yaml@123456789012/us-east-1").is_ok());
        for bad in ["", "a b", "a--b", "x>y", &"k".repeat(201)] {
            assert!(CommentKey::parse(bad).is_err(), "{bad:?}");
        }
        let cases = [
            ("ecr.yaml", vec![], "ecr.yaml"),
            (
                "specs\\prod",
                vec![
                    "210987654321/eu-west-1".to_owned(),
                    "123456789012/us-east-1".to_owned(),
                ],
                "specs/prod@123456789012/us-east-1,210987654321/eu-west-1",
            ),
            ("my spec--v2.yaml", vec![], "my_spec-v2.yaml"),
            ("", vec![], "_"),
        ];
        for (path, registries, expected) in cases {
            let key = CommentKey::derived(path, &registries);
            assert_eq!(key.as_str(), expected);
            assert!(CommentKey::parse(key.as_str()).is_ok(), "{key}");
        }
        let long = CommentKey::derived(&format!("{}/ecr.yaml", "d".repeat(300)), &[]);
        assert_eq!(long.as_str().chars().count(), 200);
        assert!(long.as_str().ends_with("/ecr.yaml"));
    }

    #[test]
    fn inline_text_escapes_markdown_punctuation() {
        assert_eq!(escape_inline("dev-* and a_b"), "dev-\\* and a\\_b");
    }
}
