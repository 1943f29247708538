//! The canonical form of IAM policy documents: what makes two documents equal (see
//! [`canonicalize_in`]), and the shape checks a document must pass to have one.
//!
//! The form follows what IAM and ECR treat as the same policy, in both directions: every
//! spelling ECR or IAM reads alike becomes one spelling (or a plan would rewrite the policy on
//! every run), and nothing they tell apart is merged (or a real change would go unplanned).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::vocabulary::{canonical_action, canonical_condition_key};
use crate::canonical::{
    child_index, child_key, json_kind, sort_keys_deep, sorted_object, sorted_set,
};
use crate::{DocumentError, Partition, PathSegment};

/// [`canonicalize_in`] the commercial partition, where most registries are.
pub fn canonicalize(document: &Value) -> Result<Value, DocumentError> {
    canonicalize_in(document, Partition::Aws)
}

/// The canonical form of an IAM policy document used in `partition` (the partition of the
/// registry that holds it), or the first shape error found in it.
///
/// Two documents with equal canonical forms grant the same thing as far as ECR is concerned.
/// The canonical form is itself a valid policy document and canonicalizing it again changes
/// nothing. Whether a document has one does not depend on the partition. Its representation:
///
/// - `Statement` is always a list, sorted by each statement's compact canonical JSON, with
///   duplicates collapsed: IAM grants what any statement grants, so a statement written twice
///   grants nothing more than once (and a Deny twice denies nothing more).
/// - `Effect` is `"Allow"` or `"Deny"`, whatever case was written.
/// - `Action`, `NotAction`, `Resource`, `NotResource` are always lists (a single string
///   becomes a one-element list), sorted, with duplicates collapsed. A list was chosen over
///   "a string when there is one element" so that adding an action to a one-action statement
///   shows in a diff as one added line.
/// - Actions are case-insensitive in IAM, prefix and name alike: an ECR action is written as
///   the Service Authorization Reference spells it (`ecr:BatchGetImage`), anything else (a
///   wildcard pattern such as `ecr:batch*`, another service's action) in lowercase. Resources
///   (ARNs) are case-sensitive and stay as written.
/// - `Principal` and `NotPrincipal` are always objects of principal type to a sorted,
///   duplicate-free list: `"*"` becomes `{"AWS": ["*"]}`, and a bare 12-digit account id under
///   `AWS` becomes the account's root in `partition` (`arn:aws:iam::ID:root`,
///   `arn:aws-us-gov:iam::ID:root`...), which is what ECR stores. A root ARN of another
///   partition is another principal.
/// - `Condition` maps each operator to each key to a sorted, duplicate-free list of values.
///   Operators are kept as written (`StringEquals` is not `stringequals`). Context key names
///   are case-insensitive in IAM and are written as documented (`aws:PrincipalOrgID`), with the
///   tag key of `aws:ResourceTag/...` and the like, and unknown keys, in lowercase; when two
///   keys of one operator differ only in case, both are kept as written, since they are two
///   conditions and merging their values would change what they mean. Values are strings:
///   IAM stores `true` and `3600` as `"true"` and `"3600"`; their case is kept, as most
///   operators compare it.
/// - `Version`, `Id`, `Sid` and every key not named above are kept as written (with object
///   keys sorted), so they compare exactly and a change to them is a change.
///
/// Only documents that are clearly not IAM policies are rejected: not an object, no
/// `Statement`, a statement without a valid `Effect` or without exactly one of `Action` /
/// `NotAction`, both halves of the `Resource` or `Principal` pairs, or values of the wrong JSON
/// type in the elements above. IAM's own checks (known actions, ARN syntax) are left to AWS.
pub fn canonicalize_in(document: &Value, partition: Partition) -> Result<Value, DocumentError> {
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
            canonical_statements(value, &[PathSegment::Key(key.clone())], partition)?
        } else {
            sort_keys_deep(value)
        };
        entries.push((key.clone(), canonical));
    }
    Ok(Value::Object(sorted_object(entries)))
}

/// `Statement`: one object or a non-empty list of them, as a sorted list without duplicates.
fn canonical_statements(
    value: &Value,
    path: &[PathSegment],
    partition: Partition,
) -> Result<Value, DocumentError> {
    let statements = match value {
        Value::Object(statement) => vec![canonical_statement(statement, path, partition)?],
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
                statements.push(canonical_statement(statement, &item_path, partition)?);
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
    Ok(Value::Array(sorted_set(statements)))
}

fn canonical_statement(
    statement: &Map<String, Value>,
    path: &[PathSegment],
    partition: Partition,
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
            "Action" | "NotAction" => {
                let actions = string_set(value, &key_path, key)?;
                Value::Array(sorted_set(actions.iter().map(|action| {
                    action
                        .as_str()
                        .map_or_else(|| action.clone(), |text| canonical_action(text).into())
                })))
            }
            "Resource" | "NotResource" => Value::Array(string_set(value, &key_path, key)?),
            "Principal" | "NotPrincipal" => canonical_principal(value, &key_path, key, partition)?,
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
                    crate::shown::quoted(text)
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

/// `"*"` or `{type: string-or-list}`, as `{type: sorted list}` with account ids as root ARNs
/// of `partition`.
fn canonical_principal(
    value: &Value,
    path: &[PathSegment],
    name: &str,
    partition: Partition,
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
                let mut ids = string_set(
                    ids,
                    &ids_path,
                    &format!("{name}.{}", crate::shown::cut(principal_type)),
                )?;
                if principal_type == "AWS" {
                    // ECR stores a bare account id as the account's root ARN in the registry's
                    // partition; rewriting before collapsing duplicates also makes
                    // `["ID", "arn:aws:iam::ID:root"]` one entry.
                    ids = sorted_set(
                        ids.into_iter()
                            .map(|id| account_id_as_root_arn(id, partition)),
                    );
                }
                entries.push((principal_type.clone(), Value::Array(ids)));
            }
            Ok(Value::Object(sorted_object(entries)))
        }
        Value::String(text) => Err(DocumentError::new(
            path.to_vec(),
            format!(
                "{name} must be \"*\" or an object such as {{\"AWS\": ...}}, not {}",
                crate::shown::quoted(text)
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

fn account_id_as_root_arn(id: Value, partition: Partition) -> Value {
    match id.as_str() {
        Some(text) if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) => {
            Value::from(partition.root_arn(text))
        }
        _ => id,
    }
}

/// `{operator: {key: value-or-list}}`, with every key in its canonical spelling and every value
/// a sorted list of strings without duplicates: IAM matches a condition key against any of the
/// listed values, so order and repeats do not matter.
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
                    "condition operator {} must map condition keys to values, not {}",
                    crate::shown::cut(operator),
                    json_kind(keys)
                ),
            ));
        };
        let canonical_keys = canonical_condition_keys(keys).map(|(key, values)| {
            let values = match values {
                Value::Array(items) => sorted_set(items.iter().map(condition_value)),
                scalar => vec![condition_value(scalar)],
            };
            (key, Value::Array(values))
        });
        canonical_operators.push((
            operator.clone(),
            Value::Object(sorted_object(canonical_keys)),
        ));
    }
    Ok(Value::Object(sorted_object(canonical_operators)))
}

/// One operator's keys in their canonical spelling, except keys that would then collide: two
/// keys that differ only in case are two conditions IAM checks both of, and one key with the
/// union of their values would mean something else, so those keep the spelling they have.
fn canonical_condition_keys(keys: &Map<String, Value>) -> impl Iterator<Item = (String, &Value)> {
    let mut spellings: BTreeMap<String, usize> = BTreeMap::new();
    for key in keys.keys() {
        *spellings.entry(canonical_condition_key(key)).or_default() += 1;
    }
    keys.iter().map(move |(key, values)| {
        let canonical = canonical_condition_key(key);
        if spellings.get(&canonical) == Some(&1) {
            (canonical, values)
        } else {
            (key.clone(), values)
        }
    })
}

/// A condition value as IAM stores it: booleans and numbers as their text (`true` is
/// `"true"`, `3600` is `"3600"`), strings as written.
fn condition_value(value: &Value) -> Value {
    match value {
        Value::Bool(flag) => Value::from(flag.to_string()),
        Value::Number(number) => Value::from(number.to_string()),
        other => sort_keys_deep(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::IamPolicy;
    use crate::policy::test_documents::{PULL, PULL_AS_ECR_RETURNS_IT, policy};

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

        // A statement is a set member: IAM grants what any statement grants.
        statement_written_twice_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"},{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#;
        statement_written_twice_in_two_spellings_is_no_change:
            r#"{"Statement":[{"Sid":"Pull","Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Sid":"Pull","Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:BatchGetImage"},
                             {"Sid":"Pull","Effect":"allow","Principal":{"AWS":["arn:aws:iam::210987654321:root"]},"Action":["ECR:batchgetimage"]}]}"#;

        // Actions: IAM reads prefix and name case-insensitively.
        action_name_case_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:batchgetimage","ecr:GETDOWNLOADURLFORLAYER"]}]}"#;
        service_prefix_case_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ECR:BatchGetImage"}]}"#;
        wildcard_pattern_case_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:Batch*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ECR:batch*"}]}"#;
        not_action_case_is_no_change:
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":["ecr:BatchGetImage","ecr:Get*"]}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":["Ecr:BATCHGETIMAGE","ecr:get*"]}]}"#;
        another_service_action_case_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"KMS:decrypt"}]}"#;
        one_action_in_two_spellings_is_one_action:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:batchgetimage"]}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#;

        // Condition keys: context key names are case-insensitive, a tag key inside one too.
        condition_key_case_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc","aws:SourceAccount":"123456789012"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"AWS:principalorgid":"o-abc","aws:SOURCEACCOUNT":"123456789012"}}}]}"#;
        tag_key_case_in_a_condition_key_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"ecr:ResourceTag/Team":"a","aws:PrincipalTag/Dept":"b"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"ECR:resourcetag/team":"a","aws:principaltag/DEPT":"b"}}}]}"#;
        unknown_condition_key_case_is_no_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"kms:ViaService":"ecr.us-east-1.amazonaws.com"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"KMS:viaservice":"ecr.us-east-1.amazonaws.com"}}}]}"#;

        // Condition values: IAM stores booleans and numbers as strings.
        boolean_condition_value_equals_its_string:
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        number_condition_value_equals_its_string:
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":3600}}}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}}]}"#;
        scalar_values_in_a_condition_list_equal_their_strings:
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"Null":{"aws:TokenIssueTime":[true,"true"]},"NumericEquals":{"aws:MultiFactorAuthAge":[1,"2"]}}}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"Null":{"aws:TokenIssueTime":"true"},"NumericEquals":{"aws:MultiFactorAuthAge":["1",2]}}}]}"#;
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
        statement_repeated_with_another_sid_is_a_change:
            r#"{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"ecr:*"},{"Sid":"B","Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#;
        statement_repeated_with_another_effect_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"},{"Effect":"Deny","Principal":"*","Action":"ecr:*"}]}"#;
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
        another_action_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchDeleteImage"}]}"#;
        another_wildcard_pattern_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:Batch*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGet*"}]}"#;
        action_of_another_service_with_the_same_name_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr-public:BatchGetImage"}]}"#;
        not_action_with_another_action_is_a_change:
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"ecr:BatchGetImage"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"ecr:BatchGetImages"}]}"#;
        resource_case_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"arn:aws:ecr:us-east-1:123456789012:repository/team-a/*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Resource":"arn:aws:ecr:us-east-1:123456789012:repository/Team-A/*"}]}"#;
        condition_operator_case_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"stringequals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#;
        condition_value_case_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"O-ABC"}}}]}"#;
        another_condition_key_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:SourceOrgID":"o-abc"}}}]}"#;
        another_tag_key_in_a_condition_key_is_a_change:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"ecr:ResourceTag/team":"a"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"ecr:ResourceTag/teams":"a"}}}]}"#;
        condition_keys_differing_only_in_case_are_not_merged:
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333","AWS:SOURCEACCOUNT":"444455556666"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*","Condition":{"StringEquals":{"aws:SourceAccount":["111122223333","444455556666"]}}}]}"#;
        another_boolean_condition_value_is_a_change:
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        another_number_condition_value_is_a_change:
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":3600}}}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"360"}}}]}"#;
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
    fn canonical_spellings_are_the_documented_ones_or_lowercase() {
        let document = json!({"Statement": {
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["ECR:batchgetimage", "ecr:Get*", "S3:GetObject", "*"],
            "Condition": {
                "StringEquals": {"AWS:principalorgid": "O-Abc", "ECR:ResourceTag/Team": "Platform"},
                "Bool": {"aws:securetransport": true},
                "NumericLessThan": {"aws:MultiFactorAuthAge": [3600, "60"]},
                "StringLike": {"aws:SourceAccount": "1", "AWS:SourceAccount": "2"},
            },
        }});
        let expected = json!([{
            "Effect": "Allow",
            "Principal": {"AWS": ["*"]},
            "Action": ["*", "ecr:BatchGetImage", "ecr:get*", "s3:getobject"],
            "Condition": {
                "StringEquals": {"aws:PrincipalOrgID": ["O-Abc"], "ecr:ResourceTag/team": ["Platform"]},
                "Bool": {"aws:SecureTransport": ["true"]},
                "NumericLessThan": {"aws:MultiFactorAuthAge": ["3600", "60"]},
                "StringLike": {"AWS:SourceAccount": ["2"], "aws:SourceAccount": ["1"]},
            },
        }]);
        assert_eq!(canonicalize(&document).unwrap()["Statement"], expected);
    }

    #[test]
    fn a_statement_written_twice_is_kept_once() {
        let statement = json!({"Effect": "Allow", "Principal": "*", "Action": "ecr:*"});
        let document = json!({"Statement": [statement, statement, statement]});
        assert_eq!(
            canonicalize(&document).unwrap()["Statement"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
    }

    /// `partition: left, right, equal;` for a policy used in a registry of `partition`.
    macro_rules! in_partition {
        ($($name:ident: $partition:expr, $left:expr, $right:expr, $equal:expr;)*) => {$(
            #[test]
            fn $name() {
                let in_partition = |text: &str| {
                    IamPolicy::from_json_text_in(text, $partition)
                        .unwrap_or_else(|e| panic!("{text}\nis not a policy: {e}"))
                };
                let (left, right) = (in_partition($left), in_partition($right));
                assert_eq!(left == right, $equal, "{}\n{}", left.canonical(), right.canonical());
                assert_eq!(right == left, $equal);
                assert_eq!(left.partition(), $partition);
            }
        )*};
    }

    const BARE_ACCOUNT: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"ecr:BatchGetImage"}]}"#;

    fn root_of(partition: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:{partition}:iam::210987654321:root"}},"Action":"ecr:BatchGetImage"}}]}}"#
        )
    }

    in_partition! {
        bare_account_id_is_the_commercial_root_in_a_commercial_registry:
            Partition::Aws, BARE_ACCOUNT, &root_of("aws"), true;
        bare_account_id_is_the_gov_cloud_root_in_a_gov_cloud_registry:
            Partition::AwsUsGov, BARE_ACCOUNT, &root_of("aws-us-gov"), true;
        bare_account_id_is_the_china_root_in_a_china_registry:
            Partition::AwsCn, BARE_ACCOUNT, &root_of("aws-cn"), true;
        bare_account_id_is_the_iso_root_in_an_iso_registry:
            Partition::AwsIso, BARE_ACCOUNT, &root_of("aws-iso"), true;
        bare_account_id_is_the_isob_root_in_an_isob_registry:
            Partition::AwsIsoB, BARE_ACCOUNT, &root_of("aws-iso-b"), true;
        commercial_root_is_another_principal_in_a_gov_cloud_registry:
            Partition::AwsUsGov, BARE_ACCOUNT, &root_of("aws"), false;
        gov_cloud_root_is_another_principal_in_a_commercial_registry:
            Partition::Aws, BARE_ACCOUNT, &root_of("aws-us-gov"), false;
        china_root_is_another_principal_in_a_gov_cloud_registry:
            Partition::AwsUsGov, &root_of("aws-cn"), &root_of("aws-us-gov"), false;
        another_account_is_a_change_in_a_gov_cloud_registry:
            Partition::AwsUsGov, BARE_ACCOUNT,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws-us-gov:iam::123456789012:root"},"Action":"ecr:BatchGetImage"}]}"#, false;
    }

    #[test]
    fn a_policy_moved_to_another_partition_keeps_its_document() {
        let commercial = policy(BARE_ACCOUNT);
        assert_eq!(commercial.partition(), Partition::Aws);
        let gov = commercial.for_partition(Partition::AwsUsGov);
        assert_eq!(gov.partition(), Partition::AwsUsGov);
        assert!(std::ptr::eq(gov.document(), commercial.document()));
        assert_eq!(
            gov,
            policy(&root_of("aws-us-gov")).for_partition(Partition::AwsUsGov)
        );
        assert_ne!(gov, commercial);
        // Moving back gives the commercial form again; staying put shares everything.
        assert_eq!(gov.for_partition(Partition::Aws), commercial);
        let same = commercial.for_partition(Partition::Aws);
        assert!(std::ptr::eq(same.canonical(), commercial.canonical()));
    }

    #[test]
    fn a_cache_moves_each_document_once_per_partition() {
        let mut cache = crate::PartitionCache::new();
        let shared = policy(BARE_ACCOUNT);
        let clone = shared.clone();
        let gov_a = cache.in_context(&shared, Partition::AwsUsGov);
        let gov_b = cache.in_context(&clone, Partition::AwsUsGov);
        assert!(std::ptr::eq(gov_a.canonical(), gov_b.canonical()));
        let china = cache.in_context(&shared, Partition::AwsCn);
        assert!(!std::ptr::eq(china.canonical(), gov_a.canonical()));
        assert_ne!(china, gov_a);
        // Another document with the same text is another entry, with an equal form.
        let other = cache.in_context(&policy(BARE_ACCOUNT), Partition::AwsUsGov);
        assert!(!std::ptr::eq(other.canonical(), gov_a.canonical()));
        assert_eq!(other, gov_a);
        // A document already in the partition is handed back as it is.
        let commercial = cache.in_context(&shared, Partition::Aws);
        assert!(std::ptr::eq(commercial.canonical(), shared.canonical()));
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

    fn key(name: &str) -> PathSegment {
        PathSegment::Key(name.to_string())
    }

    /// Regression: a refused Effect or Principal was quoted whole, and a key named in a
    /// message (a principal type, a condition operator) too, making a line as long as it.
    #[test]
    fn long_values_and_keys_are_cut_in_messages() {
        let long = "x".repeat(100_000);
        let statement = |field: &str| {
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"ecr:*",{field}}}]}}"#
            )
        };
        let cases = [
            format!(r#"{{"Statement":[{{"Effect":"{long}","Principal":"*","Action":"ecr:*"}}]}}"#),
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":"{long}","Action":"ecr:*"}}]}}"#
            ),
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"{long}":7}},"Action":"ecr:*"}}]}}"#
            ),
            statement(&format!(r#""Condition":{{"{long}":7}}"#)),
        ];
        for text in cases {
            let document: serde_json::Value = serde_json::from_str(&text).unwrap();
            let error = IamPolicy::from_value(document).unwrap_err();
            let shown = format!("{}: {}", error.pointer(), error.message);
            assert!(shown.len() < 600, "{}", &shown[..600]);
            assert!(shown.contains("… (100000 characters)"), "{shown}");
        }
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

    /// Generated policies: a model of what a policy grants, rendered into JSON in many
    /// equivalent ways (orders, scalars or lists, repeats, the case of what IAM reads without
    /// case, booleans and numbers quoted or not, account ids bare or as root ARNs of the
    /// partition the policy is used in).
    mod properties {
        use proptest::prelude::*;
        use serde_json::{Map, Value, json};

        use crate::Partition;
        use crate::policy::{IamPolicy, canonicalize_in};

        const ACTIONS: &[&str] = &[
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchCheckLayerAvailability",
            "ecr:PutImage",
            "ecr:*",
            "ecr:Batch*",
            "kms:Decrypt",
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
            orgs: Option<Vec<String>>,
            secure_transport: Option<bool>,
            max_auth_age: Option<u32>,
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
                proptest::option::of(prop::collection::vec(
                    prop::sample::select(ORGS).prop_map(str::to_owned),
                    1..3,
                )),
                proptest::option::of(any::<bool>()),
                proptest::option::of(1u32..100_000),
            )
                .prop_map(
                    |(
                        sid,
                        allow,
                        not_action,
                        actions,
                        principal,
                        resources,
                        orgs,
                        secure_transport,
                        max_auth_age,
                    )| {
                        StatementModel {
                            sid,
                            allow,
                            not_action,
                            actions,
                            principal,
                            resources,
                            orgs,
                            secure_transport,
                            max_auth_age,
                        }
                    },
                )
        }

        type PolicyModel = (Option<&'static str>, Vec<StatementModel>);

        fn policy_model() -> impl Strategy<Value = PolicyModel> {
            (
                proptest::option::of(prop::sample::select(&["2012-10-17", "2008-10-17"][..])),
                prop::collection::vec(statement_model(), 1..5),
            )
        }

        fn partition() -> impl Strategy<Value = Partition> {
            prop::sample::select(&Partition::ALL[..])
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

            /// A name IAM reads without case, in some case: as written, lower, upper, or each
            /// letter flipped at random.
            fn any_case(&mut self, name: &str) -> String {
                match self.below(4) {
                    0 => name.to_owned(),
                    1 => name.to_ascii_lowercase(),
                    2 => name.to_ascii_uppercase(),
                    _ => name
                        .chars()
                        .map(|c| {
                            if self.coin() {
                                c.to_ascii_uppercase()
                            } else {
                                c.to_ascii_lowercase()
                            }
                        })
                        .collect(),
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

            /// A boolean or number condition value, quoted or not.
            fn scalar(&mut self, value: Value) -> Value {
                if self.coin() {
                    Value::from(value.to_string())
                } else {
                    value
                }
            }
        }

        fn render_principal(
            principal: &PrincipalModel,
            partition: Partition,
            choices: &mut Choices,
        ) -> Value {
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
                            AwsPrincipal::Account(id) => partition.root_arn(id),
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

        fn render_statement(
            statement: &StatementModel,
            partition: Partition,
            choices: &mut Choices,
        ) -> Value {
            let strings =
                |values: &[&str]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>();
            let mut object = Map::new();
            if let Some(sid) = &statement.sid {
                object.insert("Sid".into(), json!(sid));
            }
            let effect = if statement.allow { "Allow" } else { "Deny" };
            object.insert("Effect".into(), json!(choices.any_case(effect)));
            let action_key = if statement.not_action {
                "NotAction"
            } else {
                "Action"
            };
            let actions: Vec<String> = statement
                .actions
                .iter()
                .map(|action| choices.any_case(action))
                .collect();
            object.insert(action_key.into(), choices.string_set(&actions));
            if let Some(principal) = &statement.principal {
                object.insert(
                    "Principal".into(),
                    render_principal(principal, partition, choices),
                );
            }
            if let Some(resources) = &statement.resources {
                object.insert("Resource".into(), choices.string_set(&strings(resources)));
            }
            let mut condition = Map::new();
            if let Some(orgs) = &statement.orgs {
                let values = choices.string_set(orgs);
                let key = choices.any_case("aws:PrincipalOrgID");
                condition.insert("StringEquals".into(), json!({ key: values }));
            }
            if let Some(secure) = statement.secure_transport {
                let key = choices.any_case("aws:SecureTransport");
                let value = choices.scalar(json!(secure));
                condition.insert("Bool".into(), json!({ key: value }));
            }
            if let Some(age) = statement.max_auth_age {
                let key = choices.any_case("aws:MultiFactorAuthAge");
                let value = choices.scalar(json!(age));
                condition.insert("NumericLessThan".into(), json!({ key: value }));
            }
            if !condition.is_empty() {
                object.insert("Condition".into(), Value::Object(condition));
            }
            Value::Object(object)
        }

        fn render((version, statements): &PolicyModel, seed: u64, partition: Partition) -> Value {
            let mut choices = Choices(seed);
            let mut rendered: Vec<Value> = statements
                .iter()
                .map(|s| render_statement(s, partition, &mut choices))
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

        fn in_partition(document: Value, partition: Partition) -> IamPolicy {
            IamPolicy::from_value_in(document, partition).unwrap()
        }

        proptest! {
            #[test]
            fn canonicalize_is_idempotent(
                model in policy_model(),
                seed in any::<u64>(),
                partition in partition(),
            ) {
                let canonical = canonicalize_in(&render(&model, seed, partition), partition).unwrap();
                prop_assert_eq!(canonicalize_in(&canonical, partition).unwrap(), canonical);
            }

            #[test]
            fn equivalent_renderings_are_equal_both_ways(
                model in policy_model(),
                seed_a in any::<u64>(),
                seed_b in any::<u64>(),
                partition in partition(),
            ) {
                let a = in_partition(render(&model, seed_a, partition), partition);
                let b = in_partition(render(&model, seed_b, partition), partition);
                prop_assert!(a == b, "{} != {}", a.canonical(), b.canonical());
                prop_assert!(b == a);
            }

            #[test]
            fn a_policy_moved_to_a_partition_equals_it_read_there(
                model in policy_model(),
                seed in any::<u64>(),
                partition in partition(),
            ) {
                let document = render(&model, seed, partition);
                let moved = IamPolicy::from_value(document.clone()).unwrap().for_partition(partition);
                let read_there = in_partition(document, partition);
                prop_assert_eq!(moved.canonical(), read_there.canonical());
            }

            #[test]
            fn equality_is_symmetric(
                model_a in policy_model(),
                model_b in policy_model(),
                seed_a in any::<u64>(),
                seed_b in any::<u64>(),
            ) {
                let a = IamPolicy::from_value(render(&model_a, seed_a, Partition::Aws)).unwrap();
                let b = IamPolicy::from_value(render(&model_b, seed_b, Partition::Aws)).unwrap();
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
                let a = IamPolicy::from_value(render(&model, seed, Partition::Aws)).unwrap();
                let b = IamPolicy::from_value(render(&changed, seed, Partition::Aws)).unwrap();
                prop_assert!(a != b);
                prop_assert!(b != a);
            }

            #[test]
            fn a_duplicated_statement_is_always_equal(
                model in policy_model(),
                seed_a in any::<u64>(),
                seed_b in any::<u64>(),
                which in any::<prop::sample::Index>(),
            ) {
                let mut changed = model.clone();
                let index = which.index(changed.1.len());
                let duplicate = changed.1[index].clone();
                changed.1.push(duplicate);
                let a = IamPolicy::from_value(render(&model, seed_a, Partition::Aws)).unwrap();
                let b = IamPolicy::from_value(render(&changed, seed_b, Partition::Aws)).unwrap();
                prop_assert!(a == b, "{} != {}", a.canonical(), b.canonical());
                prop_assert!(b == a);
            }

            #[test]
            fn a_condition_value_in_another_case_or_of_another_value_is_never_equal(
                model in policy_model(),
                seed in any::<u64>(),
                which in any::<prop::sample::Index>(),
            ) {
                let mut changed = model.clone();
                let index = which.index(changed.1.len());
                let statement = &mut changed.1[index];
                match (&mut statement.orgs, &mut statement.secure_transport, &mut statement.max_auth_age) {
                    (Some(orgs), _, _) => {
                        for org in orgs.iter_mut() {
                            *org = org.to_ascii_uppercase();
                        }
                    }
                    (None, Some(secure), _) => *secure = !*secure,
                    (None, None, Some(age)) => *age += 1,
                    (None, None, None) => statement.secure_transport = Some(true),
                }
                let a = IamPolicy::from_value(render(&model, seed, Partition::Aws)).unwrap();
                let b = IamPolicy::from_value(render(&changed, seed, Partition::Aws)).unwrap();
                prop_assert!(a != b);
                prop_assert!(b != a);
            }

            #[test]
            fn an_account_root_of_another_partition_is_never_equal(
                model in policy_model(),
                seed in any::<u64>(),
                used_in in partition(),
                written_for in partition(),
            ) {
                prop_assume!(used_in != written_for);
                // Root ARNs written out, so that the text names a partition.
                let roots_only = |partition: Partition| {
                    let mut document = render(&model, seed, partition);
                    let canonical = canonicalize_in(&document, partition).unwrap();
                    document["Statement"] = canonical["Statement"].clone();
                    document
                };
                let names_an_account = model.1.iter().any(|statement| matches!(
                    &statement.principal,
                    Some(PrincipalModel::Named { aws, .. })
                        if aws.iter().any(|p| matches!(p, AwsPrincipal::Account(_)))
                ));
                prop_assume!(names_an_account);
                let a = in_partition(roots_only(used_in), used_in);
                let b = in_partition(roots_only(written_for), used_in);
                prop_assert!(a != b);
                prop_assert!(b != a);
            }
        }
    }
}
