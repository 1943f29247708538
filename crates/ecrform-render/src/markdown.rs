//! The Markdown rendering of a plan, for a pull request comment: a summary table, a warning
//! when anything is destructive, and one collapsible `diff` block per change so that a long
//! plan stays reviewable.

use ecrform_plan::Plan;

use crate::layout::{self, Line, ReportKind, Sign};

/// Renders a plan as GitHub-flavoured Markdown.
pub fn render_markdown(plan: &Plan) -> String {
    render_markdown_report(plan, ReportKind::Plan)
}

/// Renders a plan or a drift report as GitHub-flavoured Markdown.
pub fn render_markdown_report(plan: &Plan, kind: ReportKind) -> String {
    let mut out = format!("## {}\n\n", kind.title());
    if plan.is_empty() || kind == ReportKind::Drift {
        out.push_str(&layout::closing_sentence(plan, kind));
        out.push_str("\n\n");
    }
    if !plan.is_empty() {
        out.push_str("| action | count |\n| --- | ---: |\n");
        for (action, count) in layout::summary_rows(&plan.summary) {
            out.push_str(&format!("| {} | {count} |\n", action.as_str()));
        }
        out.push('\n');
        // A lifecycle change is destructive for the images it expires or archives, not for
        // the object it writes: it is counted, but in words of its own.
        let acts_on_images = |change: &&ecrform_plan::Change| {
            change
                .image_preview
                .as_ref()
                .is_some_and(|preview| preview.acts_on_images())
        };
        let destructive = plan
            .changes
            .iter()
            .filter(|change| change.destructive && !acts_on_images(change))
            .count();
        let expiring = plan.changes.iter().filter(acts_on_images).count();
        if destructive > 0 {
            out.push_str(&format!(
                "> **Warning:** this plan deletes or replaces {destructive} object(s).\n\n"
            ));
        }
        if expiring > 0 {
            out.push_str(&format!(
                "> **Warning:** {expiring} lifecycle policy change(s) would expire or archive images \
                 the current policy keeps.\n\n"
            ));
        }
        for change in &plan.changes {
            let body: Vec<String> = layout::change_lines(change).iter().map(diff_line).collect();
            let fence = fence_for(&body);
            out.push_str(&format!(
                "<details><summary><code>{}</code> {} <code>{}</code>{}</summary>\n\n",
                layout::symbol(change.action),
                change.action.as_str(),
                change.address,
                layout::header_suffix(change)
            ));
            for note in layout::notes(change) {
                if note.alarming {
                    out.push_str(&format!("{} {}\n\n", layout::PREVIEW_MARK, note.text));
                } else {
                    out.push_str(&format!("{}\n\n", note.text));
                }
            }
            out.push_str(&crate::access::access_markdown(change));
            out.push_str(&format!("{fence}diff\n"));
            for line in &body {
                out.push_str(line);
                out.push('\n');
            }
            out.push_str(&format!("{fence}\n\n</details>\n\n"));
        }
    }
    if !plan.unmanaged.is_empty() {
        out.push_str(&format!("**{}**\n\n", layout::UNMANAGED_HEADING));
        for address in &plan.unmanaged {
            out.push_str(&format!("- `{address}`\n"));
        }
        out.push('\n');
    }
    if !plan.owned_elsewhere.is_empty() {
        out.push_str(&format!("**{}**\n\n", layout::OWNED_ELSEWHERE_HEADING));
        for owned in &plan.owned_elsewhere {
            out.push_str(&format!(
                "- `{}` (owner {})\n",
                owned.address,
                layout::owner_phrase(&owned.owner)
            ));
        }
        out.push('\n');
    }
    // One trailing newline, not the blank line every section leaves behind it.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// A line of a `diff` block: the sign in the first column, where GitHub looks for it.
fn diff_line(line: &Line) -> String {
    let text = match line.sign {
        // GitHub highlights hunk headers only at the start of a line, nested or not.
        Sign::Hunk => line.text.clone(),
        sign => format!("{} {}{}", sign.as_str(), "  ".repeat(line.depth), line.text),
    };
    text.trim_end().to_owned()
}

/// A code fence longer than any run of backticks in the block, so that a policy containing
/// backticks cannot close the block early.
pub(crate) fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .flat_map(|line| line.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_the_content() {
        assert_eq!(fence_for(&["plain".to_owned()]), "```");
        assert_eq!(fence_for(&["a ```` b".to_owned()]), "`````");
    }
}
