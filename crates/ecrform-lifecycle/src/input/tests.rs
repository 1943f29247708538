//! Tests of reading the preview's input files: both AWS CLI output forms, the keys that
//! matter and the ones that do not, and every problem located at its line and column.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;
use crate::rule::{CountCriterion, TagStatus};

fn problems(result: Result<impl std::fmt::Debug, Vec<TextProblem>>) -> Vec<(usize, usize, String)> {
    result
        .unwrap_err()
        .into_iter()
        .map(|problem| {
            let position = problem.position.unwrap();
            (position.line, position.column, problem.message)
        })
        .collect()
}

fn problem(line: usize, column: usize, message: &str) -> (usize, usize, String) {
    (line, column, message.to_owned())
}

/// What AWS CLI v1 prints: epoch seconds as floats.
const CLI_V1: &str = r#"{
    "imageDetails": [
        {
            "registryId": "123456789012",
            "repositoryName": "team-a/api",
            "imageDigest": "sha256:aaaa",
            "imageTags": ["beta-1", "prod-1"],
            "imageSizeInBytes": 30000000,
            "imagePushedAt": 1795328807.807,
            "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "artifactMediaType": "application/vnd.docker.container.image.v1+json",
            "lastRecordedPullTime": 1795415207.5
        },
        {
            "registryId": "123456789012",
            "repositoryName": "team-a/api",
            "imageDigest": "sha256:bbbb",
            "imagePushedAt": 1795328808,
            "imageStatus": "ARCHIVED",
            "lastArchivedAt": 1795501607.25,
            "lastActivatedAt": 1795501600
        }
    ]
}"#;

/// The same images as AWS CLI v2 prints them: RFC 3339 strings, in any offset.
const CLI_V2: &str = r#"{
    "imageDetails": [
        {
            "registryId": "123456789012",
            "repositoryName": "team-a/api",
            "imageDigest": "sha256:aaaa",
            "imageTags": ["beta-1", "prod-1"],
            "imageSizeInBytes": 30000000,
            "imagePushedAt": "2026-11-22T06:26:47.807000+00:00",
            "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "artifactMediaType": "application/vnd.docker.container.image.v1+json",
            "lastRecordedPullTime": "2026-11-22T22:26:47.500000-08:00"
        },
        {
            "registryId": "123456789012",
            "repositoryName": "team-a/api",
            "imageDigest": "sha256:bbbb",
            "imagePushedAt": "2026-11-22T07:26:48+01:00",
            "imageStatus": "ARCHIVED",
            "lastArchivedAt": "2026-11-24T06:26:47.250Z",
            "lastActivatedAt": "2026-11-24T06:26:40Z"
        }
    ]
}"#;

#[test]
fn both_cli_forms_read_as_the_same_images() {
    let v1 = read_describe_images(CLI_V1).unwrap();
    let v2 = read_describe_images(CLI_V2).unwrap();
    assert_eq!(v1, v2);
    let seconds = |s: i64, nanos: u32| Timestamp::from_unix(s, nanos).unwrap();
    assert_eq!(
        v1.images,
        vec![
            Image {
                digest: "sha256:aaaa".to_owned(),
                tags: vec!["beta-1".to_owned(), "prod-1".to_owned()],
                pushed_at: seconds(1_795_328_807, 807_000_000),
                last_pulled_at: Some(seconds(1_795_415_207, 500_000_000)),
                status: ImageStatus::Active,
                archived_at: None,
                restored_at: None,
                referenced_by_manifest_list: false,
            },
            Image {
                digest: "sha256:bbbb".to_owned(),
                tags: Vec::new(),
                pushed_at: seconds(1_795_328_808, 0),
                last_pulled_at: None,
                status: ImageStatus::Archived,
                archived_at: Some(seconds(1_795_501_607, 250_000_000)),
                restored_at: Some(seconds(1_795_501_600, 0)),
                referenced_by_manifest_list: false,
            },
        ]
    );
    assert!(v1.manifest_lists.is_empty());
    assert!(!v1.truncated);
}

#[test]
fn manifest_lists_marks_and_next_tokens_are_read() {
    let described = read_describe_images(
        r#"{"imageDetails": [
            {"imageDigest": "sha256:index", "imageTags": ["v1"], "imagePushedAt": 1, "imageManifestMediaType": "application/vnd.oci.image.index.v1+json"},
            {"imageDigest": "sha256:list", "imagePushedAt": 1, "imageManifestMediaType": "application/vnd.docker.distribution.manifest.list.v2+json"},
            {"imageDigest": "sha256:child", "imagePushedAt": 1, "ecrformReferencedByManifestList": true},
            {"imageDigest": "sha256:other", "imagePushedAt": 1, "ecrformReferencedByManifestList": false, "imageStatus": "ACTIVATING", "someFutureKey": {"x": [1]}}
        ], "nextToken": "eyJ..."}"#,
    )
    .unwrap();
    assert_eq!(described.manifest_lists, ["sha256:index", "sha256:list"]);
    let referenced: Vec<bool> = described
        .images
        .iter()
        .map(|image| image.referenced_by_manifest_list)
        .collect();
    assert_eq!(referenced, [false, false, true, false]);
    assert_eq!(described.images[3].status, ImageStatus::Activating);
    assert!(described.truncated);

    let empty = read_describe_images(r#"{"imageDetails": [], "nextToken": null}"#).unwrap();
    assert!(empty.images.is_empty() && !empty.truncated);
}

#[test]
fn image_list_problems_are_located_and_all_reported() {
    let text = r#"{"imageDetails": [
  {"imageDigest": "sha256:a", "imagePushedAt": "2026-02-30T00:00:00Z"},
  {"imageTags": ["v1", 7], "imagePushedAt": true},
  {"imageDigest": "sha256:b", "imagePushedAt": 1},
  {"imageDigest": "", "imageStatus": "GONE", "ecrformReferencedByManifestList": "yes"},
  "sha256:c",
  {"imageDigest": "sha256:d", "imagePushedAt": 1, "lastRecordedPullTime": "yesterday"},
  {"imageDigest": "sha256:b", "imagePushedAt": 2}
]}"#;
    assert_eq!(
        problems(read_describe_images(text)),
        vec![
            problem(
                2,
                31,
                "imagePushedAt \"2026-02-30T00:00:00Z\" is not a timestamp: the date does not exist; expected an RFC 3339 date-time like 2026-01-31T12:00:00Z"
            ),
            problem(3, 3, "the image has no imageDigest"),
            problem(3, 24, "an image tag must be a string, not 7"),
            problem(
                3,
                28,
                "imagePushedAt must be a timestamp (epoch seconds or an RFC 3339 string), not true"
            ),
            problem(5, 4, "imageDigest must be a non-empty string"),
            problem(5, 3, "the image has no imagePushedAt"),
            problem(
                5,
                23,
                "imageStatus must be ACTIVE, ARCHIVED or ACTIVATING, not \"GONE\""
            ),
            problem(
                5,
                46,
                "ecrformReferencedByManifestList must be true or false, not \"yes\""
            ),
            problem(6, 3, "an image must be a JSON object"),
            problem(
                7,
                51,
                "lastRecordedPullTime \"yesterday\" is not a timestamp: the date is not YYYY-MM-DD; expected an RFC 3339 date-time like 2026-01-31T12:00:00Z"
            ),
            problem(
                8,
                4,
                "image sha256:b is listed twice (also at index 2 of imageDetails)"
            ),
        ]
    );
}

#[test]
fn image_list_shapes_other_than_describe_images_output_are_refused() {
    let cases: &[(&str, (usize, usize, &str))] = &[
        (
            "{\n  \"imageDetails\": [\n    {\"imageDigest\": }\n  ]\n}",
            (3, 21, "the image list is not valid JSON: expected value"),
        ),
        (
            "[]",
            (
                1,
                1,
                "the image list must be the JSON object that `aws ecr describe-images --output json` prints, with an imageDetails array",
            ),
        ),
        (
            "{\"images\": []}",
            (
                1,
                1,
                "the image list has no imageDetails array; give the output of `aws ecr describe-images --output json`",
            ),
        ),
        (
            "{\"imageDetails\": {}}",
            (1, 2, "imageDetails must be an array of images"),
        ),
        (
            "",
            (
                1,
                1,
                "the image list is not valid JSON: EOF while parsing a value",
            ),
        ),
    ];
    for &(text, (line, column, message)) in cases {
        assert_eq!(
            problems(read_describe_images(text)),
            vec![problem(line, column, message)],
            "{text:?}"
        );
    }
}

const POLICY: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "description": "Keep only one untagged image, expire all others",
      "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
      "action": {"type": "expire"}
    }
  ]
}"#;

#[test]
fn a_policy_file_or_get_lifecycle_policy_output_reads_as_rules() {
    let rules = read_policy(POLICY).unwrap();
    assert_eq!(rules.rules.len(), 1);
    assert_eq!(rules.rules[0].selection.tag_status, TagStatus::Untagged);
    assert_eq!(
        rules.rules[0].selection.count,
        CountCriterion::ImageCountMoreThan(1)
    );

    let wrapped = serde_json::json!({
        "registryId": "123456789012",
        "repositoryName": "team-a/api",
        "lifecyclePolicyText": POLICY,
        "lastEvaluatedAt": 1795328807.0
    });
    assert_eq!(read_policy(&wrapped.to_string()).unwrap(), rules);
}

#[test]
fn policy_problems_carry_validate_messages_at_their_node() {
    let text = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan", "countUnit": "days", "countNumber": 1},
      "action": {"type": "expire"}
    }
  ]
}"#;
    assert_eq!(
        problems(read_policy(text)),
        vec![
            problem(
                5,
                7,
                "lifecycle policy: rule 1: tagStatus tagged needs a tagPrefixList or a tagPatternList"
            ),
            problem(
                5,
                79,
                "lifecycle policy: rule 1: countUnit is not allowed when countType is imageCountMoreThan"
            ),
        ]
    );

    let missing_action = "{\"rules\": [{\"rulePriority\": 1, \"description\": \"a description long enough to pass the length check\", \"selection\": {\"tagStatus\": \"any\", \"countType\": \"imageCountMoreThan\", \"countNumber\": 1}}]}";
    assert_eq!(
        problems(read_policy(missing_action)),
        vec![problem(
            1,
            12,
            "lifecycle policy: rule 1: action is required"
        )]
    );

    assert_eq!(
        problems(read_policy("{\"rules\": [\n  {\"rulePriority\": 1,}\n]}")),
        vec![problem(
            2,
            22,
            "lifecycle policy is not valid JSON: trailing comma"
        )]
    );
}

#[test]
fn problems_inside_get_lifecycle_policy_output_are_located_at_its_text() {
    let inner = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countNumber":1},"action":{"type":"expire"}}]}"#;
    let wrapped = format!(
        "{{\n  \"repositoryName\": \"team-a/api\",\n  \"lifecyclePolicyText\": {}\n}}",
        serde_json::Value::from(inner)
    );
    assert_eq!(
        problems(read_policy(&wrapped)),
        vec![problem(
            3,
            3,
            "lifecycle policy in lifecyclePolicyText at /rules/0/selection: rule 1: countUnit is required when countType is sinceImagePushed"
        )]
    );
    let not_json = "{\"lifecyclePolicyText\": \"{rules\"}";
    let found = problems(read_policy(not_json));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].2.starts_with(
            "lifecycle policy: lifecyclePolicyText is not valid JSON: key must be a string"
        ),
        "{found:?}"
    );
    assert_eq!(
        problems(read_policy("{\"lifecyclePolicyText\": 3}")),
        vec![problem(
            1,
            2,
            "lifecycle policy: lifecyclePolicyText must be a string holding the policy document"
        )]
    );
}

#[test]
fn a_node_missing_from_the_text_is_reported_at_its_ancestor_with_its_path() {
    let path = [PathSegment::Key("rules".to_owned()), PathSegment::Index(3)];
    let text = "{\n  \"rules\": []\n}";
    let mut locator = crate::locate::Locator::new(text);
    let mut locate = |path: &[PathSegment]| locator.locate_nearest(path);
    assert_eq!(
        TextProblem::labelled(
            &mut locate,
            &path,
            "lifecycle policy",
            "rule 4: no such rule"
        ),
        TextProblem {
            position: Some(TextPosition { line: 2, column: 3 }),
            message: "lifecycle policy at /rules/3: rule 4: no such rule".to_owned(),
        }
    );
    assert_eq!(
        TextProblem::at(&mut locate, &path, "gone").message,
        "at /rules/3: gone"
    );
}

/// Regression: 10,000 images with bad timestamps took minutes to report, each problem located
/// by scanning the file from its start.
#[test]
fn thousands_of_problems_are_located_in_one_pass() {
    const IMAGES: usize = 10_000;
    let details: Vec<String> = (0..IMAGES)
        .map(|index| {
            format!(
                "    {{\n      \"imageDigest\": \"sha256:{index:064x}\",\n      \"imagePushedAt\": \"soon-{index}\"\n    }}"
            )
        })
        .collect();
    let text = format!(
        "{{\n  \"imageDetails\": [\n{}\n  ]\n}}\n",
        details.join(",\n")
    );
    let started = std::time::Instant::now();
    let found = problems(read_describe_images(&text));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(found.len(), IMAGES);
    let last_line = 3 + 4 * (IMAGES - 1) + 2;
    assert_eq!(
        found.last().unwrap(),
        &problem(
            last_line,
            7,
            &format!(
                "imagePushedAt \"soon-{}\" is not a timestamp: the date is not YYYY-MM-DD; expected an RFC 3339 date-time like 2026-01-31T12:00:00Z",
                IMAGES - 1
            )
        )
    );
}

#[test]
fn values_echoed_in_problems_are_cut() {
    let long = "x".repeat(4_000_000);
    let text = format!(
        "{{\"imageDetails\": [{{\"imageDigest\": \"sha256:a\", \"imagePushedAt\": \"{long}\", \"imageStatus\": {{\"a\": \"{long}\"}}, \"imageTags\": [[\"{long}\"]]}}]}}"
    );
    let found = problems(read_describe_images(&text));
    assert_eq!(found.len(), 3, "{:?}", &format!("{found:?}")[..1000]);
    for (_, _, message) in &found {
        assert!(message.len() < 400, "{}", &message[..400]);
    }
    assert_eq!(found[0].2, "an image tag must be a string, not an array");
    assert!(
        found[1].2.contains("… (4000000 characters)"),
        "{}",
        found[1].2
    );
    assert_eq!(
        found[2].2,
        "imageStatus must be ACTIVE, ARCHIVED or ACTIVATING, not an object"
    );
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "[\\[\\]{}\":,0-9a-zA-Z \\n.-]{0,80}") {
        let _ = read_describe_images(&text);
        let _ = read_policy(&text);
    }

    #[test]
    fn arbitrary_image_values_never_panic(value in any_json(3)) {
        let text = serde_json::json!({"imageDetails": [value]}).to_string();
        let _ = read_describe_images(&text);
    }
}

fn any_json(depth: u32) -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-zA-Z0-9:+. -]{0,24}".prop_map(Value::from),
        Just(Value::from("2026-01-01T00:00:00Z")),
    ];
    leaf.prop_recursive(depth, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("imageDigest".to_owned()),
                    Just("imageTags".to_owned()),
                    Just("imagePushedAt".to_owned()),
                    Just("lastRecordedPullTime".to_owned()),
                    Just("imageStatus".to_owned()),
                    Just("ecrformReferencedByManifestList".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}
