//! End-to-end tests of `ecrform lifecycle preview`: the binary over `aws ecr describe-images`
//! output in both AWS CLI forms, in every output format, and its errors and warnings.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too; a failure is a test failure

use std::path::PathBuf;
use std::process::{Command, Output};

const FIXTURES: &str = "tests/fixtures/lifecycle";
const NOW: &str = "2026-06-01T00:00:00Z";

/// Runs `ecrform lifecycle preview` from the project root, so paths in messages are as given.
fn preview(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecrform"))
        .args(["lifecycle", "preview"])
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        // Under GitHub Actions, the tests' own annotations would join the output.
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("the ecrform binary runs")
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// Previews a fixture policy over fixture images at [`NOW`] in a format.
fn preview_fixtures(policy: &str, images: &str, format: &str) -> Output {
    preview(&[
        "--policy",
        &fixture(policy),
        "--images",
        &fixture(images),
        "--now",
        NOW,
        "--format",
        format,
    ])
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(output));
    stdout(output)
}

/// The user guide's "Filtering on multiple rules", Example A, plus an untagged image that a
/// third rule expires for its age.
const PROD_BETA_TEXT: &str = "\
DIGEST        TAGS            PUSHED                ACTION  RULE
8bb50a315cad  beta-3          2026-05-24T00:00:00Z  keep    2
657f504b469e  beta-2, prod-2  2026-05-23T00:00:00Z  keep    1
84127d9feb93  beta-1, prod-1  2026-05-22T00:00:00Z  expire  1
022000be2d14  (untagged)      2026-05-12T08:30:00Z  expire  3

4 images: 2 to expire, 0 to archive, 2 to keep
";

#[test]
fn cli_v1_output_with_epoch_seconds_previews_as_a_table() {
    let output = preview_fixtures("prod-beta.json", "images-cli-v1.json", "text");
    assert_eq!(succeeded(&output), PROD_BETA_TEXT);
    assert_eq!(stderr(&output), "");
}

#[test]
fn cli_v2_output_with_rfc3339_strings_previews_the_same() {
    let output = preview_fixtures("prod-beta.json", "images-cli-v2.json", "text");
    assert_eq!(succeeded(&output), PROD_BETA_TEXT);
}

#[test]
fn both_cli_forms_give_the_same_json_in_the_contract_shape() {
    let v1 = succeeded(&preview_fixtures(
        "prod-beta.json",
        "images-cli-v1.json",
        "json",
    ));
    let v2 = succeeded(&preview_fixtures(
        "prod-beta.json",
        "images-cli-v2.json",
        "json",
    ));
    assert_eq!(v1, v2);
    let json: serde_json::Value = serde_json::from_str(&v1).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "images": [
                {"digest": "sha256:8bb50a315cad8ca1c897e7901947f597f400d0d5baa1b2a30d9774a051c5f52e", "tags": ["beta-3"], "pushed_at": "2026-05-24T00:00:00Z", "action": "keep", "rule": 2},
                {"digest": "sha256:657f504b469e7f2a0d8ce3cd481194445f99ee57b40fc9d7fe28d8ecad1fc09b", "tags": ["beta-2", "prod-2"], "pushed_at": "2026-05-23T00:00:00Z", "action": "keep", "rule": 1},
                {"digest": "sha256:84127d9feb9345703f2ea1ce0c14f6dfb935b8b04816230d160f03922c94ff31", "tags": ["beta-1", "prod-1"], "pushed_at": "2026-05-22T00:00:00.125Z", "action": "expire", "rule": 1},
                {"digest": "sha256:022000be2d14652d339be7d8b240daff6d85df222a635bf2491bdde4180fe7f3", "tags": [], "pushed_at": "2026-05-12T08:30:00Z", "action": "expire", "rule": 3}
            ],
            "summary": {"keep": 2, "expire": 2, "transition": 0}
        })
    );
    let first_image = &v1[v1.find('{').unwrap() + 1..];
    let positions: Vec<usize> = ["digest", "tags", "pushed_at", "action", "rule"]
        .iter()
        .map(|key| first_image.find(&format!("\"{key}\"")).unwrap())
        .collect();
    assert!(positions.is_sorted(), "keys out of contract order:\n{v1}");
}

#[test]
fn get_lifecycle_policy_output_is_accepted_as_the_policy() {
    let output = preview_fixtures("get-lifecycle-policy.json", "images-cli-v1.json", "text");
    assert_eq!(succeeded(&output), PROD_BETA_TEXT);
}

/// A policy in YAML reads as the spec reads its policy documents: by extension, or, for a file
/// without one (a pipe, a process substitution), as YAML when it is not JSON.
#[test]
fn a_yaml_policy_previews_as_its_json_does() {
    let dir = std::env::temp_dir().join(format!("ecrform-preview-yaml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(fixture("prod-beta.yaml")),
    )
    .unwrap();
    let without_extension = dir.join("policy");
    std::fs::write(&without_extension, yaml).unwrap();
    for policy in [
        fixture("prod-beta.yaml"),
        without_extension.display().to_string(),
    ] {
        let output = preview(&[
            "--policy",
            &policy,
            "--images",
            &fixture("images-cli-v1.json"),
            "--now",
            NOW,
        ]);
        assert_eq!(succeeded(&output), PROD_BETA_TEXT, "{policy}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn yaml_policy_problems_are_located_in_the_yaml() {
    let output = preview_fixtures("invalid-policy.yml", "images-cli-v1.json", "text");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "{policy}:3:5: lifecycle policy: rule 1: countUnit is required when countType is sinceImagePushed\n\
             {policy}:10:14: lifecycle policy: rule 2: action type must be expire or transition, not \"delete\"\n\
             {policy}:4:7: lifecycle policy: rule 1: a rule with tagStatus any must have the highest rulePriority within storageClass standard, but rule 2 comes after it\n\
             error: 3 problems in the policy and image files\n",
            policy = fixture("invalid-policy.yml"),
        )
    );
}

/// Regression: every problem was located by scanning the file from its start, so 10,000
/// images with bad timestamps took minutes to report.
#[test]
fn ten_thousand_bad_timestamps_are_reported_in_seconds() {
    let dir = std::env::temp_dir().join(format!("ecrform-preview-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let images: Vec<serde_json::Value> = (0..10_000)
        .map(|index| {
            serde_json::json!({
                "imageDigest": format!("sha256:{index:064x}"),
                "imagePushedAt": format!("yesterday-{index}"),
            })
        })
        .collect();
    let path = dir.join("images.json");
    let text = serde_json::to_string_pretty(&serde_json::json!({"imageDetails": images})).unwrap();
    std::fs::write(&path, text).unwrap();

    let started = std::time::Instant::now();
    let output = preview(&[
        "--policy",
        &fixture("prod-beta.json"),
        "--images",
        path.to_str().unwrap(),
        "--now",
        NOW,
    ]);

    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert_eq!(errors.lines().count(), 10_001);
    assert!(
        errors.lines().nth(9_999).unwrap().starts_with(&format!(
            "{}:40001:7: imagePushedAt \"yesterday-9999\" is not a timestamp",
            path.display()
        )),
        "{}",
        errors.lines().nth(9_999).unwrap()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn archive_rules_and_manifest_lists_render_as_markdown() {
    let output = preview_fixtures("archive-and-expire.json", "images-archive.json", "markdown");
    assert_eq!(
        succeeded(&output),
        "\
### Lifecycle preview

| digest | tags | pushed | action | rule |
|---|---|---|---|---|
| `d098ab5e44b9` | `v2` | 2026-05-25T16:45:00Z | keep | 1 |
| `007b389c2bca` | (untagged) | 2026-01-05T10:00:00Z | keep (in a manifest list) | 1 |
| `a6e194b5e772` | (untagged) | 2026-01-05T10:00:00Z | keep (in a manifest list) | 1 |
| `e93249391f99` | `v1` | 2026-01-05T10:00:00Z | transition to archive | 1 |
| `136ef5be9636` | `v0.9` | 2025-12-01T09:00:00Z | keep | 2 |
| `9922628c12fa` | `v0` | 2024-11-02T09:00:00Z | expire | 2 |

6 images: 1 to expire, 1 to archive, 4 to keep
"
    );
    assert_eq!(
        stderr(&output),
        "",
        "marked children and archived images: no warning"
    );
    let json: serde_json::Value = serde_json::from_str(&succeeded(&preview_fixtures(
        "archive-and-expire.json",
        "images-archive.json",
        "json",
    )))
    .unwrap();
    assert_eq!(
        json["summary"],
        serde_json::json!({"keep": 4, "expire": 1, "transition": 1})
    );
    assert_eq!(json["images"][3]["action"], "transition");
}

#[test]
fn now_defaults_to_the_current_time() {
    let output = preview(&[
        "--policy",
        &fixture("archive-and-expire.json"),
        "--images",
        &fixture("images-far-past-and-future.json"),
        "--format",
        "json",
        "--quiet",
    ]);
    let json: serde_json::Value = serde_json::from_str(&succeeded(&output)).unwrap();
    let actions: Vec<&str> = json["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| image["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["keep", "transition"],
        "the year 9999 is not yet, 2001 is long ago"
    );
}

#[test]
fn listings_that_cannot_show_what_ecr_does_are_warned_about() {
    let output = preview_fixtures("prod-beta.json", "images-unmarked-index.json", "text");
    succeeded(&output);
    let images = fixture("images-unmarked-index.json");
    assert_eq!(
        stderr(&output),
        format!(
            "warning: {images}: the image list ends with a nextToken, so it holds only part of the repository and count rules see only the images listed; list every image (without --max-items or --no-paginate)\n\
             warning: {images}: 1 image is a manifest list, but no image is marked ecrformReferencedByManifestList: the images a list references are previewed as if unreferenced, while ECR never expires or archives them\n"
        )
    );
    let quiet = preview(&[
        "--policy",
        &fixture("prod-beta.json"),
        "--images",
        &images,
        "--now",
        NOW,
        "--quiet",
    ]);
    succeeded(&quiet);
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn every_problem_in_both_files_is_reported_at_its_line_and_column() {
    let output = preview_fixtures("invalid-policy.json", "malformed-images.json", "text");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "",
        "nothing is previewed from invalid input"
    );
    assert_eq!(
        stderr(&output),
        format!(
            "{policy}:6:13: lifecycle policy: rule 1: countUnit is required when countType is sinceImagePushed\n\
             {policy}:18:17: lifecycle policy: rule 2: countType sinceImagePulled is only allowed with action type transition\n\
             {images}:6:9: the image list is not valid JSON: trailing comma\n\
             error: 3 problems in the policy and image files\n",
            policy = fixture("invalid-policy.json"),
            images = fixture("malformed-images.json"),
        )
    );
}

#[test]
fn one_problem_is_one_line() {
    let cases: &[(&str, &str, String)] = &[
        (
            "prod-beta.json",
            "bad-timestamp-images.json",
            format!(
                "{}:5:13: imagePushedAt \"22/05/2026 00:00\" is not a timestamp: the date is not YYYY-MM-DD; expected an RFC 3339 date-time like 2026-01-31T12:00:00Z\n",
                fixture("bad-timestamp-images.json")
            ),
        ),
        (
            "missing.json",
            "images-cli-v1.json",
            format!(
                "{}: cannot read the file: No such file or directory (os error 2)\n",
                fixture("missing.json")
            ),
        ),
        (
            "prod-beta.json",
            "",
            format!("{FIXTURES}/: cannot read the file: Is a directory (os error 21)\n"),
        ),
    ];
    for (policy, images, expected) in cases {
        let output = preview_fixtures(policy, images, "text");
        assert_eq!(output.status.code(), Some(1), "{policy} {images}");
        assert_eq!(&stderr(&output), expected);
        assert_eq!(stdout(&output), "");
    }
}

#[test]
fn an_unreadable_now_is_an_error_not_a_panic() {
    let output = preview(&[
        "--policy",
        &fixture("prod-beta.json"),
        "--images",
        &fixture("images-cli-v1.json"),
        "--now",
        "2026-06-01",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: --now \"2026-06-01\" is not a timestamp: the date must be followed by T and a time; expected an RFC 3339 date-time like 2026-01-31T12:00:00Z\n"
    );
}
