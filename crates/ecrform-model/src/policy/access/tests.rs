use super::*;
use crate::policy::test_documents::policy;
use crate::policy::vocabulary::ECR_ACTIONS;

const REPOSITORY_ARN: &str = "arn:aws:ecr:us-east-1:123456789012:repository/team-a/api";

/// A policy of the given statements.
fn statements(statements: &str) -> IamPolicy {
    policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
    ))
}

fn repository() -> AccessScope {
    AccessScope::Repository(Some(REPOSITORY_ARN.to_owned()))
}

fn registry() -> AccessScope {
    AccessScope::Registry(Some(RegistryId::parse("123456789012/us-east-1").unwrap()))
}

/// The matrix's sentences.
fn sentences(policy: &IamPolicy, scope: &AccessScope) -> Vec<String> {
    policy
        .access(scope)
        .grants
        .iter()
        .map(AccessGrant::sentence)
        .collect()
}

const PULL_ACTIONS: &str =
    r#"["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]"#;
const PUSH_ACTIONS: &str = r#"["ecr:BatchCheckLayerAvailability","ecr:InitiateLayerUpload","ecr:UploadLayerPart","ecr:CompleteLayerUpload","ecr:PutImage"]"#;

#[test]
fn repository_policies_read_as_who_can_do_what() {
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "an account that may pull, written as a bare id",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"345678901234"}},"Action":{PULL_ACTIONS}}}"#),
            vec!["345678901234 (account) can pull"],
        ),
        (
            "the same account as its root ARN",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::345678901234:root"}},"Action":{PULL_ACTIONS}}}"#),
            vec!["345678901234 (account) can pull"],
        ),
        (
            "an account of another partition keeps its ARN",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws-cn:iam::345678901234:root"}},"Action":{PULL_ACTIONS}}}"#),
            vec!["arn:aws-cn:iam::345678901234:root (account) can pull"],
        ),
        (
            "pull needs both of its actions",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},"Action":"ecr:BatchGetImage"}"#.to_owned(),
            vec!["arn:aws:iam::123456789012:role/ci has part of pull: ecr:BatchGetImage, not ecr:GetDownloadUrlForLayer"],
        ),
        (
            "the two pull actions in separate statements still pull",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},"Action":"ecr:BatchGetImage"},
               {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},"Action":"ecr:GetDownloadUrlForLayer"}"#.to_owned(),
            vec!["arn:aws:iam::123456789012:role/ci can pull"],
        ),
        (
            "push and pull for a role",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:role/ci"}},"Action":{PUSH_ACTIONS}}},
                       {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:role/ci"}},"Action":{PULL_ACTIONS}}}"#),
            vec!["arn:aws:iam::123456789012:role/ci can pull", "arn:aws:iam::123456789012:role/ci can push"],
        ),
        (
            "push without pull: the shared layer check is no part of pull",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:role/ci"}},"Action":{PUSH_ACTIONS}}}"#),
            vec!["arn:aws:iam::123456789012:role/ci can push"],
        ),
        (
            "push missing an upload action is part of push",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},"Action":["ecr:PutImage","ecr:InitiateLayerUpload"]}"#.to_owned(),
            vec!["arn:aws:iam::123456789012:role/ci has part of push: ecr:InitiateLayerUpload, ecr:PutImage, not ecr:BatchCheckLayerAvailability, ecr:CompleteLayerUpload, ecr:UploadLayerPart"],
        ),
        (
            "ecr:* is every class a repository policy can grant",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/admin"},"Action":"ecr:*"}"#.to_owned(),
            vec![
                "arn:aws:iam::123456789012:role/admin can pull",
                "arn:aws:iam::123456789012:role/admin can push",
                "arn:aws:iam::123456789012:role/admin can delete images",
                "arn:aws:iam::123456789012:role/admin can manage",
                "arn:aws:iam::123456789012:role/admin can read metadata",
                "arn:aws:iam::123456789012:role/admin can import upstream images (pull-through cache)",
            ],
        ),
        (
            "a wildcard in another case",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/x"},"Action":["ECR:batch*","ecr:GetDownloadUrl*"]}"#.to_owned(),
            vec![
                "arn:aws:iam::123456789012:role/x can pull",
                "arn:aws:iam::123456789012:role/x can delete images",
                "arn:aws:iam::123456789012:role/x can read metadata: ecr:BatchGetRepositoryScanningConfiguration",
                "arn:aws:iam::123456789012:role/x can import upstream images (pull-through cache)",
            ],
        ),
        (
            "some management actions are named",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ops"},"Action":["ecr:SetRepositoryPolicy","ecr:DeleteRepository"]}"#.to_owned(),
            vec!["arn:aws:iam::123456789012:role/ops can manage: ecr:DeleteRepository, ecr:SetRepositoryPolicy"],
        ),
        (
            "NotAction grants everything it does not list",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/x"},"NotAction":["ecr:BatchDeleteImage","ecr:*Repository*","ecr:*Lifecycle*","ecr:*Image*","ecr:*Resource","ecr:Describe*","ecr:List*","ecr:Get*"]}"#.to_owned(),
            vec!["arn:aws:iam::123456789012:role/x has part of push: ecr:BatchCheckLayerAvailability, ecr:CompleteLayerUpload, ecr:InitiateLayerUpload, ecr:UploadLayerPart, not ecr:PutImage"],
        ),
        (
            "the layer check alone is part of nothing",
            r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchCheckLayerAvailability"}"#.to_owned(),
            vec!["* (anyone) has part of push: ecr:BatchCheckLayerAvailability, not ecr:CompleteLayerUpload, ecr:InitiateLayerUpload, ecr:PutImage, ecr:UploadLayerPart"],
        ),
        (
            "anyone",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS}}}"#),
            vec!["* (anyone) can pull"],
        ),
        (
            "anyone in an organization",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS},"Condition":{{"StringEquals":{{"aws:principalorgid":"o-abc123"}}}}}}"#),
            vec!["* (anyone in o-abc123) can pull"],
        ),
        (
            "anyone in an organization, and a second condition",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS},"Condition":{{"StringEquals":{{"aws:PrincipalOrgID":["o-abc123","o-def456"]}},"Bool":{{"aws:SecureTransport":true}}}}}}"#),
            vec!["* (anyone in o-abc123 or o-def456) can pull if aws:SecureTransport is true"],
        ),
        (
            "an organization condition on an account stays a condition",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"345678901234"}},"Action":{PULL_ACTIONS},"Condition":{{"StringEquals":{{"aws:PrincipalOrgID":"o-abc123"}}}}}}"#),
            vec!["345678901234 (account) can pull if aws:PrincipalOrgID is o-abc123"],
        ),
        (
            "a service principal with a source ARN condition",
            r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Condition":{"StringLike":{"aws:sourceArn":"arn:aws:lambda:us-east-1:345678901234:function:*"}}}"#.to_owned(),
            vec!["lambda.amazonaws.com (service) can pull if aws:SourceArn matches arn:aws:lambda:us-east-1:345678901234:function:*"],
        ),
        (
            "two conditional statements are alternatives",
            r#"{"Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}},
               {"Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#.to_owned(),
            vec!["* (anyone) can pull if aws:SourceIp is in 10.0.0.0/8 or aws:SourceAccount is 111111111111"],
        ),
        (
            "an unconditional statement beside a conditional one",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS},"Condition":{{"StringEquals":{{"aws:SourceAccount":"111111111111"}}}}}},
                       {{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS}}}"#),
            vec!["* (anyone) can pull"],
        ),
        (
            "pull actions under different conditions need both",
            r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}},
               {"Effect":"Allow","Principal":"*","Action":"ecr:GetDownloadUrlForLayer","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#.to_owned(),
            vec!["* (anyone) can pull if aws:SourceIp is in 10.0.0.0/8 and aws:SourceAccount is 111111111111"],
        ),
        (
            "management actions under different conditions are separate lines",
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ops"},"Action":"ecr:DeleteRepository","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
               {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ops"},"Action":"ecr:TagResource"}"#.to_owned(),
            vec![
                "arn:aws:iam::123456789012:role/ops can manage: ecr:DeleteRepository if aws:MultiFactorAuthPresent is true",
                "arn:aws:iam::123456789012:role/ops can manage: ecr:TagResource",
            ],
        ),
        (
            "an unconditional deny removes the grant",
            r#"{"Effect":"Allow","Principal":{"AWS":"345678901234"},"Action":"ecr:*"},
                       {"Effect":"Deny","Principal":"*","Action":["ecr:BatchDeleteImage","ecr:Put*","ecr:*Layer*","ecr:Set*","ecr:Delete*","ecr:Start*","ecr:*Resource","ecr:Update*","ecr:Describe*","ecr:List*","ecr:Get*Policy*","ecr:Get*Status","ecr:BatchGetRepository*","ecr:BatchImport*"]}"#.to_owned(),
            vec!["345678901234 (account) has part of pull: ecr:BatchGetImage, not ecr:GetDownloadUrlForLayer"],
        ),
        (
            "a conditional deny is an unless",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS}}},
                       {{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#),
            vec!["* (anyone) can pull unless aws:SecureTransport is false"],
        ),
        (
            "a deny of the account covers its roles",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::345678901234:role/reader"}},"Action":{PULL_ACTIONS}}},
                       {{"Effect":"Deny","Principal":{{"AWS":"345678901234"}},"Action":"ecr:*"}}"#),
            vec![],
        ),
        (
            "a deny of one role narrows a grant to anyone",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS}}},
                       {{"Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::345678901234:role/intruder"}},"Action":"ecr:*"}}"#),
            vec!["* (anyone) can pull unless the caller is arn:aws:iam::345678901234:role/intruder"],
        ),
        (
            "a deny of a role does not touch another account",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"111111111111"}},"Action":{PULL_ACTIONS}}},
                       {{"Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::345678901234:role/intruder"}},"Action":"ecr:*"}}"#),
            vec!["111111111111 (account) can pull"],
        ),
        (
            "a deny of a service does not touch accounts",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"111111111111"}},"Action":{PULL_ACTIONS}}},
                       {{"Effect":"Deny","Principal":{{"Service":"lambda.amazonaws.com"}},"Action":"ecr:*"}}"#),
            vec!["111111111111 (account) can pull"],
        ),
        (
            "a deny with NotPrincipal spares whom it lists",
            format!(r#"{{"Effect":"Allow","Principal":{{"AWS":["111111111111","222222222222"]}},"Action":{PULL_ACTIONS}}},
                       {{"Effect":"Deny","NotPrincipal":{{"AWS":"111111111111"}},"Action":"ecr:*"}}"#),
            vec!["111111111111 (account) can pull"],
        ),
        (
            "a deny with NotPrincipal over anyone",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS}}},
                       {{"Effect":"Deny","NotPrincipal":{{"AWS":"111111111111"}},"Action":"ecr:*"}}"#),
            vec!["* (anyone) can pull unless the caller is not 111111111111 (account)"],
        ),
        (
            "an allow with NotPrincipal grants everyone else",
            format!(r#"{{"Effect":"Allow","NotPrincipal":{{"AWS":"111111111111"}},"Action":{PULL_ACTIONS}}}"#),
            vec!["* (anyone except 111111111111 (account)) can pull"],
        ),
        (
            "a statement for another repository does not apply",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS},"Resource":"arn:aws:ecr:us-east-1:123456789012:repository/team-b/*"}}"#),
            vec![],
        ),
        (
            "a statement for this repository applies",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS},"Resource":"arn:aws:ecr:us-east-1:123456789012:repository/team-a/*"}}"#),
            vec!["* (anyone) can pull"],
        ),
        (
            "NotResource that names this repository does not apply",
            format!(r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS},"NotResource":"{REPOSITORY_ARN}"}}"#),
            vec![],
        ),
        (
            "a statement without a principal names nobody",
            format!(r#"{{"Effect":"Allow","Action":{PULL_ACTIONS}}}"#),
            vec![],
        ),
        (
            "other services' actions are not ECR access",
            r#"{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","ecr-public:*"]}"#.to_owned(),
            vec![],
        ),
        (
            "registry actions are no part of a repository policy",
            r#"{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":["ecr:ReplicateImage","ecr:CreateRepository","ecr:PutRegistryPolicy"]}"#.to_owned(),
            vec![],
        ),
        (
            "operators read as words, or as written",
            r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchDeleteImage","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalTag/team":["a","b"]},"ForAnyValue:StringEquals":{"aws:TagKeys":["x","y"]},"Null":{"aws:SourceVpce":"false"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}"#.to_owned(),
            vec!["* (anyone) can delete images if ForAnyValue:StringEquals aws:TagKeys x, y and aws:SourceVpce is present and aws:MultiFactorAuthAge < 3600 and aws:PrincipalTag/team is neither a nor b (or is absent)"],
        ),
    ];
    let mut failures = Vec::new();
    for (case, written, expected) in &cases {
        let got = sentences(&statements(written), &repository());
        if got != *expected {
            failures.push(format!("{case}:\n  expected {expected:#?}\n  got {got:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn registry_policies_grant_replication_creation_and_caching() {
    let guide = r#"{"Sid":"ReplicationAccessCrossAccount","Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::210987654321:root"},
        "Action":["ecr:CreateRepository","ecr:ReplicateImage"],
        "Resource":"arn:aws:ecr:us-east-1:123456789012:repository/*"}"#;
    assert_eq!(
        sentences(&statements(guide), &registry()),
        [
            "210987654321 (account) can replicate into the registry",
            "210987654321 (account) can create repositories",
        ]
    );
    // A registry policy naming some repositories grants on those only.
    let cache = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/puller"},
        "Action":["ecr:CreateRepository","ecr:BatchImportUpstreamImage"],
        "Resource":"arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*"}"#;
    assert_eq!(
        sentences(&statements(cache), &registry()),
        [
            "arn:aws:iam::123456789012:role/puller can create repositories on arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*",
            "arn:aws:iam::123456789012:role/puller can import upstream images (pull-through cache) on arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*",
        ]
    );
    // Read without knowing the registry, the resource is a condition too.
    assert_eq!(
        sentences(&statements(guide), &AccessScope::Registry(None))[0],
        "210987654321 (account) can replicate into the registry on arn:aws:ecr:us-east-1:123456789012:repository/*"
    );
    // Registry policies (REGISTRY_POLICY_SCOPE V2) may grant repository actions too, and
    // registry management.
    let everything = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/admin"},"Action":"ecr:*","Resource":"*"}"#;
    assert_eq!(
        sentences(&statements(everything), &registry()),
        [
            "arn:aws:iam::123456789012:role/admin can pull",
            "arn:aws:iam::123456789012:role/admin can push",
            "arn:aws:iam::123456789012:role/admin can delete images",
            "arn:aws:iam::123456789012:role/admin can manage",
            "arn:aws:iam::123456789012:role/admin can read metadata",
            "arn:aws:iam::123456789012:role/admin can replicate into the registry",
            "arn:aws:iam::123456789012:role/admin can create repositories",
            "arn:aws:iam::123456789012:role/admin can import upstream images (pull-through cache)",
        ]
    );
}

#[test]
fn access_does_not_depend_on_how_the_policy_is_written() {
    use crate::policy::test_documents::{PULL, PULL_AS_ECR_RETURNS_IT};
    let (written, returned) = (policy(PULL), policy(PULL_AS_ECR_RETURNS_IT));
    assert_eq!(
        written.access(&repository()),
        returned.access(&repository())
    );
    assert_eq!(
        sentences(&written, &repository()),
        [
            "210987654321 (account) can pull",
            "arn:aws:iam::123456789012:role/ci can pull",
        ]
    );
}

#[test]
fn a_bare_account_id_is_shown_bare_in_its_own_partition() {
    let text = format!(
        r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"345678901234"}},"Action":{PULL_ACTIONS}}}}}"#
    );
    let gov = policy(&text).for_partition(Partition::AwsUsGov);
    assert_eq!(
        sentences(&gov, &AccessScope::Repository(None)),
        ["345678901234 (account) can pull"]
    );
    let Principal::Account { arn, .. } =
        &gov.access(&AccessScope::Repository(None)).grants[0].principal
    else {
        panic!("not an account");
    };
    assert_eq!(arn, "arn:aws-us-gov:iam::345678901234:root");
}

#[test]
fn a_delta_lists_what_a_change_adds_and_removes_in_order() {
    let before = statements(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:role/ci"}},"Action":{PUSH_ACTIONS}}},
           {{"Effect":"Allow","Principal":{{"AWS":"111111111111"}},"Action":{PULL_ACTIONS}}}"#
    ));
    let after = statements(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":["111111111111","345678901234"]}},"Action":{PULL_ACTIONS},"Condition":{{"Bool":{{"aws:SecureTransport":"true"}}}}}},
           {{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS},"Condition":{{"StringEquals":{{"aws:PrincipalOrgID":"o-abc123"}}}}}}"#
    ));
    let scope = repository();
    let delta = AccessDelta::between(Some(&before.access(&scope)), Some(&after.access(&scope)));
    let lines: Vec<String> = delta
        .lines()
        .iter()
        .map(|(sign, grant)| format!("{} {grant}", sign.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            "! * (anyone in o-abc123) can pull",
            "- 111111111111 (account) can pull",
            "+ 111111111111 (account) can pull if aws:SecureTransport is true",
            "+ 345678901234 (account) can pull if aws:SecureTransport is true",
            "- arn:aws:iam::123456789012:role/ci can push",
        ]
    );
    assert!(
        AccessDelta::between(Some(&before.access(&scope)), Some(&before.access(&scope))).is_empty()
    );
    let created = AccessDelta::between(None, Some(&before.access(&scope)));
    assert_eq!(created.added.len(), 2);
    assert!(created.removed.is_empty());
}

#[test]
fn grants_serialize_as_data_and_their_sentence() {
    let org = statements(&format!(
        r#"{{"Effect":"Allow","Principal":"*","Action":{PULL_ACTIONS},"Condition":{{"StringEquals":{{"aws:PrincipalOrgID":"o-abc123"}}}}}}"#
    ));
    let json = serde_json::to_value(&org.access(&repository()).grants[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "principal": {"type": "anyone"},
            "class": "pull",
            "actions": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "partial": false,
            "when": [[[{"kind": "condition", "operator": "StringEquals", "key": "aws:PrincipalOrgID", "values": ["o-abc123"]}]]],
            "text": "* (anyone in o-abc123) can pull"
        })
    );
    let account = statements(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"345678901234"}},"Action":{PULL_ACTIONS}}}"#
    ));
    let json = serde_json::to_value(&account.access(&repository()).grants[0]).unwrap();
    assert_eq!(
        json["principal"],
        serde_json::json!({"type": "account", "account": "345678901234", "arn": "arn:aws:iam::345678901234:root"})
    );
}

#[test]
fn every_ecr_action_belongs_to_a_class_once_but_the_layer_check() {
    let mut seen: BTreeMap<&str, Vec<AccessClass>> = BTreeMap::new();
    for class in AccessClass::ALL {
        assert_eq!(class.definition().class, class, "CLASSES is out of order");
        for action in class.action_names(IamPolicyKind::Registry) {
            seen.entry(action).or_default().push(class);
            assert!(
                ECR_ACTIONS.contains(&action),
                "{action} is not an ECR action"
            );
        }
        if let Needs::All(needed) = class.definition().needs {
            for action in needed {
                assert!(
                    class
                        .action_names(IamPolicyKind::Repository)
                        .any(|a| a == *action)
                );
            }
        }
    }
    for action in ECR_ACTIONS {
        let classes = seen.get(action).cloned().unwrap_or_default();
        let expected = if *action == "BatchCheckLayerAvailability" {
            2
        } else {
            1
        };
        assert_eq!(classes.len(), expected, "{action}: {classes:?}");
    }
}
