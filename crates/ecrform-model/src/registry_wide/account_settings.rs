//! Account settings (GetAccountSetting / PutAccountSetting): one value per named setting.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::string_enum;

string_enum! {
    /// The account settings ECR knows.
    pub enum AccountSettingName {
        BasicScanTypeVersion => "BASIC_SCAN_TYPE_VERSION",
        RegistryPolicyScope => "REGISTRY_POLICY_SCOPE",
        BlobMounting => "BLOB_MOUNTING",
    }
}

impl AccountSettingName {
    /// The values ECR accepts for the setting.
    pub fn allowed_values(self) -> &'static [&'static str] {
        match self {
            AccountSettingName::BasicScanTypeVersion => &["AWS_NATIVE", "CLAIR"],
            AccountSettingName::RegistryPolicyScope => &["V1", "V2"],
            AccountSettingName::BlobMounting => &["ENABLED", "DISABLED"],
        }
    }

    /// The value a registry nobody has configured reports.
    pub fn ecr_default(self) -> &'static str {
        match self {
            AccountSettingName::BasicScanTypeVersion => "AWS_NATIVE",
            AccountSettingName::RegistryPolicyScope => "V2",
            AccountSettingName::BlobMounting => "DISABLED",
        }
    }
}

/// Account settings by name. In desired state only the named settings are managed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountSettings(BTreeMap<AccountSettingName, String>);

impl AccountSettings {
    pub fn new() -> Self {
        AccountSettings::default()
    }

    /// The settings that have a value: ECR may report a setting with an empty value, which is
    /// no value, so that a spec naming it plans the Put that gives it one.
    pub fn canonical(&self) -> AccountSettings {
        self.0
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| (*name, value.clone()))
            .collect()
    }
}

impl std::ops::Deref for AccountSettings {
    type Target = BTreeMap<AccountSettingName, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for AccountSettings {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl FromIterator<(AccountSettingName, String)> for AccountSettings {
    fn from_iter<I: IntoIterator<Item = (AccountSettingName, String)>>(iter: I) -> Self {
        AccountSettings(iter.into_iter().collect())
    }
}

impl<const N: usize> From<[(AccountSettingName, String); N]> for AccountSettings {
    fn from(settings: [(AccountSettingName, String); N]) -> Self {
        settings.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a AccountSettings {
    type Item = (&'a AccountSettingName, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, AccountSettingName, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_an_allowed_value() {
        for name in AccountSettingName::ALL {
            assert!(
                name.allowed_values().contains(&name.ecr_default()),
                "{name}"
            );
        }
    }

    #[test]
    fn an_empty_value_is_no_value() {
        let reported: AccountSettings = [
            (AccountSettingName::BlobMounting, String::new()),
            (AccountSettingName::RegistryPolicyScope, "V2".to_owned()),
        ]
        .into_iter()
        .collect();
        let expected: AccountSettings =
            [(AccountSettingName::RegistryPolicyScope, "V2".to_owned())]
                .into_iter()
                .collect();
        assert_eq!(reported.canonical(), expected);
        assert_ne!(reported.canonical(), AccountSettings::new());
    }
}
