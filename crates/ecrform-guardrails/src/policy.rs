//! What a repository or registry policy grants, statement by statement, for `public-access`
//! and `least-privilege`. It reads the policy's canonical form (principals as `{type: [ids]}`
//! with bare account ids as root ARNs, actions and condition keys in one spelling), and
//! matches actions with IAM's matcher from the model, so `ECR:put*` covers `ecr:PutImage`.

use ecrform_model::policy::action_pattern_matches;
use ecrform_model::{AccountId, IamPolicy};
use serde_json::{Map, Value};

/// Condition keys that restrict who may use an Allow to an organization, account, caller or
/// network path: a statement open to `*` under a condition on one of them is not public
/// (prowler's and IAM Access Analyzer's reading). Written as the canonical form spells them.
pub(crate) const RESTRICTING_CONDITION_KEYS: &[&str] = &[
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:userid",
];

/// Operators under which a restricting key narrows the Allow: a positive match that fails
/// when the key is absent (an `...IfExists` or negated operator does not restrict).
const RESTRICTING_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
    "ForAnyValue:StringEquals",
    "ForAnyValue:StringEqualsIgnoreCase",
    "ForAnyValue:StringLike",
];

/// Actions that change what a repository holds or who may use it: pushing, deleting, and
/// changing policies and settings. Other accounts get none of them by default.
pub(crate) const SENSITIVE_ACTIONS: &[&str] = &[
    "ecr:PutImage",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:BatchDeleteImage",
    "ecr:DeleteRepository",
    "ecr:DeleteRepositoryPolicy",
    "ecr:DeleteLifecyclePolicy",
    "ecr:DeleteRegistryPolicy",
    "ecr:SetRepositoryPolicy",
    "ecr:PutLifecyclePolicy",
    "ecr:PutImageTagMutability",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutRegistryPolicy",
    "ecr:PutReplicationConfiguration",
    "ecr:PutRegistryScanningConfiguration",
];

/// One statement of a canonical policy.
struct Statement<'a> {
    fields: &'a Map<String, Value>,
}

impl<'a> Statement<'a> {
    fn all(policy: &'a IamPolicy) -> impl Iterator<Item = Statement<'a>> {
        policy
            .canonical()
            .get("Statement")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .map(|fields| Statement { fields })
    }

    fn is_allow(&self) -> bool {
        self.fields.get("Effect").and_then(Value::as_str) == Some("Allow")
    }

    fn strings(&self, key: &str) -> Vec<&'a str> {
        self.fields
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }

    /// Every principal id of every type (`AWS`, `Service`, ...), with its type.
    fn principals(&self) -> Vec<(&'a str, &'a str)> {
        self.fields
            .get("Principal")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .flat_map(|(kind, ids)| {
                ids.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(move |id| (kind.as_str(), id))
            })
            .collect()
    }

    fn names_everyone(&self) -> bool {
        self.fields.contains_key("NotPrincipal")
            || self.principals().iter().any(|(_, id)| *id == "*")
    }

    /// Whether the statement allows `action`: an `Action` pattern matches it, or a
    /// `NotAction` list does not name it.
    fn covers(&self, action: &str) -> bool {
        if self.fields.contains_key("NotAction") {
            return !self
                .strings("NotAction")
                .iter()
                .any(|pattern| action_pattern_matches(pattern, action));
        }
        self.strings("Action")
            .iter()
            .any(|pattern| action_pattern_matches(pattern, action))
    }

    /// Whether a condition narrows the statement to an organization, account, caller or
    /// network path.
    fn is_restricted(&self) -> bool {
        let Some(condition) = self.fields.get("Condition").and_then(Value::as_object) else {
            return false;
        };
        condition.iter().any(|(operator, keys)| {
            RESTRICTING_OPERATORS.contains(&operator.as_str())
                && keys.as_object().is_some_and(|keys| {
                    keys.iter().any(|(key, values)| {
                        RESTRICTING_CONDITION_KEYS.contains(&key.as_str())
                            && values.as_array().is_some_and(|values| {
                                !values.is_empty()
                                    && values
                                        .iter()
                                        .filter_map(Value::as_str)
                                        .all(|value| value.chars().any(|c| c != '*'))
                            })
                    })
                })
        })
    }

    /// How a message names the statement: its Sid, or what it allows.
    fn describe(&self) -> String {
        if let Some(sid) = self.fields.get("Sid").and_then(Value::as_str) {
            return format!("statement {sid:?}");
        }
        let actions = if self.fields.contains_key("NotAction") {
            format!("everything but {}", self.strings("NotAction").join(", "))
        } else {
            self.strings("Action").join(", ")
        };
        format!("the statement that allows {actions}")
    }
}

/// The account of an AWS principal id (`arn:PARTITION:iam::ACCOUNT:...`), if it names one.
fn principal_account(id: &str) -> Option<&str> {
    let rest = id.strip_prefix("arn:")?;
    let (_, rest) = rest.split_once(":iam::")?;
    let (account, _) = rest.split_once(':')?;
    Some(account)
}

/// Every Allow open to everyone without a restricting condition, as sentences.
pub(crate) fn public_grants(policy: &IamPolicy) -> Vec<String> {
    Statement::all(policy)
        .filter(|statement| {
            statement.is_allow() && statement.names_everyone() && !statement.is_restricted()
        })
        .map(|statement| {
            let who = if statement.fields.contains_key("NotPrincipal") {
                "everyone but the principals it lists (NotPrincipal)"
            } else {
                "principal *"
            };
            format!(
                "{} allows {who} with no condition on aws:PrincipalOrgID, aws:PrincipalAccount, \
                 aws:SourceAccount or a similar key",
                statement.describe()
            )
        })
        .collect()
}

/// Whether `principal` is allowed to push by `allowed` (account ids, or ARN globs).
fn is_allowed(principal: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|entry| {
        if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
            principal_account(principal) == Some(entry.as_str())
        } else {
            ecrform_lifecycle::glob_matches(entry, principal)
        }
    })
}

/// What goes beyond least privilege in a policy held in `account`'s registry, as sentences:
/// sensitive actions for principals of other accounts (or anyone in an organization) that
/// `allowed` does not list, and grants of every action.
pub(crate) fn excess_grants(
    policy: &IamPolicy,
    account: &AccountId,
    allowed: &[String],
) -> Vec<String> {
    let mut problems = Vec::new();
    for statement in Statement::all(policy).filter(Statement::is_allow) {
        let everything = statement.fields.contains_key("NotAction")
            || statement
                .strings("Action")
                .iter()
                .any(|pattern| *pattern == "*" || *pattern == "ecr:*");
        if everything {
            problems.push(format!(
                "{} grants every ECR action; name the actions it needs",
                statement.describe()
            ));
        }
        let sensitive: Vec<&str> = SENSITIVE_ACTIONS
            .iter()
            .copied()
            .filter(|action| statement.covers(action))
            .collect();
        if sensitive.is_empty() {
            continue;
        }
        // Everyone unrestricted is public-access's finding; under a restricting condition
        // (an organization, say) it is every principal of other accounts there.
        let mut outsiders: Vec<String> = Vec::new();
        if statement.names_everyone() {
            if statement.is_restricted() && !allowed.iter().any(|entry| entry == "*") {
                outsiders.push("every principal its condition admits".to_owned());
            }
        } else {
            for (kind, id) in statement.principals() {
                if kind != "AWS" {
                    continue;
                }
                let other_account = principal_account(id).is_some_and(|a| a != account.as_str());
                if other_account && !is_allowed(id, allowed) {
                    outsiders.push(id.to_owned());
                }
            }
        }
        if outsiders.is_empty() {
            continue;
        }
        let shown: Vec<&str> = sensitive.iter().take(3).copied().collect();
        let more = if sensitive.len() > shown.len() {
            format!(" and {} more", sensitive.len() - shown.len())
        } else {
            String::new()
        };
        problems.push(format!(
            "{} lets {} outside account {account} {}{more}; grant other accounts pull only, or \
             list the principal in allowed_push_principals",
            statement.describe(),
            outsiders.join(", "),
            shown.join(", ")
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(statements: &str) -> IamPolicy {
        IamPolicy::from_json_text(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn public_means_everyone_without_a_restricting_condition() {
        let cases = [
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"ecr:*"}"#,
                true,
            ),
            (
                r#"{"Effect":"allow","Principal":{"AWS":"*"},"Action":"ecr:BatchGetImage"}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","NotPrincipal":{"AWS":"210987654321"},"Action":"ecr:BatchGetImage"}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringEquals":{"AWS:principalorgid":"o-abc"}}}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringEquals":{"aws:PrincipalAccount":["123456789012"]}}}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/*"}}}"#,
                false,
            ),
            // A condition that does not say who: still public.
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
                true,
            ),
            // Negated, IfExists and wildcard-only values do not restrict.
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc"}}}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringLike":{"aws:PrincipalOrgID":"*"}}}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:BatchGetImage"}"#,
                false,
            ),
            (
                r#"{"Effect":"Deny","Principal":"*","Action":"ecr:*"}"#,
                false,
            ),
        ];
        for (statement, public) in cases {
            assert_eq!(
                !public_grants(&policy(statement)).is_empty(),
                public,
                "{statement}"
            );
        }
    }

    #[test]
    fn other_accounts_get_no_sensitive_action_unless_allowed() {
        let account = AccountId::parse("123456789012").unwrap();
        let ci = vec!["arn:aws:iam::210987654321:role/ci-*".to_owned()];
        let cases: &[(&str, &[String], usize)] = &[
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}"#,
                &[],
                0,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:PutImage"}"#,
                &[],
                1,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ECR:put*"}"#,
                &[],
                1,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:role/ci-build"},"Action":"ecr:PutImage"}"#,
                &ci,
                0,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:role/deploy"},"Action":"ecr:PutImage"}"#,
                &ci,
                1,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:PutImage"}"#,
                &["210987654321".to_owned()],
                0,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},"Action":"ecr:PutImage"}"#,
                &[],
                0,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},"Action":"ecr:*"}"#,
                &[],
                1,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"*"}"#,
                &[],
                2,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"210987654321"},"NotAction":"ecr:DeleteRepository"}"#,
                &[],
                2,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"ecr:PutImage"}"#,
                &[],
                0,
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"ecr:PutImage","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}"#,
                &[],
                1,
            ),
            (
                r#"{"Effect":"Deny","Principal":{"AWS":"210987654321"},"Action":"ecr:*"}"#,
                &[],
                0,
            ),
        ];
        for (statement, allowed, problems) in cases {
            let found = excess_grants(&policy(statement), &account, allowed);
            assert_eq!(found.len(), *problems, "{statement}: {found:?}");
        }
    }

    #[test]
    fn messages_name_the_statement_and_the_principal() {
        let account = AccountId::parse("123456789012").unwrap();
        let found = excess_grants(
            &policy(
                r#"{"Sid":"Push","Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":["ecr:PutImage","ecr:InitiateLayerUpload","ecr:UploadLayerPart","ecr:CompleteLayerUpload"]}"#,
            ),
            &account,
            &[],
        );
        assert_eq!(
            found,
            [
                "statement \"Push\" lets arn:aws:iam::210987654321:root outside account \
              123456789012 ecr:PutImage, ecr:InitiateLayerUpload, ecr:UploadLayerPart and 1 \
              more; grant other accounts pull only, or list the principal in \
              allowed_push_principals"
            ]
        );
    }
}
