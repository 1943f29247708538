//! The [`IamPolicy`] type: a [`PolicyDocument`] whose canonical form is IAM's (see
//! [`canonicalize_in`]) in the partition of the registry that holds it.

use serde_json::Value;

use super::canonicalize_in;
use crate::policy_document::{ContextCache, DocumentKind, PolicyDocument};
use crate::{DocumentError, Partition};

/// The kind of repository and registry policies.
#[derive(Debug, Clone, Copy)]
pub struct Iam;

impl DocumentKind for Iam {
    const WHAT: &'static str = "policy";

    /// A bare account id means the account's root in the registry's partition.
    type Context = Partition;

    fn canonicalize(document: &Value, partition: Partition) -> Result<Value, DocumentError> {
        canonicalize_in(document, partition)
    }
}

/// A repository or registry policy: the document as written (what ecrform sends) and its
/// canonical form (what ecrform compares and shows in diffs) in one partition, the commercial
/// one unless the policy was made or moved elsewhere.
pub type IamPolicy = PolicyDocument<Iam>;

/// Policies moved into partitions, each document once per partition.
pub type PartitionCache = ContextCache<Iam>;

impl IamPolicy {
    /// The partition the canonical form is for.
    pub fn partition(&self) -> Partition {
        self.context()
    }

    /// The same policy as a registry in `partition` holds it: a bare account id is that
    /// partition's root. The document is shared, and nothing is checked again.
    pub fn for_partition(&self, partition: Partition) -> IamPolicy {
        self.in_context(partition)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::test_documents::{PULL, PULL_AS_ECR_RETURNS_IT, policy};

    #[test]
    fn document_and_compact_text_stay_as_written() {
        let written =
            policy(r#"{"Statement": {"Effect": "allow", "Principal": "*", "Action": "ecr:*"}}"#);
        assert_eq!(
            written.to_compact_json(),
            r#"{"Statement":{"Action":"ecr:*","Effect":"allow","Principal":"*"}}"#
        );
        assert_eq!(written.document()["Statement"]["Effect"], json!("allow"));
    }

    #[test]
    fn deserializing_policy_text_or_object_gives_equal_policies() {
        let from_text: IamPolicy = serde_json::from_value(json!(PULL_AS_ECR_RETURNS_IT)).unwrap();
        let from_object: IamPolicy =
            serde_json::from_value(serde_json::from_str::<Value>(PULL).unwrap()).unwrap();
        assert_eq!(from_text, from_object);
        let error = serde_json::from_value::<IamPolicy>(json!({"Statement": []})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "policy/Statement: Statement must not be an empty list"
        );
    }

    #[test]
    fn invalid_json_text_is_an_error_at_the_root() {
        let error = IamPolicy::from_json_text("{\"Statement\": ").unwrap_err();
        assert!(error.path.is_empty());
        assert!(
            error.message.starts_with("policy text is not valid JSON"),
            "{error}"
        );
    }
}
