//! A policy document as ecrform holds it: the document as written (what ecrform sends) and its
//! canonical form (what it compares and shows in diffs), for every kind of document ECR takes,
//! with the kind deciding only what "canonical" means.
//!
//! IAM policies and lifecycle policies are stored, parsed, compared and serialized the same
//! way; [`PolicyDocument`] is that one way, and [`DocumentKind`] is what differs.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::DocumentError;

/// What one kind of document contributes: its name in messages and its canonical form.
pub trait DocumentKind {
    /// How messages name the document ("policy", "lifecycle policy").
    const WHAT: &'static str;

    /// The canonical form, or the first shape error found in the document.
    fn canonicalize(document: &Value) -> Result<Value, DocumentError>;
}

/// A document and its canonical form. Clones are cheap: a spec applies one named document to
/// many repositories, and every clone (desired state, plans) costs a pointer, not a JSON tree.
pub struct PolicyDocument<K> {
    document: Arc<Value>,
    canonical: Arc<Value>,
    kind: PhantomData<K>,
}

impl<K: DocumentKind> PolicyDocument<K> {
    /// Checks the document's shape and computes its canonical form.
    pub fn from_value(document: Value) -> Result<Self, DocumentError> {
        let canonical = K::canonicalize(&document)?;
        Ok(PolicyDocument {
            document: Arc::new(document),
            canonical: Arc::new(canonical),
            kind: PhantomData,
        })
    }

    /// Parses the document from text as ECR returns it (any JSON formatting).
    pub fn from_json_text(text: &str) -> Result<Self, DocumentError> {
        let document: Value = serde_json::from_str(text).map_err(|e| {
            DocumentError::at_root(format!("{} text is not valid JSON: {e}", K::WHAT))
        })?;
        Self::from_value(document)
    }
}

impl<K> PolicyDocument<K> {
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

impl<K> Clone for PolicyDocument<K> {
    fn clone(&self) -> Self {
        PolicyDocument {
            document: Arc::clone(&self.document),
            canonical: Arc::clone(&self.canonical),
            kind: PhantomData,
        }
    }
}

impl<K> fmt::Debug for PolicyDocument<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyDocument")
            .field("document", &self.document)
            .field("canonical", &self.canonical)
            .finish()
    }
}

/// Equal when the canonical forms are: equivalent documents are the same document to ECR.
impl<K> PartialEq for PolicyDocument<K> {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

/// Serialized as written.
impl<K> Serialize for PolicyDocument<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.document.serialize(serializer)
    }
}

impl<'de, K: DocumentKind> Deserialize<'de> for PolicyDocument<K> {
    /// Accepts a JSON object or the document text ECR returns.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let result = match value {
            Value::String(text) => Self::from_json_text(&text),
            other => Self::from_value(other),
        };
        result.map_err(|e| serde::de::Error::custom(format!("{}{}: {e}", K::WHAT, e.pointer())))
    }
}
