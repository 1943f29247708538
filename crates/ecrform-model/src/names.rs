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
                "account id {shown_raw} must be exactly 12 digits (quote it in YAML so leading zeros survive)",
                shown_raw = crate::shown::quoted(raw)
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
                "region {shown_raw} is not a valid AWS region name (like us-east-1)",
                shown_raw = crate::shown::quoted(raw)
            )))
        }
    }
}
string_newtype!(Region, Region::parse);

impl Region {
    /// The partition the region belongs to: what ARNs in it start with (`arn:PARTITION:`) and
    /// whose root a bare account id in a policy names. Regions of no known partition are
    /// commercial, as the AWS SDKs resolve them.
    pub fn partition(&self) -> Partition {
        Partition::ALL
            .iter()
            .copied()
            .find(|partition| {
                partition
                    .region_prefix()
                    .is_some_and(|prefix| self.0.starts_with(prefix))
            })
            .unwrap_or(Partition::Aws)
    }
}

/// An AWS partition: a separate namespace of accounts, principals and ARNs. GovCloud and
/// China are the ones users meet; the isolated partitions follow the same rules.
///
/// ECR stores a bare account id in a policy as the root of that account in the registry's own
/// partition, and every ARN ecrform builds (a repository's, for tagging) carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Partition {
    /// The commercial partition (`aws`): every region not named below.
    #[default]
    Aws,
    /// China (`aws-cn`): `cn-*`.
    AwsCn,
    /// GovCloud (US) (`aws-us-gov`): `us-gov-*`.
    AwsUsGov,
    /// The US ISO partition (`aws-iso`): `us-iso-*`.
    AwsIso,
    /// The US ISOB partition (`aws-iso-b`): `us-isob-*`.
    AwsIsoB,
    /// The EU ISOE partition (`aws-iso-e`): `eu-isoe-*`.
    AwsIsoE,
    /// The US ISOF partition (`aws-iso-f`): `us-isof-*`.
    AwsIsoF,
}

impl Partition {
    /// Every partition, in declaration order.
    pub const ALL: [Partition; 7] = [
        Partition::Aws,
        Partition::AwsCn,
        Partition::AwsUsGov,
        Partition::AwsIso,
        Partition::AwsIsoB,
        Partition::AwsIsoE,
        Partition::AwsIsoF,
    ];

    /// The partition's name as ARNs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsIso => "aws-iso",
            Partition::AwsIsoB => "aws-iso-b",
            Partition::AwsIsoE => "aws-iso-e",
            Partition::AwsIsoF => "aws-iso-f",
        }
    }

    /// What the names of the partition's regions start with; the commercial partition has
    /// every other region. The prefixes are the SDKs' partition patterns (`^us\-gov\-\w+\-\d+$`
    /// and so on); none is a prefix of another's regions (`us-iso-` does not match
    /// `us-isob-east-1`).
    fn region_prefix(self) -> Option<&'static str> {
        match self {
            Partition::Aws => None,
            Partition::AwsCn => Some("cn-"),
            Partition::AwsUsGov => Some("us-gov-"),
            Partition::AwsIso => Some("us-iso-"),
            Partition::AwsIsoB => Some("us-isob-"),
            Partition::AwsIsoE => Some("eu-isoe-"),
            Partition::AwsIsoF => Some("us-isof-"),
        }
    }

    /// The ARN of an account's root in this partition: what a bare account id in a policy's
    /// principal stands for.
    pub fn root_arn(self, account: &str) -> String {
        format!("arn:{}:iam::{account}:root", self.as_str())
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
        let (account, region) = raw.split_once('/').ok_or_else(|| {
            NameError(format!(
                "registry {shown_raw} must be written ACCOUNT/REGION",
                shown_raw = crate::shown::quoted(raw)
            ))
        })?;
        Ok(RegistryId::new(
            AccountId::parse(account)?,
            Region::parse(region)?,
        ))
    }
}

impl RegistryId {
    /// The ARN of one of the registry's repositories, which tagging takes. ECR's repository
    /// ARNs follow from the registry and the name: `arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME`.
    pub fn repository_arn(&self, repository: &RepositoryName) -> String {
        format!(
            "arn:{}:ecr:{}:{}:repository/{repository}",
            self.region.partition(),
            self.region,
            self.account
        )
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
                "repository name {shown_raw} must start with a lowercase letter",
                shown_raw = crate::shown::quoted(raw)
            )));
        }
        for doubled in ["__", "--", "..", "//"] {
            if raw.contains(doubled) {
                return Err(NameError(format!(
                    "repository name {shown_raw} must not contain {shown_doubled}",
                    shown_raw = crate::shown::quoted(raw),
                    shown_doubled = crate::shown::quoted(doubled)
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
            "repository name {shown_raw} must be 2 to 256 characters long (it has {})",
            raw.len(),
            shown_raw = crate::shown::quoted(raw),
        )))
    }
}

fn invalid_name(raw: &str) -> NameError {
    NameError(format!(
        "repository name {shown_raw} may only contain lowercase letters, digits and single '.', '_', '-' \
         or '/' separators between them",
        shown_raw = crate::shown::quoted(raw)
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
    fn every_region_is_in_the_partition_its_name_says() {
        let cases = [
            ("us-east-1", Partition::Aws, "aws"),
            ("eu-west-1", Partition::Aws, "aws"),
            ("ap-southeast-7", Partition::Aws, "aws"),
            ("us-gov-west-1", Partition::AwsUsGov, "aws-us-gov"),
            ("us-gov-east-1", Partition::AwsUsGov, "aws-us-gov"),
            ("cn-north-1", Partition::AwsCn, "aws-cn"),
            ("cn-northwest-1", Partition::AwsCn, "aws-cn"),
            ("us-iso-east-1", Partition::AwsIso, "aws-iso"),
            ("us-isob-east-1", Partition::AwsIsoB, "aws-iso-b"),
            ("eu-isoe-west-1", Partition::AwsIsoE, "aws-iso-e"),
            ("us-isof-south-1", Partition::AwsIsoF, "aws-iso-f"),
            // Not a partition's prefix, only like one: commercial, as the SDKs resolve it.
            ("us-governor-1", Partition::Aws, "aws"),
        ];
        for (region, partition, name) in cases {
            let found = Region::parse(region).unwrap().partition();
            assert_eq!(found, partition, "{region}");
            assert_eq!(found.to_string(), name, "{region}");
        }
        assert_eq!(Partition::default(), Partition::Aws);
    }

    #[test]
    fn root_and_repository_arns_carry_the_partition() {
        assert_eq!(
            Partition::AwsUsGov.root_arn("123456789012"),
            "arn:aws-us-gov:iam::123456789012:root"
        );
        let cases = [
            (
                "123456789012/eu-west-1",
                "arn:aws:ecr:eu-west-1:123456789012:repository/team/app",
            ),
            (
                "123456789012/cn-north-1",
                "arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/app",
            ),
            (
                "123456789012/us-gov-west-1",
                "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/team/app",
            ),
        ];
        let name = RepositoryName::parse("team/app").unwrap();
        for (registry, arn) in cases {
            let registry = RegistryId::parse(registry).unwrap();
            assert_eq!(registry.repository_arn(&name), arn, "{registry}");
        }
    }

    #[test]
    fn registry_id_round_trips_through_display() {
        let id = RegistryId::parse("123456789012/eu-west-1").unwrap();
        assert_eq!(id.to_string(), "123456789012/eu-west-1");
        assert!(RegistryId::parse("123456789012").is_err());
    }
}
