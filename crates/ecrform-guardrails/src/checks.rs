//! What each rule looks for in a [`RegistryView`]: for every subject (a repository, or the
//! registry for registry-wide rules), whether it passes, fails (and why), or cannot be judged.
//!
//! A check never decides a level or applies an exception; [`crate::evaluate`] does. A value
//! the spec leaves out is judged at ECR's default and the message says it is not set, so
//! that the fix (set it) is clear.

use ecrform_model::{
    EncryptionType, KeyResolution, LifecyclePolicy, RepositoryName, ScanFrequency, ScanType,
    Scanning, TagMutability,
};

use crate::config::Parameters;
use crate::finding::Aspect;
use crate::rules::RuleId;
use crate::view::{RegistryView, RepositoryView, Value};
use crate::{lifecycle, policy};

/// What a check found about one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Each problem with the setting it is about.
    Fail(Vec<(Aspect, String)>),
    /// The rule does not apply (no pattern matches it, nothing to check).
    NotApplicable,
    /// What the rule looks at was not read.
    Unknown,
}

impl Verdict {
    fn from_problems(problems: Vec<(Aspect, String)>) -> Verdict {
        if problems.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail(problems)
        }
    }
}

/// What every check needs besides the registry.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub parameters: &'a Parameters,
    /// The accounts of the spec's registries: where replication may go by default.
    pub spec_accounts: &'a [ecrform_model::AccountId],
    /// `naming`'s pattern, compiled: `None` without one, `Some(None)` when it does not
    /// compile (it then matches nothing).
    pub name_pattern: Option<Option<&'a regex_lite::Regex>>,
}

/// Runs a repository rule over one repository.
pub fn check_repository(
    rule: RuleId,
    registry: &RegistryView,
    name: &RepositoryName,
    repository: &RepositoryView,
    context: &Context<'_>,
) -> Verdict {
    let parameters = context.parameters;
    match rule {
        RuleId::Scanning => scanning(registry, name, repository),
        RuleId::TagImmutability => tag_immutability(repository, parameters),
        RuleId::LifecyclePolicy => match repository.lifecycle.get() {
            None => Verdict::Unknown,
            Some(Some(_)) => Verdict::Pass,
            Some(None) if repository.lifecycle.is_not_set() => Verdict::Fail(vec![(
                Aspect::Repository,
                "no lifecycle policy: lifecycle is not set here or in defaults".to_owned(),
            )]),
            Some(None) => Verdict::Fail(vec![(
                Aspect::Lifecycle,
                "the repository has no lifecycle policy".to_owned(),
            )]),
        },
        RuleId::LifecycleUntagged => with_lifecycle(repository, |rules| {
            if lifecycle::expires_untagged(rules) {
                Vec::new()
            } else {
                vec![
                    "the lifecycle policy never expires untagged images (no untagged or any \
                     expire rule on standard storage, nor one that expires them from archive)"
                        .to_owned(),
                ]
            }
        }),
        RuleId::LifecycleTaggedCap => with_lifecycle(repository, |rules| {
            if lifecycle::caps_tagged(rules) {
                Vec::new()
            } else {
                vec![
                    "the lifecycle policy keeps tagged images forever (no tagged or any \
                     expire rule caps them by count or age)"
                        .to_owned(),
                ]
            }
        }),
        RuleId::LifecycleAnyCount => with_lifecycle(repository, lifecycle::any_count_traps),
        RuleId::LifecycleUnreachableRule => {
            with_lifecycle(repository, lifecycle::unreachable_rules)
        }
        RuleId::PublicAccess => with_policy(repository, policy::public_grants),
        RuleId::LeastPrivilege => with_policy(repository, |document| {
            policy::excess_grants(
                document,
                registry.account(),
                &parameters.allowed_push_principals,
            )
        }),
        RuleId::KmsEncryption => kms_encryption(registry, name, repository, parameters),
        RuleId::Naming => naming(name, parameters, context.name_pattern),
        RuleId::RequiredTags => required_tags(repository, parameters),
        RuleId::DeletionProtection => deletion_protection(registry, name, repository, parameters),
        RuleId::ReplicationDestinations => Verdict::NotApplicable,
    }
}

/// Runs a registry-wide rule over a registry, and the registry-wide half of repository rules
/// that also judge a registry-wide document (the registry policy).
pub fn check_registry(rule: RuleId, registry: &RegistryView, context: &Context<'_>) -> Verdict {
    let registry_policy = |judge: &dyn Fn(&ecrform_model::IamPolicy) -> Vec<String>| match registry
        .registry_policy
        .get()
    {
        None => Verdict::Unknown,
        Some(None) => Verdict::Pass,
        Some(Some(document)) => Verdict::from_problems(
            judge(document)
                .into_iter()
                .map(|problem| {
                    (
                        Aspect::RegistryPolicy,
                        format!("registry policy: {problem}"),
                    )
                })
                .collect(),
        ),
    };
    match rule {
        RuleId::ReplicationDestinations => replication_destinations(registry, context),
        RuleId::PublicAccess => registry_policy(&policy::public_grants),
        RuleId::LeastPrivilege => registry_policy(&|document| {
            policy::excess_grants(
                document,
                registry.account(),
                &context.parameters.allowed_push_principals,
            )
        }),
        _ => Verdict::NotApplicable,
    }
}

fn scanning(
    registry: &RegistryView,
    name: &RepositoryName,
    repository: &RepositoryView,
) -> Verdict {
    let Some(scanning) = registry.scanning.get() else {
        // Registry scanning was not read: scan on push alone can still pass.
        return match repository.scan_on_push.get() {
            Some(true) => Verdict::Pass,
            _ => Verdict::Unknown,
        };
    };
    if registry_rule_covers(scanning, name.as_str()) {
        return Verdict::Pass;
    }
    let registry_part = if registry.scanning.is_not_set() {
        "the spec does not manage the registry's scanning"
    } else {
        "no registry scanning rule (SCAN_ON_PUSH or CONTINUOUS_SCAN) covers it"
    };
    if scanning.scan_type == ScanType::Enhanced {
        return Verdict::Fail(vec![(
            Aspect::Scanning,
            format!(
                "images of {name} are not scanned: the registry scans ENHANCED and no rule \
                 (SCAN_ON_PUSH or CONTINUOUS_SCAN) covers it, so scan_on_push has no effect"
            ),
        )]);
    }
    match repository.scan_on_push.get() {
        Some(true) => Verdict::Pass,
        None => Verdict::Unknown,
        Some(false) if repository.scan_on_push.is_not_set() => Verdict::Fail(vec![(
            Aspect::Repository,
            format!(
                "images are not scanned: scan_on_push is not set (ECR's default is off) and {registry_part}"
            ),
        )]),
        Some(false) => Verdict::Fail(vec![(
            Aspect::ScanOnPush,
            format!("images are not scanned: scan on push is off and {registry_part}"),
        )]),
    }
}

/// Whether a registry scanning rule that scans (on push or continuously) covers a repository.
/// A WILDCARD filter without `*` matches names that contain it; with `*` it is a glob
/// anchored at both ends.
fn registry_rule_covers(scanning: &Scanning, name: &str) -> bool {
    scanning
        .rules
        .iter()
        .filter(|rule| {
            matches!(
                rule.frequency,
                ScanFrequency::ScanOnPush | ScanFrequency::ContinuousScan
            )
        })
        .flat_map(|rule| &rule.filters)
        .any(|filter| {
            if filter.contains('*') {
                ecrform_lifecycle::glob_matches(filter, name)
            } else {
                name.contains(filter.as_str())
            }
        })
}

fn tag_immutability(repository: &RepositoryView, parameters: &Parameters) -> Verdict {
    let Some((mode, exclusions)) = repository.mutability.get() else {
        return Verdict::Unknown;
    };
    let aspect = if repository.mutability.is_not_set() {
        Aspect::Repository
    } else {
        Aspect::ImageTagMutability
    };
    let problem = match mode {
        TagMutability::Immutable => None,
        TagMutability::ImmutableWithExclusion => {
            let disallowed: Vec<&str> = exclusions
                .iter()
                .filter(|filter| !parameters.allowed_exclusions.contains(filter))
                .map(String::as_str)
                .collect();
            (!disallowed.is_empty()).then(|| {
                let allowed = if parameters.allowed_exclusions.is_empty() {
                    "none are allowed".to_owned()
                } else {
                    format!("allowed: {}", parameters.allowed_exclusions.join(", "))
                };
                format!(
                    "tags matching {} can be overwritten ({allowed}); add them to \
                     allowed_exclusions or remove them",
                    disallowed.join(", ")
                )
            })
        }
        TagMutability::Mutable if repository.mutability.is_not_set() => Some(
            "tags can be overwritten: image_tag_mutability is not set (ECR's default is \
             MUTABLE)"
                .to_owned(),
        ),
        other => Some(format!(
            "tags can be overwritten: image_tag_mutability is {other}"
        )),
    };
    Verdict::from_problems(problem.map(|p| (aspect, p)).into_iter().collect())
}

fn with_lifecycle(
    repository: &RepositoryView,
    judge: impl Fn(&ecrform_lifecycle::LifecyclePolicyRules) -> Vec<String>,
) -> Verdict {
    match repository.lifecycle.get() {
        None => Verdict::Unknown,
        // Without a policy, lifecycle-policy is the finding; the content rules have nothing
        // to judge.
        Some(None) => Verdict::NotApplicable,
        Some(Some(document)) => match parsed(document) {
            Some(rules) => Verdict::from_problems(
                judge(&rules)
                    .into_iter()
                    .map(|problem| (Aspect::Lifecycle, problem))
                    .collect(),
            ),
            // A live policy ECR would not accept now (the emulator takes some): nothing to
            // say about its content.
            None => Verdict::NotApplicable,
        },
    }
}

fn parsed(document: &LifecyclePolicy) -> Option<ecrform_lifecycle::LifecyclePolicyRules> {
    ecrform_lifecycle::parse(document.document()).ok()
}

fn with_policy(
    repository: &RepositoryView,
    judge: impl Fn(&ecrform_model::IamPolicy) -> Vec<String>,
) -> Verdict {
    match repository.policy.get() {
        None => Verdict::Unknown,
        Some(None) => Verdict::Pass,
        Some(Some(document)) => Verdict::from_problems(
            judge(document)
                .into_iter()
                .map(|problem| (Aspect::Policy, format!("repository policy: {problem}")))
                .collect(),
        ),
    }
}

fn matches_any(globs: &[String], name: &str) -> bool {
    globs
        .iter()
        .any(|glob| ecrform_lifecycle::glob_matches(glob, name))
}

fn kms_encryption(
    registry: &RegistryView,
    name: &RepositoryName,
    repository: &RepositoryView,
    parameters: &Parameters,
) -> Verdict {
    if !matches_any(&parameters.kms_repositories, name.as_str()) {
        return Verdict::NotApplicable;
    }
    let Some(encryption) = repository.encryption.get() else {
        return Verdict::Unknown;
    };
    let not_set = repository.encryption.is_not_set();
    let aspect = if not_set {
        Aspect::Repository
    } else {
        Aspect::Encryption
    };
    let problem = if encryption.kind == EncryptionType::Aes256 {
        Some(if not_set {
            "it must be encrypted with KMS, and encryption is not set (ECR's default is AES256)"
                .to_owned()
        } else {
            "it must be encrypted with KMS, and it is AES256".to_owned()
        })
    } else if parameters.kms_customer_managed && is_aws_managed_key(registry, encryption) {
        Some(format!(
            "it must be encrypted with a customer managed KMS key, and it uses the AWS managed \
             key ({})",
            ecrform_model::AWS_MANAGED_KEY_ALIAS
        ))
    } else {
        None
    };
    Verdict::from_problems(problem.map(|p| (aspect, p)).into_iter().collect())
}

/// Whether the encryption uses the AWS managed key: no key named, the managed key's alias, or
/// (live) the key ARN that alias resolved to.
fn is_aws_managed_key(registry: &RegistryView, encryption: &ecrform_model::Encryption) -> bool {
    match &encryption.kms_key {
        None => true,
        Some(key) if key == ecrform_model::AWS_MANAGED_KEY_ALIAS => true,
        Some(key) => {
            let managed = ecrform_model::Encryption {
                kind: encryption.kind,
                kms_key: None,
            };
            matches!(managed.resolved_key(&registry.kms_keys), KeyResolution::Key(arn) if arn == *key)
        }
    }
}

fn naming(
    name: &RepositoryName,
    parameters: &Parameters,
    compiled: Option<Option<&regex_lite::Regex>>,
) -> Verdict {
    let text = name.as_str();
    let last = text.rsplit('/').next().unwrap_or(text);
    let mut problems = Vec::new();
    if let Some(generic) = parameters.deny_names.iter().find(|glob| {
        ecrform_lifecycle::glob_matches(glob, last) || ecrform_lifecycle::glob_matches(glob, text)
    }) {
        problems.push(format!(
            "{text:?} is a generic name ({generic:?} is on the deny list); say what it holds"
        ));
    }
    if parameters.require_namespace && !text.contains('/') {
        problems.push(format!(
            "{text:?} has no namespace; name it NAMESPACE/COMPONENT, such as team-a/{text}"
        ));
    }
    if let (Some(pattern), Some(compiled)) = (&parameters.name_pattern, compiled)
        && !compiled.is_some_and(|regex| regex.is_match(text))
    {
        problems.push(format!(
            "{text:?} does not match the naming pattern {pattern:?}"
        ));
    }
    Verdict::from_problems(
        problems
            .into_iter()
            .map(|problem| (Aspect::Repository, problem))
            .collect(),
    )
}

fn required_tags(repository: &RepositoryView, parameters: &Parameters) -> Verdict {
    if parameters.required_tags.is_empty() {
        return Verdict::NotApplicable;
    }
    let Some(tags) = repository.tags.get() else {
        return Verdict::Unknown;
    };
    let missing: Vec<&str> = parameters
        .required_tags
        .iter()
        .filter(|key| tags.get(*key).is_none_or(|value| value.trim().is_empty()))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Verdict::Pass;
    }
    let (aspect, why) = if repository.tags.is_not_set() {
        (Aspect::Repository, " (tags is not set here or in defaults)")
    } else {
        (Aspect::Tags, "")
    };
    Verdict::Fail(vec![(
        aspect,
        format!("missing required tag(s) {}{why}", missing.join(", ")),
    )])
}

fn deletion_protection(
    registry: &RegistryView,
    name: &RepositoryName,
    repository: &RepositoryView,
    parameters: &Parameters,
) -> Verdict {
    if !matches_any(&parameters.protected, name.as_str()) {
        return Verdict::NotApplicable;
    }
    let mut problems = Vec::new();
    if repository.force_delete {
        problems.push((
            Aspect::ForceDelete,
            "force_delete is set on a protected repository: a replace or delete would destroy \
             its images"
                .to_owned(),
        ));
    }
    Verdict::from_problems(problems).or_pruned(registry, name)
}

impl Verdict {
    /// A protected repository the plan prunes fails, whatever else was found.
    fn or_pruned(self, registry: &RegistryView, name: &RepositoryName) -> Verdict {
        if !registry.pruned.contains(name) {
            return self;
        }
        let pruned = (
            Aspect::Prune,
            format!("the plan prunes the protected repository {name}, which left the spec"),
        );
        match self {
            Verdict::Fail(mut problems) => {
                problems.push(pruned);
                Verdict::Fail(problems)
            }
            _ => Verdict::Fail(vec![pruned]),
        }
    }
}

/// Deletion protection for repositories the plan prunes: they are not in the view's
/// repositories (they left the spec), so they are judged by name alone.
pub fn check_pruned(
    name: &RepositoryName,
    registry: &RegistryView,
    parameters: &Parameters,
) -> Verdict {
    if !matches_any(&parameters.protected, name.as_str()) {
        return Verdict::NotApplicable;
    }
    Verdict::Pass.or_pruned(registry, name)
}

fn replication_destinations(registry: &RegistryView, context: &Context<'_>) -> Verdict {
    let Some(replication) = registry.replication.get() else {
        return Verdict::Unknown;
    };
    let Some(replication) = replication else {
        return Verdict::Pass;
    };
    let allowed: Vec<&ecrform_model::AccountId> =
        match &context.parameters.allowed_replication_accounts {
            Some(accounts) => accounts.iter().collect(),
            None => context.spec_accounts.iter().collect(),
        };
    let mut problems = Vec::new();
    for (index, rule) in replication.rules.iter().enumerate() {
        for destination in &rule.destinations {
            let account = &destination.account;
            if account == registry.account() || allowed.contains(&account) {
                continue;
            }
            let why = if context.parameters.allowed_replication_accounts.is_some() {
                "not in allowed_accounts"
            } else {
                "not an account of the spec's registries (set allowed_accounts to allow it)"
            };
            problems.push((
                Aspect::Replication,
                format!(
                    "replication rule {} replicates to account {account} ({}), {why}",
                    index + 1,
                    destination.region
                ),
            ));
        }
    }
    Verdict::from_problems(problems)
}

/// Whether a value was read or set at all (for the audit table's "unknown").
pub fn is_known<T>(value: &Value<T>) -> bool {
    value.get().is_some()
}
