//! Addresses name every object a plan can change: `ACCOUNT/REGION/KIND[/NAME]`. They are part
//! of the interface contract (plan JSON, drift reports, stale-plan messages).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{NameError, RegistryId};

/// What kind of object an address names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    Repository,
    LifecyclePolicy,
    RepositoryPolicy,
    Replication,
    RegistryPolicy,
    Scanning,
    PullThroughCache,
    CreationTemplate,
    AccountSetting,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 9] = [
        ResourceKind::Repository,
        ResourceKind::LifecyclePolicy,
        ResourceKind::RepositoryPolicy,
        ResourceKind::Replication,
        ResourceKind::RegistryPolicy,
        ResourceKind::Scanning,
        ResourceKind::PullThroughCache,
        ResourceKind::CreationTemplate,
        ResourceKind::AccountSetting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Repository => "repository",
            ResourceKind::LifecyclePolicy => "lifecycle_policy",
            ResourceKind::RepositoryPolicy => "repository_policy",
            ResourceKind::Replication => "replication",
            ResourceKind::RegistryPolicy => "registry_policy",
            ResourceKind::Scanning => "scanning",
            ResourceKind::PullThroughCache => "pull_through_cache",
            ResourceKind::CreationTemplate => "creation_template",
            ResourceKind::AccountSetting => "account_setting",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        ResourceKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
    }

    /// Registry singletons have no NAME part.
    pub fn is_singleton(self) -> bool {
        matches!(
            self,
            ResourceKind::Replication | ResourceKind::RegistryPolicy | ResourceKind::Scanning
        )
    }

    /// Whether the object is a policy document (rendered as a document diff).
    pub fn is_document(self) -> bool {
        matches!(
            self,
            ResourceKind::LifecyclePolicy
                | ResourceKind::RepositoryPolicy
                | ResourceKind::RegistryPolicy
                | ResourceKind::Replication
                | ResourceKind::Scanning
        )
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ACCOUNT/REGION/KIND[/NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    pub registry: RegistryId,
    pub kind: ResourceKind,
    pub name: Option<String>,
}

impl Address {
    pub fn new(registry: RegistryId, kind: ResourceKind, name: Option<String>) -> Self {
        Address {
            registry,
            kind,
            name,
        }
    }

    pub fn singleton(registry: RegistryId, kind: ResourceKind) -> Self {
        Address::new(registry, kind, None)
    }

    pub fn named(registry: RegistryId, kind: ResourceKind, name: impl Into<String>) -> Self {
        Address::new(registry, kind, Some(name.into()))
    }

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let mut parts = raw.splitn(4, '/');
        let (Some(account), Some(region), Some(kind)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NameError(format!(
                "address {raw:?} must be written ACCOUNT/REGION/KIND[/NAME]"
            )));
        };
        let registry = RegistryId::parse(&format!("{account}/{region}"))?;
        let kind = ResourceKind::parse(kind)
            .ok_or_else(|| NameError(format!("address {raw:?} has an unknown kind {kind:?}")))?;
        Ok(Address::new(
            registry,
            kind,
            parts.next().map(str::to_owned),
        ))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.kind)?;
        if let Some(name) = &self.name {
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
        ] {
            assert_eq!(Address::parse(raw).unwrap().to_string(), raw);
        }
        assert!(Address::parse("123456789012/us-east-1/bucket/x").is_err());
        assert!(Address::parse("123456789012/us-east-1").is_err());
    }
}
