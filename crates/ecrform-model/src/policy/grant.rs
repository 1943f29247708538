//! What a policy grants: [`IamPolicy::grant`] reads one account's access to one action from
//! the canonical form, as IAM would decide it where the document alone can tell.

use serde_json::{Map, Value};

use super::IamPolicy;
use crate::AccountId;

impl IamPolicy {
    /// Whether the policy definitely lets `account` perform `action`: [`IamPolicy::grant`] is
    /// [`Grant::Allowed`].
    pub fn allows(&self, account: &AccountId, action: &str) -> bool {
        self.grant(account, action) == Grant::Allowed
    }

    /// What the policy says about `account` (as a whole, the way a registry policy names the
    /// account it lets replicate into it) performing `action`, read from the document alone.
    ///
    /// IAM's rule applies (an explicit Deny beats any Allow; nothing allowed is denied), with
    /// what ecrform cannot know from the document treated conservatively:
    ///
    /// - A principal covers the account when it is `"*"` (however written) or the account's
    ///   root ARN (a bare id is one; any partition). A role, user or service principal does
    ///   not: it grants that identity, not the account.
    /// - Actions match as IAM matches them: case-insensitively, with `*` and `?` wildcards, so
    ///   `ecr:*`, `*` and `ecr:Replicate*` cover `ecr:ReplicateImage`.
    /// - Resources are not evaluated: any `Resource` (or none) covers. A registry policy's
    ///   resource is the registry itself (`arn:aws:ecr:REGION:ACCOUNT:repository/*`), and
    ///   ecrform does not know which repositories a caller will touch.
    /// - An Allow counts only when it names what it allows: a statement with `NotPrincipal`,
    ///   `NotAction` or `NotResource` never allows. A Deny counts whenever it may apply:
    ///   `NotPrincipal` and `NotAction` deny what they do not list, `NotResource` is treated
    ///   like `Resource`.
    /// - A statement with a `Condition` decides nothing definitely: a conditional Allow makes
    ///   the answer [`Grant::Conditional`] rather than allowed, and so does a conditional Deny
    ///   over what would otherwise be allowed.
    /// - A statement with neither `Principal` nor `NotPrincipal` names nobody (ECR rejects
    ///   such registry policies) and covers no account.
    pub fn grant(&self, account: &AccountId, action: &str) -> Grant {
        let mut allowed = false;
        let mut allowed_under_condition = false;
        let mut denied_under_condition = false;
        let statements = self
            .canonical()
            .get("Statement")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for statement in statements {
            let Some(statement) = statement.as_object() else {
                continue;
            };
            let conditional = statement.contains_key("Condition");
            match statement.get("Effect").and_then(Value::as_str) {
                Some("Deny") if deny_covers(statement, account, action) => {
                    if !conditional {
                        return Grant::Denied;
                    }
                    denied_under_condition = true;
                }
                Some("Allow") if allow_covers(statement, account, action) => {
                    if conditional {
                        allowed_under_condition = true;
                    } else {
                        allowed = true;
                    }
                }
                _ => {}
            }
        }
        if allowed && !denied_under_condition {
            Grant::Allowed
        } else if allowed || allowed_under_condition {
            Grant::Conditional
        } else {
            Grant::NotAllowed
        }
    }
}

/// What a policy grants one account for one action; see [`IamPolicy::grant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// An Allow without a Condition covers it, and no Deny may apply.
    Allowed,
    /// Whether it is allowed depends on a Condition, which only IAM can evaluate with the
    /// request in hand: only a conditional Allow covers it, or a conditional Deny may refuse
    /// what an Allow grants.
    Conditional,
    /// A Deny without a Condition covers it.
    Denied,
    /// No Allow covers it, so IAM's implicit deny refuses it.
    NotAllowed,
}

/// Whether an Allow statement grants `action` to `account`; see [`IamPolicy::grant`] for why
/// the negated keys never allow.
fn allow_covers(statement: &Map<String, Value>, account: &AccountId, action: &str) -> bool {
    if ["NotPrincipal", "NotAction", "NotResource"]
        .iter()
        .any(|key| statement.contains_key(*key))
    {
        return false;
    }
    let principal_covers = statement
        .get("Principal")
        .is_some_and(|principal| principal_names_account(principal, account));
    let action_covers = statement
        .get("Action")
        .is_some_and(|actions| any_action_matches(actions, action));
    principal_covers && action_covers
}

/// Whether a Deny statement may refuse `action` to `account`: the negated keys deny what they
/// do not list.
fn deny_covers(statement: &Map<String, Value>, account: &AccountId, action: &str) -> bool {
    let principal_covers = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(principal), _) => principal_names_account(principal, account),
        (None, Some(excepted)) => !principal_names_account(excepted, account),
        (None, None) => false,
    };
    let action_covers = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => any_action_matches(actions, action),
        (None, Some(excepted)) => !any_action_matches(excepted, action),
        (None, None) => false,
    };
    principal_covers && action_covers
}

/// Whether a canonical principal (`{type: [ids]}`) names the whole account: `"*"` or its root
/// ARN under `AWS`.
fn principal_names_account(principal: &Value, account: &AccountId) -> bool {
    let ids = principal
        .get("AWS")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    ids.iter()
        .filter_map(Value::as_str)
        .any(|id| id == "*" || is_root_arn_of(id, account))
}

/// `arn:PARTITION:iam::ACCOUNT:root` in any partition: a registry in `aws-cn` or
/// `aws-us-gov` names accounts in its own partition.
fn is_root_arn_of(arn: &str, account: &AccountId) -> bool {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":iam::"))
        .is_some_and(|(partition, rest)| {
            !partition.is_empty()
                && !partition.contains(':')
                && rest.strip_suffix(":root") == Some(account.as_str())
        })
}

/// Whether any of a canonical action list's patterns matches `action`.
fn any_action_matches(patterns: &Value, action: &str) -> bool {
    patterns
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .any(|pattern| action_pattern_matches(pattern, action))
}

/// IAM's action matching: case-insensitive (service prefix and action name alike), `*` for any
/// run of characters and `?` for one. Public for the guardrails, which ask what a statement's
/// actions cover.
pub fn action_pattern_matches(pattern: &str, action: &str) -> bool {
    wildcard_matches(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

/// IAM's wildcard matching, case-sensitive as ARNs are: `*` for any run of characters and `?`
/// for one, anchored at both ends.
pub(super) fn wildcard_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Greedy matching that backtracks only to the last `*`: linear for the patterns IAM
    // allows, and enough because a later `*` can absorb whatever an earlier one would.
    let (mut p, mut a) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while a < text.len() {
        match pattern.get(p) {
            Some('*') => {
                last_star = Some((p, a));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[a] => {
                p += 1;
                a += 1;
            }
            _ => match last_star {
                Some((star, matched)) => {
                    p = star + 1;
                    a = matched + 1;
                    last_star = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::test_documents::{PULL, PULL_AS_ECR_RETURNS_IT, policy};

    const SOURCE: &str = "123456789012";

    /// A registry policy of the given statements.
    fn statements(statements: &str) -> IamPolicy {
        policy(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
        ))
    }

    #[test]
    fn grant_follows_iam_with_unknowns_treated_conservatively() {
        use Grant::{Allowed, Conditional, Denied, NotAllowed};
        let account = AccountId::parse(SOURCE).unwrap();
        const REPLICATE: &str = "ecr:ReplicateImage";
        // The statement the ECR user guide shows for cross-account replication.
        const GUIDE: &str = r#"{"Sid":"ReplicationAccessCrossAccount","Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::123456789012:root"},
            "Action":["ecr:CreateRepository","ecr:ReplicateImage"],
            "Resource":"arn:aws:ecr:eu-west-1:210987654321:repository/*"}"#;
        let cases: &[(&str, String, &str, Grant)] = &[
            ("the user guide's statement", GUIDE.into(), REPLICATE, Allowed),
            ("the user guide's statement, the other action", GUIDE.into(), "ecr:CreateRepository", Allowed),
            ("an action the statement does not list", GUIDE.into(), "ecr:BatchGetImage", NotAllowed),
            ("the account as a bare id", r#"{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, Allowed),
            ("the account in another partition", r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws-cn:iam::123456789012:root"},"Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, Allowed),
            ("everyone as \"*\"", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, Allowed),
            ("everyone as AWS \"*\"", r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, Allowed),
            ("another account", r#"{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, NotAllowed),
            ("a role of the account is not the account", r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/replication"},"Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, NotAllowed),
            ("a service principal", r#"{"Effect":"Allow","Principal":{"Service":"ecr.amazonaws.com"},"Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, NotAllowed),
            ("an account id that only ends like the account", r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::9123456789012:root"},"Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, NotAllowed),
            ("no principal", r#"{"Effect":"Allow","Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, NotAllowed),
            ("the action in another case", r#"{"Effect":"Allow","Principal":"*","Action":"ECR:replicateimage"}"#.into(), REPLICATE, Allowed),
            ("the service's wildcard", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*"}"#.into(), REPLICATE, Allowed),
            ("every action", r#"{"Effect":"Allow","Principal":"*","Action":"*"}"#.into(), REPLICATE, Allowed),
            ("a prefix wildcard", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:Replicate*"}"#.into(), REPLICATE, Allowed),
            ("a single-character wildcard", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:Replicate?mage"}"#.into(), REPLICATE, Allowed),
            ("an infix wildcard", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*Image"}"#.into(), REPLICATE, Allowed),
            ("a wildcard that does not match", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:Create*"}"#.into(), REPLICATE, NotAllowed),
            ("another service's wildcard", r#"{"Effect":"Allow","Principal":"*","Action":"ecr-public:*"}"#.into(), REPLICATE, NotAllowed),
            ("an action that only starts like it", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:ReplicateImages"}"#.into(), REPLICATE, NotAllowed),
            ("any resource covers", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:ReplicateImage","Resource":"arn:aws:ecr:eu-west-1:210987654321:repository/team-a/*"}"#.into(), REPLICATE, Allowed),
            ("an allow with NotAction never allows", r#"{"Effect":"Allow","Principal":"*","NotAction":"ecr:DeleteRepository"}"#.into(), REPLICATE, NotAllowed),
            ("an allow with NotPrincipal never allows", r#"{"Effect":"Allow","NotPrincipal":{"AWS":"210987654321"},"Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, NotAllowed),
            ("an allow with NotResource never allows", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:ReplicateImage","NotResource":"arn:aws:ecr:eu-west-1:210987654321:repository/secret"}"#.into(), REPLICATE, NotAllowed),
            ("an allow with a condition", r#"{"Effect":"Allow","Principal":"*","Action":"ecr:ReplicateImage","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}"#.into(), REPLICATE, Conditional),
            ("a deny beats an allow", format!(r#"{GUIDE},{{"Effect":"Deny","Principal":"*","Action":"ecr:Replicate*"}}"#), REPLICATE, Denied),
            ("a deny of another action leaves the allow", format!(r#"{GUIDE},{{"Effect":"Deny","Principal":"*","Action":"ecr:DeleteRepository"}}"#), REPLICATE, Allowed),
            ("a deny of another account leaves the allow", format!(r#"{GUIDE},{{"Effect":"Deny","Principal":{{"AWS":"210987654321"}},"Action":"ecr:*"}}"#), REPLICATE, Allowed),
            ("a deny without an allow", r#"{"Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, Denied),
            ("a deny with NotPrincipal that excepts the account", format!(r#"{GUIDE},{{"Effect":"Deny","NotPrincipal":{{"AWS":"123456789012"}},"Action":"ecr:*"}}"#), REPLICATE, Allowed),
            ("a deny with NotPrincipal that excepts another account", format!(r#"{GUIDE},{{"Effect":"Deny","NotPrincipal":{{"AWS":"210987654321"}},"Action":"ecr:*"}}"#), REPLICATE, Denied),
            ("a deny with NotAction that excepts the action", format!(r#"{GUIDE},{{"Effect":"Deny","Principal":"*","NotAction":["ecr:CreateRepository","ecr:ReplicateImage"]}}"#), REPLICATE, Allowed),
            ("a deny with NotAction that excepts another action", format!(r#"{GUIDE},{{"Effect":"Deny","Principal":"*","NotAction":"ecr:BatchGetImage"}}"#), REPLICATE, Denied),
            ("a deny on some resources still counts", format!(r#"{GUIDE},{{"Effect":"Deny","Principal":"*","Action":"ecr:*","NotResource":"arn:aws:ecr:eu-west-1:210987654321:repository/team-a/*"}}"#), REPLICATE, Denied),
            ("a conditional deny over an allow", format!(r#"{GUIDE},{{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#), REPLICATE, Conditional),
            ("a conditional deny without an allow", r#"{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#.into(), REPLICATE, NotAllowed),
            ("a deny without a principal names nobody", format!(r#"{GUIDE},{{"Effect":"Deny","Action":"ecr:*"}}"#), REPLICATE, Allowed),
            ("an unconditional allow next to a conditional one", format!(r#"{GUIDE},{{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{{"StringEquals":{{"aws:PrincipalOrgID":"o-abc"}}}}}}"#), REPLICATE, Allowed),
            ("the effect in another case", r#"{"Effect":"allow","Principal":"*","Action":"ecr:ReplicateImage"}"#.into(), REPLICATE, Allowed),
        ];
        let mut failures = Vec::new();
        for (case, written, action, expected) in cases {
            let policy = statements(written);
            let grant = policy.grant(&account, action);
            if grant != *expected {
                failures.push(format!("{case}: expected {expected:?}, got {grant:?}"));
            }
            if policy.allows(&account, action) != (*expected == Allowed) {
                failures.push(format!("{case}: allows() disagrees with grant()"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn grant_does_not_depend_on_how_the_policy_is_written() {
        let (written, returned) = (policy(PULL), policy(PULL_AS_ECR_RETURNS_IT));
        let named = AccountId::parse("210987654321").unwrap();
        let owner_of_a_role = AccountId::parse(SOURCE).unwrap();
        for account in [&named, &owner_of_a_role] {
            for action in ["ecr:BatchGetImage", "ecr:PutImage"] {
                assert_eq!(
                    written.grant(account, action),
                    returned.grant(account, action)
                );
            }
        }
        assert!(written.allows(&named, "ecr:BatchGetImage"));
        // PULL names a role of 123456789012, which does not grant the account itself.
        assert!(!written.allows(&owner_of_a_role, "ecr:BatchGetImage"));
    }

    #[test]
    fn action_patterns_match_like_iam() {
        let cases = [
            ("ecr:ReplicateImage", "ecr:ReplicateImage", true),
            ("ecr:replicateimage", "ECR:ReplicateImage", true),
            ("*", "ecr:ReplicateImage", true),
            ("ecr:*", "ecr:ReplicateImage", true),
            ("ecr:*e", "ecr:ReplicateImage", true),
            ("ecr:*a*e*", "ecr:ReplicateImage", true),
            ("ecr:R*I*", "ecr:ReplicateImage", true),
            ("ecr:Re?licateImage", "ecr:ReplicateImage", true),
            ("ecr:**Image", "ecr:ReplicateImage", true),
            ("ecr:*Images", "ecr:ReplicateImage", false),
            ("ecr:Replicate", "ecr:ReplicateImage", false),
            ("ecr:ReplicateImage?", "ecr:ReplicateImage", false),
            ("ecr", "ecr:ReplicateImage", false),
            ("", "ecr:ReplicateImage", false),
            ("ecr?ReplicateImage", "ecr:ReplicateImage", true),
        ];
        for (pattern, action, expected) in cases {
            assert_eq!(
                action_pattern_matches(pattern, action),
                expected,
                "{pattern:?} against {action:?}"
            );
        }
    }
}
