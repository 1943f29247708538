//! Assuming a registry's `role_arn`, with a failure that says which role and why.
//!
//! Credentials are resolved lazily, at a registry's first call, so a role that cannot be
//! assumed surfaces as that call's error, several layers down: the SDK's text for it ends in a
//! Debug dump of STS's error (`unhandled error (AccessDenied): Error { code: ..., message: ...
//! }`). The assume-role provider is wrapped here so that its failure is a [`RoleNotAssumed`]
//! that names the role and says in one line what STS answered, and `error::classify` finds it
//! in the chain by type, not by its words.

use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;

type HttpResponse = aws_sdk_ecr::config::http::HttpResponse;

/// The credentials of a role assumed with STS; a failure is a [`RoleNotAssumed`].
#[derive(Debug)]
pub(crate) struct AssumedRole {
    role_arn: String,
    provider: AssumeRoleProvider,
}

impl AssumedRole {
    pub(crate) fn new(role_arn: &str, provider: AssumeRoleProvider) -> Self {
        AssumedRole {
            role_arn: role_arn.to_owned(),
            provider,
        }
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.provider.provide_credentials().await.map_err(|error| {
                CredentialsError::provider_error(RoleNotAssumed {
                    role_arn: self.role_arn.clone(),
                    reason: reason(&error),
                })
            })
        })
    }
}

/// A registry's role could not be assumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot assume role {role_arn}: {reason}")]
pub(crate) struct RoleNotAssumed {
    pub role_arn: String,
    pub reason: String,
}

/// What STS answered (its error code and message), or why it could not be asked.
fn reason(error: &CredentialsError) -> String {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(sts) = error.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>() {
            return sts_reason(sts);
        }
        current = error.source();
    }
    crate::error::chain(error)
}

fn sts_reason(error: &SdkError<AssumeRoleError, HttpResponse>) -> String {
    match error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            match (error.code(), error.message()) {
                (Some(code), Some(message)) => {
                    format!("STS answered {code}: {}", crate::error::one_line(message))
                }
                (Some(code), None) => format!("STS answered {code}"),
                _ => format!("the STS endpoint answered HTTP {status}, which is not an STS answer"),
            }
        }
        SdkError::ResponseError(response) => format!(
            "the STS endpoint answered HTTP {}, which is not an STS answer",
            response.raw().status().as_u16()
        ),
        other => format!(
            "STS could not be reached: {}",
            crate::error::root_cause(other)
        ),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
    use ecrform_model::RegistryId;
    use ecrform_plan::{ErrorKind, RegistryError};
    use ecrform_testkit::{LoopbackAnswer, LoopbackEndpoint};

    use super::*;
    use crate::connect::retry_config;
    use crate::recorded::test_config;

    const ROLE: &str = "arn:aws:iam::210987654321:role/ecr-admin";

    /// A loopback port nothing listens on: bound, then released.
    fn closed_port_url() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    }

    /// What an ECR call makes of assuming [`ROLE`] through the STS at `sts`, one attempt each.
    async fn error_through_sts(sts: &str) -> RegistryError {
        let base = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "AKIDECRFORMTEST",
                "secret",
                None,
                None,
                "test",
            ))
            .retry_config(retry_config(1))
            .endpoint_url(sts)
            .load()
            .await;
        let provider = AssumeRoleProvider::builder(ROLE)
            .session_name("ecrform")
            .configure(&base)
            .build()
            .await;
        let id = RegistryId::parse("210987654321/us-east-1").unwrap();
        let config = test_config(&id, 1)
            .credentials_provider(AssumedRole::new(ROLE, provider))
            .endpoint_url(closed_port_url())
            .build();
        let error = aws_sdk_ecr::Client::from_conf(config)
            .describe_repositories()
            .send()
            .await
            .unwrap_err();
        crate::error::classify(&error)
    }

    // Real loopback connections: STS refuses, answers what is not STS, resets or is not there.
    #[tokio::test]
    async fn a_role_that_cannot_be_assumed_is_one_line_naming_it_and_what_sts_said() {
        let cases = [
            (
                Some(LoopbackAnswer::sts_access_denied(ROLE)),
                format!(
                    "STS answered AccessDenied: User: arn:aws:iam::123456789012:user/ci is not \
                     authorized to perform: sts:AssumeRole on resource: {ROLE}"
                ),
            ),
            (
                Some(LoopbackAnswer::Http {
                    status: 404,
                    content_type: "text/html",
                    body: "<html><body>Not Found</body></html>".to_owned(),
                }),
                "the STS endpoint answered HTTP 404, which is not an STS answer".to_owned(),
            ),
            (
                Some(LoopbackAnswer::Reset),
                "STS could not be reached: Connection reset by peer (os error 104)".to_owned(),
            ),
            (
                None,
                "STS could not be reached: Connection refused (os error 111)".to_owned(),
            ),
        ];
        for (answer, reason) in cases {
            let endpoint = answer.map(|answer| LoopbackEndpoint::start(answer).unwrap());
            let sts = endpoint
                .as_ref()
                .map_or_else(closed_port_url, |endpoint| endpoint.url().to_owned());

            let error = error_through_sts(&sts).await;

            assert_eq!(
                error,
                RegistryError::new(
                    ErrorKind::Credentials,
                    "AssumeRoleFailed",
                    format!("cannot assume role {ROLE}: {reason}")
                )
            );
        }
    }
}
