//! The ECR adapter: the only crate that uses the AWS SDK. It builds one client per registry
//! (credential chain, profile, assumed role, region, endpoint, retry configuration, all in
//! [`connect`]), reads live state concurrently with pagination, executes the planner's
//! [`ecrform_plan::ApiCall`]s, and classifies errors: a `*NotFoundException` on a read becomes
//! "absent" here and nowhere else. It implements [`ecrform_plan::Registry`]; it never decides
//! what to change.

mod connect;
mod error;
mod read;
mod write;

pub use connect::{ConnectOptions, EcrRegistry, RegistryTarget, connect};
