//! Registry scanning: BASIC or ENHANCED, with at most two rules, replaced whole by every Put.

use serde::{Deserialize, Serialize};

use crate::enums::string_enum;

string_enum! {
    /// The registry's scan type.
    pub enum ScanType {
        Basic => "BASIC",
        Enhanced => "ENHANCED",
    }
}

string_enum! {
    /// How often a scanning rule scans the repositories its filters match.
    pub enum ScanFrequency {
        ScanOnPush => "SCAN_ON_PUSH",
        /// ENHANCED scanning only.
        ContinuousScan => "CONTINUOUS_SCAN",
        /// BASIC scanning only, as a rule frequency.
        Manual => "MANUAL",
    }
}

/// The registry scanning configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scanning {
    #[serde(rename = "type")]
    pub scan_type: ScanType,
    #[serde(default)]
    pub rules: Vec<ScanRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRule {
    pub frequency: ScanFrequency,
    /// WILDCARD repository filters.
    pub filters: Vec<String>,
}

impl Scanning {
    /// The configuration ECR reports for a registry nobody has configured: BASIC, no rules.
    /// A real configuration, not "absent": scanning is always there to update.
    pub fn ecr_default() -> Self {
        Scanning {
            scan_type: ScanType::Basic,
            rules: Vec::new(),
        }
    }

    /// The canonical form: each rule's filters as a set, rules ordered by frequency (as ECR
    /// names it) and then by filters.
    pub fn canonical(&self) -> Scanning {
        let mut rules = self.rules.clone();
        for rule in &mut rules {
            rule.filters.sort();
            rule.filters.dedup();
        }
        rules.sort_by(|a, b| {
            (a.frequency.as_str(), &a.filters).cmp(&(b.frequency.as_str(), &b.filters))
        });
        Scanning {
            scan_type: self.scan_type,
            rules,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(frequency: ScanFrequency, filters: &[&str]) -> ScanRule {
        ScanRule {
            frequency,
            filters: filters.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    fn enhanced(rules: Vec<ScanRule>) -> Scanning {
        Scanning {
            scan_type: ScanType::Enhanced,
            rules,
        }
    }

    #[test]
    fn rule_and_filter_order_and_repeats_do_not_matter() {
        let left = enhanced(vec![
            rule(ScanFrequency::ScanOnPush, &["b*", "a*", "a*"]),
            rule(ScanFrequency::ContinuousScan, &["prod/*"]),
        ]);
        let right = enhanced(vec![
            rule(ScanFrequency::ContinuousScan, &["prod/*"]),
            rule(ScanFrequency::ScanOnPush, &["a*", "b*"]),
        ]);
        assert_eq!(left.canonical(), right.canonical());
        assert_eq!(
            left.canonical().rules[0].frequency,
            ScanFrequency::ContinuousScan,
            "rules are ordered by ECR's name for the frequency"
        );
    }

    #[test]
    fn type_frequency_and_filters_are_differences() {
        let base = enhanced(vec![rule(ScanFrequency::ScanOnPush, &["a*"])]);
        let others = [
            Scanning {
                scan_type: ScanType::Basic,
                ..base.clone()
            },
            enhanced(vec![rule(ScanFrequency::ContinuousScan, &["a*"])]),
            enhanced(vec![rule(ScanFrequency::ScanOnPush, &["b*"])]),
            enhanced(Vec::new()),
        ];
        for other in others {
            assert_ne!(base.canonical(), other.canonical(), "{other:?}");
        }
    }
}
