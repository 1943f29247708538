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
        format!("read 4 file(s) of spec\n{}", stderr(&quiet))
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
    assert_eq!(lines[0]["message"], "read 4 file(s) of spec");
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
