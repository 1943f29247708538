//! ECR lifecycle policy rules: one typed model of a rule, ECR's validation of it, and the
//! evaluation engine that decides which images a policy expires or archives.
//!
//! [`parse`] turns a policy document into [`LifecyclePolicyRules`] or every problem ECR would
//! reject it for; [`validate`] is the same check for callers that only want the problems.
//! [`evaluate`] applies those same rules to the images of a repository, so validation and
//! evaluation can never disagree about what a rule means. [`input`] reads the files the
//! `lifecycle preview` command takes (a policy, `aws ecr describe-images` output) with every
//! problem located at a line and column, and [`preview`] renders the result.

pub mod evaluate;
pub mod input;
pub mod locate;
pub mod parse;
pub mod preview;
pub mod rule;
pub mod timestamp;

use ecrform_model::DocumentError;
use serde_json::Value;

pub use evaluate::{
    Decision, Image, ImageAction, ImageStatus, PolicyChangeImpact, Summary, compare_policies,
    evaluate,
};
pub use parse::parse;
pub use rule::{
    CountCriterion, CountType, LifecyclePolicyRules, Rule, RuleAction, Selection, StorageClass,
    TagStatus, glob_matches,
};
pub use timestamp::{Timestamp, TimestampError};

/// Every problem ECR would reject in this lifecycle policy document, each located by a path
/// into the document. An empty list means ECR would accept it.
pub fn validate(document: &Value) -> Vec<DocumentError> {
    parse(document).err().unwrap_or_default()
}
