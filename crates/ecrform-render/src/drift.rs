//! The drift report as people read it: in a terminal, and as Markdown for an issue body. Its
//! words are the report's, not the plan's: an object is **changed** (shown `live -> spec`),
//! **missing** (in the spec, absent live) or **unmanaged** (live, not in the spec), and a tag
//! someone added reads `+ hotfix = yes (not in the spec)`. What the spec's rules set aside is
//! listed as **ignored**, with its rule and reason, never dropped.

use serde_json::Value;

use ecrform_model::{Address, OWNERSHIP_TAG_KEY, RegistryId};
use ecrform_plan::drift::{ChangedObject, DriftReport};

use crate::diff::{ChangeDiff, FieldChange, diff_change, document_hunks};
use crate::layout::{self, Line, Sign};
use crate::markdown::{CommentKey, code_span, comment_marker, escape_inline, fence_for};
use crate::text::{BOLD, Painter, RED, body_line, sign_colour};

/// `Drift: 4 changed, 1 missing, 2 unmanaged (checked 148 objects in 2 registries at
/// 2026-12-01T07:00:00Z)`, with `, N ignored` when rules set anything aside; `No drift: ...`
/// when in sync.
pub fn drift_summary_line(report: &DriftReport) -> String {
    let checked = format!(
        "checked {} object{} in {} regist{} at {}",
        layout::thousands(report.checked.objects),
        layout::plural(report.checked.objects),
        report.checked.registries,
        if report.checked.registries == 1 {
            "ry"
        } else {
            "ries"
        },
        report.checked_at
    );
    let ignored = match report.summary.ignored {
        0 => String::new(),
        n => format!(", {} ignored", layout::thousands(n)),
    };
    if report.in_sync {
        return format!("No drift: live state matches the spec{ignored} ({checked})");
    }
    format!(
        "Drift: {} changed, {} missing, {} unmanaged{ignored} ({checked})",
        layout::thousands(report.summary.changed),
        layout::thousands(report.summary.missing),
        layout::thousands(report.summary.unmanaged),
    )
}

/// The drift JSON (see [`DriftReport`]), pretty, with a trailing newline.
pub fn render_drift_json(report: &DriftReport) -> String {
    // A report serializes to JSON without fail; the guard keeps the function total.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

/// What one registry holds of the report, in report order.
struct RegistrySection<'r> {
    registry: RegistryId,
    changed: Vec<&'r ChangedObject>,
    missing: Vec<&'r Address>,
    unmanaged: Vec<(&'r Address, bool)>,
    ignored: Vec<&'r ecrform_plan::drift::IgnoredObject>,
}

impl RegistrySection<'_> {
    fn is_empty(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.unmanaged.is_empty()
            && self.ignored.is_empty()
    }
}

fn sections(report: &DriftReport) -> Vec<RegistrySection<'_>> {
    let mut registries = report.plan.covered_registries();
    let named = report
        .changed
        .iter()
        .map(|c| &c.address)
        .chain(report.missing.iter().map(|m| &m.address))
        .chain(report.unmanaged.iter().map(|u| &u.address))
        .chain(report.ignored.iter().map(|i| &i.address));
    for address in named {
        if !registries.contains(&address.registry) {
            registries.push(address.registry.clone());
        }
    }
    registries
        .into_iter()
        .map(|registry| RegistrySection {
            changed: report
                .changed
                .iter()
                .filter(|c| c.address.registry == registry)
                .collect(),
            missing: report
                .missing
                .iter()
                .filter(|m| m.address.registry == registry)
                .map(|m| &m.address)
                .collect(),
            unmanaged: report
                .unmanaged
                .iter()
                .filter(|u| u.address.registry == registry)
                .map(|u| (&u.address, u.pruned_by_apply))
                .collect(),
            ignored: report
                .ignored
                .iter()
                .filter(|i| i.address.registry == registry)
                .collect(),
            registry,
        })
        .collect()
}

/// How a changed object differs, `live -> spec`: values as `field: LIVE -> SPEC`, a value or
/// tag only live as `+ ... (not in the spec)`, one only in the spec as `- ... (not set live)`,
/// and documents as a line diff from the spec's (`-`) to live's (`+`).
fn changed_lines(changed: &ChangedObject) -> Vec<Line> {
    // The plan's diff of the same object: `before` is live, `after` the spec.
    let change = ecrform_plan::Change::new(
        changed.address.clone(),
        ecrform_plan::Action::Update,
        changed.fields.clone(),
        changed.live.clone(),
        changed.spec.clone(),
        Vec::new(),
    );
    let mut lines = Vec::new();
    let document = |lines: &mut Vec<Line>, live: Option<&Value>, spec: Option<&Value>, depth| {
        lines.push(Line::new(
            Sign::Elided,
            depth,
            "(- spec, + live)".to_owned(),
        ));
        for hunk in document_hunks(spec, live) {
            lines.extend(layout::hunk_lines(&hunk, depth));
        }
    };
    match diff_change(&change) {
        ChangeDiff::Document(_) => {
            document(&mut lines, changed.live.as_ref(), changed.spec.as_ref(), 0);
        }
        ChangeDiff::Fields(fields) => {
            for field in fields {
                match field.change {
                    FieldChange::Value { before, after } => {
                        let present = |value: Option<Value>, side: Option<&Value>| {
                            value
                                .filter(|v| !v.is_null())
                                .filter(|v| layout::applies_to_mode(&field.name, v, side))
                        };
                        let (sign, text) = match (
                            present(before, changed.live.as_ref()),
                            present(after, changed.spec.as_ref()),
                        ) {
                            (Some(live), Some(spec)) => (
                                Sign::Changed,
                                format!(
                                    "{}: {} -> {}",
                                    field.name,
                                    layout::compact(&live),
                                    layout::compact(&spec)
                                ),
                            ),
                            (Some(live), None) => (
                                Sign::Added,
                                format!(
                                    "{}: {} (not in the spec)",
                                    field.name,
                                    layout::compact(&live)
                                ),
                            ),
                            (None, Some(spec)) => (
                                Sign::Removed,
                                format!(
                                    "{}: {} (not set live)",
                                    field.name,
                                    layout::compact(&spec)
                                ),
                            ),
                            (None, None) => continue,
                        };
                        lines.push(Line::new(sign, 0, text));
                    }
                    FieldChange::Tags(tags) => {
                        let tags: Vec<_> = tags
                            .into_iter()
                            .filter(|tag| tag.key != OWNERSHIP_TAG_KEY)
                            .collect();
                        if tags.is_empty() {
                            continue;
                        }
                        lines.push(Line::new(Sign::Changed, 0, format!("{}:", field.name)));
                        for tag in tags {
                            let (sign, text) = match (tag.before, tag.after) {
                                (Some(live), Some(spec)) => {
                                    (Sign::Changed, format!("{}: {live} -> {spec}", tag.key))
                                }
                                (Some(live), None) => (
                                    Sign::Added,
                                    format!("{} = {live} (not in the spec)", tag.key),
                                ),
                                (None, Some(spec)) => (
                                    Sign::Removed,
                                    format!("{} = {spec} (not set live)", tag.key),
                                ),
                                (None, None) => continue,
                            };
                            lines.push(Line::new(sign, 1, text));
                        }
                    }
                    FieldChange::Document { .. } => {
                        let live = changed.live.as_ref().and_then(|v| v.get(&field.name));
                        let spec = changed.spec.as_ref().and_then(|v| v.get(&field.name));
                        lines.push(Line::new(Sign::Changed, 0, format!("{}:", field.name)));
                        document(
                            &mut lines,
                            live.filter(|v| !v.is_null()),
                            spec.filter(|v| !v.is_null()),
                            1,
                        );
                    }
                }
            }
        }
    }
    lines
}

/// The drift report for a terminal.
pub fn render_drift_text(report: &DriftReport, color: bool) -> String {
    let painter = Painter { color };
    let mut out = String::new();
    out.push_str(&painter.paint(Some(BOLD), &drift_summary_line(report)));
    out.push('\n');
    for section in sections(report) {
        if section.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&painter.paint(
            Some(BOLD),
            &format!("=== {} ===", layout::registry_heading(&section.registry)),
        ));
        out.push_str("\n\n");
        for changed in &section.changed {
            out.push_str(&painter.paint(
                Some(RED),
                &format!("~ changed {} (live -> spec)", changed.address),
            ));
            out.push('\n');
            for line in changed_lines(changed) {
                out.push_str(&painter.paint(sign_colour(line.sign), &body_line(&line)));
                out.push('\n');
            }
            out.push('\n');
        }
        for address in &section.missing {
            out.push_str(&painter.paint(
                Some(RED),
                &format!("- missing {address} (in the spec, absent live)"),
            ));
            out.push('\n');
        }
        for (address, pruned) in &section.unmanaged {
            let note = if *pruned {
                " (carries this spec's ownership tag; apply would prune it)"
            } else {
                ""
            };
            out.push_str(&painter.paint(Some(RED), &format!("+ unmanaged {address}{note}")));
            out.push('\n');
        }
        for ignored in &section.ignored {
            out.push_str(&format!("  ignored {}\n", ignored_phrase(ignored, false)));
        }
    }
    out
}

/// `ADDRESS (changed; drift_ignore repository/team-a/*: REASON)`.
fn ignored_phrase(ignored: &ecrform_plan::drift::IgnoredObject, markdown: bool) -> String {
    let (address, pattern) = if markdown {
        (
            code_span(&ignored.address.to_string()),
            code_span(&ignored.pattern),
        )
    } else {
        (ignored.address.to_string(), ignored.pattern.clone())
    };
    let reason = match &ignored.reason {
        Some(reason) if markdown => format!(": {}", escape_inline(reason)),
        Some(reason) => format!(": {reason}"),
        None => String::new(),
    };
    format!(
        "{address} ({}; {} {pattern}{reason})",
        ignored.drift.as_str(),
        ignored.rule
    )
}

/// The drift report as Markdown for an issue body: a title line with the counts, then each
/// registry's changed, missing, unmanaged and ignored objects. With a key, a hidden marker
/// `<!-- ecrform:drift key=KEY -->` first, so a cron can find and update its own issue.
pub fn render_drift_markdown(report: &DriftReport, key: Option<&CommentKey>) -> String {
    let mut out = String::new();
    if let Some(key) = key {
        out.push_str(&comment_marker("drift", key));
        out.push('\n');
    }
    out.push_str(&format!("## {}\n", drift_summary_line(report)));
    for section in sections(report) {
        if section.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n### {}\n",
            layout::registry_heading(&section.registry)
        ));
        if !section.changed.is_empty() {
            out.push_str(&format!(
                "\n**Changed** ({}, shown live -> spec):\n",
                section.changed.len()
            ));
            for changed in &section.changed {
                out.push_str(&format!(
                    "\n{}\n\n",
                    code_span(&changed.address.to_string())
                ));
                let body: Vec<String> = changed_lines(changed)
                    .iter()
                    .map(crate::markdown::diff_line)
                    .collect();
                let fence = fence_for(&body);
                out.push_str(&format!("{fence}diff\n"));
                for line in &body {
                    out.push_str(line);
                    out.push('\n');
                }
                out.push_str(&format!("{fence}\n"));
            }
        }
        if !section.missing.is_empty() {
            out.push_str(&format!(
                "\n**Missing** ({}, in the spec, absent live):\n\n",
                section.missing.len()
            ));
            for address in &section.missing {
                out.push_str(&format!("- {}\n", code_span(&address.to_string())));
            }
        }
        if !section.unmanaged.is_empty() {
            out.push_str(&format!(
                "\n**Unmanaged** ({}, live, not in the spec):\n\n",
                section.unmanaged.len()
            ));
            for (address, pruned) in &section.unmanaged {
                let note = if *pruned {
                    " (carries this spec's ownership tag; apply would prune it)"
                } else {
                    ""
                };
                out.push_str(&format!("- {}{note}\n", code_span(&address.to_string())));
            }
        }
        if !section.ignored.is_empty() {
            out.push_str(&format!(
                "\n**Ignored** ({}, set aside by the spec's rules, not drift):\n\n",
                section.ignored.len()
            ));
            for ignored in &section.ignored {
                out.push_str(&format!("- {}\n", ignored_phrase(ignored, true)));
            }
        }
    }
    out
}
