//! Who owns a repository: the spec that created it. A spec declares a stable owner id
//! (`owner: platform-prod`); every repository it creates carries the ownership tag
//! ([`crate::OWNERSHIP_TAG_KEY`]) with that id as its value, and `prune` deletes only
//! repositories whose tag names the spec's own id. Two specs that share a registry under
//! different ids never delete each other's repositories.
//!
//! A spec that declares no owner is the legacy owner, whose tag value is `true` (what every
//! ecrform wrote before owner ids): it behaves as before, and prunes only `true`-tagged
//! repositories.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::NameError;

/// The ownership tag value of specs that declare no owner.
pub const LEGACY_OWNER: &str = "true";

/// The longest owner id: well inside ECR's 256-character tag values.
const MAX_OWNER_LEN: usize = 128;

/// A spec's owner id, or the legacy owner.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnerId(String);

impl OwnerId {
    /// An id a spec declares: 1 to 128 letters, digits and `. _ - : / @ + =` (what ECR takes in
    /// a tag value, without spaces), not `true`, which names the legacy owner.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._-:/@+=".contains(c);
        if raw == LEGACY_OWNER {
            return Err(NameError(format!(
                "owner {LEGACY_OWNER:?} is the legacy owner of specs that declare none; choose \
                 an id of your own (a spec declaring none keeps it)"
            )));
        }
        if raw.is_empty() || raw.len() > MAX_OWNER_LEN || !raw.chars().all(allowed) {
            return Err(NameError(format!(
                "owner {raw:?} must be 1 to {MAX_OWNER_LEN} letters, digits and . _ - : / @ + ="
            )));
        }
        Ok(OwnerId(raw.to_owned()))
    }

    /// The owner of specs that declare none.
    pub fn legacy() -> Self {
        OwnerId(LEGACY_OWNER.to_owned())
    }

    pub fn is_legacy(&self) -> bool {
        self.0 == LEGACY_OWNER
    }

    /// The ownership tag's value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for OwnerId {
    fn default() -> Self {
        OwnerId::legacy()
    }
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for OwnerId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OwnerId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        if raw == LEGACY_OWNER {
            return Ok(OwnerId::legacy());
        }
        OwnerId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_ids_are_tag_values_and_true_is_reserved_for_the_legacy_owner() {
        for good in [
            "platform-prod",
            "team.a",
            "a",
            "org/team:prod@eu+1=x",
            &"x".repeat(128),
        ] {
            assert_eq!(OwnerId::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "two words", "ünïcode", &"x".repeat(129), "tab\there"] {
            assert!(OwnerId::parse(bad).is_err(), "{bad:?}");
        }
        let legacy = OwnerId::parse("true").unwrap_err().to_string();
        assert!(legacy.contains("legacy owner"), "{legacy}");
        assert!(OwnerId::default().is_legacy());
        let read: OwnerId = serde_json::from_str("\"true\"").unwrap();
        assert!(read.is_legacy());
    }
}
