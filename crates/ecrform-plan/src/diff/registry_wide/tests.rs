//! Planner tests of the registry-wide settings: one table per kind, each case named for the
//! behaviour it pins down and its expected changes asserted, plus a snapshot per kind of what
//! every case planned; their place in the plan's order and their JSON shapes.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use ecrform_model::{
    AccountSettingName, AppliedFor, CreationTemplate, Encryption, EncryptionType, IamPolicy,
    PullThroughCacheRule, PullTimeUpdateExclusions, RegistryState, Replication, RepositoryState,
    ScanFrequency, ScanRule, ScanType, Setting, SigningConfiguration, SigningRule, TagMutability,
};
use ecrform_testkit::fixtures::{
    ACCOUNT, DesiredBuilder, OTHER_ACCOUNT, REGISTRY, RegistryBuilder, RepositoryBuilder,
    account_settings, address, by_prefix, cache_rule, destination, expire_untagged_after,
    iam_policy, name, registry_id, replication, replication_rule, scanning,
};

use crate::diff::{field, plan};
use crate::{Action, ApiCall, Change, Plan, TemplateChanges};

const SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf";
const ROLE: &str = "arn:aws:iam::123456789012:role/ecr-cache";

/// Two rules: team-a to another region and to another account, and everything to us-west-2.
fn two_rules() -> Replication {
    replication([
        replication_rule(
            &[(ACCOUNT, "eu-west-1"), (OTHER_ACCOUNT, "us-east-1")],
            &["team-a/", "shared/"],
        ),
        replication_rule(&[(ACCOUNT, "us-west-2")], &[]),
    ])
}

/// The policy that lets the other account replicate in, written with a bare account id.
fn replication_policy(actions: &[&str]) -> IamPolicy {
    iam_policy(json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "replicate", "Effect": "Allow",
                       "Principal": {"AWS": [OTHER_ACCOUNT]},
                       "Action": actions,
                       "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/*"}]
    }))
}

fn docker_hub() -> PullThroughCacheRule {
    cache_rule("registry-1.docker.io", Some(SECRET))
}

/// How ECR reports `rule`: the upstream registry derived from the URL, ROOT for no prefix.
fn as_reported(rule: &PullThroughCacheRule) -> PullThroughCacheRule {
    rule.as_ecr_reports()
}

fn template() -> CreationTemplate {
    CreationTemplate {
        applied_for: vec![AppliedFor::PullThroughCache, AppliedFor::Replication],
        description: Some("cached and replicated".to_owned()),
        image_tag_mutability: None,
        image_tag_mutability_exclusions: Vec::new(),
        encryption: None,
        resource_tags: BTreeMap::new(),
        lifecycle_policy: Some(expire_untagged_after(7)),
        repository_policy: Some(replication_policy(&["ecr:BatchGetImage"])),
        custom_role_arn: None,
    }
}

/// How ECR reports `template`: its defaults filled, the policy's principal rewritten and
/// reordered, the scenarios in another order.
fn template_as_reported(template: &CreationTemplate) -> CreationTemplate {
    let mut reported = template.clone();
    reported
        .image_tag_mutability
        .get_or_insert(TagMutability::Mutable);
    reported.encryption.get_or_insert_with(Encryption::aes256);
    reported.applied_for.reverse();
    reported.repository_policy = reported.repository_policy.map(|policy| {
        let mut document = policy.document().clone();
        document["Statement"][0]["Principal"]["AWS"] =
            json!(format!("arn:aws:iam::{OTHER_ACCOUNT}:root"));
        iam_policy(document)
    });
    reported
}

/// A registry state that manages only its creation templates, these.
fn templates_state<'a>(
    templates: impl IntoIterator<Item = (&'a str, CreationTemplate)>,
) -> RegistryState {
    RegistryBuilder::new(registry_id(REGISTRY))
        .creation_templates(templates)
        .build()
}

type Edit = fn(&mut RegistryState);

/// A registry state that manages nothing, edited.
fn state(edit: Edit) -> RegistryState {
    let mut state = RegistryState::empty(registry_id(REGISTRY));
    edit(&mut state);
    state
}

fn plan_registry(desired: RegistryState, live: RegistryState) -> Plan {
    plan(&DesiredBuilder::new().registry(desired).build(), &[live])
}

/// `(address, action, destructive, fields)` of every change.
fn outline(plan: &Plan) -> Vec<(String, Action, bool, Vec<String>)> {
    plan.changes
        .iter()
        .map(|c| {
            (
                c.address.to_string(),
                c.action,
                c.destructive,
                c.fields.clone(),
            )
        })
        .collect()
}

struct Case {
    name: &'static str,
    desired: Edit,
    live: Edit,
    /// `(address after ACCOUNT/REGION/, action, fields)`.
    expected: &'static [(&'static str, Action, &'static [&'static str])],
}

/// Plans every case, asserting its expected changes, and returns what each case planned as
/// a table for the kind's snapshot: the case, then one row per change.
fn run_cases(cases: &[Case]) -> String {
    let mut table = String::new();
    for case in cases {
        let planned = plan_registry(state(case.desired), state(case.live));
        let expected: Vec<(String, Action, bool, Vec<String>)> = case
            .expected
            .iter()
            .map(|(kind_and_name, action, fields)| {
                (
                    address(REGISTRY, kind_and_name),
                    *action,
                    matches!(action, Action::Delete | Action::Replace),
                    fields.iter().map(|f| (*f).to_owned()).collect(),
                )
            })
            .collect();
        assert_eq!(outline(&planned), expected, "case: {}", case.name);
        assert!(planned.unmanaged.is_empty(), "case: {}", case.name);
        table.push_str(&format!("{}\n", case.name));
        if planned.changes.is_empty() {
            table.push_str("    no change\n");
        }
        for (address, action, destructive, fields) in outline(&planned) {
            let destructive = if destructive { " (destructive)" } else { "" };
            table.push_str(&format!(
                "    {:<8} {address}{destructive}  fields: {}\n",
                action.as_str(),
                fields.join(", ")
            ));
        }
    }
    table
}

fn only_change(plan: &Plan) -> &Change {
    assert_eq!(plan.changes.len(), 1, "{:?}", outline(plan));
    &plan.changes[0]
}

fn keep(_: &mut RegistryState) {}

#[test]
fn a_pull_through_cache_replace_names_the_creation_only_fields() {
    let mut moved = docker_hub();
    moved.upstream_url = "mirror.gcr.io".to_owned();
    let mut desired = RegistryState::empty(registry_id(REGISTRY));
    desired.pull_through_cache = Some(by_prefix([("docker-hub", moved)]));
    let planned = plan_registry(
        desired,
        state(|s| {
            s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
        }),
    );
    let change = only_change(&planned);
    assert_eq!(change.action, Action::Replace);
    assert_eq!(
        change.replace_reason.as_deref(),
        Some("upstream_url registry-1.docker.io -> mirror.gcr.io")
    );
    let mut without_credential = docker_hub();
    without_credential.credential_arn = None;
    let mut desired = RegistryState::empty(registry_id(REGISTRY));
    desired.pull_through_cache = Some(by_prefix([("docker-hub", without_credential)]));
    let planned = plan_registry(
        desired,
        state(|s| {
            s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
        }),
    );
    let reason = only_change(&planned).replace_reason.clone().unwrap();
    assert!(reason.starts_with("credential_arn "), "{reason}");
    assert!(
        reason.ends_with(" removed (an update cannot remove it)"),
        "{reason}"
    );
}

#[test]
fn replication_is_compared_whole_and_cleared_by_none() {
    let table = run_cases(&[
        Case {
            name: "a multi-rule configuration over none is a create",
            desired: |s| s.replication = Setting::Present(two_rules()),
            live: |s| s.replication = Setting::Present(Replication { rules: Vec::new() }),
            expected: &[("replication", Action::Create, &[field::DOCUMENT])],
        },
        Case {
            name: "a different destination is an update of the document",
            desired: |s| s.replication = Setting::Present(two_rules()),
            live: |s| {
                let mut live = two_rules();
                live.rules[1].destinations = vec![destination(ACCOUNT, "ap-south-1")];
                s.replication = Setting::Present(live);
            },
            expected: &[("replication", Action::Update, &[field::DOCUMENT])],
        },
        Case {
            name: "rules, destinations and filters in another order are no change",
            desired: |s| s.replication = Setting::Present(two_rules()),
            live: |s| {
                let mut live = two_rules();
                live.rules.reverse();
                live.rules[1].destinations.reverse();
                live.rules[1].repository_filters.reverse();
                s.replication = Setting::Present(live);
            },
            expected: &[],
        },
        Case {
            name: "none clears live rules, a destructive delete",
            desired: |s| s.replication = Setting::Absent,
            live: |s| s.replication = Setting::Present(two_rules()),
            expected: &[("replication", Action::Delete, &[field::DOCUMENT])],
        },
        Case {
            name: "no rules in the spec is the same as none",
            desired: |s| s.replication = Setting::Present(Replication { rules: Vec::new() }),
            live: |s| s.replication = Setting::Present(two_rules()),
            expected: &[("replication", Action::Delete, &[field::DOCUMENT])],
        },
        Case {
            name: "none against a configuration without rules is no change",
            desired: |s| s.replication = Setting::Absent,
            live: |s| s.replication = Setting::Present(Replication { rules: Vec::new() }),
            expected: &[],
        },
        Case {
            name: "unmanaged replication is left alone",
            desired: keep,
            live: |s| s.replication = Setting::Present(two_rules()),
            expected: &[],
        },
    ]);
    insta::assert_snapshot!(table);
}

#[test]
fn a_replication_change_carries_the_canonical_document_and_one_put() {
    let planned = plan_registry(
        state(|s| s.replication = Setting::Present(two_rules())),
        state(|s| s.replication = Setting::Absent),
    );
    let change = only_change(&planned);
    assert_eq!(change.before, None);
    assert_eq!(
        change.after,
        Some(json!({"rules": [
            {"destinations": [{"region": "eu-west-1", "account": ACCOUNT},
                              {"region": "us-east-1", "account": OTHER_ACCOUNT}],
             "repository_filters": ["shared/", "team-a/"]},
            {"destinations": [{"region": "us-west-2", "account": ACCOUNT}]}
        ]}))
    );
    let [ApiCall::PutReplicationConfiguration { rules }] = change.calls.as_slice() else {
        panic!("{:?}", change.calls);
    };
    assert_eq!(rules.len(), 2);

    let cleared = plan_registry(
        state(|s| s.replication = Setting::Absent),
        state(|s| s.replication = Setting::Present(two_rules())),
    );
    let change = only_change(&cleared);
    assert_eq!(change.after, None);
    assert!(change.before.is_some());
    assert_eq!(
        change.calls,
        [ApiCall::PutReplicationConfiguration { rules: Vec::new() }],
        "ECR clears replication with a Put of no rules"
    );
}

#[test]
fn the_registry_policy_is_written_in_place_and_deleted_only_for_none() {
    let table = run_cases(&[
        Case {
            name: "a policy live lacks is created",
            desired: |s| {
                s.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]))
            },
            live: |s| s.registry_policy = Setting::Absent,
            expected: &[("registry_policy", Action::Create, &[field::DOCUMENT])],
        },
        Case {
            name: "another action is an update",
            desired: |s| {
                s.registry_policy = Setting::Present(replication_policy(&[
                    "ecr:CreateRepository",
                    "ecr:ReplicateImage",
                ]))
            },
            live: |s| {
                s.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]))
            },
            expected: &[("registry_policy", Action::Update, &[field::DOCUMENT])],
        },
        Case {
            name: "root ARN for a bare account id and reordered actions are no change",
            desired: |s| {
                s.registry_policy = Setting::Present(replication_policy(&[
                    "ecr:CreateRepository",
                    "ecr:ReplicateImage",
                ]))
            },
            live: |s| {
                let rewritten = IamPolicy::from_value(json!({
                    "Version": "2012-10-17",
                    "Statement": [{"Sid": "replicate", "Effect": "Allow",
                                   "Principal": {"AWS": format!("arn:aws:iam::{OTHER_ACCOUNT}:root")},
                                   "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
                                   "Resource": ["arn:aws:ecr:us-east-1:123456789012:repository/*"]}]
                }))
                .unwrap();
                s.registry_policy = Setting::Present(rewritten);
            },
            expected: &[],
        },
        Case {
            name: "none deletes the live policy",
            desired: |s| s.registry_policy = Setting::Absent,
            live: |s| {
                s.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]))
            },
            expected: &[("registry_policy", Action::Delete, &[field::DOCUMENT])],
        },
        Case {
            name: "none against no policy is no change",
            desired: |s| s.registry_policy = Setting::Absent,
            live: |s| s.registry_policy = Setting::Absent,
            expected: &[],
        },
    ]);
    insta::assert_snapshot!(table);
    let deleted = plan_registry(
        state(|s| s.registry_policy = Setting::Absent),
        state(|s| s.registry_policy = Setting::Present(replication_policy(&["ecr:*"]))),
    );
    assert_eq!(only_change(&deleted).calls, [ApiCall::DeleteRegistryPolicy]);
    let written = plan_registry(
        state(|s| s.registry_policy = Setting::Present(replication_policy(&["ecr:*"]))),
        state(|s| s.registry_policy = Setting::Present(replication_policy(&["ecr:List*"]))),
    );
    let change = only_change(&written);
    assert!(matches!(
        change.calls.as_slice(),
        [ApiCall::PutRegistryPolicy { .. }]
    ));
    assert_eq!(
        change.after.as_ref(),
        Some(replication_policy(&["ecr:*"]).canonical())
    );
}

#[test]
fn scanning_is_replaced_whole_and_never_deleted() {
    let table = run_cases(&[
        Case {
            name: "enhanced over basic is an update",
            desired: |s| {
                s.scanning = Setting::Present(scanning(
                    ScanType::Enhanced,
                    &[
                        (ScanFrequency::ContinuousScan, &["team-a/*"]),
                        (ScanFrequency::ScanOnPush, &["*"]),
                    ],
                ))
            },
            live: |s| s.scanning = Setting::Present(scanning(ScanType::Basic, &[])),
            expected: &[("scanning", Action::Update, &[field::DOCUMENT])],
        },
        Case {
            name: "rules and filters in another order are no change",
            desired: |s| {
                s.scanning = Setting::Present(scanning(
                    ScanType::Enhanced,
                    &[
                        (ScanFrequency::ContinuousScan, &["team-b/*", "team-a/*"]),
                        (ScanFrequency::ScanOnPush, &["*"]),
                    ],
                ))
            },
            live: |s| {
                s.scanning = Setting::Present(scanning(
                    ScanType::Enhanced,
                    &[
                        (ScanFrequency::ScanOnPush, &["*"]),
                        (ScanFrequency::ContinuousScan, &["team-a/*", "team-b/*"]),
                    ],
                ))
            },
            expected: &[],
        },
        Case {
            name: "a desired absent scanning configuration plans nothing",
            desired: |s| s.scanning = Setting::Absent,
            live: |s| s.scanning = Setting::Present(scanning(ScanType::Enhanced, &[])),
            expected: &[],
        },
    ]);
    insta::assert_snapshot!(table);
    let planned = plan_registry(
        state(|s| {
            s.scanning = Setting::Present(scanning(
                ScanType::Basic,
                &[(ScanFrequency::ScanOnPush, &["*"])],
            ))
        }),
        state(|s| s.scanning = Setting::Present(scanning(ScanType::Basic, &[]))),
    );
    let change = only_change(&planned);
    assert_eq!(
        change.calls,
        [ApiCall::PutRegistryScanningConfiguration {
            scan_type: ScanType::Basic,
            rules: vec![ScanRule {
                frequency: ScanFrequency::ScanOnPush,
                filters: vec!["*".to_owned()],
            }],
        }]
    );
    assert_eq!(
        change.after,
        Some(json!({"type": "BASIC", "rules": [{"frequency": "SCAN_ON_PUSH", "filters": ["*"]}]}))
    );
}

#[test]
fn pull_through_cache_rules_are_an_exact_set_with_creation_only_fields() {
    let table = run_cases(&[
        Case {
            name: "a rule live lacks is created with the fields it sets",
            desired: |s| s.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub())])),
            live: |s| s.pull_through_cache = Some(by_prefix([])),
            expected: &[(
                "pull_through_cache/docker-hub",
                Action::Create,
                &[field::UPSTREAM_URL, field::CREDENTIAL_ARN],
            )],
        },
        Case {
            name: "the derived upstream registry and ROOT prefix ECR reports are no change",
            desired: |s| s.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub())])),
            live: |s| {
                s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
            },
            expected: &[],
        },
        Case {
            name: "an upstream registry named by the spec but left out by the reader agrees",
            desired: |s| {
                let mut rule = docker_hub();
                rule.upstream_registry = Some("docker-hub".to_owned());
                rule.upstream_repository_prefix = Some("ROOT".to_owned());
                s.pull_through_cache = Some(by_prefix([("docker-hub", rule)]));
            },
            live: |s| s.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub())])),
            expected: &[],
        },
        Case {
            name: "another upstream registry than live reports replaces the rule",
            desired: |s| {
                let mut rule = docker_hub();
                rule.upstream_registry = Some("ecr-public".to_owned());
                s.pull_through_cache = Some(by_prefix([("docker-hub", rule)]));
            },
            live: |s| {
                s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
            },
            expected: &[(
                "pull_through_cache/docker-hub",
                Action::Replace,
                &[field::UPSTREAM_REGISTRY],
            )],
        },
        Case {
            name: "a new credential is an update",
            desired: |s| {
                let mut rule = docker_hub();
                rule.credential_arn = Some(format!("{SECRET}-2"));
                s.pull_through_cache = Some(by_prefix([("docker-hub", rule)]));
            },
            live: |s| {
                s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
            },
            expected: &[(
                "pull_through_cache/docker-hub",
                Action::Update,
                &[field::CREDENTIAL_ARN],
            )],
        },
        Case {
            name: "a role added is an update",
            desired: |s| {
                let mut rule = docker_hub();
                rule.custom_role_arn = Some(ROLE.to_owned());
                s.pull_through_cache = Some(by_prefix([("docker-hub", rule)]));
            },
            live: |s| {
                s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
            },
            expected: &[(
                "pull_through_cache/docker-hub",
                Action::Update,
                &[field::CUSTOM_ROLE_ARN],
            )],
        },
        Case {
            name: "another upstream URL replaces the rule",
            desired: |s| {
                let mut rule = docker_hub();
                rule.upstream_url = "mirror.gcr.io".to_owned();
                s.pull_through_cache = Some(by_prefix([("docker-hub", rule)]));
            },
            live: |s| {
                s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
            },
            expected: &[(
                "pull_through_cache/docker-hub",
                Action::Replace,
                &[field::UPSTREAM_URL],
            )],
        },
        Case {
            name: "another upstream repository prefix replaces the rule",
            desired: |s| {
                let mut rule = docker_hub();
                rule.upstream_repository_prefix = Some("library".to_owned());
                s.pull_through_cache = Some(by_prefix([("docker-hub", rule)]));
            },
            live: |s| {
                s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
            },
            expected: &[(
                "pull_through_cache/docker-hub",
                Action::Replace,
                &[field::UPSTREAM_REPOSITORY_PREFIX],
            )],
        },
        Case {
            name: "a credential taken away replaces the rule: an update cannot remove it",
            desired: |s| {
                let mut rule = docker_hub();
                rule.upstream_url = "public.ecr.aws".to_owned();
                rule.credential_arn = None;
                s.pull_through_cache = Some(by_prefix([("ecr-public", rule)]));
            },
            live: |s| {
                let mut rule = docker_hub();
                rule.upstream_url = "public.ecr.aws".to_owned();
                s.pull_through_cache = Some(by_prefix([("ecr-public", rule)]));
            },
            expected: &[(
                "pull_through_cache/ecr-public",
                Action::Replace,
                &[field::CREDENTIAL_ARN],
            )],
        },
        Case {
            // The delete lists the rule's fields in canonical form: what ECR filled in by
            // itself (the derived upstream registry, the ROOT prefix) is not the rule's own.
            name: "a rule outside the spec's set is deleted",
            desired: |s| s.pull_through_cache = Some(by_prefix([])),
            live: |s| {
                s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
            },
            expected: &[(
                "pull_through_cache/docker-hub",
                Action::Delete,
                &[field::UPSTREAM_URL, field::CREDENTIAL_ARN],
            )],
        },
        Case {
            name: "rules are neither planned nor reported when the spec does not manage them",
            desired: keep,
            live: |s| s.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub())])),
            expected: &[],
        },
    ]);
    insta::assert_snapshot!(table);
}

#[test]
fn pull_through_cache_changes_carry_the_calls_ecr_needs() {
    let live = || {
        state(|s| {
            s.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]))
        })
    };
    let mut rotated = docker_hub();
    rotated.credential_arn = Some(format!("{SECRET}-2"));
    let rotated_state = RegistryBuilder::new(registry_id(REGISTRY))
        .pull_through_cache([("docker-hub", rotated.clone())])
        .build();
    let planned = plan_registry(rotated_state, live());
    let change = only_change(&planned);
    assert_eq!(
        change.calls,
        [ApiCall::UpdatePullThroughCacheRule {
            prefix: "docker-hub".to_owned(),
            credential_arn: Some(format!("{SECRET}-2")),
            custom_role_arn: None,
        }]
    );
    assert_eq!(
        change.before.as_ref().map(|b| &b["credential_arn"]),
        Some(&json!(SECRET))
    );
    assert_eq!(
        change.after,
        Some(
            json!({"upstream_url": "registry-1.docker.io", "credential_arn": format!("{SECRET}-2")})
        )
    );

    let mut moved = docker_hub();
    moved.upstream_url = "mirror.gcr.io".to_owned();
    let moved_state = RegistryBuilder::new(registry_id(REGISTRY))
        .pull_through_cache([("docker-hub", moved.clone())])
        .build();
    let planned = plan_registry(moved_state, live());
    assert_eq!(
        only_change(&planned).calls,
        [
            ApiCall::DeletePullThroughCacheRule {
                prefix: "docker-hub".to_owned()
            },
            ApiCall::CreatePullThroughCacheRule {
                prefix: "docker-hub".to_owned(),
                rule: moved,
            },
        ]
    );
}

#[test]
fn creation_templates_are_an_exact_set_updated_in_place() {
    let table = run_cases(&[
        Case {
            name: "a template live lacks is created, with ECR's defaults listed",
            desired: |s| s.creation_templates = Some(by_prefix([("ROOT", template())])),
            live: |s| s.creation_templates = Some(by_prefix([])),
            expected: &[(
                "creation_template/ROOT",
                Action::Create,
                &[
                    field::APPLIED_FOR,
                    field::DESCRIPTION,
                    field::IMAGE_TAG_MUTABILITY,
                    field::ENCRYPTION,
                    field::LIFECYCLE_POLICY,
                    field::REPOSITORY_POLICY,
                ],
            )],
        },
        Case {
            name: "defaults, rewritten principals and reordered scenarios are no change",
            desired: |s| s.creation_templates = Some(by_prefix([("ROOT", template())])),
            live: |s| {
                s.creation_templates =
                    Some(by_prefix([("ROOT", template_as_reported(&template()))]))
            },
            expected: &[],
        },
        Case {
            name: "another lifecycle policy is an update of that field only",
            desired: |s| {
                let mut want = template();
                want.lifecycle_policy = Some(expire_untagged_after(30));
                s.creation_templates = Some(by_prefix([("ROOT", want)]));
            },
            live: |s| {
                s.creation_templates =
                    Some(by_prefix([("ROOT", template_as_reported(&template()))]))
            },
            expected: &[(
                "creation_template/ROOT",
                Action::Update,
                &[field::LIFECYCLE_POLICY],
            )],
        },
        Case {
            name: "mutability, tags and role change together",
            desired: |s| {
                let mut want = template();
                want.image_tag_mutability = Some(TagMutability::Immutable);
                want.resource_tags = BTreeMap::from([("team".to_owned(), "platform".to_owned())]);
                want.custom_role_arn = Some(ROLE.to_owned());
                s.creation_templates = Some(by_prefix([("ROOT", want)]));
            },
            live: |s| {
                s.creation_templates =
                    Some(by_prefix([("ROOT", template_as_reported(&template()))]))
            },
            expected: &[(
                "creation_template/ROOT",
                Action::Update,
                &[
                    field::IMAGE_TAG_MUTABILITY,
                    field::RESOURCE_TAGS,
                    field::CUSTOM_ROLE_ARN,
                ],
            )],
        },
        Case {
            name: "a template outside the spec's set is deleted",
            desired: |s| s.creation_templates = Some(by_prefix([("ROOT", template())])),
            live: |s| {
                let reported = template_as_reported(&template());
                s.creation_templates =
                    Some(by_prefix([("ROOT", reported.clone()), ("old", reported)]));
            },
            expected: &[(
                "creation_template/old",
                Action::Delete,
                &[
                    field::APPLIED_FOR,
                    field::DESCRIPTION,
                    field::IMAGE_TAG_MUTABILITY,
                    field::ENCRYPTION,
                    field::LIFECYCLE_POLICY,
                    field::REPOSITORY_POLICY,
                ],
            )],
        },
        Case {
            name: "templates are not planned when the spec does not manage them",
            desired: keep,
            live: |s| s.creation_templates = Some(by_prefix([("ROOT", template())])),
            expected: &[],
        },
    ]);
    insta::assert_snapshot!(table);
}

#[test]
fn a_template_update_sends_only_what_changes_and_clears_what_was_removed() {
    let mut want = template();
    want.lifecycle_policy = Some(expire_untagged_after(30));
    want.description = None;
    want.repository_policy = None;
    let planned = plan_registry(
        templates_state([("ROOT", want.clone())]),
        templates_state([("ROOT", template_as_reported(&template()))]),
    );
    let change = only_change(&planned);
    assert_eq!(
        change.fields,
        [
            field::DESCRIPTION,
            field::LIFECYCLE_POLICY,
            field::REPOSITORY_POLICY
        ]
    );
    assert_eq!(
        change.calls,
        [ApiCall::UpdateRepositoryCreationTemplate {
            prefix: "ROOT".to_owned(),
            changes: TemplateChanges {
                description: Some(String::new()),
                lifecycle_policy: Some(expire_untagged_after(30).to_compact_json()),
                repository_policy: Some(String::new()),
                ..TemplateChanges::default()
            },
        }]
    );
    let after = change.after.as_ref().unwrap();
    assert_eq!(
        &after["lifecycle_policy"],
        expire_untagged_after(30).canonical()
    );
    assert_eq!(
        after["applied_for"],
        json!(["PULL_THROUGH_CACHE", "REPLICATION"])
    );
    assert_eq!(after["image_tag_mutability"], json!("MUTABLE"));
    assert_eq!(after["encryption"], json!({"type": "AES256"}));
    assert_eq!(after.get("description"), None);
}

#[test]
fn account_settings_are_managed_by_name() {
    let table = run_cases(&[
        Case {
            name: "a different value is an update",
            desired: |s| {
                s.account_settings = Some(account_settings([(
                    AccountSettingName::RegistryPolicyScope,
                    "V2",
                )]))
            },
            live: |s| {
                s.account_settings = Some(account_settings([(
                    AccountSettingName::RegistryPolicyScope,
                    "V1",
                )]))
            },
            expected: &[(
                "account_setting/REGISTRY_POLICY_SCOPE",
                Action::Update,
                &[field::VALUE],
            )],
        },
        Case {
            name: "settings the spec does not name are untouched",
            desired: |s| {
                s.account_settings = Some(account_settings([(
                    AccountSettingName::RegistryPolicyScope,
                    "V2",
                )]))
            },
            live: |s| {
                s.account_settings = Some(account_settings([
                    (AccountSettingName::RegistryPolicyScope, "V2"),
                    (AccountSettingName::BasicScanTypeVersion, "CLAIR"),
                    (AccountSettingName::BlobMounting, "ENABLED"),
                ]))
            },
            expected: &[],
        },
        Case {
            name: "a setting live state did not report is written",
            desired: |s| {
                s.account_settings = Some(account_settings([(
                    AccountSettingName::BlobMounting,
                    "ENABLED",
                )]))
            },
            live: |s| s.account_settings = Some(account_settings([])),
            expected: &[(
                "account_setting/BLOB_MOUNTING",
                Action::Create,
                &[field::VALUE],
            )],
        },
    ]);
    insta::assert_snapshot!(table);
    let planned = plan_registry(
        state(|s| {
            s.account_settings = Some(account_settings([(
                AccountSettingName::BasicScanTypeVersion,
                "AWS_NATIVE",
            )]))
        }),
        state(|s| {
            s.account_settings = Some(account_settings([(
                AccountSettingName::BasicScanTypeVersion,
                "CLAIR",
            )]))
        }),
    );
    let change = only_change(&planned);
    assert_eq!(
        (change.before.clone(), change.after.clone()),
        (Some(json!("CLAIR")), Some(json!("AWS_NATIVE")))
    );
    assert_eq!(
        change.calls,
        [ApiCall::PutAccountSetting {
            name: AccountSettingName::BasicScanTypeVersion,
            value: "AWS_NATIVE".to_owned()
        }]
    );
}

const RELEASE_PROFILE: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release";
const DEV_PROFILE: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/dev_builds";
const SCANNER: &str = "arn:aws:iam::123456789012:role/security/scanner";
const MIRROR: &str = "arn:aws:iam::123456789012:user/mirror";

fn signing_rule(profile: &str, filters: &[&str]) -> SigningRule {
    SigningRule {
        signing_profile_arn: profile.to_owned(),
        repository_filters: filters.iter().map(|f| (*f).to_owned()).collect(),
    }
}

/// Release images signed with one profile, everything else with another.
fn signing() -> SigningConfiguration {
    SigningConfiguration {
        rules: vec![
            signing_rule(RELEASE_PROFILE, &["release/*", "team-a/prod-*"]),
            signing_rule(DEV_PROFILE, &[]),
        ],
    }
}

fn exclusions(principals: &[&str]) -> Option<PullTimeUpdateExclusions> {
    Some(principals.iter().copied().collect())
}

#[test]
fn the_signing_configuration_is_compared_whole_and_deleted_by_none() {
    run_cases(&[
        Case {
            name: "a configuration live lacks is a create",
            desired: |s| s.signing_configuration = Setting::Present(signing()),
            live: |s| s.signing_configuration = Setting::Absent,
            expected: &[("signing_configuration", Action::Create, &[field::DOCUMENT])],
        },
        Case {
            name: "a configuration of no rules live has is absent too",
            desired: |s| s.signing_configuration = Setting::Present(signing()),
            live: |s| {
                s.signing_configuration = Setting::Present(SigningConfiguration { rules: vec![] })
            },
            expected: &[("signing_configuration", Action::Create, &[field::DOCUMENT])],
        },
        Case {
            name: "another profile is an update of the document",
            desired: |s| s.signing_configuration = Setting::Present(signing()),
            live: |s| {
                let mut live = signing();
                live.rules[1].signing_profile_arn = RELEASE_PROFILE.to_owned();
                s.signing_configuration = Setting::Present(live);
            },
            expected: &[("signing_configuration", Action::Update, &[field::DOCUMENT])],
        },
        Case {
            name: "a filter more is an update",
            desired: |s| s.signing_configuration = Setting::Present(signing()),
            live: |s| {
                let mut live = signing();
                live.rules[0].repository_filters.push("hotfix/*".to_owned());
                s.signing_configuration = Setting::Present(live);
            },
            expected: &[("signing_configuration", Action::Update, &[field::DOCUMENT])],
        },
        Case {
            name: "rules and filters in another order are no change",
            desired: |s| s.signing_configuration = Setting::Present(signing()),
            live: |s| {
                let mut live = signing();
                live.rules.reverse();
                live.rules[1].repository_filters.reverse();
                s.signing_configuration = Setting::Present(live);
            },
            expected: &[],
        },
        Case {
            name: "none deletes the live configuration, destructively",
            desired: |s| s.signing_configuration = Setting::Absent,
            live: |s| s.signing_configuration = Setting::Present(signing()),
            expected: &[("signing_configuration", Action::Delete, &[field::DOCUMENT])],
        },
        Case {
            name: "no rules in the spec is the same as none",
            desired: |s| {
                s.signing_configuration = Setting::Present(SigningConfiguration { rules: vec![] })
            },
            live: |s| s.signing_configuration = Setting::Present(signing()),
            expected: &[("signing_configuration", Action::Delete, &[field::DOCUMENT])],
        },
        Case {
            name: "none against no configuration is no change",
            desired: |s| s.signing_configuration = Setting::Absent,
            live: |s| s.signing_configuration = Setting::Absent,
            expected: &[],
        },
        Case {
            name: "none against a configuration without rules is no change",
            desired: |s| s.signing_configuration = Setting::Absent,
            live: |s| {
                s.signing_configuration = Setting::Present(SigningConfiguration { rules: vec![] })
            },
            expected: &[],
        },
        Case {
            name: "an unmanaged signing configuration is left alone",
            desired: keep,
            live: |s| s.signing_configuration = Setting::Present(signing()),
            expected: &[],
        },
    ]);
}

#[test]
fn a_signing_change_carries_the_canonical_document_and_one_put_or_delete() {
    let planned = plan_registry(
        state(|s| s.signing_configuration = Setting::Present(signing())),
        state(|s| s.signing_configuration = Setting::Absent),
    );
    let change = only_change(&planned);
    assert_eq!(change.before, None);
    assert_eq!(
        change.after,
        Some(json!({"rules": [
            {"signing_profile_arn": DEV_PROFILE},
            {"signing_profile_arn": RELEASE_PROFILE,
             "repository_filters": ["release/*", "team-a/prod-*"]}
        ]})),
        "rules sorted, a rule without filters shown without them"
    );
    assert_eq!(
        change.calls,
        [ApiCall::PutSigningConfiguration {
            rules: signing().canonical().unwrap().rules
        }]
    );

    let deleted = plan_registry(
        state(|s| s.signing_configuration = Setting::Absent),
        state(|s| s.signing_configuration = Setting::Present(signing())),
    );
    let change = only_change(&deleted);
    assert!(change.destructive);
    assert_eq!(change.after, None);
    assert_eq!(change.calls, [ApiCall::DeleteSigningConfiguration]);
}

#[test]
fn pull_time_update_exclusions_are_an_exact_set_of_principals() {
    const SCANNER_ADDRESS: &str =
        "pull_time_update_exclusion/arn:aws:iam::123456789012:role/security/scanner";
    const MIRROR_ADDRESS: &str = "pull_time_update_exclusion/arn:aws:iam::123456789012:user/mirror";
    run_cases(&[
        Case {
            name: "principals live lacks are registered, one change each, by ARN",
            desired: |s| s.pull_time_update_exclusions = exclusions(&[SCANNER, MIRROR]),
            live: |s| s.pull_time_update_exclusions = exclusions(&[]),
            expected: &[
                (SCANNER_ADDRESS, Action::Create, &[field::PRINCIPAL_ARN]),
                (MIRROR_ADDRESS, Action::Create, &[field::PRINCIPAL_ARN]),
            ],
        },
        Case {
            name: "a principal that left the spec is deregistered, destructively",
            desired: |s| s.pull_time_update_exclusions = exclusions(&[SCANNER]),
            live: |s| s.pull_time_update_exclusions = exclusions(&[SCANNER, MIRROR]),
            expected: &[(MIRROR_ADDRESS, Action::Delete, &[field::PRINCIPAL_ARN])],
        },
        Case {
            name: "none is the empty set: every live exclusion is deregistered",
            desired: |s| s.pull_time_update_exclusions = exclusions(&[]),
            live: |s| s.pull_time_update_exclusions = exclusions(&[SCANNER, MIRROR]),
            expected: &[
                (SCANNER_ADDRESS, Action::Delete, &[field::PRINCIPAL_ARN]),
                (MIRROR_ADDRESS, Action::Delete, &[field::PRINCIPAL_ARN]),
            ],
        },
        Case {
            name: "the same set is no change",
            desired: |s| s.pull_time_update_exclusions = exclusions(&[MIRROR, SCANNER]),
            live: |s| s.pull_time_update_exclusions = exclusions(&[SCANNER, MIRROR]),
            expected: &[],
        },
        Case {
            name: "another spelling of a principal replaces it: register, then deregister",
            desired: |s| {
                s.pull_time_update_exclusions =
                    exclusions(&["arn:aws:iam::123456789012:user/Mirror"])
            },
            live: |s| s.pull_time_update_exclusions = exclusions(&[MIRROR]),
            expected: &[
                (
                    "pull_time_update_exclusion/arn:aws:iam::123456789012:user/Mirror",
                    Action::Create,
                    &[field::PRINCIPAL_ARN],
                ),
                (MIRROR_ADDRESS, Action::Delete, &[field::PRINCIPAL_ARN]),
            ],
        },
        Case {
            name: "unmanaged exclusions are left alone",
            desired: keep,
            live: |s| s.pull_time_update_exclusions = exclusions(&[SCANNER]),
            expected: &[],
        },
    ]);
}

#[test]
fn an_exclusion_change_names_its_principal_and_makes_one_call() {
    let registered = plan_registry(
        state(|s| s.pull_time_update_exclusions = exclusions(&[SCANNER])),
        state(|s| s.pull_time_update_exclusions = exclusions(&[MIRROR])),
    );
    let [register, deregister] = registered.changes.as_slice() else {
        panic!("{:?}", outline(&registered));
    };
    assert_eq!(register.address.key(), Some(SCANNER));
    assert_eq!(register.before, None);
    assert_eq!(register.after, Some(json!(SCANNER)));
    assert_eq!(
        register.calls,
        [ApiCall::RegisterPullTimeUpdateExclusion {
            principal_arn: SCANNER.to_owned()
        }]
    );
    assert!(!register.destructive);
    assert_eq!(deregister.address.key(), Some(MIRROR));
    assert_eq!(deregister.before, Some(json!(MIRROR)));
    assert_eq!(deregister.after, None);
    assert_eq!(
        deregister.calls,
        [ApiCall::DeregisterPullTimeUpdateExclusion {
            principal_arn: MIRROR.to_owned()
        }]
    );
    assert!(deregister.destructive);
}

/// A repository that ecrform created, with only its mutability managed.
fn owned_repository(mode: TagMutability) -> RepositoryState {
    RepositoryBuilder::new().mutability(mode).owned().build()
}

#[test]
fn registry_wide_changes_come_before_repositories_and_removals_last() {
    let mut want = RegistryBuilder::new(registry_id(REGISTRY))
        .repository(
            "app",
            RepositoryBuilder::new().mutability(TagMutability::Immutable),
        )
        .build();
    want.replication = Setting::Present(two_rules());
    want.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]));
    want.scanning = Setting::Present(scanning(ScanType::Enhanced, &[]));
    want.pull_through_cache = Some(by_prefix([("quay", {
        let mut rule = docker_hub();
        rule.upstream_url = "quay.io".to_owned();
        rule.credential_arn = None;
        rule
    })]));
    want.creation_templates = Some(by_prefix([("ROOT", template())]));
    want.account_settings = Some(account_settings([(
        AccountSettingName::RegistryPolicyScope,
        "V2",
    )]));
    want.signing_configuration = Setting::Present(signing());
    want.pull_time_update_exclusions = exclusions(&[SCANNER]);

    let mut live = state(|s| {
        s.replication = Setting::Absent;
        s.registry_policy = Setting::Absent;
        s.scanning = Setting::Present(scanning(ScanType::Basic, &[]));
        s.account_settings = Some(account_settings([(
            AccountSettingName::RegistryPolicyScope,
            "V1",
        )]));
        s.signing_configuration = Setting::Absent;
        s.pull_time_update_exclusions = exclusions(&[MIRROR]);
    });
    live.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub())]));
    live.creation_templates = Some(by_prefix([("old", template())]));
    live.repositories
        .insert(name("app"), owned_repository(TagMutability::Mutable));
    live.repositories
        .insert(name("gone"), owned_repository(TagMutability::Mutable));

    let desired = DesiredBuilder::new().registry(want).prune(true).build();
    let planned = plan(&desired, &[live]);
    let order: Vec<(String, Action)> = planned
        .changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect();
    assert_eq!(
        order,
        [
            (
                address(REGISTRY, "account_setting/REGISTRY_POLICY_SCOPE"),
                Action::Update
            ),
            (address(REGISTRY, "registry_policy"), Action::Create),
            (address(REGISTRY, "creation_template/ROOT"), Action::Create),
            (address(REGISTRY, "pull_through_cache/quay"), Action::Create),
            (address(REGISTRY, "replication"), Action::Create),
            (address(REGISTRY, "scanning"), Action::Update),
            (address(REGISTRY, "signing_configuration"), Action::Create),
            (
                address(REGISTRY, &format!("pull_time_update_exclusion/{SCANNER}")),
                Action::Create
            ),
            (address(REGISTRY, "repository/app"), Action::Update),
            (
                address(REGISTRY, "pull_through_cache/docker-hub"),
                Action::Delete
            ),
            (address(REGISTRY, "creation_template/old"), Action::Delete),
            (
                address(REGISTRY, &format!("pull_time_update_exclusion/{MIRROR}")),
                Action::Delete
            ),
            (address(REGISTRY, "repository/gone"), Action::Delete),
        ]
    );
}

#[test]
fn a_registry_wide_state_planned_against_itself_is_empty() {
    let mut full = RegistryState::empty(registry_id(REGISTRY));
    full.replication = Setting::Present(two_rules());
    full.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]));
    full.scanning = Setting::Present(scanning(
        ScanType::Enhanced,
        &[(ScanFrequency::ScanOnPush, &["*"])],
    ));
    full.pull_through_cache = Some(by_prefix([("docker-hub", docker_hub())]));
    full.creation_templates = Some(by_prefix([("ROOT", template())]));
    full.account_settings = Some(account_settings([(
        AccountSettingName::BlobMounting,
        "ENABLED",
    )]));
    full.signing_configuration = Setting::Present(signing());
    full.pull_time_update_exclusions = exclusions(&[SCANNER, MIRROR]);
    let planned = plan_registry(full.clone(), full);
    assert!(planned.is_empty(), "{:?}", outline(&planned));
}

/// Saved plans fingerprint `before`: what `observe` sees now must be what the planner saw.
#[test]
fn observe_matches_before_for_every_registry_wide_kind() {
    let mut want = RegistryState::empty(registry_id(REGISTRY));
    want.replication = Setting::Absent;
    want.registry_policy = Setting::Present(replication_policy(&["ecr:*"]));
    want.scanning = Setting::Present(scanning(ScanType::Enhanced, &[]));
    want.pull_through_cache = Some(by_prefix([("docker-hub", {
        let mut rule = docker_hub();
        rule.custom_role_arn = Some(ROLE.to_owned());
        rule
    })]));
    want.creation_templates = Some(by_prefix([]));
    want.account_settings = Some(account_settings([(
        AccountSettingName::BlobMounting,
        "ENABLED",
    )]));
    want.signing_configuration = Setting::Present(signing());
    want.pull_time_update_exclusions = exclusions(&[SCANNER]);
    let mut live = RegistryState::empty(registry_id(REGISTRY));
    live.replication = Setting::Present(two_rules());
    live.registry_policy = Setting::Present(replication_policy(&["ecr:ReplicateImage"]));
    live.scanning = Setting::Present(scanning(ScanType::Basic, &[]));
    live.pull_through_cache = Some(by_prefix([("docker-hub", as_reported(&docker_hub()))]));
    live.creation_templates = Some(by_prefix([("ROOT", template())]));
    live.account_settings = Some(account_settings([(
        AccountSettingName::BlobMounting,
        "DISABLED",
    )]));
    live.signing_configuration = Setting::Present(SigningConfiguration {
        rules: vec![signing_rule(RELEASE_PROFILE, &["release/*"])],
    });
    live.pull_time_update_exclusions = exclusions(&[MIRROR]);

    let planned = plan_registry(want, live.clone());
    assert_eq!(planned.changes.len(), 9, "{:?}", outline(&planned));
    for change in &planned.changes {
        let observed: Option<Value> = crate::diff::observe(change, &live);
        assert_eq!(observed, change.before, "{}", change.address);
    }
}

#[test]
fn template_kms_encryption_compares_exactly_and_is_updated_in_place() {
    let kms = Encryption {
        kind: EncryptionType::Kms,
        kms_key: Some(
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                .to_owned(),
        ),
    };
    let mut want = template();
    want.encryption = Some(kms.clone());
    want.custom_role_arn = Some(ROLE.to_owned());
    let mut have = template_as_reported(&want);
    let planned = plan_registry(
        templates_state([("ROOT", want.clone())]),
        templates_state([("ROOT", have.clone())]),
    );
    assert!(planned.is_empty(), "{:?}", outline(&planned));
    have.encryption = Some(Encryption::aes256());
    let planned = plan_registry(
        templates_state([("ROOT", want)]),
        templates_state([("ROOT", have)]),
    );
    assert_eq!(only_change(&planned).fields, [field::ENCRYPTION]);
    let ApiCall::UpdateRepositoryCreationTemplate { changes, .. } = &planned.changes[0].calls[0]
    else {
        panic!("{:?}", planned.changes[0].calls);
    };
    assert_eq!(changes.encryption, Some(kms));
}
