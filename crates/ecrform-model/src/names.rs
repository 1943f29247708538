//! Validated names: once constructed, an account id, region or repository name is valid, so
//! nothing downstream checks them again.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a name was rejected. The message is a full sentence fragment a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NameError(pub String);

macro_rules! string_newtype {
    ($name:ident, $parse:path) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                $parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A 12-digit AWS account id (the ECR registry id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(String);

impl AccountId {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountId(raw.to_owned()))
        } else {
            Err(NameError(format!(
                "account id {raw:?} must be exactly 12 digits (quote it in YAML so leading zeros survive)"
            )))
        }
    }
}
string_newtype!(AccountId, AccountId::parse);

/// An AWS region name such as `us-east-1` or `us-gov-west-1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(String);

impl Region {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let parts: Vec<&str> = raw.split('-').collect();
        let valid = parts.len() >= 3
            && parts[0].len() == 2
            && parts[0].bytes().all(|b| b.is_ascii_lowercase())
            && parts[1..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && parts
                .last()
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if valid {
            Ok(Region(raw.to_owned()))
        } else {
            Err(NameError(format!(
                "region {raw:?} is not a valid AWS region name (like us-east-1)"
            )))
        }
    }
}
string_newtype!(Region, Region::parse);

/// One registry: an account in a region. Displayed as `ACCOUNT/REGION`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RegistryId {
    pub account: AccountId,
    pub region: Region,
}

impl RegistryId {
    pub fn new(account: AccountId, region: Region) -> Self {
        RegistryId { account, region }
    }

    /// Parses `ACCOUNT/REGION`, as given to `--registry`.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let (account, region) = raw
            .split_once('/')
            .ok_or_else(|| NameError(format!("registry {raw:?} must be written ACCOUNT/REGION")))?;
        Ok(RegistryId::new(
            AccountId::parse(account)?,
            Region::parse(region)?,
        ))
    }
}

impl fmt::Display for RegistryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.region)
    }
}

/// An ECR repository name.
///
/// [`RepositoryName::parse`] accepts what the ECR API accepts (live repositories may have been
/// created by any client); [`RepositoryName::parse_strict`] adds the user guide's rules and is
/// what the spec uses, so that ecrform never creates a name ECR's console would reject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepositoryName(String);

impl RepositoryName {
    /// The API rule: 2-256 characters matching
    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        check_length(raw)?;
        for component in raw.split('/') {
            if !api_component_is_valid(component) {
                return Err(invalid_name(raw));
            }
        }
        Ok(RepositoryName(raw.to_owned()))
    }

    /// The API rule plus the user guide's: starts with a letter, and no doubled separators
    /// (`__`, `--`, `..`, `//`).
    pub fn parse_strict(raw: &str) -> Result<Self, NameError> {
        let name = RepositoryName::parse(raw)?;
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(NameError(format!(
                "repository name {raw:?} must start with a lowercase letter"
            )));
        }
        for doubled in ["__", "--", "..", "//"] {
            if raw.contains(doubled) {
                return Err(NameError(format!(
                    "repository name {raw:?} must not contain {doubled:?}"
                )));
            }
        }
        Ok(name)
    }
}
string_newtype!(RepositoryName, RepositoryName::parse);

fn check_length(raw: &str) -> Result<(), NameError> {
    if (2..=256).contains(&raw.len()) {
        Ok(())
    } else {
        Err(NameError(format!(
            "repository name {raw:?} must be 2 to 256 characters long (it has {})",
            raw.len()
        )))
    }
}

fn invalid_name(raw: &str) -> NameError {
    NameError(format!(
        "repository name {raw:?} may only contain lowercase letters, digits and single '.', '_', '-' \
         or '/' separators between them"
    ))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn api_component_is_valid(component: &str) -> bool {
    let bytes = component.as_bytes();
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let allowed = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-');
        if !allowed {
            return false;
        }
    }
    true
}

impl std::str::FromStr for RepositoryName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RepositoryName::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_must_be_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_ok());
        assert!(AccountId::parse("012345678901").is_ok());
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_follow_aws_naming() {
        for good in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-7",
            "us-isob-east-1",
        ] {
            assert!(Region::parse(good).is_ok(), "{good}");
        }
        for bad in ["us-east", "useast1", "US-EAST-1", "us--1", "u-east-1", ""] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn api_pattern_accepts_what_ecr_accepts() {
        for good in ["ab", "team-a/api", "a__b", "a---b", "1abc", "x.y_z/w"] {
            assert!(RepositoryName::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "a", "Team/api", "a/", "/a", "a//b", "a._b", "-a", "a-", "a b", "a:b",
        ] {
            assert!(RepositoryName::parse(bad).is_err(), "{bad}");
        }
        assert!(RepositoryName::parse(&"a".repeat(256)).is_ok());
        assert!(RepositoryName::parse(&"a".repeat(257)).is_err());
    }

    #[test]
    fn strict_names_follow_the_user_guide() {
        assert!(RepositoryName::parse_strict("team-a/api").is_ok());
        for bad in ["1abc", "a__b", "a--b"] {
            assert!(RepositoryName::parse(bad).is_ok(), "{bad}");
            assert!(RepositoryName::parse_strict(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registry_id_round_trips_through_display() {
        let id = RegistryId::parse("123456789012/eu-west-1").unwrap();
        assert_eq!(id.to_string(), "123456789012/eu-west-1");
        assert!(RegistryId::parse("123456789012").is_err());
    }
}
