//! Locations inside a JSON policy document. Canonicalization and validation report problems
//! with a path into the document, and the spec crate turns that path into `FILE:LINE:COLUMN`
//! of the node, whether the document was written inline in YAML or in a policy file.

use std::fmt;

/// One step into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// A problem found in a policy document, located by a path from the document's root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DocumentError {
    pub path: Vec<PathSegment>,
    pub message: String,
}

impl DocumentError {
    pub fn new(path: Vec<PathSegment>, message: impl Into<String>) -> Self {
        DocumentError {
            path,
            message: message.into(),
        }
    }

    pub fn at_root(message: impl Into<String>) -> Self {
        DocumentError::new(Vec::new(), message)
    }

    /// The path in JSON-pointer-like form (`/Statement/0/Principal`), for messages.
    pub fn pointer(&self) -> String {
        display_path(&self.path)
    }
}

/// Renders a path as `/a/0/b` (empty for the root), for messages: a long key is cut as
/// every value a message shows (see [`crate::shown`]).
pub fn display_path(path: &[PathSegment]) -> String {
    path.iter().map(|segment| format!("/{segment}")).collect()
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSegment::Key(key) => write!(f, "{}", crate::shown::cut(key)),
            PathSegment::Index(index) => write!(f, "{index}"),
        }
    }
}
