//! End-to-end tests of the `ecrform` binary on files: the quickstart plan in every format, the
//! corpus of invalid specs (each must fail with its exact message and location), exit codes.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too; a failure is a test failure

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, with nothing from the caller's AWS environment leaking in.
fn ecrform(dir: &Path, args: &[&str]) -> Output {
    ecrform_with(dir, args, &[])
}

/// [`ecrform`] with these environment variables set.
fn ecrform_with(dir: &Path, args: &[&str], set: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecrform"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    for variable in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_ECR",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_KMS",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "ECRFORM_LOG",
        // Under GitHub Actions, the tests' own annotations and summaries would join CI's.
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
    ] {
        command.env_remove(variable);
    }
    command.envs(set.iter().copied());
    command.output().expect("the ecrform binary runs")
}

/// A directory of its own under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("ecrform-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn write(&self, relative: &str, text: &str) -> &TempDir {
        std::fs::write(self.0.join(relative), text).unwrap();
        self
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Exit 1 with exactly `line` on stderr and nothing on stdout.
fn assert_one_line_error(output: &Output, line: &str) {
    assert_eq!(
        (
            output.status.code(),
            stderr(output).as_str(),
            stdout(output).as_str()
        ),
        (Some(1), format!("{line}\n").as_str(), ""),
    );
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The quickstart plan against its snapshot (no AWS call).
const QUICKSTART_PLAN: [&str; 5] = [
    "plan",
    "-f",
    "examples/quickstart/ecr.yaml",
    "--state",
    "examples/quickstart/snapshot.json",
];

fn quickstart_plan(format: &str) -> Output {
    let mut args = QUICKSTART_PLAN.to_vec();
    args.extend(["--format", format]);
    ecrform(&root(), &args)
}

#[test]
fn quickstart_plan_renders_as_text() {
    let output = quickstart_plan("text");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("quickstart_plan_text", stdout(&output));
}

#[test]
fn quickstart_plan_renders_as_markdown() {
    let output = quickstart_plan("markdown");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("quickstart_plan_markdown", stdout(&output));
}

#[test]
fn quickstart_plan_renders_as_json_in_the_contract_shape() {
    let output = quickstart_plan("json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(plan["format_version"], 1);
    for change in plan["changes"].as_array().unwrap() {
        for key in [
            "address",
            "action",
            "destructive",
            "fields",
            "before",
            "after",
        ] {
            assert!(change.get(key).is_some(), "change without {key}: {change}");
        }
    }
    insta::assert_snapshot!("quickstart_plan_json", stdout(&output));
}

#[test]
fn verbose_notes_go_to_stderr_and_leave_the_plan_on_stdout_as_it_was() {
    let quiet = quickstart_plan("text");
    let mut args = vec!["-v"];
    args.extend(QUICKSTART_PLAN);
    let verbose = ecrform(&root(), &args);
    assert_eq!(verbose.status.code(), Some(0), "{}", stderr(&verbose));
    assert_eq!(stdout(&verbose), stdout(&quiet));
    // A snapshot is no AWS call: no call is logged and there is no summary of calls; the
    // warnings are the same lines with and without -v.
    assert!(
        stderr(&quiet).starts_with("warning: "),
        "{}",
        stderr(&quiet)
    );
    assert_eq!(
        stderr(&verbose),
        format!("read 3 file(s) of spec\n{}", stderr(&quiet))
    );
}

#[test]
fn json_log_format_writes_verbose_notes_as_json_lines() {
    let mut args = vec!["-v", "--log-format", "json"];
    args.extend(QUICKSTART_PLAN);
    let output = ecrform(&root(), &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), stdout(&quickstart_plan("text")));
    // Log lines are JSON; warnings stay the lines they always are.
    let stderr = stderr(&output);
    let (logs, warnings): (Vec<&str>, Vec<&str>) =
        stderr.lines().partition(|line| line.starts_with('{'));
    assert!(
        warnings.iter().all(|line| line.starts_with("warning: ")),
        "{warnings:?}"
    );
    let lines: Vec<serde_json::Value> = logs
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["message"], "read 3 file(s) of spec");
    assert_eq!(lines[0]["level"], "INFO");
    assert_eq!(lines[0]["target"], "ecrform");
    assert!(lines[0]["timestamp"].is_string(), "{}", lines[0]);
}

#[test]
fn an_ecrform_log_filter_that_does_not_parse_is_a_one_line_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_ecrform"))
        .args(["validate", "-f", "examples/quickstart/ecr.yaml"])
        .current_dir(root())
        .env("ECRFORM_LOG", "ecrform_aws=loud")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let stderr = stderr(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ECRFORM_LOG=ecrform_aws=loud is not a log filter ("),
        "{stderr}"
    );
}

#[test]
fn detailed_exitcode_is_two_when_the_plan_has_changes() {
    let mut args = vec![
        "plan",
        "--detailed-exitcode",
        "-f",
        "examples/quickstart/ecr.yaml",
    ];
    args.extend(["--state", "examples/quickstart/snapshot.json"]);
    let output = ecrform(&root(), &args);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn aws_rewritten_policies_equivalent_to_the_spec_plan_no_change() {
    let dir = root().join("tests/fixtures/in-sync");
    let output = ecrform(
        &dir,
        &[
            "plan",
            "--detailed-exitcode",
            "-f",
            "ecr.yaml",
            "--state",
            "snapshot.json",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("No changes"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn valid_specs_validate() {
    let dir = root().join("examples/quickstart");
    let output = ecrform(&dir, &["validate", "-f", "ecr.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "ecr.yaml is valid: 1 registry, 5 repositories.\n"
    );
}

#[test]
fn every_example_validates() {
    for (example, summary) in [
        ("examples/quickstart/ecr.yaml", "1 registry, 5 repositories"),
        ("examples/multi-account", "4 registries, 4 repositories"),
        ("examples/pull-through-cache", "1 registry, 0 repositories"),
    ] {
        let output = ecrform(&root(), &["validate", "-f", example]);
        assert_eq!(
            (output.status.code(), stdout(&output)),
            (Some(0), format!("{example} is valid: {summary}.\n")),
            "{}",
            stderr(&output)
        );
    }
}

/// The first spec file of a corpus case (the case itself, or a directory case's first by name).
fn expect_file(case: &Path) -> PathBuf {
    if !case.is_dir() {
        return case.to_path_buf();
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(case)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{} has no spec file", case.display()))
}

/// Every case in tests/specs/invalid starts with `# expect: [PATH:]LINE:COLUMN: MESSAGE`
/// (see tests/specs/README.md); the binary must print exactly that first, and exit 1.
#[test]
fn every_invalid_spec_in_the_corpus_fails_with_its_message_and_location() {
    let corpus = root().join("tests/specs/invalid");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml") || path.is_dir())
        .filter(|path| path.file_name().is_some_and(|n| n != "policies"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 20,
        "the corpus has only {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let holder = expect_file(case);
        let text = std::fs::read_to_string(&holder)
            .unwrap_or_else(|e| panic!("{}: {e}", holder.display()));
        let expected = text
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} does not start with '# expect: '", holder.display()));
        // Paths in the expect line are relative to the holder's directory; the binary prints
        // them relative to where it runs (the corpus directory) as given with -f.
        let directory = if case.is_dir() {
            format!("{name}/")
        } else {
            String::new()
        };
        let same_file = expected
            .split(':')
            .next()
            .is_some_and(|p| p.parse::<u32>().is_ok());
        let expected = if same_file {
            let holder_name = holder.file_name().unwrap().to_string_lossy();
            format!("{directory}{holder_name}:{expected}")
        } else {
            format!("{directory}{expected}")
        };
        let output = ecrform(&corpus, &["validate", "-f", &name]);
        let errors = stderr(&output);
        if output.status.code() != Some(1) || errors.lines().next() != Some(expected.as_str()) {
            failures.push(format!(
                "{name}: exit {:?}\n  expected: {expected}\n  got:      {}",
                output.status.code(),
                errors.lines().next().unwrap_or("<nothing on stderr>")
            ));
        }
        assert!(!errors.contains("panicked"), "{name} panicked: {errors}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_valid_spec_in_the_corpus_validates() {
    let corpus = root().join("tests/specs/valid");
    let mut validated = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "policies" || !(path.is_dir() || name.ends_with(".yaml")) {
            continue;
        }
        let output = ecrform(&corpus, &["validate", "-f", &name]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        validated += 1;
    }
    assert!(validated >= 3, "only {validated} valid specs were found");
}

#[test]
fn a_missing_spec_file_is_a_one_line_error() {
    let output = ecrform(&root(), &["validate", "-f", "does-not-exist.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert!(errors.starts_with("does-not-exist.yaml"), "{errors}");
}

/// Every snapshot problem is `FILE:LINE:COLUMN: message`, in the words of the file (never the
/// names of the Rust types it is read into).
#[test]
fn an_invalid_snapshot_is_a_one_line_error_with_its_location() {
    let dir = TempDir::new("snapshot");
    let spec = root().join("examples/quickstart/ecr.yaml");
    let cases = [
        (
            "{\"snapshot_version\": 1,\n \"registries\": [}\n",
            "bad.json:2:17: expected value",
        ),
        (
            "{\"snapshot_version\": 2, \"registries\": [], \"new\": 1}",
            "bad.json:1:22: snapshot_version 2 is not supported (this ecrform reads version 1)",
        ),
        (
            "[]",
            "bad.json:1:2: invalid type: an array, expected an object",
        ),
        (
            "{\"snapshot_version\": 1, \"registries\": [{\"account\": \"123456789012\", \"region\": \"us-east-1\", \"repositories\": {\"team-a/api\": {\"scan_on_push\": \"yes\"}}}]}",
            "bad.json:1:143: invalid type: string \"yes\", expected a boolean",
        ),
    ];
    for (snapshot, expected) in cases {
        dir.write("bad.json", snapshot);
        let output = ecrform(
            &dir.0,
            &["plan", "-f", spec.to_str().unwrap(), "--state", "bad.json"],
        );
        assert_one_line_error(&output, expected);
    }
}

/// A wrong path is refused in one line naming the file and the limit, having read no more
/// than the limit: no command reads `/dev/zero` until memory runs out.
#[cfg(unix)]
#[test]
fn every_input_file_is_read_up_to_its_limit() {
    let quickstart = "examples/quickstart/ecr.yaml";
    let policy = "tests/fixtures/lifecycle/prod-beta.json";
    let images = "tests/fixtures/lifecycle/images-cli-v1.json";
    let cases: [(&[&str], &str); 5] = [
        (
            &["validate", "-f", "/dev/zero"],
            "/dev/zero: the file is larger than 16 MiB, the most ecrform reads of a spec file",
        ),
        (
            &["plan", "-f", quickstart, "--state", "/dev/zero"],
            "/dev/zero: the file is larger than 1 GiB, the most ecrform reads of a snapshot",
        ),
        (
            &["apply", "/dev/zero"],
            "/dev/zero: the file is larger than 1 GiB, the most ecrform reads of a saved plan",
        ),
        (
            &[
                "lifecycle",
                "preview",
                "--policy",
                "/dev/zero",
                "--images",
                images,
            ],
            "/dev/zero: the file is larger than 1 MiB, the most ecrform reads of a policy document",
        ),
        (
            &[
                "lifecycle",
                "preview",
                "--policy",
                policy,
                "--images",
                "/dev/zero",
            ],
            "/dev/zero: the file is larger than 256 MiB, the most ecrform reads of an image list",
        ),
    ];
    for (args, expected) in cases {
        let started = std::time::Instant::now();
        let output = ecrform(&root(), args);
        assert_one_line_error(&output, expected);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{args:?} took {:?}",
            started.elapsed()
        );
    }
}

/// Regression: an entry of a directory spec that could not be read was skipped, and a plan
/// with prune would then delete the repositories it defines.
#[cfg(unix)]
#[test]
fn a_directory_spec_with_an_unreadable_entry_fails_naming_it() {
    let dir = TempDir::new("directory");
    std::fs::create_dir(dir.0.join("spec")).unwrap();
    dir.write(
        "spec/10-team-a.yaml",
        "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    \
         prune: true\n    repositories: {team-a/api: }\n",
    );
    std::os::unix::fs::symlink(
        "../elsewhere/team-b.yaml",
        dir.0.join("spec/20-team-b.yaml"),
    )
    .unwrap();
    let output = ecrform(&dir.0, &["validate", "-f", "spec"]);
    assert_one_line_error(
        &output,
        "spec/20-team-b.yaml: a symbolic link to ../elsewhere/team-b.yaml that leads nowhere; \
         fix or remove it",
    );
}

/// An endpoint without a scheme is refused before any client is built, in one line saying
/// what to write; `validate` reaches no endpoint and does not mind.
#[test]
fn an_endpoint_url_without_a_scheme_is_a_one_line_error() {
    let spec = "examples/quickstart/ecr.yaml";
    /// Arguments, environment, and the error line (`None`: success).
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], Option<&'a str>);
    let cases: [Case<'_>; 4] = [
        (
            &["plan", "-f", spec, "--endpoint-url", "127.0.0.1:4566"],
            &[],
            Some(
                "error: --endpoint-url \"127.0.0.1:4566\" has no scheme; write \
                 http://127.0.0.1:4566 (or https://127.0.0.1:4566)",
            ),
        ),
        (
            &["plan", "-f", spec],
            &[("AWS_ENDPOINT_URL", "localhost:4566")],
            Some(
                "error: AWS_ENDPOINT_URL \"localhost:4566\" has no scheme; write \
                 http://localhost:4566 (or https://localhost:4566)",
            ),
        ),
        (
            &["drift", "-f", spec],
            &[("AWS_ENDPOINT_URL_STS", "ftp://localhost")],
            Some(
                "error: AWS_ENDPOINT_URL_STS \"ftp://localhost\" has the scheme \"ftp\"; an \
                 endpoint starts with http:// or https://",
            ),
        ),
        (
            &["validate", "-f", spec],
            &[("AWS_ENDPOINT_URL", "localhost:4566")],
            None,
        ),
    ];
    for (args, environment, expected) in cases {
        let output = ecrform_with(&root(), args, environment);
        match expected {
            Some(line) => assert_one_line_error(&output, line),
            None => assert_eq!(output.status.code(), Some(0), "{}", stderr(&output)),
        }
    }
}

#[test]
fn a_snapshot_without_a_spec_registry_is_refused() {
    let dir = root().join("examples/quickstart");
    let output = ecrform(
        &dir,
        &[
            "plan",
            "-f",
            "ecr.yaml",
            "--state",
            "../../tests/fixtures/empty-snapshot.json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("has no state for registry 123456789012/us-east-1"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn registry_selection_must_name_a_registry_of_the_spec() {
    let dir = root().join("examples/quickstart");
    let output = ecrform(
        &dir,
        &[
            "validate",
            "-f",
            "ecr.yaml",
            "--registry",
            "999999999999/us-east-1",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is not a registry of the spec"),
        "{}",
        stderr(&output)
    );
    let output = ecrform(
        &dir,
        &["validate", "-f", "ecr.yaml", "--registry", "nonsense"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("error: --registry nonsense: "),
        "{}",
        stderr(&output)
    );
}

/// Regression: clap exits 2 on a usage error, which the contract reserves for changes and
/// drift; a drift cron with a mistyped flag must not read as "drift found".
#[test]
fn a_usage_error_exits_1_and_help_exits_0() {
    let output = ecrform(&root(), &["drift", "--detailed-exitcode"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("error: unexpected argument"),
        "{}",
        stderr(&output)
    );
    let output = ecrform(&root(), &["--parallelism", "0", "validate"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let output = ecrform(&root(), &["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("Usage: ecrform"));
}

#[test]
fn a_saved_plan_cannot_be_restricted_to_one_registry() {
    let output = ecrform(
        &root(),
        &["apply", "plan.json", "--registry", "123456789012/us-east-1"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--registry cannot restrict a saved plan"),
        "{}",
        stderr(&output)
    );
}

/// Against a snapshot, aliases resolve through its `kms_aliases`; one it does not list is
/// compared by name, with a warning that says so.
#[test]
fn a_snapshot_resolves_kms_aliases_through_its_kms_aliases_map() {
    let dir = std::env::temp_dir().join(format!("ecrform-cli-kms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_a = "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-12ab-34cd-56ef-1234567890ab";
    let key_b = "arn:aws:kms:us-east-1:123456789012:key/bbbbbbbb-12ab-34cd-56ef-1234567890ab";
    std::fs::write(
        dir.join("ecr.yaml"),
        "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    \
         repositories:\n      team/secure:\n        encryption: {type: KMS, kms_key: alias/b}\n",
    )
    .unwrap();
    let snapshot = |aliases: &str| {
        format!(
            "{{\"snapshot_version\": 1, \"registries\": [{{\"account\": \"123456789012\", \
             \"region\": \"us-east-1\", {aliases} \"repositories\": {{\"team/secure\": \
             {{\"encryption\": {{\"type\": \"KMS\", \"kms_key\": \"{key_a}\"}}}}}}}}]}}"
        )
    };
    std::fs::write(
        dir.join("resolved.json"),
        snapshot(&format!("\"kms_aliases\": {{\"alias/b\": \"{key_b}\"}},")),
    )
    .unwrap();
    std::fs::write(dir.join("unresolved.json"), snapshot("")).unwrap();

    let resolved = ecrform(
        &dir,
        &["plan", "--state", "resolved.json", "--format", "json"],
    );
    assert_eq!(resolved.status.code(), Some(0), "{}", stderr(&resolved));
    let plan: serde_json::Value = serde_json::from_slice(&resolved.stdout).unwrap();
    assert_eq!(plan["changes"][0]["action"], "replace", "{plan}");
    assert_eq!(
        plan["changes"][0]["replace_reason"],
        format!("encryption KMS ({key_a}) -> KMS ({key_b}, from alias/b)")
    );

    let unresolved = ecrform(
        &dir,
        &["plan", "--state", "unresolved.json", "--format", "json"],
    );
    assert_eq!(unresolved.status.code(), Some(0), "{}", stderr(&unresolved));
    let plan: serde_json::Value = serde_json::from_slice(&unresolved.stdout).unwrap();
    assert_eq!(plan["changes"].as_array().unwrap().len(), 0, "{plan}");
    assert_eq!(
        stderr(&unresolved),
        "warning: the snapshot has no kms_aliases entry for alias/b in registry \
         123456789012/us-east-1; its encryption is compared by the key's name only\n"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The quickstart plan as a pull request comment under a budget.
fn quickstart_comment(extra: &[&str]) -> Output {
    let mut args = QUICKSTART_PLAN.to_vec();
    args.extend(["--format", "markdown"]);
    args.extend_from_slice(extra);
    ecrform(&root(), &args)
}

#[test]
fn the_plan_comment_fits_max_comment_chars_and_says_what_it_left_out() {
    let full = quickstart_comment(&["--comment-key", "pr-42"]);
    assert_eq!(full.status.code(), Some(0), "{}", stderr(&full));
    let full = stdout(&full);
    assert!(full.starts_with("<!-- ecrform:plan key=pr-42 -->\n**ecrform plan** — "));
    assert!(!full.contains("_Shortened to fit"), "{full}");
    for budget in [3_000, 1_000] {
        let output = quickstart_comment(&[
            "--comment-key",
            "pr-42",
            "--max-comment-chars",
            &budget.to_string(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let comment = stdout(&output);
        assert!(
            comment.chars().count() <= budget,
            "{budget}: {}",
            comment.chars().count()
        );
        // Both destructive changes are named at every size.
        for address in [
            "123456789012/us-east-1/lifecycle_policy/team-b/batch",
            "123456789012/us-east-1/repository/team-b/secure",
        ] {
            assert!(comment.contains(address), "{budget}: {comment}");
        }
        insta::assert_snapshot!(format!("quickstart_comment_within_{budget}"), comment);
    }
}

#[test]
fn the_comment_key_defaults_to_the_spec_path_and_the_registry_selection() {
    let output = quickstart_comment(&["--registry", "123456789012/us-east-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with(
            "<!-- ecrform:plan key=examples/quickstart/ecr.yaml@123456789012/us-east-1 -->\n"
        ),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_bad_comment_key_or_budget_is_a_usage_error() {
    for (flag, value, says) in [
        ("--comment-key", "a b", "contains ' '"),
        ("--comment-key", "a--b", "\"--\""),
        ("--max-comment-chars", "999", "999 is not in 1000.."),
        ("--max-comment-chars", "many", "invalid digit"),
    ] {
        let output = quickstart_comment(&[flag, value]);
        assert_eq!(output.status.code(), Some(1), "{flag} {value}");
        assert!(stderr(&output).contains(says), "{}", stderr(&output));
        assert_eq!(stdout(&output), "");
    }
}

#[test]
fn a_failed_plan_or_drift_in_markdown_or_json_still_prints_a_result_on_stdout() {
    let dir = std::env::temp_dir().join(format!("ecrform-cli-failure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ecr.yaml"),
        "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    \
         repositorie: {}\n    prune: maybe\n",
    )
    .unwrap();
    let errors = [
        "ecr.yaml:5:5: unknown key \"repositorie\"; did you mean \"repositories\"?",
        "ecr.yaml:6:12: expected true, false or a mapping {enabled, force_delete}, found the string \"maybe\"",
    ];
    let markdown = ecrform(&dir, &["plan", "--format", "markdown"]);
    assert_eq!(markdown.status.code(), Some(1));
    insta::assert_snapshot!("failed_plan_markdown", stdout(&markdown));
    assert_eq!(
        stderr(&markdown),
        format!(
            "{}\n{}\nerror: 2 problems in the spec\n",
            errors[0], errors[1]
        )
    );
    for command in ["plan", "drift"] {
        let json = ecrform(&dir, &[command, "--format", "json"]);
        assert_eq!(json.status.code(), Some(1), "{command}");
        let json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"format_version": 1, "errors": errors}),
            "{command}"
        );
    }
    // Text keeps stdout for results only.
    let text = ecrform(&dir, &["drift"]);
    assert_eq!(
        (text.status.code(), stdout(&text)),
        (Some(1), String::new())
    );
    let drift = ecrform(&dir, &["drift", "--format", "markdown"]);
    assert!(
        stdout(&drift).starts_with("**ecrform drift** — failed, drift was not checked\n"),
        "{}",
        stdout(&drift)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The CI kit: help, flags a command does not read, colour, annotations and step summaries,
// `registries`, `schema`, completions, man pages, the version.
// ---------------------------------------------------------------------------------------------

/// Every command, as its words (`lifecycle preview`), from the top-level help.
const COMMANDS: &[&[&str]] = &[
    &["validate"],
    &["plan"],
    &["apply"],
    &["drift"],
    &["export"],
    &["snapshot"],
    &["lifecycle", "preview"],
    &["registries"],
    &["schema"],
    &["completions"],
    &["man"],
    &["audit"],
    &["access"],
    &["policies", "list"],
    &["policies", "show"],
];

#[test]
fn each_command_help_shows_an_example_and_its_exit_codes() {
    let top = ecrform(&root(), &["--help"]);
    assert_eq!(top.status.code(), Some(0));
    insta::assert_snapshot!("help", stdout(&top));
    for command in COMMANDS {
        let mut args = command.to_vec();
        args.push("--help");
        let output = ecrform(&root(), &args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{command:?}: {}",
            stderr(&output)
        );
        let help = stdout(&output);
        assert!(
            help.contains("\nExample"),
            "{command:?} has no example:\n{help}"
        );
        assert!(
            help.contains("\nExit codes:\n  0  "),
            "{command:?}:\n{help}"
        );
        insta::assert_snapshot!(format!("help_{}", command.join("_")), help);
    }
}

/// The README's table of commands has a row for every command.
#[test]
fn the_readme_lists_every_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for command in COMMANDS {
        let row = format!("| `ecrform {}", command.join(" "));
        assert!(readme.contains(&row), "README.md has no row {row}...");
    }
}

#[test]
fn a_common_flag_a_command_does_not_read_is_a_one_line_error() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "validate",
                "-f",
                "examples/quickstart/ecr.yaml",
                "--state",
                "x.json",
            ],
            "error: --state does not apply to validate\n",
        ),
        (
            &[
                "export",
                "--registry",
                "123456789012/us-east-1",
                "--format",
                "json",
            ],
            "error: --format does not apply to export\n",
        ),
        (
            &[
                "--parallelism",
                "4",
                "validate",
                "-f",
                "examples/quickstart/ecr.yaml",
            ],
            "error: --parallelism does not apply to validate\n",
        ),
        (
            &["schema", "--registry", "123456789012/us-east-1"],
            "error: --registry does not apply to schema\n",
        ),
    ];
    for (args, expected) in cases {
        let output = ecrform(&root(), args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&output), *expected, "{args:?}");
        assert_eq!(stdout(&output), "", "{args:?}");
    }
    // A value from the environment is for every command of a pipeline: never refused.
    let output = ecrform_with(
        &root(),
        &["validate", "-f", "examples/quickstart/ecr.yaml"],
        &[("ECRFORM_RECOVERY_FILE", "elsewhere.json")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn color_always_colours_a_pipe_even_with_no_color_and_never_does_not() {
    let mut always = QUICKSTART_PLAN.to_vec();
    always.extend(["--color", "always"]);
    let output = ecrform(&root(), &always);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("\u{1b}["), "{}", stdout(&output));
    for off in [["--color", "never"], ["--no-color", "-q"]] {
        let mut args = QUICKSTART_PLAN.to_vec();
        args.extend(off);
        let output = ecrform_with(&root(), &args, &[("NO_COLOR", "")]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(!stdout(&output).contains('\u{1b}'), "{off:?}");
    }
    let output = ecrform(&root(), &["--no-color", "--color", "always", "schema"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("error: the argument '--no-color' cannot be used with"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_version_names_the_commit_when_built_from_git() {
    let output = ecrform(&root(), &["--version"]);
    assert_eq!(output.status.code(), Some(0));
    let version = env!("CARGO_PKG_VERSION");
    let commit = Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    let expected = match commit {
        Some(commit) => format!("ecrform {version} ({commit})\n"),
        None => format!("ecrform {version}\n"),
    };
    assert_eq!(stdout(&output), expected);
    // -V is the short form: the version alone, as saved plans record it.
    assert_eq!(
        stdout(&ecrform(&root(), &["-V"])),
        format!("ecrform {version}\n")
    );
}

#[test]
fn spec_problems_are_github_annotations_under_github_actions() {
    let corpus = root().join("tests/specs/invalid");
    let args = ["validate", "-f", "03-unknown-nested-key.yaml"];
    let plain = ecrform(&corpus, &args);
    let annotated = ecrform_with(&corpus, &args, &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(annotated.status.code(), Some(1));
    let first = stderr(&plain);
    let first = first.lines().next().unwrap();
    // FILE:LINE:COLUMN: message, then the same as a workflow command.
    let (place, message) = first.split_once(": ").unwrap();
    let mut parts = place.split(':');
    let (file, line, column) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert_eq!(
        stderr(&annotated).lines().take(2).collect::<Vec<_>>(),
        [
            first.to_owned(),
            format!("::error file={file},line={line},col={column}::{message}")
        ]
    );
    // --annotations says it outside GitHub Actions, and none turns them off inside.
    let flagged = ecrform(
        &corpus,
        &["validate", "--annotations", "github", "-f", args[2]],
    );
    assert_eq!(stderr(&flagged), stderr(&annotated));
    let off = ecrform_with(
        &corpus,
        &["validate", "--annotations", "none", "-f", args[2]],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(stderr(&off), stderr(&plain));
}

#[test]
fn spec_warnings_are_warning_annotations_and_quiet_silences_both() {
    let dir = TempDir::new("warning-annotations");
    dir.write(
        "ecr.yaml",
        "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    \
         prune: true\n    repositories:\n      app: {}\nguardrails: {profile: none}\n",
    );
    let output = ecrform(&dir.0, &["validate", "--annotations", "github"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let message = "prune without an owner id: specs that share this registry and declare none \
                   are one owner, so each one's prune deletes the repositories the others \
                   created; declare `owner: ID` at the top of the spec";
    assert_eq!(
        stderr(&output),
        format!(
            "warning: ecr.yaml:5:5: {message}\n::warning file=ecr.yaml,line=5,col=5::{message}\n"
        )
    );
    // Without annotations the warning alone; with -q neither.
    let plain = ecrform(&dir.0, &["validate"]);
    assert_eq!(
        stderr(&plain),
        format!("warning: ecr.yaml:5:5: {message}\n")
    );
    let quiet = ecrform_with(&dir.0, &["validate", "-q"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(
        (quiet.status.code(), stderr(&quiet)),
        (Some(0), String::new())
    );
}

#[test]
fn plan_and_drift_append_their_markdown_to_the_step_summary() {
    let scratch = TempDir::new("summary");
    let summary = scratch.0.join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let summary_env = summary.to_str().unwrap();
    let github = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary_env),
    ];
    let plan = ecrform_with(&root(), &QUICKSTART_PLAN, &github);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let mut drift = QUICKSTART_PLAN.to_vec();
    drift[0] = "drift";
    let drifted = ecrform_with(&root(), &drift, &github);
    assert_eq!(drifted.status.code(), Some(2), "{}", stderr(&drifted));
    // The text stays on stdout; the summary gets the Markdown of each, one after the other.
    assert_eq!(stdout(&plan), stdout(&quickstart_plan("text")));
    let mut drift_markdown = drift.clone();
    drift_markdown.extend(["--format", "markdown"]);
    let expected = format!(
        "earlier step\n{}\n{}\n",
        stdout(&quickstart_plan("markdown")),
        stdout(&ecrform(&root(), &drift_markdown))
    );
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), expected);
    // Outside GitHub Actions (or with --annotations none) the file is not touched.
    let mut none = QUICKSTART_PLAN.to_vec();
    none.extend(["--annotations", "none"]);
    ecrform_with(&root(), &none, &github);
    ecrform_with(
        &root(),
        &QUICKSTART_PLAN,
        &[("GITHUB_STEP_SUMMARY", summary_env)],
    );
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), expected);
}

#[test]
fn a_step_summary_that_cannot_be_written_is_a_warning_not_a_failure() {
    let scratch = TempDir::new("summary-dir");
    let github = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", scratch.0.to_str().unwrap()),
    ];
    let mut args = QUICKSTART_PLAN.to_vec();
    args.push("--detailed-exitcode");
    let output = ecrform_with(&root(), &args, &github);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .lines()
            .any(|line| line.starts_with(&format!(
                "warning: cannot append to the step summary {} (GITHUB_STEP_SUMMARY): ",
                scratch.0.display()
            ))),
        "{}",
        stderr(&output)
    );
}

#[test]
fn registries_lists_the_spec_registries_for_a_ci_matrix() {
    let dir = root().join("examples/multi-account");
    let json = ecrform(&dir, &["registries", "-f", ".", "--format", "json"]);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    // One line, so that it fits `echo "registries=..." >> $GITHUB_OUTPUT`.
    assert_eq!(stdout(&json).lines().count(), 1);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        listed,
        serde_json::json!([
            {"account": "111111111111", "region": "us-east-1", "address": "111111111111/us-east-1"},
            {"account": "222222222222", "region": "eu-west-1", "address": "222222222222/eu-west-1"},
            {"account": "222222222222", "region": "us-east-1", "address": "222222222222/us-east-1"},
            {"account": "333333333333", "region": "us-west-2", "address": "333333333333/us-west-2"},
        ])
    );
    let text = ecrform(&dir, &["registries", "-f", "."]);
    assert_eq!(
        stdout(&text),
        "111111111111/us-east-1\n222222222222/eu-west-1\n222222222222/us-east-1\n\
         333333333333/us-west-2\n"
    );
    let markdown = ecrform(&dir, &["registries", "-f", ".", "--format", "markdown"]);
    insta::assert_snapshot!("registries_markdown", stdout(&markdown));
    // --registry restricts it, as every command, and must name one of the spec's.
    let one = ecrform(
        &dir,
        &[
            "registries",
            "-f",
            ".",
            "--registry",
            "222222222222/eu-west-1",
        ],
    );
    assert_eq!(stdout(&one), "222222222222/eu-west-1\n");
    let unknown = ecrform(
        &dir,
        &[
            "registries",
            "-f",
            ".",
            "--registry",
            "999999999999/eu-west-1",
        ],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(stderr(&unknown).lines().count(), 1, "{}", stderr(&unknown));
    // An invalid spec lists nothing.
    let corpus = root().join("tests/specs/invalid");
    let invalid = ecrform(
        &corpus,
        &["registries", "-f", "02-unknown-top-level-key.yaml"],
    );
    assert_eq!(invalid.status.code(), Some(1));
    assert_eq!(stdout(&invalid), "");
}

fn schema() -> serde_json::Value {
    let output = ecrform(&root(), &["schema"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&schema()).unwrap_or_else(|error| panic!("{error}"))
}

/// A spec file as the JSON an editor's YAML language server checks; `None` when it is not
/// YAML a schema can be applied to (a syntax error, a duplicate key).
fn spec_as_json(text: &str) -> Option<serde_json::Value> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    serde_json::to_value(yaml).ok()
}

/// The spec files of a corpus case: the file, or a directory case's `*.yaml` files.
fn case_files(case: &Path) -> Vec<PathBuf> {
    if !case.is_dir() {
        return vec![case.to_path_buf()];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(case)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

fn corpus_cases(kind: &str) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("tests/specs").join(kind))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().is_some_and(|name| name != "policies"))
        .filter(|path| path.is_dir() || path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn the_schema_accepts_every_valid_spec_and_example() {
    let validator = validator();
    let mut files: Vec<PathBuf> = corpus_cases("valid")
        .iter()
        .flat_map(|case| case_files(case))
        .collect();
    for example in ["quickstart", "multi-account", "pull-through-cache"] {
        files.extend(case_files(&root().join("examples").join(example)));
    }
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let json = spec_as_json(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|| panic!("{} is not YAML", file.display()));
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

/// Which invalid specs the schema refuses, exactly: those whose problem is one of shape
/// (an unknown or missing key, a wrong type, a value outside an enum). The others need
/// validation's own checks (names, limits, policy documents, several files).
#[test]
fn the_schema_rejects_the_invalid_specs_a_schema_can_tell() {
    let validator = validator();
    let mut rejected = Vec::new();
    let mut not_yaml = Vec::new();
    for case in corpus_cases("invalid") {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let mut refused = false;
        for file in case_files(&case) {
            match spec_as_json(&std::fs::read_to_string(&file).unwrap()) {
                None => not_yaml.push(name.clone()),
                Some(json) => refused |= !validator.is_valid(&json),
            }
        }
        if refused {
            rejected.push(name);
        }
    }
    assert_eq!(
        not_yaml,
        ["01-malformed-yaml.yaml", "33-duplicate-key.yaml"],
        "an editor reports these as YAML errors"
    );
    // 06-unquoted-account.yaml: an editor's YAML 1.2 parser reads `account: 012345678901` as
    // a number, which the schema refuses (an account is a string of 12 digits); serde_yaml,
    // which reads the corpus here, keeps digits with a leading zero a string. So the number
    // itself, and a string of the wrong length:
    for account in [
        serde_json::json!(12345678901_u64),
        serde_json::json!("12345678901"),
    ] {
        let spec = serde_json::json!({
            "version": 1,
            "registries": [{"account": account, "region": "us-east-1"}],
        });
        assert!(!validator.is_valid(&spec), "{spec}");
    }
    assert_eq!(
        rejected,
        [
            "02-unknown-top-level-key.yaml",
            "03-unknown-nested-key.yaml",
            "04-missing-version.yaml",
            "05-wrong-version.yaml",
            "12-too-many-tags.yaml",
            "17-bad-encryption-type.yaml",
            "32-repositories-wrong-type.yaml",
            "36-mutability-cannot-be-none.yaml",
            "38-force-delete-in-defaults.yaml",
            "48-prune-unknown-key.yaml",
            "52-drift-ignore-without-reason.yaml",
            "54-drift-ignore-unknown-key.yaml",
            "57-guardrails-unknown-rule.yaml",
            "58-guardrails-bad-level.yaml",
            "59-guardrails-exception-without-reason.yaml",
            "61-guardrails-unknown-parameter.yaml",
            "63-guardrails-bad-profile.yaml",
        ]
    );
}

/// One step into a YAML tree.
#[derive(Debug, Clone)]
enum Step {
    Key(serde_yaml::Value),
    Index(usize),
}

/// The path of every node under `node`.
fn node_paths(node: &serde_yaml::Value, path: &mut Vec<Step>, into: &mut Vec<Vec<Step>>) {
    into.push(path.clone());
    match node {
        serde_yaml::Value::Mapping(entries) => {
            for (key, value) in entries {
                path.push(Step::Key(key.clone()));
                node_paths(value, path, into);
                path.pop();
            }
        }
        serde_yaml::Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Step::Index(index));
                node_paths(item, path, into);
                path.pop();
            }
        }
        _ => {}
    }
}

fn node_at<'v>(root: &'v mut serde_yaml::Value, path: &[Step]) -> &'v mut serde_yaml::Value {
    path.iter().fold(root, |node, step| match step {
        Step::Key(key) => node.as_mapping_mut().unwrap().get_mut(key).unwrap(),
        Step::Index(index) => &mut node.as_sequence_mut().unwrap()[*index],
    })
}

fn describe(path: &[Step]) -> String {
    path.iter()
        .map(|step| match step {
            Step::Key(key) => serde_yaml::to_string(key).unwrap().trim().to_owned(),
            Step::Index(index) => index.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The schema and `validate` agree on shape, over mutations of the spec that uses every
/// feature: every key removed, an unknown key added to every mapping, every scalar turned
/// into a list. The schema never refuses a spec that validates (editors must not flag a good
/// spec), and it refuses every spec whose first problem validation reports as an unknown or
/// missing key or a wrong type.
#[test]
fn the_schema_and_validate_agree_on_the_shape_of_every_mutated_spec() {
    let validator = validator();
    let source = root().join("tests/specs/valid/every-feature.yaml");
    let original: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&source).unwrap()).unwrap();
    let mut paths = Vec::new();
    node_paths(&original, &mut Vec::new(), &mut paths);
    let mut mutants: Vec<(String, serde_yaml::Value)> = Vec::new();
    for path in &paths {
        let mut copy = original.clone();
        match node_at(&mut copy, path) {
            serde_yaml::Value::Mapping(entries) => {
                for key in entries.keys() {
                    let mut removed = original.clone();
                    node_at(&mut removed, path)
                        .as_mapping_mut()
                        .unwrap()
                        .remove(key);
                    let mut at = path.clone();
                    at.push(Step::Key(key.clone()));
                    mutants.push((format!("without {}", describe(&at)), removed));
                }
                let mut added = original.clone();
                node_at(&mut added, path)
                    .as_mapping_mut()
                    .unwrap()
                    .insert("zz_unknown".into(), "x".into());
                mutants.push((format!("zz_unknown in {}", describe(path)), added));
            }
            scalar @ (serde_yaml::Value::String(_)
            | serde_yaml::Value::Number(_)
            | serde_yaml::Value::Bool(_)) => {
                *scalar = serde_yaml::Value::Sequence(vec![scalar.clone()]);
                mutants.push((format!("{} as a list", describe(path)), copy));
            }
            _ => {}
        }
    }
    // The spec that uses every feature has some 270 nodes to mutate.
    assert!(mutants.len() > 250, "only {} mutants", mutants.len());

    let scratch = TempDir::new("schema-mutants");
    let policies = root().join("tests/specs/valid/policies");
    let mut disagreements = Vec::new();
    for (index, (what, mutant)) in mutants.iter().enumerate() {
        let Ok(json) = serde_json::to_value(mutant) else {
            continue;
        };
        let schema_refuses = !validator.is_valid(&json);
        let file = scratch.0.join(format!("mutant-{index}.yaml"));
        std::fs::write(&file, serde_yaml::to_string(mutant).unwrap()).unwrap();
        let output = ecrform(
            &scratch.0,
            &[
                "validate",
                "-q",
                "--policies",
                policies.to_str().unwrap(),
                "-f",
                file.file_name().unwrap().to_str().unwrap(),
            ],
        );
        let errors = stderr(&output);
        let first = errors
            .lines()
            .next()
            .and_then(|line| line.splitn(4, ':').nth(3))
            .unwrap_or_default()
            .trim_start();
        let validate_refuses = output.status.code() == Some(1);
        let shape_problem = first.starts_with("unknown key")
            || first.starts_with("missing \"")
            || first.starts_with("expected ");
        if schema_refuses && !validate_refuses {
            disagreements.push(format!("{what}: the schema refuses a spec that validates"));
        }
        if shape_problem && !schema_refuses {
            disagreements.push(format!(
                "{what}: validate says {first:?}, the schema accepts it"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn completions_are_scripts_each_shell_loads_and_offer_only_what_a_command_reads() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = ecrform(&root(), &["completions", shell]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            stderr(&output)
        );
        let script = stdout(&output);
        for command in ["validate", "registries", "schema", "completions"] {
            assert!(script.contains(command), "{shell} completes no {command}");
        }
    }
    // bash loads it and registers the completion of ecrform.
    let output = ecrform(&root(), &["completions", "bash"]);
    let scratch = TempDir::new("completions");
    let script = scratch.0.join("ecrform.bash");
    std::fs::write(&script, &output.stdout).unwrap();
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p ecrform",
            script.display()
        ))
        .output()
        .unwrap();
    // (bash orders the options of `complete -p` as its version does.)
    let registered = String::from_utf8_lossy(&loaded.stdout).trim().to_owned();
    assert!(
        registered.starts_with("complete ")
            && registered.contains(" -F _ecrform ")
            && registered.ends_with(" ecrform"),
        "{registered:?}: {}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    // Each command's options: `validate` is not offered --state, `plan` is.
    let bash = stdout(&output);
    let options_of = |command: &str| {
        let start = bash.find(&format!("ecrform__subcmd__{command})")).unwrap();
        bash[start..]
            .lines()
            .find(|line| line.contains("opts="))
            .unwrap()
            .to_owned()
    };
    assert!(
        !options_of("validate").contains("--state"),
        "{}",
        options_of("validate")
    );
    assert!(options_of("validate").contains("--file"));
    assert!(
        options_of("plan").contains("--state"),
        "{}",
        options_of("plan")
    );
    // An unknown shell is a usage error, exit 1.
    let unknown = ecrform(&root(), &["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn the_man_page_renders_and_man_writes_one_page_per_command() {
    let output = ecrform(&root(), &["man"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = stdout(&output);
    assert!(
        page.contains(&format!(
            ".TH ecrform 1  \"ecrform {}\"",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        &page[..page.len().min(400)]
    );
    // groff reads it without a warning (groff-base is part of the machine image).
    let scratch = TempDir::new("man");
    let file = scratch.0.join("ecrform.1");
    std::fs::write(&file, &output.stdout).unwrap();
    let rendered = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&file)
        .output()
        .unwrap_or_else(|error| panic!("groff is needed (apt-get install groff-base): {error}"));
    assert!(rendered.status.success());
    assert_eq!(String::from_utf8_lossy(&rendered.stderr), "");

    let dir = scratch.0.join("man1");
    let written = ecrform(&root(), &["man", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "ecrform-access.1",
            "ecrform-apply.1",
            "ecrform-audit.1",
            "ecrform-completions.1",
            "ecrform-drift.1",
            "ecrform-export.1",
            "ecrform-lifecycle-preview.1",
            "ecrform-lifecycle.1",
            "ecrform-man.1",
            "ecrform-plan.1",
            "ecrform-policies-list.1",
            "ecrform-policies-show.1",
            "ecrform-policies.1",
            "ecrform-registries.1",
            "ecrform-schema.1",
            "ecrform-snapshot.1",
            "ecrform-validate.1",
            "ecrform.1",
        ]
    );
    assert_eq!(
        stderr(&written),
        format!("wrote 18 manual pages under {}\n", dir.display())
    );
    // A command's page lists only the options it reads.
    let validate = std::fs::read_to_string(dir.join("ecrform-validate.1")).unwrap();
    assert!(validate.contains("\\-\\-registry"), "{validate}");
    assert!(!validate.contains("\\-\\-state"), "{validate}");
}

// ---------------------------------------------------------------------------------------------
// Access review and the policy library.
// ---------------------------------------------------------------------------------------------

/// A spec with policies of every kind the access review reads (library templates, a
/// conditional Deny written out); the emulator test applies the same file.
const ACCESS_SPEC: &str = "tests/e2e/access/ecr.yaml";

fn access(format: &str, extra: &[&str]) -> Output {
    let mut args = vec!["access", "-f", ACCESS_SPEC, "--format", format];
    args.extend_from_slice(extra);
    ecrform(&root(), &args)
}

#[test]
fn access_of_the_spec_renders_as_text() {
    let output = access("text", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("access_spec_text", stdout(&output));
}

#[test]
fn access_of_the_spec_renders_as_markdown() {
    let output = access("markdown", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("access_spec_markdown", stdout(&output));
}

#[test]
fn access_of_the_spec_as_json_names_every_grant_by_class_and_principal() {
    let output = access("json", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["source"], "spec");
    let registry = &report["registries"][0];
    assert_eq!(registry["registry"], "123456789012/us-east-1");
    let api = &registry["repositories"]["team-a/api"];
    assert_eq!(api["policy"], "present");
    assert_eq!(api["grants"].as_array().unwrap().len(), 1);
    assert_eq!(api["grants"][0]["class"], "pull");
    assert_eq!(api["grants"][0]["principal"]["account"], "210987654321");
    let shared = &registry["repositories"]["team-a/shared"]["grants"][0];
    assert_eq!(shared["principal"]["type"], "anyone");
    assert_eq!(shared["when"][0][0][0]["key"], "aws:PrincipalOrgID");
    assert_eq!(
        registry["repositories"]["team-b/batch"]["policy"],
        "unknown"
    );
    let classes: Vec<&str> = registry["registry_policy"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|grant| grant["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["replicate", "create_repositories"]);
}

#[test]
fn access_live_reads_the_policies_of_a_snapshot() {
    let output = ecrform(
        &root(),
        &[
            "access",
            "-f",
            "examples/quickstart/ecr.yaml",
            "--live",
            "--state",
            "examples/quickstart/snapshot.json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("access_live_quickstart_snapshot_text", stdout(&output));
}

#[test]
fn access_refuses_a_snapshot_without_live() {
    let output = ecrform(
        &root(),
        &[
            "access",
            "-f",
            "examples/quickstart/ecr.yaml",
            "--state",
            "examples/quickstart/snapshot.json",
        ],
    );
    assert_one_line_error(
        &output,
        "error: --state examples/quickstart/snapshot.json is live state: pass --live to read \
         access from it (without it, access reads the spec's policies)",
    );
}

#[test]
fn policies_list_names_every_document_of_the_library() {
    let output = ecrform(&root(), &["policies", "list"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("policies_list_text", stdout(&output));
    let output = ecrform(&root(), &["policies", "list", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let names: Vec<&str> = listed["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|policy| policy["name"].as_str().unwrap())
        .collect();
    for name in [
        "builtin/untagged-7d-keep-10",
        "builtin/keep-semver-releases",
        "builtin/keep-days",
        "builtin/archive-then-expire",
        "builtin/cross-account-pull",
        "builtin/org-pull",
        "builtin/ci-push",
        "builtin/lambda-pull",
        "builtin/allow-replication-from",
        "builtin/pull-through-cache",
    ] {
        assert!(names.contains(&name), "{name} is not listed: {names:?}");
    }
}

#[test]
fn policies_show_a_template_with_its_vars_usage_grants_and_text() {
    let output = ecrform(&root(), &["policies", "show", "cross-account-pull"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("policies_show_cross_account_pull_text", stdout(&output));
    let output = ecrform(
        &root(),
        &[
            "policies",
            "show",
            "builtin/lambda-pull",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("policies_show_lambda_pull_markdown", stdout(&output));
}

#[test]
fn policies_show_of_a_document_prints_it_as_a_spec_names_it() {
    let output = ecrform(
        &root(),
        &[
            "policies",
            "show",
            "untagged-7d-keep-10",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(shown["usage"], "lifecycle: builtin/untagged-7d-keep-10");
    assert_eq!(shown["template"], false);
    assert!(shown.get("example_access").is_none(), "{shown}");
    let document: serde_json::Value =
        serde_json::from_str(shown["text"].as_str().unwrap()).unwrap();
    assert_eq!(document["rules"][1]["selection"]["countNumber"], 10);
}

#[test]
fn an_unknown_library_name_is_a_one_line_error() {
    let output = ecrform(&root(), &["policies", "show", "cross-acount-pull"]);
    assert_one_line_error(
        &output,
        "error: no built-in policy \"cross-acount-pull\"; did you mean \
         \"builtin/cross-account-pull\"? (the library has \
         builtin/archive-then-expire, builtin/keep-days, builtin/keep-semver-releases, \
         builtin/untagged-7d-keep-10, builtin/ci-push, builtin/cross-account-pull, \
         builtin/lambda-pull, builtin/org-pull, builtin/allow-replication-from, \
         builtin/pull-through-cache; `ecrform policies list` describes them)",
    );
}

#[test]
fn a_spec_misusing_the_library_is_a_one_line_located_error() {
    let dir = TempDir::new("builtin-misuse");
    let spec = |repository: &str| {
        format!(
            "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    \
             repositories:\n      team-a/api:\n{repository}"
        )
    };
    for (case, repository, error) in [
        (
            "unknown",
            "        lifecycle: builtin/untagged-7d\n",
            "ecr.yaml:7:20: unknown built-in lifecycle policy \"builtin/untagged-7d\"; did you \
             mean \"builtin/untagged-7d-keep-10\"? (available: builtin/archive-then-expire, \
             builtin/keep-days, builtin/keep-semver-releases, builtin/untagged-7d-keep-10; \
             `ecrform policies list` describes them)",
        ),
        (
            "missing var",
            "        policy: {template: builtin/cross-account-pull, vars: {}}\n",
            "ecr.yaml:7:17: template \"builtin/cross-account-pull\" (built in) needs var \
             \"accounts\", which vars does not set",
        ),
        (
            "a var of the wrong shape",
            "        policy: {template: builtin/cross-account-pull, vars: {accounts: {a: 1}}}\n",
            "ecr.yaml:7:17: repository policy from template \"builtin/cross-account-pull\" (built \
             in) at /Statement/0/Principal/AWS: Principal.AWS must be a string or a list of \
             strings, not an object",
        ),
        (
            "a list where the template has a string",
            "        policy: {template: builtin/org-pull, vars: {organization_id: [o-a, o-b]}}\n",
            "ecr.yaml:7:53: var \"organization_id\" is a list, but its placeholder on line 14 of \
             the template is inside a string; only a string, number or boolean can go there \
             (template \"builtin/org-pull\", built in)",
        ),
        (
            "a var that makes the document invalid",
            "        lifecycle: {template: builtin/keep-days, vars: {days: seven}}\n",
            "ecr.yaml:7:20: lifecycle policy from template \"builtin/keep-days\" (built in) at \
             /rules/0/selection/countNumber: rule 1: countNumber must be a whole number, not \
             \"seven\"",
        ),
    ] {
        dir.write("ecr.yaml", &spec(repository));
        let output = ecrform(&dir.0, &["validate", "-f", "ecr.yaml"]);
        assert_eq!(output.status.code(), Some(1), "{case}");
        assert_one_line_error(&output, error);
    }
}

/// A snapshot too large to be worth holding whole (over 16 MiB) is parsed as it is read: it
/// plans exactly as its small form does, and its problems are still located.
#[test]
fn a_large_snapshot_is_read_as_a_stream_with_the_same_plan_and_located_errors() {
    let dir = TempDir::new("large-snapshot");
    let spec = root().join("examples/quickstart/ecr.yaml");
    let small = std::fs::read_to_string(root().join("examples/quickstart/snapshot.json")).unwrap();
    // Whitespace is JSON too: the same snapshot, 17 MiB long.
    let padding = " ".repeat(17 * 1024 * 1024);
    dir.write("large.json", &format!("{small}{padding}"));
    let plan = |state: &str| {
        ecrform(
            &dir.0,
            &["plan", "-f", spec.to_str().unwrap(), "--state", state],
        )
    };
    let expected = ecrform(
        &root(),
        &[
            "plan",
            "-f",
            "examples/quickstart/ecr.yaml",
            "--state",
            "examples/quickstart/snapshot.json",
        ],
    );
    let large = plan("large.json");
    assert_eq!(large.status.code(), Some(0), "{}", stderr(&large));
    assert_eq!(stdout(&large), stdout(&expected));

    dir.write(
        "broken.json",
        &format!("{padding}\n{{\"snapshot_version\": 1, \"registries\": [}}"),
    );
    assert_one_line_error(&plan("broken.json"), "broken.json:2:40: expected value");
}
