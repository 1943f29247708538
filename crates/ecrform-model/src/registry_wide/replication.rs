//! Registry replication: one document per registry, replaced whole by every Put.

use serde::{Deserialize, Serialize};

use crate::{AccountId, Region};

/// The replication configuration as ECR holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replication {
    pub rules: Vec<ReplicationRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationRule {
    pub destinations: Vec<ReplicationDestination>,
    /// PREFIX_MATCH repository filters; empty replicates every repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repository_filters: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReplicationDestination {
    pub region: Region,
    /// Filled with the source registry's account when the spec leaves it out.
    pub account: AccountId,
}

impl Replication {
    /// The canonical form, `None` when there are no rules: ECR reports a registry that never
    /// replicated, and one whose rules were cleared, as `rules: []`, which is no replication.
    ///
    /// Destinations and filters of a rule are sets, and rules apply together (an image goes
    /// to every destination of every rule that matches it), so all three are sorted; a
    /// repeated destination or filter is dropped, a repeated rule is kept as ECR keeps it.
    pub fn canonical(&self) -> Option<Replication> {
        let mut rules: Vec<ReplicationRule> = self
            .rules
            .iter()
            .map(|rule| {
                let mut destinations = rule.destinations.clone();
                destinations.sort();
                destinations.dedup();
                let mut repository_filters = rule.repository_filters.clone();
                repository_filters.sort();
                repository_filters.dedup();
                ReplicationRule {
                    destinations,
                    repository_filters,
                }
            })
            .collect();
        // By each rule's JSON text: the order the plan shows them in, stable across releases.
        rules.sort_by_cached_key(|rule| serde_json::to_string(rule).unwrap_or_default());
        (!rules.is_empty()).then_some(Replication { rules })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination(region: &str, account: &str) -> ReplicationDestination {
        ReplicationDestination {
            region: Region::parse(region).unwrap(),
            account: AccountId::parse(account).unwrap(),
        }
    }

    fn rule(destinations: &[(&str, &str)], filters: &[&str]) -> ReplicationRule {
        ReplicationRule {
            destinations: destinations
                .iter()
                .map(|(region, account)| destination(region, account))
                .collect(),
            repository_filters: filters.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    #[test]
    fn equivalent_configurations_have_one_canonical_form() {
        let a = ("eu-west-1", "111111111111");
        let b = ("us-east-1", "222222222222");
        let cases = [
            (
                "destination and filter order",
                vec![rule(&[a, b], &["x/", "a/"])],
                vec![rule(&[b, a], &["a/", "x/"])],
            ),
            (
                "repeated destination and filter",
                vec![rule(&[a, a], &["a/", "a/"])],
                vec![rule(&[a], &["a/"])],
            ),
            (
                "rule order",
                vec![rule(&[b], &[]), rule(&[a], &["a/"])],
                vec![rule(&[a], &["a/"]), rule(&[b], &[])],
            ),
        ];
        for (what, left, right) in cases {
            assert_eq!(
                Replication { rules: left }.canonical(),
                Replication { rules: right }.canonical(),
                "{what}"
            );
        }
    }

    #[test]
    fn real_differences_stay_differences_and_no_rules_is_none() {
        let a = ("eu-west-1", "111111111111");
        let b = ("us-east-1", "222222222222");
        let cases = [
            (vec![rule(&[a], &[])], vec![rule(&[b], &[])]),
            (vec![rule(&[a], &["a/"])], vec![rule(&[a], &["b/"])]),
            (
                vec![rule(&[a], &[])],
                vec![rule(&[a], &[]), rule(&[a], &[])],
            ),
        ];
        for (left, right) in cases {
            assert_ne!(
                Replication {
                    rules: left.clone()
                }
                .canonical(),
                Replication {
                    rules: right.clone()
                }
                .canonical(),
                "{left:?} vs {right:?}"
            );
        }
        assert_eq!(Replication { rules: Vec::new() }.canonical(), None);
    }
}
