//! A repository's settings: what the planner compares for the `repository` address. Lifecycle
//! and repository policies belong to the same repository but have their own addresses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::string_enum;
use crate::{IamPolicy, LifecyclePolicy, Setting};

/// Repository tags, key to value. The exact set is managed; see [`crate::is_reserved_tag_key`].
pub type Tags = BTreeMap<String, String>;

/// The alias of the AWS managed key that KMS encryption uses when no key is given. ECR
/// creates the key behind it the first time a repository in the region uses it.
pub const AWS_MANAGED_KEY_ALIAS: &str = "alias/aws/ecr";

/// KMS key references of one registry as KMS resolved them (DescribeKey): each alias name,
/// alias ARN or key id to the key ARN, or `None` when KMS has no such key. A reference that
/// could not be described (no permission) is not in the map: comparisons involving it fall
/// back to comparing the references themselves.
pub type KmsKeys = BTreeMap<String, Option<String>>;

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

    /// The key reference KMS must resolve to know exactly which key this encryption means:
    /// the alias name, alias ARN or key id as written, or the AWS managed key's alias for a
    /// KMS type without a key. `None` when nothing needs resolving (AES256, a key ARN).
    pub fn key_to_resolve(&self) -> Option<String> {
        if !self.kind.uses_kms() {
            return None;
        }
        match &self.kms_key {
            Some(key) if is_key_arn(key) => None,
            Some(key) => Some(key.clone()),
            None => Some(AWS_MANAGED_KEY_ALIAS.to_owned()),
        }
    }

    /// The key ARN this encryption means, as far as `keys` says.
    pub fn resolved_key(&self, keys: &KmsKeys) -> KeyResolution {
        if !self.kind.uses_kms() {
            return KeyResolution::NoKey;
        }
        let reference = match &self.kms_key {
            Some(key) if is_key_arn(key) => return KeyResolution::Key(key.clone()),
            Some(key) => key.as_str(),
            None => AWS_MANAGED_KEY_ALIAS,
        };
        match keys.get(reference) {
            Some(Some(arn)) => KeyResolution::Key(arn.clone()),
            Some(None) => KeyResolution::NoSuchKey,
            None => KeyResolution::Unknown,
        }
    }

    /// Whether live encryption satisfies this desired encryption: the same type and, with
    /// KMS, the same key.
    ///
    /// Keys compare as KMS resolves them (`keys`, read at plan time): an alias or key id means
    /// the key ARN it resolves to, no key means the AWS managed key (`alias/aws/ecr`), and ECR
    /// reports the key ARN whatever form was given. A managed key that does not exist yet is
    /// used by no repository, so nothing satisfies it. When a key could not be resolved (no
    /// permission to describe it, or a snapshot without it), the references themselves are
    /// compared as well as they can be without KMS ([`Encryption::is_satisfied_by_name`]).
    pub fn is_satisfied_by(&self, live: &Encryption, keys: &KmsKeys) -> bool {
        if self.kind != live.kind {
            return false;
        }
        if !self.kind.uses_kms() {
            return true;
        }
        match (self.resolved_key(keys), live.resolved_live_key(keys)) {
            (KeyResolution::Key(want), Some(have)) => want == have,
            (KeyResolution::NoSuchKey, _) => false,
            _ => self.is_satisfied_by_name(live),
        }
    }

    /// The key ARN of a live repository: ECR reports one, though a reference given in another
    /// form (as the local emulator keeps it) is resolved through `keys` too.
    fn resolved_live_key(&self, keys: &KmsKeys) -> Option<String> {
        match &self.kms_key {
            Some(key) if is_key_arn(key) => Some(key.clone()),
            Some(key) => keys.get(key).cloned().flatten(),
            None => None,
        }
    }

    /// The comparison without KMS: a key id matches the ARN that ends in `key/ID`, an alias
    /// matches an alias ARN of the same name, and against a key ARN an alias (which only KMS
    /// can resolve) is taken as satisfied rather than planning a replacement on every run; no
    /// desired key means whatever key ECR chose.
    pub fn is_satisfied_by_name(&self, live: &Encryption) -> bool {
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

    /// How a plan names this encryption to a reviewer: `AES256`, `KMS (arn:...)`, `KMS
    /// (arn:..., from alias/b)`, `KMS (the AWS managed key arn:...)`.
    pub fn describe(&self, keys: &KmsKeys) -> String {
        if !self.kind.uses_kms() {
            return self.kind.as_str().to_owned();
        }
        let resolved = match self.resolved_key(keys) {
            KeyResolution::Key(arn) => Some(arn),
            _ => self
                .kms_key
                .as_ref()
                .filter(|key| !is_key_arn(key))
                .and_then(|key| keys.get(key).cloned().flatten()),
        };
        let key = match (&self.kms_key, resolved) {
            (Some(key), Some(arn)) if *key != arn => format!("{arn}, from {key}"),
            (Some(key), _) => key.clone(),
            (None, Some(arn)) => format!("the AWS managed key {arn}"),
            (None, None) if keys.get(AWS_MANAGED_KEY_ALIAS) == Some(&None) => {
                "the AWS managed key, which ECR creates on first use".to_owned()
            }
            (None, None) => "the AWS managed key".to_owned(),
        };
        format!("{} ({key})", self.kind)
    }
}

/// What a KMS key reference means, as far as the keys read at plan time say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyResolution {
    /// Not KMS encryption.
    NoKey,
    /// This key ARN.
    Key(String),
    /// KMS has no such key (or alias).
    NoSuchKey,
    /// Not resolved: KMS could not be asked.
    Unknown,
}

/// Whether a KMS key reference is a key ARN (`arn:PARTITION:kms:REGION:ACCOUNT:key/ID`).
pub fn is_key_arn(reference: &str) -> bool {
    reference.starts_with("arn:")
        && arn_resource(reference).is_some_and(|resource| resource.starts_with("key/"))
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
    /// The owner id the ownership tag names, when the repository carries it (tags read).
    pub fn owner(&self) -> Option<&str> {
        self.tags
            .as_ref()?
            .get(crate::OWNERSHIP_TAG_KEY)
            .map(String::as_str)
    }

    /// Whether an ecrform spec created this repository (it carries the ownership tag).
    pub fn is_owned(&self) -> bool {
        self.owner().is_some()
    }

    /// Whether the spec of `owner` created this repository.
    pub fn is_owned_by(&self, owner: &crate::OwnerId) -> bool {
        self.owner() == Some(owner.as_str())
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
            assert!(want.is_satisfied_by_name(&live), "{want:?}");
            assert!(
                want.is_satisfied_by(&live, &KmsKeys::new()),
                "unresolved keys compare by name: {want:?}"
            );
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
            assert!(!want.is_satisfied_by_name(&live), "{want:?}");
            assert!(!want.is_satisfied_by(&live, &KmsKeys::new()), "{want:?}");
        }
    }

    #[test]
    fn alias_against_an_alias_arn_compares_names() {
        let live = kms(Some("arn:aws:kms:us-east-1:123456789012:alias/ecr"));
        assert!(kms(Some("alias/ecr")).is_satisfied_by_name(&live));
        assert!(!kms(Some("alias/other")).is_satisfied_by_name(&live));
    }

    const OTHER_KEY_ARN: &str =
        "arn:aws:kms:us-east-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab";
    const MANAGED_KEY_ARN: &str =
        "arn:aws:kms:us-east-1:123456789012:key/00000000-aaaa-bbbb-cccc-000000000000";

    fn keys(entries: &[(&str, Option<&str>)]) -> KmsKeys {
        entries
            .iter()
            .map(|(reference, arn)| ((*reference).to_owned(), arn.map(str::to_owned)))
            .collect()
    }

    #[test]
    fn resolved_keys_compare_exactly() {
        let resolved = keys(&[
            ("alias/a", Some(KEY_ARN)),
            ("alias/b", Some(OTHER_KEY_ARN)),
            ("1234abcd-12ab-34cd-56ef-1234567890ab", Some(KEY_ARN)),
            (AWS_MANAGED_KEY_ALIAS, Some(MANAGED_KEY_ARN)),
            ("alias/gone", None),
        ]);
        let live = kms(Some(KEY_ARN));
        let cases = [
            ("the alias of the live key", kms(Some("alias/a")), true),
            (
                "the key id of the live key",
                kms(Some("1234abcd-12ab-34cd-56ef-1234567890ab")),
                true,
            ),
            ("the live key's ARN", kms(Some(KEY_ARN)), true),
            // Today's rule took any alias as satisfied by a key ARN: a rotation did nothing.
            ("an alias of another key", kms(Some("alias/b")), false),
            ("another key's ARN", kms(Some(OTHER_KEY_ARN)), false),
            // Today's rule took no key as "whatever key ECR chose".
            (
                "the managed key, the live one being a customer key",
                kms(None),
                false,
            ),
            ("an alias KMS does not know", kms(Some("alias/gone")), false),
        ];
        for (what, want, satisfied) in cases {
            assert_eq!(want.is_satisfied_by(&live, &resolved), satisfied, "{what}");
        }
        assert!(kms(None).is_satisfied_by(&kms(Some(MANAGED_KEY_ARN)), &resolved));
    }

    #[test]
    fn a_managed_key_that_does_not_exist_yet_satisfies_no_repository() {
        let not_created = keys(&[(AWS_MANAGED_KEY_ALIAS, None)]);
        assert!(!kms(None).is_satisfied_by(&kms(Some(KEY_ARN)), &not_created));
        assert_eq!(
            kms(None).describe(&not_created),
            "KMS (the AWS managed key, which ECR creates on first use)"
        );
    }

    #[test]
    fn a_live_key_reported_by_another_name_is_resolved_too() {
        // The local emulator keeps the alias a repository was created with.
        let resolved = keys(&[("alias/a", Some(KEY_ARN)), ("alias/b", Some(OTHER_KEY_ARN))]);
        assert!(kms(Some(KEY_ARN)).is_satisfied_by(&kms(Some("alias/a")), &resolved));
        assert!(!kms(Some("alias/b")).is_satisfied_by(&kms(Some("alias/a")), &resolved));
    }

    #[test]
    fn only_kms_references_that_are_not_key_arns_need_resolving() {
        assert_eq!(Encryption::aes256().key_to_resolve(), None);
        assert_eq!(kms(Some(KEY_ARN)).key_to_resolve(), None);
        assert_eq!(
            kms(Some("alias/a")).key_to_resolve().as_deref(),
            Some("alias/a")
        );
        assert_eq!(
            kms(None).key_to_resolve().as_deref(),
            Some(AWS_MANAGED_KEY_ALIAS)
        );
    }

    #[test]
    fn a_key_is_described_with_the_alias_it_came_from() {
        let resolved = keys(&[
            ("alias/b", Some(OTHER_KEY_ARN)),
            (AWS_MANAGED_KEY_ALIAS, Some(MANAGED_KEY_ARN)),
        ]);
        let cases = [
            (Encryption::aes256(), "AES256".to_owned()),
            (kms(Some(KEY_ARN)), format!("KMS ({KEY_ARN})")),
            (
                kms(Some("alias/b")),
                format!("KMS ({OTHER_KEY_ARN}, from alias/b)"),
            ),
            (kms(Some("alias/unread")), "KMS (alias/unread)".to_owned()),
            (
                kms(None),
                format!("KMS (the AWS managed key {MANAGED_KEY_ARN})"),
            ),
        ];
        for (encryption, text) in cases {
            assert_eq!(encryption.describe(&resolved), text);
        }
    }

    #[test]
    fn mutability_names_round_trip() {
        for mode in TagMutability::ALL {
            assert_eq!(TagMutability::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(TagMutability::parse("mutable"), None);
    }
}
