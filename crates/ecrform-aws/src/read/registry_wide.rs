//! Reading the registry-wide settings a scope names: replication (DescribeRegistry), the
//! registry policy, registry scanning, pull-through cache rules and repository creation
//! templates (both paginated), account settings (one GetAccountSetting per name), the signing
//! configuration and pull-time update exclusions (paginated), each concurrently with the
//! others. Nothing outside the scope is requested, so a spec that does not manage a setting
//! never depends on the endpoint implementing it. Values are reported as ECR gives them (see
//! `convert`): a registry that never replicated reports `rules: []`, one never configured
//! scans `BASIC` with no rules, a pull-through cache rule carries the `ROOT` prefix and the
//! upstream registry ECR derived; the model's canonical forms decide what that means. A
//! registry without a registry policy or signing configuration answers with a not-found
//! error, which is "absent" here and nowhere else.
//!
//! # Endpoints that lack an operation
//! The local emulator answers pull-through cache, creation template, account setting, signing
//! configuration and pull-time update exclusion reads with an HTML 500. The SDK retries it
//! like any server error (five attempts take at most 0.2 + 0.4 + 0.8 + 1.6 = 3 s of backoff
//! with `connect`'s settings), then the read fails with [`ErrorKind::UnsupportedSetting`],
//! which names the setting and what to do about it.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use ecrform_model::{
    AccountSettingName, AccountSettings, CreationTemplate, IamPolicy, PullThroughCacheRule,
    PullTimeUpdateExclusions, RegistryState, RegistryWideKind, Replication, Scanning, Setting,
    SigningConfiguration,
};
use ecrform_plan::{ErrorKind, Missing, RegistryAspects, RegistryError};

use super::convert;
use crate::EcrRegistry;
use crate::error::classify;

/// The registry-wide settings one read found; what the scope did not name stays unread.
#[derive(Debug, Default)]
pub(crate) struct RegistrySettings {
    replication: Setting<Replication>,
    registry_policy: Setting<IamPolicy>,
    scanning: Setting<Scanning>,
    pull_through_cache: Option<BTreeMap<String, PullThroughCacheRule>>,
    creation_templates: Option<BTreeMap<String, CreationTemplate>>,
    account_settings: Option<AccountSettings>,
    signing_configuration: Setting<SigningConfiguration>,
    pull_time_update_exclusions: Option<PullTimeUpdateExclusions>,
}

impl RegistrySettings {
    pub(crate) fn fill(self, state: &mut RegistryState) {
        state.replication = self.replication;
        state.registry_policy = self.registry_policy;
        state.scanning = self.scanning;
        state.pull_through_cache = self.pull_through_cache;
        state.creation_templates = self.creation_templates;
        state.account_settings = self.account_settings;
        state.signing_configuration = self.signing_configuration;
        state.pull_time_update_exclusions = self.pull_time_update_exclusions;
    }
}

/// A failed read of one registry-wide setting. An endpoint without the operation gets a
/// sentence that says which part of the spec it cannot serve.
fn failed(kind: RegistryWideKind) -> impl Fn(RegistryError) -> RegistryError {
    move |error| {
        if error.kind == ErrorKind::Unsupported {
            RegistryError::unsupported_setting(kind, &error.code)
        } else {
            error
        }
    }
}

/// Reads what `aspects` names, each setting concurrently with the others.
pub(crate) async fn read_settings(
    registry: &EcrRegistry,
    aspects: &RegistryAspects,
) -> Result<RegistrySettings, RegistryError> {
    let (
        replication,
        registry_policy,
        scanning,
        pull_through_cache,
        creation_templates,
        account_settings,
        signing_configuration,
        pull_time_update_exclusions,
    ) = tokio::join!(
        read_if(
            aspects.reads(RegistryWideKind::Replication),
            read_replication(registry)
        ),
        read_if(
            aspects.reads(RegistryWideKind::RegistryPolicy),
            read_registry_policy(registry)
        ),
        read_if(
            aspects.reads(RegistryWideKind::Scanning),
            read_scanning(registry)
        ),
        read_if(
            aspects.reads(RegistryWideKind::PullThroughCache),
            read_pull_through_cache(registry)
        ),
        read_if(
            aspects.reads(RegistryWideKind::CreationTemplates),
            read_creation_templates(registry)
        ),
        read_if(
            aspects.reads(RegistryWideKind::AccountSettings),
            read_account_settings(registry, aspects.account_setting_names())
        ),
        read_if(
            aspects.reads(RegistryWideKind::SigningConfiguration),
            read_signing_configuration(registry)
        ),
        read_if(
            aspects.reads(RegistryWideKind::PullTimeUpdateExclusions),
            read_pull_time_update_exclusions(registry)
        ),
    );
    // Every read has finished, so the error reported does not depend on which answer came
    // first: the first failed setting in this fixed order.
    Ok(RegistrySettings {
        replication: replication
            .map_err(failed(RegistryWideKind::Replication))?
            .unwrap_or_default(),
        registry_policy: registry_policy
            .map_err(failed(RegistryWideKind::RegistryPolicy))?
            .unwrap_or_default(),
        scanning: scanning
            .map_err(failed(RegistryWideKind::Scanning))?
            .unwrap_or_default(),
        pull_through_cache: pull_through_cache
            .map_err(failed(RegistryWideKind::PullThroughCache))?,
        creation_templates: creation_templates
            .map_err(failed(RegistryWideKind::CreationTemplates))?,
        account_settings: account_settings.map_err(failed(RegistryWideKind::AccountSettings))?,
        signing_configuration: signing_configuration
            .map_err(failed(RegistryWideKind::SigningConfiguration))?
            .unwrap_or_default(),
        pull_time_update_exclusions: pull_time_update_exclusions
            .map_err(failed(RegistryWideKind::PullTimeUpdateExclusions))?,
    })
}

/// Runs `read` only when the scope names the setting; `None` means "not read".
async fn read_if<T>(
    wanted: bool,
    read: impl Future<Output = Result<T, RegistryError>>,
) -> Result<Option<T>, RegistryError> {
    if wanted {
        read.await.map(Some)
    } else {
        Ok(None)
    }
}

async fn read_replication(registry: &EcrRegistry) -> Result<Setting<Replication>, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    // DescribeRegistry takes no registry id: it describes the caller's own registry, which
    // the client's credentials (and role) make the one being read.
    let output = registry
        .reader
        .describe_registry()
        .send()
        .await
        .map_err(|e| classify(&e))?;
    convert::replication(output.replication_configuration())
}

async fn read_registry_policy(registry: &EcrRegistry) -> Result<Setting<IamPolicy>, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    let result = registry.reader.get_registry_policy().send().await;
    let text = match result {
        Ok(output) => output.policy_text().map(str::to_owned),
        Err(error) => {
            let error = classify(&error);
            if error.kind == ErrorKind::NotFound(Missing::RegistryPolicy) {
                None
            } else {
                return Err(error);
            }
        }
    };
    match text.filter(|text| !text.trim().is_empty()) {
        None => Ok(Setting::Absent),
        Some(text) => IamPolicy::from_json_text_in(&text, registry.id.region.partition())
            .map(Setting::Present)
            .map_err(|e| convert::unreadable_policy("registry policy", e)),
    }
}

async fn read_scanning(registry: &EcrRegistry) -> Result<Setting<Scanning>, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    let output = registry
        .reader
        .get_registry_scanning_configuration()
        .send()
        .await
        .map_err(|e| classify(&e))?;
    convert::scanning(output.scanning_configuration())
}

async fn read_signing_configuration(
    registry: &EcrRegistry,
) -> Result<Setting<SigningConfiguration>, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    // Like DescribeRegistry, this describes the caller's own registry.
    match registry.reader.get_signing_configuration().send().await {
        Ok(output) => convert::signing_configuration(output.signing_configuration()),
        Err(error) => {
            let error = classify(&error);
            if error.kind == ErrorKind::NotFound(Missing::SigningConfiguration) {
                Ok(Setting::Absent)
            } else {
                Err(error)
            }
        }
    }
}

/// Every page of ListPullTimeUpdateExclusions. The SDK has no paginator for it (the API
/// model declares none), so the pages are followed by their `nextToken` here.
async fn read_pull_time_update_exclusions(
    registry: &EcrRegistry,
) -> Result<PullTimeUpdateExclusions, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    let mut exclusions = PullTimeUpdateExclusions::new();
    let mut next_token: Option<String> = None;
    loop {
        let page = registry
            .reader
            .list_pull_time_update_exclusions()
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        for principal in page.pull_time_update_exclusions() {
            // The ARN is the NAME of the exclusion's address, which cannot be empty.
            if principal.is_empty() {
                return Err(convert::unexpected(
                    "pull-time update exclusion",
                    "it names no principal",
                ));
            }
            exclusions.insert(principal.clone());
        }
        match page.next_token().filter(|token| !token.is_empty()) {
            None => return Ok(exclusions),
            // A token that does not move on would never end; the list read so far is not the
            // whole set, and planning on part of it would register what is already there.
            Some(token) if next_token.as_deref() == Some(token) => {
                return Err(convert::unexpected(
                    "pull-time update exclusions",
                    "ListPullTimeUpdateExclusions answered the same nextToken twice",
                ));
            }
            Some(token) => next_token = Some(token.to_owned()),
        }
    }
}

async fn read_pull_through_cache(
    registry: &EcrRegistry,
) -> Result<BTreeMap<String, PullThroughCacheRule>, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    let mut pages = registry
        .reader
        .describe_pull_through_cache_rules()
        .registry_id(registry.id.account.as_str())
        .into_paginator()
        .send();
    let mut rules = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e))?;
        for rule in page.pull_through_cache_rules() {
            let (prefix, rule) = convert::pull_through_cache_rule(rule)?;
            rules.insert(prefix, rule);
        }
    }
    Ok(rules)
}

async fn read_creation_templates(
    registry: &EcrRegistry,
) -> Result<BTreeMap<String, CreationTemplate>, RegistryError> {
    let _permit = registry.permits.acquire().await.ok();
    // Like DescribeRegistry, this describes the caller's own registry.
    let mut pages = registry
        .reader
        .describe_repository_creation_templates()
        .into_paginator()
        .send();
    let mut templates = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e))?;
        for template in page.repository_creation_templates() {
            let (prefix, template) =
                convert::creation_template(template, registry.id.region.partition())?;
            templates.insert(prefix, template);
        }
    }
    Ok(templates)
}

async fn read_account_settings(
    registry: &EcrRegistry,
    names: &BTreeSet<AccountSettingName>,
) -> Result<AccountSettings, RegistryError> {
    let reads = names.iter().map(|name| async move {
        let _permit = registry.permits.acquire().await.ok();
        let output = registry
            .reader
            .get_account_setting()
            .name(name.as_str())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok::<_, RegistryError>((*name, convert::non_empty(output.value())))
    });
    let mut settings = AccountSettings::new();
    for result in join_all(reads).await {
        // A setting ECR reports no value for is left out, so that a spec naming it plans
        // the Put that gives it one.
        if let (name, Some(value)) = result? {
            settings.insert(name, value);
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::*;
    use crate::recorded::{Answer, RecordedEcr};
    use ecrform_model::Tags;
    use ecrform_model::{
        AccountId, AppliedFor, Encryption, EncryptionType, LifecyclePolicy, Region,
        ReplicationDestination, ReplicationRule, ScanFrequency, ScanRule, ScanType, TagMutability,
    };
    use ecrform_plan::{ReadScope, Registry};

    const REGISTRY: &str = "123456789012/us-east-1";

    /// ECR answers the repository listing (always part of a read) with no repositories.
    fn recorded() -> RecordedEcr {
        let ecr = RecordedEcr::new();
        ecr.always(
            "DescribeRepositories",
            Answer::ok(json!({ "repositories": [] })),
        );
        ecr
    }

    fn scope(registry: RegistryAspects) -> ReadScope {
        ReadScope {
            registry,
            ..ReadScope::default()
        }
    }

    async fn read(ecr: &RecordedEcr, registry: RegistryAspects) -> RegistryState {
        ecr.registry(REGISTRY, 3)
            .read(&scope(registry))
            .await
            .unwrap()
    }

    fn account(raw: &str) -> AccountId {
        AccountId::parse(raw).unwrap()
    }

    fn destination(region: &str, raw_account: &str) -> ReplicationDestination {
        ReplicationDestination {
            region: Region::parse(region).unwrap(),
            account: account(raw_account),
        }
    }

    // ECR's rendering of a registry policy put with a bare account-id principal and the
    // actions in the other order.
    const REWRITTEN_REGISTRY_POLICY: &str = "{\n  \"Version\" : \"2012-10-17\",\n  \
        \"Statement\" : [ {\n    \"Sid\" : \"replicate-from-build\",\n    \"Effect\" : \
        \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::210987654321:root\"\n    \
        },\n    \"Action\" : [ \"ecr:ReplicateImage\", \"ecr:CreateRepository\" ],\n    \
        \"Resource\" : \"arn:aws:ecr:us-east-1:123456789012:repository/*\"\n  } ]\n}";

    const AS_WRITTEN_REGISTRY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"replicate-from-build","Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":["ecr:CreateRepository","ecr:ReplicateImage"],"Resource":"arn:aws:ecr:us-east-1:123456789012:repository/*"}]}"#;

    #[tokio::test(start_paused = true)]
    async fn replication_rules_are_read_with_cross_account_destinations_and_filters() {
        let ecr = recorded();
        ecr.then(
            "DescribeRegistry",
            Answer::ok(json!({
                "registryId": "123456789012",
                "replicationConfiguration": { "rules": [
                    {
                        "destinations": [
                            { "region": "eu-west-1", "registryId": "123456789012" },
                            { "region": "us-west-2", "registryId": "210987654321" }
                        ],
                        "repositoryFilters": [
                            { "filter": "team-a/", "filterType": "PREFIX_MATCH" },
                            { "filter": "shared", "filterType": "PREFIX_MATCH" }
                        ]
                    },
                    { "destinations": [{ "region": "ap-southeast-2", "registryId": "345678901234" }] }
                ] }
            })),
        );

        let state = read(&ecr, RegistryAspects::only([RegistryWideKind::Replication])).await;

        let expected = Replication {
            rules: vec![
                ReplicationRule {
                    destinations: vec![
                        destination("eu-west-1", "123456789012"),
                        destination("us-west-2", "210987654321"),
                    ],
                    repository_filters: vec!["team-a/".to_owned(), "shared".to_owned()],
                },
                ReplicationRule {
                    destinations: vec![destination("ap-southeast-2", "345678901234")],
                    repository_filters: vec![],
                },
            ],
        };
        assert_eq!(state.replication, Setting::Present(expected));
        // DescribeRegistry describes the caller's registry: it takes no registry id.
        assert_eq!(ecr.received("DescribeRegistry"), [json!({})]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_registry_without_replication_rules_has_no_replication() {
        let answers = [
            json!({ "registryId": "123456789012", "replicationConfiguration": { "rules": [] } }),
            json!({ "registryId": "123456789012" }),
        ];
        for answer in answers {
            let ecr = recorded();
            ecr.then("DescribeRegistry", Answer::ok(answer.clone()));

            let state = read(&ecr, RegistryAspects::only([RegistryWideKind::Replication])).await;

            // Reported as ECR has it, which is no replication.
            let replication = state.replication.present().unwrap();
            assert!(replication.rules.is_empty(), "{answer}");
            assert_eq!(replication.canonical(), None, "{answer}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_registry_policy_as_ecr_rewrites_it_is_read_as_written() {
        let ecr = recorded();
        ecr.then(
            "GetRegistryPolicy",
            Answer::ok(json!({
                "registryId": "123456789012",
                "policyText": REWRITTEN_REGISTRY_POLICY
            })),
        );

        let state = read(
            &ecr,
            RegistryAspects::only([RegistryWideKind::RegistryPolicy]),
        )
        .await;

        let as_written = IamPolicy::from_json_text(AS_WRITTEN_REGISTRY_POLICY).unwrap();
        assert_eq!(state.registry_policy, Setting::Present(as_written));
        assert_eq!(ecr.received("GetRegistryPolicy"), [json!({})]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_gov_cloud_registry_reads_its_registry_policy_and_template_policies_in_its_partition()
    {
        const GOV: &str = "123456789012/us-gov-west-1";
        let in_gov = REWRITTEN_REGISTRY_POLICY.replace("arn:aws:", "arn:aws-us-gov:");
        let template_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\
             \"Principal\":{\"AWS\":\"arn:aws-us-gov:iam::210987654321:root\"},\"Action\":\"ecr:BatchGetImage\"}]}";
        let ecr = recorded();
        ecr.then(
            "GetRegistryPolicy",
            Answer::ok(json!({ "registryId": "123456789012", "policyText": in_gov })),
        )
        .then(
            "DescribeRepositoryCreationTemplates",
            template_page(
                vec![json!({
                    "prefix": "ROOT",
                    "appliedFor": ["REPLICATION"],
                    "repositoryPolicy": template_policy
                })],
                None,
            ),
        );

        let state = ecr
            .registry(GOV, 3)
            .read(&scope(RegistryAspects::only([
                RegistryWideKind::RegistryPolicy,
                RegistryWideKind::CreationTemplates,
            ])))
            .await
            .unwrap();

        let gov = ecrform_model::Partition::AwsUsGov;
        let as_written = IamPolicy::from_json_text(
            &AS_WRITTEN_REGISTRY_POLICY.replace("arn:aws:", "arn:aws-us-gov:"),
        )
        .unwrap()
        .for_partition(gov);
        assert_eq!(state.registry_policy, Setting::Present(as_written));
        let template = &state.creation_templates.unwrap()["ROOT"];
        let bare = IamPolicy::from_json_text(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:BatchGetImage"}]}"#,
        )
        .unwrap()
        .for_partition(gov);
        assert_eq!(template.repository_policy.as_ref(), Some(&bare));
    }

    #[tokio::test(start_paused = true)]
    async fn registry_policy_not_found_is_no_registry_policy() {
        let ecr = recorded();
        ecr.then(
            "GetRegistryPolicy",
            Answer::error(
                "RegistryPolicyNotFoundException",
                "Registry policy does not exist in the registry with id '123456789012'",
            ),
        );

        let state = read(
            &ecr,
            RegistryAspects::only([RegistryWideKind::RegistryPolicy]),
        )
        .await;

        assert_eq!(state.registry_policy, Setting::Absent);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreadable_live_registry_policy_is_an_error_saying_so() {
        let ecr = recorded();
        ecr.then(
            "GetRegistryPolicy",
            Answer::ok(
                json!({ "registryId": "123456789012", "policyText": "{\n  \"Version\" : " }),
            ),
        );

        let error = ecr
            .registry(REGISTRY, 3)
            .read(&scope(RegistryAspects::only([
                RegistryWideKind::RegistryPolicy,
            ])))
            .await
            .unwrap_err();

        assert_eq!(error.code, "UnreadablePolicy");
        assert!(
            error
                .message
                .starts_with("the live registry policy cannot be read: "),
            "{error}"
        );
        assert!(!error.message.contains('\n'), "{error:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn enhanced_scanning_with_two_rules_is_read() {
        let ecr = recorded();
        ecr.then(
            "GetRegistryScanningConfiguration",
            Answer::ok(json!({
                "registryId": "123456789012",
                "scanningConfiguration": {
                    "scanType": "ENHANCED",
                    "rules": [
                        {
                            "scanFrequency": "CONTINUOUS_SCAN",
                            "repositoryFilters": [
                                { "filter": "prod-*", "filterType": "WILDCARD" },
                                { "filter": "release", "filterType": "WILDCARD" }
                            ]
                        },
                        {
                            "scanFrequency": "SCAN_ON_PUSH",
                            "repositoryFilters": [{ "filter": "*", "filterType": "WILDCARD" }]
                        }
                    ]
                }
            })),
        );

        let state = read(&ecr, RegistryAspects::only([RegistryWideKind::Scanning])).await;

        let expected = Scanning {
            scan_type: ScanType::Enhanced,
            rules: vec![
                ScanRule {
                    frequency: ScanFrequency::ContinuousScan,
                    filters: vec!["prod-*".to_owned(), "release".to_owned()],
                },
                ScanRule {
                    frequency: ScanFrequency::ScanOnPush,
                    filters: vec!["*".to_owned()],
                },
            ],
        };
        assert_eq!(state.scanning, Setting::Present(expected));
        assert_eq!(
            ecr.received("GetRegistryScanningConfiguration"),
            [json!({})]
        );
    }

    // A registry whose scanning was never configured reports BASIC with no rules (real ECR
    // and the emulator alike): a configuration, not an absence.
    #[tokio::test(start_paused = true)]
    async fn unconfigured_scanning_is_basic_with_no_rules() {
        let ecr = recorded();
        ecr.then(
            "GetRegistryScanningConfiguration",
            Answer::ok(json!({
                "registryId": "123456789012",
                "scanningConfiguration": { "scanType": "BASIC", "rules": [] }
            })),
        );

        let state = read(&ecr, RegistryAspects::only([RegistryWideKind::Scanning])).await;

        assert_eq!(
            state.scanning,
            Setting::Present(Scanning {
                scan_type: ScanType::Basic,
                rules: vec![],
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_page_of_pull_through_cache_rules_is_read_with_ecr_defaults_left_out() {
        let ecr = recorded();
        ecr.then(
            "DescribePullThroughCacheRules",
            Answer::ok(json!({
                "pullThroughCacheRules": [
                    {
                        "ecrRepositoryPrefix": "docker-hub",
                        "upstreamRegistryUrl": "registry-1.docker.io",
                        "createdAt": 1.712345678E9,
                        "registryId": "123456789012",
                        "credentialArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
                        "upstreamRegistry": "docker-hub",
                        "upstreamRepositoryPrefix": "ROOT",
                        "updatedAt": 1.712345678E9
                    },
                    {
                        "ecrRepositoryPrefix": "ecr-public",
                        "upstreamRegistryUrl": "public.ecr.aws",
                        "createdAt": 1.712345679E9,
                        "registryId": "123456789012",
                        "upstreamRegistry": "ecr-public",
                        "upstreamRepositoryPrefix": "ROOT"
                    }
                ],
                "nextToken": "eyJwcmVmaXgiOiJlY3ItcHVibGljIn0="
            })),
        )
        .then(
            "DescribePullThroughCacheRules",
            Answer::ok(json!({
                "pullThroughCacheRules": [{
                    "ecrRepositoryPrefix": "prod-mirror",
                    "upstreamRegistryUrl": "210987654321.dkr.ecr.eu-west-1.amazonaws.com",
                    "createdAt": 1.712345680E9,
                    "registryId": "123456789012",
                    "customRoleArn": "arn:aws:iam::123456789012:role/ecr-pull-through",
                    "upstreamRegistry": "ecr",
                    "upstreamRepositoryPrefix": "prod"
                }]
            })),
        );

        let state = read(
            &ecr,
            RegistryAspects::only([RegistryWideKind::PullThroughCache]),
        )
        .await;

        let rules = state.pull_through_cache.unwrap();
        let prefixes: Vec<&str> = rules.keys().map(String::as_str).collect();
        assert_eq!(prefixes, ["docker-hub", "ecr-public", "prod-mirror"]);
        // As ECR reports them: the derived upstream registry and the ROOT prefix included
        // (the model's canonical form is what reads them as a spec that leaves them out).
        assert_eq!(
            rules["docker-hub"],
            PullThroughCacheRule {
                upstream_url: "registry-1.docker.io".to_owned(),
                upstream_registry: Some("docker-hub".to_owned()),
                credential_arn: Some(
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
                        .to_owned()
                ),
                custom_role_arn: None,
                upstream_repository_prefix: Some("ROOT".to_owned()),
            }
        );
        assert_eq!(
            rules["ecr-public"],
            PullThroughCacheRule {
                upstream_url: "public.ecr.aws".to_owned(),
                upstream_registry: Some("ecr-public".to_owned()),
                credential_arn: None,
                custom_role_arn: None,
                upstream_repository_prefix: Some("ROOT".to_owned()),
            }
        );
        assert_eq!(
            rules["prod-mirror"],
            PullThroughCacheRule {
                upstream_url: "210987654321.dkr.ecr.eu-west-1.amazonaws.com".to_owned(),
                upstream_registry: Some("ecr".to_owned()),
                credential_arn: None,
                custom_role_arn: Some("arn:aws:iam::123456789012:role/ecr-pull-through".to_owned()),
                upstream_repository_prefix: Some("prod".to_owned()),
            }
        );
        let spec_form = PullThroughCacheRule {
            upstream_url: "public.ecr.aws".to_owned(),
            upstream_registry: None,
            credential_arn: None,
            custom_role_arn: None,
            upstream_repository_prefix: None,
        };
        assert!(spec_form.differing_fields(&rules["ecr-public"]).is_empty());
        assert_eq!(
            ecr.received("DescribePullThroughCacheRules"),
            [
                json!({ "registryId": "123456789012" }),
                json!({
                    "registryId": "123456789012",
                    "nextToken": "eyJwcmVmaXgiOiJlY3ItcHVibGljIn0="
                })
            ]
        );
    }

    fn template_page(templates: Vec<Value>, next_token: Option<&str>) -> Answer {
        let mut page = json!({
            "registryId": "123456789012",
            "repositoryCreationTemplates": templates
        });
        if let Some(token) = next_token {
            page["nextToken"] = json!(token);
        }
        Answer::ok(page)
    }

    #[tokio::test(start_paused = true)]
    async fn a_creation_template_with_every_field_is_read() {
        let lifecycle = r#"{"rules":[{"rulePriority":1,"description":"keep 30 releases","selection":{"tagStatus":"tagged","tagPatternList":["v*"],"countType":"imageCountMoreThan","countNumber":30},"action":{"type":"expire"}}]}"#;
        let repository_policy = "{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\" : [ {\n    \
             \"Sid\" : \"pull\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \
             \"AWS\" : \"arn:aws:iam::210987654321:root\"\n    },\n    \"Action\" : [ \
             \"ecr:BatchGetImage\", \"ecr:GetDownloadUrlForLayer\" ]\n  } ]\n}";
        let kms_key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let ecr = recorded();
        ecr.then(
            "DescribeRepositoryCreationTemplates",
            template_page(
                vec![json!({
                    "prefix": "team-a",
                    "description": "Team A images replicated from the build registry",
                    "encryptionConfiguration": { "encryptionType": "KMS", "kmsKey": kms_key },
                    "resourceTags": [
                        { "Key": "team", "Value": "a" },
                        { "Key": "source", "Value": "replication" }
                    ],
                    "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                    "imageTagMutabilityExclusionFilters": [
                        { "filterType": "WILDCARD", "filter": "latest" },
                        { "filterType": "WILDCARD", "filter": "dev-*" }
                    ],
                    "repositoryPolicy": repository_policy,
                    "lifecyclePolicy": lifecycle,
                    "appliedFor": ["REPLICATION", "CREATE_ON_PUSH"],
                    "customRoleArn": "arn:aws:iam::123456789012:role/ecr-creation-templates",
                    "createdAt": 1.712345678E9,
                    "updatedAt": 1.712345699E9
                })],
                Some("eyJwcmVmaXgiOiJ0ZWFtLWEifQ=="),
            ),
        )
        .then(
            "DescribeRepositoryCreationTemplates",
            template_page(
                // What ECR reports for a template created with appliedFor alone.
                vec![json!({
                    "prefix": "ROOT",
                    "encryptionConfiguration": { "encryptionType": "AES256" },
                    "resourceTags": [],
                    "imageTagMutability": "MUTABLE",
                    "appliedFor": ["PULL_THROUGH_CACHE"],
                    "createdAt": 1.712345678E9,
                    "updatedAt": 1.712345678E9
                })],
                None,
            ),
        );

        let state = read(
            &ecr,
            RegistryAspects::only([RegistryWideKind::CreationTemplates]),
        )
        .await;

        let templates = state.creation_templates.unwrap();
        let expected_policy = IamPolicy::from_json_text(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":["ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"]}]}"#,
        )
        .unwrap();
        assert_eq!(
            templates["team-a"],
            CreationTemplate {
                applied_for: vec![AppliedFor::Replication, AppliedFor::CreateOnPush],
                description: Some("Team A images replicated from the build registry".to_owned()),
                image_tag_mutability: Some(TagMutability::ImmutableWithExclusion),
                image_tag_mutability_exclusions: vec!["latest".to_owned(), "dev-*".to_owned()],
                encryption: Some(Encryption {
                    kind: EncryptionType::Kms,
                    kms_key: Some(kms_key.to_owned()),
                }),
                resource_tags: Tags::from([
                    ("team".to_owned(), "a".to_owned()),
                    ("source".to_owned(), "replication".to_owned()),
                ]),
                lifecycle_policy: Some(LifecyclePolicy::from_json_text(lifecycle).unwrap()),
                repository_policy: Some(expected_policy),
                custom_role_arn: Some(
                    "arn:aws:iam::123456789012:role/ecr-creation-templates".to_owned()
                ),
            }
        );
        // ECR's defaults as ECR reports them, which compare equal to a spec that leaves
        // them out.
        let spec_form = CreationTemplate {
            applied_for: vec![AppliedFor::PullThroughCache],
            description: None,
            image_tag_mutability: None,
            image_tag_mutability_exclusions: vec![],
            encryption: None,
            resource_tags: Tags::new(),
            lifecycle_policy: None,
            repository_policy: None,
            custom_role_arn: None,
        };
        assert_eq!(
            templates["ROOT"],
            CreationTemplate {
                image_tag_mutability: Some(TagMutability::Mutable),
                encryption: Some(Encryption::aes256()),
                ..spec_form.clone()
            }
        );
        assert_eq!(templates["ROOT"].canonical(), spec_form.canonical());
        assert_eq!(
            ecr.received("DescribeRepositoryCreationTemplates"),
            [
                json!({}),
                json!({ "nextToken": "eyJwcmVmaXgiOiJ0ZWFtLWEifQ==" })
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn account_settings_are_read_by_name() {
        let ecr = recorded();
        for (name, value) in [
            ("BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE"),
            ("REGISTRY_POLICY_SCOPE", "V2"),
            ("BLOB_MOUNTING", "ENABLED"),
        ] {
            ecr.always_for(
                "GetAccountSetting",
                name,
                Answer::ok(json!({ "name": name, "value": value })),
            );
        }

        let names: Vec<String> = AccountSettingName::ALL
            .iter()
            .map(|name| name.as_str().to_owned())
            .collect();

        let state = read(
            &ecr,
            RegistryAspects::default().with_account_settings(AccountSettingName::ALL),
        )
        .await;

        let state_settings = state.account_settings.unwrap();

        assert_eq!(
            state_settings,
            AccountSettings::from([
                (
                    AccountSettingName::BasicScanTypeVersion,
                    "AWS_NATIVE".to_owned()
                ),
                (AccountSettingName::BlobMounting, "ENABLED".to_owned()),
                (AccountSettingName::RegistryPolicyScope, "V2".to_owned()),
            ])
        );
        let mut asked: Vec<String> = ecr
            .received("GetAccountSetting")
            .iter()
            .map(|body| body["name"].as_str().unwrap().to_owned())
            .collect();
        asked.sort();
        let mut expected = names;
        expected.sort();
        assert_eq!(asked, expected);
        assert_eq!(expected.len(), AccountSettingName::ALL.len());
    }

    const RELEASE_PROFILE: &str =
        "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release_images";
    const DEV_PROFILE: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/dev";

    #[tokio::test(start_paused = true)]
    async fn a_signing_configuration_is_read_with_its_rules_and_filters() {
        let ecr = recorded();
        ecr.then(
            "GetSigningConfiguration",
            Answer::ok(json!({
                "registryId": "123456789012",
                "signingConfiguration": { "rules": [
                    {
                        "signingProfileArn": RELEASE_PROFILE,
                        "repositoryFilters": [
                            { "filter": "release/*", "filterType": "WILDCARD_MATCH" },
                            { "filter": "team-a/prod-*", "filterType": "WILDCARD_MATCH" }
                        ]
                    },
                    { "signingProfileArn": DEV_PROFILE }
                ] }
            })),
        );

        let state = read(
            &ecr,
            RegistryAspects::only([RegistryWideKind::SigningConfiguration]),
        )
        .await;

        assert_eq!(
            state.signing_configuration,
            Setting::Present(SigningConfiguration {
                rules: vec![
                    ecrform_model::SigningRule {
                        signing_profile_arn: RELEASE_PROFILE.to_owned(),
                        repository_filters: vec![
                            "release/*".to_owned(),
                            "team-a/prod-*".to_owned()
                        ],
                    },
                    ecrform_model::SigningRule {
                        signing_profile_arn: DEV_PROFILE.to_owned(),
                        repository_filters: vec![],
                    },
                ],
            })
        );
        // Like DescribeRegistry, it describes the caller's registry and takes no registry id.
        assert_eq!(ecr.received("GetSigningConfiguration"), [json!({})]);
    }

    #[tokio::test(start_paused = true)]
    async fn signing_configuration_not_found_is_no_signing_configuration() {
        let ecr = recorded();
        ecr.then(
            "GetSigningConfiguration",
            Answer::error(
                "SigningConfigurationNotFoundException",
                "The specified signing configuration was not found.",
            ),
        );

        let state = read(
            &ecr,
            RegistryAspects::only([RegistryWideKind::SigningConfiguration]),
        )
        .await;

        assert_eq!(state.signing_configuration, Setting::Absent);
    }

    #[tokio::test(start_paused = true)]
    async fn a_signing_configuration_of_no_rules_is_reported_as_ecr_has_it() {
        let ecr = recorded();
        ecr.then(
            "GetSigningConfiguration",
            Answer::ok(json!({
                "registryId": "123456789012",
                "signingConfiguration": { "rules": [] }
            })),
        );

        let state = read(
            &ecr,
            RegistryAspects::only([RegistryWideKind::SigningConfiguration]),
        )
        .await;

        let configuration = state.signing_configuration.present().unwrap();
        assert!(configuration.rules.is_empty());
        assert_eq!(configuration.canonical(), None, "which signs nothing");
    }

    #[tokio::test(start_paused = true)]
    async fn a_signing_filter_ecrform_does_not_know_is_an_error_naming_it() {
        let ecr = recorded();
        ecr.then(
            "GetSigningConfiguration",
            Answer::ok(json!({
                "registryId": "123456789012",
                "signingConfiguration": { "rules": [{
                    "signingProfileArn": RELEASE_PROFILE,
                    "repositoryFilters": [{ "filter": "release/", "filterType": "PREFIX_MATCH" }]
                }] }
            })),
        );

        let error = ecr
            .registry(REGISTRY, 1)
            .read(&scope(RegistryAspects::only([
                RegistryWideKind::SigningConfiguration,
            ])))
            .await
            .unwrap_err();

        assert_eq!(error.kind, ErrorKind::UnreadableLiveValue);
        assert_eq!(
            error.message,
            "the live signing rule filter cannot be read: type PREFIX_MATCH is not WILDCARD_MATCH"
        );
    }

    const SCANNER: &str = "arn:aws:iam::123456789012:role/security/scanner";
    const MIRROR: &str = "arn:aws:iam::123456789012:user/mirror";

    #[tokio::test(start_paused = true)]
    async fn every_page_of_pull_time_update_exclusions_is_read() {
        let ecr = recorded();
        ecr.then(
            "ListPullTimeUpdateExclusions",
            Answer::ok(json!({
                "pullTimeUpdateExclusions": [SCANNER],
                "nextToken": "eyJwcmluY2lwYWwiOiIxIn0="
            })),
        )
        .then(
            "ListPullTimeUpdateExclusions",
            Answer::ok(json!({ "pullTimeUpdateExclusions": [MIRROR] })),
        );

        let state = read(
            &ecr,
            RegistryAspects::only([RegistryWideKind::PullTimeUpdateExclusions]),
        )
        .await;

        assert_eq!(
            state.pull_time_update_exclusions,
            Some([SCANNER, MIRROR].into_iter().collect())
        );
        assert_eq!(
            ecr.received("ListPullTimeUpdateExclusions"),
            [
                json!({}),
                json!({ "nextToken": "eyJwcmluY2lwYWwiOiIxIn0=" })
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_registry_without_exclusions_has_the_empty_set() {
        let ecr = recorded();
        ecr.then(
            "ListPullTimeUpdateExclusions",
            Answer::ok(json!({ "pullTimeUpdateExclusions": [] })),
        );

        let state = read(
            &ecr,
            RegistryAspects::only([RegistryWideKind::PullTimeUpdateExclusions]),
        )
        .await;

        assert_eq!(
            state.pull_time_update_exclusions,
            Some(PullTimeUpdateExclusions::new())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_next_token_that_does_not_move_on_fails_the_read() {
        let ecr = recorded();
        ecr.always(
            "ListPullTimeUpdateExclusions",
            Answer::ok(json!({
                "pullTimeUpdateExclusions": [SCANNER],
                "nextToken": "c2FtZQ=="
            })),
        );

        let error = ecr
            .registry(REGISTRY, 1)
            .read(&scope(RegistryAspects::only([
                RegistryWideKind::PullTimeUpdateExclusions,
            ])))
            .await
            .unwrap_err();

        assert_eq!(error.kind, ErrorKind::UnreadableLiveValue);
        assert_eq!(ecr.count("ListPullTimeUpdateExclusions"), 2);
    }

    /// Answers for every registry-wide read, so that a read outside the scope would be
    /// answered (and counted) rather than fail.
    fn answering_everything() -> RecordedEcr {
        let ecr = recorded();
        ecr.always(
            "DescribeRegistry",
            Answer::ok(json!({ "registryId": "123456789012",
                               "replicationConfiguration": { "rules": [] } })),
        )
        .always(
            "GetRegistryPolicy",
            Answer::error(
                "RegistryPolicyNotFoundException",
                "Registry policy does not exist",
            ),
        )
        .always(
            "GetRegistryScanningConfiguration",
            Answer::ok(json!({ "registryId": "123456789012",
                               "scanningConfiguration": { "scanType": "BASIC", "rules": [] } })),
        )
        .always(
            "DescribePullThroughCacheRules",
            Answer::ok(json!({ "pullThroughCacheRules": [] })),
        )
        .always(
            "DescribeRepositoryCreationTemplates",
            Answer::ok(json!({ "registryId": "123456789012", "repositoryCreationTemplates": [] })),
        )
        .always(
            "GetAccountSetting",
            Answer::ok(json!({ "name": "BLOB_MOUNTING", "value": "DISABLED" })),
        )
        .always(
            "GetSigningConfiguration",
            Answer::error(
                "SigningConfigurationNotFoundException",
                "The specified signing configuration was not found.",
            ),
        )
        .always(
            "ListPullTimeUpdateExclusions",
            Answer::ok(json!({ "pullTimeUpdateExclusions": [] })),
        );
        ecr
    }

    const SETTING_OPERATIONS: [&str; 8] = [
        "DescribeRegistry",
        "GetRegistryPolicy",
        "GetRegistryScanningConfiguration",
        "DescribePullThroughCacheRules",
        "DescribeRepositoryCreationTemplates",
        "GetAccountSetting",
        "GetSigningConfiguration",
        "ListPullTimeUpdateExclusions",
    ];

    #[tokio::test(start_paused = true)]
    async fn only_the_registry_settings_in_scope_are_requested() {
        let nothing = answering_everything();
        let state = read(&nothing, RegistryAspects::default()).await;
        assert_eq!(nothing.total(), 1, "only DescribeRepositories");
        assert_eq!(state, RegistryState::empty(state.id()));

        let some = answering_everything();
        let state = read(
            &some,
            RegistryAspects::only([
                RegistryWideKind::Scanning,
                RegistryWideKind::CreationTemplates,
            ])
            .with_account_settings([
                AccountSettingName::BlobMounting,
                AccountSettingName::BlobMounting,
            ]),
        )
        .await;
        let counts: Vec<usize> = SETTING_OPERATIONS.iter().map(|op| some.count(op)).collect();
        assert_eq!(counts, [0, 0, 1, 0, 1, 1, 0, 0]);
        assert_eq!(state.replication, Setting::Unmanaged);
        assert_eq!(state.registry_policy, Setting::Unmanaged);
        assert!(state.scanning.is_managed());
        assert_eq!(state.pull_through_cache, None);
        assert_eq!(state.creation_templates, Some(BTreeMap::new()));
        assert_eq!(
            state.account_settings,
            Some(AccountSettings::from([(
                AccountSettingName::BlobMounting,
                "DISABLED".to_owned()
            )]))
        );

        let all = answering_everything();
        let state = read(&all, RegistryAspects::everything()).await;
        let counts: Vec<usize> = SETTING_OPERATIONS.iter().map(|op| all.count(op)).collect();
        assert_eq!(counts, [1, 1, 1, 1, 1, 3, 1, 1]);
        assert_eq!(
            state.replication,
            Setting::Present(Replication { rules: Vec::new() })
        );
        assert_eq!(state.registry_policy, Setting::Absent);
        assert_eq!(state.pull_through_cache, Some(BTreeMap::new()));
        assert_eq!(state.signing_configuration, Setting::Absent);
        assert_eq!(
            state.pull_time_update_exclusions,
            Some(PullTimeUpdateExclusions::new())
        );
    }

    /// One setting the local emulator lacks, and the error a read of it must end in.
    struct Unsupported {
        aspects: RegistryAspects,
        operation: &'static str,
        message: &'static str,
    }

    fn unsupported_cases() -> Vec<Unsupported> {
        vec![
            Unsupported {
                aspects: RegistryAspects::only([RegistryWideKind::PullThroughCache]),
                operation: "DescribePullThroughCacheRules",
                message: "the endpoint does not support pull-through cache rules \
                          (DescribePullThroughCacheRules answered HTTP 500); remove \
                          pull_through_cache from the spec for this registry or use a real ECR \
                          endpoint",
            },
            Unsupported {
                aspects: RegistryAspects::only([RegistryWideKind::CreationTemplates]),
                operation: "DescribeRepositoryCreationTemplates",
                message: "the endpoint does not support repository creation templates \
                          (DescribeRepositoryCreationTemplates answered HTTP 500); remove \
                          creation_templates from the spec for this registry or use a real ECR \
                          endpoint",
            },
            Unsupported {
                aspects: RegistryAspects::default()
                    .with_account_settings([AccountSettingName::RegistryPolicyScope]),
                operation: "GetAccountSetting",
                message: "the endpoint does not support account settings (GetAccountSetting \
                          answered HTTP 500); remove account_settings from the spec for this \
                          registry or use a real ECR endpoint",
            },
            Unsupported {
                aspects: RegistryAspects::only([RegistryWideKind::SigningConfiguration]),
                operation: "GetSigningConfiguration",
                message: "the endpoint does not support signing configurations \
                          (GetSigningConfiguration answered HTTP 500); remove \
                          signing_configuration from the spec for this registry or use a real \
                          ECR endpoint",
            },
            Unsupported {
                aspects: RegistryAspects::only([RegistryWideKind::PullTimeUpdateExclusions]),
                operation: "ListPullTimeUpdateExclusions",
                message: "the endpoint does not support pull-time update exclusions \
                          (ListPullTimeUpdateExclusions answered HTTP 500); remove \
                          pull_time_update_exclusions from the spec for this registry or use a \
                          real ECR endpoint",
            },
        ]
    }

    // With `connect`'s default of five attempts, the HTML 500 is retried four times with
    // at most 0.2 + 0.4 + 0.8 + 1.6 s of backoff (on the paused clock here) before the
    // read fails, naming the setting.
    #[tokio::test(start_paused = true)]
    async fn an_endpoint_without_the_operation_fails_the_read_naming_the_setting() {
        for case in unsupported_cases() {
            let ecr = recorded();
            ecr.always(case.operation, Answer::html_500());
            let start = tokio::time::Instant::now();
            let kind = case.aspects.kinds().next().unwrap();

            let error = ecr
                .registry(REGISTRY, crate::DEFAULT_MAX_ATTEMPTS)
                .read(&scope(case.aspects))
                .await
                .unwrap_err();

            assert_eq!(error.kind, ErrorKind::UnsupportedSetting(kind));
            assert_eq!(error.code, case.operation);
            assert_eq!(
                error.to_string(),
                format!("{}: {}", case.operation, case.message)
            );
            assert_eq!(
                ecr.count(case.operation),
                crate::DEFAULT_MAX_ATTEMPTS as usize
            );
            assert!(
                start.elapsed() <= Duration::from_secs(3),
                "{:?}",
                start.elapsed()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn of_several_unsupported_settings_the_first_in_a_fixed_order_is_reported() {
        let ecr = recorded();
        for case in unsupported_cases() {
            ecr.always(case.operation, Answer::html_500());
        }
        let aspects = RegistryAspects::only([
            RegistryWideKind::PullThroughCache,
            RegistryWideKind::CreationTemplates,
        ])
        .with_account_settings([AccountSettingName::BlobMounting]);

        let error = ecr
            .registry(REGISTRY, 2)
            .read(&scope(aspects))
            .await
            .unwrap_err();

        assert_eq!(error.code, "DescribePullThroughCacheRules");
        // Every read ran to its end: none was cut short by another's failure.
        assert_eq!(ecr.count("DescribeRepositoryCreationTemplates"), 2);
        assert_eq!(ecr.count("GetAccountSetting"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_registry_setting_read_keeps_its_own_error() {
        let ecr = recorded();
        ecr.always(
            "GetRegistryScanningConfiguration",
            Answer::error(
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: \
                 ecr:GetRegistryScanningConfiguration on resource: *",
            ),
        );

        let error = ecr
            .registry(REGISTRY, 1)
            .read(&scope(RegistryAspects::only([RegistryWideKind::Scanning])))
            .await
            .unwrap_err();

        assert_eq!(error.kind, ErrorKind::AccessDenied);
        assert_eq!(error.code, "AccessDeniedException");
    }
}
