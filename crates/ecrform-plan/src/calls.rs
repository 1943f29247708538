//! The ECR API calls that apply a change. The planner decides them from the typed desired and
//! live states (it alone decides what to change); the AWS adapter only executes them. They are
//! the payload of the [`crate::Registry`] port and of saved plan files.

use serde::{Deserialize, Serialize};

use ecrform_model::{
    AccountSettingName, AppliedFor, CreationTemplate, Encryption, Operation, PullThroughCacheRule,
    RegistryId, ReplicationRule, RepositoryName, ScanRule, ScanType, SigningRule, TagMutability,
    Tags,
};

/// One ECR write, in the vocabulary of the ECR API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call")]
pub enum ApiCall {
    /// Everything the repository address manages, in one call.
    CreateRepository {
        repository: RepositoryName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_tag_mutability: Option<TagMutability>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        image_tag_mutability_exclusions: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scan_on_push: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encryption: Option<Encryption>,
        tags: Tags,
    },
    PutImageTagMutability {
        repository: RepositoryName,
        image_tag_mutability: TagMutability,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        image_tag_mutability_exclusions: Vec<String>,
    },
    PutImageScanningConfiguration {
        repository: RepositoryName,
        scan_on_push: bool,
    },
    /// Adds or overwrites only these tags.
    TagResource {
        repository: RepositoryName,
        tags: Tags,
    },
    /// Removes only these tag keys.
    UntagResource {
        repository: RepositoryName,
        keys: Vec<String>,
    },
    PutLifecyclePolicy {
        repository: RepositoryName,
        text: String,
    },
    DeleteLifecyclePolicy {
        repository: RepositoryName,
    },
    SetRepositoryPolicy {
        repository: RepositoryName,
        text: String,
    },
    DeleteRepositoryPolicy {
        repository: RepositoryName,
    },
    /// `force` deletes the images with it; only set when the spec says `force_delete: true`.
    DeleteRepository {
        repository: RepositoryName,
        force: bool,
    },
    /// Replaces the registry's whole replication configuration; no rules clears it.
    PutReplicationConfiguration {
        rules: Vec<ReplicationRule>,
    },
    /// Writes the registry policy in place (there is never a window without one).
    PutRegistryPolicy {
        text: String,
    },
    DeleteRegistryPolicy,
    /// Replaces the registry's whole scanning configuration.
    PutRegistryScanningConfiguration {
        scan_type: ScanType,
        #[serde(default)]
        rules: Vec<ScanRule>,
    },
    CreatePullThroughCacheRule {
        prefix: String,
        rule: PullThroughCacheRule,
    },
    /// Sets only the credential and the role: the rest of a rule is creation-only.
    UpdatePullThroughCacheRule {
        prefix: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credential_arn: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        custom_role_arn: Option<String>,
    },
    DeletePullThroughCacheRule {
        prefix: String,
    },
    CreateRepositoryCreationTemplate {
        prefix: String,
        template: CreationTemplate,
    },
    /// Sends only the template's fields that change; see [`TemplateChanges`].
    UpdateRepositoryCreationTemplate {
        prefix: String,
        changes: TemplateChanges,
    },
    DeleteRepositoryCreationTemplate {
        prefix: String,
    },
    PutAccountSetting {
        name: AccountSettingName,
        value: String,
    },
    /// Replaces the registry's whole signing configuration.
    PutSigningConfiguration {
        rules: Vec<SigningRule>,
    },
    DeleteSigningConfiguration,
    /// Excludes one principal's pulls from the images' recorded pull times.
    RegisterPullTimeUpdateExclusion {
        principal_arn: String,
    },
    DeregisterPullTimeUpdateExclusion {
        principal_arn: String,
    },
}

/// The fields of an UpdateRepositoryCreationTemplate request. ECR leaves a field the request
/// omits as it is, so only differing fields are set (`None` = untouched), and a field the
/// template no longer has is cleared the way ECR takes it: an empty string for the description,
/// the policies and the role, an empty tag list for the tags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_for: Option<Vec<AppliedFor>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Always set together with the exclusions: ECR reads the filters against the mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability: Option<TagMutability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability_exclusions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_tags: Option<Tags>,
    /// Lifecycle policy text; empty clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_policy: Option<String>,
    /// Repository policy text; empty clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_role_arn: Option<String>,
}

impl ApiCall {
    /// The ECR operation the call makes.
    pub fn operation(&self) -> Operation {
        match self {
            ApiCall::CreateRepository { .. } => Operation::CreateRepository,
            ApiCall::PutImageTagMutability { .. } => Operation::PutImageTagMutability,
            ApiCall::PutImageScanningConfiguration { .. } => {
                Operation::PutImageScanningConfiguration
            }
            ApiCall::TagResource { .. } => Operation::TagResource,
            ApiCall::UntagResource { .. } => Operation::UntagResource,
            ApiCall::PutLifecyclePolicy { .. } => Operation::PutLifecyclePolicy,
            ApiCall::DeleteLifecyclePolicy { .. } => Operation::DeleteLifecyclePolicy,
            ApiCall::SetRepositoryPolicy { .. } => Operation::SetRepositoryPolicy,
            ApiCall::DeleteRepositoryPolicy { .. } => Operation::DeleteRepositoryPolicy,
            ApiCall::DeleteRepository { .. } => Operation::DeleteRepository,
            ApiCall::PutReplicationConfiguration { .. } => Operation::PutReplicationConfiguration,
            ApiCall::PutRegistryPolicy { .. } => Operation::PutRegistryPolicy,
            ApiCall::DeleteRegistryPolicy => Operation::DeleteRegistryPolicy,
            ApiCall::PutRegistryScanningConfiguration { .. } => {
                Operation::PutRegistryScanningConfiguration
            }
            ApiCall::CreatePullThroughCacheRule { .. } => Operation::CreatePullThroughCacheRule,
            ApiCall::UpdatePullThroughCacheRule { .. } => Operation::UpdatePullThroughCacheRule,
            ApiCall::DeletePullThroughCacheRule { .. } => Operation::DeletePullThroughCacheRule,
            ApiCall::CreateRepositoryCreationTemplate { .. } => {
                Operation::CreateRepositoryCreationTemplate
            }
            ApiCall::UpdateRepositoryCreationTemplate { .. } => {
                Operation::UpdateRepositoryCreationTemplate
            }
            ApiCall::DeleteRepositoryCreationTemplate { .. } => {
                Operation::DeleteRepositoryCreationTemplate
            }
            ApiCall::PutAccountSetting { .. } => Operation::PutAccountSetting,
            ApiCall::PutSigningConfiguration { .. } => Operation::PutSigningConfiguration,
            ApiCall::DeleteSigningConfiguration => Operation::DeleteSigningConfiguration,
            ApiCall::RegisterPullTimeUpdateExclusion { .. } => {
                Operation::RegisterPullTimeUpdateExclusion
            }
            ApiCall::DeregisterPullTimeUpdateExclusion { .. } => {
                Operation::DeregisterPullTimeUpdateExclusion
            }
        }
    }

    /// The repository the call acts on; `None` for registry-wide calls.
    pub fn repository(&self) -> Option<&RepositoryName> {
        match self {
            ApiCall::CreateRepository { repository, .. }
            | ApiCall::PutImageTagMutability { repository, .. }
            | ApiCall::PutImageScanningConfiguration { repository, .. }
            | ApiCall::TagResource { repository, .. }
            | ApiCall::UntagResource { repository, .. }
            | ApiCall::PutLifecyclePolicy { repository, .. }
            | ApiCall::DeleteLifecyclePolicy { repository }
            | ApiCall::SetRepositoryPolicy { repository, .. }
            | ApiCall::DeleteRepositoryPolicy { repository }
            | ApiCall::DeleteRepository { repository, .. } => Some(repository),
            ApiCall::PutReplicationConfiguration { .. }
            | ApiCall::PutRegistryPolicy { .. }
            | ApiCall::DeleteRegistryPolicy
            | ApiCall::PutRegistryScanningConfiguration { .. }
            | ApiCall::CreatePullThroughCacheRule { .. }
            | ApiCall::UpdatePullThroughCacheRule { .. }
            | ApiCall::DeletePullThroughCacheRule { .. }
            | ApiCall::CreateRepositoryCreationTemplate { .. }
            | ApiCall::UpdateRepositoryCreationTemplate { .. }
            | ApiCall::DeleteRepositoryCreationTemplate { .. }
            | ApiCall::PutAccountSetting { .. }
            | ApiCall::PutSigningConfiguration { .. }
            | ApiCall::DeleteSigningConfiguration
            | ApiCall::RegisterPullTimeUpdateExclusion { .. }
            | ApiCall::DeregisterPullTimeUpdateExclusion { .. } => None,
        }
    }

    /// The other registries a call sends images to: the cross-account destinations of a
    /// replication configuration, which only replicate once their registry policy lets
    /// `source` in. Same-account destinations need no policy and are left out.
    pub fn replication_targets(&self, source: &RegistryId) -> Vec<RegistryId> {
        let ApiCall::PutReplicationConfiguration { rules } = self else {
            return Vec::new();
        };
        let mut targets: Vec<RegistryId> = rules
            .iter()
            .flat_map(|rule| &rule.destinations)
            .filter(|destination| destination.account != source.account)
            .map(|destination| {
                RegistryId::new(destination.account.clone(), destination.region.clone())
            })
            .collect();
        targets.sort();
        targets.dedup();
        targets
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use ecrform_model::{AccountId, IamPolicy, LifecyclePolicy, Region, ReplicationDestination};

    use ecrform_testkit::fixtures::registry_id;

    use super::*;

    #[test]
    fn registry_wide_calls_round_trip_through_saved_plan_json() {
        let template = CreationTemplate {
            applied_for: vec![AppliedFor::Replication],
            description: None,
            image_tag_mutability: Some(TagMutability::Immutable),
            image_tag_mutability_exclusions: Vec::new(),
            encryption: None,
            resource_tags: Tags::new(),
            lifecycle_policy: Some(
                LifecyclePolicy::from_value(json!({"rules": [{"rulePriority": 1,
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                  "countNumber": 10}, "action": {"type": "expire"}}]}))
                .unwrap(),
            ),
            repository_policy: Some(
                IamPolicy::from_value(json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}))
                .unwrap(),
            ),
            custom_role_arn: None,
        };
        let calls = vec![
            ApiCall::DeleteRegistryPolicy,
            ApiCall::PutReplicationConfiguration { rules: Vec::new() },
            ApiCall::CreateRepositoryCreationTemplate {
                prefix: "ROOT".to_owned(),
                template,
            },
            ApiCall::UpdateRepositoryCreationTemplate {
                prefix: "ROOT".to_owned(),
                changes: TemplateChanges {
                    description: Some(String::new()),
                    ..TemplateChanges::default()
                },
            },
            ApiCall::PutAccountSetting {
                name: AccountSettingName::BlobMounting,
                value: "ENABLED".to_owned(),
            },
            ApiCall::PutSigningConfiguration {
                rules: vec![SigningRule {
                    signing_profile_arn:
                        "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release".to_owned(),
                    repository_filters: vec!["team-a/*".to_owned()],
                }],
            },
            ApiCall::DeleteSigningConfiguration,
            ApiCall::RegisterPullTimeUpdateExclusion {
                principal_arn: "arn:aws:iam::123456789012:role/scanner".to_owned(),
            },
            ApiCall::DeregisterPullTimeUpdateExclusion {
                principal_arn: "arn:aws:iam::123456789012:user/mirror".to_owned(),
            },
        ];
        let text = serde_json::to_string(&calls).unwrap();
        let read: Vec<ApiCall> = serde_json::from_str(&text).unwrap();
        assert_eq!(read, calls);
        assert!(calls.iter().all(|call| call.repository().is_none()));
    }

    #[test]
    fn replication_targets_are_the_cross_account_destination_registries() {
        let destination = |account: &str, region: &str| ReplicationDestination {
            region: Region::parse(region).unwrap(),
            account: AccountId::parse(account).unwrap(),
        };
        let call = ApiCall::PutReplicationConfiguration {
            rules: vec![
                ReplicationRule {
                    destinations: vec![
                        destination("111111111111", "eu-west-1"),
                        destination("222222222222", "us-east-1"),
                    ],
                    repository_filters: Vec::new(),
                },
                ReplicationRule {
                    destinations: vec![destination("222222222222", "us-east-1")],
                    repository_filters: vec!["team-a/".to_owned()],
                },
            ],
        };
        assert_eq!(
            call.replication_targets(&registry_id("111111111111/us-east-1")),
            [registry_id("222222222222/us-east-1")],
            "same-account destinations need no policy; a repeated one counts once"
        );
        assert!(
            ApiCall::DeleteRegistryPolicy
                .replication_targets(&registry_id("111111111111/us-east-1"))
                .is_empty()
        );
    }
}
