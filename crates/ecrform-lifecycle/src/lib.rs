//! ECR lifecycle policy rules: one typed model of a rule, ECR's validation of it, and (later)
//! the evaluation engine that decides which images a policy expires or archives.
//!
//! [`parse`] turns a policy document into [`LifecyclePolicyRules`] or every problem ECR would
//! reject it for; [`validate`] is the same check for callers that only want the problems.

pub mod parse;
pub mod rule;

use ecrform_model::DocumentError;
use serde_json::Value;

pub use parse::parse;
pub use rule::{
    CountCriterion, CountType, LifecyclePolicyRules, Rule, RuleAction, Selection, StorageClass,
    TagStatus, glob_matches,
};

/// Every problem ECR would reject in this lifecycle policy document, each located by a path
/// into the document. An empty list means ECR would accept it.
pub fn validate(document: &Value) -> Vec<DocumentError> {
    parse(document).err().unwrap_or_default()
}
