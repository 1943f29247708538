//! Reading the two files `ecrform lifecycle preview` takes: a lifecycle policy, and the JSON
//! that `aws ecr describe-images` prints. Every problem is located at a line and column of the
//! text, so that the command reports `FILE:LINE:COLUMN: message` as it does for a spec.
//!
//! The policy goes through [`crate::parse`], the same validation the spec uses, with the same
//! messages. The images are read from either AWS CLI form: v1 prints timestamps as epoch
//! seconds (`1795328807.807`), v2 as RFC 3339 strings; an untagged image has no `imageTags`.
//! Keys this reader does not use are ignored, because AWS adds fields to `ImageDetail` over
//! time and a preview must keep working on newer CLI output.
//!
//! `describe-images` does not say which images a manifest list (image index) references, so
//! the engine cannot know it from the CLI's output alone. An image may carry the
//! ecrform-specific key [`REFERENCED_BY_MANIFEST_LIST_KEY`] (`true`) to say so; everything
//! else is treated as unreferenced. Images whose own media type is a manifest list are
//! reported in [`DescribedImages::manifest_lists`], so the caller can warn when such lists
//! exist but none of their children were marked.

use std::collections::HashMap;

use ecrform_model::shown;
use ecrform_model::{JsonProblem, PathSegment};
use serde_json::{Map, Value};

use crate::evaluate::{Image, ImageStatus};
use crate::locate::{Locator, TextPosition};
use crate::parse::describe;
use crate::rule::LifecyclePolicyRules;
use crate::timestamp::Timestamp;

/// The ecrform-specific key of an image in `--images` input that marks it as referenced by a
/// manifest list in the same repository.
pub const REFERENCED_BY_MANIFEST_LIST_KEY: &str = "ecrformReferencedByManifestList";

/// Media types of manifests that list other manifests (multi-architecture images).
pub const MANIFEST_LIST_MEDIA_TYPES: &[&str] = &[
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
];

/// A problem in an input text, with where it is when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextProblem {
    pub position: Option<TextPosition>,
    pub message: String,
}

/// Where the node at a path is written, or its nearest ancestor, and whether it is the path's
/// own (see [`Locator::locate_nearest`]).
pub type Locate<'l> = dyn FnMut(&[PathSegment]) -> (TextPosition, bool) + 'l;

impl TextProblem {
    /// A problem with the node at `path`: located at the node, or at its nearest ancestor with
    /// the path in the message (as the spec's diagnostics do).
    fn at(locate: &mut Locate<'_>, path: &[PathSegment], message: impl Into<String>) -> Self {
        TextProblem::labelled(locate, path, "", &message.into())
    }

    /// [`TextProblem::at`] for a message that starts with the document's kind
    /// (`lifecycle policy: ...`), where the spec puts the path after the kind.
    fn labelled(locate: &mut Locate<'_>, path: &[PathSegment], label: &str, message: &str) -> Self {
        let (position, exact) = locate(path);
        let pointer = if exact {
            String::new()
        } else {
            format!("at {}", ecrform_model::document::display_path(path))
        };
        let lead = match (label.is_empty(), pointer.is_empty()) {
            (true, true) => String::new(),
            (true, false) => format!("{pointer}: "),
            (false, true) => format!("{label}: "),
            (false, false) => format!("{label} {pointer}: "),
        };
        TextProblem {
            position: Some(position),
            message: format!("{lead}{message}"),
        }
    }

    fn syntax(label: &str, error: &serde_json::Error) -> Self {
        // serde_json ends its message with the position, which the location already says.
        let full = error.to_string();
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        TextProblem {
            position: (error.line() > 0).then_some(TextPosition {
                line: error.line(),
                column: error.column().max(1),
            }),
            message: format!("{label} is not valid JSON: {message}"),
        }
    }
}

/// Reads a lifecycle policy file in JSON: the policy document itself, or what
/// `aws ecr get-lifecycle-policy` prints (the document as a string in `lifecyclePolicyText`).
pub fn read_policy(text: &str) -> Result<LifecyclePolicyRules, Vec<TextProblem>> {
    let document: Value = serde_json::from_str(text)
        .map_err(|error| vec![TextProblem::syntax(POLICY_LABEL, &error)])?;
    let mut locator = Locator::new(text);
    read_policy_document(&document, &mut |path| locator.locate_nearest(path))
}

const POLICY_LABEL: &str = "lifecycle policy";

/// [`read_policy`] for a document already parsed (from YAML, say), whose nodes `locate` finds
/// in its text.
pub fn read_policy_document(
    document: &Value,
    locate: &mut Locate<'_>,
) -> Result<LifecyclePolicyRules, Vec<TextProblem>> {
    const LABEL: &str = POLICY_LABEL;
    let wrapped = document
        .as_object()
        .and_then(|object| object.get("lifecyclePolicyText"));
    match wrapped {
        None => crate::parse(document).map_err(|errors| {
            errors
                .into_iter()
                .map(|error| TextProblem::labelled(locate, &error.path, LABEL, &error.message))
                .collect()
        }),
        Some(inner) => {
            // The document is a string inside the file: its problems can only be located at
            // that string, so their messages carry the path inside the document.
            let text_key = [PathSegment::Key("lifecyclePolicyText".to_owned())];
            let Some(inner) = inner.as_str() else {
                return Err(vec![TextProblem::at(
                    locate,
                    &text_key,
                    format!(
                        "{LABEL}: lifecyclePolicyText must be a string holding the policy document"
                    ),
                )]);
            };
            let document: Value = match serde_json::from_str(inner) {
                Ok(document) => document,
                Err(error) => {
                    let problem = JsonProblem::from_error(&error);
                    return Err(vec![TextProblem::at(
                        locate,
                        &text_key,
                        format!(
                            "{LABEL}: lifecyclePolicyText is not valid JSON: {} (line {}, column {} of the text)",
                            problem.message, problem.line, problem.column
                        ),
                    )]);
                }
            };
            crate::parse(&document).map_err(|errors| {
                errors
                    .into_iter()
                    .map(|error| {
                        let pointer = ecrform_model::document::display_path(&error.path);
                        let place = if pointer.is_empty() {
                            String::new()
                        } else {
                            format!(" at {pointer}")
                        };
                        TextProblem::at(
                            locate,
                            &text_key,
                            format!("{LABEL} in lifecyclePolicyText{place}: {}", error.message),
                        )
                    })
                    .collect()
            })
        }
    }
}

/// The images of a repository as `aws ecr describe-images` listed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedImages {
    /// In the order listed.
    pub images: Vec<Image>,
    /// Digests of the images that are manifest lists (image indexes).
    pub manifest_lists: Vec<String>,
    /// The output ended with a `nextToken`: the listing is one page, not the repository.
    pub truncated: bool,
}

/// Reads `aws ecr describe-images --output json` output: an object with an `imageDetails`
/// array. Every problem is reported, not only the first.
pub fn read_describe_images(text: &str) -> Result<DescribedImages, Vec<TextProblem>> {
    let document: Value = serde_json::from_str(text)
        .map_err(|error| vec![TextProblem::syntax("the image list", &error)])?;
    let mut reader = ImagesReader {
        locator: Locator::new(text),
        problems: Vec::new(),
    };
    let Some(root) = document.as_object() else {
        return Err(vec![TextProblem::at(
            &mut |path| reader.locator.locate_nearest(path),
            &[],
            "the image list must be the JSON object that `aws ecr describe-images --output json` prints, with an imageDetails array",
        )]);
    };
    let details_path = [key("imageDetails")];
    let details = match root.get("imageDetails") {
        Some(Value::Array(details)) => details.as_slice(),
        Some(_) => {
            return Err(vec![TextProblem::at(
                &mut |path| reader.locator.locate_nearest(path),
                &details_path,
                "imageDetails must be an array of images",
            )]);
        }
        None => {
            return Err(vec![TextProblem::at(
                &mut |path| reader.locator.locate_nearest(path),
                &[],
                "the image list has no imageDetails array; give the output of `aws ecr describe-images --output json`",
            )]);
        }
    };

    let mut images = Vec::with_capacity(details.len());
    let mut manifest_lists = Vec::new();
    let mut first_index_of: HashMap<String, usize> = HashMap::new();
    for (index, detail) in details.iter().enumerate() {
        let path = vec![key("imageDetails"), PathSegment::Index(index)];
        let Some((image, is_manifest_list)) = reader.read_image(detail, &path) else {
            continue;
        };
        if let Some(first) = first_index_of.get(&image.digest) {
            reader.problem(
                &child(&path, "imageDigest"),
                format!(
                    "image {} is listed twice (also at index {first} of imageDetails)",
                    shown::cut(&image.digest)
                ),
            );
            continue;
        }
        first_index_of.insert(image.digest.clone(), index);
        if is_manifest_list {
            manifest_lists.push(image.digest.clone());
        }
        images.push(image);
    }
    if !reader.problems.is_empty() {
        return Err(reader.problems);
    }
    Ok(DescribedImages {
        images,
        manifest_lists,
        truncated: root.get("nextToken").is_some_and(|token| !token.is_null()),
    })
}

struct ImagesReader<'a> {
    locator: Locator<'a>,
    problems: Vec<TextProblem>,
}

impl ImagesReader<'_> {
    fn problem(&mut self, path: &[PathSegment], message: String) {
        let locator = &mut self.locator;
        self.problems.push(TextProblem::at(
            &mut |path| locator.locate_nearest(path),
            path,
            message,
        ));
    }

    /// One image and whether it is a manifest list; `None` after reporting its problems.
    fn read_image(&mut self, detail: &Value, path: &[PathSegment]) -> Option<(Image, bool)> {
        let Some(detail) = detail.as_object() else {
            self.problem(path, "an image must be a JSON object".to_owned());
            return None;
        };
        let problems_before = self.problems.len();

        let digest = match detail.get("imageDigest") {
            Some(Value::String(digest)) if !digest.is_empty() => Some(digest.clone()),
            Some(_) => {
                self.problem(
                    &child(path, "imageDigest"),
                    "imageDigest must be a non-empty string".to_owned(),
                );
                None
            }
            None => {
                self.problem(path, "the image has no imageDigest".to_owned());
                None
            }
        };
        let tags = self.read_tags(detail, path);
        let pushed_at = match detail.get("imagePushedAt") {
            None | Some(Value::Null) => {
                self.problem(path, "the image has no imagePushedAt".to_owned());
                None
            }
            Some(_) => self.timestamp(detail, path, "imagePushedAt"),
        };
        let last_pulled_at = self.timestamp(detail, path, "lastRecordedPullTime");
        let archived_at = self.timestamp(detail, path, "lastArchivedAt");
        let restored_at = self.timestamp(detail, path, "lastActivatedAt");
        let status = match detail.get("imageStatus") {
            None | Some(Value::Null) => Some(ImageStatus::Active),
            Some(value) => {
                let status = value.as_str().and_then(ImageStatus::from_ecr);
                if status.is_none() {
                    self.problem(
                        &child(path, "imageStatus"),
                        format!(
                            "imageStatus must be ACTIVE, ARCHIVED or ACTIVATING, not {}",
                            describe(value)
                        ),
                    );
                }
                status
            }
        };
        let is_manifest_list = match detail.get("imageManifestMediaType") {
            Some(Value::String(media_type)) => {
                MANIFEST_LIST_MEDIA_TYPES.contains(&media_type.as_str())
            }
            _ => false,
        };
        let referenced_by_manifest_list = match detail.get(REFERENCED_BY_MANIFEST_LIST_KEY) {
            None | Some(Value::Bool(false)) => false,
            Some(Value::Bool(true)) => true,
            Some(other) => {
                self.problem(
                    &child(path, REFERENCED_BY_MANIFEST_LIST_KEY),
                    format!(
                        "{REFERENCED_BY_MANIFEST_LIST_KEY} must be true or false, not {}",
                        describe(other)
                    ),
                );
                false
            }
        };

        if self.problems.len() > problems_before {
            return None;
        }
        Some((
            Image {
                digest: digest?,
                tags: tags?,
                pushed_at: pushed_at?,
                last_pulled_at,
                status: status?,
                archived_at,
                restored_at,
                referenced_by_manifest_list,
            },
            is_manifest_list,
        ))
    }

    fn read_tags(
        &mut self,
        detail: &Map<String, Value>,
        path: &[PathSegment],
    ) -> Option<Vec<String>> {
        let tags = match detail.get("imageTags") {
            None | Some(Value::Null) => return Some(Vec::new()),
            Some(Value::Array(tags)) => tags,
            Some(_) => {
                self.problem(
                    &child(path, "imageTags"),
                    "imageTags must be an array of strings".to_owned(),
                );
                return None;
            }
        };
        let mut read = Vec::with_capacity(tags.len());
        for (index, tag) in tags.iter().enumerate() {
            match tag.as_str() {
                Some(tag) => read.push(tag.to_owned()),
                None => {
                    let mut tag_path = child(path, "imageTags");
                    tag_path.push(PathSegment::Index(index));
                    self.problem(
                        &tag_path,
                        format!("an image tag must be a string, not {}", describe(tag)),
                    );
                    return None;
                }
            }
        }
        Some(read)
    }

    /// An optional timestamp in either CLI form; `None` when absent or null, or when it is not
    /// a timestamp, which is reported.
    fn timestamp(
        &mut self,
        detail: &Map<String, Value>,
        path: &[PathSegment],
        name: &str,
    ) -> Option<Timestamp> {
        let value = detail.get(name)?;
        let parsed = match value {
            Value::Null => return None,
            Value::String(text) => Timestamp::parse_rfc3339(text),
            Value::Number(number) => match (number.as_i64(), number.as_f64()) {
                (Some(seconds), _) => Timestamp::parse_epoch_seconds(&seconds.to_string()),
                (None, Some(seconds)) => Timestamp::from_epoch_seconds_f64(seconds),
                (None, None) => Timestamp::parse_epoch_seconds(&number.to_string()),
            },
            other => {
                self.problem(
                    &child(path, name),
                    format!(
                        "{name} must be a timestamp (epoch seconds or an RFC 3339 string), not {}",
                        describe(other)
                    ),
                );
                return None;
            }
        };
        match parsed {
            Ok(time) => Some(time),
            Err(error) => {
                self.problem(
                    &child(path, name),
                    format!("{name} {} is not a timestamp: {error}", describe(value)),
                );
                None
            }
        }
    }
}

fn key(name: &str) -> PathSegment {
    PathSegment::Key(name.to_owned())
}

fn child(path: &[PathSegment], name: &str) -> Vec<PathSegment> {
    let mut path = path.to_vec();
    path.push(key(name));
    path
}

#[cfg(test)]
mod tests;
