//! The built-in policy library, document by document, as its users rely on it:
//!
//! - every lifecycle policy is evaluated by the preview engine over the image set shipped
//!   with it (`tests/library/NAME.json`: what `aws ecr describe-images` prints, plus the
//!   moment to evaluate at, the template's vars, and for each image the expected action and
//!   deciding rule), so the documents do what their descriptions say;
//! - every repository and registry policy's access matrix is asserted whole, so a document
//!   grants what it says and nothing else (cross-account-pull: pull, for the listed accounts).

// An integration test is not `cfg(test)`, so clippy's allow-unwrap-in-tests does not reach it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use ecrform_lifecycle::{Timestamp, evaluate, input};
use ecrform_model::policy::{AccessGrant, AccessScope};
use ecrform_model::{IamPolicy, RegistryId};
use ecrform_spec::{BuiltinPolicy, PolicyKind, builtin_policies, builtin_policy};
use serde_json::Value;

fn image_set(builtin: &BuiltinPolicy) -> (String, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/library")
        .join(format!("{}.json", builtin.name));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{} has no image set at {}: {error}",
            builtin.reference(),
            path.display()
        )
    });
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

#[test]
fn every_lifecycle_policy_keeps_and_expires_the_images_its_description_says() {
    let mut failures = Vec::new();
    let lifecycle = builtin_policies()
        .iter()
        .filter(|builtin| builtin.kind == PolicyKind::Lifecycle);
    for builtin in lifecycle {
        let (text, fixture) = image_set(builtin);
        let vars: BTreeMap<String, Value> = fixture
            .get("vars")
            .and_then(Value::as_object)
            .map(|vars| vars.clone().into_iter().collect())
            .unwrap_or_default();
        let document = builtin.instantiate(&vars).unwrap();
        let rules = ecrform_lifecycle::parse(&document)
            .unwrap_or_else(|errors| panic!("{}: {errors:?}", builtin.name));
        let described = input::read_describe_images(&text)
            .unwrap_or_else(|problems| panic!("{}: {problems:?}", builtin.name));
        let now = Timestamp::parse_rfc3339(fixture["now"].as_str().unwrap()).unwrap();
        let decisions = evaluate(&rules, &described.images, now);
        let expected = fixture["imageDetails"].as_array().unwrap();
        assert_eq!(decisions.len(), expected.len());
        for ((image, decision), expected) in described.images.iter().zip(&decisions).zip(expected) {
            let got = (decision.action.as_str(), decision.rule.map(u64::from));
            let want = (
                expected["expect"].as_str().unwrap(),
                expected["rule"].as_u64(),
            );
            if got != want {
                failures.push(format!(
                    "{} {}: expected {want:?}, got {got:?}",
                    builtin.reference(),
                    image.digest
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The registry every matrix below is read for, and one of its repositories.
const REGISTRY: &str = "123456789012/us-east-1";
const REPOSITORY_ARN: &str = "arn:aws:ecr:us-east-1:123456789012:repository/team-a/api";

fn matrix(name: &str) -> Vec<String> {
    let builtin = builtin_policy(name).unwrap();
    let document = builtin.instantiate(&builtin.example_vars()).unwrap();
    let policy = IamPolicy::from_value(document).unwrap();
    let scope = match builtin.kind {
        PolicyKind::Repository => AccessScope::Repository(Some(REPOSITORY_ARN.to_owned())),
        PolicyKind::Registry => AccessScope::Registry(Some(RegistryId::parse(REGISTRY).unwrap())),
        PolicyKind::Lifecycle => panic!("{name} is not an IAM policy"),
    };
    policy
        .access(&scope)
        .grants
        .iter()
        .map(AccessGrant::sentence)
        .collect()
}

#[test]
fn every_iam_policy_grants_what_it_says_and_nothing_else() {
    let expected: &[(&str, &[&str])] = &[
        (
            "ci-push",
            &[
                "arn:aws:iam::123456789012:role/ci can pull",
                "arn:aws:iam::123456789012:role/ci can push",
            ],
        ),
        (
            "cross-account-pull",
            &[
                "210987654321 (account) can pull",
                "345678901234 (account) can pull",
            ],
        ),
        (
            "lambda-pull",
            &[
                "345678901234 (account) can pull",
                "lambda.amazonaws.com (service) can pull if aws:SourceArn matches \
                 arn:aws:lambda:us-east-1:345678901234:function:*",
            ],
        ),
        ("org-pull", &["* (anyone in o-abc123def4) can pull"]),
        (
            "allow-replication-from",
            &[
                "111111111111 (account) can replicate into the registry",
                "111111111111 (account) can create repositories",
            ],
        ),
        (
            "pull-through-cache",
            &[
                "arn:aws:iam::123456789012:role/builder can create repositories on \
                 arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*",
                "arn:aws:iam::123456789012:role/builder can import upstream images \
                 (pull-through cache) on arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*",
            ],
        ),
    ];
    let iam: Vec<&str> = builtin_policies()
        .iter()
        .filter(|builtin| builtin.kind != PolicyKind::Lifecycle)
        .map(|builtin| builtin.name)
        .collect();
    let mut covered: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
    covered.sort_unstable();
    let mut listed = iam.clone();
    listed.sort_unstable();
    assert_eq!(
        covered, listed,
        "every IAM document of the library has its matrix here"
    );
    for (name, sentences) in expected {
        assert_eq!(matrix(name), *sentences, "{name}");
    }
}
