//! A policy document as ecrform holds it: the document as written (what ecrform sends) and its
//! canonical form (what it compares and shows in diffs), for every kind of document ECR takes,
//! with the kind deciding only what "canonical" means.
//!
//! IAM policies and lifecycle policies are stored, parsed, compared and serialized the same
//! way; [`PolicyDocument`] is that one way, and [`DocumentKind`] is what differs.
//!
//! A kind's canonical form may depend on where the document is used as well as on its text: a
//! bare account id in an IAM policy is the account's root in the registry's own partition. That
//! is the kind's [`DocumentKind::Context`]. Its default is the common case (the commercial
//! partition), so a document read without one costs nothing extra; a document used elsewhere is
//! moved there with [`PolicyDocument::in_context`], which keeps the document and computes only
//! its canonical form again, and [`ContextCache`] does that once per document and context.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::DocumentError;

/// What one kind of document contributes: its name in messages and its canonical form.
pub trait DocumentKind {
    /// How messages name the document ("policy", "lifecycle policy").
    const WHAT: &'static str;

    /// What the canonical form depends on besides the document (`()` when nothing does). The
    /// default is what [`PolicyDocument::from_value`] and deserialization use.
    type Context: Copy + Eq + Hash + Default + fmt::Debug;

    /// The canonical form in `context`, or the first shape error found in the document.
    ///
    /// Whether a document has a canonical form must not depend on the context, only what the
    /// form is: [`PolicyDocument::in_context`] relies on that.
    fn canonicalize(document: &Value, context: Self::Context) -> Result<Value, DocumentError>;
}

/// A document and its canonical form. Clones are cheap: a spec applies one named document to
/// many repositories, and every clone (desired state, plans) costs a pointer, not a JSON tree.
pub struct PolicyDocument<K: DocumentKind> {
    document: Arc<Value>,
    canonical: Arc<Value>,
    context: K::Context,
}

impl<K: DocumentKind> PolicyDocument<K> {
    /// Checks the document's shape and computes its canonical form in the default context.
    pub fn from_value(document: Value) -> Result<Self, DocumentError> {
        Self::from_value_in(document, K::Context::default())
    }

    /// Checks the document's shape and computes its canonical form in `context`.
    pub fn from_value_in(document: Value, context: K::Context) -> Result<Self, DocumentError> {
        let canonical = K::canonicalize(&document, context)?;
        Ok(PolicyDocument {
            document: Arc::new(document),
            canonical: Arc::new(canonical),
            context,
        })
    }

    /// Parses the document from text as ECR returns it (any JSON formatting), in the default
    /// context.
    pub fn from_json_text(text: &str) -> Result<Self, DocumentError> {
        Self::from_json_text_in(text, K::Context::default())
    }

    /// Parses the document from text as ECR returns it, in `context`.
    pub fn from_json_text_in(text: &str, context: K::Context) -> Result<Self, DocumentError> {
        let document: Value = serde_json::from_str(text).map_err(|e| {
            DocumentError::at_root(format!("{} text is not valid JSON: {e}", K::WHAT))
        })?;
        Self::from_value_in(document, context)
    }

    /// The context the canonical form was computed in.
    pub fn context(&self) -> K::Context {
        self.context
    }

    /// The same document with its canonical form in `context`: a clone when it is already
    /// there, otherwise the document (shared, not copied) canonicalized again. Nothing is
    /// checked again: a document that has a canonical form has one in every context.
    pub fn in_context(&self, context: K::Context) -> Self {
        if context == self.context {
            return self.clone();
        }
        let canonical = K::canonicalize(&self.document, context)
            .expect("a document with a canonical form in one context has one in every context");
        PolicyDocument {
            document: Arc::clone(&self.document),
            canonical: Arc::new(canonical),
            context,
        }
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

impl<K: DocumentKind> Clone for PolicyDocument<K> {
    fn clone(&self) -> Self {
        PolicyDocument {
            document: Arc::clone(&self.document),
            canonical: Arc::clone(&self.canonical),
            context: self.context,
        }
    }
}

impl<K: DocumentKind> fmt::Debug for PolicyDocument<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyDocument")
            .field("document", &self.document)
            .field("canonical", &self.canonical)
            .field("context", &self.context)
            .finish()
    }
}

/// Equal when the canonical forms are: equivalent documents are the same document to ECR.
impl<K: DocumentKind> PartialEq for PolicyDocument<K> {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

/// Serialized as written.
impl<K: DocumentKind> Serialize for PolicyDocument<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.document.serialize(serializer)
    }
}

impl<'de, K: DocumentKind + 'static> Deserialize<'de> for PolicyDocument<K> {
    /// Accepts a JSON object or the document text ECR returns, in the default context (a
    /// caller that knows the context moves it there with [`PolicyDocument::in_context`]).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if let Some(shared) = interned::<K>(&value) {
            return Ok(shared);
        }
        let key = interning().then(|| value.to_string());
        let result = match value {
            Value::String(text) => Self::from_json_text(&text),
            other => Self::from_value(other),
        };
        let document = result
            .map_err(|e| serde::de::Error::custom(format!("{}{}: {e}", K::WHAT, e.pointer())))?;
        if let Some(key) = key {
            intern(key, &document);
        }
        Ok(document)
    }
}

/// Documents deserialized while [`sharing_documents`] runs, by kind and text.
type Interned = HashMap<(std::any::TypeId, String), Box<dyn std::any::Any>>;

thread_local! {
    static INTERNED: std::cell::RefCell<Option<Interned>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` (a deserialization) with every document it deserializes shared by text: a
/// snapshot of 100,000 repositories that share a few policies holds a few parsed documents,
/// not 100,000 JSON trees and their canonical forms.
pub fn sharing_documents<R>(f: impl FnOnce() -> R) -> R {
    struct Stop(Option<Interned>);
    impl Drop for Stop {
        fn drop(&mut self) {
            INTERNED.with(|interned| *interned.borrow_mut() = self.0.take());
        }
    }
    let outer = INTERNED.with(|interned| interned.borrow_mut().replace(HashMap::new()));
    let _stop = Stop(outer);
    f()
}

fn interning() -> bool {
    INTERNED.with(|interned| interned.borrow().is_some())
}

fn interned<K: DocumentKind + 'static>(value: &Value) -> Option<PolicyDocument<K>> {
    INTERNED.with(|interned| {
        let interned = interned.borrow();
        let documents = interned.as_ref()?;
        documents
            .get(&(std::any::TypeId::of::<K>(), value.to_string()))?
            .downcast_ref::<PolicyDocument<K>>()
            .cloned()
    })
}

fn intern<K: DocumentKind + 'static>(key: String, document: &PolicyDocument<K>) {
    INTERNED.with(|interned| {
        if let Some(documents) = interned.borrow_mut().as_mut() {
            documents.insert(
                (std::any::TypeId::of::<K>(), key),
                Box::new(document.clone()),
            );
        }
    });
}

/// Documents moved into other contexts, each document once per context: a named policy that
/// a thousand repositories of a GovCloud registry share gets one GovCloud canonical form, not a
/// thousand. Documents are told apart by identity (the shared document a clone points to),
/// which the cache keeps alive, so an entry can never be mistaken for another document's.
pub struct ContextCache<K: DocumentKind> {
    moved: HashMap<(usize, K::Context), PolicyDocument<K>>,
}

impl<K: DocumentKind> ContextCache<K> {
    pub fn new() -> Self {
        ContextCache {
            moved: HashMap::new(),
        }
    }

    /// `document` in `context`, as [`PolicyDocument::in_context`], sharing the canonical form
    /// with every other clone of the same document moved to the same context.
    pub fn in_context(
        &mut self,
        document: &PolicyDocument<K>,
        context: K::Context,
    ) -> PolicyDocument<K> {
        if document.context == context {
            return document.clone();
        }
        let identity = Arc::as_ptr(&document.document) as usize;
        self.moved
            .entry((identity, context))
            .or_insert_with(|| document.in_context(context))
            .clone()
    }
}

impl<K: DocumentKind> Default for ContextCache<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// Documents parsed from text, each distinct text once: the repositories of a registry mostly
/// share a few lifecycle and repository policies, and a read of 100,000 repositories holds
/// one parsed document per distinct text instead of 100,000 JSON trees. Shared between the
/// concurrent reads of one registry; dropped with the read.
pub struct TextCache<K: DocumentKind> {
    parsed: std::sync::Mutex<ParsedTexts<K>>,
}

/// Each distinct text, in each context, parsed.
type ParsedTexts<K> = HashMap<(String, <K as DocumentKind>::Context), PolicyDocument<K>>;

impl<K: DocumentKind> TextCache<K> {
    pub fn new() -> Self {
        TextCache {
            parsed: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// [`PolicyDocument::from_json_text_in`], parsing each distinct text (in each context)
    /// once; a text that does not parse is not kept.
    pub fn parse(
        &self,
        text: &str,
        context: K::Context,
    ) -> Result<PolicyDocument<K>, DocumentError> {
        let key = (text.to_owned(), context);
        // A poisoned lock only means another read panicked; the map is still sound.
        let lock = || {
            self.parsed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(document) = lock().get(&key) {
            return Ok(document.clone());
        }
        let document = PolicyDocument::from_json_text_in(text, context)?;
        lock().entry(key).or_insert(document.clone());
        Ok(document)
    }

    /// How many distinct documents were parsed.
    pub fn len(&self) -> usize {
        self.parsed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: DocumentKind> Default for TextCache<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: DocumentKind> fmt::Debug for TextCache<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextCache")
            .field("documents", &self.len())
            .finish()
    }
}

impl<K: DocumentKind> fmt::Debug for ContextCache<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextCache")
            .field("moved", &self.moved.len())
            .finish()
    }
}
