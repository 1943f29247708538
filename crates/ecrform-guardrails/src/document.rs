//! Judging one policy document on its own, outside any spec: a lifecycle policy, a repository
//! policy or a registry policy, by the rules that read that kind of document.
//!
//! This is how a library of reviewed documents (the top-level `policies/`) is held to the
//! guardrails: each document must pass the `strict` profile ([`strict_document_findings`]).
//! The document is judged as a repository (or registry) of [`DOCUMENT_ACCOUNT`] that has it
//! and nothing else known, so only the rules that read the document speak.

use std::collections::{BTreeMap, BTreeSet};

use ecrform_model::{
    AccountId, DocumentError, IamPolicy, KmsKeys, LifecyclePolicy, Region, RegistryId,
    RepositoryName,
};
use serde_json::Value as Json;

use crate::config::{Config, Date};
use crate::evaluate::check;
use crate::finding::Finding;
use crate::rules::{Profile, RuleId};
use crate::view::{RegistryView, RepositoryView, Value};

/// The account a document is judged in: "the registry's account" for `least-privilege`, so a
/// principal of any other account is outside it.
pub const DOCUMENT_ACCOUNT: &str = "123456789012";

/// The repository a repository-level document is judged on (its name passes `naming`, which
/// does not judge documents anyway).
const DOCUMENT_REPOSITORY: &str = "document/judged";

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgedDocument {
    Lifecycle,
    RepositoryPolicy,
    RegistryPolicy,
}

impl JudgedDocument {
    /// The rules that read this kind of document.
    pub fn rules(self) -> &'static [RuleId] {
        match self {
            JudgedDocument::Lifecycle => &[
                RuleId::LifecycleUntagged,
                RuleId::LifecycleTaggedCap,
                RuleId::LifecycleAnyCount,
                RuleId::LifecycleUnreachableRule,
            ],
            JudgedDocument::RepositoryPolicy | JudgedDocument::RegistryPolicy => {
                &[RuleId::PublicAccess, RuleId::LeastPrivilege]
            }
        }
    }
}

/// A document that is not one of its kind: what ECR would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.0))]
pub struct InvalidDocument(pub Vec<DocumentError>);

fn describe(errors: &[DocumentError]) -> String {
    errors
        .iter()
        .map(|error| match error.pointer().as_str() {
            "" => error.message.clone(),
            pointer => format!("{pointer}: {}", error.message),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The findings of the rules of `config` that read a document of `kind`, judged in
/// [`DOCUMENT_ACCOUNT`]. Exceptions of `config` do not apply (a document has no repository
/// name to except).
pub fn check_document(
    kind: JudgedDocument,
    document: &Json,
    config: &Config,
) -> Result<Vec<Finding>, InvalidDocument> {
    let account = AccountId::parse(DOCUMENT_ACCOUNT)
        .map_err(|error| InvalidDocument(vec![DocumentError::at_root(error.0)]))?;
    let region = Region::parse("us-east-1")
        .map_err(|error| InvalidDocument(vec![DocumentError::at_root(error.0)]))?;
    let id = RegistryId { account, region };
    let mut repositories = BTreeMap::new();
    let mut registry_policy = Value::Unknown;
    match kind {
        JudgedDocument::Lifecycle => {
            // The rules read the evaluator's parse, which also says what ECR would reject.
            ecrform_lifecycle::parse(document).map_err(InvalidDocument)?;
            let policy = LifecyclePolicy::from_value(document.clone())
                .map_err(|error| InvalidDocument(vec![error]))?;
            repositories.insert(
                document_repository()?,
                RepositoryView {
                    lifecycle: Value::Known(Some(policy)),
                    ..unknown_repository()
                },
            );
        }
        JudgedDocument::RepositoryPolicy => {
            let policy = IamPolicy::from_value(document.clone())
                .map_err(|error| InvalidDocument(vec![error]))?;
            repositories.insert(
                document_repository()?,
                RepositoryView {
                    policy: Value::Known(Some(policy)),
                    ..unknown_repository()
                },
            );
        }
        JudgedDocument::RegistryPolicy => {
            let policy = IamPolicy::from_value(document.clone())
                .map_err(|error| InvalidDocument(vec![error]))?;
            registry_policy = Value::Known(Some(policy));
        }
    }
    let view = RegistryView {
        id,
        repositories,
        scanning: Value::Unknown,
        replication: Value::Unknown,
        registry_policy,
        pruned: BTreeSet::new(),
        prunes: false,
        kms_keys: KmsKeys::new(),
    };
    let config = Config {
        exceptions: Vec::new(),
        ..config.clone()
    };
    // No exceptions, so the day does not matter.
    let today = Date {
        year: 1970,
        month: 1,
        day: 1,
    };
    let rules = kind.rules();
    Ok(check(&config, &[view], &[], today)
        .findings
        .into_iter()
        .filter(|finding| rules.contains(&finding.rule))
        .collect())
}

/// The findings of the `strict` profile over a document of `kind`: what a reviewed library
/// document must not have. `Ok(vec![])` means the document passes.
///
/// ```
/// use ecrform_guardrails::{JudgedDocument, strict_document_findings};
/// let open = serde_json::json!({"Version": "2012-10-17", "Statement": [
///     {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]});
/// let findings = strict_document_findings(JudgedDocument::RepositoryPolicy, &open).unwrap();
/// assert_eq!(findings[0].rule.as_str(), "public-access");
/// ```
pub fn strict_document_findings(
    kind: JudgedDocument,
    document: &Json,
) -> Result<Vec<Finding>, InvalidDocument> {
    check_document(kind, document, &Config::for_profile(Profile::Strict))
}

fn document_repository() -> Result<RepositoryName, InvalidDocument> {
    RepositoryName::parse(DOCUMENT_REPOSITORY)
        .map_err(|error| InvalidDocument(vec![DocumentError::at_root(error.0)]))
}

fn unknown_repository() -> RepositoryView {
    RepositoryView {
        mutability: Value::Unknown,
        scan_on_push: Value::Unknown,
        encryption: Value::Unknown,
        tags: Value::Unknown,
        lifecycle: Value::Unknown,
        policy: Value::Unknown,
        force_delete: false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings
            .iter()
            .map(|finding| finding.rule.as_str())
            .collect()
    }

    #[test]
    fn a_lifecycle_policy_that_expires_untagged_and_caps_tagged_passes_strict() {
        let good = json!({"rules": [
            {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}},
            {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": 50}, "action": {"type": "expire"}}
        ]});
        assert_eq!(
            strict_document_findings(JudgedDocument::Lifecycle, &good).unwrap(),
            []
        );
        let untagged_only = json!({"rules": [good["rules"][0].clone()]});
        assert_eq!(
            ids(&strict_document_findings(JudgedDocument::Lifecycle, &untagged_only).unwrap()),
            ["lifecycle-tagged-cap"]
        );
    }

    #[test]
    fn only_the_rules_that_read_the_document_speak() {
        // Judged as a repository with nothing else known: no scanning, naming or tag finding.
        let pull = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": "210987654321"},
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]});
        assert_eq!(
            strict_document_findings(JudgedDocument::RepositoryPolicy, &pull).unwrap(),
            []
        );
        let push = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Push", "Effect": "Allow", "Principal": {"AWS": "210987654321"}, "Action": "ecr:PutImage"}]});
        assert_eq!(
            ids(&strict_document_findings(JudgedDocument::RegistryPolicy, &push).unwrap()),
            ["least-privilege"]
        );
        let findings = strict_document_findings(JudgedDocument::RegistryPolicy, &push).unwrap();
        assert_eq!(findings[0].repository, None);
    }

    #[test]
    fn the_configuration_decides_levels_and_parameters() {
        let push = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:role/ci"}, "Action": "ecr:PutImage"}]});
        let mut config = Config::for_profile(Profile::Strict);
        config.parameters.allowed_push_principals =
            vec!["arn:aws:iam::210987654321:role/*".to_owned()];
        assert_eq!(
            check_document(JudgedDocument::RepositoryPolicy, &push, &config).unwrap(),
            []
        );
        assert_eq!(
            check_document(
                JudgedDocument::RepositoryPolicy,
                &push,
                &Config::for_profile(Profile::None)
            )
            .unwrap(),
            []
        );
    }

    #[test]
    fn a_document_ecr_would_reject_is_an_error_not_a_pass() {
        let two_untagged = json!({"rules": [
            {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}},
            {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}}
        ]});
        assert!(strict_document_findings(JudgedDocument::Lifecycle, &two_untagged).is_err());
        let not_a_policy = json!({"Statement": "everything"});
        let error =
            strict_document_findings(JudgedDocument::RepositoryPolicy, &not_a_policy).unwrap_err();
        assert!(!error.to_string().is_empty());
    }
}
