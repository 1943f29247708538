//! The [`IamPolicy`] type: a [`PolicyDocument`] whose canonical form is IAM's (see
//! [`canonicalize`]).

use serde_json::Value;

use super::canonicalize;
use crate::DocumentError;
use crate::policy_document::{DocumentKind, PolicyDocument};

/// The kind of repository and registry policies.
#[derive(Debug, Clone, Copy)]
pub struct Iam;

impl DocumentKind for Iam {
    const WHAT: &'static str = "policy";

    fn canonicalize(document: &Value) -> Result<Value, DocumentError> {
        canonicalize(document)
    }
}

/// A repository or registry policy: the document as written (what ecrform sends) and its
/// canonical form (what ecrform compares and shows in diffs).
pub type IamPolicy = PolicyDocument<Iam>;

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
