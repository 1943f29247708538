//! IAM policy documents (repository and registry policies) and their canonical form.
//!
//! ECR re-serializes policies, rewrites bare account ids to root ARNs and may reorder lists.
//! Comparing the text would plan a rewrite on every run (peer tools have been seen calling
//! SetRepositoryPolicy hundreds of thousands of times that way), so two documents are equal
//! when their canonical forms are equal; see [`canonicalize`] for what that form is.
//!
//! The same canonical form answers one narrow question about what a policy grants (see
//! [`IamPolicy::grant`]): validation uses it to check, before any API call, that a registry
//! policy lets another account replicate into its registry.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::canonical::{
    child_index, child_key, json_kind, sort_keys_deep, sorted_bag, sorted_object, sorted_set,
};
use crate::{AccountId, DocumentError, PathSegment};

/// A repository or registry policy: the document as written (what ecrform sends) and its
/// canonical form (what ecrform compares and shows in diffs).
#[derive(Debug, Clone)]
pub struct IamPolicy {
    // Shared: a spec applies one named document to many repositories, and every clone of a
    // policy (desired state, plans) then costs a pointer, not a JSON tree.
    document: Arc<Value>,
    canonical: Arc<Value>,
}

impl IamPolicy {
    /// Checks the document's shape and computes its canonical form.
    pub fn from_value(document: Value) -> Result<Self, DocumentError> {
        let canonical = canonicalize(&document)?;
        Ok(IamPolicy {
            document: Arc::new(document),
            canonical: Arc::new(canonical),
        })
    }

    /// Parses policy text as ECR returns it (any JSON formatting).
    pub fn from_json_text(text: &str) -> Result<Self, DocumentError> {
        let document: Value = serde_json::from_str(text)
            .map_err(|e| DocumentError::at_root(format!("policy text is not valid JSON: {e}")))?;
        IamPolicy::from_value(document)
    }

    /// The document as written.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The canonical form: equal for equivalent documents.
    pub fn canonical(&self) -> &Value {
        &self.canonical
    }

    /// The text sent to ECR: the document as written, minified.
    pub fn to_compact_json(&self) -> String {
        self.document.to_string()
    }

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
            .canonical
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
/// run of characters and `?` for one.
fn action_pattern_matches(pattern: &str, action: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let action: Vec<char> = action.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Greedy matching that backtracks only to the last `*`: linear for the patterns IAM
    // allows, and enough because a later `*` can absorb whatever an earlier one would.
    let (mut p, mut a) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while a < action.len() {
        match pattern.get(p) {
            Some('*') => {
                last_star = Some((p, a));
                p += 1;
            }
            Some(&c) if c == '?' || c == action[a] => {
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

impl PartialEq for IamPolicy {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl Serialize for IamPolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.document.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for IamPolicy {
    /// Accepts a JSON object or the policy text ECR returns.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let result = match value {
            Value::String(text) => IamPolicy::from_json_text(&text),
            other => IamPolicy::from_value(other),
        };
        result.map_err(|e| serde::de::Error::custom(format!("policy{}: {e}", e.pointer())))
    }
}

/// The canonical form of an IAM policy document, or the first shape error found in it.
///
/// Two documents with equal canonical forms grant the same thing as far as ECR is concerned.
/// The canonical form is itself a valid policy document and canonicalizing it again changes
/// nothing. Its representation:
///
/// - `Statement` is always a list, sorted by each statement's compact canonical JSON.
///   Duplicate statements are kept: two identical statements are not the same document as one.
/// - `Effect` is `"Allow"` or `"Deny"`, whatever case was written.
/// - `Action`, `NotAction`, `Resource`, `NotResource` are always lists (a single string
///   becomes a one-element list), sorted, with duplicates collapsed. A list was chosen over
///   "a string when there is one element" so that adding an action to a one-action statement
///   shows in a diff as one added line.
/// - `Principal` and `NotPrincipal` are always objects of principal type to a sorted,
///   duplicate-free list: `"*"` becomes `{"AWS": ["*"]}`, and a bare 12-digit account id under
///   `AWS` becomes `arn:aws:iam::ID:root`, which is what ECR stores.
/// - `Condition` maps each operator to each key to a sorted, duplicate-free list of values.
/// - `Version`, `Id`, `Sid` and every key not named above are kept as written (with object
///   keys sorted), so they compare exactly and a change to them is a change.
///
/// Only documents that are clearly not IAM policies are rejected: not an object, no
/// `Statement`, a statement without a valid `Effect` or without exactly one of `Action` /
/// `NotAction`, both halves of the `Resource` or `Principal` pairs, or values of the wrong JSON
/// type in the elements above. IAM's own checks (known actions, ARN syntax) are left to AWS.
pub fn canonicalize(document: &Value) -> Result<Value, DocumentError> {
    let Value::Object(policy) = document else {
        return Err(DocumentError::at_root(format!(
            "an IAM policy must be a JSON object, not {}",
            json_kind(document)
        )));
    };
    if !policy.contains_key("Statement") {
        return Err(DocumentError::at_root(
            "an IAM policy needs a \"Statement\"",
        ));
    }
    let mut entries = Vec::with_capacity(policy.len());
    for (key, value) in policy {
        let canonical = if key == "Statement" {
            canonical_statements(value, &[PathSegment::Key(key.clone())])?
        } else {
            sort_keys_deep(value)
        };
        entries.push((key.clone(), canonical));
    }
    Ok(Value::Object(sorted_object(entries)))
}

/// `Statement`: one object or a non-empty list of them, as a sorted list that keeps duplicates.
fn canonical_statements(value: &Value, path: &[PathSegment]) -> Result<Value, DocumentError> {
    let statements = match value {
        Value::Object(statement) => vec![canonical_statement(statement, path)?],
        Value::Array(items) if items.is_empty() => {
            return Err(DocumentError::new(
                path.to_vec(),
                "Statement must not be an empty list",
            ));
        }
        Value::Array(items) => {
            let mut statements = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let item_path = child_index(path, index);
                let Value::Object(statement) = item else {
                    return Err(DocumentError::new(
                        item_path,
                        format!("each statement must be an object, not {}", json_kind(item)),
                    ));
                };
                statements.push(canonical_statement(statement, &item_path)?);
            }
            statements
        }
        other => {
            return Err(DocumentError::new(
                path.to_vec(),
                format!(
                    "Statement must be an object or a list of objects, not {}",
                    json_kind(other)
                ),
            ));
        }
    };
    Ok(Value::Array(sorted_bag(statements)))
}

fn canonical_statement(
    statement: &Map<String, Value>,
    path: &[PathSegment],
) -> Result<Value, DocumentError> {
    if !statement.contains_key("Effect") {
        return Err(DocumentError::new(
            path.to_vec(),
            "a statement needs an \"Effect\"",
        ));
    }
    match (
        statement.contains_key("Action"),
        statement.contains_key("NotAction"),
    ) {
        (false, false) => {
            return Err(DocumentError::new(
                path.to_vec(),
                "a statement needs an \"Action\" or a \"NotAction\"",
            ));
        }
        (true, true) => {
            return Err(DocumentError::new(
                child_key(path, "NotAction"),
                "a statement has either Action or NotAction, not both",
            ));
        }
        _ => {}
    }
    for (positive, negative) in [("Resource", "NotResource"), ("Principal", "NotPrincipal")] {
        if statement.contains_key(positive) && statement.contains_key(negative) {
            return Err(DocumentError::new(
                child_key(path, negative),
                format!("a statement has either {positive} or {negative}, not both"),
            ));
        }
    }

    let mut entries = Vec::with_capacity(statement.len());
    for (key, value) in statement {
        let key_path = child_key(path, key);
        let canonical = match key.as_str() {
            "Effect" => canonical_effect(value, &key_path)?,
            "Action" | "NotAction" | "Resource" | "NotResource" => {
                Value::Array(string_set(value, &key_path, key)?)
            }
            "Principal" | "NotPrincipal" => canonical_principal(value, &key_path, key)?,
            "Condition" => canonical_condition(value, &key_path)?,
            _ => sort_keys_deep(value),
        };
        entries.push((key.clone(), canonical));
    }
    Ok(Value::Object(sorted_object(entries)))
}

/// IAM reads `Effect` case-insensitively; the canonical spelling is the documented one.
fn canonical_effect(value: &Value, path: &[PathSegment]) -> Result<Value, DocumentError> {
    let effect = match value {
        Value::String(text) if text.eq_ignore_ascii_case("allow") => "Allow",
        Value::String(text) if text.eq_ignore_ascii_case("deny") => "Deny",
        Value::String(text) => {
            return Err(DocumentError::new(
                path.to_vec(),
                format!(
                    "Effect must be \"Allow\" or \"Deny\", not {}",
                    Value::from(text.as_str())
                ),
            ));
        }
        other => {
            return Err(DocumentError::new(
                path.to_vec(),
                format!(
                    "Effect must be \"Allow\" or \"Deny\", not {}",
                    json_kind(other)
                ),
            ));
        }
    };
    Ok(Value::from(effect))
}

/// A string or a non-empty list of strings, as a sorted list without duplicates.
fn string_set(
    value: &Value,
    path: &[PathSegment],
    name: &str,
) -> Result<Vec<Value>, DocumentError> {
    match value {
        Value::String(_) => Ok(vec![value.clone()]),
        Value::Array(items) if items.is_empty() => Err(DocumentError::new(
            path.to_vec(),
            format!("{name} must not be an empty list"),
        )),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                if !item.is_string() {
                    return Err(DocumentError::new(
                        child_index(path, index),
                        format!("{name} entries must be strings, not {}", json_kind(item)),
                    ));
                }
            }
            Ok(sorted_set(items.iter().cloned()))
        }
        other => Err(DocumentError::new(
            path.to_vec(),
            format!(
                "{name} must be a string or a list of strings, not {}",
                json_kind(other)
            ),
        )),
    }
}

/// `"*"` or `{type: string-or-list}`, as `{type: sorted list}` with account ids as root ARNs.
fn canonical_principal(
    value: &Value,
    path: &[PathSegment],
    name: &str,
) -> Result<Value, DocumentError> {
    match value {
        // "Everyone" is written either way; ECR and IAM treat them alike.
        Value::String(text) if text == "*" => Ok(Value::Object(sorted_object([(
            "AWS".to_string(),
            Value::Array(vec![value.clone()]),
        )]))),
        Value::Object(principals) => {
            let mut entries = Vec::with_capacity(principals.len());
            for (principal_type, ids) in principals {
                let ids_path = child_key(path, principal_type);
                let mut ids = string_set(ids, &ids_path, &format!("{name}.{principal_type}"))?;
                if principal_type == "AWS" {
                    // ECR stores a bare account id as the account's root ARN; rewriting before
                    // collapsing duplicates also makes `["ID", "arn:aws:iam::ID:root"]` one entry.
                    ids = sorted_set(ids.into_iter().map(account_id_as_root_arn));
                }
                entries.push((principal_type.clone(), Value::Array(ids)));
            }
            Ok(Value::Object(sorted_object(entries)))
        }
        Value::String(text) => Err(DocumentError::new(
            path.to_vec(),
            format!(
                "{name} must be \"*\" or an object such as {{\"AWS\": ...}}, not {}",
                Value::from(text.as_str())
            ),
        )),
        other => Err(DocumentError::new(
            path.to_vec(),
            format!(
                "{name} must be \"*\" or an object such as {{\"AWS\": ...}}, not {}",
                json_kind(other)
            ),
        )),
    }
}

fn account_id_as_root_arn(id: Value) -> Value {
    match id.as_str() {
        Some(text) if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) => {
            Value::from(format!("arn:aws:iam::{text}:root"))
        }
        _ => id,
    }
}

/// `{operator: {key: value-or-list}}`, with every value a sorted list without duplicates:
/// IAM matches a condition key against any of the listed values, so order and repeats do not
/// matter.
fn canonical_condition(value: &Value, path: &[PathSegment]) -> Result<Value, DocumentError> {
    let Value::Object(operators) = value else {
        return Err(DocumentError::new(
            path.to_vec(),
            format!(
                "Condition must be an object of condition operators, not {}",
                json_kind(value)
            ),
        ));
    };
    let mut canonical_operators = Vec::with_capacity(operators.len());
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else {
            return Err(DocumentError::new(
                child_key(path, operator),
                format!(
                    "condition operator {operator} must map condition keys to values, not {}",
                    json_kind(keys)
                ),
            ));
        };
        let canonical_keys = keys.iter().map(|(key, values)| {
            let values = match values {
                Value::Array(items) => sorted_set(items.iter().map(sort_keys_deep)),
                scalar => vec![sort_keys_deep(scalar)],
            };
            (key.clone(), Value::Array(values))
        });
        canonical_operators.push((
            operator.clone(),
            Value::Object(sorted_object(canonical_keys)),
        ));
    }
    Ok(Value::Object(sorted_object(canonical_operators)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn policy(text: &str) -> IamPolicy {
        IamPolicy::from_json_text(text)
            .unwrap_or_else(|e| panic!("{text}\nis not a policy: {}: {e}", e.pointer()))
    }

    /// Each row is a test named for the behaviour: `name: left, right;`.
    macro_rules! no_change {
        ($($name:ident: $left:expr, $right:expr;)*) => {$(
            #[test]
            fn $name() {
                let (left, right) = (policy($left), policy($right));
                assert_eq!(left.canonical(), right.canonical());
                assert!(left == right && right == left);
            }
        )*};
    }

    macro_rules! change {
        ($($name:ident: $left:expr, $right:expr;)*) => {$(
            #[test]
            fn $name() {
                let (left, right) = (policy($left), policy($right));
                assert_ne!(left.canonical(), right.canonical());
                assert!(left != right && right != left);
            }
        )*};
    }

    const PULL: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Pull","Effect":"Allow",
        "Principal":{"AWS":["210987654321","arn:aws:iam::123456789012:role/ci"]},
        "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;

    // What GetRepositoryPolicy returns for PULL: re-serialized with 2-space indentation and
    // `"key" : value`, the bare account id rewritten to its root ARN, the principals reordered.
    const PULL_AS_ECR_RETURNS_IT: &str = r#"{
  "Version" : "2012-10-17",
  "Statement" : [ {
    "Sid" : "Pull",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : [ "arn:aws:iam::123456789012:role/ci", "arn:aws:iam::210987654321:root" ]
    },
    "Action" : [ "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer" ]
  } ]
}"#;

    no_change! {
        whitespace_only_policy_difference_is_no_change:
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#,
            "{\n\t\"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {  \"Effect\" : \"Allow\",\r\n \"Principal\":\"*\", \"Action\":\"ecr:BatchGetImage\" }\n  ]\n}\n";
        ecr_rewritten_policy_text_is_no_change: PULL, PULL_AS_ECR_RETURNS_IT;
        object_key_order_is_no_change:
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ecr:*","Principal":"*"}}"#,
            r#"{"Statement":{"Principal":"*","Action":"ecr:*","Effect":"Allow"},"Version":"2012-10-17"}"#;
        statement_order_is_no_change:
            r#"{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"},
                             {"Sid":"B","Effect":"Deny","Principal":"*","Action":"ecr:DeleteRepository"}]}"#,
            r#"{"Statement":[{"Sid":"B","Effect":"Deny","Principal":"*","Action":"ecr:DeleteRepository"},
                             {"Sid":"A","Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#;
        single_statement_object_equals_one_element_list:
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#;
        action_list_order_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"]}]}"#;
        repeated_action_in_a_list_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:BatchGetImage"]}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#;
        scalar_action_equals_one_element_list:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage"]}]}"#;
        scalar_not_action_equals_one_element_list:
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":["ecr:BatchGetImage"]}]}"#;
        scalar_resource_equals_one_element_list:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:ReplicateImage","Resource":"arn:aws:ecr:us-east-1:123456789012:repository/*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:ReplicateImage","Resource":["arn:aws:ecr:us-east-1:123456789012:repository/*"]}]}"#;
        resource_list_order_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:ReplicateImage","Resource":["arn:b","arn:a"]}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:ReplicateImage","Resource":["arn:a","arn:b"]}]}"#;
        star_principal_equals_aws_star:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:BatchGetImage"}]}"#;
        star_principal_equals_aws_star_list:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"ecr:BatchGetImage"}]}"#;
        bare_account_id_equals_root_arn:
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"ecr:BatchGetImage"}]}"#;
        bare_account_id_in_not_principal_equals_root_arn:
            r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["210987654321"]},"Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"ecr:*"}]}"#;
        account_id_and_its_root_arn_in_one_list_are_one_principal:
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["210987654321","arn:aws:iam::210987654321:root"]},"Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:*"}]}"#;
        principal_list_order_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:role/a","arn:aws:iam::1:role/b"],"Service":["b.amazonaws.com","a.amazonaws.com"]},"Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":["a.amazonaws.com","b.amazonaws.com"],"AWS":["arn:aws:iam::1:role/b","arn:aws:iam::1:role/a"]},"Action":"ecr:*"}]}"#;
        effect_case_is_no_change:
            r#"{"Statement":[{"Effect":"allow","Principal":"*","Action":"ecr:*"},{"Effect":"DENY","Principal":"*","Action":"ecr:Delete*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"},{"Effect":"Deny","Principal":"*","Action":"ecr:Delete*"}]}"#;
        scalar_condition_value_equals_one_element_list:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-abc"]}}}]}"#;
        condition_value_order_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-b","o-a"]}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-a","o-b"]}}}]}"#;
    }

    change! {
        sid_change_is_a_change:
            r#"{"Statement":[{"Sid":"Pull","Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Sid":"PullAll","Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#;
        sid_added_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Sid":"Pull","Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#;
        version_change_is_a_change:
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#;
        version_removed_is_a_change:
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#;
        id_change_is_a_change:
            r#"{"Id":"a","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Id":"b","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#;
        added_action_is_a_change:
            PULL,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Pull","Effect":"Allow",
                "Principal":{"AWS":["210987654321","arn:aws:iam::123456789012:role/ci"]},
                "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:PutImage"]}]}"#;
        removed_principal_is_a_change:
            PULL,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Pull","Effect":"Allow",
                "Principal":{"AWS":["210987654321"]},
                "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;
        duplicated_statement_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"},{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#;
        condition_value_change_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-xyz"}}}]}"#;
        condition_operator_change_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringLike":{"aws:PrincipalOrgID":"o-abc"}}}]}"#;
        effect_change_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*"}]}"#;
        action_to_not_action_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"ecr:*"}]}"#;
        account_id_in_another_partition_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws-cn:iam::210987654321:root"},"Action":"ecr:*"}]}"#;
        unknown_statement_key_change_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Extra":{"a":1}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Extra":{"a":2}}]}"#;
    }

    #[test]
    fn canonical_form_uses_sorted_lists_object_principals_and_root_arns() {
        let document = json!({
            "Version": "2012-10-17",
            "Statement": {
                "Sid": "Pull",
                "Effect": "allow",
                "Principal": {"AWS": ["210987654321", "arn:aws:iam::123456789012:role/ci"]},
                "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
                "Custom": {"kept": [3, 1]},
            },
        });
        let expected = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "Pull",
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::123456789012:role/ci", "arn:aws:iam::210987654321:root"]},
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": ["*"],
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-abc"]}},
                "Custom": {"kept": [3, 1]},
            }],
        });
        assert_eq!(canonicalize(&document).unwrap(), expected);
        let star = json!({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "ecr:*"}});
        assert_eq!(
            canonicalize(&star).unwrap()["Statement"][0]["Principal"],
            json!({"AWS": ["*"]})
        );
    }

    #[test]
    fn unknown_top_level_keys_survive_canonicalization() {
        let document = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "ecr:*"},
                              "Comment": {"b": null, "a": []}});
        let canonical = canonicalize(&document).unwrap();
        assert_eq!(canonical["Comment"], json!({"a": [], "b": null}));
    }

    #[test]
    fn canonical_pretty_text_is_the_same_for_equivalent_documents() {
        let (written, returned) = (policy(PULL), policy(PULL_AS_ECR_RETURNS_IT));
        let pretty = |p: &IamPolicy| serde_json::to_string_pretty(p.canonical()).unwrap();
        assert_eq!(pretty(&written), pretty(&returned));
        assert!(pretty(&written).find("\"Action\"") < pretty(&written).find("\"Effect\""));
    }

    #[test]
    fn document_and_compact_text_stay_as_written() {
        let written =
            policy(r#"{"Statement": {"Effect": "allow", "Principal": "*", "Action": "ecr:*"}}"#);
        assert_eq!(
            written.to_compact_json(),
            r#"{"Statement":{"Action":"ecr:*","Effect":"allow","Principal":"*"}}"#
        );
        assert_eq!(written.document()["Statement"]["Effect"], json!("allow"));
    }

    #[test]
    fn deserializing_policy_text_or_object_gives_equal_policies() {
        let from_text: IamPolicy = serde_json::from_value(json!(PULL_AS_ECR_RETURNS_IT)).unwrap();
        let from_object: IamPolicy =
            serde_json::from_value(serde_json::from_str::<Value>(PULL).unwrap()).unwrap();
        assert_eq!(from_text, from_object);
        let error = serde_json::from_value::<IamPolicy>(json!({"Statement": []})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "policy/Statement: Statement must not be an empty list"
        );
    }

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

    fn key(name: &str) -> PathSegment {
        PathSegment::Key(name.to_string())
    }

    #[test]
    fn shape_errors_carry_the_path_to_the_offending_node() {
        use PathSegment::Index;
        let ok = r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*"}"#;
        let cases: Vec<(&str, String, Vec<PathSegment>, &str)> = vec![
            ("not an object", "[]".into(), vec![], "an IAM policy must be a JSON object, not a list"),
            ("no statement", r#"{"Version":"2012-10-17"}"#.into(), vec![], "an IAM policy needs a \"Statement\""),
            ("statement is a string", r#"{"Statement":"x"}"#.into(), vec![key("Statement")],
                "Statement must be an object or a list of objects, not a string"),
            ("empty statement list", r#"{"Statement":[]}"#.into(), vec![key("Statement")],
                "Statement must not be an empty list"),
            ("statement entry not an object", format!(r#"{{"Statement":[{ok},7]}}"#),
                vec![key("Statement"), Index(1)], "each statement must be an object, not a number"),
            ("unknown effect", format!(r#"{{"Statement":[{ok},{{"Effect":"Permit","Principal":"*","Action":"ecr:*"}}]}}"#),
                vec![key("Statement"), Index(1), key("Effect")],
                "Effect must be \"Allow\" or \"Deny\", not \"Permit\""),
            ("effect not a string", r#"{"Statement":{"Effect":true,"Principal":"*","Action":"ecr:*"}}"#.into(),
                vec![key("Statement"), key("Effect")], "Effect must be \"Allow\" or \"Deny\", not a boolean"),
            ("missing effect", r#"{"Statement":[{"Principal":"*","Action":"ecr:*"}]}"#.into(),
                vec![key("Statement"), Index(0)], "a statement needs an \"Effect\""),
            ("no action", r#"{"Statement":[{"Effect":"Allow","Principal":"*"}]}"#.into(),
                vec![key("Statement"), Index(0)], "a statement needs an \"Action\" or a \"NotAction\""),
            ("action and not action", r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","NotAction":"b"}]}"#.into(),
                vec![key("Statement"), Index(0), key("NotAction")], "a statement has either Action or NotAction, not both"),
            ("resource and not resource", r#"{"Statement":[{"Effect":"Allow","Action":"a","Resource":"*","NotResource":"x"}]}"#.into(),
                vec![key("Statement"), Index(0), key("NotResource")], "a statement has either Resource or NotResource, not both"),
            ("action entry not a string", r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:*",3]}]}"#.into(),
                vec![key("Statement"), Index(0), key("Action"), Index(1)], "Action entries must be strings, not a number"),
            ("empty action list", r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":[]}]}"#.into(),
                vec![key("Statement"), Index(0), key("Action")], "Action must not be an empty list"),
            ("resource an object", r#"{"Statement":[{"Effect":"Allow","Action":"a","Resource":{}}]}"#.into(),
                vec![key("Statement"), Index(0), key("Resource")], "Resource must be a string or a list of strings, not an object"),
            ("principal an arn string", r#"{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"a"}]}"#.into(),
                vec![key("Statement"), Index(0), key("Principal")],
                "Principal must be \"*\" or an object such as {\"AWS\": ...}, not \"arn:aws:iam::1:root\""),
            ("principal id not a string", r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":[210987654321]},"Action":"a"}]}"#.into(),
                vec![key("Statement"), Index(0), key("Principal"), key("AWS"), Index(0)],
                "Principal.AWS entries must be strings, not a number"),
            ("condition a list", r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Condition":[]}]}"#.into(),
                vec![key("Statement"), Index(0), key("Condition")], "Condition must be an object of condition operators, not a list"),
            ("condition operator a string", r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Condition":{"StringEquals":"x"}}]}"#.into(),
                vec![key("Statement"), Index(0), key("Condition"), key("StringEquals")],
                "condition operator StringEquals must map condition keys to values, not a string"),
        ];
        for (case, text, path, message) in cases {
            let error = IamPolicy::from_json_text(&text).expect_err(case);
            assert_eq!(error, DocumentError::new(path, message), "case: {case}");
        }
    }

    #[test]
    fn invalid_json_text_is_an_error_at_the_root() {
        let error = IamPolicy::from_json_text("{\"Statement\": ").unwrap_err();
        assert!(error.path.is_empty());
        assert!(
            error.message.starts_with("policy text is not valid JSON"),
            "{error}"
        );
    }

    /// Generated policies: a model of what a policy grants, rendered into JSON in many
    /// equivalent ways.
    mod properties {
        use proptest::prelude::*;
        use serde_json::{Map, Value, json};

        use super::super::{IamPolicy, canonicalize};

        const ACTIONS: &[&str] = &[
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchCheckLayerAvailability",
            "ecr:PutImage",
            "ecr:*",
        ];
        const RESOURCES: &[&str] = &[
            "*",
            "arn:aws:ecr:us-east-1:123456789012:repository/a",
            "arn:aws:ecr:eu-west-1:123456789012:repository/*",
        ];
        const ACCOUNTS: &[&str] = &["123456789012", "210987654321", "111122223333"];
        const ROLES: &[&str] = &[
            "arn:aws:iam::123456789012:role/ci",
            "arn:aws:iam::210987654321:role/deploy",
        ];
        const SERVICES: &[&str] = &["pullthroughcache.ecr.amazonaws.com", "lambda.amazonaws.com"];
        const ORGS: &[&str] = &["o-abc", "o-xyz", "o-123"];

        #[derive(Debug, Clone)]
        enum AwsPrincipal {
            Account(&'static str),
            Role(&'static str),
        }

        #[derive(Debug, Clone)]
        enum PrincipalModel {
            Everyone,
            Named {
                aws: Vec<AwsPrincipal>,
                services: Vec<&'static str>,
            },
        }

        #[derive(Debug, Clone)]
        struct StatementModel {
            sid: Option<String>,
            allow: bool,
            not_action: bool,
            actions: Vec<&'static str>,
            principal: Option<PrincipalModel>,
            resources: Option<Vec<&'static str>>,
            orgs: Option<Vec<&'static str>>,
        }

        fn principal_model() -> impl Strategy<Value = PrincipalModel> {
            let aws = prop_oneof![
                prop::sample::select(ACCOUNTS).prop_map(AwsPrincipal::Account),
                prop::sample::select(ROLES).prop_map(AwsPrincipal::Role),
            ];
            prop_oneof![
                Just(PrincipalModel::Everyone),
                (
                    prop::collection::vec(aws, 1..4),
                    prop::collection::vec(prop::sample::select(SERVICES), 0..3)
                )
                    .prop_map(|(aws, services)| PrincipalModel::Named { aws, services }),
            ]
        }

        fn statement_model() -> impl Strategy<Value = StatementModel> {
            (
                proptest::option::of("[A-Za-z0-9]{1,6}"),
                any::<bool>(),
                any::<bool>(),
                prop::collection::vec(prop::sample::select(ACTIONS), 1..4),
                proptest::option::of(principal_model()),
                proptest::option::of(prop::collection::vec(prop::sample::select(RESOURCES), 1..3)),
                proptest::option::of(prop::collection::vec(prop::sample::select(ORGS), 1..3)),
            )
                .prop_map(
                    |(sid, allow, not_action, actions, principal, resources, orgs)| {
                        StatementModel {
                            sid,
                            allow,
                            not_action,
                            actions,
                            principal,
                            resources,
                            orgs,
                        }
                    },
                )
        }

        fn policy_model() -> impl Strategy<Value = (Option<&'static str>, Vec<StatementModel>)> {
            (
                proptest::option::of(prop::sample::select(&["2012-10-17", "2008-10-17"][..])),
                prop::collection::vec(statement_model(), 1..5),
            )
        }

        /// Rendering choices, drawn from a seed (splitmix64) so that one model renders in many
        /// equivalent ways.
        struct Choices(u64);

        impl Choices {
            fn next(&mut self) -> u64 {
                self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = self.0;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            }

            fn below(&mut self, n: usize) -> usize {
                (self.next() % n as u64) as usize
            }

            fn coin(&mut self) -> bool {
                self.next() & 1 == 1
            }

            fn shuffle<T>(&mut self, items: &mut [T]) {
                for i in (1..items.len()).rev() {
                    items.swap(i, self.below(i + 1));
                }
            }

            /// A set of strings as a scalar or a list, shuffled, maybe with a repeat.
            fn string_set(&mut self, values: &[String]) -> Value {
                let mut values = values.to_vec();
                if !values.is_empty() && self.below(4) == 0 {
                    let repeated = values[self.below(values.len())].clone();
                    values.push(repeated);
                }
                self.shuffle(&mut values);
                let mut unique = values.clone();
                unique.sort();
                unique.dedup();
                if unique.len() == 1 && self.coin() {
                    Value::from(unique[0].clone())
                } else {
                    Value::from(values)
                }
            }
        }

        fn render_principal(principal: &PrincipalModel, choices: &mut Choices) -> Value {
            match principal {
                PrincipalModel::Everyone => match choices.below(3) {
                    0 => json!("*"),
                    1 => json!({"AWS": "*"}),
                    _ => json!({"AWS": ["*"]}),
                },
                PrincipalModel::Named { aws, services } => {
                    let aws: Vec<String> = aws
                        .iter()
                        .map(|principal| match principal {
                            AwsPrincipal::Account(id) if choices.coin() => id.to_string(),
                            AwsPrincipal::Account(id) => format!("arn:aws:iam::{id}:root"),
                            AwsPrincipal::Role(arn) => arn.to_string(),
                        })
                        .collect();
                    let mut object = Map::new();
                    object.insert("AWS".into(), choices.string_set(&aws));
                    if !services.is_empty() {
                        let services: Vec<String> =
                            services.iter().map(|s| s.to_string()).collect();
                        object.insert("Service".into(), choices.string_set(&services));
                    }
                    Value::Object(object)
                }
            }
        }

        fn render_statement(statement: &StatementModel, choices: &mut Choices) -> Value {
            let strings =
                |values: &[&str]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>();
            let mut object = Map::new();
            if let Some(sid) = &statement.sid {
                object.insert("Sid".into(), json!(sid));
            }
            let effect = if statement.allow { "Allow" } else { "Deny" };
            let effect = match choices.below(3) {
                0 => effect.to_string(),
                1 => effect.to_lowercase(),
                _ => effect.to_uppercase(),
            };
            object.insert("Effect".into(), json!(effect));
            let action_key = if statement.not_action {
                "NotAction"
            } else {
                "Action"
            };
            object.insert(
                action_key.into(),
                choices.string_set(&strings(&statement.actions)),
            );
            if let Some(principal) = &statement.principal {
                object.insert("Principal".into(), render_principal(principal, choices));
            }
            if let Some(resources) = &statement.resources {
                object.insert("Resource".into(), choices.string_set(&strings(resources)));
            }
            if let Some(orgs) = &statement.orgs {
                let values = choices.string_set(&strings(orgs));
                object.insert(
                    "Condition".into(),
                    json!({"StringEquals": {"aws:PrincipalOrgID": values}}),
                );
            }
            Value::Object(object)
        }

        fn render(
            (version, statements): &(Option<&'static str>, Vec<StatementModel>),
            seed: u64,
        ) -> Value {
            let mut choices = Choices(seed);
            let mut rendered: Vec<Value> = statements
                .iter()
                .map(|s| render_statement(s, &mut choices))
                .collect();
            choices.shuffle(&mut rendered);
            let mut policy = Map::new();
            if let Some(version) = version {
                policy.insert("Version".into(), json!(version));
            }
            let statement = if rendered.len() == 1 && choices.coin() {
                rendered.remove(0)
            } else {
                Value::Array(rendered)
            };
            policy.insert("Statement".into(), statement);
            Value::Object(policy)
        }

        proptest! {
            #[test]
            fn canonicalize_is_idempotent(model in policy_model(), seed in any::<u64>()) {
                let canonical = canonicalize(&render(&model, seed)).unwrap();
                prop_assert_eq!(canonicalize(&canonical).unwrap(), canonical);
            }

            #[test]
            fn equivalent_renderings_are_equal_both_ways(
                model in policy_model(),
                seed_a in any::<u64>(),
                seed_b in any::<u64>(),
            ) {
                let a = IamPolicy::from_value(render(&model, seed_a)).unwrap();
                let b = IamPolicy::from_value(render(&model, seed_b)).unwrap();
                prop_assert!(a == b, "{} != {}", a.canonical(), b.canonical());
                prop_assert!(b == a);
            }

            #[test]
            fn equality_is_symmetric(
                model_a in policy_model(),
                model_b in policy_model(),
                seed_a in any::<u64>(),
                seed_b in any::<u64>(),
            ) {
                let a = IamPolicy::from_value(render(&model_a, seed_a)).unwrap();
                let b = IamPolicy::from_value(render(&model_b, seed_b)).unwrap();
                prop_assert_eq!(a == b, b == a);
            }

            #[test]
            fn an_added_action_is_never_equal(
                model in policy_model(),
                seed in any::<u64>(),
                which in any::<prop::sample::Index>(),
            ) {
                let mut changed = model.clone();
                let index = which.index(changed.1.len());
                changed.1[index].actions.push("ecr:DeleteRepository");
                let a = IamPolicy::from_value(render(&model, seed)).unwrap();
                let b = IamPolicy::from_value(render(&changed, seed)).unwrap();
                prop_assert!(a != b);
                prop_assert!(b != a);
            }

            #[test]
            fn a_duplicated_statement_is_never_equal(
                model in policy_model(),
                seed in any::<u64>(),
                which in any::<prop::sample::Index>(),
            ) {
                let mut changed = model.clone();
                let index = which.index(changed.1.len());
                let duplicate = changed.1[index].clone();
                changed.1.push(duplicate);
                let a = IamPolicy::from_value(render(&model, seed)).unwrap();
                let b = IamPolicy::from_value(render(&changed, seed)).unwrap();
                prop_assert!(a != b);
                prop_assert!(b != a);
            }
        }
    }
}
