//! Managed signing: the registry's signing configuration (GetSigningConfiguration /
//! PutSigningConfiguration / DeleteSigningConfiguration), one document per registry, replaced
//! whole by every Put.
//!
//! Each rule names an AWS Signer signing profile and, optionally, WILDCARD_MATCH repository
//! filters; an image pushed to a repository a rule matches gets a signing job with that rule's
//! profile, and a rule without filters matches every repository. Rules are independent of each
//! other (ECR evaluates each one against the push, there is no precedence), so their order
//! means nothing and the canonical form sorts them; a filter matches or it does not, so a
//! rule's filters are a set. A rule written twice is kept twice, as ECR keeps it: ecrform does
//! not know that ECR signs once for two identical rules, and treating them as one would hide
//! a difference ECR reports.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

/// The signing configuration as ECR holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningConfiguration {
    pub rules: Vec<SigningRule>,
}

/// One signing rule: a Signer profile and the repositories whose pushed images it signs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SigningRule {
    pub signing_profile_arn: String,
    /// WILDCARD_MATCH repository filters (`*` matches any run of characters); empty signs the
    /// images of every repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repository_filters: Vec<String>,
}

impl SigningConfiguration {
    /// At most this many rules (the API model's `SigningRuleList`).
    pub const MAX_RULES: usize = 10;

    /// The canonical form, `None` when there are no rules: a configuration without rules
    /// signs nothing, as no configuration does, so both are "absent" (and the planner clears
    /// a configuration with DeleteSigningConfiguration).
    ///
    /// Each rule's filters are sorted and deduplicated; rules are sorted, repeats kept.
    pub fn canonical(&self) -> Option<SigningConfiguration> {
        let mut rules: Vec<SigningRule> = self.rules.iter().map(SigningRule::canonical).collect();
        rules.sort();
        (!rules.is_empty()).then_some(SigningConfiguration { rules })
    }
}

impl SigningRule {
    /// At most this many repository filters per rule (`SigningRepositoryFilterList`; the API
    /// also refuses an empty list, so a rule without filters sends none).
    pub const MAX_FILTERS: usize = 100;
    /// A signing profile ARN is at most this long (`SigningProfileArn`).
    pub const PROFILE_ARN_MAX_CHARS: usize = 200;
    /// A repository filter's length (`SigningRepositoryFilterValue`).
    pub const FILTER_CHARS: RangeInclusive<usize> = 1..=256;

    /// The rule with its filters as a set.
    pub fn canonical(&self) -> SigningRule {
        let mut repository_filters = self.repository_filters.clone();
        repository_filters.sort();
        repository_filters.dedup();
        SigningRule {
            signing_profile_arn: self.signing_profile_arn.clone(),
            repository_filters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROD: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/prod_signing";
    const DEV: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/dev_signing";

    fn rule(profile: &str, filters: &[&str]) -> SigningRule {
        SigningRule {
            signing_profile_arn: profile.to_owned(),
            repository_filters: filters.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    fn configuration(rules: Vec<SigningRule>) -> SigningConfiguration {
        SigningConfiguration { rules }
    }

    #[test]
    fn equivalent_configurations_have_one_canonical_form() {
        let cases = [
            (
                "filter order",
                vec![rule(PROD, &["team-b/*", "team-a/*"])],
                vec![rule(PROD, &["team-a/*", "team-b/*"])],
            ),
            (
                "a repeated filter",
                vec![rule(PROD, &["team-a/*", "team-a/*"])],
                vec![rule(PROD, &["team-a/*"])],
            ),
            (
                "rule order",
                vec![rule(PROD, &["prod-*"]), rule(DEV, &[])],
                vec![rule(DEV, &[]), rule(PROD, &["prod-*"])],
            ),
            (
                "rules with one profile, in either order",
                vec![rule(PROD, &["b*"]), rule(PROD, &["a*"])],
                vec![rule(PROD, &["a*"]), rule(PROD, &["b*"])],
            ),
        ];
        for (what, left, right) in cases {
            assert_eq!(
                configuration(left).canonical(),
                configuration(right).canonical(),
                "{what}"
            );
        }
    }

    #[test]
    fn real_differences_stay_differences_and_no_rules_is_none() {
        let cases = [
            (
                "another profile",
                vec![rule(PROD, &[])],
                vec![rule(DEV, &[])],
            ),
            (
                "another filter",
                vec![rule(PROD, &["team-a/*"])],
                vec![rule(PROD, &["team-b/*"])],
            ),
            (
                "filters against every repository",
                vec![rule(PROD, &["team-a/*"])],
                vec![rule(PROD, &[])],
            ),
            (
                "a rule written twice",
                vec![rule(PROD, &[])],
                vec![rule(PROD, &[]), rule(PROD, &[])],
            ),
            (
                "a filter moved to another rule",
                vec![rule(PROD, &["a*"]), rule(DEV, &["b*"])],
                vec![rule(PROD, &["b*"]), rule(DEV, &["a*"])],
            ),
        ];
        for (what, left, right) in cases {
            assert_ne!(
                configuration(left).canonical(),
                configuration(right).canonical(),
                "{what}"
            );
        }
        assert_eq!(configuration(Vec::new()).canonical(), None);
    }
}
