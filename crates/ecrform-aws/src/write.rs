//! Executing the planner's calls, one ECR operation each.

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionConfigurationForRepositoryCreationTemplate,
    EncryptionType as SdkEncryptionType, ImageScanningConfiguration, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType, RctAppliedFor,
    RegistryScanningRule, ReplicationConfiguration, ReplicationDestination,
    ReplicationRule as SdkReplicationRule, RepositoryFilter, RepositoryFilterType, ScanFrequency,
    ScanType, ScanningRepositoryFilter, ScanningRepositoryFilterType, SigningConfiguration,
    SigningRepositoryFilter, SigningRepositoryFilterType, SigningRule as SdkSigningRule, Tag,
    UpstreamRegistry,
};
use ecrform_model::{Encryption, ReplicationRule, ScanRule, SigningRule, TagMutability, Tags};
use ecrform_plan::{ApiCall, ErrorKind, RegistryError};

use crate::EcrRegistry;
use crate::error::classify;

/// Sends a request and keeps only whether it succeeded, with the error classified.
macro_rules! send {
    ($request:expr) => {
        $request.send().await.map(drop).map_err(|e| classify(&e))
    };
}

pub(crate) async fn execute(registry: &EcrRegistry, call: &ApiCall) -> Result<(), RegistryError> {
    let ecr = &registry.client;
    let account = registry.id.account.as_str();
    match call {
        ApiCall::CreateRepository {
            repository,
            image_tag_mutability,
            image_tag_mutability_exclusions,
            scan_on_push,
            encryption,
            tags,
        } => {
            let mut request = ecr
                .create_repository()
                .registry_id(account)
                .repository_name(repository.as_str())
                .set_tags(Some(sdk_tags(tags)?));
            if let Some(mode) = image_tag_mutability {
                request = request
                    .image_tag_mutability(sdk_mutability(*mode))
                    .set_image_tag_mutability_exclusion_filters(exclusions(
                        *mode,
                        image_tag_mutability_exclusions,
                    )?);
            }
            if let Some(scan_on_push) = scan_on_push {
                request = request.image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(*scan_on_push)
                        .build(),
                );
            }
            if let Some(encryption) = encryption {
                request = request.encryption_configuration(sdk_encryption(encryption)?);
            }
            send!(request)
        }
        ApiCall::PutImageTagMutability {
            repository,
            image_tag_mutability,
            image_tag_mutability_exclusions,
        } => send!(
            ecr.put_image_tag_mutability()
                .registry_id(account)
                .repository_name(repository.as_str())
                .image_tag_mutability(sdk_mutability(*image_tag_mutability))
                .set_image_tag_mutability_exclusion_filters(exclusions(
                    *image_tag_mutability,
                    image_tag_mutability_exclusions,
                )?)
        ),
        ApiCall::PutImageScanningConfiguration {
            repository,
            scan_on_push,
        } => send!(
            ecr.put_image_scanning_configuration()
                .registry_id(account)
                .repository_name(repository.as_str())
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(*scan_on_push)
                        .build(),
                )
        ),
        ApiCall::TagResource { repository, tags } => send!(
            ecr.tag_resource()
                .resource_arn(registry.id.repository_arn(repository))
                .set_tags(Some(sdk_tags(tags)?))
        ),
        ApiCall::UntagResource { repository, keys } => send!(
            ecr.untag_resource()
                .resource_arn(registry.id.repository_arn(repository))
                .set_tag_keys(Some(keys.clone()))
        ),
        ApiCall::PutLifecyclePolicy { repository, text } => send!(
            ecr.put_lifecycle_policy()
                .registry_id(account)
                .repository_name(repository.as_str())
                .lifecycle_policy_text(text)
        ),
        ApiCall::DeleteLifecyclePolicy { repository } => send!(
            ecr.delete_lifecycle_policy()
                .registry_id(account)
                .repository_name(repository.as_str())
        ),
        ApiCall::SetRepositoryPolicy { repository, text } => send!(
            ecr.set_repository_policy()
                .registry_id(account)
                .repository_name(repository.as_str())
                .policy_text(text)
        ),
        ApiCall::DeleteRepositoryPolicy { repository } => send!(
            ecr.delete_repository_policy()
                .registry_id(account)
                .repository_name(repository.as_str())
        ),
        ApiCall::DeleteRepository { repository, force } => send!(
            ecr.delete_repository()
                .registry_id(account)
                .repository_name(repository.as_str())
                .force(*force)
        ),
        // The registry-wide operations act on the registry of the caller's account (the
        // client's credentials, after any role), in the client's region.
        ApiCall::PutReplicationConfiguration { rules } => send!(
            ecr.put_replication_configuration()
                .replication_configuration(sdk_replication(rules)?)
        ),
        ApiCall::PutRegistryPolicy { text } => {
            send!(ecr.put_registry_policy().policy_text(text))
        }
        ApiCall::DeleteRegistryPolicy => send!(ecr.delete_registry_policy()),
        ApiCall::PutRegistryScanningConfiguration { scan_type, rules } => send!(
            ecr.put_registry_scanning_configuration()
                .scan_type(ScanType::from(scan_type.as_str()))
                .set_rules(Some(sdk_scanning_rules(rules)?))
        ),
        ApiCall::CreatePullThroughCacheRule { prefix, rule } => send!(
            ecr.create_pull_through_cache_rule()
                .registry_id(account)
                .ecr_repository_prefix(prefix)
                .upstream_registry_url(&rule.upstream_url)
                .set_upstream_registry(
                    rule.upstream_registry
                        .as_deref()
                        .map(UpstreamRegistry::from)
                )
                .set_credential_arn(rule.credential_arn.clone())
                .set_custom_role_arn(rule.custom_role_arn.clone())
                .set_upstream_repository_prefix(rule.upstream_repository_prefix.clone())
        ),
        ApiCall::UpdatePullThroughCacheRule {
            prefix,
            credential_arn,
            custom_role_arn,
        } => send!(
            ecr.update_pull_through_cache_rule()
                .registry_id(account)
                .ecr_repository_prefix(prefix)
                .set_credential_arn(credential_arn.clone())
                .set_custom_role_arn(custom_role_arn.clone())
        ),
        ApiCall::DeletePullThroughCacheRule { prefix } => send!(
            ecr.delete_pull_through_cache_rule()
                .registry_id(account)
                .ecr_repository_prefix(prefix)
        ),
        ApiCall::CreateRepositoryCreationTemplate { prefix, template } => {
            let mode = template.image_tag_mutability;
            let mut request = ecr
                .create_repository_creation_template()
                .prefix(prefix)
                .set_applied_for(Some(applied_for(&template.applied_for)))
                .set_description(template.description.clone())
                .set_custom_role_arn(template.custom_role_arn.clone())
                .set_lifecycle_policy(
                    template
                        .lifecycle_policy
                        .as_ref()
                        .map(|policy| policy.to_compact_json()),
                )
                .set_repository_policy(
                    template
                        .repository_policy
                        .as_ref()
                        .map(|policy| policy.to_compact_json()),
                );
            if !template.resource_tags.is_empty() {
                request = request.set_resource_tags(Some(sdk_tags(&template.resource_tags)?));
            }
            if let Some(mode) = mode {
                request = request
                    .image_tag_mutability(sdk_mutability(mode))
                    .set_image_tag_mutability_exclusion_filters(exclusions(
                        mode,
                        &template.image_tag_mutability_exclusions,
                    )?);
            }
            if let Some(encryption) = &template.encryption {
                request = request.encryption_configuration(sdk_template_encryption(encryption)?);
            }
            send!(request)
        }
        ApiCall::UpdateRepositoryCreationTemplate { prefix, changes } => {
            let mut request = ecr
                .update_repository_creation_template()
                .prefix(prefix)
                .set_applied_for(changes.applied_for.as_deref().map(applied_for))
                .set_description(changes.description.clone())
                .set_lifecycle_policy(changes.lifecycle_policy.clone())
                .set_repository_policy(changes.repository_policy.clone())
                .set_custom_role_arn(changes.custom_role_arn.clone());
            if let Some(tags) = &changes.resource_tags {
                // An empty list clears the template's tags.
                request = request.set_resource_tags(Some(sdk_tags(tags)?));
            }
            if let Some(mode) = changes.image_tag_mutability {
                let filters = changes
                    .image_tag_mutability_exclusions
                    .as_deref()
                    .unwrap_or_default();
                request = request
                    .image_tag_mutability(sdk_mutability(mode))
                    .set_image_tag_mutability_exclusion_filters(exclusions(mode, filters)?);
            }
            if let Some(encryption) = &changes.encryption {
                request = request.encryption_configuration(sdk_template_encryption(encryption)?);
            }
            send!(request)
        }
        ApiCall::DeleteRepositoryCreationTemplate { prefix } => {
            send!(ecr.delete_repository_creation_template().prefix(prefix))
        }
        ApiCall::PutAccountSetting { name, value } => {
            send!(ecr.put_account_setting().name(name.as_str()).value(value))
        }
        ApiCall::PutSigningConfiguration { rules } => send!(
            ecr.put_signing_configuration()
                .signing_configuration(sdk_signing(rules)?)
        ),
        ApiCall::DeleteSigningConfiguration => send!(ecr.delete_signing_configuration()),
        ApiCall::RegisterPullTimeUpdateExclusion { principal_arn } => send!(
            ecr.register_pull_time_update_exclusion()
                .principal_arn(principal_arn)
        ),
        ApiCall::DeregisterPullTimeUpdateExclusion { principal_arn } => send!(
            ecr.deregister_pull_time_update_exclusion()
                .principal_arn(principal_arn)
        ),
    }
}

/// The signing configuration: every rule's profile and WILDCARD_MATCH filters. A rule without
/// filters (every repository) sends none, as ECR refuses an empty filter list.
fn sdk_signing(rules: &[SigningRule]) -> Result<SigningConfiguration, RegistryError> {
    let rules = rules
        .iter()
        .map(|rule| {
            let filters = rule
                .repository_filters
                .iter()
                .map(|filter| {
                    SigningRepositoryFilter::builder()
                        .filter(filter)
                        .filter_type(SigningRepositoryFilterType::WildcardMatch)
                        .build()
                        .map_err(request_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            SdkSigningRule::builder()
                .signing_profile_arn(&rule.signing_profile_arn)
                .set_repository_filters((!filters.is_empty()).then_some(filters))
                .build()
                .map_err(request_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    SigningConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(request_error)
}

/// The replication configuration: every rule's destinations and PREFIX_MATCH filters. No
/// rules is an empty configuration, which is how ECR clears replication.
fn sdk_replication(rules: &[ReplicationRule]) -> Result<ReplicationConfiguration, RegistryError> {
    let rules = rules
        .iter()
        .map(|rule| {
            let destinations = rule
                .destinations
                .iter()
                .map(|destination| {
                    ReplicationDestination::builder()
                        .region(destination.region.as_str())
                        .registry_id(destination.account.as_str())
                        .build()
                        .map_err(request_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let filters = rule
                .repository_filters
                .iter()
                .map(|filter| {
                    RepositoryFilter::builder()
                        .filter(filter)
                        .filter_type(RepositoryFilterType::PrefixMatch)
                        .build()
                        .map_err(request_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            SdkReplicationRule::builder()
                .set_destinations(Some(destinations))
                .set_repository_filters((!filters.is_empty()).then_some(filters))
                .build()
                .map_err(request_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    ReplicationConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(request_error)
}

fn sdk_scanning_rules(rules: &[ScanRule]) -> Result<Vec<RegistryScanningRule>, RegistryError> {
    rules
        .iter()
        .map(|rule| {
            let filters = rule
                .filters
                .iter()
                .map(|filter| {
                    ScanningRepositoryFilter::builder()
                        .filter(filter)
                        .filter_type(ScanningRepositoryFilterType::Wildcard)
                        .build()
                        .map_err(request_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            RegistryScanningRule::builder()
                .scan_frequency(ScanFrequency::from(rule.frequency.as_str()))
                .set_repository_filters(Some(filters))
                .build()
                .map_err(request_error)
        })
        .collect()
}

fn applied_for(scenarios: &[ecrform_model::AppliedFor]) -> Vec<RctAppliedFor> {
    scenarios
        .iter()
        .map(|scenario| RctAppliedFor::from(scenario.as_str()))
        .collect()
}

fn sdk_template_encryption(
    encryption: &Encryption,
) -> Result<EncryptionConfigurationForRepositoryCreationTemplate, RegistryError> {
    EncryptionConfigurationForRepositoryCreationTemplate::builder()
        .encryption_type(SdkEncryptionType::from(encryption.kind.as_str()))
        .set_kms_key(encryption.kms_key.clone())
        .build()
        .map_err(request_error)
}

fn sdk_mutability(mode: TagMutability) -> ImageTagMutability {
    ImageTagMutability::from(mode.as_str())
}

/// Exclusion filters go only with the modes that take them; ECR rejects them otherwise.
fn exclusions(
    mode: TagMutability,
    filters: &[String],
) -> Result<Option<Vec<ImageTagMutabilityExclusionFilter>>, RegistryError> {
    if !mode.takes_exclusions() {
        return Ok(None);
    }
    filters
        .iter()
        .map(|filter| {
            ImageTagMutabilityExclusionFilter::builder()
                .filter_type(ImageTagMutabilityExclusionFilterType::Wildcard)
                .filter(filter)
                .build()
                .map_err(request_error)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn sdk_tags(tags: &Tags) -> Result<Vec<Tag>, RegistryError> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(request_error)
        })
        .collect()
}

fn sdk_encryption(encryption: &Encryption) -> Result<EncryptionConfiguration, RegistryError> {
    let mut builder = EncryptionConfiguration::builder()
        .encryption_type(SdkEncryptionType::from(encryption.kind.as_str()));
    if let Some(key) = &encryption.kms_key {
        builder = builder.kms_key(key);
    }
    builder.build().map_err(request_error)
}

fn request_error(error: aws_smithy_types::error::operation::BuildError) -> RegistryError {
    RegistryError::new(ErrorKind::Invalid, "InvalidRequest", error.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::recorded::{Answer, RecordedEcr, described};
    use ecrform_model::{EncryptionType, RepositoryName};
    use ecrform_plan::Registry;

    const REGISTRY: &str = "123456789012/eu-west-1";
    const KEY_ARN: &str =
        "arn:aws:kms:eu-west-1:123456789012:key/0b7b2a7e-7f3e-4d43-9a4c-5e8d1f1c2a3b";

    fn name(raw: &str) -> RepositoryName {
        RepositoryName::parse(raw).unwrap()
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// Executes `call` against an endpoint that accepts it and returns the one request sent.
    async fn sent(registry: &str, call: &ApiCall) -> Value {
        let ecr = RecordedEcr::new();
        // The write paths ignore the response body; a repository is what most of them return.
        ecr.always(
            call.operation(),
            Answer::ok(json!({ "repository": described(registry, "app") })),
        );
        ecr.registry(registry, 1).call(call).await.unwrap();
        let mut requests = ecr.received(call.operation());
        assert_eq!(
            ecr.total(),
            1,
            "{} sent more than one request",
            call.operation()
        );
        requests.remove(0)
    }

    #[tokio::test(start_paused = true)]
    async fn create_repository_sends_every_setting_in_one_request() {
        let call = ApiCall::CreateRepository {
            repository: name("team/app"),
            image_tag_mutability: Some(TagMutability::ImmutableWithExclusion),
            image_tag_mutability_exclusions: vec!["latest".to_owned(), "dev-*".to_owned()],
            scan_on_push: Some(true),
            encryption: Some(Encryption {
                kind: EncryptionType::Kms,
                kms_key: Some(KEY_ARN.to_owned()),
            }),
            tags: tags(&[("team", "platform"), ("managed-by", "ecrform")]),
        };

        assert_eq!(
            sent(REGISTRY, &call).await,
            json!({
                "registryId": "123456789012",
                "repositoryName": "team/app",
                "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [
                    { "filterType": "WILDCARD", "filter": "latest" },
                    { "filterType": "WILDCARD", "filter": "dev-*" }
                ],
                "imageScanningConfiguration": { "scanOnPush": true },
                "encryptionConfiguration": { "encryptionType": "KMS", "kmsKey": KEY_ARN },
                "tags": [
                    { "Key": "managed-by", "Value": "ecrform" },
                    { "Key": "team", "Value": "platform" }
                ]
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn create_repository_leaves_out_what_the_spec_does_not_manage() {
        let call = ApiCall::CreateRepository {
            repository: name("app"),
            image_tag_mutability: Some(TagMutability::Mutable),
            // Stale filters must not reach ECR with a mode that takes none.
            image_tag_mutability_exclusions: vec!["latest".to_owned()],
            scan_on_push: None,
            encryption: Some(Encryption {
                kind: EncryptionType::Kms,
                kms_key: None,
            }),
            tags: Tags::new(),
        };

        assert_eq!(
            sent(REGISTRY, &call).await,
            json!({
                "registryId": "123456789012",
                "repositoryName": "app",
                "imageTagMutability": "MUTABLE",
                "encryptionConfiguration": { "encryptionType": "KMS" },
                "tags": []
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tags_target_the_repository_arn_of_the_region_partition() {
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
        for (registry, arn) in cases {
            let tag = ApiCall::TagResource {
                repository: name("team/app"),
                tags: tags(&[("team", "platform")]),
            };
            assert_eq!(
                sent(registry, &tag).await,
                json!({ "resourceArn": arn, "tags": [{ "Key": "team", "Value": "platform" }] }),
                "{registry}"
            );
            let untag = ApiCall::UntagResource {
                repository: name("team/app"),
                keys: vec!["old".to_owned()],
            };
            assert_eq!(
                sent(registry, &untag).await,
                json!({ "resourceArn": arn, "tagKeys": ["old"] }),
                "{registry}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tag_mutability_sends_exclusion_filters_only_with_the_modes_that_take_them() {
        for mode in TagMutability::ALL {
            let call = ApiCall::PutImageTagMutability {
                repository: name("app"),
                image_tag_mutability: mode,
                image_tag_mutability_exclusions: vec!["release-*".to_owned()],
            };
            let mut expected = json!({
                "registryId": "123456789012",
                "repositoryName": "app",
                "imageTagMutability": mode.as_str()
            });
            if mode.takes_exclusions() {
                expected["imageTagMutabilityExclusionFilters"] =
                    json!([{ "filterType": "WILDCARD", "filter": "release-*" }]);
            }
            assert_eq!(sent(REGISTRY, &call).await, expected, "{mode}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_other_call_sends_its_documented_request() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"ecr:BatchGetImage"}]}"#;
        let lifecycle = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":100},"action":{"type":"expire"}}]}"#;
        let repository = || json!({ "registryId": "123456789012", "repositoryName": "app" });
        let with = |key: &str, value: Value| {
            let mut body = repository();
            body[key] = value;
            body
        };
        let cases = [
            (
                ApiCall::PutImageScanningConfiguration {
                    repository: name("app"),
                    scan_on_push: true,
                },
                with("imageScanningConfiguration", json!({ "scanOnPush": true })),
            ),
            (
                ApiCall::PutLifecyclePolicy {
                    repository: name("app"),
                    text: lifecycle.to_owned(),
                },
                with("lifecyclePolicyText", json!(lifecycle)),
            ),
            (
                ApiCall::DeleteLifecyclePolicy {
                    repository: name("app"),
                },
                repository(),
            ),
            (
                ApiCall::SetRepositoryPolicy {
                    repository: name("app"),
                    text: policy.to_owned(),
                },
                with("policyText", json!(policy)),
            ),
            (
                ApiCall::DeleteRepositoryPolicy {
                    repository: name("app"),
                },
                repository(),
            ),
            (
                ApiCall::DeleteRepository {
                    repository: name("app"),
                    force: false,
                },
                with("force", json!(false)),
            ),
            (
                ApiCall::DeleteRepository {
                    repository: name("app"),
                    force: true,
                },
                with("force", json!(true)),
            ),
        ];
        for (call, expected) in cases {
            assert_eq!(
                sent(REGISTRY, &call).await,
                expected,
                "{}",
                call.operation()
            );
        }
    }

    /// Executes `call` against an endpoint that answers with `response` (the operation's
    /// response shape from the ECR API reference) and returns the one request sent.
    async fn sent_answered(call: &ApiCall, response: Value) -> Value {
        let ecr = RecordedEcr::new();
        ecr.always(call.operation(), Answer::ok(response));
        ecr.registry(REGISTRY, 1).call(call).await.unwrap();
        assert_eq!(
            ecr.total(),
            1,
            "{} sent more than one request",
            call.operation()
        );
        ecr.received(call.operation()).remove(0)
    }

    fn replication_rule(destinations: &[(&str, &str)], filters: &[&str]) -> ReplicationRule {
        ReplicationRule {
            destinations: destinations
                .iter()
                .map(|(account, region)| ecrform_model::ReplicationDestination {
                    region: ecrform_model::Region::parse(region).unwrap(),
                    account: ecrform_model::AccountId::parse(account).unwrap(),
                })
                .collect(),
            repository_filters: filters.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn replication_sends_every_rule_and_clears_with_no_rules() {
        let call = ApiCall::PutReplicationConfiguration {
            rules: vec![
                replication_rule(
                    &[("123456789012", "us-east-1"), ("210987654321", "eu-west-1")],
                    &["team-a/"],
                ),
                replication_rule(&[("123456789012", "us-west-2")], &[]),
            ],
        };
        let rules = json!([
            {"destinations": [
                {"region": "us-east-1", "registryId": "123456789012"},
                {"region": "eu-west-1", "registryId": "210987654321"}],
             "repositoryFilters": [{"filter": "team-a/", "filterType": "PREFIX_MATCH"}]},
            {"destinations": [{"region": "us-west-2", "registryId": "123456789012"}]}
        ]);
        assert_eq!(
            sent_answered(&call, json!({"replicationConfiguration": {"rules": rules}})).await,
            json!({"replicationConfiguration": {"rules": rules}})
        );

        let clear = ApiCall::PutReplicationConfiguration { rules: Vec::new() };
        assert_eq!(
            sent_answered(&clear, json!({"replicationConfiguration": {"rules": []}})).await,
            json!({"replicationConfiguration": {"rules": []}})
        );
    }

    const SIGNING_PROFILE: &str =
        "arn:aws:signer:eu-west-1:123456789012:/signing-profiles/release_images";
    const SCANNER: &str = "arn:aws:iam::123456789012:role/security/scanner";

    #[tokio::test(start_paused = true)]
    async fn a_signing_configuration_sends_every_rule_with_wildcard_filters() {
        let call = ApiCall::PutSigningConfiguration {
            rules: vec![
                SigningRule {
                    signing_profile_arn: SIGNING_PROFILE.to_owned(),
                    repository_filters: vec!["release/*".to_owned(), "team-a/prod".to_owned()],
                },
                // Every repository: no filter list at all, which ECR refuses empty.
                SigningRule {
                    signing_profile_arn: SIGNING_PROFILE.to_owned(),
                    repository_filters: Vec::new(),
                },
            ],
        };
        let configuration = json!({"rules": [
            {"signingProfileArn": SIGNING_PROFILE,
             "repositoryFilters": [
                {"filter": "release/*", "filterType": "WILDCARD_MATCH"},
                {"filter": "team-a/prod", "filterType": "WILDCARD_MATCH"}]},
            {"signingProfileArn": SIGNING_PROFILE}
        ]});
        assert_eq!(
            sent_answered(&call, json!({"signingConfiguration": configuration})).await,
            json!({"signingConfiguration": configuration})
        );
    }

    #[tokio::test(start_paused = true)]
    async fn registry_wide_calls_send_their_documented_requests() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"replicate","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":["ecr:CreateRepository","ecr:ReplicateImage"],"Resource":"arn:aws:ecr:eu-west-1:123456789012:repository/*"}]}"#;
        let lifecycle = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
        let secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf";
        let role = "arn:aws:iam::123456789012:role/ecr-template";
        let minified = |text: &str| serde_json::from_str::<Value>(text).unwrap().to_string();
        let template = ecrform_model::CreationTemplate {
            applied_for: vec![
                ecrform_model::AppliedFor::PullThroughCache,
                ecrform_model::AppliedFor::Replication,
            ],
            description: Some("cached images".to_owned()),
            image_tag_mutability: Some(TagMutability::ImmutableWithExclusion),
            image_tag_mutability_exclusions: vec!["latest".to_owned()],
            encryption: Some(Encryption {
                kind: EncryptionType::Kms,
                kms_key: Some(KEY_ARN.to_owned()),
            }),
            resource_tags: tags(&[("team", "platform")]),
            lifecycle_policy: Some(
                ecrform_model::LifecyclePolicy::from_json_text(lifecycle).unwrap(),
            ),
            repository_policy: Some(ecrform_model::IamPolicy::from_json_text(policy).unwrap()),
            custom_role_arn: Some(role.to_owned()),
        };
        // The template as DescribeRepositoryCreationTemplates and the template writes answer.
        let answered_template = json!({
            "registryId": "123456789012",
            "repositoryCreationTemplate": {
                "prefix": "ROOT", "description": "cached images",
                "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": KEY_ARN},
                "resourceTags": [{"Key": "team", "Value": "platform"}],
                "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest"}],
                "repositoryPolicy": policy, "lifecyclePolicy": lifecycle,
                "appliedFor": ["PULL_THROUGH_CACHE", "REPLICATION"], "customRoleArn": role,
                "createdAt": 1.7e9, "updatedAt": 1.7e9
            }
        });
        let answered_rule = json!({
            "ecrRepositoryPrefix": "docker-hub", "upstreamRegistryUrl": "registry-1.docker.io",
            "createdAt": 1.7e9, "registryId": "123456789012", "upstreamRegistry": "docker-hub",
            "credentialArn": secret, "upstreamRepositoryPrefix": "ROOT"
        });
        let cases = [
            (
                ApiCall::PutRegistryPolicy {
                    text: policy.to_owned(),
                },
                json!({"registryId": "123456789012", "policyText": policy}),
                json!({"policyText": policy}),
            ),
            (
                ApiCall::DeleteRegistryPolicy,
                json!({"registryId": "123456789012", "policyText": policy}),
                json!({}),
            ),
            (
                ApiCall::PutRegistryScanningConfiguration {
                    scan_type: ecrform_model::ScanType::Enhanced,
                    rules: vec![ScanRule {
                        frequency: ecrform_model::ScanFrequency::ContinuousScan,
                        filters: vec!["team-a/*".to_owned()],
                    }],
                },
                json!({"registryScanningConfiguration": {"scanType": "ENHANCED", "rules": [
                    {"scanFrequency": "CONTINUOUS_SCAN",
                     "repositoryFilters": [{"filter": "team-a/*", "filterType": "WILDCARD"}]}]}}),
                json!({"scanType": "ENHANCED", "rules": [
                    {"scanFrequency": "CONTINUOUS_SCAN",
                     "repositoryFilters": [{"filter": "team-a/*", "filterType": "WILDCARD"}]}]}),
            ),
            (
                ApiCall::CreatePullThroughCacheRule {
                    prefix: "docker-hub".to_owned(),
                    rule: ecrform_model::PullThroughCacheRule {
                        upstream_url: "registry-1.docker.io".to_owned(),
                        upstream_registry: Some("docker-hub".to_owned()),
                        credential_arn: Some(secret.to_owned()),
                        custom_role_arn: None,
                        upstream_repository_prefix: None,
                    },
                },
                answered_rule.clone(),
                json!({"registryId": "123456789012", "ecrRepositoryPrefix": "docker-hub",
                       "upstreamRegistryUrl": "registry-1.docker.io",
                       "upstreamRegistry": "docker-hub", "credentialArn": secret}),
            ),
            (
                ApiCall::UpdatePullThroughCacheRule {
                    prefix: "docker-hub".to_owned(),
                    credential_arn: Some(secret.to_owned()),
                    custom_role_arn: None,
                },
                json!({"ecrRepositoryPrefix": "docker-hub", "registryId": "123456789012",
                       "updatedAt": 1.7e9, "credentialArn": secret,
                       "upstreamRepositoryPrefix": "ROOT"}),
                json!({"registryId": "123456789012", "ecrRepositoryPrefix": "docker-hub",
                       "credentialArn": secret}),
            ),
            (
                ApiCall::DeletePullThroughCacheRule {
                    prefix: "docker-hub".to_owned(),
                },
                answered_rule,
                json!({"registryId": "123456789012", "ecrRepositoryPrefix": "docker-hub"}),
            ),
            (
                ApiCall::CreateRepositoryCreationTemplate {
                    prefix: "ROOT".to_owned(),
                    template,
                },
                answered_template.clone(),
                json!({
                    "prefix": "ROOT", "description": "cached images",
                    "appliedFor": ["PULL_THROUGH_CACHE", "REPLICATION"],
                    "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                    "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest"}],
                    "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": KEY_ARN},
                    "resourceTags": [{"Key": "team", "Value": "platform"}],
                    // The documents as written, minified (serde_json orders their keys).
                    "lifecyclePolicy": minified(lifecycle), "repositoryPolicy": minified(policy),
                    "customRoleArn": role
                }),
            ),
            (
                // Only what changes is sent; empty values clear a field.
                ApiCall::UpdateRepositoryCreationTemplate {
                    prefix: "ROOT".to_owned(),
                    changes: ecrform_plan::TemplateChanges {
                        description: Some(String::new()),
                        resource_tags: Some(Tags::new()),
                        lifecycle_policy: Some(String::new()),
                        image_tag_mutability: Some(TagMutability::Mutable),
                        image_tag_mutability_exclusions: Some(vec!["latest".to_owned()]),
                        ..ecrform_plan::TemplateChanges::default()
                    },
                },
                answered_template.clone(),
                json!({"prefix": "ROOT", "description": "", "resourceTags": [],
                       "lifecyclePolicy": "", "imageTagMutability": "MUTABLE"}),
            ),
            (
                ApiCall::DeleteRepositoryCreationTemplate {
                    prefix: "ROOT".to_owned(),
                },
                answered_template,
                json!({"prefix": "ROOT"}),
            ),
            (
                ApiCall::PutAccountSetting {
                    name: ecrform_model::AccountSettingName::RegistryPolicyScope,
                    value: "V2".to_owned(),
                },
                json!({"name": "REGISTRY_POLICY_SCOPE", "value": "V2"}),
                json!({"name": "REGISTRY_POLICY_SCOPE", "value": "V2"}),
            ),
            (
                ApiCall::DeleteSigningConfiguration,
                json!({"registryId": "123456789012", "signingConfiguration": {"rules": [
                    {"signingProfileArn": SIGNING_PROFILE}]}}),
                json!({}),
            ),
            (
                ApiCall::RegisterPullTimeUpdateExclusion {
                    principal_arn: SCANNER.to_owned(),
                },
                json!({"principalArn": SCANNER, "createdAt": 1.745531331E9}),
                json!({"principalArn": SCANNER}),
            ),
            (
                ApiCall::DeregisterPullTimeUpdateExclusion {
                    principal_arn: SCANNER.to_owned(),
                },
                json!({"principalArn": SCANNER}),
                json!({"principalArn": SCANNER}),
            ),
        ];
        for (call, response, expected) in cases {
            assert_eq!(
                sent_answered(&call, response).await,
                expected,
                "{}",
                call.operation()
            );
        }
    }
}
