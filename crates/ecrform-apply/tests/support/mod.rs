//! What the executor's integration tests read off a plan or a report, shared by the test
//! files of this directory. It lives here rather than in the test kit's fixtures because it
//! takes the planner's and the executor's types, and the fixtures produce model types only.

use ecrform_apply::{ApplyReport, ChangeOutcome};
use ecrform_plan::{Action, Plan};

/// `(address, action)` of every change of a plan, for compact expectations.
pub fn outline(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .map(|change| (change.address.to_string(), change.action))
        .collect()
}

/// What happened to the change at `address`; panics when the report has no result for it.
pub fn outcome_of<'a>(report: &'a ApplyReport, address: &str) -> &'a ChangeOutcome {
    &report
        .results
        .iter()
        .find(|result| result.address.to_string() == address)
        .unwrap_or_else(|| panic!("no result for {address}"))
        .outcome
}
