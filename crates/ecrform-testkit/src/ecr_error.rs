//! The errors ECR answers with, as [`RegistryError`]s with ECR's own codes and messages.
//!
//! The in-memory registry returns these for the same conditions ECR does, and tests pass them
//! to fault injection, so that the executor and the CLI are exercised against the codes and
//! message texts they will meet in production (the IAM propagation retry, for one, decides on
//! the message text).

use ecrform_model::Operation;
use ecrform_model::{RegistryId, RepositoryName};
use ecrform_plan::{ErrorKind, Missing, RegistryError};

pub fn repository_not_found(registry: &RegistryId, name: &RepositoryName) -> RegistryError {
    RegistryError::new(
        ErrorKind::NotFound(Missing::Repository),
        "RepositoryNotFoundException",
        format!(
            "The repository with name '{name}' does not exist in the registry with id '{}'",
            registry.account
        ),
    )
}

pub fn repository_already_exists(registry: &RegistryId, name: &RepositoryName) -> RegistryError {
    RegistryError::new(
        ErrorKind::AlreadyExists,
        "RepositoryAlreadyExistsException",
        format!(
            "The repository with name '{name}' already exists in the registry with id '{}'",
            registry.account
        ),
    )
}

pub fn repository_not_empty(registry: &RegistryId, name: &RepositoryName) -> RegistryError {
    RegistryError::new(
        ErrorKind::RepositoryNotEmpty,
        "RepositoryNotEmptyException",
        format!(
            "The repository with name '{name}' in registry with id '{}' cannot be deleted \
             because it still contains images",
            registry.account
        ),
    )
}

pub fn lifecycle_policy_not_found(registry: &RegistryId, name: &RepositoryName) -> RegistryError {
    RegistryError::new(
        ErrorKind::NotFound(Missing::LifecyclePolicy),
        "LifecyclePolicyNotFoundException",
        format!(
            "Lifecycle policy does not exist for the repository with name '{name}' in the \
             registry with id '{}'",
            registry.account
        ),
    )
}

pub fn repository_policy_not_found(registry: &RegistryId, name: &RepositoryName) -> RegistryError {
    RegistryError::new(
        ErrorKind::NotFound(Missing::RepositoryPolicy),
        "RepositoryPolicyNotFoundException",
        format!(
            "Repository policy does not exist for the repository with name '{name}' in the \
             registry with id '{}'",
            registry.account
        ),
    )
}

pub fn registry_policy_not_found(registry: &RegistryId) -> RegistryError {
    RegistryError::new(
        ErrorKind::NotFound(Missing::RegistryPolicy),
        "RegistryPolicyNotFoundException",
        format!(
            "Registry policy does not exist in the registry with id '{}'",
            registry.account
        ),
    )
}

pub fn pull_through_cache_rule_already_exists(prefix: &str) -> RegistryError {
    RegistryError::new(
        ErrorKind::AlreadyExists,
        "PullThroughCacheRuleAlreadyExistsException",
        format!(
            "A pull through cache rule with the prefix '{prefix}' already exists for the private \
             registry"
        ),
    )
}

pub fn pull_through_cache_rule_not_found(prefix: &str) -> RegistryError {
    RegistryError::new(
        ErrorKind::NotFound(Missing::PullThroughCacheRule),
        "PullThroughCacheRuleNotFoundException",
        format!(
            "The pull through cache rule with the prefix '{prefix}' was not found. Specify a \
             valid pull through cache rule and try again."
        ),
    )
}

pub fn template_already_exists(prefix: &str) -> RegistryError {
    RegistryError::new(
        ErrorKind::AlreadyExists,
        "TemplateAlreadyExistsException",
        format!("The repository creation template with the prefix '{prefix}' already exists"),
    )
}

pub fn template_not_found(prefix: &str) -> RegistryError {
    RegistryError::new(
        ErrorKind::NotFound(Missing::CreationTemplate),
        "TemplateNotFoundException",
        format!("The repository creation template with the prefix '{prefix}' can't be found"),
    )
}

/// What GetSigningConfiguration and DeleteSigningConfiguration answer for a registry that has
/// no signing configuration (the adapter reads the first as "absent"). The texts of this and
/// the exclusion errors are the API model's descriptions of the exceptions.
pub fn signing_configuration_not_found() -> RegistryError {
    RegistryError::new(
        ErrorKind::NotFound(Missing::SigningConfiguration),
        "SigningConfigurationNotFoundException",
        "The specified signing configuration was not found.",
    )
}

/// What RegisterPullTimeUpdateExclusion answers for a principal that is already excluded.
pub fn exclusion_already_exists() -> RegistryError {
    RegistryError::new(
        ErrorKind::AlreadyExists,
        "ExclusionAlreadyExistsException",
        "The specified pull time update exclusion already exists for the registry.",
    )
}

/// What DeregisterPullTimeUpdateExclusion answers for a principal that is not excluded.
pub fn exclusion_not_found() -> RegistryError {
    RegistryError::new(
        ErrorKind::NotFound(Missing::PullTimeUpdateExclusion),
        "ExclusionNotFoundException",
        "The specified pull time update exclusion was not found.",
    )
}

/// What ECR answers when a registry-wide quota (50 pull-through cache rules, 100 pull-time
/// update exclusions) is reached.
pub fn limit_exceeded(message: &str) -> RegistryError {
    RegistryError::new(ErrorKind::Invalid, "LimitExceededException", message)
}

/// What an endpoint that does not implement an operation answers, as the adapter classifies
/// it (the local emulator sends an HTML 500 for pull-through cache rules, creation templates,
/// account settings, signing configurations and pull-time update exclusions).
pub fn unsupported(operation: Operation) -> RegistryError {
    RegistryError::new(
        ErrorKind::Unsupported,
        "HTTP 500",
        format!("the endpoint does not implement {operation}"),
    )
}

/// What PutRegistryPolicy answers for a document it cannot accept, and while IAM propagates
/// a principal the policy names; the adapter classifies it as a rejected policy.
pub fn invalid_registry_policy() -> RegistryError {
    RegistryError {
        kind: ErrorKind::PolicyRejected,
        ..invalid_parameter("PolicyText", "Invalid registry policy provided")
    }
}

/// What SetRepositoryPolicy answers both for a malformed document and for a principal that
/// IAM has not propagated yet (ECR does not tell the two apart); the adapter classifies it as
/// a rejected policy.
pub fn invalid_repository_policy() -> RegistryError {
    RegistryError {
        kind: ErrorKind::PolicyRejected,
        ..invalid_parameter("PolicyText", "Invalid repository policy provided")
    }
}

/// What PutLifecyclePolicy answers for a document it cannot accept.
pub fn invalid_lifecycle_policy(reason: &str) -> RegistryError {
    invalid_parameter(
        "LifecyclePolicyText",
        &format!("Lifecycle policy validation failure: {reason}"),
    )
}

/// ECR's generic validation failure, naming the request parameter and the broken constraint.
pub fn invalid_parameter(parameter: &str, constraint: &str) -> RegistryError {
    RegistryError::new(
        ErrorKind::Invalid,
        "InvalidParameterException",
        format!("Invalid parameter at '{parameter}' failed to satisfy constraint: '{constraint}'"),
    )
}

pub fn invalid_tag_parameter(message: &str) -> RegistryError {
    RegistryError::new(ErrorKind::Invalid, "InvalidTagParameterException", message)
}

pub fn too_many_tags(count: usize) -> RegistryError {
    RegistryError::new(
        ErrorKind::Invalid,
        "TooManyTagsException",
        format!("A repository may have at most 50 tags; this request would leave it with {count}"),
    )
}

/// Rate exceeded, as it reaches the executor after the AWS client's own retries gave up.
pub fn throttled() -> RegistryError {
    RegistryError::new(ErrorKind::Throttled, "ThrottlingException", "Rate exceeded")
}

pub fn access_denied(operation: Operation) -> RegistryError {
    RegistryError::new(
        ErrorKind::AccessDenied,
        "AccessDeniedException",
        format!("User is not authorized to perform: ecr:{operation}"),
    )
}
