//! How access is said: one sentence per grant (`345678901234 (account) can pull`), the words
//! every output uses, so that the matrix, the plan's access lines and the JSON's `text` never
//! disagree.

use std::fmt;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::{AccessGrant, ConditionSet, Principal, Requirement};
use crate::policy::access::classes::Needs;

/// The context key whose value is the caller's organization.
const ORG_ID_KEY: &str = "aws:PrincipalOrgID";

/// The operators for which `aws:PrincipalOrgID` on `*` reads as "anyone in the organization".
const ORG_OPERATORS: [&str; 3] = ["StringEquals", "StringEqualsIgnoreCase", "StringLike"];

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Anyone => f.write_str("* (anyone)"),
            Principal::AnyoneExcept { except } => {
                write!(f, "* (anyone except {})", principal_list(except, "and"))
            }
            Principal::Account {
                account,
                arn,
                in_partition,
            } => {
                if *in_partition {
                    write!(f, "{account} (account)")
                } else {
                    write!(f, "{arn} (account)")
                }
            }
            Principal::Aws { arn } => f.write_str(arn),
            Principal::Service { service } => write!(f, "{service} (service)"),
            Principal::Federated { provider } => write!(f, "{provider} (federated)"),
            Principal::CanonicalUser { id } => write!(f, "{id} (canonical user)"),
            Principal::Other { principal_type, id } => write!(f, "{principal_type} {id}"),
        }
    }
}

fn principal_list(principals: &[Principal], conjunction: &str) -> String {
    let shown: Vec<String> = principals.iter().map(ToString::to_string).collect();
    joined(&shown, conjunction)
}

/// `a`, `a or b`, `a, b or c`.
fn joined(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Condition {
                operator,
                key,
                values,
            } => f.write_str(&condition_phrase(operator, key, values)),
            Requirement::Resource { resources } => write!(f, "on {}", joined(resources, "or")),
            Requirement::NotResource { resources } => {
                write!(f, "not on {}", joined(resources, "or"))
            }
            Requirement::Caller { principals } => {
                write!(f, "the caller is {}", principal_list(principals, "or"))
            }
            Requirement::CallerNot { principals } => {
                write!(f, "the caller is not {}", principal_list(principals, "or"))
            }
        }
    }
}

/// One condition in words, for the operators people write most; any other as IAM writes it
/// (`ForAnyValue:StringEquals aws:TagKeys a, b`).
fn condition_phrase(operator: &str, key: &str, values: &[String]) -> String {
    let (base, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let any = || joined(values, "or");
    let none = || joined(values, "nor");
    let phrase = match base {
        "StringEquals"
        | "StringEqualsIgnoreCase"
        | "ArnEquals"
        | "NumericEquals"
        | "DateEquals"
        | "Bool"
        | "BinaryEquals" => format!("{key} is {}", any()),
        "StringNotEquals"
        | "StringNotEqualsIgnoreCase"
        | "ArnNotEquals"
        | "NumericNotEquals"
        | "DateNotEquals" => {
            let verb = if values.len() > 1 {
                "is neither"
            } else {
                "is not"
            };
            format!("{key} {verb} {}", none())
        }
        "StringLike" | "ArnLike" => format!("{key} matches {}", any()),
        "StringNotLike" | "ArnNotLike" => {
            let verb = if values.len() > 1 {
                "matches neither"
            } else {
                "does not match"
            };
            format!("{key} {verb} {}", none())
        }
        "IpAddress" => format!("{key} is in {}", any()),
        "NotIpAddress" => format!("{key} is not in {}", none()),
        "NumericLessThan" | "DateLessThan" => format!("{key} < {}", any()),
        "NumericLessThanEquals" | "DateLessThanEquals" => format!("{key} <= {}", any()),
        "NumericGreaterThan" | "DateGreaterThan" => format!("{key} > {}", any()),
        "NumericGreaterThanEquals" | "DateGreaterThanEquals" => format!("{key} >= {}", any()),
        "Null" if values == ["true"] => format!("{key} is absent"),
        "Null" if values == ["false"] => format!("{key} is present"),
        _ => return format!("{operator} {key} {}", values.join(", ")),
    };
    if if_exists {
        format!("{phrase} (or is absent)")
    } else {
        phrase
    }
}

/// Requirements that must all hold, in words.
fn set_phrase(set: &[Requirement], among_others: bool) -> String {
    let parts: Vec<String> = set.iter().map(ToString::to_string).collect();
    let text = parts.join(" and ");
    if among_others && parts.len() > 1 {
        format!("({text})")
    } else {
        text
    }
}

/// Sets any of which holds, in words.
fn alternatives_phrase(sets: &[ConditionSet], among_others: bool) -> String {
    let parts: Vec<String> = sets
        .iter()
        .map(|set| set_phrase(set, sets.len() > 1 || among_others))
        .collect();
    let text = parts.join(" or ");
    if among_others && parts.len() > 1 {
        format!("({text})")
    } else {
        text
    }
}

impl AccessGrant {
    /// The grant in one sentence: `* (anyone in o-abc123) can pull`,
    /// `lambda.amazonaws.com (service) can pull if aws:SourceArn matches arn:...`,
    /// `arn:...:role/x has part of push: ecr:PutImage, not ecr:CompleteLayerUpload, ...`.
    ///
    /// When the grant depends on one set of requirements, two of them read better elsewhere
    /// in the sentence: `aws:PrincipalOrgID` on `*` names who (`* (anyone in o-abc123)`), and
    /// resources say where (`can create repositories on arn:...:repository/docker-hub/*`).
    pub fn sentence(&self) -> String {
        let (who, what) = self.parts();
        format!("{who} {what}")
    }

    /// Who the sentence is about: `* (anyone in o-abc123)`, `345678901234 (account)`.
    pub fn who(&self) -> String {
        self.parts().0
    }

    /// The rest of the sentence: `can pull if aws:SecureTransport is true`.
    pub fn what(&self) -> String {
        self.parts().1
    }

    fn parts(&self) -> (String, String) {
        let single = match self.when.as_slice() {
            [alternatives] => match alternatives.as_slice() {
                [set] => Some(set),
                _ => None,
            },
            _ => None,
        };
        let mut who = self.principal.to_string();
        let mut place = String::new();
        let when = match single {
            Some(set) => {
                let mut rest: ConditionSet = set.clone();
                if self.principal == Principal::Anyone
                    && let Some(index) = rest.iter().position(|requirement| {
                        matches!(requirement, Requirement::Condition { operator, key, .. }
                            if key == ORG_ID_KEY && ORG_OPERATORS.contains(&operator.as_str()))
                    })
                    && let Requirement::Condition { values, .. } = rest.remove(index)
                {
                    who = format!("* (anyone in {})", joined(&values, "or"));
                }
                let (resources, others): (Vec<Requirement>, Vec<Requirement>) =
                    rest.into_iter().partition(|requirement| {
                        matches!(
                            requirement,
                            Requirement::Resource { .. } | Requirement::NotResource { .. }
                        )
                    });
                place = set_phrase(&resources, false);
                set_phrase(&others, false)
            }
            None => {
                let parts: Vec<String> = self
                    .when
                    .iter()
                    .map(|alternatives| alternatives_phrase(alternatives, self.when.len() > 1))
                    .collect();
                parts.join(" and ")
            }
        };
        let definition = self.class.definition();
        let what = match (self.partial, definition.needs) {
            (false, _) => format!("can {}", definition.phrase),
            (true, Needs::All(_)) => format!(
                "has part of {}: {}, not {}",
                definition.phrase,
                self.actions.join(", "),
                self.missing.join(", ")
            ),
            (true, Needs::Each) => {
                format!("can {}: {}", definition.phrase, self.actions.join(", "))
            }
        };
        let mut sentence = what;
        if !place.is_empty() {
            sentence.push(' ');
            sentence.push_str(&place);
        }
        if !when.is_empty() {
            sentence.push_str(" if ");
            sentence.push_str(&when);
        }
        if !self.unless.is_empty() {
            sentence.push_str(" unless ");
            sentence.push_str(&alternatives_phrase(&self.unless, false));
        }
        (who, sentence)
    }
}

impl fmt::Display for AccessGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sentence())
    }
}

/// `{principal, class, actions, partial, missing?, when?, unless?, text}`: the data, and the
/// sentence every other output prints.
impl Serialize for AccessGrant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("AccessGrant", 8)?;
        state.serialize_field("principal", &self.principal)?;
        state.serialize_field("class", &self.class)?;
        state.serialize_field("actions", &self.actions)?;
        state.serialize_field("partial", &self.partial)?;
        if self.missing.is_empty() {
            state.skip_field("missing")?;
        } else {
            state.serialize_field("missing", &self.missing)?;
        }
        if self.when.is_empty() {
            state.skip_field("when")?;
        } else {
            state.serialize_field("when", &self.when)?;
        }
        if self.unless.is_empty() {
            state.skip_field("unless")?;
        } else {
            state.serialize_field("unless", &self.unless)?;
        }
        state.serialize_field("text", &self.sentence())?;
        state.end()
    }
}
