//! Turning SDK errors into the port's [`RegistryError`]: a kind that decides what happens
//! next, the AWS error code, and a one-line message. The message says what a user can act on
//! and nothing of the SDK's layers: a role that could not be assumed names the role and what
//! STS answered, a failed connection gives the OS's reason.

use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use ecrform_plan::{ErrorKind, Missing, RegistryError};

use crate::role::RoleNotAssumed;

type HttpResponse = aws_sdk_ecr::config::http::HttpResponse;

/// Classifies a failed SDK call.
pub(crate) fn classify<E>(error: &SdkError<E, HttpResponse>) -> RegistryError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let context = chain(error);
    if let Some(role) = find_in_chain::<RoleNotAssumed>(error) {
        return RegistryError::new(ErrorKind::Credentials, "AssumeRoleFailed", role.to_string());
    }
    match error {
        SdkError::ServiceError(service) => {
            let code = error.code().unwrap_or_default().to_owned();
            // Service messages can span lines too (policy validation reports do).
            let message = one_line(error.message().unwrap_or_default());
            let status = service.raw().status().as_u16();
            RegistryError::new(
                kind_of(&code, &message, status),
                code_or_status(code, status),
                message,
            )
        }
        SdkError::TimeoutError(_) => RegistryError::new(ErrorKind::Unreachable, "Timeout", context),
        // The layers above the OS error (dispatch failure, io error, client error, connection
        // error) say nothing a user can act on.
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            RegistryError::new(
                ErrorKind::Unreachable,
                "EndpointUnreachable",
                root_cause(error),
            )
        }
        // Credentials are resolved lazily, at the first call: a missing profile's credentials,
        // an empty chain or an STS endpoint that does not answer all surface here.
        _ if mentions_credentials(&context) => {
            RegistryError::new(ErrorKind::Credentials, "NoCredentials", context)
        }
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            let kind = if status == 500 || status == 501 {
                ErrorKind::Unsupported
            } else {
                ErrorKind::Other
            };
            RegistryError::new(kind, format!("HTTP {status}"), context)
        }
        _ => RegistryError::new(ErrorKind::Other, "RequestFailed", context),
    }
}

/// The first error of type `T` in `error`'s chain of sources.
fn find_in_chain<'e, T: std::error::Error + 'static>(
    error: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// The innermost error of the chain (the OS's words for a failed connection), on one line.
pub(crate) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let text = one_line(&innermost.to_string());
    if text.is_empty() { chain(error) } else { text }
}

/// The error and its sources, each as its own Display, on one line. (The SDK's
/// `DisplayErrorContext` appends a Debug dump of the whole error, which is no use to a user.)
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        // Wrappers often repeat their source's text; say each thing once.
        if !text.is_empty() && !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    one_line(&parts.join(": "))
}

fn mentions_credentials(context: &str) -> bool {
    let context = context.to_ascii_lowercase();
    context.contains("credential") || context.contains("identity resolver")
}

fn code_or_status(code: String, status: u16) -> String {
    if code.is_empty() {
        format!("HTTP {status}")
    } else {
        code
    }
}

/// The kind of a service error, from its code (and, for a rejected policy, its words: ECR
/// answers a policy naming a principal IAM has not propagated yet exactly as it answers a
/// malformed one, and only the words tell that it may be worth another try).
fn kind_of(code: &str, message: &str, status: u16) -> ErrorKind {
    match code {
        "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
            ErrorKind::Throttled
        }
        "AccessDeniedException" | "AccessDenied" => ErrorKind::AccessDenied,
        "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch" => ErrorKind::Credentials,
        "RepositoryNotEmptyException" => ErrorKind::RepositoryNotEmpty,
        "RepositoryAlreadyExistsException"
        | "PullThroughCacheRuleAlreadyExistsException"
        | "TemplateAlreadyExistsException"
        | "ExclusionAlreadyExistsException" => ErrorKind::AlreadyExists,
        "RepositoryNotFoundException" => ErrorKind::NotFound(Missing::Repository),
        "LifecyclePolicyNotFoundException" => ErrorKind::NotFound(Missing::LifecyclePolicy),
        "RepositoryPolicyNotFoundException" => ErrorKind::NotFound(Missing::RepositoryPolicy),
        "RegistryPolicyNotFoundException" => ErrorKind::NotFound(Missing::RegistryPolicy),
        "PullThroughCacheRuleNotFoundException" => {
            ErrorKind::NotFound(Missing::PullThroughCacheRule)
        }
        "TemplateNotFoundException" => ErrorKind::NotFound(Missing::CreationTemplate),
        "SigningConfigurationNotFoundException" => {
            ErrorKind::NotFound(Missing::SigningConfiguration)
        }
        "ExclusionNotFoundException" => ErrorKind::NotFound(Missing::PullTimeUpdateExclusion),
        code if code.ends_with("NotFoundException") => ErrorKind::NotFound(Missing::Other),
        "InvalidParameterException" if names_a_principal_iam_may_not_know_yet(message) => {
            ErrorKind::PolicyRejected
        }
        "InvalidParameterException"
        | "ValidationException"
        | "LimitExceededException"
        | "TooManyTagsException"
        | "InvalidTagParameterException" => ErrorKind::Invalid,
        // An endpoint that does not implement an operation answers 500 or 501 without a
        // modelled error code; a real ECR server error carries `ServerException`.
        "" | "InternalFailure" | "NotImplemented" if status == 500 || status == 501 => {
            ErrorKind::Unsupported
        }
        _ => ErrorKind::Other,
    }
}

/// ECR's words for a policy it refuses while IAM propagates a principal that was just created
/// ("Principal not found", "Invalid repository policy provided").
fn names_a_principal_iam_may_not_know_yet(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "principal not found",
        "invalid principal",
        "invalid repository policy provided",
        "invalid registry policy provided",
    ]
    .iter()
    .any(|words| message.contains(words))
}

/// Error chains can span lines; the CLI prints one line per problem.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::EcrRegistry;
    use crate::recorded::{Answer, RecordedEcr, test_config};
    use ecrform_model::{RegistryId, RepositoryName};
    use ecrform_plan::{ApiCall, Registry};
    use ecrform_testkit::{LoopbackAnswer, LoopbackEndpoint};

    const REGISTRY: &str = "123456789012/eu-central-1";

    fn app() -> RepositoryName {
        RepositoryName::parse("app").unwrap()
    }

    /// One answer to one write, and what the adapter must make of it.
    struct Case {
        call: ApiCall,
        answer: Answer,
        kind: ErrorKind,
        code: &'static str,
        message: &'static str,
    }

    fn cases() -> Vec<Case> {
        vec![
            Case {
                call: ApiCall::DeleteRepositoryPolicy { repository: app() },
                answer: Answer::error(
                    "AccessDeniedException",
                    "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: \
                     ecr:DeleteRepositoryPolicy on resource: \
                     arn:aws:ecr:eu-central-1:123456789012:repository/app \
                     because no identity-based policy allows the ecr:DeleteRepositoryPolicy action",
                ),
                kind: ErrorKind::AccessDenied,
                code: "AccessDeniedException",
                message: "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: \
                          ecr:DeleteRepositoryPolicy on resource: \
                          arn:aws:ecr:eu-central-1:123456789012:repository/app \
                          because no identity-based policy allows the ecr:DeleteRepositoryPolicy action",
            },
            Case {
                call: ApiCall::DeleteRepository {
                    repository: app(),
                    force: false,
                },
                answer: Answer::error(
                    "RepositoryNotEmptyException",
                    "The repository with name 'app' in registry with id '123456789012' cannot \
                     be deleted because it still contains images",
                ),
                kind: ErrorKind::RepositoryNotEmpty,
                code: "RepositoryNotEmptyException",
                message: "The repository with name 'app' in registry with id '123456789012' \
                          cannot be deleted because it still contains images",
            },
            Case {
                call: ApiCall::SetRepositoryPolicy {
                    repository: app(),
                    text: r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
                },
                answer: Answer::error(
                    "InvalidParameterException",
                    "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid \
                     repository policy provided'",
                ),
                kind: ErrorKind::PolicyRejected,
                code: "InvalidParameterException",
                message: "Invalid parameter at 'PolicyText' failed to satisfy constraint: \
                          'Invalid repository policy provided'",
            },
            Case {
                call: ApiCall::PutImageScanningConfiguration {
                    repository: app(),
                    scan_on_push: true,
                },
                answer: Answer::error(
                    "RepositoryNotFoundException",
                    "The repository with name 'app' does not exist in the registry with id \
                     '123456789012'",
                ),
                kind: ErrorKind::NotFound(Missing::Repository),
                code: "RepositoryNotFoundException",
                message: "The repository with name 'app' does not exist in the registry with \
                          id '123456789012'",
            },
            Case {
                call: ApiCall::PutLifecyclePolicy {
                    repository: app(),
                    text: r#"{"rules":[]}"#.to_owned(),
                },
                answer: Answer::error(
                    "LimitExceededException",
                    "The operation did not succeed because it would have exceeded a service \
                     limit for your account",
                ),
                kind: ErrorKind::Invalid,
                code: "LimitExceededException",
                message: "The operation did not succeed because it would have exceeded a \
                          service limit for your account",
            },
            Case {
                call: ApiCall::DeleteLifecyclePolicy { repository: app() },
                answer: Answer::error(
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.",
                ),
                kind: ErrorKind::Credentials,
                code: "UnrecognizedClientException",
                message: "The security token included in the request is invalid.",
            },
            Case {
                call: ApiCall::DeleteSigningConfiguration,
                answer: Answer::error(
                    "SigningConfigurationNotFoundException",
                    "The specified signing configuration was not found.",
                ),
                kind: ErrorKind::NotFound(Missing::SigningConfiguration),
                code: "SigningConfigurationNotFoundException",
                message: "The specified signing configuration was not found.",
            },
            Case {
                call: ApiCall::RegisterPullTimeUpdateExclusion {
                    principal_arn: "arn:aws:iam::123456789012:role/scanner".to_owned(),
                },
                answer: Answer::error(
                    "ExclusionAlreadyExistsException",
                    "The specified pull time update exclusion already exists for the registry.",
                ),
                kind: ErrorKind::AlreadyExists,
                code: "ExclusionAlreadyExistsException",
                message: "The specified pull time update exclusion already exists for the \
                          registry.",
            },
            Case {
                call: ApiCall::RegisterPullTimeUpdateExclusion {
                    principal_arn: "arn:aws:iam::123456789012:role/scanner".to_owned(),
                },
                answer: Answer::error(
                    "LimitExceededException",
                    "The maximum number of pull time update exclusions has been reached",
                ),
                kind: ErrorKind::Invalid,
                code: "LimitExceededException",
                message: "The maximum number of pull time update exclusions has been reached",
            },
            Case {
                call: ApiCall::DeregisterPullTimeUpdateExclusion {
                    principal_arn: "arn:aws:iam::123456789012:role/scanner".to_owned(),
                },
                answer: Answer::error(
                    "ExclusionNotFoundException",
                    "The specified pull time update exclusion was not found.",
                ),
                kind: ErrorKind::NotFound(Missing::PullTimeUpdateExclusion),
                code: "ExclusionNotFoundException",
                message: "The specified pull time update exclusion was not found.",
            },
            // A real ECR server error is JSON with a code: not "unsupported".
            Case {
                call: ApiCall::DeleteLifecyclePolicy { repository: app() },
                answer: Answer::server_error("ServerException", "Internal server error"),
                kind: ErrorKind::Other,
                code: "ServerException",
                message: "Internal server error",
            },
            // What the local emulator answers for an operation it does not implement.
            Case {
                call: ApiCall::PutImageScanningConfiguration {
                    repository: app(),
                    scan_on_push: false,
                },
                answer: Answer::html_500(),
                kind: ErrorKind::Unsupported,
                code: "HTTP 500",
                message: "",
            },
        ]
    }

    // One attempt each: the table is about classification, not retries.
    #[tokio::test(start_paused = true)]
    async fn service_errors_are_classified_by_their_code() {
        for case in cases() {
            let ecr = RecordedEcr::new();
            ecr.always(case.call.operation().as_str(), case.answer);

            let error = ecr
                .registry(REGISTRY, 1)
                .call(&case.call)
                .await
                .unwrap_err();

            let expected = RegistryError::new(case.kind, case.code, case.message);
            assert_eq!(error, expected, "{}", case.call.operation());
            assert_eq!(ecr.total(), 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_invalid_policy_error_is_recognised_as_iam_propagation() {
        let ecr = RecordedEcr::new();
        ecr.always(
            "SetRepositoryPolicy",
            Answer::error(
                "InvalidParameterException",
                "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid \
                 repository policy provided'",
            ),
        );
        let call = ApiCall::SetRepositoryPolicy {
            repository: app(),
            text: r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
        };

        let error = ecr.registry(REGISTRY, 1).call(&call).await.unwrap_err();

        assert_eq!(error.kind, ErrorKind::PolicyRejected, "{error:?}");
    }

    // The emulator's HTML 500 is retried like any server error before it is called
    // unsupported: an operation that is missing stays missing.
    #[tokio::test(start_paused = true)]
    async fn an_html_server_error_is_unsupported_after_the_retries() {
        let ecr = RecordedEcr::new();
        ecr.always("PutImageScanningConfiguration", Answer::html_500());
        let call = ApiCall::PutImageScanningConfiguration {
            repository: app(),
            scan_on_push: true,
        };

        let error = ecr.registry(REGISTRY, 3).call(&call).await.unwrap_err();

        assert_eq!(error.kind, ErrorKind::Unsupported);
        assert_eq!(ecr.count("PutImageScanningConfiguration"), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn multi_line_service_messages_become_one_line() {
        let ecr = RecordedEcr::new();
        ecr.always(
            "PutLifecyclePolicy",
            Answer::error(
                "InvalidParameterException",
                "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint:\n\
                 \t'Lifecycle policy validation failure:\r\n  string \"x\" is too short'",
            ),
        );
        let call = ApiCall::PutLifecyclePolicy {
            repository: app(),
            text: r#"{"rules":[]}"#.to_owned(),
        };

        let error = ecr.registry(REGISTRY, 1).call(&call).await.unwrap_err();

        assert_eq!(error.kind, ErrorKind::Invalid);
        assert_eq!(
            error.message,
            "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: \
             'Lifecycle policy validation failure: string \"x\" is too short'"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_failure_is_unreachable_after_the_retries() {
        let ecr = RecordedEcr::new();
        ecr.always("DeleteRepositoryPolicy", Answer::connection_refused());
        let call = ApiCall::DeleteRepositoryPolicy { repository: app() };

        let error = ecr.registry(REGISTRY, 3).call(&call).await.unwrap_err();

        assert_eq!(error.kind, ErrorKind::Unreachable, "{error:?}");
        assert_eq!(error.code, "EndpointUnreachable");
        assert!(!error.message.contains('\n'), "{error:?}");
        // A refused connection is transient to the SDK: every attempt was made.
        assert_eq!(ecr.count("DeleteRepositoryPolicy"), 3);
    }

    /// A loopback port nothing listens on: bound, then released.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    // Real time and the SDK's default HTTP client over loopback: the kernel refuses the
    // connection, or the endpoint resets it mid-request, on every attempt.
    #[tokio::test]
    async fn a_refused_or_reset_connection_is_unreachable_after_the_retries_in_one_line() {
        let cases = [
            (None, "Connection refused (os error 111)"),
            (
                Some(LoopbackAnswer::Reset),
                "Connection reset by peer (os error 104)",
            ),
        ];
        for (answer, message) in cases {
            let endpoint = answer.map(|answer| LoopbackEndpoint::start(answer).unwrap());
            let url = endpoint.as_ref().map_or_else(
                || format!("http://127.0.0.1:{}", closed_port()),
                |endpoint| endpoint.url().to_owned(),
            );
            let id = RegistryId::parse(REGISTRY).unwrap();
            let config = test_config(&id, 3).endpoint_url(url).build();
            let kms = crate::recorded::test_kms_config(&id, 1).build();
            let registry = EcrRegistry::with_client(
                id,
                aws_sdk_ecr::Client::from_conf(config),
                aws_sdk_kms::Client::from_conf(kms),
                1,
            );

            let error = tokio::time::timeout(
                Duration::from_secs(30),
                registry.call(&ApiCall::DeleteLifecyclePolicy { repository: app() }),
            )
            .await
            .unwrap()
            .unwrap_err();

            assert_eq!(
                error,
                RegistryError::new(ErrorKind::Unreachable, "EndpointUnreachable", message)
            );
            if let Some(endpoint) = endpoint {
                assert_eq!(endpoint.connections(), 3, "every attempt was made");
            }
        }
    }
}
