//! The wording both renderers share: a change's diff laid out as signed lines, the symbols of
//! actions, the summary line, why a destructive change destroys, how a plan groups by registry
//! and repository, and the fixed sentences. The terminal renderer indents and colours these
//! lines; the Markdown renderer puts them in `diff` blocks. Keeping the words here means the
//! outputs say the same thing.
//!
//! Noise is left out here, once for every format: exclusion filters of a mutability mode that
//! takes none, the ownership tag (ecrform's bookkeeping, never the user's), an image preview
//! of a repository that holds no images, and the whole document of a policy that a replace
//! writes back unchanged.

use serde_json::Value;

use ecrform_model::{
    Address, OWNERSHIP_TAG_KEY, RegistryId, RegistryWideKind, RepositoryName, ResourceKind,
    TagMutability,
};
use ecrform_plan::{Action, Change, ImagePreview, OwnedElsewhere, Plan, Summary, field};

use crate::diff::{CONTEXT_LINES, ChangeDiff, FieldChange, Hunk, LineOp, diff_change_with};

/// Heading of the list of objects that exist but are not in the spec.
pub(crate) const UNMANAGED_HEADING: &str = "Unmanaged (exist but not in the spec, never touched):";
/// How an owner id is named: the legacy owner's `true` says what it means.
pub(crate) fn owner_phrase(owner: &str) -> String {
    if owner == ecrform_model::OWNERSHIP_TAG_VALUE {
        format!("{owner}, a spec that declares no owner id")
    } else {
        owner.to_owned()
    }
}

pub(crate) const OWNED_ELSEWHERE_HEADING: &str =
    "Owned by another spec (its ownership tag names another owner id; never touched):";
/// What an empty plan says.
pub(crate) const NO_CHANGES: &str = "No changes. Live state matches the spec.";
/// Heading of the list of destructive changes, which every format puts first.
pub(crate) const DESTRUCTIVE_HEADING: &str = "Destructive changes";
/// What a policy document a replace writes back as it was says instead of the document.
pub(crate) const RECREATED_UNCHANGED: &str = "re-created unchanged";

/// The title of a plan in every format.
pub(crate) const PLAN_TITLE: &str = "ecrform plan";

/// The last line of a plan: what scripts and people read first.
pub(crate) fn closing_sentence(plan: &Plan) -> String {
    if plan.is_empty() {
        NO_CHANGES.to_owned()
    } else {
        summary_sentence(&plan.summary)
    }
}

/// The counts a reviewer acts on, after the title: `3 to create, 40 to update, 1 to replace,
/// 2 to delete · registries: 2` (`no changes · registries: 1` for an empty plan).
pub(crate) fn summary_counts(plan: &Plan) -> String {
    let registries = plan.covered_registries().len();
    if plan.is_empty() {
        return format!("no changes · registries: {registries}");
    }
    format!(
        "{} · registries: {registries}",
        action_counts(&plan.summary)
    )
}

/// `3 to create, 40 to update, 1 to replace, 2 to delete`.
pub(crate) fn action_counts(summary: &Summary) -> String {
    format!(
        "{} to create, {} to update, {} to replace, {} to delete",
        thousands(summary.create),
        thousands(summary.update),
        thousands(summary.replace),
        thousands(summary.delete)
    )
}

/// `65,000`: counts and sizes as people read them.
pub(crate) fn thousands(number: usize) -> String {
    let digits = number.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// The mark in front of [`image_preview_sentence`] and the other notes of a change, where a
/// sign would be.
pub(crate) const PREVIEW_MARK: &str = "!";

/// What follows a change's address in its header: what a delete or replace destroys,
/// `(holds 12 images, 1.4 GiB)`, when the images were read; `(re-created unchanged)` for a
/// policy a replace writes back as it was.
pub(crate) fn header_suffix(change: &Change) -> String {
    if change.recreated_unchanged {
        return format!(" ({RECREATED_UNCHANGED})");
    }
    match &change.images {
        Some(images) => format!(" ({})", images.holds_phrase()),
        None => String::new(),
    }
}

/// A sentence about a change that the diff does not show, for under its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    /// Marked with [`PREVIEW_MARK`] and shown as a warning: the change loses data or fails.
    pub alarming: bool,
    pub text: String,
}

/// Every note of a change, most important first: why it fails, why it is a replace, what a
/// lifecycle change does to images. A preview of a repository that holds no image says
/// nothing and is left out.
pub(crate) fn notes(change: &Change) -> Vec<Note> {
    let mut notes = Vec::new();
    if let Some(problem) = change.blocking_problem() {
        notes.push(Note {
            alarming: true,
            text: format!("would fail: {problem}"),
        });
    }
    if let Some(reason) = &change.replace_reason {
        notes.push(Note {
            alarming: false,
            text: format!("forces replacement: {reason}"),
        });
    }
    if let Some(restores) = &change.restores {
        notes.push(Note {
            alarming: false,
            text: format!("restores {restores}"),
        });
    }
    if let Some(preview) = change.image_preview.as_ref().filter(|p| p.images > 0) {
        notes.push(Note {
            alarming: preview.acts_on_images(),
            text: image_preview_sentence(preview),
        });
    }
    notes
}

/// What a lifecycle change would do to the images read at plan time:
/// `would expire 3 image(s) and archive 0 that the current policy keeps (of 7 read): v1, v2`.
pub(crate) fn image_preview_sentence(preview: &ImagePreview) -> String {
    if !preview.acts_on_images() {
        return format!(
            "would expire or archive no image that the current policy keeps (of {} read)",
            preview.images
        );
    }
    let mut sentence = format!(
        "would expire {} image(s) and archive {} that the current policy keeps (of {} read)",
        preview.expire, preview.transition, preview.images
    );
    sentence.push_str(&examples_phrase(preview));
    sentence
}

/// `: v1.0, v1.1, ...`: the examples of a preview, and whether there are more.
fn examples_phrase(preview: &ImagePreview) -> String {
    if preview.examples.is_empty() {
        return String::new();
    }
    let mut phrase = format!(": {}", preview.examples.join(", "));
    if preview.expire + preview.transition > preview.examples.len() {
        phrase.push_str(", ...");
    }
    phrase
}

/// `1 image`, `12 images`.
fn images_phrase(count: usize) -> String {
    match count {
        1 => "1 image".to_owned(),
        n => format!("{} images", thousands(n)),
    }
}

/// Why a destructive change destroys something, in one line for the list of destructive
/// changes: `holds 12 images, 1.4 GiB`, `forces replacement: encryption AES256 -> KMS (...)`,
/// `expires 7 of 12 images: v1.1, v1.2, ...`, `deletes the registry policy`: what it does,
/// what that destroys, and last whether ECR would refuse it.
pub(crate) fn destructive_reason(change: &Change) -> String {
    let mut clauses = Vec::new();
    match &change.replace_reason {
        Some(reason) => clauses.push(format!("forces replacement: {reason}")),
        None if change.action == Action::Replace => {
            clauses.push("deletes it and creates it again".to_owned());
        }
        None => {}
    }
    if let Some(preview) = change
        .image_preview
        .as_ref()
        .filter(|preview| preview.acts_on_images())
    {
        clauses.push(format!(
            "{}{}",
            preview_gist(preview),
            examples_phrase(preview)
        ));
    }
    if change.action == Action::Delete {
        clauses.push(deletion_phrase(&change.address));
    }
    match (&change.images, change.blocking_problem()) {
        // The problem already says what it holds.
        (Some(_), Some(_)) => {}
        (Some(images), None) => clauses.push(images.holds_phrase()),
        (None, _) if change.address.kind == ResourceKind::Repository => {
            clauses.push("its images were not read".to_owned());
        }
        (None, _) => {}
    }
    if let Some(problem) = change.blocking_problem() {
        clauses.push(format!("would fail: {problem}"));
    }
    if clauses.is_empty() {
        clauses.push("loses data".to_owned());
    }
    clauses.join("; ")
}

/// The gist of [`destructive_reason`], for a list that must be short: `pruned, holds 12
/// images, 1.4 GiB`, `forces replacement`, `expires 7 of 12 images`, `would fail`.
pub(crate) fn short_destructive_reason(change: &Change) -> String {
    let mut clauses = Vec::new();
    match change.action {
        Action::Replace => clauses.push("forces replacement".to_owned()),
        Action::Delete if change.address.kind == ResourceKind::Repository => {
            clauses.push("pruned".to_owned());
        }
        Action::Delete => clauses.push("deleted".to_owned()),
        Action::Create | Action::Update => {}
    }
    if let Some(preview) = change
        .image_preview
        .as_ref()
        .filter(|preview| preview.acts_on_images())
    {
        clauses.push(preview_gist(preview));
    }
    if let Some(images) = &change.images {
        clauses.push(images.holds_phrase());
    }
    if change.blocking_problem().is_some() {
        clauses.push("would fail".to_owned());
    }
    clauses.join(", ")
}

/// `expires 7 of 12 images`, `archives 2 of 12 images`, `expires 7 and archives 2 of 12
/// images`.
fn preview_gist(preview: &ImagePreview) -> String {
    let acts = match (preview.expire, preview.transition) {
        (expire, 0) => format!("expires {expire}"),
        (0, transition) => format!("archives {transition}"),
        (expire, transition) => format!("expires {expire} and archives {transition}"),
    };
    format!("{acts} of {}", images_phrase(preview.images))
}

/// What deleting the object at `address` removes, and why when the spec did not say `none`.
fn deletion_phrase(address: &Address) -> String {
    match address.kind {
        ResourceKind::Repository => {
            "left the spec and is pruned: deletes the repository".to_owned()
        }
        ResourceKind::LifecyclePolicy => "deletes the lifecycle policy".to_owned(),
        ResourceKind::RepositoryPolicy => "deletes the repository policy".to_owned(),
        ResourceKind::RegistryWide(kind) => match kind {
            RegistryWideKind::Replication => "removes every replication rule".to_owned(),
            RegistryWideKind::RegistryPolicy => "deletes the registry policy".to_owned(),
            RegistryWideKind::SigningConfiguration => {
                "deletes the signing configuration".to_owned()
            }
            RegistryWideKind::PullThroughCache => {
                "left the spec: deletes the pull-through cache rule".to_owned()
            }
            RegistryWideKind::CreationTemplates => {
                "left the spec: deletes the repository creation template".to_owned()
            }
            RegistryWideKind::PullTimeUpdateExclusions => {
                "left the spec: deregisters the pull-time update exclusion".to_owned()
            }
            RegistryWideKind::Scanning | RegistryWideKind::AccountSettings => {
                format!("deletes the {}", kind.address_kind().replace('_', " "))
            }
        },
    }
}

/// The changes to list under [`DESTRUCTIVE_HEADING`], in plan order.
pub(crate) fn destructive_changes(plan: &Plan) -> Vec<&Change> {
    plan.changes
        .iter()
        .filter(|change| change.destructive || change.blocking_problem().is_some())
        .collect()
}

/// How a change's kind is named where its repository is already said: `repository`,
/// `lifecycle policy`, `repository policy`.
pub(crate) fn kind_phrase(kind: ResourceKind) -> String {
    kind.as_str().replace('_', " ")
}

/// One change named within its repository: `update repository (tags)`, `create lifecycle
/// policy (re-created unchanged)`.
pub(crate) fn change_phrase(change: &Change) -> String {
    let mut phrase = format!(
        "{} {}",
        change.action.as_str(),
        kind_phrase(change.address.kind)
    );
    if change.recreated_unchanged {
        phrase.push_str(&format!(" ({RECREATED_UNCHANGED})"));
    } else if change.address.kind == ResourceKind::Repository
        && matches!(change.action, Action::Update | Action::Replace)
        && !change.fields.is_empty()
    {
        phrase.push_str(&format!(" ({})", change.fields.join(", ")));
    }
    phrase
}

/// A plan's changes as a reviewer reads them: by registry, then by repository (a
/// repository's lifecycle and policy changes under it), in plan order.
#[derive(Debug)]
pub(crate) struct RegistryGroup<'p> {
    pub registry: RegistryId,
    pub items: Vec<Item<'p>>,
    pub unmanaged: Vec<&'p Address>,
    pub owned_elsewhere: Vec<&'p OwnedElsewhere>,
}

impl RegistryGroup<'_> {
    pub(crate) fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in self.items.iter().flat_map(Item::changes) {
            match change.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Delete => summary.delete += 1,
                Action::Replace => summary.replace += 1,
            }
        }
        summary
    }

    pub(crate) fn has_changes(&self) -> bool {
        !self.items.is_empty()
    }
}

/// The changes of one repository, or one registry-wide change.
#[derive(Debug)]
pub(crate) enum Item<'p> {
    Repository {
        name: &'p RepositoryName,
        changes: Vec<&'p Change>,
    },
    Setting(&'p Change),
}

impl<'p> Item<'p> {
    pub(crate) fn changes(&self) -> Vec<&'p Change> {
        match self {
            Item::Repository { changes, .. } => changes.clone(),
            Item::Setting(change) => vec![*change],
        }
    }

    /// Whether anything in it goes in the list of destructive changes.
    pub(crate) fn is_destructive(&self) -> bool {
        self.changes()
            .iter()
            .any(|change| change.destructive || change.blocking_problem().is_some())
    }
}

/// Groups the plan by registry ([`Plan::covered_registries`], so a registry without changes
/// is there too) and, within one, consecutive changes of the same repository.
pub(crate) fn registry_groups(plan: &Plan) -> Vec<RegistryGroup<'_>> {
    let mut groups: Vec<RegistryGroup<'_>> = plan
        .covered_registries()
        .into_iter()
        .map(|registry| RegistryGroup {
            registry,
            items: Vec::new(),
            unmanaged: Vec::new(),
            owned_elsewhere: Vec::new(),
        })
        .collect();
    for change in &plan.changes {
        let index = group_of(&change.address.registry, &mut groups);
        let items = &mut groups[index].items;
        match change.address.repository_name() {
            Some(name) => match items.last_mut() {
                Some(Item::Repository {
                    name: last,
                    changes,
                }) if *last == name => changes.push(change),
                _ => items.push(Item::Repository {
                    name,
                    changes: vec![change],
                }),
            },
            None => items.push(Item::Setting(change)),
        }
    }
    for address in &plan.unmanaged {
        let index = group_of(&address.registry, &mut groups);
        groups[index].unmanaged.push(address);
    }
    for owned in &plan.owned_elsewhere {
        let index = group_of(&owned.address.registry, &mut groups);
        groups[index].owned_elsewhere.push(owned);
    }
    groups
}

/// The position of `registry`'s group, added when the plan's registries did not name it.
fn group_of(registry: &RegistryId, groups: &mut Vec<RegistryGroup<'_>>) -> usize {
    match groups.iter().position(|group| &group.registry == registry) {
        Some(index) => index,
        None => {
            groups.push(RegistryGroup {
                registry: registry.clone(),
                items: Vec::new(),
                unmanaged: Vec::new(),
                owned_elsewhere: Vec::new(),
            });
            groups.len() - 1
        }
    }
}

/// `123456789012 / us-east-1`: how a registry heads its group.
pub(crate) fn registry_heading(registry: &RegistryId) -> String {
    format!("{} / {}", registry.account, registry.region)
}

/// The symbol of an action, as in `-/+ replace ADDRESS`.
pub(crate) fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Delete => "-",
        Action::Replace => "-/+",
    }
}

/// `Plan: N to create, N to update, N to replace, N to delete.`
pub(crate) fn summary_sentence(summary: &Summary) -> String {
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete.",
        summary.create, summary.update, summary.replace, summary.delete
    )
}

/// How a line marks what happens to its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    Added,
    Removed,
    Changed,
    Context,
    /// A hunk header; the line's text is the whole header.
    Hunk,
    /// Lines left out of a shortened body (`... 12 more lines`); the text is the whole line.
    Elided,
}

impl Sign {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Sign::Added => "+",
            Sign::Removed => "-",
            Sign::Changed => "~",
            Sign::Context => " ",
            Sign::Hunk | Sign::Elided => "",
        }
    }
}

/// One line of a change's body: a sign, a nesting depth and the text after the sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub sign: Sign,
    pub depth: usize,
    pub text: String,
}

impl Line {
    pub(crate) fn new(sign: Sign, depth: usize, text: String) -> Self {
        Line { sign, depth, text }
    }
}

/// How much of a change's body to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyStyle {
    /// Unchanged document lines around each changed part.
    pub context: usize,
    /// At most this many lines, then `... N more lines`.
    pub max_lines: Option<usize>,
}

impl BodyStyle {
    /// Everything, with the usual context.
    pub(crate) const FULL: BodyStyle = BodyStyle {
        context: CONTEXT_LINES,
        max_lines: None,
    };
    /// A long diff shortened to its hunks with one line of context and a dozen lines in all,
    /// for a comment that must fit a size.
    pub(crate) const SHORT: BodyStyle = BodyStyle {
        context: 1,
        max_lines: Some(12),
    };
}

/// The body lines of a change: `field: old -> new`, tags key by key, or a unified diff.
pub(crate) fn change_lines(change: &Change, style: BodyStyle) -> Vec<Line> {
    if change.recreated_unchanged {
        return Vec::new();
    }
    let mut lines = match diff_change_with(change, style.context) {
        ChangeDiff::Fields(fields) => {
            let mut lines = Vec::new();
            for field in fields {
                match field.change {
                    FieldChange::Value { before, after } => {
                        // A field one side of a present object lacks reads as set or removed,
                        // not as a change from or to `null`; so do exclusion filters of a mode
                        // that takes none.
                        let present = |value: Option<Value>, side: Option<&Value>| {
                            value
                                .filter(|v| !v.is_null())
                                .filter(|v| applies_to_mode(&field.name, v, side))
                        };
                        let (sign, text) = match (
                            present(before, change.before.as_ref()),
                            present(after, change.after.as_ref()),
                        ) {
                            (Some(old), Some(new)) => (
                                Sign::Changed,
                                format!("{}: {} -> {}", field.name, compact(&old), compact(&new)),
                            ),
                            (None, Some(new)) => {
                                (Sign::Added, format!("{}: {}", field.name, compact(&new)))
                            }
                            (Some(old), None) => {
                                (Sign::Removed, format!("{}: {}", field.name, compact(&old)))
                            }
                            (None, None) => continue,
                        };
                        lines.push(Line::new(sign, 0, text));
                    }
                    FieldChange::Tags(tags) => {
                        // The ownership tag is ecrform's bookkeeping, not a tag the user set.
                        let tags: Vec<_> = tags
                            .into_iter()
                            .filter(|tag| tag.key != OWNERSHIP_TAG_KEY)
                            .collect();
                        if tags.is_empty() {
                            continue;
                        }
                        let sign = match (change.before.is_some(), change.after.is_some()) {
                            (false, true) => Sign::Added,
                            (true, false) => Sign::Removed,
                            _ => Sign::Changed,
                        };
                        lines.push(Line::new(sign, 0, format!("{}:", field.name)));
                        for tag in tags {
                            let (sign, text) = match (tag.before, tag.after) {
                                (Some(old), Some(new)) => {
                                    (Sign::Changed, format!("{}: {old} -> {new}", tag.key))
                                }
                                (None, Some(new)) => (Sign::Added, format!("{} = {new}", tag.key)),
                                (Some(old), None) => {
                                    (Sign::Removed, format!("{} = {old}", tag.key))
                                }
                                (None, None) => continue,
                            };
                            lines.push(Line::new(sign, 1, text));
                        }
                    }
                    FieldChange::Document {
                        before_present,
                        after_present,
                        hunks,
                    } => {
                        if hunks.is_empty() {
                            continue;
                        }
                        let sign = match (before_present, after_present) {
                            (false, true) => Sign::Added,
                            (true, false) => Sign::Removed,
                            _ => Sign::Changed,
                        };
                        lines.push(Line::new(sign, 0, format!("{}:", field.name)));
                        lines.extend(hunks.iter().flat_map(|hunk| hunk_lines(hunk, 1)));
                    }
                }
            }
            lines
        }
        ChangeDiff::Document(hunks) => hunks.iter().flat_map(|hunk| hunk_lines(hunk, 0)).collect(),
    };
    if let Some(max) = style.max_lines
        && lines.len() > max
    {
        let left_out = lines.len() - max;
        lines.truncate(max);
        lines.push(Line::new(
            Sign::Elided,
            0,
            format!("... {} more line{}", thousands(left_out), plural(left_out)),
        ));
    }
    lines
}

/// `s` for every count but one.
pub(crate) fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Whether a field's value means something for the side it is on: exclusion filters only
/// for a mutability mode that takes them (ECR reports `[]` for every other mode), unless the
/// side holds filters anyway.
pub(crate) fn applies_to_mode(name: &str, value: &Value, side: Option<&Value>) -> bool {
    if name != field::IMAGE_TAG_MUTABILITY_EXCLUSIONS {
        return true;
    }
    let empty = value.as_array().is_some_and(Vec::is_empty);
    let takes_exclusions = side
        .and_then(|side| side.get(field::IMAGE_TAG_MUTABILITY))
        .and_then(Value::as_str)
        .and_then(TagMutability::parse)
        .is_some_and(TagMutability::takes_exclusions);
    !empty || takes_exclusions
}

/// A hunk's header and lines, nested `depth` levels (a document inside a settings field).
pub(crate) fn hunk_lines(hunk: &Hunk, depth: usize) -> Vec<Line> {
    let header = format!(
        "@@ -{} +{} @@",
        unified_range(&hunk.old),
        unified_range(&hunk.new)
    );
    let mut lines = vec![Line::new(Sign::Hunk, depth, header)];
    lines.extend(hunk.lines.iter().map(|line| {
        let sign = match line.op {
            LineOp::Context => Sign::Context,
            LineOp::Removed => Sign::Removed,
            LineOp::Added => Sign::Added,
        };
        Line::new(sign, depth, line.text.clone())
    }));
    lines
}

/// A range as unified diffs write it: 1-based start and length, the length left out when it
/// is 1, and an empty range named by the line before it.
fn unified_range(range: &std::ops::Range<usize>) -> String {
    match range.len() {
        0 => format!("{},0", range.start),
        1 => format!("{}", range.start + 1),
        len => format!("{},{len}", range.start + 1),
    }
}

/// A value in compact JSON, the way field lines show it.
pub(crate) fn compact(value: &Value) -> String {
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecrform_plan::HeldImages;
    use serde_json::json;

    fn change(
        address: &str,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Change {
        let fields = [before.as_ref(), after.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|object| object.keys().cloned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        Change::new(
            Address::parse(address).unwrap(),
            action,
            fields,
            before,
            after,
            Vec::new(),
        )
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|line| format!("{}{}", line.sign.as_str(), line.text))
            .collect()
    }

    #[test]
    fn image_preview_sentences_name_examples_and_say_when_there_are_more() {
        let preview = |expire, transition, examples: &[&str]| ImagePreview {
            images: 7,
            expire,
            transition,
            examples: examples.iter().map(|e| (*e).to_owned()).collect(),
        };
        assert_eq!(
            image_preview_sentence(&preview(2, 1, &["v1.0", "v1.1", "sha256:abcd1234"])),
            "would expire 2 image(s) and archive 1 that the current policy keeps (of 7 read): \
             v1.0, v1.1, sha256:abcd1234"
        );
        assert_eq!(
            image_preview_sentence(&preview(6, 0, &["a", "b", "c", "d", "e"])),
            "would expire 6 image(s) and archive 0 that the current policy keeps (of 7 read): \
             a, b, c, d, e, ..."
        );
        assert_eq!(
            image_preview_sentence(&preview(0, 0, &[])),
            "would expire or archive no image that the current policy keeps (of 7 read)"
        );
    }

    #[test]
    fn a_preview_of_a_repository_without_images_is_no_note() {
        let mut lifecycle = change(
            "123456789012/us-east-1/lifecycle_policy/app",
            Action::Create,
            None,
            Some(json!({"rules": []})),
        );
        lifecycle.image_preview = Some(ImagePreview {
            images: 0,
            expire: 0,
            transition: 0,
            examples: Vec::new(),
        });
        assert!(notes(&lifecycle).is_empty());
        lifecycle.image_preview = Some(ImagePreview {
            images: 3,
            expire: 0,
            transition: 0,
            examples: Vec::new(),
        });
        assert_eq!(notes(&lifecycle).len(), 1);
    }

    #[test]
    fn exclusions_of_a_mode_without_them_and_the_ownership_tag_are_not_shown() {
        let create = change(
            "123456789012/us-east-1/repository/app",
            Action::Create,
            None,
            Some(json!({"image_tag_mutability": "IMMUTABLE",
                        "image_tag_mutability_exclusions": [],
                        "tags": {"ecrform:managed": "platform", "team": "a"}})),
        );
        assert_eq!(
            texts(&change_lines(&create, BodyStyle::FULL)),
            [
                "+image_tag_mutability: \"IMMUTABLE\"",
                "+tags:",
                "+team = a"
            ]
        );
        let to_exclusions = change(
            "123456789012/us-east-1/repository/app",
            Action::Update,
            Some(json!({"image_tag_mutability": "MUTABLE",
                        "image_tag_mutability_exclusions": []})),
            Some(json!({"image_tag_mutability": "MUTABLE_WITH_EXCLUSION",
                        "image_tag_mutability_exclusions": ["dev-*"]})),
        );
        assert_eq!(
            texts(&change_lines(&to_exclusions, BodyStyle::FULL)),
            [
                "~image_tag_mutability: \"MUTABLE\" -> \"MUTABLE_WITH_EXCLUSION\"",
                "+image_tag_mutability_exclusions: [\"dev-*\"]"
            ]
        );
        let only_ownership = change(
            "123456789012/us-east-1/repository/app",
            Action::Delete,
            Some(json!({"tags": {"ecrform:managed": "true"}})),
            None,
        );
        assert!(change_lines(&only_ownership, BodyStyle::FULL).is_empty());
    }

    #[test]
    fn a_shortened_body_says_how_many_lines_it_left_out() {
        let document =
            json!({"rules": (1..=10).map(|n| json!({"rulePriority": n})).collect::<Vec<_>>()});
        let create = change(
            "123456789012/us-east-1/lifecycle_policy/app",
            Action::Create,
            None,
            Some(document),
        );
        let full = change_lines(&create, BodyStyle::FULL);
        let short = change_lines(&create, BodyStyle::SHORT);
        assert_eq!(short.len(), 13);
        assert_eq!(
            short.last().map(|line| line.text.clone()),
            Some(format!("... {} more lines", full.len() - 12))
        );
        assert_eq!(short[..12], full[..12]);
    }

    #[test]
    fn destructive_reasons_say_what_is_lost_and_why() {
        let mut pruned = change(
            "123456789012/us-east-1/repository/old",
            Action::Delete,
            Some(json!({"tags": {}})),
            None,
        );
        assert_eq!(
            destructive_reason(&pruned),
            "left the spec and is pruned: deletes the repository; its images were not read"
        );
        pruned.images = Some(HeldImages {
            count: 12,
            bytes: Some(1_503_238_553),
        });
        assert_eq!(
            destructive_reason(&pruned),
            "left the spec and is pruned: deletes the repository; holds 12 images, 1.4 GiB"
        );
        let mut expiring = change(
            "123456789012/us-east-1/lifecycle_policy/app",
            Action::Update,
            Some(json!({"rules": []})),
            Some(json!({"rules": [{}]})),
        );
        expiring.destructive = true;
        expiring.image_preview = Some(ImagePreview {
            images: 12,
            expire: 7,
            transition: 0,
            examples: vec!["v1.1".to_owned(), "v1.2".to_owned()],
        });
        assert_eq!(
            destructive_reason(&expiring),
            "expires 7 of 12 images: v1.1, v1.2, ..."
        );
        let policy = change(
            "123456789012/us-east-1/registry_policy",
            Action::Delete,
            Some(json!({"Statement": []})),
            None,
        );
        assert_eq!(destructive_reason(&policy), "deletes the registry policy");
    }

    #[test]
    fn unified_ranges_follow_the_diff_convention() {
        assert_eq!(unified_range(&(0..0)), "0,0");
        assert_eq!(unified_range(&(4..5)), "5");
        assert_eq!(unified_range(&(2..9)), "3,7");
    }

    #[test]
    fn numbers_group_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(65_000), "65,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
