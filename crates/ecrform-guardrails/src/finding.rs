//! A finding: one rule that one repository (or registry) does not pass, with what the rule
//! looked at, so that the spec can point at the setting that causes it.

use ecrform_model::{RegistryId, RepositoryName};
use serde::Serialize;

use crate::rules::{Level, RuleId};

/// The setting a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// The repository as a whole (its name, or a setting it does not have).
    Repository,
    ImageTagMutability,
    ScanOnPush,
    Encryption,
    Tags,
    Lifecycle,
    Policy,
    ForceDelete,
    /// The registry's scanning configuration.
    Scanning,
    Replication,
    RegistryPolicy,
    Prune,
}

impl Aspect {
    /// Whether the aspect belongs to the registry rather than to one repository.
    pub fn is_registry_wide(self) -> bool {
        matches!(
            self,
            Aspect::Scanning | Aspect::Replication | Aspect::RegistryPolicy | Aspect::Prune
        )
    }
}

/// One rule one subject does not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub level: Level,
    pub registry: RegistryId,
    /// `None` for a registry-wide finding.
    pub repository: Option<RepositoryName>,
    pub aspect: Aspect,
    pub message: String,
}

impl Finding {
    /// The address of what the finding is about, as plans name it:
    /// `ACCOUNT/REGION/repository/NAME`, or the registry-wide setting's address.
    pub fn address(&self) -> String {
        match (&self.repository, self.aspect) {
            (Some(name), _) => format!("{}/repository/{name}", self.registry),
            (None, Aspect::Replication) => format!("{}/replication", self.registry),
            (None, Aspect::RegistryPolicy) => format!("{}/registry_policy", self.registry),
            (None, Aspect::Scanning) => format!("{}/scanning", self.registry),
            (None, _) => self.registry.to_string(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// The finding's one line: `[RULE-ID] message`.
    pub fn tagged_message(&self) -> String {
        format!("[{}] {}", self.rule, self.message)
    }
}
