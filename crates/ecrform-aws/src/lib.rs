//! The ECR adapter: the only crate that uses the AWS SDK. It builds one client per registry
//! (credential chain, profile, assumed role, region, endpoint, retry configuration, all in
//! [`connect`]), reads live state concurrently with pagination, executes the planner's
//! [`ecrform_plan::ApiCall`]s, and classifies errors: a policy's `*NotFoundException` on a read
//! becomes "absent" here and nowhere else. It implements [`ecrform_plan::Registry`]; it never decides
//! what to change.
//!
//! Tests reach the adapter through the crate-internal `EcrRegistry::with_client`, handing in an
//! SDK client whose HTTP layer answers with recorded ECR responses (the `recorded` module),
//! configured with the same retry and timeout settings as [`connect`]; the public API stays
//! [`connect`] alone.

mod call_log;
mod connect;
mod endpoint;
mod error;
mod images;
mod kms;
mod pace;
mod profiles;
mod read;
#[cfg(test)]
mod recorded;
mod role;
mod write;

pub use call_log::{CallCounts, CallTotals};
pub use connect::{
    ConnectOptions, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_OPERATION_TIMEOUT,
    DEFAULT_READ_ATTEMPTS, EcrRegistry, RegistryTarget, connect,
};
pub use endpoint::{EndpointUrlError, check_endpoint_urls};
pub use pace::{Pace, Paces};
pub use read::ReadProgress;
