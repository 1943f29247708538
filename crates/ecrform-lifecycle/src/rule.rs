//! The typed model of a lifecycle policy: what one rule selects and what it does.
//!
//! Validation produces these types and the evaluation engine consumes them, so both agree on
//! one meaning of a rule. Where ECR's JSON allows combinations it would reject (a count unit on
//! a count rule, a target storage class on an expiry), the types leave them out: a
//! [`CountCriterion`] carries its unit in its variant, and only [`RuleAction::Transition`] has a
//! target.

/// ECR rejects policies with more rules than this.
pub const MAX_RULES: usize = 50;
/// The fewest characters ECR accepts in a lifecycle policy text.
pub const MIN_POLICY_CHARS: usize = 100;
/// The most characters ECR accepts in a lifecycle policy text.
pub const MAX_POLICY_CHARS: usize = 30_720;
/// The most `*` wildcards ECR accepts in one `tagPatternList` entry.
pub const MAX_PATTERN_WILDCARDS: usize = 4;
/// The smallest `countNumber` ECR accepts with `sinceImageTransitioned`: archived images are
/// billed for at least 90 days, so ECR refuses to expire them sooner.
pub const MIN_DAYS_SINCE_TRANSITIONED: u32 = 90;

/// The rules of a lifecycle policy that ECR would accept, in ascending `rulePriority`, which
/// is the order ECR applies them in and the order it returns them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecyclePolicyRules {
    pub rules: Vec<Rule>,
}

/// One rule: which images it selects and what happens to those beyond its count criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique within the policy; lower numbers are applied first.
    pub priority: u32,
    pub description: Option<String>,
    pub selection: Selection,
    pub action: RuleAction,
}

/// Which images a rule considers, and the criterion that picks the ones it acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub tag_status: TagStatus,
    /// Non-empty only for [`TagStatus::Tagged`], and then exactly one of the two lists is.
    pub tag_prefixes: Vec<String>,
    pub tag_patterns: Vec<String>,
    /// The storage class whose images the rule looks at.
    pub storage_class: StorageClass,
    pub count: CountCriterion,
}

/// `tagStatus`: whether a rule looks at tagged images, untagged images or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagStatus {
    Tagged,
    Untagged,
    Any,
}

/// Where an image is stored; lifecycle rules select by it and transition between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StorageClass {
    Standard,
    Archive,
}

/// `countType`, apart from its number: how a rule decides which selected images to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountType {
    ImageCountMoreThan,
    SinceImagePushed,
    SinceImagePulled,
    SinceImageTransitioned,
}

/// `countType` with its `countNumber` (and, for the age criteria, the implied `countUnit` of
/// days, the only unit ECR has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountCriterion {
    /// Keep the newest N selected images (by push time), act on the rest.
    ImageCountMoreThan(u32),
    /// Act on selected images pushed more than `days` days ago.
    SinceImagePushed { days: u32 },
    /// Act on selected images last pulled (or, if never pulled, pushed) more than `days` ago.
    SinceImagePulled { days: u32 },
    /// Act on selected images archived more than `days` days ago.
    SinceImageTransitioned { days: u32 },
}

/// What a rule does to the images its count criterion picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleAction {
    /// Delete the images.
    Expire,
    /// Move the images to another storage class.
    Transition { target: StorageClass },
}

impl TagStatus {
    /// The spelling in ECR's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TagStatus::Tagged => "tagged",
            TagStatus::Untagged => "untagged",
            TagStatus::Any => "any",
        }
    }

    /// Reads ECR's spelling; ECR is case-sensitive here, and so is this.
    pub fn from_ecr(text: &str) -> Option<Self> {
        match text {
            "tagged" => Some(TagStatus::Tagged),
            "untagged" => Some(TagStatus::Untagged),
            "any" => Some(TagStatus::Any),
            _ => None,
        }
    }
}

impl StorageClass {
    /// The spelling in ECR's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageClass::Standard => "standard",
            StorageClass::Archive => "archive",
        }
    }

    /// Reads ECR's spelling.
    pub fn from_ecr(text: &str) -> Option<Self> {
        match text {
            "standard" => Some(StorageClass::Standard),
            "archive" => Some(StorageClass::Archive),
            _ => None,
        }
    }
}

impl CountType {
    /// The spelling in ECR's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CountType::ImageCountMoreThan => "imageCountMoreThan",
            CountType::SinceImagePushed => "sinceImagePushed",
            CountType::SinceImagePulled => "sinceImagePulled",
            CountType::SinceImageTransitioned => "sinceImageTransitioned",
        }
    }

    /// Reads ECR's spelling.
    pub fn from_ecr(text: &str) -> Option<Self> {
        match text {
            "imageCountMoreThan" => Some(CountType::ImageCountMoreThan),
            "sinceImagePushed" => Some(CountType::SinceImagePushed),
            "sinceImagePulled" => Some(CountType::SinceImagePulled),
            "sinceImageTransitioned" => Some(CountType::SinceImageTransitioned),
            _ => None,
        }
    }

    /// Whether `countNumber` is an age, which ECR wants spelled out with `countUnit: days`.
    pub fn is_age(self) -> bool {
        !matches!(self, CountType::ImageCountMoreThan)
    }
}

impl CountCriterion {
    /// Pairs a count type with its number.
    pub fn new(count_type: CountType, number: u32) -> Self {
        match count_type {
            CountType::ImageCountMoreThan => CountCriterion::ImageCountMoreThan(number),
            CountType::SinceImagePushed => CountCriterion::SinceImagePushed { days: number },
            CountType::SinceImagePulled => CountCriterion::SinceImagePulled { days: number },
            CountType::SinceImageTransitioned => {
                CountCriterion::SinceImageTransitioned { days: number }
            }
        }
    }

    pub fn count_type(self) -> CountType {
        match self {
            CountCriterion::ImageCountMoreThan(_) => CountType::ImageCountMoreThan,
            CountCriterion::SinceImagePushed { .. } => CountType::SinceImagePushed,
            CountCriterion::SinceImagePulled { .. } => CountType::SinceImagePulled,
            CountCriterion::SinceImageTransitioned { .. } => CountType::SinceImageTransitioned,
        }
    }

    /// `countNumber` as written: an image count or a number of days.
    pub fn count_number(self) -> u32 {
        match self {
            CountCriterion::ImageCountMoreThan(count) => count,
            CountCriterion::SinceImagePushed { days }
            | CountCriterion::SinceImagePulled { days }
            | CountCriterion::SinceImageTransitioned { days } => days,
        }
    }
}

impl RuleAction {
    /// The action's `type` in ECR's JSON.
    pub fn type_name(self) -> &'static str {
        match self {
            RuleAction::Expire => "expire",
            RuleAction::Transition { .. } => "transition",
        }
    }
}

impl Selection {
    /// Whether an image with these tags fits the tag part of this selection: any image for
    /// `any`, images without tags for `untagged`, and for `tagged` images with at least one tag
    /// where every entry of the prefix and pattern lists matches at least one of the image's
    /// tags (so a list of several entries narrows the selection rather than widening it).
    pub fn matches_tags(&self, image_tags: &[String]) -> bool {
        match self.tag_status {
            TagStatus::Any => true,
            TagStatus::Untagged => image_tags.is_empty(),
            TagStatus::Tagged => {
                !image_tags.is_empty()
                    && self.tag_prefixes.iter().all(|prefix| {
                        image_tags
                            .iter()
                            .any(|tag| tag.starts_with(prefix.as_str()))
                    })
                    && self
                        .tag_patterns
                        .iter()
                        .all(|pattern| image_tags.iter().any(|tag| glob_matches(pattern, tag)))
            }
        }
    }
}

/// Whether `text` matches a `tagPatternList` entry: `*` stands for any run of characters
/// (including none), everything else matches itself, and the pattern covers the whole tag.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    // Byte-wise is exact for UTF-8: `*` is ASCII, and a literal run of the pattern can only
    // match whole characters of the text because UTF-8 never starts a character mid-sequence.
    let pattern = pattern.as_bytes();
    let text = text.as_bytes();
    let (mut p, mut t) = (0, 0);
    // After a `*`, the pattern position just past it and the text position it has consumed up
    // to; on a mismatch the star swallows one more byte and matching resumes there. This keeps
    // matching linear in practice and never recurses, whatever the input.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                backtrack = Some((p + 1, t));
                p += 1;
            }
            Some(&byte) if Some(&byte) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((after_star, consumed)) => {
                    p = after_star;
                    t = consumed + 1;
                    backtrack = Some((after_star, consumed + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..]
        .iter()
        .all(|&byte| byte == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(tag_status: TagStatus, prefixes: &[&str], patterns: &[&str]) -> Selection {
        Selection {
            tag_status,
            tag_prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
            tag_patterns: patterns.iter().map(|s| s.to_string()).collect(),
            storage_class: StorageClass::Standard,
            count: CountCriterion::ImageCountMoreThan(1),
        }
    }

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn glob_matches_follows_ecr_wildcard_semantics() {
        let cases: &[(&str, &str, bool)] = &[
            ("prod", "prod", true),
            ("prod", "prod1", false),
            ("prod*", "prod", true),
            ("prod*", "prod-2024", true),
            ("prod*", "preprod", false),
            ("*prod", "preprod", true),
            ("*prod*", "my-prod-tag", true),
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "x", false),
            ("*test*1*2*3", "xtestx1x2x3", true),
            ("*test*1*2*3", "xtestx1x2x3x", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("a**b", "ab", true),
            ("v1.*", "v1.2", true),
            ("v1.*", "v12", false),
            ("é*ü", "éxxü", true),
            ("*ü", "ü", true),
            ("a*aab", "aaaaaab", true),
        ];
        for &(pattern, text, expected) in cases {
            assert_eq!(
                glob_matches(pattern, text),
                expected,
                "{pattern:?} against {text:?}"
            );
        }
    }

    #[test]
    fn matches_tags_requires_every_list_entry_to_match_some_tag() {
        let cases: &[(&str, Selection, &[&str], bool)] = &[
            (
                "any selects untagged images",
                selection(TagStatus::Any, &[], &[]),
                &[],
                true,
            ),
            (
                "any selects tagged images",
                selection(TagStatus::Any, &[], &[]),
                &["v1"],
                true,
            ),
            (
                "untagged selects untagged",
                selection(TagStatus::Untagged, &[], &[]),
                &[],
                true,
            ),
            (
                "untagged skips tagged",
                selection(TagStatus::Untagged, &[], &[]),
                &["v1"],
                false,
            ),
            (
                "tagged skips untagged images",
                selection(TagStatus::Tagged, &["prod"], &[]),
                &[],
                false,
            ),
            (
                "prefix matches the start of a tag",
                selection(TagStatus::Tagged, &["prod"], &[]),
                &["prod-1"],
                true,
            ),
            (
                "prefix does not match the middle of a tag",
                selection(TagStatus::Tagged, &["prod"], &[]),
                &["preprod"],
                false,
            ),
            (
                "one matching tag among several is enough",
                selection(TagStatus::Tagged, &["prod"], &[]),
                &["beta-1", "prod-1"],
                true,
            ),
            (
                "every prefix must match some tag",
                selection(TagStatus::Tagged, &["alpha", "beta"], &[]),
                &["alpha-1"],
                false,
            ),
            (
                "every prefix matching a different tag selects the image",
                selection(TagStatus::Tagged, &["alpha", "beta"], &[]),
                &["alpha-1", "beta-1"],
                true,
            ),
            (
                "pattern is anchored at both ends",
                selection(TagStatus::Tagged, &[], &["prod"]),
                &["prod-1"],
                false,
            ),
            (
                "pattern wildcard matches the rest of a tag",
                selection(TagStatus::Tagged, &[], &["prod*"]),
                &["prod-1"],
                true,
            ),
            (
                "every pattern must match some tag",
                selection(TagStatus::Tagged, &[], &["prod*", "*-stable"]),
                &["prod-1"],
                false,
            ),
            (
                "patterns may be matched by different tags",
                selection(TagStatus::Tagged, &[], &["prod*", "*-stable"]),
                &["prod-1", "v2-stable"],
                true,
            ),
        ];
        for (name, selection, image_tags, expected) in cases {
            assert_eq!(
                selection.matches_tags(&tags(image_tags)),
                *expected,
                "{name}"
            );
        }
    }

    #[test]
    fn count_criterion_round_trips_its_type_and_number() {
        for count_type in [
            CountType::ImageCountMoreThan,
            CountType::SinceImagePushed,
            CountType::SinceImagePulled,
            CountType::SinceImageTransitioned,
        ] {
            let criterion = CountCriterion::new(count_type, 7);
            assert_eq!(criterion.count_type(), count_type);
            assert_eq!(criterion.count_number(), 7);
            assert_eq!(CountType::from_ecr(count_type.as_str()), Some(count_type));
        }
    }

    #[test]
    fn ecr_spellings_are_case_sensitive() {
        assert_eq!(TagStatus::from_ecr("tagged"), Some(TagStatus::Tagged));
        assert_eq!(TagStatus::from_ecr("TAGGED"), None);
        assert_eq!(
            StorageClass::from_ecr("archive"),
            Some(StorageClass::Archive)
        );
        assert_eq!(StorageClass::from_ecr("ARCHIVE"), None);
        assert_eq!(CountType::from_ecr("imagecountmorethan"), None);
    }
}
