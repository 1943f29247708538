//! IAM policy documents (repository and registry policies) and their canonical form.
//!
//! ECR re-serializes policies, rewrites bare account ids to root ARNs and may reorder lists.
//! Two documents are equal when their canonical forms are equal; see `canonicalize`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::DocumentError;

/// A repository or registry policy: the document as written (what ecrform sends) and its
/// canonical form (what ecrform compares and shows in diffs).
#[derive(Debug, Clone)]
pub struct IamPolicy {
    document: Value,
    canonical: Value,
}

impl IamPolicy {
    /// Checks the document's shape and computes its canonical form.
    pub fn from_value(document: Value) -> Result<Self, DocumentError> {
        let canonical = canonicalize(&document)?;
        Ok(IamPolicy { document, canonical })
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

/// The canonical form of an IAM policy document.
pub fn canonicalize(document: &Value) -> Result<Value, DocumentError> {
    // Filled in by the canonicalization work; identity for now.
    Ok(document.clone())
}
