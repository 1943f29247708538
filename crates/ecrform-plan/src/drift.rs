//! The drift report: what `drift` found, in its own words rather than the plan's. A plan says
//! what apply would do; a drift report says how live state differs from the spec:
//! **changed** (live differs from the spec), **missing** (in the spec, absent live) and
//! **unmanaged** (live, not in the spec). The registry's `ignore_unmanaged` and
//! `drift_ignore` rules move objects to **ignored**, which is counted and listed but is not
//! drift. The report is derived from the plan, which it keeps for tools that read that shape.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use ecrform_model::{Address, DesiredState, RegistryState, RegistryWideKind, ResourceKind};

use crate::{Action, Change, Plan};

/// The drift JSON format version.
pub const DRIFT_FORMAT_VERSION: u32 = 1;

/// Which of the three kinds of drift an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftKind {
    Changed,
    Missing,
    Unmanaged,
}

impl DriftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::Changed => "changed",
            DriftKind::Missing => "missing",
            DriftKind::Unmanaged => "unmanaged",
        }
    }

    /// The kind of drift a planned change stands for. A delete is unmanaged when the object
    /// left the spec (a pruned repository, a rule of a keyed set) and changed when the spec
    /// says `none` for something live has.
    pub fn of(change: &Change) -> DriftKind {
        match change.action {
            Action::Create => DriftKind::Missing,
            Action::Update | Action::Replace => DriftKind::Changed,
            Action::Delete => match change.address.kind {
                ResourceKind::Repository => DriftKind::Unmanaged,
                ResourceKind::RegistryWide(kind)
                    if !kind.is_singleton() && kind != RegistryWideKind::AccountSettings =>
                {
                    DriftKind::Unmanaged
                }
                _ => DriftKind::Changed,
            },
        }
    }
}

/// Counts per kind; `ignored` counts what the rules set aside.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSummary {
    pub changed: usize,
    pub missing: usize,
    pub unmanaged: usize,
    pub ignored: usize,
}

/// What was compared: every repository of the spec, each policy it manages, each
/// registry-wide setting it manages, and every unmanaged object found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    pub objects: usize,
    pub registries: usize,
}

/// A managed object whose live state differs from the spec. `live` and `spec` hold the
/// differing fields (the whole document for a policy), `null` where absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedObject {
    pub address: Address,
    pub fields: Vec<String>,
    pub live: Option<Value>,
    pub spec: Option<Value>,
}

/// An object of the spec that does not exist live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingObject {
    pub address: Address,
    pub spec: Option<Value>,
}

/// An object that exists live and is not in the spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmanagedObject {
    pub address: Address,
    /// It carries this spec's ownership tag and the registry prunes: apply would delete it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pruned_by_apply: bool,
}

/// An object a rule sets aside: what drift it is, the rule's pattern, and (for
/// `drift_ignore`) its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IgnoredObject {
    pub address: Address,
    pub drift: DriftKind,
    /// `ignore_unmanaged` or `drift_ignore`.
    pub rule: String,
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The drift JSON: `{"format_version": 1, "in_sync", "checked_at", "checked", "summary",
/// "changed", "missing", "unmanaged", "ignored", "plan"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub format_version: u32,
    /// No changed, missing or unmanaged object (ignored ones do not count).
    pub in_sync: bool,
    /// When live state was read, RFC 3339 in UTC.
    pub checked_at: String,
    pub checked: Checked,
    pub summary: DriftSummary,
    pub changed: Vec<ChangedObject>,
    pub missing: Vec<MissingObject>,
    pub unmanaged: Vec<UnmanagedObject>,
    pub ignored: Vec<IgnoredObject>,
    /// The plan the report was derived from, in the plan JSON shape that `drift --format
    /// json` printed before the report had its own.
    pub plan: Plan,
}

impl DriftReport {
    /// The report of `plan`, made from `desired` against `live`, read at `checked_at`.
    pub fn new(
        plan: Plan,
        desired: &DesiredState,
        live: &[RegistryState],
        checked_at: String,
    ) -> DriftReport {
        let mut report = DriftReport {
            format_version: DRIFT_FORMAT_VERSION,
            in_sync: true,
            checked_at,
            checked: Checked {
                objects: checked_objects(desired) + plan.unmanaged.len(),
                registries: live.len().max(desired.registries.len()),
            },
            summary: DriftSummary::default(),
            changed: Vec::new(),
            missing: Vec::new(),
            unmanaged: Vec::new(),
            ignored: Vec::new(),
            plan: Plan::new(Vec::new(), Vec::new()),
        };
        let rules = |address: &Address| {
            desired
                .registries
                .iter()
                .find(|registry| registry.state.id() == address.registry)
                .map(|registry| &registry.drift)
        };
        for change in &plan.changes {
            let kind = DriftKind::of(change);
            let rules = rules(&change.address);
            let ignored = match kind {
                // A planned change to something outside the spec is a delete apply would make
                // (a pruned repository, a rule that left the spec): never set aside, or the
                // report could say "no drift" about a repository the next apply deletes.
                DriftKind::Unmanaged => None,
                DriftKind::Changed | DriftKind::Missing => rules
                    .and_then(|rules| rules.managed_rule(&change.address))
                    .map(|rule| IgnoredObject {
                        address: change.address.clone(),
                        drift: kind,
                        rule: "drift_ignore".to_owned(),
                        pattern: rule.pattern.to_string(),
                        reason: Some(rule.reason.clone()),
                    }),
            };
            if let Some(ignored) = ignored {
                report.ignored.push(ignored);
                continue;
            }
            match kind {
                DriftKind::Changed => report.changed.push(changed_object(change)),
                DriftKind::Missing => report.missing.push(MissingObject {
                    address: change.address.clone(),
                    spec: change.after.clone(),
                }),
                DriftKind::Unmanaged => report.unmanaged.push(UnmanagedObject {
                    address: change.address.clone(),
                    pruned_by_apply: true,
                }),
            }
        }
        for address in &plan.unmanaged {
            match rules(address).and_then(|rules| rules.unmanaged_pattern(address)) {
                Some(pattern) => report.ignored.push(ignored_unmanaged(address, pattern)),
                None => report.unmanaged.push(UnmanagedObject {
                    address: address.clone(),
                    pruned_by_apply: false,
                }),
            }
        }
        report.summary = DriftSummary {
            changed: report.changed.len(),
            missing: report.missing.len(),
            unmanaged: report.unmanaged.len(),
            ignored: report.ignored.len(),
        };
        report.in_sync =
            report.changed.is_empty() && report.missing.is_empty() && report.unmanaged.is_empty();
        report.plan = plan;
        report
    }
}

fn ignored_unmanaged(address: &Address, pattern: &ecrform_model::NamePattern) -> IgnoredObject {
    IgnoredObject {
        address: address.clone(),
        drift: DriftKind::Unmanaged,
        rule: "ignore_unmanaged".to_owned(),
        pattern: pattern.to_string(),
        reason: None,
    }
}

/// A changed object with only the fields that differ (a document whole).
fn changed_object(change: &Change) -> ChangedObject {
    let only_fields = |value: &Option<Value>| -> Option<Value> {
        let value = value.as_ref()?;
        match value {
            Value::Object(object) if !change.address.kind.is_document() => {
                if change.fields.is_empty() {
                    return Some(value.clone());
                }
                Some(Value::Object(
                    object
                        .iter()
                        .filter(|(key, _)| change.fields.contains(key))
                        .map(|(key, value)| (key.clone(), value.clone()))
                        .collect(),
                ))
            }
            _ => Some(value.clone()),
        }
    };
    ChangedObject {
        address: change.address.clone(),
        fields: change.fields.clone(),
        live: only_fields(&change.before),
        spec: only_fields(&change.after),
    }
}

/// The managed objects of the spec: each repository, each policy it manages, each
/// registry-wide setting it manages.
fn checked_objects(desired: &DesiredState) -> usize {
    desired
        .registries
        .iter()
        .map(|registry| {
            let state = &registry.state;
            let repositories: usize = state
                .repositories
                .values()
                .map(|repository| {
                    1 + usize::from(repository.lifecycle_policy.is_managed())
                        + usize::from(repository.repository_policy.is_managed())
                })
                .sum();
            let settings = RegistryWideKind::ALL
                .into_iter()
                .filter(|kind| state.holds(*kind))
                .count();
            repositories + settings
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_planned_action_is_one_kind_of_drift() {
        let cases = [
            (Action::Create, "repository/team-a/api", DriftKind::Missing),
            (
                Action::Create,
                "lifecycle_policy/team-a/api",
                DriftKind::Missing,
            ),
            (Action::Update, "repository/team-a/api", DriftKind::Changed),
            (Action::Replace, "repository/team-a/api", DriftKind::Changed),
            // Pruned, or a rule that left a keyed set: live, not in the spec.
            (
                Action::Delete,
                "repository/team-a/old",
                DriftKind::Unmanaged,
            ),
            (
                Action::Delete,
                "pull_through_cache/docker-hub",
                DriftKind::Unmanaged,
            ),
            (
                Action::Delete,
                "creation_template/ROOT",
                DriftKind::Unmanaged,
            ),
            // The spec says `none` for something live has: it differs.
            (
                Action::Delete,
                "lifecycle_policy/team-a/api",
                DriftKind::Changed,
            ),
            (
                Action::Delete,
                "repository_policy/team-a/api",
                DriftKind::Changed,
            ),
            (Action::Delete, "replication", DriftKind::Changed),
            (Action::Delete, "registry_policy", DriftKind::Changed),
            (
                Action::Delete,
                "account_setting/BASIC_SCAN_TYPE_VERSION",
                DriftKind::Changed,
            ),
        ];
        for (action, address, expected) in cases {
            let address = Address::parse(&format!("123456789012/us-east-1/{address}")).unwrap();
            let change = Change::new(address.clone(), action, Vec::new(), None, None, Vec::new());
            assert_eq!(DriftKind::of(&change), expected, "{action:?} {address}");
        }
    }

    #[test]
    fn a_changed_object_holds_only_the_fields_that_differ() {
        let change = Change::new(
            Address::parse("123456789012/us-east-1/repository/team-a/api").unwrap(),
            Action::Update,
            vec!["tags".to_owned()],
            Some(serde_json::json!({"scan_on_push": true, "tags": {"hotfix": "yes"}})),
            Some(serde_json::json!({"scan_on_push": true, "tags": {}})),
            Vec::new(),
        );
        let changed = changed_object(&change);
        assert_eq!(
            changed.live,
            Some(serde_json::json!({"tags": {"hotfix": "yes"}}))
        );
        assert_eq!(changed.spec, Some(serde_json::json!({"tags": {}})));
    }
}
