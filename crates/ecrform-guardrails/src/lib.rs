//! Guardrails: the practices platform teams write down for ECR, as rules with stable ids that
//! judge a registry's state: namespaced names, immutable tags, scanning, lifecycle policies
//! that expire untagged images and cap tagged ones (with ECR's own evaluation semantics),
//! least-privilege and non-public policies, KMS where data is sensitive, required tags,
//! protection against deleting production repositories, replication only to known accounts.
//!
//! The same rules judge the spec (`validate`), the registry after a plan (`plan`) and the
//! live registries (`audit`): [`view`] builds what they judge from each, [`check`] runs them.
//! Everything here is pure: no I/O, no clock (the caller says what day it is, for
//! exceptions that lapse), no AWS. Where a finding is in the spec's files is the spec
//! crate's to say, from each finding's [`Aspect`].
//!
//! - [`rules`]: the one definition of each rule (id, rationale, anchors, levels).
//! - [`config`]: profile, levels, parameters and exceptions.
//! - [`checks`]: what each rule looks for.
//! - [`evaluate`]: running the rules with levels and exceptions, and the pass/fail table.
//! - [`document`]: one policy document judged on its own (a library held to `strict`).

pub mod checks;
pub mod config;
pub mod document;
pub mod evaluate;
mod finding;
mod lifecycle;
mod policy;
pub mod rules;
pub mod view;

pub use config::{Config, Date, Exception, Parameters};
pub use document::{
    DOCUMENT_ACCOUNT, InvalidDocument, JudgedDocument, check_document, strict_document_findings,
};
pub use evaluate::{
    Comparison, Evaluation, Outcome, Row, check, check_desired, compare, spec_accounts,
};
pub use finding::{Aspect, Finding};
pub use rules::{Level, Profile, RULES, Rule, RuleId, Scope};
pub use view::{RegistryView, RepositoryView, Value};
