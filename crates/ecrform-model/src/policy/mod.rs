//! IAM policy documents (repository and registry policies) and their canonical form.
//!
//! ECR re-serializes policies, rewrites bare account ids to root ARNs and may reorder lists.
//! Comparing the text would plan a rewrite on every run (peer tools have been seen calling
//! SetRepositoryPolicy hundreds of thousands of times that way), so two documents are equal
//! when their canonical forms are equal; see [`canonicalize`] for what that form is.
//!
//! The same canonical form answers one narrow question about what a policy grants (see
//! [`IamPolicy::grant`]): validation uses it to check, before any API call, that a registry
//! policy lets another account replicate into its registry.
//!
//! A policy's canonical form depends on the partition of the registry that holds it (a bare
//! account id is that partition's root), so an [`IamPolicy`] carries the partition it was
//! canonicalized in: the commercial one unless it is moved ([`IamPolicy::for_partition`]).
//!
//! The parts: [`IamPolicy`] itself (`iam_policy`), its canonical form (`canonical_form`), the
//! names IAM reads case-insensitively (`vocabulary`), what a policy grants one account
//! (`grant`, for the replication check) and who can do what under it (`access`, for access
//! review: the `access` command and the access lines of a plan).

pub mod access;
mod canonical_form;
mod grant;
mod iam_policy;
mod vocabulary;

pub use self::access::{
    AccessClass, AccessDelta, AccessGrant, AccessMatrix, AccessScope, DeltaSign, IamPolicyKind,
    PolicyAccess, Principal, RegistryAccess, Requirement,
};
pub use self::canonical_form::{canonicalize, canonicalize_in};
pub use self::grant::{Grant, action_pattern_matches};
pub use self::iam_policy::{Iam, IamPolicy, PartitionCache};

/// Policies that the tests of every part share.
#[cfg(test)]
mod test_documents {
    use super::IamPolicy;

    pub(super) fn policy(text: &str) -> IamPolicy {
        IamPolicy::from_json_text(text)
            .unwrap_or_else(|e| panic!("{text}\nis not a policy: {}: {e}", e.pointer()))
    }

    pub(super) const PULL: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Pull","Effect":"Allow",
        "Principal":{"AWS":["210987654321","arn:aws:iam::123456789012:role/ci"]},
        "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;

    // What GetRepositoryPolicy returns for PULL: re-serialized with 2-space indentation and
    // `"key" : value`, the bare account id rewritten to its root ARN, the principals reordered.
    pub(super) const PULL_AS_ECR_RETURNS_IT: &str = r#"{
  "Version" : "2012-10-17",
  "Statement" : [ {
    "Sid" : "Pull",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : [ "arn:aws:iam::123456789012:role/ci", "arn:aws:iam::210987654321:root" ]
    },
    "Action" : [ "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer" ]
  } ]
}"#;
}
