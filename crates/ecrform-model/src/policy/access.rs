//! Who can do what under a repository or registry policy: [`IamPolicy::access`] reads the
//! canonical form into an [`AccessMatrix`], one [`AccessGrant`] per principal and
//! [`AccessClass`] (pull, push, delete images, manage, read, replicate, create repositories,
//! import upstream images), and [`AccessDelta`] is what a policy change adds and removes.
//!
//! A reviewer reads these lines instead of the policy, so they must never say more or less
//! than IAM would grant. The evaluation follows IAM's rules for what the document alone can
//! tell, and shows the rest rather than guessing it:
//!
//! - Principals are the ones the Allow statements name, each as written: `*` (anyone), an
//!   account (its root ARN, or a bare id), an IAM role, user or session ARN, a service
//!   (`lambda.amazonaws.com`), a federated or canonical user, and "anyone except ..." for an
//!   Allow with `NotPrincipal`. What `*` is granted is on the `*` line and holds for every
//!   principal; a principal's own line says what the statements naming it grant.
//! - Actions match as IAM matches them: case-insensitively, with `*` and `?` wildcards
//!   (`ecr:*`, `ecr:Batch*`), and `NotAction` grants (or denies) every ECR action it does not
//!   list. Actions of other services are not ECR access and are left out.
//! - A `Condition` is never dropped: a grant under one is shown with it (`if aws:SourceArn
//!   matches ...`), and `aws:PrincipalOrgID` on `*` names the organization (`* (anyone in
//!   o-abc123)`). A conditional Deny over a grant is shown as `unless ...`; an unconditional
//!   Deny removes the grant. A Deny that names an account covers the account's roles and
//!   users; a Deny naming only some of what a line covers (a role, where `*` is granted) is an
//!   `unless the caller is ...`.
//! - Resources: in a repository policy whose repository is known, a statement whose
//!   `Resource` does not match it does not apply (and one whose `NotResource` does, neither).
//!   Otherwise (a registry policy naming some repositories, or a document read without
//!   knowing where it is used) the resources are shown as a condition (`on arn:...`).
//! - A principal "can pull" (or push) only when every action the class needs is granted under
//!   the same principal: some of them is shown as `has part of pull: ecr:BatchGetImage, not
//!   ecr:GetDownloadUrlForLayer`. For the other classes each action is a power of its own, and
//!   a line names the actions when it is not all of them (`can manage: ecr:DeleteRepository`).

mod classes;
mod wording;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use self::classes::Needs;
pub use self::classes::{AccessClass, IamPolicyKind};
use super::IamPolicy;
use super::grant::{action_pattern_matches, wildcard_matches};
use crate::{Partition, RegistryId, RegistryState, RepositoryName};

/// What a policy is read for: a repository's policy or a registry's, and where it is used
/// when that is known (resources are then matched against it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessScope {
    /// A repository policy; the repository's ARN when known.
    Repository(Option<String>),
    /// A registry policy; the registry when known.
    Registry(Option<RegistryId>),
}

impl AccessScope {
    pub fn kind(&self) -> IamPolicyKind {
        match self {
            AccessScope::Repository(_) => IamPolicyKind::Repository,
            AccessScope::Registry(_) => IamPolicyKind::Registry,
        }
    }

    /// The ARN a statement's resources must match to apply everywhere the policy governs:
    /// the repository, or every repository of the registry (`.../repository/*` as a literal:
    /// only a pattern that matches that text covers them all).
    fn target(&self) -> Option<String> {
        match self {
            AccessScope::Repository(arn) => arn.clone(),
            AccessScope::Registry(registry) => registry.as_ref().map(|registry| {
                format!(
                    "arn:{}:ecr:{}:{}:repository/*",
                    registry.region.partition(),
                    registry.region,
                    registry.account
                )
            }),
        }
    }
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Principal {
    /// `*`: every principal, in every account, and AWS services.
    Anyone,
    /// An Allow with `NotPrincipal`: every principal but these.
    AnyoneExcept { except: Vec<Principal> },
    /// An account's root: every principal of the account its own IAM policies allow.
    /// `in_partition` says whether the root ARN is in the policy's partition (a bare account
    /// id there), which is how it is shown.
    Account {
        account: String,
        arn: String,
        #[serde(skip)]
        in_partition: bool,
    },
    /// An IAM role, user, role session or other AWS principal, by ARN.
    Aws { arn: String },
    /// An AWS service (`lambda.amazonaws.com`).
    Service { service: String },
    /// A web identity or SAML provider.
    Federated { provider: String },
    /// An S3 canonical user id.
    CanonicalUser { id: String },
    /// A principal type IAM may know and ecrform does not.
    Other { principal_type: String, id: String },
}

impl Principal {
    /// Whether the principal is everyone (or everyone but some): what a public or
    /// organization-wide grant is made to.
    pub fn is_anyone(&self) -> bool {
        matches!(self, Principal::Anyone | Principal::AnyoneExcept { .. })
    }

    /// One id of a canonical principal object (`{type: [ids]}`).
    fn from_canonical(principal_type: &str, id: &str, partition: Partition) -> Self {
        match principal_type {
            "AWS" if id == "*" => Principal::Anyone,
            "AWS" => match root_account(id) {
                Some((id_partition, account)) => Principal::Account {
                    account: account.to_owned(),
                    arn: id.to_owned(),
                    in_partition: id_partition == partition.as_str(),
                },
                None => Principal::Aws { arn: id.to_owned() },
            },
            "Service" => Principal::Service {
                service: id.to_owned(),
            },
            "Federated" => Principal::Federated {
                provider: id.to_owned(),
            },
            "CanonicalUser" => Principal::CanonicalUser { id: id.to_owned() },
            other => Principal::Other {
                principal_type: other.to_owned(),
                id: id.to_owned(),
            },
        }
    }

    /// The partition and account an AWS principal belongs to: a root's, or an IAM or STS
    /// ARN's (`arn:aws:iam::ID:role/x`, `arn:aws:sts::ID:assumed-role/x/s`).
    fn account(&self) -> Option<(&str, &str)> {
        match self {
            Principal::Account { arn, .. } | Principal::Aws { arn } => arn_account(arn),
            _ => None,
        }
    }

    /// Whether `self` (named in a Deny) covers every principal `row` stands for: the same
    /// principal, `*`, or the account of a role or user.
    fn covers(&self, row: &Principal) -> bool {
        if self == &Principal::Anyone || self == row {
            return true;
        }
        matches!(self, Principal::Account { .. })
            && matches!(row, Principal::Aws { .. })
            && self.account().is_some()
            && self.account() == row.account()
    }

    /// Whether `self` stands for some but not all of the principals `row` stands for: any
    /// principal within `*`, a role or user within its account.
    fn is_within(&self, row: &Principal) -> bool {
        match row {
            Principal::Anyone | Principal::AnyoneExcept { .. } => self != row,
            Principal::Account { .. } => {
                matches!(self, Principal::Aws { .. })
                    && self.account().is_some()
                    && self.account() == row.account()
            }
            _ => false,
        }
    }
}

/// `arn:PARTITION:iam::ACCOUNT:root` as its partition and account.
fn root_account(arn: &str) -> Option<(&str, &str)> {
    let (partition, account) = arn_account(arn)?;
    let rest = arn.strip_prefix("arn:")?.split_once(":iam::")?.1;
    (rest.strip_prefix(account)? == ":root").then_some((partition, account))
}

/// The partition and account of an IAM or STS ARN.
fn arn_account(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(""), Some(account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let valid = !partition.is_empty()
        && matches!(service, "iam" | "sts")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit());
    valid.then_some((partition, account))
}

/// One thing that must hold for a statement to apply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Requirement {
    /// A condition of the statement's `Condition`: operator, context key (in its canonical
    /// spelling) and the values any of which matches.
    Condition {
        operator: String,
        key: String,
        values: Vec<String>,
    },
    /// The statement's `Resource`: the request is for one of these.
    Resource { resources: Vec<String> },
    /// The statement's `NotResource`: the request is for none of these.
    NotResource { resources: Vec<String> },
    /// A Deny naming some of the principals a line covers: the caller is one of these.
    Caller { principals: Vec<Principal> },
    /// A Deny with `NotPrincipal` over a line that covers more: the caller is none of these.
    CallerNot { principals: Vec<Principal> },
}

/// Requirements that must all hold; empty when nothing is required.
pub type ConditionSet = Vec<Requirement>;

/// One grant of a matrix: a principal's access to one class, or to part of it, and the
/// conditions it depends on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccessGrant {
    pub principal: Principal,
    pub class: AccessClass,
    /// The class's actions the grant covers, `ecr:` prefixed.
    pub actions: Vec<String>,
    /// Whether the grant is only part of the class: for pull and push, some of the actions
    /// the class needs (see `missing`); for the other classes, some of its actions.
    pub partial: bool,
    /// For part of pull or push: the needed actions that are not granted.
    pub missing: Vec<String>,
    /// What must hold for the grant to apply: every entry must, and an entry holds when any
    /// of its condition sets does. Empty: the grant is unconditional.
    pub when: Vec<Vec<ConditionSet>>,
    /// Conditional Denies: the grant does not apply when any of these sets holds.
    pub unless: Vec<ConditionSet>,
}

impl AccessGrant {
    /// Whether the grant depends on nothing (no condition, no conditional Deny).
    pub fn is_unconditional(&self) -> bool {
        self.when.is_empty() && self.unless.is_empty()
    }
}

/// Who can do what under one policy: every grant, ordered by principal (`*` first), then by
/// class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccessMatrix {
    pub grants: Vec<AccessGrant>,
}

impl AccessMatrix {
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// The grants of one class.
    pub fn of_class(&self, class: AccessClass) -> impl Iterator<Item = &AccessGrant> {
        self.grants.iter().filter(move |grant| grant.class == class)
    }

    /// The classes granted in full and unconditionally to `principal`.
    pub fn unconditional_classes(&self, principal: &Principal) -> BTreeSet<AccessClass> {
        self.grants
            .iter()
            .filter(|grant| {
                &grant.principal == principal && !grant.partial && grant.is_unconditional()
            })
            .map(|grant| grant.class)
            .collect()
    }
}

/// What a policy change does to access: the grants of the new policy that the old one does
/// not make, and those it no longer makes. A grant whose condition changed is one of each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccessDelta {
    pub added: Vec<AccessGrant>,
    pub removed: Vec<AccessGrant>,
}

/// How a line of an [`AccessDelta`] is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeltaSign {
    /// `+`: a grant the change adds.
    Added,
    /// `!`: a grant the change adds to anyone (`*`, perhaps within an organization or under a
    /// condition): the widest kind, marked to stand out.
    AddedToAnyone,
    /// `-`: a grant the change removes.
    Removed,
}

impl DeltaSign {
    pub fn as_str(self) -> &'static str {
        match self {
            DeltaSign::Added => "+",
            DeltaSign::AddedToAnyone => "!",
            DeltaSign::Removed => "-",
        }
    }
}

impl AccessDelta {
    /// What changing a policy from `before` to `after` does to access (`None`: no policy).
    pub fn between(before: Option<&AccessMatrix>, after: Option<&AccessMatrix>) -> Self {
        let empty = AccessMatrix::default();
        let (before, after) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
        let old: BTreeSet<&AccessGrant> = before.grants.iter().collect();
        let new: BTreeSet<&AccessGrant> = after.grants.iter().collect();
        AccessDelta {
            added: new.difference(&old).map(|g| (*g).clone()).collect(),
            removed: old.difference(&new).map(|g| (*g).clone()).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// Every grant with its sign, ordered by principal and class, a removal before the
    /// addition that replaces it, so that a changed condition reads as two adjacent lines.
    pub fn lines(&self) -> Vec<(DeltaSign, &AccessGrant)> {
        let mut lines: Vec<(DeltaSign, &AccessGrant)> = self
            .removed
            .iter()
            .map(|grant| (DeltaSign::Removed, grant))
            .chain(self.added.iter().map(|grant| {
                let sign = if grant.principal.is_anyone() {
                    DeltaSign::AddedToAnyone
                } else {
                    DeltaSign::Added
                };
                (sign, grant)
            }))
            .collect();
        lines.sort_by(|(sign_a, a), (sign_b, b)| {
            let removed_first = |sign: &DeltaSign| *sign != DeltaSign::Removed;
            (&a.principal, a.class, removed_first(sign_a), *a).cmp(&(
                &b.principal,
                b.class,
                removed_first(sign_b),
                *b,
            ))
        });
        lines
    }
}

/// What one policy setting of a registry gives: its grants, no policy at all, or not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum PolicyAccess {
    /// The spec leaves the policy out (it is not managed), or it was not read.
    Unknown,
    /// There is no policy: only the registry account's own principals have access, through
    /// their IAM policies.
    None,
    /// A policy, and who can do what under it.
    Present { grants: Vec<AccessGrant> },
}

impl PolicyAccess {
    fn of(policy: Option<Option<&IamPolicy>>, scope: &AccessScope) -> Self {
        match policy {
            None => PolicyAccess::Unknown,
            Some(None) => PolicyAccess::None,
            Some(Some(policy)) => PolicyAccess::Present {
                grants: policy.access(scope).grants,
            },
        }
    }
}

/// Who can do what in one registry: under its registry policy, each repository's policy and
/// the policy each creation template gives the repositories it creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryAccess {
    #[serde(serialize_with = "serialize_display")]
    pub registry: RegistryId,
    pub registry_policy: PolicyAccess,
    pub repositories: BTreeMap<RepositoryName, PolicyAccess>,
    /// By prefix; left out when the state holds no creation templates.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub creation_templates: BTreeMap<String, PolicyAccess>,
}

impl RegistryAccess {
    /// The access the policies of `state` (desired or live) give.
    pub fn of(state: &RegistryState) -> Self {
        let registry = state.id();
        let repositories = state
            .repositories
            .iter()
            .map(|(name, repository)| {
                let scope = AccessScope::Repository(Some(registry.repository_arn(name)));
                let access = PolicyAccess::of(repository.repository_policy.as_managed(), &scope);
                (name.clone(), access)
            })
            .collect();
        let creation_templates = state
            .creation_templates
            .iter()
            .flatten()
            .map(|(prefix, template)| {
                let policy = Some(template.repository_policy.as_ref());
                let access = PolicyAccess::of(policy, &AccessScope::Repository(None));
                (prefix.clone(), access)
            })
            .collect();
        RegistryAccess {
            registry_policy: PolicyAccess::of(
                state.registry_policy.as_managed(),
                &AccessScope::Registry(Some(registry.clone())),
            ),
            registry,
            repositories,
            creation_templates,
        }
    }
}

fn serialize_display<S: serde::Serializer>(
    value: &impl std::fmt::Display,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

impl IamPolicy {
    /// Who can do what under this policy, read for `scope` (see the module documentation
    /// for how statements, conditions and resources are read).
    pub fn access(&self, scope: &AccessScope) -> AccessMatrix {
        let partition = self.partition();
        let target = scope.target();
        let statements: Vec<Statement> = self
            .canonical()
            .get("Statement")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|statement| Statement::read(statement, partition, scope, target.as_deref()))
            .collect();

        let mut rows: BTreeSet<Principal> = BTreeSet::new();
        for statement in statements.iter().filter(|s| s.allow) {
            match &statement.principals {
                Principals::Listed(listed) => rows.extend(listed.iter().cloned()),
                Principals::AllExcept(except) => {
                    rows.insert(Principal::AnyoneExcept {
                        except: except.clone(),
                    });
                }
            }
        }

        let kind = scope.kind();
        let mut grants = Vec::new();
        for row in &rows {
            let access: BTreeMap<&str, ActionAccess> = AccessClass::ALL
                .iter()
                .flat_map(|class| class.action_names(kind))
                .collect::<BTreeSet<&str>>()
                .into_iter()
                .filter_map(|action| {
                    action_access(&statements, row, &format!("ecr:{action}"))
                        .map(|access| (action, access))
                })
                .collect();
            grants.extend(class_grants(row, kind, &access));
        }
        grants.sort();
        AccessMatrix { grants }
    }
}

/// Who a statement names.
#[derive(Debug)]
enum Principals {
    Listed(Vec<Principal>),
    /// `NotPrincipal`.
    AllExcept(Vec<Principal>),
}

/// Which actions a statement names.
#[derive(Debug)]
enum Actions<'a> {
    Listed(Vec<&'a str>),
    /// `NotAction`.
    AllExcept(Vec<&'a str>),
}

impl Actions<'_> {
    fn cover(&self, action: &str) -> bool {
        let any = |patterns: &[&str]| {
            patterns
                .iter()
                .any(|pattern| action_pattern_matches(pattern, action))
        };
        match self {
            Actions::Listed(patterns) => any(patterns),
            Actions::AllExcept(patterns) => !any(patterns),
        }
    }
}

/// One statement of the canonical form, as far as access goes.
#[derive(Debug)]
struct Statement<'a> {
    allow: bool,
    principals: Principals,
    actions: Actions<'a>,
    /// The statement's conditions and, where its resources cover only part of the scope,
    /// the resources.
    requires: ConditionSet,
}

impl<'a> Statement<'a> {
    /// `None` for a statement that cannot apply in `scope`: no principal element, or
    /// resources that leave out the repository the policy is for.
    fn read(
        statement: &'a Map<String, Value>,
        partition: Partition,
        scope: &AccessScope,
        target: Option<&str>,
    ) -> Option<Self> {
        let allow = match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow") => true,
            Some("Deny") => false,
            _ => return None,
        };
        let principals = match (statement.get("Principal"), statement.get("NotPrincipal")) {
            (Some(listed), _) => Principals::Listed(principals(listed, partition)),
            (None, Some(except)) => Principals::AllExcept(principals(except, partition)),
            // A statement that names nobody grants and denies nobody.
            (None, None) => return None,
        };
        let actions = match (statement.get("Action"), statement.get("NotAction")) {
            (Some(listed), _) => Actions::Listed(strings(listed)),
            (None, Some(except)) => Actions::AllExcept(strings(except)),
            (None, None) => return None,
        };
        let mut requires = conditions(statement.get("Condition"));
        match resource_fit(statement, scope, target) {
            ResourceFit::Applies => {}
            ResourceFit::DoesNotApply => return None,
            ResourceFit::Restricted(requirement) => requires.push(requirement),
        }
        requires.sort();
        requires.dedup();
        Some(Statement {
            allow,
            principals,
            actions,
            requires,
        })
    }

    /// For an Allow: whether it names `row` (exactly: what `*` is granted is `*`'s line).
    fn allows(&self, row: &Principal) -> bool {
        match (&self.principals, row) {
            (Principals::Listed(listed), row) => listed.contains(row),
            (Principals::AllExcept(except), Principal::AnyoneExcept { except: row }) => {
                except == row
            }
            (Principals::AllExcept(_), _) => false,
        }
    }

    /// For a Deny: whether it refuses `row` always (`Some(None)`), only for some of the
    /// principals the row stands for (`Some(Some(requirement))`), or never.
    fn denies(&self, row: &Principal) -> Option<Option<Requirement>> {
        match &self.principals {
            Principals::Listed(listed) => {
                if listed.iter().any(|named| named.covers(row)) {
                    return Some(None);
                }
                let within: Vec<Principal> = listed
                    .iter()
                    .filter(|named| named.is_within(row))
                    .cloned()
                    .collect();
                (!within.is_empty()).then_some(Some(Requirement::Caller { principals: within }))
            }
            Principals::AllExcept(except) => {
                if except.contains(row) || except.contains(&Principal::Anyone) {
                    return None;
                }
                let spared: Vec<Principal> = except
                    .iter()
                    .filter(|named| named.is_within(row))
                    .cloned()
                    .collect();
                if spared.is_empty() {
                    Some(None)
                } else {
                    Some(Some(Requirement::CallerNot { principals: spared }))
                }
            }
        }
    }
}

/// A canonical principal object as principals, sorted.
fn principals(value: &Value, partition: Partition) -> Vec<Principal> {
    let mut principals: Vec<Principal> = value
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(principal_type, ids)| {
            strings(ids)
                .into_iter()
                .map(move |id| Principal::from_canonical(principal_type, id, partition))
        })
        .collect();
    principals.sort();
    principals.dedup();
    principals
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A canonical `Condition` (`{operator: {key: [values]}}`) as requirements.
fn conditions(condition: Option<&Value>) -> ConditionSet {
    let Some(Value::Object(operators)) = condition else {
        return Vec::new();
    };
    let mut requirements = Vec::new();
    for (operator, keys) in operators {
        for (key, values) in keys.as_object().into_iter().flatten() {
            let values = match values {
                Value::Array(items) => items.iter().map(value_text).collect(),
                scalar => vec![value_text(scalar)],
            };
            requirements.push(Requirement::Condition {
                operator: operator.clone(),
                key: key.clone(),
                values,
            });
        }
    }
    requirements
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// How a statement's resources relate to what the policy governs.
#[derive(Debug)]
enum ResourceFit {
    Applies,
    DoesNotApply,
    /// Only where this holds (a registry policy naming some repositories, or a document read
    /// without knowing where it is used).
    Restricted(Requirement),
}

fn resource_fit(
    statement: &Map<String, Value>,
    scope: &AccessScope,
    target: Option<&str>,
) -> ResourceFit {
    let matches_target = |patterns: &[&str]| {
        target.is_some_and(|target| {
            patterns
                .iter()
                .any(|pattern| wildcard_matches(pattern, target))
        })
    };
    let owned = |patterns: &[&str]| patterns.iter().map(|p| (*p).to_owned()).collect();
    let repository_known = matches!(scope, AccessScope::Repository(Some(_)));
    if let Some(listed) = statement.get("Resource") {
        let patterns = strings(listed);
        if patterns.contains(&"*") || matches_target(&patterns) {
            ResourceFit::Applies
        } else if repository_known {
            ResourceFit::DoesNotApply
        } else {
            ResourceFit::Restricted(Requirement::Resource {
                resources: owned(&patterns),
            })
        }
    } else if let Some(excepted) = statement.get("NotResource") {
        let patterns = strings(excepted);
        if patterns.contains(&"*") || matches_target(&patterns) {
            ResourceFit::DoesNotApply
        } else if repository_known {
            ResourceFit::Applies
        } else {
            ResourceFit::Restricted(Requirement::NotResource {
                resources: owned(&patterns),
            })
        }
    } else {
        ResourceFit::Applies
    }
}

/// What a principal has of one action: the condition sets any of which lets it (an empty
/// set: always), and the conditional Denies that may refuse it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ActionAccess {
    allowed_if: Vec<ConditionSet>,
    unless: Vec<ConditionSet>,
}

impl ActionAccess {
    fn is_always(&self) -> bool {
        self.allowed_if.len() == 1 && self.allowed_if[0].is_empty()
    }
}

/// `row`'s access to `action`: `None` when no Allow naming it covers the action, or an
/// unconditional Deny refuses it.
fn action_access(statements: &[Statement], row: &Principal, action: &str) -> Option<ActionAccess> {
    let mut allowed_if: Vec<ConditionSet> = statements
        .iter()
        .filter(|s| s.allow && s.allows(row) && s.actions.cover(action))
        .map(|s| s.requires.clone())
        .collect();
    if allowed_if.is_empty() {
        return None;
    }
    if allowed_if.iter().any(Vec::is_empty) {
        allowed_if = vec![Vec::new()];
    }
    allowed_if.sort();
    allowed_if.dedup();
    let mut unless = Vec::new();
    for statement in statements
        .iter()
        .filter(|s| !s.allow && s.actions.cover(action))
    {
        let Some(partly) = statement.denies(row) else {
            continue;
        };
        let mut set = statement.requires.clone();
        set.extend(partly);
        if set.is_empty() {
            return None;
        }
        set.sort();
        set.dedup();
        unless.push(set);
    }
    unless.sort();
    unless.dedup();
    Some(ActionAccess { allowed_if, unless })
}

/// `row`'s grants, class by class, from its access to each action.
fn class_grants(
    row: &Principal,
    kind: IamPolicyKind,
    access: &BTreeMap<&str, ActionAccess>,
) -> Vec<AccessGrant> {
    let prefixed = |name: &str| format!("ecr:{name}");
    let granted = |class: AccessClass| -> Vec<&'static str> {
        class
            .action_names(kind)
            .filter(|action| access.contains_key(action))
            .collect()
    };
    let complete = |class: AccessClass| match class.definition().needs {
        Needs::All(needed) => needed.iter().all(|action| access.contains_key(action)),
        Needs::Each => false,
    };
    // An action that belongs to two classes (BatchCheckLayerAvailability: pull and push) is
    // accounted for by the one granted whole; it is not also a part of the other.
    let whole: Vec<AccessClass> = AccessClass::ALL
        .into_iter()
        .filter(|class| complete(*class))
        .collect();
    let accounted = |action: &str| {
        whole
            .iter()
            .any(|class| class.action_names(kind).any(|a| a == action))
    };

    let mut grants = Vec::new();
    for class in AccessClass::ALL {
        let actions = granted(class);
        if actions.is_empty() {
            continue;
        }
        let grant =
            |actions: &[&str], partial: bool, missing: Vec<String>, when, unless| AccessGrant {
                principal: row.clone(),
                class,
                actions: actions.iter().map(|a| prefixed(a)).collect(),
                partial,
                missing,
                when,
                unless,
            };
        match class.definition().needs {
            Needs::All(needed) if complete(class) => {
                let needed_access: Vec<&ActionAccess> = needed
                    .iter()
                    .filter_map(|action| access.get(action))
                    .collect();
                let mut when: Vec<Vec<ConditionSet>> = needed_access
                    .iter()
                    .filter(|access| !access.is_always())
                    .map(|access| access.allowed_if.clone())
                    .collect();
                when.sort();
                when.dedup();
                let mut unless: Vec<ConditionSet> = needed_access
                    .iter()
                    .flat_map(|access| access.unless.iter().cloned())
                    .collect();
                unless.sort();
                unless.dedup();
                grants.push(grant(&actions, false, Vec::new(), when, unless));
            }
            Needs::All(needed) => {
                // Part of a class is some of what it needs, not an action it shares with a
                // class granted whole or merely may use (the layer check, for pull).
                let needs_some = actions.iter().any(|action| needed.contains(action));
                if !needs_some || actions.iter().all(|action| accounted(action)) {
                    continue;
                }
                let missing: Vec<String> = needed
                    .iter()
                    .filter(|action| !access.contains_key(*action))
                    .map(|action| prefixed(action))
                    .collect();
                for (access, group) in grouped(&actions, access) {
                    grants.push(grant(
                        &group,
                        true,
                        missing.clone(),
                        when_of(access),
                        access.unless.clone(),
                    ));
                }
            }
            Needs::Each => {
                let all = class.action_names(kind).count();
                for (access, group) in grouped(&actions, access) {
                    let partial = group.len() < all;
                    grants.push(grant(
                        &group,
                        partial,
                        Vec::new(),
                        when_of(access),
                        access.unless.clone(),
                    ));
                }
            }
        }
    }
    grants
}

/// The condition entries of one action's access.
fn when_of(access: &ActionAccess) -> Vec<Vec<ConditionSet>> {
    if access.is_always() {
        Vec::new()
    } else {
        vec![access.allowed_if.clone()]
    }
}

/// Actions grouped by identical access, so that each grant line is true of every action it
/// names.
fn grouped<'a>(
    actions: &[&'static str],
    access: &'a BTreeMap<&str, ActionAccess>,
) -> Vec<(&'a ActionAccess, Vec<&'static str>)> {
    let mut groups: Vec<(&ActionAccess, Vec<&'static str>)> = Vec::new();
    for action in actions {
        let Some(this) = access.get(action) else {
            continue;
        };
        match groups.iter_mut().find(|(known, _)| *known == this) {
            Some((_, group)) => group.push(action),
            None => groups.push((this, vec![action])),
        }
    }
    groups
}

#[cfg(test)]
mod tests;
