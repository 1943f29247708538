//! Cross-account replication only works when the destination registry's policy lets the
//! source account create repositories and replicate images there. ECR accepts the replication
//! configuration either way and then silently replicates nothing, so when both registries are
//! in the spec, validation checks the pair after every file is merged: a registry and the
//! registries it replicates to may well be written in different files.
//!
//! What is checked, for each destination of each replication rule whose account is not the
//! source registry's and whose registry (account and destination region) is in the spec:
//!
//! - `registry_policy` is a document: it must allow the source account both actions (see
//!   [`ecrform_model::IamPolicy::grant`] for how a document is read). Not allowed or denied is
//!   an error; allowed only under a `Condition` is a warning, because IAM alone can evaluate a
//!   condition, with the request in hand.
//! - `registry_policy: none`: an error, since the registry then has no policy at all.
//! - `registry_policy` left out: a warning that it cannot be checked.
//!
//! A destination registry that is not in the spec is not checked: nothing in the spec says
//! what its policy is. Each source and destination pair is reported once, at its first
//! destination entry, even when several rules name it: there is one policy to fix.

use std::collections::{BTreeMap, BTreeSet};

use ecrform_model::policy::Grant;
use ecrform_model::{AccountId, DesiredRegistry, IamPolicy, Region, RegistryId, Setting};

use crate::raw::{OrNone, RawFile, RawRegistry};
use crate::report::Location;
use crate::validator::Validator;

/// What ECR's replication does in a destination registry on the source account's behalf.
pub(crate) const REPLICATION_ACTIONS: [&str; 2] = ["ecr:CreateRepository", "ecr:ReplicateImage"];

/// What a destination registry's `registry_policy` setting means for replication into it from
/// one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReplicationAccess {
    /// The policy allows every replication action.
    Allowed,
    /// `registry_policy` is not managed, so the spec cannot tell.
    Unknown,
    /// `registry_policy: none`: the registry must have no policy, so nothing is allowed.
    NoPolicy,
    /// The policy does not definitely allow every action.
    Incomplete {
        /// Actions no Allow grants or a Deny refuses: replication fails.
        refused: Vec<&'static str>,
        /// Of `refused`, those a Deny refuses.
        denied: Vec<&'static str>,
        /// Actions whose fate depends on a Condition.
        conditional: Vec<&'static str>,
    },
}

/// How `policy`, a destination registry's `registry_policy`, treats replication from `source`.
pub(crate) fn replication_access(
    source: &AccountId,
    policy: &Setting<IamPolicy>,
) -> ReplicationAccess {
    let policy = match policy {
        Setting::Unmanaged => return ReplicationAccess::Unknown,
        Setting::Absent => return ReplicationAccess::NoPolicy,
        Setting::Present(policy) => policy,
    };
    let (mut refused, mut denied, mut conditional) = (Vec::new(), Vec::new(), Vec::new());
    for action in REPLICATION_ACTIONS {
        match policy.grant(source, action) {
            Grant::Allowed => {}
            Grant::Conditional => conditional.push(action),
            Grant::Denied => {
                refused.push(action);
                denied.push(action);
            }
            Grant::NotAllowed => refused.push(action),
        }
    }
    if refused.is_empty() && conditional.is_empty() {
        ReplicationAccess::Allowed
    } else {
        ReplicationAccess::Incomplete {
            refused,
            denied,
            conditional,
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// One destination entry of a replication rule that leaves its source account.
#[derive(Debug)]
struct CrossAccountDestination {
    source: RegistryId,
    destination: RegistryId,
    at: Location,
}

impl Validator<'_> {
    /// Checks every cross-account replication destination whose registry is in the spec
    /// against that registry's `registry_policy`; `registries` is the merged desired state of
    /// `files`.
    pub(crate) fn cross_account_replication(
        &mut self,
        files: &[RawFile],
        registries: &[DesiredRegistry],
    ) {
        let by_id: BTreeMap<RegistryId, &DesiredRegistry> = registries
            .iter()
            .map(|registry| (registry.state.id(), registry))
            .collect();
        let entries: Vec<(RegistryId, &RawRegistry)> = files
            .iter()
            .flat_map(|file| &file.registries)
            .filter_map(|entry| Some((registry_id(entry)?, entry)))
            .collect();

        // Where each registry's policy is written: the first place, as validation keeps it.
        let mut policy_at: BTreeMap<&RegistryId, Location> = BTreeMap::new();
        for (id, entry) in &entries {
            if let Some(field) = &entry.registry_policy {
                policy_at
                    .entry(id)
                    .or_insert(Location::new(entry.file, field.at));
            }
        }

        let mut reported = BTreeSet::new();
        for destination in cross_account_destinations(&entries, &by_id) {
            let Some(target) = by_id.get(&destination.destination) else {
                continue;
            };
            if !reported.insert((destination.source.clone(), destination.destination.clone())) {
                continue;
            }
            let policy = &target.state.registry_policy;
            let policy_place = policy_at.get(&destination.destination).copied();
            // A policy that was written but did not load has its own error already.
            if policy.is_unmanaged() && policy_place.is_some() {
                continue;
            }
            self.replication_destination(&destination, policy, policy_place);
        }
    }

    fn replication_destination(
        &mut self,
        destination: &CrossAccountDestination,
        policy: &Setting<IamPolicy>,
        policy_place: Option<Location>,
    ) {
        let account = &destination.source.account;
        let shown = format!(
            "replication to {}/{}",
            destination.destination.account, destination.destination.region
        );
        let see = policy_place
            .map(|place| format!(" (see {})", self.report.describe(place)))
            .unwrap_or_default();
        let all = and_list(&REPLICATION_ACTIONS);
        match replication_access(account, policy) {
            ReplicationAccess::Allowed => {}
            ReplicationAccess::Unknown => self.report.warning(
                destination.at,
                format!(
                    "{shown} cannot be checked: that registry's registry_policy is not managed \
                     here, and it must allow account {account} {all}"
                ),
            ),
            ReplicationAccess::NoPolicy => self.report.error(
                destination.at,
                format!(
                    "{shown} needs a registry policy there allowing account {account} {all}, but \
                     its registry_policy is none{see}"
                ),
            ),
            ReplicationAccess::Incomplete {
                refused,
                denied,
                conditional,
            } => {
                if !refused.is_empty() {
                    let denial = if denied.is_empty() {
                        String::new()
                    } else {
                        format!("; a Deny statement there refuses {}", and_list(&denied))
                    };
                    self.report.error(
                        destination.at,
                        format!(
                            "{shown} needs that registry's registry_policy to allow account \
                             {account} {}{denial}{see}",
                            and_list(&refused)
                        ),
                    );
                }
                if !conditional.is_empty() {
                    self.report.warning(
                        destination.at,
                        format!(
                            "{shown} cannot be fully checked: whether that registry's \
                             registry_policy allows account {account} {} depends on a Condition{see}",
                            and_list(&conditional)
                        ),
                    );
                }
            }
        }
    }
}

/// Every destination entry, in file order, of the replication that validation kept for each
/// registry (the first `replication` written, and only when it was valid), whose account is
/// not the source registry's.
fn cross_account_destinations(
    entries: &[(RegistryId, &RawRegistry)],
    by_id: &BTreeMap<RegistryId, &DesiredRegistry>,
) -> Vec<CrossAccountDestination> {
    let mut seen_replication = BTreeSet::new();
    let mut destinations = Vec::new();
    for (source, entry) in entries {
        let Some(field) = &entry.replication else {
            continue;
        };
        if !seen_replication.insert(source) {
            continue;
        }
        let valid = by_id
            .get(source)
            .is_some_and(|registry| registry.state.replication.present().is_some());
        let OrNone::Some(replication) = &field.value else {
            continue;
        };
        if !valid {
            continue;
        }
        for rule in &replication.rules.value {
            let Some(listed) = &rule.destinations else {
                continue;
            };
            for raw in &listed.value {
                let region = raw
                    .region
                    .as_ref()
                    .and_then(|region| Region::parse(&region.value).ok());
                let account = match &raw.account {
                    Some(account) => AccountId::parse(&account.value).ok(),
                    None => Some(source.account.clone()),
                };
                let (Some(region), Some(account)) = (region, account) else {
                    continue;
                };
                if account == source.account {
                    continue;
                }
                destinations.push(CrossAccountDestination {
                    source: source.clone(),
                    destination: RegistryId::new(account, region),
                    at: Location::new(entry.file, raw.at),
                });
            }
        }
    }
    destinations
}

/// A registry entry's id when its account and region are valid (their errors are reported
/// where they are checked).
fn registry_id(entry: &RawRegistry) -> Option<RegistryId> {
    let account = AccountId::parse(&entry.account.as_ref()?.value).ok()?;
    let region = Region::parse(&entry.region.as_ref()?.value).ok()?;
    Some(RegistryId::new(account, region))
}

#[cfg(test)]
mod tests;
