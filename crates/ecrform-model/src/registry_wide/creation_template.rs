//! Repository creation templates, keyed by prefix (or `ROOT`): the settings ECR gives a
//! repository it creates by replication, pull-through cache or create-on-push.

use serde::{Deserialize, Serialize};

use crate::enums::string_enum;
use crate::{Encryption, EncryptionType, IamPolicy, LifecyclePolicy, TagMutability, Tags};

string_enum! {
    /// What a creation template applies to.
    pub enum AppliedFor {
        Replication => "REPLICATION",
        PullThroughCache => "PULL_THROUGH_CACHE",
        CreateOnPush => "CREATE_ON_PUSH",
    }
}

/// A repository creation template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreationTemplate {
    pub applied_for: Vec<AppliedFor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability: Option<TagMutability>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tag_mutability_exclusions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub resource_tags: Tags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_policy: Option<LifecyclePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_policy: Option<IamPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_role_arn: Option<String>,
}

impl CreationTemplate {
    /// The template without ECR's defaults and in set order: `MUTABLE` without exclusions and
    /// `AES256` without a key are what a template that sets neither gets, an empty
    /// description, role or policy text is none, and `applied_for` and the exclusions are
    /// sets. Depends on the template alone, so a desired template and the live one reduce
    /// alike whether or not they stated the defaults. Policies compare canonically by type.
    pub fn canonical(&self) -> CreationTemplate {
        let non_empty = |value: &Option<String>| value.clone().filter(|text| !text.is_empty());
        let mut applied_for = self.applied_for.clone();
        applied_for.sort_by_key(|applied| applied.as_str());
        applied_for.dedup();
        let mut exclusions = self.image_tag_mutability_exclusions.clone();
        exclusions.sort();
        exclusions.dedup();
        let image_tag_mutability = self
            .image_tag_mutability
            .filter(|mode| !(*mode == TagMutability::Mutable && exclusions.is_empty()));
        let encryption = self
            .encryption
            .clone()
            .map(|encryption| Encryption {
                kms_key: non_empty(&encryption.kms_key),
                ..encryption
            })
            .filter(|encryption| *encryption != Encryption::aes256());
        CreationTemplate {
            applied_for,
            description: non_empty(&self.description),
            image_tag_mutability,
            image_tag_mutability_exclusions: exclusions,
            encryption,
            resource_tags: self.resource_tags.clone(),
            lifecycle_policy: self.lifecycle_policy.clone(),
            repository_policy: self.repository_policy.clone(),
            custom_role_arn: non_empty(&self.custom_role_arn),
        }
    }

    /// The template as DescribeRepositoryCreationTemplates reports it once created from
    /// `self`: ECR's defaults (`MUTABLE`, `AES256`) where it sets neither, empty texts as none.
    pub fn as_ecr_reports(&self) -> CreationTemplate {
        let non_empty = |value: &Option<String>| value.clone().filter(|text| !text.is_empty());
        CreationTemplate {
            description: non_empty(&self.description),
            image_tag_mutability: Some(self.image_tag_mutability.unwrap_or(TagMutability::Mutable)),
            encryption: Some(self.encryption.clone().unwrap_or_else(Encryption::aes256)),
            custom_role_arn: non_empty(&self.custom_role_arn),
            ..self.clone()
        }
    }

    /// The mode the template gives repositories: ECR's default when it sets none.
    pub fn effective_tag_mutability(&self) -> TagMutability {
        self.image_tag_mutability.unwrap_or(TagMutability::Mutable)
    }

    /// The encryption the template gives repositories: ECR's default when it sets none.
    pub fn effective_encryption(&self) -> Encryption {
        self.encryption.clone().unwrap_or_else(Encryption::aes256)
    }

    /// ECR requires a custom role for a template that tags repositories or encrypts them
    /// with KMS: it creates them on the account's behalf.
    pub fn needs_custom_role(&self) -> bool {
        !self.resource_tags.is_empty() || self.effective_encryption().kind != EncryptionType::Aes256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> CreationTemplate {
        CreationTemplate {
            applied_for: vec![AppliedFor::Replication],
            description: None,
            image_tag_mutability: None,
            image_tag_mutability_exclusions: Vec::new(),
            encryption: None,
            resource_tags: Tags::new(),
            lifecycle_policy: None,
            repository_policy: None,
            custom_role_arn: None,
        }
    }

    #[test]
    fn ecr_defaults_empty_texts_and_set_order_are_no_difference() {
        let cases = [
            ("reported defaults", template(), template().as_ecr_reports()),
            (
                "stated defaults",
                template(),
                CreationTemplate {
                    image_tag_mutability: Some(TagMutability::Mutable),
                    encryption: Some(Encryption::aes256()),
                    ..template()
                },
            ),
            (
                "empty texts",
                template(),
                CreationTemplate {
                    description: Some(String::new()),
                    custom_role_arn: Some(String::new()),
                    ..template()
                },
            ),
            (
                "applied_for order and repeats",
                CreationTemplate {
                    applied_for: vec![AppliedFor::Replication, AppliedFor::CreateOnPush],
                    ..template()
                },
                CreationTemplate {
                    applied_for: vec![
                        AppliedFor::CreateOnPush,
                        AppliedFor::Replication,
                        AppliedFor::CreateOnPush,
                    ],
                    ..template()
                },
            ),
        ];
        for (what, left, right) in cases {
            assert_eq!(left.canonical(), right.canonical(), "{what}");
        }
    }

    #[test]
    fn settings_other_than_the_defaults_are_differences() {
        let others = [
            CreationTemplate {
                image_tag_mutability: Some(TagMutability::Immutable),
                ..template()
            },
            CreationTemplate {
                image_tag_mutability: Some(TagMutability::MutableWithExclusion),
                image_tag_mutability_exclusions: vec!["latest".to_owned()],
                ..template()
            },
            CreationTemplate {
                encryption: Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: None,
                }),
                ..template()
            },
            CreationTemplate {
                applied_for: vec![AppliedFor::PullThroughCache],
                ..template()
            },
            CreationTemplate {
                description: Some("cache".to_owned()),
                ..template()
            },
        ];
        for other in others {
            assert_ne!(template().canonical(), other.canonical(), "{other:?}");
        }
    }

    #[test]
    fn defaults_are_left_out_only_when_they_are_the_defaults() {
        let kms = Encryption {
            kind: EncryptionType::Kms,
            kms_key: None,
        };
        // (mutability, exclusions, encryption) -> canonical mutability, canonical encryption
        let cases = [
            (
                Some(TagMutability::Mutable),
                vec![],
                Some(Encryption::aes256()),
                None,
                None,
            ),
            (
                Some(TagMutability::Immutable),
                vec![],
                Some(kms.clone()),
                Some(TagMutability::Immutable),
                Some(kms.clone()),
            ),
            (
                Some(TagMutability::MutableWithExclusion),
                vec!["release-*".to_owned()],
                None,
                Some(TagMutability::MutableWithExclusion),
                None,
            ),
        ];
        for (mode, exclusions, encryption, kept_mode, kept_encryption) in cases {
            let canonical = CreationTemplate {
                image_tag_mutability: mode,
                image_tag_mutability_exclusions: exclusions,
                encryption,
                ..template()
            }
            .canonical();
            assert_eq!(canonical.image_tag_mutability, kept_mode);
            assert_eq!(canonical.encryption, kept_encryption);
        }
    }

    #[test]
    fn a_custom_role_is_needed_for_tags_or_kms() {
        assert!(!template().needs_custom_role());
        let tagged = CreationTemplate {
            resource_tags: [("team".to_owned(), "a".to_owned())].into(),
            ..template()
        };
        assert!(tagged.needs_custom_role());
        let kms = CreationTemplate {
            encryption: Some(Encryption {
                kind: EncryptionType::KmsDsse,
                kms_key: None,
            }),
            ..template()
        };
        assert!(kms.needs_custom_role());
    }
}
