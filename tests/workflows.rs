//! The example GitHub Actions workflows (examples/github-actions/): each passes actionlint
//! (with shellcheck on its scripts) and zizmor's security audit at its default persona with no
//! finding, and keeps the rules the examples promise: actions pinned by commit, AWS reached
//! by OIDC role assumption only, no permission a job does not need, one apply at a time.
//!
//! The checkers are pinned in scripts/workflow-lint-requirements.txt and installed into the
//! project's virtualenv by `scripts/workflow-lint install` on first use, as the emulator is,
//! so the test needs nothing installed beforehand but python3.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too; a failure is a test failure

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> PathBuf {
    root().join("examples/github-actions")
}

/// Every workflow of the kit, sorted.
fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    files.sort();
    files
}

fn workflow_lint(args: &[&Path]) -> Output {
    Command::new(root().join("scripts/workflow-lint"))
        .args(args)
        .current_dir(root())
        // Online audits would need a token and the network; the script runs zizmor offline,
        // and a token of the caller's must not change what is checked.
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .output()
        .expect("scripts/workflow-lint runs")
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_kit_has_the_workflows_the_readme_names() {
    let names: Vec<String> = workflows()
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["apply.yml", "drift-matrix.yml", "drift.yml", "plan.yml"]
    );
}

#[test]
fn every_example_workflow_passes_actionlint_and_zizmor_with_no_finding() {
    let files = workflows();
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let output = workflow_lint(&paths);
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.trim(),
        "No findings to report. Good job!",
        "{report}"
    );
    // zizmor names each input it audited; all of them were read.
    let stderr = String::from_utf8_lossy(&output.stderr);
    for file in &files {
        assert!(
            stderr.contains(&format!("completed {}", file.display())),
            "{} was not audited: {report}",
            file.display()
        );
    }
}

/// The checkers are not silent: a workflow with an unpinned action, a pull request title in
/// a script and an unquoted variable fails both, each naming its rule.
#[test]
fn the_checkers_fail_a_workflow_with_the_mistakes_they_look_for() {
    let dir = std::env::temp_dir().join(format!("ecrform-workflows-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yml");
    std::fs::write(
        &bad,
        "name: bad\non: pull_request\njobs:\n  bad:\n    runs-on: ubuntu-latest\n    steps:\n      \
         - uses: actions/checkout@v4\n      \
         - run: echo \"${{ github.event.pull_request.title }}\" && ls $HOME/*\n",
    )
    .unwrap();
    let output = workflow_lint(&[&bad]);
    let report = text(&output);
    assert!(!output.status.success(), "{report}");
    for expected in [
        "[expression]",
        "[shellcheck]",
        "error[template-injection]",
        "error[unpinned-uses]",
    ] {
        assert!(report.contains(expected), "no {expected}: {report}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn parse(path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, value)
}

fn jobs(workflow: &Value) -> Vec<(&str, &Value)> {
    workflow["jobs"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(name, job)| (name.as_str().unwrap(), job))
        .collect()
}

fn steps(job: &Value) -> &[Value] {
    job["steps"].as_sequence().map(Vec::as_slice).unwrap_or(&[])
}

#[test]
fn actions_are_pinned_by_commit_with_their_version_beside_it() {
    for path in workflows() {
        let (text, workflow) = parse(&path);
        let mut pinned = 0;
        for (name, job) in jobs(&workflow) {
            for step in steps(job) {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                let (action, commit) = uses.split_once('@').unwrap();
                assert!(
                    commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{}: job {name} uses {uses}, not pinned by commit",
                    path.display()
                );
                // The version the commit is, for a reader and for update tools.
                let line = text.lines().find(|line| line.contains(uses)).unwrap();
                let comment = line.split_once(" # v").map(|(_, version)| version);
                assert!(
                    comment.is_some_and(|v| v.split('.').count() == 3),
                    "{}: {action} has no `# vX.Y.Z` comment: {line}",
                    path.display()
                );
                pinned += 1;
            }
        }
        assert!(pinned >= 2, "{}: only {pinned} actions", path.display());
    }
}

#[test]
fn aws_is_reached_only_by_oidc_role_assumption() {
    for path in workflows() {
        let (text, workflow) = parse(&path);
        for forbidden in [
            "aws-access-key-id",
            "aws-secret-access-key",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(
                !text.contains(forbidden),
                "{}: {forbidden}: long-lived keys have no place in the examples",
                path.display()
            );
        }
        for (name, job) in jobs(&workflow) {
            let assumes = steps(job).iter().any(|step| {
                step["uses"]
                    .as_str()
                    .is_some_and(|uses| uses.starts_with("aws-actions/configure-aws-credentials@"))
                    && step["with"]["role-to-assume"].is_string()
            });
            let runs_ecrform_on_aws = steps(job).iter().any(|step| {
                step["run"].as_str().is_some_and(|run| {
                    ["ecrform plan", "ecrform apply", "ecrform drift"]
                        .iter()
                        .any(|command| run.contains(command))
                })
            });
            assert_eq!(
                assumes,
                runs_ecrform_on_aws,
                "{}: job {name} must assume a role exactly when it reaches AWS",
                path.display()
            );
            if assumes {
                assert_eq!(
                    job["permissions"]["id-token"],
                    Value::from("write"),
                    "{}: job {name} assumes a role without id-token: write",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn workflows_grant_nothing_by_default_and_each_job_only_what_it_needs() {
    for path in workflows() {
        let (_, workflow) = parse(&path);
        assert_eq!(
            workflow["permissions"],
            Value::Mapping(Default::default()),
            "{}: the workflow must start from permissions: {{}}",
            path.display()
        );
        for (name, job) in jobs(&workflow) {
            let permissions = job["permissions"]
                .as_mapping()
                .unwrap_or_else(|| panic!("{}: job {name} has no permissions", path.display()));
            for (scope, level) in permissions {
                // contents: write would let a job push; none of them needs to.
                assert!(
                    !(scope.as_str() == Some("contents") && level.as_str() == Some("write")),
                    "{}: job {name} can write contents",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn applies_of_a_spec_queue_and_are_never_cancelled_half_way() {
    let (_, apply) = parse(&examples().join("apply.yml"));
    let concurrency = &apply["concurrency"];
    assert!(
        concurrency["group"]
            .as_str()
            .is_some_and(|group| group.starts_with("ecrform-apply-")),
        "{concurrency:?}"
    );
    assert_eq!(concurrency["cancel-in-progress"], Value::Bool(false));
    let (_, plan) = parse(&examples().join("plan.yml"));
    assert!(
        plan["on"]["pull_request"].is_mapping(),
        "plan.yml runs on pull_request (never pull_request_target)"
    );
    assert!(plan["on"]["pull_request_target"].is_null());
}
