//! Repository settings: checking one block (a repository's own settings, or `defaults`) and
//! merging `defaults` under a repository.
//!
//! Each block is checked once, at its own positions, so a bad default is reported once rather
//! than once per repository; only what depends on the merge (mutability exclusions taken from
//! one block and the mode from the other, the tag count after merging) is checked per
//! repository. The merge rule: a repository's key replaces the default's, except `tags`, which
//! merge key by key with the repository winning. `image_tag_mutability_exclusions` belongs to
//! `image_tag_mutability`: a repository that sets the mode takes its exclusions from itself.
//! `none` means "must be absent" for `lifecycle` and `policy`, the exact empty set for `tags`
//! (in a repository it also drops the defaults' tags), and is an error for settings every
//! repository has (`image_tag_mutability`, its exclusions, `scan_on_push`, `encryption`).

use ecrform_model::shown::quoted;
use ecrform_model::{
    Encryption, EncryptionType, IamPolicy, LifecyclePolicy, OWNERSHIP_TAG_KEY, RepositoryState,
    Setting, TagMutability, Tags,
};

use crate::patterns;
use crate::policies::PolicyKind;
use crate::raw::{Field, OrNone, RawEncryption, RawSettings, RawTag, Spanned};
use crate::report::{FileId, Location};
use crate::validator::Validator;

/// ECR allows 50 tags per repository and ecrform adds its ownership tag on create.
pub(crate) const REPOSITORY_TAG_LIMIT: usize = 49;
/// Creation templates get no ownership tag, so they have ECR's whole limit.
pub(crate) const TEMPLATE_TAG_LIMIT: usize = 50;

/// A checked value and the key it was written under.
#[derive(Debug, Clone)]
pub(crate) struct Placed<T> {
    pub value: T,
    pub at: Location,
}

/// `tags` of one block.
#[derive(Debug, Clone)]
pub(crate) enum TagSet {
    /// `tags: none`: exactly no tags, whatever the defaults say.
    Exactly(Tags),
    /// A mapping: merged over the defaults' tags.
    Merge(Tags),
}

impl TagSet {
    fn tags(&self) -> &Tags {
        match self {
            TagSet::Exactly(tags) | TagSet::Merge(tags) => tags,
        }
    }
}

/// One checked block of repository settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct SettingsBlock {
    pub image_tag_mutability: Option<Placed<TagMutability>>,
    pub exclusions: Option<Placed<Vec<String>>>,
    pub scan_on_push: Option<Placed<bool>>,
    pub encryption: Option<Placed<Encryption>>,
    pub tags: Option<Placed<TagSet>>,
    pub lifecycle: Option<Setting<LifecyclePolicy>>,
    pub policy: Option<Setting<IamPolicy>>,
    pub force_delete: bool,
    /// Where `lifecycle`, `policy` and `force_delete` were written, for guardrail findings.
    pub lifecycle_at: Option<Location>,
    pub policy_at: Option<Location>,
    pub force_delete_at: Option<Location>,
    /// Keys that were written but are invalid (already reported).
    pub invalid_keys: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    Defaults,
    Repository,
}

impl Validator<'_> {
    /// Checks one block of settings written in `file`.
    pub(crate) fn settings_block(
        &mut self,
        file: FileId,
        raw: &RawSettings,
        kind: BlockKind,
    ) -> SettingsBlock {
        let mut block = SettingsBlock {
            invalid_keys: raw.malformed_keys.clone(),
            ..SettingsBlock::default()
        };
        let place = |at| Location::new(file, at);

        if let Some(field) = &raw.image_tag_mutability {
            match &field.value {
                OrNone::None => {
                    self.cannot_be_none(
                        file,
                        field,
                        "image_tag_mutability",
                        "every repository has a tag mutability",
                    );
                    block.invalid_keys.push("image_tag_mutability");
                }
                OrNone::Some(text) => {
                    let spanned = Spanned {
                        value: text.clone(),
                        at: field.at,
                    };
                    match self.tag_mutability(file, &spanned) {
                        Some(mode) => {
                            block.image_tag_mutability = Some(Placed {
                                value: mode,
                                at: place(field.key_at),
                            })
                        }
                        None => block.invalid_keys.push("image_tag_mutability"),
                    }
                }
            }
        }
        if let Some(field) = &raw.image_tag_mutability_exclusions {
            match &field.value {
                OrNone::None => {
                    self.cannot_be_none(
                        file,
                        field,
                        "image_tag_mutability_exclusions",
                        "leave the key out when the mode takes no exclusions",
                    );
                    block.invalid_keys.push("image_tag_mutability_exclusions");
                }
                OrNone::Some(filters) => {
                    let list = Field {
                        key_at: field.key_at,
                        at: field.at,
                        value: filters.clone(),
                    };
                    match self.exclusions(file, &list) {
                        Some(filters) => {
                            block.exclusions = Some(Placed {
                                value: filters,
                                at: place(field.key_at),
                            })
                        }
                        None => block.invalid_keys.push("image_tag_mutability_exclusions"),
                    }
                }
            }
        }
        self.exclusions_belong_to_the_mode(&block, kind);

        if let Some(field) = &raw.scan_on_push {
            match field.value {
                OrNone::None => {
                    self.cannot_be_none(file, field, "scan_on_push", "write true or false");
                }
                OrNone::Some(value) => {
                    block.scan_on_push = Some(Placed {
                        value,
                        at: place(field.key_at),
                    });
                }
            }
        }
        if let Some(field) = &raw.encryption {
            match &field.value {
                OrNone::None => self.cannot_be_none(
                    file,
                    field,
                    "encryption",
                    "every repository is encrypted (AES256 by default)",
                ),
                OrNone::Some(encryption) => {
                    if let Some(value) = self.encryption(file, encryption, false) {
                        block.encryption = Some(Placed {
                            value,
                            at: place(field.key_at),
                        });
                    }
                }
            }
        }
        if let Some(field) = &raw.tags {
            let value = match &field.value {
                OrNone::None => Some(TagSet::Exactly(Tags::new())),
                OrNone::Some(tags) => {
                    let list = Field {
                        key_at: field.key_at,
                        at: field.at,
                        value: tags.clone(),
                    };
                    self.tags(file, &list, REPOSITORY_TAG_LIMIT)
                        .map(TagSet::Merge)
                }
            };
            match value {
                Some(value) => {
                    block.tags = Some(Placed {
                        value,
                        at: place(field.key_at),
                    })
                }
                None => block.invalid_keys.push("tags"),
            }
        }
        if let Some(field) = &raw.lifecycle {
            block.lifecycle_at = Some(place(field.key_at));
            block.lifecycle = match &field.value {
                OrNone::None => Some(Setting::Absent),
                OrNone::Some(document) => self
                    .library
                    .resolve(PolicyKind::Lifecycle, document, file, self.report)
                    .map(Setting::Present),
            };
        }
        if let Some(field) = &raw.policy {
            block.policy_at = Some(place(field.key_at));
            block.policy = match &field.value {
                OrNone::None => Some(Setting::Absent),
                OrNone::Some(document) => self
                    .library
                    .resolve(PolicyKind::Repository, document, file, self.report)
                    .map(Setting::Present),
            };
        }
        if let Some(field) = &raw.force_delete {
            block.force_delete_at = Some(place(field.key_at));
            block.force_delete = field.value;
        }
        block
    }

    fn cannot_be_none<T>(&mut self, file: FileId, field: &Field<T>, key: &str, why: &str) {
        self.error(
            file,
            field.at,
            format!("{key} cannot be none: {why}; leave the key out to leave it unmanaged"),
        );
    }

    /// Within one block that sets the mode, exclusions are present exactly when the mode takes
    /// them; `defaults` may not set exclusions without a mode (no repository could use them).
    fn exclusions_belong_to_the_mode(&mut self, block: &SettingsBlock, kind: BlockKind) {
        let broken = |key: &str| block.invalid_keys.contains(&key);
        if broken("image_tag_mutability") || broken("image_tag_mutability_exclusions") {
            return;
        }
        match (&block.image_tag_mutability, &block.exclusions) {
            (Some(mode), None) if mode.value.takes_exclusions() => {
                self.report.error(
                    mode.at,
                    format!(
                        "image_tag_mutability {} needs image_tag_mutability_exclusions (1 to 5 tag filters)",
                        mode.value
                    ),
                );
            }
            (Some(mode), Some(exclusions)) if !mode.value.takes_exclusions() => {
                self.report.error(
                    exclusions.at,
                    format!(
                        "image_tag_mutability_exclusions only applies when image_tag_mutability ends in \
                         _WITH_EXCLUSION, and here it is {}",
                        mode.value
                    ),
                );
            }
            (None, Some(exclusions)) if kind == BlockKind::Defaults => {
                self.report.error(
                    exclusions.at,
                    "image_tag_mutability_exclusions in defaults needs image_tag_mutability (ending in \
                     _WITH_EXCLUSION) next to it",
                );
            }
            _ => {}
        }
    }

    pub(crate) fn tag_mutability(
        &mut self,
        file: FileId,
        text: &Spanned<String>,
    ) -> Option<TagMutability> {
        let allowed: Vec<&str> = TagMutability::ALL
            .iter()
            .map(|mode| mode.as_str())
            .collect();
        self.one_of(file, text, "image_tag_mutability", &allowed)
            .and_then(TagMutability::parse)
    }

    /// 1 to 5 distinct WILDCARD filters.
    pub(crate) fn exclusions(
        &mut self,
        file: FileId,
        filters: &Field<Vec<Spanned<String>>>,
    ) -> Option<Vec<String>> {
        let mut valid = true;
        let count = filters.value.len();
        if !(1..=5).contains(&count) {
            valid = false;
            self.error(
                file,
                filters.at,
                format!("image_tag_mutability_exclusions needs 1 to 5 filters, found {count}"),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for filter in &filters.value {
            if !patterns::is_exclusion_filter(&filter.value) {
                valid = false;
                self.error(
                    file,
                    filter.at,
                    format!(
                        "exclusion filter {} must be 1 to 128 letters, digits, '.', '_', '-' or '*'",
                        quoted(&filter.value)
                    ),
                );
            } else if seen.contains(&filter.value.as_str()) {
                valid = false;
                self.error(
                    file,
                    filter.at,
                    format!("duplicate exclusion filter {}", quoted(&filter.value)),
                );
            }
            seen.push(&filter.value);
        }
        valid.then(|| {
            filters
                .value
                .iter()
                .map(|filter| filter.value.clone())
                .collect()
        })
    }

    /// `full_key_arn`: creation templates need a full key ARN; repositories take any form.
    pub(crate) fn encryption(
        &mut self,
        file: FileId,
        raw: &RawEncryption,
        full_key_arn: bool,
    ) -> Option<Encryption> {
        let allowed: Vec<&str> = EncryptionType::ALL
            .iter()
            .map(|kind| kind.as_str())
            .collect();
        let kind = self
            .one_of(file, &raw.kind, "encryption type", &allowed)
            .and_then(EncryptionType::parse)?;
        let Some(key) = &raw.kms_key else {
            return Some(Encryption {
                kind,
                kms_key: None,
            });
        };
        if !kind.uses_kms() {
            self.error(
                file,
                key.key_at,
                format!(
                    "kms_key only applies to KMS and KMS_DSSE encryption, not {}",
                    kind.as_str()
                ),
            );
            return None;
        }
        if full_key_arn && !patterns::is_kms_key_arn(&key.value) {
            self.error(
                file,
                key.at,
                format!(
                    "kms_key {} must be a full KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) in a \
                     creation template",
                    quoted(&key.value)
                ),
            );
            return None;
        }
        if !patterns::is_kms_key_reference(&key.value) {
            self.error(
                file,
                key.at,
                format!(
                    "kms_key {} must be a KMS key id, key ARN, alias name (alias/NAME) or alias ARN",
                    quoted(&key.value)
                ),
            );
            return None;
        }
        Some(Encryption {
            kind,
            kms_key: Some(key.value.clone()),
        })
    }

    /// Tag keys and values as ECR accepts them, at most `limit` of them.
    pub(crate) fn tags(
        &mut self,
        file: FileId,
        tags: &Field<Vec<RawTag>>,
        limit: usize,
    ) -> Option<Tags> {
        let mut valid = true;
        if tags.value.len() > limit {
            valid = false;
            let why = if limit == REPOSITORY_TAG_LIMIT {
                " (ECR allows 50 and ecrform adds its ownership tag)"
            } else {
                ""
            };
            self.error(
                file,
                tags.key_at,
                format!(
                    "too many tags: {}; at most {limit} are allowed{why}",
                    tags.value.len()
                ),
            );
        }
        let mut checked = Tags::new();
        for tag in &tags.value {
            valid &= self.tag(file, tag);
            checked.insert(tag.key.value.clone(), tag.value.value.clone());
        }
        valid.then_some(checked)
    }

    fn tag(&mut self, file: FileId, tag: &RawTag) -> bool {
        let key = &tag.key.value;
        let value = &tag.value.value;
        let shown_key = quoted(key);
        let key_problem = if !(1..=128).contains(&key.chars().count()) {
            Some(format!(
                "tag key {shown_key} must be 1 to 128 characters long"
            ))
        } else if key.to_lowercase().starts_with("aws:") {
            Some(format!(
                "tag key {shown_key} starts with \"aws:\", which AWS reserves"
            ))
        } else if key == OWNERSHIP_TAG_KEY {
            Some(format!(
                "tag key {shown_key} is reserved: ecrform uses it to mark the repositories it created"
            ))
        } else {
            key.chars().find(|c| !patterns::is_tag_char(*c)).map(|bad| format!(
                "tag key {shown_key} contains {bad:?}; tags may hold letters, digits, spaces and _ . : / = + - @"
            ))
        };
        let value_problem = if value.chars().count() > 256 {
            Some(format!(
                "tag value of {shown_key} is {} characters long; at most 256 are allowed",
                value.chars().count()
            ))
        } else {
            value.chars().find(|c| !patterns::is_tag_char(*c)).map(|bad| {
                format!(
                    "tag value of {shown_key} contains {bad:?}; tags may hold letters, digits, spaces and _ . : / = + - @"
                )
            })
        };
        let valid = key_problem.is_none() && value_problem.is_none();
        if let Some(problem) = key_problem {
            self.error(file, tag.key.at, problem);
        }
        if let Some(problem) = value_problem {
            self.error(file, tag.value.at, problem);
        }
        valid
    }

    /// A repository's state: `defaults` merged under its own block.
    pub(crate) fn merge(
        &mut self,
        defaults: &SettingsBlock,
        own: &SettingsBlock,
    ) -> RepositoryState {
        let (image_tag_mutability, image_tag_mutability_exclusions) =
            self.merged_mutability(defaults, own);
        let tags = self.merged_tags(defaults, own);
        RepositoryState {
            image_tag_mutability,
            image_tag_mutability_exclusions,
            scan_on_push: own
                .scan_on_push
                .as_ref()
                .or(defaults.scan_on_push.as_ref())
                .map(|p| p.value),
            encryption: own
                .encryption
                .as_ref()
                .or(defaults.encryption.as_ref())
                .map(|placed| placed.value.clone()),
            tags,
            lifecycle_policy: own_or_default(&own.lifecycle, &defaults.lifecycle),
            repository_policy: own_or_default(&own.policy, &defaults.policy),
            force_delete: own.force_delete,
            image_count: None,
        }
    }

    fn merged_mutability(
        &mut self,
        defaults: &SettingsBlock,
        own: &SettingsBlock,
    ) -> (Option<TagMutability>, Option<Vec<String>>) {
        let exclusions_of = |block: &SettingsBlock| {
            block
                .exclusions
                .as_ref()
                .map(|placed| placed.value.clone())
                .unwrap_or_default()
        };
        if let Some(mode) = &own.image_tag_mutability {
            return (Some(mode.value), Some(exclusions_of(own)));
        }
        let Some(own_exclusions) = &own.exclusions else {
            return match &defaults.image_tag_mutability {
                Some(mode) => (Some(mode.value), Some(exclusions_of(defaults))),
                None => (None, None),
            };
        };
        if own.invalid_keys.contains(&"image_tag_mutability")
            || defaults.invalid_keys.contains(&"image_tag_mutability")
        {
            return (None, None);
        }
        match &defaults.image_tag_mutability {
            Some(mode) if mode.value.takes_exclusions() => {
                (Some(mode.value), Some(own_exclusions.value.clone()))
            }
            Some(mode) => {
                let message = format!(
                    "image_tag_mutability_exclusions only applies when image_tag_mutability ends in \
                     _WITH_EXCLUSION, and defaults set it to {}",
                    mode.value
                );
                self.report.error(own_exclusions.at, message);
                (Some(mode.value), None)
            }
            None => {
                self.report.error(
                    own_exclusions.at,
                    "image_tag_mutability_exclusions needs image_tag_mutability (ending in \
                     _WITH_EXCLUSION) here or in defaults",
                );
                (None, None)
            }
        }
    }

    fn merged_tags(&mut self, defaults: &SettingsBlock, own: &SettingsBlock) -> Option<Tags> {
        let default_tags = defaults.tags.as_ref().map(|placed| placed.value.tags());
        let Some(own_tags) = &own.tags else {
            return default_tags.cloned();
        };
        let (TagSet::Merge(added), Some(base)) = (&own_tags.value, default_tags) else {
            return Some(own_tags.value.tags().clone());
        };
        let mut merged = base.clone();
        merged.extend(
            added
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
        if merged.len() > REPOSITORY_TAG_LIMIT
            && added.len() <= REPOSITORY_TAG_LIMIT
            && base.len() <= REPOSITORY_TAG_LIMIT
        {
            self.report.error(
                own_tags.at,
                format!(
                    "too many tags with those from defaults: {}; at most {REPOSITORY_TAG_LIMIT} are \
                     allowed (ECR allows 50 and ecrform adds its ownership tag)",
                    merged.len()
                ),
            );
        }
        Some(merged)
    }
}

/// A repository's own setting, else the default's, else unmanaged.
fn own_or_default<T: Clone>(own: &Option<Setting<T>>, default: &Option<Setting<T>>) -> Setting<T> {
    own.clone()
        .or_else(|| default.clone())
        .unwrap_or(Setting::Unmanaged)
}

#[cfg(test)]
mod tests;
