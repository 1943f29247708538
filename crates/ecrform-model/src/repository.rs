//! A repository's settings: what the planner compares for the `repository` address. Lifecycle
//! and repository policies belong to the same repository but have their own addresses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::string_enum;
use crate::{IamPolicy, LifecyclePolicy, Setting};

/// Repository tags, key to value. The exact set is managed; see [`crate::is_reserved_tag_key`].
pub type Tags = BTreeMap<String, String>;

string_enum! {
    /// ECR's image tag mutability modes.
    pub enum TagMutability {
        Mutable => "MUTABLE",
        Immutable => "IMMUTABLE",
        ImmutableWithExclusion => "IMMUTABLE_WITH_EXCLUSION",
        MutableWithExclusion => "MUTABLE_WITH_EXCLUSION",
    }
}

impl TagMutability {
    /// Exclusion filters are present exactly when the mode ends in `_WITH_EXCLUSION`.
    pub fn takes_exclusions(self) -> bool {
        matches!(
            self,
            TagMutability::ImmutableWithExclusion | TagMutability::MutableWithExclusion
        )
    }
}

string_enum! {
    /// ECR's encryption types. Encryption is fixed at creation.
    pub enum EncryptionType {
        Aes256 => "AES256",
        Kms => "KMS",
        KmsDsse => "KMS_DSSE",
    }
}

impl EncryptionType {
    pub fn uses_kms(self) -> bool {
        !matches!(self, EncryptionType::Aes256)
    }
}

/// A repository's encryption configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    #[serde(rename = "type")]
    pub kind: EncryptionType,
    /// A key id, key ARN, alias name or alias ARN as the user wrote it; live state holds the
    /// key ARN that ECR reports. `None` with a KMS type means the AWS-managed `aws/ecr` key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
}

impl Encryption {
    pub fn aes256() -> Self {
        Encryption {
            kind: EncryptionType::Aes256,
            kms_key: None,
        }
    }

    /// Whether live encryption satisfies this desired encryption.
    ///
    /// ECR reports the key as an ARN whatever form was given, so a key id matches the ARN that
    /// ends in `key/ID`, and an alias matches an alias ARN of the same name. An alias cannot be
    /// resolved to a key ARN without asking KMS, so against a key ARN an alias is taken as
    /// satisfied rather than planning a replacement on every run; a desired key ARN or key id
    /// is compared exactly. No desired key means "whatever key ECR chose".
    pub fn is_satisfied_by(&self, live: &Encryption) -> bool {
        if self.kind != live.kind {
            return false;
        }
        let (Some(want), Some(have)) = (&self.kms_key, &live.kms_key) else {
            return true;
        };
        if want == have {
            return true;
        }
        let have_resource = arn_resource(have);
        if let Some(alias) = want.strip_prefix("alias/") {
            return match have_resource {
                Some(resource) if resource.starts_with("alias/") => {
                    resource == format!("alias/{alias}")
                }
                _ => true,
            };
        }
        if want.starts_with("arn:") {
            let want_resource = arn_resource(want);
            return match (want_resource, have_resource) {
                // An alias ARN against a key ARN cannot be resolved offline; see above.
                (Some(w), Some(h)) if w.starts_with("alias/") && h.starts_with("key/") => true,
                _ => false,
            };
        }
        have_resource == Some(&format!("key/{want}"))
    }
}

/// The resource part of an ARN (`key/...` or `alias/...` for KMS).
fn arn_resource(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.splitn(5, ':').nth(4))
}

/// One repository's state. Every field is a managed setting: `None` / `Unmanaged` in desired
/// state means the spec leaves it alone; live state read from ECR fills every field it read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RepositoryState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability: Option<TagMutability>,
    /// Managed together with `image_tag_mutability`; empty unless the mode takes exclusions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability_exclusions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_on_push: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    /// Including reserved keys in live state; the planner ignores reserved keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Setting::is_unmanaged")]
    pub lifecycle_policy: Setting<LifecyclePolicy>,
    #[serde(default, skip_serializing_if = "Setting::is_unmanaged")]
    pub repository_policy: Setting<IamPolicy>,
    /// Desired only: the user allows deleting this repository while it holds images.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_delete: bool,
    /// Live only: how many images the repository holds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_count: Option<u64>,
}

impl RepositoryState {
    /// Whether ecrform created this repository (it carries the ownership tag).
    pub fn is_owned(&self) -> bool {
        self.tags.as_ref().is_some_and(|tags| {
            tags.get(crate::OWNERSHIP_TAG_KEY).map(String::as_str)
                == Some(crate::OWNERSHIP_TAG_VALUE)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kms(key: Option<&str>) -> Encryption {
        Encryption {
            kind: EncryptionType::Kms,
            kms_key: key.map(str::to_owned),
        }
    }

    const KEY_ARN: &str =
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn kms_key_forms_compare_against_the_reported_arn() {
        let live = kms(Some(KEY_ARN));
        let satisfied = [
            kms(None),
            kms(Some(KEY_ARN)),
            kms(Some("1234abcd-12ab-34cd-56ef-1234567890ab")),
            kms(Some("alias/ecr")),
            kms(Some("arn:aws:kms:us-east-1:123456789012:alias/ecr")),
        ];
        for want in satisfied {
            assert!(want.is_satisfied_by(&live), "{want:?}");
        }
        let not_satisfied = [
            kms(Some("ffffffff-12ab-34cd-56ef-1234567890ab")),
            kms(Some("arn:aws:kms:us-east-1:123456789012:key/ffffffff")),
            Encryption::aes256(),
            Encryption {
                kind: EncryptionType::KmsDsse,
                kms_key: None,
            },
        ];
        for want in not_satisfied {
            assert!(!want.is_satisfied_by(&live), "{want:?}");
        }
    }

    #[test]
    fn alias_against_an_alias_arn_compares_names() {
        let live = kms(Some("arn:aws:kms:us-east-1:123456789012:alias/ecr"));
        assert!(kms(Some("alias/ecr")).is_satisfied_by(&live));
        assert!(!kms(Some("alias/other")).is_satisfied_by(&live));
    }

    #[test]
    fn mutability_names_round_trip() {
        for mode in TagMutability::ALL {
            assert_eq!(TagMutability::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(TagMutability::parse("mutable"), None);
    }
}
