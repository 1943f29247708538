//! The [`IamPolicy`] type: a document as written with its canonical form, built from a JSON
//! value or from policy text, compared by canonical form and serialized as written.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::canonicalize;
use crate::DocumentError;

/// A repository or registry policy: the document as written (what ecrform sends) and its
/// canonical form (what ecrform compares and shows in diffs).
#[derive(Debug, Clone)]
pub struct IamPolicy {
    // Shared: a spec applies one named document to many repositories, and every clone of a
    // policy (desired state, plans) then costs a pointer, not a JSON tree.
    document: Arc<Value>,
    canonical: Arc<Value>,
}

impl IamPolicy {
    /// Checks the document's shape and computes its canonical form.
    pub fn from_value(document: Value) -> Result<Self, DocumentError> {
        let canonical = canonicalize(&document)?;
        Ok(IamPolicy {
            document: Arc::new(document),
            canonical: Arc::new(canonical),
        })
    }

    /// Parses policy text as ECR returns it (any JSON formatting).
    pub fn from_json_text(text: &str) -> Result<Self, DocumentError> {
        let document: Value = serde_json::from_str(text)
            .map_err(|e| DocumentError::at_root(format!("policy text is not valid JSON: {e}")))?;
        IamPolicy::from_value(document)
    }

    /// The document as written.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The canonical form: equal for equivalent documents.
    pub fn canonical(&self) -> &Value {
        &self.canonical
    }

    /// The text sent to ECR: the document as written, minified.
    pub fn to_compact_json(&self) -> String {
        self.document.to_string()
    }
}

impl PartialEq for IamPolicy {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl Serialize for IamPolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.document.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for IamPolicy {
    /// Accepts a JSON object or the policy text ECR returns.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let result = match value {
            Value::String(text) => IamPolicy::from_json_text(&text),
            other => IamPolicy::from_value(other),
        };
        result.map_err(|e| serde::de::Error::custom(format!("policy{}: {e}", e.pointer())))
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
