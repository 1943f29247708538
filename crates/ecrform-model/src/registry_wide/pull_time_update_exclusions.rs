//! Pull-time update exclusions (RegisterPullTimeUpdateExclusion /
//! DeregisterPullTimeUpdateExclusion / ListPullTimeUpdateExclusions): the IAM roles and users
//! whose pulls ECR does not record as an image's last pull time, so that a scanner or a
//! mirroring job pulling everything does not keep every image "recently pulled" for lifecycle
//! rules that count from the last pull.
//!
//! The exclusions are a set of principal ARNs, each registered and deregistered on its own.
//! The set is its own canonical form: the order and repeats of the spec's list are gone once
//! it is built, and ECR lists each ARN as it was registered. ARNs compare exactly, as IAM and
//! ECR match them: a different case, path or partition is another principal.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The principal ARNs excluded from pull-time updates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PullTimeUpdateExclusions(BTreeSet<String>);

impl PullTimeUpdateExclusions {
    /// At most this many exclusions per registry: ListPullTimeUpdateExclusions takes up to
    /// 1,000 results a page but its `PullTimeUpdateExclusionList` holds at most 100, and
    /// RegisterPullTimeUpdateExclusion answers LimitExceededException beyond that.
    pub const MAX: usize = 100;
    /// A principal ARN is at most this long (`PrincipalArn`).
    pub const PRINCIPAL_ARN_MAX_CHARS: usize = 200;

    pub fn new() -> Self {
        PullTimeUpdateExclusions::default()
    }

    /// The principals `self` has and `other` lacks, in order: what registering makes `other`
    /// hold, or, the other way round, what deregistering takes away.
    pub fn missing_from<'a>(&'a self, other: &'a Self) -> impl Iterator<Item = &'a String> + 'a {
        self.0.difference(&other.0)
    }
}

impl std::ops::Deref for PullTimeUpdateExclusions {
    type Target = BTreeSet<String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for PullTimeUpdateExclusions {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<S: Into<String>> FromIterator<S> for PullTimeUpdateExclusions {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        PullTimeUpdateExclusions(iter.into_iter().map(Into::into).collect())
    }
}

impl<'a> IntoIterator for &'a PullTimeUpdateExclusions {
    type Item = &'a String;
    type IntoIter = std::collections::btree_set::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCANNER: &str = "arn:aws:iam::123456789012:role/scanner";
    const MIRROR: &str = "arn:aws:iam::123456789012:user/mirror";

    fn set(arns: &[&str]) -> PullTimeUpdateExclusions {
        arns.iter().copied().collect()
    }

    #[test]
    fn list_order_and_repeats_are_no_difference() {
        let cases = [
            ("order", set(&[SCANNER, MIRROR]), set(&[MIRROR, SCANNER])),
            ("a repeat", set(&[SCANNER, SCANNER]), set(&[SCANNER])),
            ("nothing", set(&[]), PullTimeUpdateExclusions::new()),
        ];
        for (what, left, right) in cases {
            assert_eq!(left, right, "{what}");
        }
    }

    #[test]
    fn another_spelling_of_a_principal_is_another_principal() {
        let cases = [
            ("case", "arn:aws:iam::123456789012:role/Scanner"),
            ("path", "arn:aws:iam::123456789012:role/ci/scanner"),
            ("partition", "arn:aws-us-gov:iam::123456789012:role/scanner"),
            ("user for role", "arn:aws:iam::123456789012:user/scanner"),
            ("account", "arn:aws:iam::210987654321:role/scanner"),
        ];
        for (what, other) in cases {
            assert_ne!(set(&[SCANNER]), set(&[other]), "{what}");
        }
    }

    #[test]
    fn what_one_set_lacks_is_what_registering_adds() {
        let want = set(&[SCANNER, MIRROR]);
        let have = set(&[MIRROR, "arn:aws:iam::123456789012:role/old"]);
        let added: Vec<&String> = want.missing_from(&have).collect();
        let removed: Vec<&String> = have.missing_from(&want).collect();
        assert_eq!(added, [SCANNER]);
        assert_eq!(removed, ["arn:aws:iam::123456789012:role/old"]);
    }
}
