//! Turning SDK errors into the port's [`RegistryError`]: a kind that decides what happens
//! next, the AWS error code, and a one-line message.

use aws_sdk_ecr::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use ecrform_plan::{ErrorKind, RegistryError};

type HttpResponse = aws_sdk_ecr::config::http::HttpResponse;

/// Classifies a failed SDK call.
pub(crate) fn classify<E>(error: &SdkError<E, HttpResponse>) -> RegistryError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let context = one_line(&DisplayErrorContext(error).to_string());
    match error {
        SdkError::ServiceError(service) => {
            let code = error.code().unwrap_or_default().to_owned();
            let message = error.message().unwrap_or_default().to_owned();
            let status = service.raw().status().as_u16();
            RegistryError::new(
                kind_of(&code, status),
                code_or_status(code, status),
                message,
            )
        }
        SdkError::TimeoutError(_) => RegistryError::new(ErrorKind::Unreachable, "Timeout", context),
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            RegistryError::new(ErrorKind::Unreachable, "EndpointUnreachable", context)
        }
        _ if context.to_ascii_lowercase().contains("credentials") => {
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

fn code_or_status(code: String, status: u16) -> String {
    if code.is_empty() {
        format!("HTTP {status}")
    } else {
        code
    }
}

fn kind_of(code: &str, status: u16) -> ErrorKind {
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
        "InvalidParameterException"
        | "ValidationException"
        | "LimitExceededException"
        | "TooManyTagsException"
        | "InvalidTagParameterException" => ErrorKind::Invalid,
        code if code.ends_with("NotFoundException") => ErrorKind::NotFound,
        // An endpoint that does not implement an operation answers 500 or 501 without a
        // modelled error code; a real ECR server error carries `ServerException`.
        "" | "InternalFailure" | "NotImplemented" if status == 500 || status == 501 => {
            ErrorKind::Unsupported
        }
        _ => ErrorKind::Other,
    }
}

/// Error chains can span lines; the CLI prints one line per problem.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
