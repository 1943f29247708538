//! End-to-end tests of policy documents: named documents and templates resolved next to the
//! spec (or in the directory `LoadOptions::policies_dir` names), and their problems located in
//! the spec or the document.

use crate::test_support::{Fixture, registry, repository};
use crate::{LoadOptions, load};

const PULL_TEMPLATE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "Pull",
    "Effect": "Allow",
    "Principal": {"AWS": {{ accounts }}},
    "Action": "ecr:BatchGetImage",
    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "{{team}}"}}
  }]
}
"#;

const UNTAGGED_LIFECYCLE: &str = r#"{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}, "action": {"type": "expire"}}]}
"#;

#[test]
fn named_policies_and_templates_resolve_next_to_the_spec() {
    let fixture = Fixture::new()
        .with("policies/lifecycle/untagged.json", UNTAGGED_LIFECYCLE)
        .with("policies/repository/pull.json", PULL_TEMPLATE)
        .with(
            "policies/registry/replicate.yaml",
            "Version: \"2012-10-17\"\nStatement:\n  - Effect: Allow\n    Principal: {AWS: \"arn:aws:iam::210987654321:root\"}\n    Action: [\"ecr:CreateRepository\", \"ecr:ReplicateImage\"]\n    Resource: \"*\"\n",
        )
        .with(
            "spec.yaml",
            &registry(
                "    registry_policy: replicate\n    repositories:\n      api:\n        lifecycle: untagged\n        policy: {template: pull, vars: {accounts: [\"210987654321\"], team: a}}\n      web:\n        lifecycle: untagged\n",
            ),
        );
    let spec = fixture.load("spec.yaml").unwrap();
    let state = &spec.desired.registries[0].state;
    let api = &state.repositories[&ecrform_model::RepositoryName::parse("api").unwrap()];
    let policy = api.repository_policy.present().unwrap();
    assert_eq!(
        policy.document()["Statement"][0]["Principal"]["AWS"],
        serde_json::json!(["210987654321"])
    );
    assert_eq!(
        policy.document()["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalTag/team"],
        "a"
    );
    assert!(api.lifecycle_policy.present().is_some());
    assert!(state.registry_policy.present().is_some());
    let files: Vec<String> = spec
        .files
        .iter()
        .map(|path| {
            path.strip_prefix(&fixture.root)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        files,
        [
            "spec.yaml",
            "policies/registry/replicate.yaml",
            "policies/lifecycle/untagged.json",
            "policies/repository/pull.json"
        ]
    );
}

#[test]
fn policies_dir_replaces_the_default_location() {
    let fixture = Fixture::new()
        .with("elsewhere/lifecycle/untagged.json", UNTAGGED_LIFECYCLE)
        .with(
            "spec/spec.yaml",
            &repository("        lifecycle: untagged\n"),
        );
    let options = LoadOptions {
        path: &fixture.path("spec/spec.yaml"),
        policies_dir: Some(&fixture.path("elsewhere")),
    };
    let spec = load(&options).unwrap();
    assert_eq!(spec.files.len(), 2);
}

#[test]
fn policy_reference_problems_are_located_in_the_spec_or_the_document() {
    let with_policies = || {
        Fixture::new()
            .with("policies/lifecycle/untagged.json", UNTAGGED_LIFECYCLE)
            .with("policies/lifecycle/weekly.json", UNTAGGED_LIFECYCLE)
            .with("policies/lifecycle/both.json", UNTAGGED_LIFECYCLE)
            .with("policies/lifecycle/both.yaml", "rules: []\n")
            .with("policies/repository/pull.json", PULL_TEMPLATE)
            .with("policies/repository/broken.json", "{\"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": \"Permit\", \"Principal\": \"*\", \"Action\": \"ecr:*\"}]}\n")
            .with("policies/repository/duplicate.json", "{\"Statement\": [],\n \"Statement\": []}\n")
            .with("policies/repository/odd.json", "{\"a\": {{ not a var }}}\n")
            .with("policies/repository/trailing.json", "{\"Statement\": {{ statements }},}\n")
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown name",
            "        lifecycle: untaged\n",
            "spec.yaml:7:20: unknown lifecycle policy \"untaged\"; did you mean \"untagged\"? (available: both, untagged, weekly)",
        ),
        (
            "name with its extension",
            "        lifecycle: weekly.json\n",
            "spec.yaml:7:20: unknown lifecycle policy \"weekly.json\"; did you mean \"weekly\"? (available: both, untagged, weekly)",
        ),
        (
            "two files with one name",
            "        lifecycle: both\n",
            "spec.yaml:7:20: lifecycle policy \"both\" is ambiguous: policies/lifecycle/both.json and policies/lifecycle/both.yaml; keep one",
        ),
        (
            "iam error inside a policy file",
            "        policy: broken\n",
            "policies/repository/broken.json:2:17: repository policy: Effect must be \"Allow\" or \"Deny\", not \"Permit\"",
        ),
        (
            "duplicate key inside a json policy file",
            "        policy: duplicate\n",
            "policies/repository/duplicate.json:2:2: duplicate key \"Statement\" (first defined at line 1, column 2)",
        ),
        (
            "inline value without a json form",
            "        policy: {Version: .nan}\n",
            "spec.yaml:7:27: .nan is not a JSON number; quote it if a string is meant",
        ),
        (
            "inline iam error",
            "        policy: {Version: \"2012-10-17\"}\n",
            "spec.yaml:7:17: repository policy: an IAM policy needs a \"Statement\"",
        ),
        (
            "missing var",
            "        policy: {template: pull, vars: {accounts: []}}\n",
            "spec.yaml:7:17: template \"pull\" (policies/repository/pull.json) needs var \"team\", which vars does not set",
        ),
        (
            "unused var with a suggestion",
            "        policy: {template: pull, vars: {accounts: [\"1\"], team: a, teams: b}}\n",
            "spec.yaml:7:67: var \"teams\" is not used by template \"pull\" (policies/repository/pull.json); did you mean \"team\"?",
        ),
        (
            "malformed placeholder",
            "        policy: {template: odd}\n",
            "spec.yaml:7:17: template \"odd\" (policies/repository/odd.json) line 1: \"{{ not a var }}\" is not a placeholder; write {{ name }} with a name of letters, digits, '_' or '-'",
        ),
        (
            "a mapping inside a string",
            "        policy: {template: pull, vars: {accounts: [\"1\"], team: {a: b}}}\n",
            "spec.yaml:7:58: var \"team\" is a mapping, but its placeholder on line 8 of the template is inside a string; only a string, number or boolean can go there (template \"pull\", policies/repository/pull.json)",
        ),
        (
            "an error in the substituted document",
            "        policy: {template: pull, vars: {accounts: 1, team: a}}\n",
            "spec.yaml:7:17: repository policy from template \"pull\" (policies/repository/pull.json) at /Statement/0/Principal/AWS: Principal.AWS must be a string or a list of strings, not a number",
        ),
        (
            "a template that is not JSON",
            "        policy: {template: trailing, vars: {statements: []}}\n",
            "spec.yaml:7:17: repository policy from template \"trailing\" (policies/repository/trailing.json) is not valid after substitution: trailing comma at line 1 column 18",
        ),
        (
            "unknown template",
            "        policy: {template: pul}\n",
            "spec.yaml:7:28: unknown repository policy template \"pul\"; did you mean \"pull\"? (available: broken, duplicate, odd, pull, trailing)",
        ),
    ];
    let mut failures = Vec::new();
    for (name, settings, expected) in cases {
        let fixture = with_policies().with("spec.yaml", &repository(settings));
        let errors = fixture.errors("spec.yaml");
        if errors.first().map(String::as_str) != Some(*expected) {
            failures.push(format!(
                "{name}:\n  expected: {expected}\n  actual:   {errors:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_policy_used_by_many_repositories_is_reported_once() {
    let fixture = Fixture::new()
        .with("policies/lifecycle/empty.json", "{\"rules\": []}\n")
        .with(
            "spec.yaml",
            &registry("    repositories:\n      a1:\n        lifecycle: empty\n      a2:\n        lifecycle: empty\n"),
        );
    let errors = fixture.errors("spec.yaml");
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors
            .iter()
            .all(|error| error.starts_with("policies/lifecycle/empty.json:1:")),
        "{errors:#?}"
    );
}

#[test]
fn a_missing_policy_directory_names_the_file_it_looked_for() {
    let fixture = Fixture::new().with("spec.yaml", &repository("        lifecycle: standard\n"));
    assert_eq!(
        fixture.errors("spec.yaml"),
        [
            "spec.yaml:7:20: unknown lifecycle policy \"standard\": there is no policies/lifecycle/standard.json, .yaml or .yml"
        ]
    );
}

const BARE_ACCOUNT_PULL: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "210987654321"}, "Action": "ecr:BatchGetImage"}]}
"#;

/// What ECR in `partition` stores for [`BARE_ACCOUNT_PULL`].
fn root_pull(partition: &str) -> ecrform_model::IamPolicy {
    ecrform_model::IamPolicy::from_json_text(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
          "Principal": {{"AWS": "arn:{partition}:iam::210987654321:root"}}, "Action": "ecr:BatchGetImage"}}]}}"#
    ))
    .unwrap()
}

#[test]
fn a_gov_cloud_registry_reads_a_bare_account_id_as_the_gov_cloud_root() {
    let fixture = Fixture::new()
        .with("policies/repository/pull.json", BARE_ACCOUNT_PULL)
        .with("policies/registry/pull.json", BARE_ACCOUNT_PULL)
        .with(
            "spec.yaml",
            "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-gov-west-1\n    \
             registry_policy: pull\n    creation_templates:\n      ROOT: {applied_for: [REPLICATION], policy: pull}\n    \
             repositories:\n      api:\n        policy: pull\n      web:\n        policy: {\"Statement\": [{\"Effect\": \"Allow\", \
             \"Principal\": {\"AWS\": \"210987654321\"}, \"Action\": \"ecr:BatchGetImage\"}], \"Version\": \"2012-10-17\"}\n",
        );
    let spec = fixture.load("spec.yaml").unwrap();
    let state = &spec.desired.registries[0].state;
    let live = root_pull("aws-us-gov").for_partition(ecrform_model::Partition::AwsUsGov);
    let repository = |name: &str| {
        state.repositories[&ecrform_model::RepositoryName::parse(name).unwrap()]
            .repository_policy
            .present()
            .unwrap()
    };
    assert_eq!(repository("api"), &live);
    assert_eq!(repository("web"), &live);
    assert_eq!(state.registry_policy.present().unwrap(), &live);
    let template = &state.creation_templates.as_ref().unwrap()["ROOT"];
    assert_eq!(template.repository_policy.as_ref().unwrap(), &live);
    // The commercial root is another account's principal to a GovCloud registry.
    assert_ne!(
        repository("api"),
        &root_pull("aws").for_partition(ecrform_model::Partition::AwsUsGov)
    );
    // What is sent to ECR is the document as written.
    assert_eq!(
        repository("api").document()["Statement"][0]["Principal"]["AWS"],
        "210987654321"
    );
}

#[test]
fn a_document_shared_by_registries_of_two_partitions_has_one_canonical_form_per_partition() {
    let fixture = Fixture::new()
        .with("policies/repository/pull.json", BARE_ACCOUNT_PULL)
        .with(
            "spec.yaml",
            "version: 1\ndefaults:\n  policy: pull\nregistries:\n  \
             - account: \"123456789012\"\n    region: us-east-1\n    repositories: {api: {}, web: {}}\n  \
             - account: \"123456789012\"\n    region: us-gov-west-1\n    repositories: {api: {}, web: {}}\n  \
             - account: \"210987654321\"\n    region: us-gov-east-1\n    repositories: {api: {}}\n  \
             - account: \"123456789012\"\n    region: cn-north-1\n    repositories: {api: {}}\n",
        );
    let spec = fixture.load("spec.yaml").unwrap();
    let policy = |registry: &str, name: &str| {
        let id = ecrform_model::RegistryId::parse(registry).unwrap();
        let state = &spec
            .desired
            .registries
            .iter()
            .find(|registry| registry.state.id() == id)
            .unwrap()
            .state;
        state.repositories[&ecrform_model::RepositoryName::parse(name).unwrap()]
            .repository_policy
            .present()
            .unwrap()
            .clone()
    };
    let principal = |policy: &ecrform_model::IamPolicy| {
        policy.canonical()["Statement"][0]["Principal"]["AWS"][0].clone()
    };
    let commercial = policy("123456789012/us-east-1", "api");
    let gov = policy("123456789012/us-gov-west-1", "api");
    let china = policy("123456789012/cn-north-1", "api");
    assert_eq!(principal(&commercial), "arn:aws:iam::210987654321:root");
    assert_eq!(principal(&gov), "arn:aws-us-gov:iam::210987654321:root");
    assert_eq!(principal(&china), "arn:aws-cn:iam::210987654321:root");
    // One document, read once; one canonical form per partition, shared by its registries.
    assert!(std::ptr::eq(commercial.document(), gov.document()));
    for (registry, name) in [
        ("123456789012/us-gov-west-1", "web"),
        ("210987654321/us-gov-east-1", "api"),
    ] {
        assert!(
            std::ptr::eq(policy(registry, name).canonical(), gov.canonical()),
            "{registry}"
        );
    }
    assert!(std::ptr::eq(
        policy("123456789012/us-east-1", "web").canonical(),
        commercial.canonical()
    ));
    let read: Vec<_> = spec
        .files
        .iter()
        .filter(|path| path.ends_with("pull.json"))
        .collect();
    assert_eq!(read.len(), 1);
}
