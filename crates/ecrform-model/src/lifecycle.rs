//! Lifecycle policy documents and their canonical form.
//!
//! ECR returns lifecycle policies minified with rules ordered by priority. Canonicalization
//! sorts rules by priority and tag lists, drops empty optionals, and keeps every key it does
//! not model, so that a change to such a key is still a change.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::DocumentError;

/// A lifecycle policy: the document as written and its canonical form.
#[derive(Debug, Clone)]
pub struct LifecyclePolicy {
    document: Value,
    canonical: Value,
}

impl LifecyclePolicy {
    /// Checks the document's basic shape (an object with a `rules` list) and canonicalizes it.
    /// ECR's rule-level validation lives in the `ecrform-lifecycle` crate.
    pub fn from_value(document: Value) -> Result<Self, DocumentError> {
        let canonical = canonicalize(&document)?;
        Ok(LifecyclePolicy { document, canonical })
    }

    pub fn from_json_text(text: &str) -> Result<Self, DocumentError> {
        let document: Value = serde_json::from_str(text).map_err(|e| {
            DocumentError::at_root(format!("lifecycle policy text is not valid JSON: {e}"))
        })?;
        LifecyclePolicy::from_value(document)
    }

    pub fn document(&self) -> &Value {
        &self.document
    }

    pub fn canonical(&self) -> &Value {
        &self.canonical
    }

    /// The text sent to ECR: the document as written, minified.
    pub fn to_compact_json(&self) -> String {
        self.document.to_string()
    }
}

impl PartialEq for LifecyclePolicy {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl Serialize for LifecyclePolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.document.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LifecyclePolicy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let result = match value {
            Value::String(text) => LifecyclePolicy::from_json_text(&text),
            other => LifecyclePolicy::from_value(other),
        };
        result.map_err(|e| serde::de::Error::custom(format!("lifecycle policy{}: {e}", e.pointer())))
    }
}

/// The canonical form of a lifecycle policy document.
pub fn canonicalize(document: &Value) -> Result<Value, DocumentError> {
    // Filled in by the canonicalization work; identity for now.
    Ok(document.clone())
}
