//! Every rule with a registry that fails it and one that passes it, judged as a spec: the
//! table names the rule, the two states and the message the failure starts with.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too; a failure is a test failure

use std::collections::BTreeSet;

use ecrform_guardrails::{
    Config, Date, Exception, Outcome, Profile, RegistryView, RuleId, Value, check, compare,
};
use ecrform_model::{AccountId, DesiredRegistry, OwnerId, RegistryState};
use serde_json::{Value as Json, json};

const ACCOUNT: &str = "123456789012";

/// A desired registry from a snapshot-shaped JSON registry (repositories and registry-wide
/// settings), with `prune` and force-deletes as given.
fn desired(registry: Json, prune: bool) -> DesiredRegistry {
    let mut registry = registry;
    registry["account"] = json!(ACCOUNT);
    registry["region"] = json!("us-east-1");
    let state: RegistryState = serde_json::from_value(registry).unwrap();
    DesiredRegistry {
        state,
        role_arn: None,
        profile: None,
        prune,
        prune_force_delete: false,
        owner: OwnerId::legacy(),
        drift: ecrform_model::DriftIgnores::default(),
    }
}

/// A repository that passes every rule of `recommended`.
fn good_repository() -> Json {
    json!({
        "image_tag_mutability": "IMMUTABLE",
        "image_tag_mutability_exclusions": [],
        "scan_on_push": true,
        "encryption": {"type": "KMS", "kms_key": "alias/team-a"},
        "tags": {"owner": "team-a"},
        "lifecycle_policy": {"rules": [
            {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}},
            {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": 50}, "action": {"type": "expire"}}
        ]},
        "repository_policy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "Pull", "Effect": "Allow", "Principal": {"AWS": "210987654321"},
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}
    })
}

fn with(changes: Json) -> Json {
    let mut repository = good_repository();
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            repository.as_object_mut().unwrap().remove(key);
        } else {
            repository[key] = value.clone();
        }
    }
    repository
}

fn lifecycle(rules: Json) -> Json {
    json!({ "lifecycle_policy": { "rules": rules } })
}

fn policy(statement: Json) -> Json {
    json!({ "repository_policy": {"Version": "2012-10-17", "Statement": [statement]} })
}

/// A config of `strict` parameters for the rules whose `recommended` defaults do nothing.
fn config() -> Config {
    let mut config = Config::for_profile(Profile::Recommended);
    config.parameters.kms_repositories = vec!["secure/*".to_owned()];
    config.parameters.required_tags = vec!["owner".to_owned()];
    config
}

fn today() -> Date {
    Date::parse("2026-06-01").unwrap()
}

/// The outcome of `rule` for `name` in a one-registry spec.
fn outcome(rule: RuleId, registry: &DesiredRegistry, name: Option<&str>) -> (Outcome, Vec<String>) {
    let view = RegistryView::from_spec(registry);
    let evaluation = check(
        &config(),
        &[view],
        &[AccountId::parse(ACCOUNT).unwrap()],
        today(),
    );
    let row = evaluation
        .table
        .iter()
        .find(|row| row.repository.as_ref().map(|n| n.as_str()) == name)
        .unwrap_or_else(|| panic!("no row for {name:?}"));
    let messages = evaluation
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.repository.as_ref().map(|n| n.as_str()) == name)
        .map(|f| f.message.clone())
        .collect();
    (row.outcomes[&rule], messages)
}

struct Case {
    rule: RuleId,
    name: &'static str,
    failing: Json,
    passing: Json,
    message: &'static str,
}

fn cases() -> Vec<Case> {
    let untagged = json!({"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}});
    vec![
        Case {
            rule: RuleId::Scanning,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(json!({"scan_on_push": false}))}}),
            passing: json!({"repositories": {"team-a/api": with(json!({"scan_on_push": false}))},
                            "scanning": {"type": "ENHANCED", "rules": [{"frequency": "CONTINUOUS_SCAN", "filters": ["team-a/*"]}]}}),
            message: "images are not scanned: scan on push is off and the spec does not manage the registry's scanning",
        },
        Case {
            rule: RuleId::TagImmutability,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(json!({"image_tag_mutability": "IMMUTABLE_WITH_EXCLUSION", "image_tag_mutability_exclusions": ["latest", "dev-*"]}))}}),
            passing: json!({"repositories": {"team-a/api": with(json!({"image_tag_mutability": "IMMUTABLE_WITH_EXCLUSION", "image_tag_mutability_exclusions": ["latest"]}))}}),
            message: "tags matching dev-* can be overwritten (allowed: latest)",
        },
        Case {
            rule: RuleId::LifecyclePolicy,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(json!({"lifecycle_policy": null}))}}),
            passing: json!({"repositories": {"team-a/api": good_repository()}}),
            message: "no lifecycle policy: lifecycle is not set here or in defaults",
        },
        Case {
            rule: RuleId::LifecycleUntagged,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(lifecycle(json!([
                {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": 50}, "action": {"type": "expire"}}])))}}),
            passing: json!({"repositories": {"team-a/api": good_repository()}}),
            message: "the lifecycle policy never expires untagged images",
        },
        Case {
            rule: RuleId::LifecycleTaggedCap,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(lifecycle(json!([untagged])))}}),
            passing: json!({"repositories": {"team-a/api": good_repository()}}),
            message: "the lifecycle policy keeps tagged images forever",
        },
        Case {
            rule: RuleId::LifecycleAnyCount,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(lifecycle(json!([untagged,
                {"rulePriority": 2, "description": "keep 10", "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}, "action": {"type": "expire"}}])))}}),
            passing: json!({"repositories": {"team-a/api": with(lifecycle(json!([untagged,
                {"rulePriority": 2, "description": "keep the 10 newest images, untagged ones count", "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}, "action": {"type": "expire"}}])))}}),
            message: "lifecycle rule 2 (tagStatus any, imageCountMoreThan 10) also counts the untagged images that rule 1 selects",
        },
        Case {
            rule: RuleId::LifecycleUnreachableRule,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(lifecycle(json!([untagged,
                {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 50}, "action": {"type": "expire"}},
                {"rulePriority": 3, "selection": {"tagStatus": "tagged", "tagPatternList": ["v1.*"], "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}}])))}}),
            passing: json!({"repositories": {"team-a/api": with(lifecycle(json!([untagged,
                {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["v1.*"], "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}},
                {"rulePriority": 3, "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 50}, "action": {"type": "expire"}}])))}}),
            message: "lifecycle rule 3 can never act on an image: rule 2 comes first",
        },
        Case {
            rule: RuleId::PublicAccess,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(policy(json!({"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"})))}}),
            passing: json!({"repositories": {"team-a/api": with(policy(json!({"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}})))}}),
            message: "repository policy: statement \"Everyone\" allows principal * with no condition",
        },
        Case {
            rule: RuleId::LeastPrivilege,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(policy(json!({"Sid": "Push", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:role/ci"}, "Action": ["ecr:PutImage"]})))}}),
            passing: json!({"repositories": {"team-a/api": with(policy(json!({"Sid": "Push", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/ci"}, "Action": ["ecr:PutImage"]})))}}),
            message: "repository policy: statement \"Push\" lets arn:aws:iam::210987654321:role/ci outside account 123456789012 ecr:PutImage",
        },
        Case {
            rule: RuleId::KmsEncryption,
            name: "secure/keys",
            failing: json!({"repositories": {"secure/keys": with(json!({"encryption": {"type": "KMS"}}))}}),
            passing: json!({"repositories": {"secure/keys": good_repository()}}),
            message: "it must be encrypted with a customer managed KMS key, and it uses the AWS managed key",
        },
        Case {
            rule: RuleId::Naming,
            name: "repo1",
            failing: json!({"repositories": {"repo1": good_repository()}}),
            passing: json!({"repositories": {"team-a/api": good_repository()}}),
            message: "\"repo1\" is a generic name",
        },
        Case {
            rule: RuleId::RequiredTags,
            name: "team-a/api",
            failing: json!({"repositories": {"team-a/api": with(json!({"tags": {"team": "a"}}))}}),
            passing: json!({"repositories": {"team-a/api": good_repository()}}),
            message: "missing required tag(s) owner",
        },
        Case {
            rule: RuleId::DeletionProtection,
            name: "team-a/api-prod",
            failing: json!({"repositories": {"team-a/api-prod": with(json!({"force_delete": true}))}}),
            passing: json!({"repositories": {"team-a/api-prod": good_repository()}}),
            message: "force_delete is set on a protected repository",
        },
    ]
}

#[test]
fn each_repository_rule_fails_its_failing_spec_and_passes_its_passing_spec() {
    let mut problems = Vec::new();
    for case in cases() {
        // The passing spec may use another name (naming); rows are found by name.
        let passing_name = case.passing["repositories"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        let (failed, messages) = outcome(
            case.rule,
            &desired(case.failing.clone(), false),
            Some(case.name),
        );
        if !matches!(failed, Outcome::Fail(_)) {
            problems.push(format!("{}: failing spec gave {failed:?}", case.rule));
        }
        if !messages.iter().any(|m| m.starts_with(case.message)) {
            problems.push(format!(
                "{}: expected a message starting {:?}, got {messages:?}",
                case.rule, case.message
            ));
        }
        let (passed, messages) = outcome(
            case.rule,
            &desired(case.passing.clone(), false),
            Some(&passing_name),
        );
        if passed != Outcome::Pass {
            problems.push(format!(
                "{}: passing spec gave {passed:?} {messages:?}",
                case.rule
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_has_a_case() {
    let covered: BTreeSet<RuleId> = cases().iter().map(|case| case.rule).collect();
    let mut all: BTreeSet<RuleId> = RuleId::all().collect();
    // Registry-wide: its own test below.
    all.remove(&RuleId::ReplicationDestinations);
    assert_eq!(covered, all);
}

#[test]
fn replication_goes_only_to_the_specs_accounts_or_allowed_ones() {
    let to = |account: &str| {
        json!({"repositories": {"team-a/api": good_repository()},
               "replication": {"rules": [{"destinations": [{"region": "eu-west-1", "account": account}]}]}})
    };
    let (failed, messages) = outcome(
        RuleId::ReplicationDestinations,
        &desired(to("999999999999"), false),
        None,
    );
    assert_eq!(failed, Outcome::Fail(ecrform_guardrails::Level::Warning));
    assert_eq!(
        messages,
        [
            "replication rule 1 replicates to account 999999999999 (eu-west-1), not an account of \
          the spec's registries (set allowed_accounts to allow it)"
        ]
    );
    let (passed, _) = outcome(
        RuleId::ReplicationDestinations,
        &desired(to(ACCOUNT), false),
        None,
    );
    assert_eq!(passed, Outcome::Pass);
}

#[test]
fn a_setting_the_spec_leaves_out_is_judged_at_ecrs_default_and_says_so() {
    let spec = desired(json!({"repositories": {"team-a/api": {}}}), false);
    let view = RegistryView::from_spec(&spec);
    let evaluation = check(&config(), &[view], &[], today());
    let messages: Vec<String> = evaluation
        .findings
        .iter()
        .map(|f| format!("{:?} {}", f.aspect, f.tagged_message()))
        .collect();
    assert_eq!(
        messages,
        [
            "Repository [scanning] images are not scanned: scan_on_push is not set (ECR's default is off) and the spec does not manage the registry's scanning",
            "Repository [tag-immutability] tags can be overwritten: image_tag_mutability is not set (ECR's default is MUTABLE)",
            "Repository [lifecycle-policy] no lifecycle policy: lifecycle is not set here or in defaults",
            "Repository [required-tags] missing required tag(s) owner (tags is not set here or in defaults)",
        ]
    );
}

#[test]
fn live_state_that_was_not_read_is_not_judged() {
    let live: RegistryState = serde_json::from_value(json!({
        "account": ACCOUNT, "region": "us-east-1",
        "repositories": {"team-a/api": {"image_tag_mutability": "MUTABLE", "scan_on_push": false}}
    }))
    .unwrap();
    let view = RegistryView::from_live(&live);
    assert_eq!(
        view.repositories.values().next().unwrap().lifecycle,
        Value::Unknown
    );
    let evaluation = check(&config(), &[view], &[], today());
    let row = &evaluation.table[0];
    assert_eq!(row.outcomes[&RuleId::LifecyclePolicy], Outcome::Unknown);
    assert_eq!(
        row.outcomes[&RuleId::TagImmutability],
        Outcome::Fail(ecrform_guardrails::Level::Warning)
    );
    // Scanning is unknown: the registry's scanning configuration was not read.
    assert_eq!(row.outcomes[&RuleId::Scanning], Outcome::Unknown);
}

#[test]
fn exceptions_cover_findings_until_they_lapse_and_unused_ones_are_reported() {
    let spec = desired(
        json!({"repositories": {"legacy": good_repository(), "team-a/api": good_repository()}}),
        false,
    );
    let mut config = config();
    config.exceptions = vec![
        Exception {
            rule: RuleId::Naming,
            repositories: vec!["legacy".to_owned()],
            reason: "old clients pull it by this name".to_owned(),
            until: Date::parse("2026-12-31"),
        },
        Exception {
            rule: RuleId::Scanning,
            repositories: vec!["nothing/*".to_owned()],
            reason: "unused".to_owned(),
            until: None,
        },
    ];
    let evaluation = check(&config, &[RegistryView::from_spec(&spec)], &[], today());
    assert!(evaluation.findings.is_empty(), "{:?}", evaluation.findings);
    assert_eq!(evaluation.excepted.len(), 1);
    assert_eq!(evaluation.unused_exceptions, [1]);
    assert!(evaluation.expired_exceptions.is_empty());
    let later = check(
        &config,
        &[RegistryView::from_spec(&spec)],
        &[],
        Date::parse("2027-01-01").unwrap(),
    );
    assert_eq!(later.expired_exceptions, [0]);
    assert!(later.has_errors());
    assert_eq!(later.findings.len(), 1, "a lapsed exception covers nothing");
}

#[test]
fn a_plan_separates_findings_it_introduces_from_those_already_there() {
    let live: RegistryState = serde_json::from_value(json!({
        "account": ACCOUNT, "region": "us-east-1",
        "repositories": {
            "team-a/api": {"image_tag_mutability": "MUTABLE", "scan_on_push": true, "encryption": {"type": "AES256"}},
            "team-a/web": {"image_tag_mutability": "IMMUTABLE", "scan_on_push": false, "encryption": {"type": "AES256"}}
        },
        "scanning": {"type": "BASIC", "rules": []}
    }))
    .unwrap();
    // The spec leaves scan_on_push unmanaged: api keeps scanning, web keeps not scanning; it
    // makes web MUTABLE (introduced) and creates team-a/new (whose findings are introduced).
    let spec = desired(
        json!({"repositories": {
            "team-a/api": {"image_tag_mutability": "MUTABLE"},
            "team-a/web": {"image_tag_mutability": "MUTABLE"},
            "team-a/new": {"image_tag_mutability": "IMMUTABLE"}
        }}),
        false,
    );
    let mut config = Config::for_profile(Profile::Recommended);
    for rule in [RuleId::LifecyclePolicy, RuleId::Naming] {
        config.set_level(rule, ecrform_guardrails::Level::Off);
    }
    let after = check(
        &config,
        &[RegistryView::after_plan(&spec, &live, BTreeSet::new())],
        &[],
        today(),
    );
    let before = check(&config, &[RegistryView::from_live(&live)], &[], today());
    let comparison = compare(&after, &before);
    let show = |findings: &[ecrform_guardrails::Finding]| -> Vec<String> {
        findings
            .iter()
            .map(|f| format!("{} {}", f.repository.as_ref().unwrap(), f.rule))
            .collect()
    };
    assert_eq!(
        show(&comparison.introduced),
        ["team-a/new scanning", "team-a/web tag-immutability"]
    );
    assert_eq!(
        show(&comparison.existing),
        ["team-a/api tag-immutability", "team-a/web scanning"]
    );
    assert!(comparison.resolved.is_empty());
}
