//! Addresses name every object a plan can change: `ACCOUNT/REGION/KIND[/NAME]`. They are part
//! of the interface contract (plan JSON, drift reports, stale-plan messages).
//!
//! The NAME part is held typed ([`Target`]): a repository's name is a [`RepositoryName`], so
//! nothing that reads an address parses its name again, and an address can only be built with
//! the target its kind takes.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{AccountSettingName, NameError, RegistryId, RegistryWideKind, RepositoryName};

/// What kind of object an address names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    Repository,
    LifecyclePolicy,
    RepositoryPolicy,
    /// A registry-wide setting (see [`RegistryWideKind`]).
    RegistryWide(RegistryWideKind),
}

impl ResourceKind {
    /// The repository kinds, then every registry-wide kind.
    pub fn all() -> impl Iterator<Item = ResourceKind> {
        [
            ResourceKind::Repository,
            ResourceKind::LifecyclePolicy,
            ResourceKind::RepositoryPolicy,
        ]
        .into_iter()
        .chain(RegistryWideKind::ALL.map(ResourceKind::RegistryWide))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Repository => "repository",
            ResourceKind::LifecyclePolicy => "lifecycle_policy",
            ResourceKind::RepositoryPolicy => "repository_policy",
            ResourceKind::RegistryWide(kind) => kind.address_kind(),
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        ResourceKind::all().find(|kind| kind.as_str() == raw)
    }

    /// Registry singletons have no NAME part.
    pub fn is_singleton(self) -> bool {
        matches!(self, ResourceKind::RegistryWide(kind) if kind.is_singleton())
    }

    /// Whether the NAME part is a repository name (the repository and its two policies).
    pub fn is_repository_part(self) -> bool {
        matches!(
            self,
            ResourceKind::Repository
                | ResourceKind::LifecyclePolicy
                | ResourceKind::RepositoryPolicy
        )
    }

    /// Whether the object is a policy document (rendered as a document diff).
    pub fn is_document(self) -> bool {
        match self {
            ResourceKind::LifecyclePolicy | ResourceKind::RepositoryPolicy => true,
            ResourceKind::Repository => false,
            ResourceKind::RegistryWide(kind) => kind.is_singleton(),
        }
    }

    /// The registry-wide kind, for an address of one.
    pub fn registry_wide(self) -> Option<RegistryWideKind> {
        match self {
            ResourceKind::RegistryWide(kind) => Some(kind),
            _ => None,
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The NAME part of an address, typed by what its kind names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A registry singleton: no NAME part.
    Registry,
    /// The repository a repository, lifecycle policy or repository policy address names.
    Repository(RepositoryName),
    /// The key of a keyed registry-wide setting: a pull-through cache rule's or creation
    /// template's prefix, an account setting's name.
    Key(String),
}

/// `ACCOUNT/REGION/KIND[/NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub registry: RegistryId,
    pub kind: ResourceKind,
    pub target: Target,
}

impl Address {
    /// A repository, or one of its policies; `kind` must be one of those three.
    pub fn repository(registry: RegistryId, kind: ResourceKind, name: RepositoryName) -> Self {
        debug_assert!(
            kind.is_repository_part(),
            "{kind} does not name a repository"
        );
        Address {
            registry,
            kind,
            target: Target::Repository(name),
        }
    }

    /// A registry singleton (replication, registry policy, scanning).
    pub fn singleton(registry: RegistryId, kind: RegistryWideKind) -> Self {
        debug_assert!(kind.is_singleton(), "{kind} is not a singleton");
        Address {
            registry,
            kind: ResourceKind::RegistryWide(kind),
            target: Target::Registry,
        }
    }

    /// One entry of a keyed registry-wide setting.
    pub fn keyed(registry: RegistryId, kind: RegistryWideKind, key: impl Into<String>) -> Self {
        debug_assert!(!kind.is_singleton(), "{kind} is a singleton");
        Address {
            registry,
            kind: ResourceKind::RegistryWide(kind),
            target: Target::Key(key.into()),
        }
    }

    /// The repository this address names or belongs to.
    pub fn repository_name(&self) -> Option<&RepositoryName> {
        match &self.target {
            Target::Repository(name) => Some(name),
            _ => None,
        }
    }

    /// The key of a keyed registry-wide setting.
    pub fn key(&self) -> Option<&str> {
        match &self.target {
            Target::Key(key) => Some(key),
            _ => None,
        }
    }

    /// The NAME part as written in the address, if any.
    pub fn name(&self) -> Option<&str> {
        match &self.target {
            Target::Registry => None,
            Target::Repository(name) => Some(name.as_str()),
            Target::Key(key) => Some(key),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let mut parts = raw.splitn(4, '/');
        let (Some(account), Some(region), Some(kind)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NameError(format!(
                "address {shown_raw} must be written ACCOUNT/REGION/KIND[/NAME]",
                shown_raw = crate::shown::quoted(raw)
            )));
        };
        let registry = RegistryId::parse(&format!("{account}/{region}"))?;
        let kind = ResourceKind::parse(kind).ok_or_else(|| {
            NameError(format!(
                "address {shown_raw} has an unknown kind {shown_kind}",
                shown_raw = crate::shown::quoted(raw),
                shown_kind = crate::shown::quoted(kind)
            ))
        })?;
        let name = parts.next();
        let target = match (kind, name) {
            (kind, None) if kind.is_singleton() => Target::Registry,
            (kind, Some(_)) if kind.is_singleton() => {
                return Err(NameError(format!(
                    "address {shown_raw}: {kind} is one per registry and takes no name",
                    shown_raw = crate::shown::quoted(raw)
                )));
            }
            (_, None) | (_, Some("")) => {
                return Err(NameError(format!(
                    "address {shown_raw} needs a name after {kind}",
                    shown_raw = crate::shown::quoted(raw)
                )));
            }
            (kind, Some(name)) if kind.is_repository_part() => {
                Target::Repository(RepositoryName::parse(name)?)
            }
            (ResourceKind::RegistryWide(RegistryWideKind::AccountSettings), Some(name)) => {
                AccountSettingName::parse(name).ok_or_else(|| {
                    NameError(format!(
                        "address {shown_raw} names an unknown account setting {shown_name}",
                        shown_raw = crate::shown::quoted(raw),
                        shown_name = crate::shown::quoted(name)
                    ))
                })?;
                Target::Key(name.to_owned())
            }
            (_, Some(name)) => Target::Key(name.to_owned()),
        };
        Ok(Address {
            registry,
            kind,
            target,
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.kind)?;
        if let Some(name) = self.name() {
            write!(f, "/{name}")?;
        }
        Ok(())
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Address::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_with_and_without_names() {
        for raw in [
            "123456789012/us-east-1/repository/team-a/api",
            "123456789012/us-east-1/lifecycle_policy/team-a/api",
            "123456789012/us-east-1/replication",
            "123456789012/us-east-1/pull_through_cache/docker-hub",
            "123456789012/us-east-1/creation_template/ROOT",
            "123456789012/us-east-1/account_setting/BLOB_MOUNTING",
            "123456789012/us-east-1/signing_configuration",
            "123456789012/us-east-1/pull_time_update_exclusion/arn:aws:iam::123456789012:role/scanner",
        ] {
            assert_eq!(Address::parse(raw).unwrap().to_string(), raw);
        }
    }

    #[test]
    fn a_principal_arn_with_slashes_and_colons_is_one_name() {
        // Only the first three '/' separate ACCOUNT, REGION and KIND: a role's path stays in
        // the name, and its ':'s were never separators.
        let raw = "123456789012/us-east-1/pull_time_update_exclusion/\
                   arn:aws-us-gov:iam::123456789012:role/ci/team-a/scanner";
        let address = Address::parse(raw).unwrap();
        assert_eq!(
            address.kind,
            ResourceKind::RegistryWide(RegistryWideKind::PullTimeUpdateExclusions)
        );
        assert_eq!(
            address.key(),
            Some("arn:aws-us-gov:iam::123456789012:role/ci/team-a/scanner")
        );
        assert_eq!(address.to_string(), raw);
        let built = Address::keyed(
            address.registry.clone(),
            RegistryWideKind::PullTimeUpdateExclusions,
            "arn:aws-us-gov:iam::123456789012:role/ci/team-a/scanner",
        );
        assert_eq!(built, address);
        let json = serde_json::to_string(&address).unwrap();
        assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), address);
    }

    #[test]
    fn the_name_is_typed_by_the_kind() {
        let address =
            Address::parse("123456789012/us-east-1/repository_policy/team-a/api").unwrap();
        assert_eq!(
            address.repository_name().map(RepositoryName::as_str),
            Some("team-a/api")
        );
        let rule = Address::parse("123456789012/us-east-1/pull_through_cache/quay").unwrap();
        assert_eq!(rule.key(), Some("quay"));
        assert_eq!(rule.repository_name(), None);
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for raw in [
            "123456789012/us-east-1/bucket/x",
            "123456789012/us-east-1",
            "123456789012/us-east-1/repository",
            "123456789012/us-east-1/repository/Not_A_Name",
            "123456789012/us-east-1/replication/extra",
            "123456789012/us-east-1/account_setting/NOT_A_SETTING",
            "123456789012/us-east-1/creation_template/",
            "123456789012/us-east-1/signing_configuration/extra",
            "123456789012/us-east-1/pull_time_update_exclusion",
        ] {
            assert!(Address::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn documents_are_the_policies_and_the_registry_singletons() {
        let documents: Vec<&str> = ResourceKind::all()
            .filter(|kind| kind.is_document())
            .map(ResourceKind::as_str)
            .collect();
        assert_eq!(
            documents,
            [
                "lifecycle_policy",
                "repository_policy",
                "replication",
                "registry_policy",
                "scanning",
                "signing_configuration"
            ]
        );
    }

    #[test]
    fn every_kind_parses_from_its_own_text() {
        for kind in ResourceKind::all() {
            assert_eq!(ResourceKind::parse(kind.as_str()), Some(kind));
        }
    }
}
