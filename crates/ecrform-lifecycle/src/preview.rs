//! The result of `ecrform lifecycle preview` as a value, and its renderings: a text table for
//! the terminal, a Markdown table for a pull-request comment, and JSON for scripts.
//!
//! The rows are listed newest first (push time, then digest), the order in which count rules
//! see images, so that "the newest N are kept" can be read straight off the table.

use std::cmp::Reverse;

use serde::Serialize;

use crate::evaluate::{Decision, Image, ImageAction, Summary, evaluate};
use crate::input::{DescribedImages, REFERENCED_BY_MANIFEST_LIST_KEY};
use crate::rule::{LifecyclePolicyRules, StorageClass};
use crate::timestamp::Timestamp;

/// What a policy does to each listed image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Newest first.
    pub rows: Vec<PreviewRow>,
    pub summary: Summary,
}

/// One image and its decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub digest: String,
    pub tags: Vec<String>,
    pub pushed_at: Timestamp,
    pub decision: Decision,
}

impl Preview {
    /// Evaluates `policy` over `images` at `now`.
    pub fn new(policy: &LifecyclePolicyRules, images: &[Image], now: Timestamp) -> Self {
        let decisions = evaluate(policy, images, now);
        let summary = Summary::of(&decisions);
        let mut rows: Vec<PreviewRow> = images
            .iter()
            .zip(decisions)
            .map(|(image, decision)| PreviewRow {
                digest: image.digest.clone(),
                tags: image.tags.clone(),
                pushed_at: image.pushed_at,
                decision,
            })
            .collect();
        rows.sort_by(|a, b| {
            (Reverse(a.pushed_at), &a.digest).cmp(&(Reverse(b.pushed_at), &b.digest))
        });
        Preview { rows, summary }
    }

    /// `{"images":[{"digest","tags","pushed_at","action","rule"}],"summary":{...}}`, pretty
    /// printed with the keys in that order.
    pub fn render_json(&self) -> Result<String, serde_json::Error> {
        let document = PreviewJson {
            images: self
                .rows
                .iter()
                .map(|row| ImageJson {
                    digest: &row.digest,
                    tags: &row.tags,
                    pushed_at: row.pushed_at.to_rfc3339(),
                    action: row.decision.action.as_str(),
                    rule: row.decision.rule,
                })
                .collect(),
            summary: SummaryJson {
                keep: self.summary.keep,
                expire: self.summary.expire,
                transition: self.summary.transition,
            },
        };
        let mut json = serde_json::to_string_pretty(&document)?;
        json.push('\n');
        Ok(json)
    }

    /// An aligned table with a totals line.
    pub fn render_text(&self) -> String {
        let header = ["DIGEST", "TAGS", "PUSHED", "ACTION", "RULE"].map(str::to_owned);
        let rows: Vec<[String; 5]> = self.rows.iter().map(cells).collect();
        let mut widths = header.clone().map(|cell| cell.chars().count());
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&rows) {
            let line: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.totals());
        out.push('\n');
        out
    }

    /// A GitHub-flavoured Markdown table with a totals line.
    pub fn render_markdown(&self) -> String {
        let mut out = String::from(
            "### Lifecycle preview\n\n| digest | tags | pushed | action | rule |\n|---|---|---|---|---|\n",
        );
        for row in &self.rows {
            let [digest, tags, pushed, action, rule] = cells(row);
            let tags = if row.tags.is_empty() {
                tags
            } else {
                row.tags
                    .iter()
                    .map(|tag| format!("`{}`", tag.replace('|', "\\|")))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push_str(&format!(
                "| `{digest}` | {tags} | {pushed} | {action} | {rule} |\n"
            ));
        }
        out.push('\n');
        out.push_str(&self.totals());
        out.push('\n');
        out
    }

    fn totals(&self) -> String {
        let Summary {
            keep,
            expire,
            transition,
        } = self.summary;
        let images = keep + expire + transition;
        format!(
            "{images} image{}: {expire} to expire, {transition} to archive, {keep} to keep",
            if images == 1 { "" } else { "s" }
        )
    }
}

fn cells(row: &PreviewRow) -> [String; 5] {
    let digest = row.digest.strip_prefix("sha256:").unwrap_or(&row.digest);
    let action = match row.decision.action {
        ImageAction::Keep if row.decision.held_by_manifest_list => {
            "keep (in a manifest list)".to_owned()
        }
        ImageAction::Transition {
            target: StorageClass::Archive,
        } => "transition to archive".to_owned(),
        action => action.as_str().to_owned(),
    };
    [
        digest.chars().take(12).collect(),
        if row.tags.is_empty() {
            "(untagged)".to_owned()
        } else {
            row.tags.join(", ")
        },
        row.pushed_at.to_rfc3339_seconds(),
        action,
        row.decision
            .rule
            .map_or_else(|| "-".to_owned(), |rule| rule.to_string()),
    ]
}

/// The JSON shape of a preview; structs rather than a `Value` so that keys keep this order.
#[derive(Serialize)]
struct PreviewJson<'a> {
    images: Vec<ImageJson<'a>>,
    summary: SummaryJson,
}

#[derive(Serialize)]
struct ImageJson<'a> {
    digest: &'a str,
    tags: &'a [String],
    pushed_at: String,
    action: &'static str,
    rule: Option<u32>,
}

#[derive(Serialize)]
struct SummaryJson {
    keep: usize,
    expire: usize,
    transition: usize,
}

/// What the caller should know before trusting a preview of these images: listings that
/// cannot show what ECR would do.
pub fn warnings(policy: &LifecyclePolicyRules, described: &DescribedImages) -> Vec<String> {
    let mut warnings = Vec::new();
    if described.truncated {
        warnings.push(
            "the image list ends with a nextToken, so it holds only part of the repository and count rules see only the images listed; list every image (without --max-items or --no-paginate)"
                .to_owned(),
        );
    }
    let marked = described
        .images
        .iter()
        .any(|image| image.referenced_by_manifest_list);
    if !described.manifest_lists.is_empty() && !marked {
        let count = described.manifest_lists.len();
        warnings.push(format!(
            "{count} image{} {} a manifest list, but no image is marked {REFERENCED_BY_MANIFEST_LIST_KEY}: the images a list references are previewed as if unreferenced, while ECR never expires or archives them",
            if count == 1 { "" } else { "s" },
            if count == 1 { "is" } else { "are" },
        ));
    }
    let has_archive_rules = policy
        .rules
        .iter()
        .any(|rule| rule.selection.storage_class == StorageClass::Archive);
    let has_archived_images = described
        .images
        .iter()
        .any(|image| image.status.storage_class() != Some(StorageClass::Standard));
    if has_archive_rules && !has_archived_images {
        warnings.push(
            "the policy has rules for archived images, but the image list holds none; `aws ecr describe-images` lists only active images unless given `--filter imageStatus=ANY`"
                .to_owned(),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::{Value, json};

    use super::*;
    use crate::evaluate::ImageStatus;
    use crate::input::read_describe_images;

    fn policy(document: Value) -> LifecyclePolicyRules {
        crate::parse(&document).unwrap()
    }

    fn prod_beta_policy() -> LifecyclePolicyRules {
        policy(json!({"rules": [
            {"rulePriority": 1, "description": "Rule 1",
             "selection": {"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 1},
             "action": {"type": "expire"}},
            {"rulePriority": 2, "description": "Rule 2",
             "selection": {"tagStatus": "tagged", "tagPatternList": ["beta*"], "countType": "imageCountMoreThan", "countNumber": 1},
             "action": {"type": "expire"}}
        ]}))
    }

    fn image(digest: &str, tags: &[&str], pushed: &str) -> Image {
        Image {
            digest: digest.to_owned(),
            tags: tags.iter().map(|tag| tag.to_string()).collect(),
            pushed_at: Timestamp::parse_rfc3339(pushed).unwrap(),
            last_pulled_at: None,
            status: ImageStatus::Active,
            archived_at: None,
            restored_at: None,
            referenced_by_manifest_list: false,
        }
    }

    fn example_preview() -> Preview {
        let images = [
            image(
                "sha256:aaaaaaaaaaaaaaaaaaaa",
                &["beta-1", "prod-1"],
                "2026-01-01T00:00:00Z",
            ),
            image(
                "sha256:bbbbbbbbbbbbbbbbbbbb",
                &["beta-2", "prod-2"],
                "2026-01-02T00:00:00.5Z",
            ),
            image("sha256:cccccccccccccccccccc", &[], "2026-01-03T00:00:00Z"),
        ];
        Preview::new(
            &prod_beta_policy(),
            &images,
            Timestamp::parse_rfc3339("2026-01-11T00:00:00Z").unwrap(),
        )
    }

    #[test]
    fn text_is_an_aligned_table_newest_first_with_totals() {
        assert_eq!(
            example_preview().render_text(),
            "\
DIGEST        TAGS            PUSHED                ACTION  RULE
cccccccccccc  (untagged)      2026-01-03T00:00:00Z  keep    -
bbbbbbbbbbbb  beta-2, prod-2  2026-01-02T00:00:00Z  keep    1
aaaaaaaaaaaa  beta-1, prod-1  2026-01-01T00:00:00Z  expire  1

3 images: 1 to expire, 0 to archive, 2 to keep
"
        );
    }

    #[test]
    fn markdown_is_a_table_for_a_pull_request_comment() {
        assert_eq!(
            example_preview().render_markdown(),
            "\
### Lifecycle preview

| digest | tags | pushed | action | rule |
|---|---|---|---|---|
| `cccccccccccc` | (untagged) | 2026-01-03T00:00:00Z | keep | - |
| `bbbbbbbbbbbb` | `beta-2`, `prod-2` | 2026-01-02T00:00:00Z | keep | 1 |
| `aaaaaaaaaaaa` | `beta-1`, `prod-1` | 2026-01-01T00:00:00Z | expire | 1 |

3 images: 1 to expire, 0 to archive, 2 to keep
"
        );
    }

    #[test]
    fn json_has_the_contract_shape_with_keys_in_contract_order() {
        let text = example_preview().render_json().unwrap();
        let keys: Vec<usize> = [
            "\"digest\"",
            "\"tags\"",
            "\"pushed_at\"",
            "\"action\"",
            "\"rule\"",
        ]
        .iter()
        .map(|key| text.find(key).unwrap())
        .collect();
        assert!(keys.is_sorted(), "{text}");
        assert!(text.find("\"images\"") < text.find("\"summary\""));
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({
                "images": [
                    {"digest": "sha256:cccccccccccccccccccc", "tags": [], "pushed_at": "2026-01-03T00:00:00Z", "action": "keep", "rule": null},
                    {"digest": "sha256:bbbbbbbbbbbbbbbbbbbb", "tags": ["beta-2", "prod-2"], "pushed_at": "2026-01-02T00:00:00.500Z", "action": "keep", "rule": 1},
                    {"digest": "sha256:aaaaaaaaaaaaaaaaaaaa", "tags": ["beta-1", "prod-1"], "pushed_at": "2026-01-01T00:00:00Z", "action": "expire", "rule": 1}
                ],
                "summary": {"keep": 2, "expire": 1, "transition": 0}
            })
        );
    }

    #[test]
    fn held_and_transitioned_images_say_so_in_the_table() {
        let archive = policy(json!({"rules": [
            {"rulePriority": 1,
             "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
             "action": {"type": "transition", "targetStorageClass": "archive"}}
        ]}));
        let mut child = image("sha256:child", &[], "2026-01-01T00:00:00Z");
        child.referenced_by_manifest_list = true;
        let images = [
            child,
            image("sha256:other", &["v1"], "2026-01-01T00:00:00Z"),
        ];
        let preview = Preview::new(
            &archive,
            &images,
            Timestamp::parse_rfc3339("2026-02-01T00:00:00Z").unwrap(),
        );
        assert_eq!(
            preview.render_text(),
            "\
DIGEST  TAGS        PUSHED                ACTION                     RULE
child   (untagged)  2026-01-01T00:00:00Z  keep (in a manifest list)  1
other   v1          2026-01-01T00:00:00Z  transition to archive      1

2 images: 0 to expire, 1 to archive, 1 to keep
"
        );
        let json: Value = serde_json::from_str(&preview.render_json().unwrap()).unwrap();
        assert_eq!(json["images"][1]["action"], "transition");
    }

    #[test]
    fn warnings_name_listings_that_cannot_show_what_ecr_would_do() {
        let archive_policy = policy(json!({"rules": [
            {"rulePriority": 1,
             "selection": {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365},
             "action": {"type": "expire"}}
        ]}));
        let listing = read_describe_images(
            r#"{"imageDetails": [
                {"imageDigest": "sha256:index", "imagePushedAt": 1, "imageManifestMediaType": "application/vnd.oci.image.index.v1+json"},
                {"imageDigest": "sha256:child", "imagePushedAt": 1}
            ], "nextToken": "abc"}"#,
        )
        .unwrap();
        let found = warnings(&archive_policy, &listing);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("nextToken"));
        assert!(found[1].starts_with(
            "1 image is a manifest list, but no image is marked ecrformReferencedByManifestList"
        ));
        assert!(found[2].contains("--filter imageStatus=ANY"));

        let marked = read_describe_images(
            r#"{"imageDetails": [
                {"imageDigest": "sha256:index", "imagePushedAt": 1, "imageManifestMediaType": "application/vnd.docker.distribution.manifest.list.v2+json"},
                {"imageDigest": "sha256:child", "imagePushedAt": 1, "ecrformReferencedByManifestList": true},
                {"imageDigest": "sha256:old", "imagePushedAt": 1, "imageStatus": "ARCHIVED"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(warnings(&archive_policy, &marked), Vec::<String>::new());
    }
}
