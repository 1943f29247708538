//! End-to-end tests of the `ecrform` binary against the local ECR emulator (moto server): the
//! commands a pipeline runs, judged by their exit codes and output, with the AWS CLI as a
//! second client that makes out-of-band changes and checks what ecrform really wrote.
//!
//! Every test starts its own emulator, so tests never see each other's repositories, and
//! works in its own copy of a fixture from tests/e2e/, so that it may edit the spec and write
//! plans, exports and snapshots next to it. Each AWS CLI call costs more than a second, so the
//! tests check through ecrform's own reads where that proves the point and keep CLI calls few.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too; a failure is a test failure

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ecrform_model::Operation;
use ecrform_testkit::fixtures::{ACCOUNT, REGISTRY, address};
use ecrform_testkit::proxy::{FaultKind, Faults, OperationFilter, Proxy, ProxyConfig, Throttle};
use ecrform_testkit::{Emulator, LoopbackAnswer, LoopbackEndpoint};
use serde_json::Value;

/// Far beyond any healthy run (the slowest, an unreachable endpoint, retries for ~15 s): a
/// command still running then is a hang, and the test says so instead of waiting forever.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What a plan prints when live state matches the spec and nothing is unmanaged.
const NO_CHANGES: &str = "No changes. Live state matches the spec.\n";

/// The unmanaged block of the text plan, for one repository of [`REGISTRY`].
fn unmanaged_block(name: &str) -> String {
    format!(
        "Unmanaged (exist but not in the spec, never touched):\n  {}\n\n",
        address(REGISTRY, &format!("repository/{name}"))
    )
}

fn repository_arn(name: &str) -> String {
    format!("arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{name}")
}

// ---------------------------------------------------------------------------------------------
// Harness: an emulator, a working directory, and the binary run against both.
// ---------------------------------------------------------------------------------------------

/// One test's emulator and working directory (a copy of a fixture).
struct Harness {
    emulator: Emulator,
    dir: Workdir,
}

impl Harness {
    /// Starts a private emulator and copies `tests/e2e/<fixture>` (a directory or a file) into a
    /// fresh working directory.
    fn new(fixture: &str) -> Harness {
        let emulator = Emulator::start().unwrap_or_else(|error| panic!("{error}"));
        Harness {
            emulator,
            dir: Workdir::new(fixture),
        }
    }

    /// Runs `ecrform ARGS` in the working directory against the emulator.
    fn ecrform(&self, args: &[&str]) -> Run {
        self.ecrform_with(args, &[], &[])
    }

    /// [`Harness::ecrform`] in a subdirectory of the working directory.
    fn ecrform_in(&self, subdirectory: &str, args: &[&str]) -> Run {
        let mut command = self.binary();
        command.current_dir(self.dir.join(subdirectory));
        run(command, args)
    }

    /// The binary with the emulator's environment, and no log filter of the caller's (it would
    /// write logs into every test's stderr), nor the GitHub Actions runner's variables (the
    /// annotations and step summary of the tests' runs would join CI's own).
    fn binary(&self) -> Command {
        let mut command = self.emulator.command(env!("CARGO_BIN_EXE_ecrform"));
        command
            .env_remove("ECRFORM_LOG")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY");
        command
    }

    /// [`Harness::ecrform`] with environment variables set and removed on top of the
    /// emulator's environment.
    fn ecrform_with(&self, args: &[&str], set: &[(&str, &str)], remove: &[&str]) -> Run {
        let mut command = self.binary();
        command.current_dir(&self.dir.path);
        for key in remove {
            command.env_remove(key);
        }
        command.envs(set.iter().copied());
        run(command, args)
    }

    /// The AWS CLI as the default account; its JSON answer.
    fn aws(&self, args: &[&str]) -> Value {
        self.emulator
            .aws(args)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// Pushes one distinct image per tag into `repository` (manifests only, no layers).
    fn put_images(&self, repository: &str, tags: &[&str]) {
        for (i, tag) in tags.iter().enumerate() {
            let last = char::from_digit(u32::try_from(i + 1).unwrap(), 10).unwrap();
            self.aws(&[
                "ecr",
                "put-image",
                "--repository-name",
                repository,
                "--image-tag",
                tag,
                "--image-manifest",
                &image_manifest(last),
            ]);
        }
    }

    /// `describe-repositories` (with extra arguments) by repository name.
    fn repositories(&self, extra: &[&str]) -> BTreeMap<String, Value> {
        let mut args = vec!["ecr", "describe-repositories"];
        args.extend_from_slice(extra);
        by_name(&self.aws(&args))
    }
}

fn by_name(answer: &Value) -> BTreeMap<String, Value> {
    answer["repositories"]
        .as_array()
        .unwrap_or_else(|| panic!("describe-repositories answered {answer}"))
        .iter()
        .map(|repository| {
            (
                repository["repositoryName"].as_str().unwrap().to_owned(),
                repository.clone(),
            )
        })
        .collect()
}

fn names(repositories: &BTreeMap<String, Value>) -> Vec<&str> {
    repositories.keys().map(String::as_str).collect()
}

/// A repository's mutability, its exclusion filters (sorted) and scan on push, as ECR reports
/// them.
fn repository_settings(repository: &Value) -> (String, Vec<String>, bool) {
    let mut exclusions: Vec<String> = repository["imageTagMutabilityExclusionFilters"]
        .as_array()
        .map(|filters| {
            filters
                .iter()
                .map(|filter| {
                    assert_eq!(filter["filterType"], "WILDCARD", "{repository}");
                    filter["filter"].as_str().unwrap().to_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    exclusions.sort();
    (
        repository["imageTagMutability"]
            .as_str()
            .unwrap()
            .to_owned(),
        exclusions,
        repository["imageScanningConfiguration"]["scanOnPush"]
            .as_bool()
            .unwrap(),
    )
}

/// A copy of a fixture in a directory of its own, removed when the test ends.
struct Workdir {
    path: PathBuf,
}

impl Workdir {
    fn new(fixture: &str) -> Workdir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "ecrform-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("e2e")
            .join(fixture);
        if source.is_dir() {
            copy_dir(&source, &path);
        } else {
            std::fs::copy(&source, path.join(source.file_name().unwrap())).unwrap();
        }
        Workdir { path }
    }

    fn join(&self, relative: &str) -> PathBuf {
        self.path.join(relative)
    }

    fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.join(relative))
            .unwrap_or_else(|error| panic!("cannot read {relative}: {error}"))
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Replaces the one occurrence of `from` in a file of the working directory.
    fn edit(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert_eq!(
            text.matches(from).count(),
            1,
            "{from:?} in {relative}:\n{text}"
        );
        self.write(relative, &text.replacen(from, to, 1));
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// One finished run of the binary.
struct Run {
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`ecrform {}` exited {:?} after {:.1?}\n--- stdout\n{}--- stderr\n{}---",
            self.args.join(" "),
            self.code,
            self.elapsed,
            self.stdout,
            self.stderr
        )
    }
}

impl Run {
    /// Exit 0 with nothing on stderr.
    fn success(&self) -> &Run {
        self.exit(0)
    }

    /// Exit `code` (0 or 2) with nothing on stderr: no warning, no error.
    fn exit(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "{self}");
        assert_eq!(self.stderr, "", "{self}");
        self
    }

    /// stdout as JSON.
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {self}"))
    }

    /// Exit 1 with exactly one line on stderr, starting `error: `; that line. A panic would
    /// exit 101 and print more than one line.
    fn one_line_error(&self) -> &str {
        assert_eq!(self.code, Some(1), "{self}");
        assert!(!self.stderr.contains("panicked"), "{self}");
        assert!(self.stderr.ends_with('\n'), "{self}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "stderr is not one line: {self}");
        assert!(lines[0].starts_with("error: "), "{self}");
        lines[0]
    }
}

/// Runs `command ARGS` with stdin closed (not a terminal), within [`TIMEOUT`].
fn run(mut command: Command, args: &[&str]) -> Run {
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("the ecrform binary runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).unwrap();
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`ecrform {}` hung: still running after {TIMEOUT:?}; stderr so far: {}",
                args.join(" "),
                stderr.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        code: status.code(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        elapsed: started.elapsed(),
    }
}

/// `(address, action, fields)` of every change of a plan or drift report, sorted by address.
fn changes(report: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut changes: Vec<_> = report["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no changes array: {report}"))
        .iter()
        .map(|change| {
            (
                change["address"].as_str().unwrap().to_owned(),
                change["action"].as_str().unwrap().to_owned(),
                strings(&change["fields"]),
            )
        })
        .collect();
    changes.sort();
    changes
}

fn change(address: &str, action: &str, fields: &[&str]) -> (String, String, Vec<String>) {
    (
        address.to_owned(),
        action.to_owned(),
        fields.iter().map(|field| (*field).to_owned()).collect(),
    )
}

/// A JSON array of strings (or one string, as IAM allows) as strings, in order.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many
            .iter()
            .map(|item| item.as_str().unwrap().to_owned())
            .collect(),
        other => panic!("not a string or a list of strings: {other}"),
    }
}

fn string_set(value: &Value) -> BTreeSet<String> {
    strings(value).into_iter().collect()
}

/// The apply report's lines for changes that were all applied, and its closing line.
fn applied_report(changes: &[(&str, String)], writes: usize) -> String {
    let mut report: String = changes
        .iter()
        .map(|(action, address)| {
            let symbol = match *action {
                "create" => "+",
                "update" => "~",
                "delete" => "-",
                "replace" => "-/+",
                other => panic!("unknown action {other}"),
            };
            format!("applied  {symbol} {action} {address}\n")
        })
        .collect();
    let writes = if writes == 1 {
        String::from("1 API write")
    } else {
        format!("{writes} API writes")
    };
    report.push_str(&format!(
        "\nApply: {n} applied, 0 failed, 0 skipped; {writes}.\n",
        n = changes.len()
    ));
    report
}

// ---------------------------------------------------------------------------------------------
// 1. From an empty registry
// ---------------------------------------------------------------------------------------------

#[test]
fn apply_creates_everything_from_an_empty_registry_and_a_second_apply_writes_nothing() {
    let h = Harness::new("full");

    let apply = h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"]);
    apply.success();
    assert!(
        apply
            .stdout
            .contains("\nPlan: 9 to create, 0 to update, 0 to replace, 0 to delete.\n\n"),
        "{apply}"
    );
    let created: Vec<(&str, String)> = [
        ("repository", "team-a/api"),
        ("lifecycle_policy", "team-a/api"),
        ("repository_policy", "team-a/api"),
        ("repository", "team-a/web"),
        ("repository_policy", "team-a/web"),
        ("repository", "team-b/batch"),
        ("lifecycle_policy", "team-b/batch"),
        ("repository_policy", "team-b/batch"),
        ("repository", "team-b/tools"),
    ]
    .iter()
    .map(|(kind, name)| ("create", address(REGISTRY, &format!("{kind}/{name}"))))
    .collect();
    assert!(
        apply.stdout.ends_with(&applied_report(&created, 9)),
        "{apply}"
    );

    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(plan.stdout, NO_CHANGES, "{plan}");

    let again = h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"]);
    again.success();
    assert_eq!(
        again.stdout,
        format!("{NO_CHANGES}\nNo changes. Live state matches the spec; 0 API writes.\n"),
        "{again}"
    );

    // What a second client sees.
    let repositories = h.repositories(&[]);
    assert_eq!(
        names(&repositories),
        ["team-a/api", "team-a/web", "team-b/batch", "team-b/tools"]
    );
    let settings = |name: &str| repository_settings(&repositories[name]);
    assert_eq!(settings("team-a/api"), ("IMMUTABLE".into(), vec![], true));
    assert_eq!(
        settings("team-a/web"),
        (
            "IMMUTABLE_WITH_EXCLUSION".into(),
            vec!["dev-*".into(), "latest".into()],
            true
        )
    );
    assert_eq!(settings("team-b/batch"), ("MUTABLE".into(), vec![], false));
    assert_eq!(
        settings("team-b/tools"),
        (
            "MUTABLE_WITH_EXCLUSION".into(),
            vec!["release-*".into()],
            true
        )
    );

    let tags = h.aws(&[
        "ecr",
        "list-tags-for-resource",
        "--resource-arn",
        &repository_arn("team-b/tools"),
    ]);
    let tags: BTreeMap<&str, &str> = tags["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| (tag["Key"].as_str().unwrap(), tag["Value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        tags,
        BTreeMap::from([
            ("cost-center", "1234"),
            ("ecrform:managed", "true"),
            ("owner", "platform"),
            ("team", "b"),
        ])
    );

    // The templated policy: both accounts of the template's var, and the owner's statement.
    let policy = h.aws(&[
        "ecr",
        "get-repository-policy",
        "--repository-name",
        "team-a/api",
    ]);
    let policy: Value = serde_json::from_str(policy["policyText"].as_str().unwrap()).unwrap();
    let statements: BTreeMap<&str, &Value> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|statement| (statement["Sid"].as_str().unwrap(), statement))
        .collect();
    assert_eq!(
        statements.keys().copied().collect::<Vec<_>>(),
        ["CrossAccountPull", "OwnerPush"],
        "{policy}"
    );
    let pull = statements["CrossAccountPull"];
    assert_eq!(
        string_set(&pull["Principal"]["AWS"])
            .iter()
            .map(|principal| principal
                .trim_start_matches("arn:aws:iam::")
                .trim_end_matches(":root"))
            .collect::<Vec<_>>(),
        ["210987654321", "345678901234"],
        "{policy}"
    );
    assert_eq!(
        string_set(&pull["Action"]),
        BTreeSet::from([
            "ecr:BatchCheckLayerAvailability".to_owned(),
            "ecr:BatchGetImage".to_owned(),
            "ecr:GetDownloadUrlForLayer".to_owned(),
        ]),
        "{policy}"
    );
    assert_eq!(
        strings(&statements["OwnerPush"]["Action"]),
        ["ecr:PutImage"]
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Drift
// ---------------------------------------------------------------------------------------------

/// team-a/web's policy (policies/repository/ci-push.json) with a statement added by hand.
const CI_PUSH_WITH_DEBUG_STATEMENT: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"CiPush","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},
   "Action":["ecr:BatchCheckLayerAvailability","ecr:CompleteLayerUpload","ecr:InitiateLayerUpload","ecr:PutImage","ecr:UploadLayerPart"]},
  {"Sid":"Debug","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"ecr:BatchGetImage"}]}"#;

#[test]
fn drift_names_every_out_of_band_change_and_the_unmanaged_repository_and_apply_converges() {
    let h = Harness::new("full");
    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();

    h.aws(&[
        "ecr",
        "put-image-tag-mutability",
        "--repository-name",
        "team-a/api",
        "--image-tag-mutability",
        "MUTABLE",
    ]);
    h.aws(&[
        "ecr",
        "delete-lifecycle-policy",
        "--repository-name",
        "team-b/batch",
    ]);
    h.aws(&[
        "ecr",
        "tag-resource",
        "--resource-arn",
        &repository_arn("team-b/tools"),
        "--tags",
        "Key=hotfix,Value=yes",
    ]);
    h.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        "team-a/web",
        "--policy-text",
        CI_PUSH_WITH_DEBUG_STATEMENT,
    ]);
    h.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        "legacy/thing",
    ]);

    let drift = h.ecrform(&["drift", "-f", "ecr.yaml", "--format", "json"]);
    drift.exit(2);
    let report = drift.json();
    assert_eq!(report["format_version"], 1, "{drift}");
    assert_eq!(report["in_sync"], false, "{drift}");
    assert_eq!(
        report["summary"],
        serde_json::json!({"changed": 3, "missing": 1, "unmanaged": 1, "ignored": 0}),
        "{drift}"
    );
    let listed = |kind: &str| -> Vec<String> {
        report[kind]
            .as_array()
            .unwrap_or_else(|| panic!("no {kind} array: {report}"))
            .iter()
            .map(|object| object["address"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        listed("changed"),
        [
            address(REGISTRY, "repository/team-a/api"),
            address(REGISTRY, "repository_policy/team-a/web"),
            address(REGISTRY, "repository/team-b/tools"),
        ],
        "{drift}"
    );
    assert_eq!(
        listed("missing"),
        [address(REGISTRY, "lifecycle_policy/team-b/batch")],
        "{drift}"
    );
    assert_eq!(
        listed("unmanaged"),
        [address(REGISTRY, "repository/legacy/thing")],
        "{drift}"
    );
    let api = &report["changed"][0];
    assert_eq!(
        (&api["fields"], &api["live"], &api["spec"]),
        (
            &serde_json::json!(["image_tag_mutability"]),
            &serde_json::json!({"image_tag_mutability": "MUTABLE"}),
            &serde_json::json!({"image_tag_mutability": "IMMUTABLE"})
        ),
        "{drift}"
    );
    assert_eq!(report["checked"]["registries"], 1, "{drift}");
    // The plan shape stays under "plan" for tools that read it.
    assert_eq!(
        changes(&report["plan"]),
        [
            change(
                &address(REGISTRY, "lifecycle_policy/team-b/batch"),
                "create",
                &["document"]
            ),
            change(
                &address(REGISTRY, "repository/team-a/api"),
                "update",
                &["image_tag_mutability"]
            ),
            change(
                &address(REGISTRY, "repository/team-b/tools"),
                "update",
                &["tags"]
            ),
            change(
                &address(REGISTRY, "repository_policy/team-a/web"),
                "update",
                &["document"]
            ),
        ],
        "{drift}"
    );

    // The text and the Markdown say the same in the drift vocabulary.
    let text = h.ecrform(&["drift", "-f", "ecr.yaml"]);
    text.exit(2);
    let markdown = h.ecrform(&["drift", "-f", "ecr.yaml", "--format", "markdown"]);
    markdown.exit(2);
    insta::with_settings!({filters => vec![
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[CHECKED_AT]"),
    ]}, {
        insta::assert_snapshot!("drift_text_after_out_of_band_changes", text.stdout);
        insta::assert_snapshot!("drift_markdown_after_out_of_band_changes", markdown.stdout);
    });
    assert!(
        text.stdout
            .contains("        + hotfix = yes (not in the spec)\n"),
        "{text}"
    );

    // Rules in the spec set drift aside: it is counted as ignored, not dropped.
    h.dir.edit(
        "ecr.yaml",
        "    region: us-east-1\n",
        "    region: us-east-1\n    ignore_unmanaged: [\"legacy/**\"]\n    drift_ignore:\n      \
         - {address: repository/team-b/*, reason: hotfix tag stays until the incident review}\n",
    );
    let drift = h.ecrform(&["drift", "-f", "ecr.yaml", "--format", "json"]);
    drift.exit(2);
    let report = drift.json();
    assert_eq!(
        report["summary"],
        serde_json::json!({"changed": 2, "missing": 1, "unmanaged": 0, "ignored": 2}),
        "{drift}"
    );
    assert_eq!(
        report["ignored"],
        serde_json::json!([
            {"address": address(REGISTRY, "repository/team-b/tools"), "drift": "changed",
             "rule": "drift_ignore", "pattern": "repository/team-b/*",
             "reason": "hotfix tag stays until the incident review"},
            {"address": address(REGISTRY, "repository/legacy/thing"), "drift": "unmanaged",
             "rule": "ignore_unmanaged", "pattern": "legacy/**"},
        ]),
        "{drift}"
    );

    let apply = h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"]);
    apply.success();
    assert!(
        apply
            .stdout
            .ends_with("\nApply: 4 applied, 0 failed, 0 skipped; 4 API writes.\n"),
        "{apply}"
    );

    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(
        plan.stdout,
        format!("{}{NO_CHANGES}", unmanaged_block("legacy/thing")),
        "{plan}"
    );
    // Managed settings are back, and the one unmanaged repository is ignored: in sync.
    let drift = h.ecrform(&["drift", "-f", "ecr.yaml"]);
    drift.success();
    assert!(
        drift.stdout.starts_with(
            "No drift: live state matches the spec, 1 ignored (checked 10 objects in 1 registry at "
        ),
        "{drift}"
    );
    assert!(
        drift.stdout.contains(&format!(
            "  ignored {} (unmanaged; ignore_unmanaged legacy/**)\n",
            address(REGISTRY, "repository/legacy/thing")
        )),
        "{drift}"
    );
}

/// The pull request comment of a first apply, read from the emulator: whole under the default
/// budget, shortened step by step under smaller ones, and pointing at the saved plan.
#[test]
fn the_plan_comment_fits_its_budget_and_points_at_the_saved_plan() {
    let h = Harness::new("full");
    let full = h.ecrform(&["plan", "-f", "ecr.yaml", "--format", "markdown"]);
    full.success();
    assert!(
        full.stdout.starts_with(
            "<!-- ecrform:plan key=ecr.yaml -->\n**ecrform plan** — 9 to create, 0 to update, \
             0 to replace, 0 to delete · registries: 1\n"
        ),
        "{full}"
    );
    assert!(!full.stdout.contains("_Shortened"), "{full}");
    // The ownership tag is ecrform's bookkeeping and shown nowhere.
    assert!(!full.stdout.contains("ecrform:managed"), "{full}");
    let mut previous = full.stdout.chars().count();
    for budget in ["3000", "1000"] {
        let comment = h.ecrform(&[
            "plan",
            "-f",
            "ecr.yaml",
            "--format",
            "markdown",
            "--max-comment-chars",
            budget,
            "--comment-key",
            "pr-7",
            "--out",
            "plan.json",
        ]);
        comment.success();
        let chars = comment.stdout.chars().count();
        assert!(
            chars <= budget.parse().unwrap() && chars <= previous,
            "{comment}"
        );
        previous = chars;
        assert!(
            comment
                .stdout
                .starts_with("<!-- ecrform:plan key=pr-7 -->\n"),
            "{comment}"
        );
        let last = comment.stdout.lines().last().unwrap();
        assert!(last.starts_with("_Shortened to fit "), "{comment}");
        assert!(last.contains("the saved plan `plan.json`"), "{comment}");
        assert!(
            comment
                .stdout
                .contains("- `team-b/tools`: create repository\n"),
            "{comment}"
        );
    }
    // The saved plan is the one the comment points at.
    h.ecrform(&["apply", "plan.json", "-f", "ecr.yaml"])
        .success();
}

// ---------------------------------------------------------------------------------------------
// 3. Policies as AWS gives them back
// ---------------------------------------------------------------------------------------------

/// team-a/api's templated policy as ECR returns it: re-serialized with 2-space `"key" : value`
/// formatting, bare account ids as root ARNs, statements, principals and actions reordered, and
/// the scalar action as a one-element list.
const CROSS_ACCOUNT_PULL_AS_AWS_RETURNS_IT: &str = r#"{
  "Version" : "2012-10-17",
  "Statement" : [ {
    "Sid" : "OwnerPush",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::123456789012:root"
    },
    "Action" : [ "ecr:PutImage" ]
  }, {
    "Sid" : "CrossAccountPull",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : [ "arn:aws:iam::345678901234:root", "arn:aws:iam::210987654321:root" ]
    },
    "Action" : [ "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability" ]
  } ]
}"#;

#[test]
fn a_policy_in_the_form_aws_rewrites_it_to_plans_no_change() {
    let h = Harness::new("full");
    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();

    let set = h.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        "team-a/api",
        "--policy-text",
        CROSS_ACCOUNT_PULL_AS_AWS_RETURNS_IT,
    ]);
    // The emulator keeps the text verbatim, so ecrform now reads AWS's form.
    assert_eq!(set["policyText"], CROSS_ACCOUNT_PULL_AS_AWS_RETURNS_IT);

    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(plan.stdout, NO_CHANGES, "{plan}");
    let drift = h.ecrform(&["drift", "-f", "ecr.yaml", "--format", "json"]);
    drift.success();
    assert_eq!(drift.json()["in_sync"], true, "{drift}");
    assert!(changes(&drift.json()["plan"]).is_empty(), "{drift}");
}

/// The policy of `equivalent/ecr.yaml` in forms IAM and ECR read as the same: ECR's
/// formatting, the bare account id as its root ARN, actions and condition keys in other case,
/// the boolean and the number as strings, and the statement twice.
const ORG_PULL_AS_IAM_READS_IT: &str = r#"{
  "Version" : "2012-10-17",
  "Statement" : [ {
    "Sid" : "OrgPull",
    "Effect" : "Allow",
    "Principal" : { "AWS" : "arn:aws:iam::210987654321:root" },
    "Action" : [ "ECR:DESCRIBE*", "ecr:getdownloadurlforlayer", "ECR:BatchGetImage" ],
    "Condition" : {
      "StringEquals" : { "AWS:principalorgid" : "o-abc123", "aws:resourcetag/team" : "platform" },
      "Bool" : { "aws:securetransport" : "true" },
      "NumericLessThan" : { "AWS:MULTIFACTORAUTHAGE" : "3600" }
    }
  }, {
    "Sid" : "OrgPull",
    "Effect" : "Allow",
    "Principal" : { "AWS" : [ "210987654321" ] },
    "Action" : [ "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:Describe*" ],
    "Condition" : {
      "StringEquals" : { "aws:PrincipalOrgID" : [ "o-abc123" ], "aws:ResourceTag/Team" : "platform" },
      "Bool" : { "aws:SecureTransport" : true },
      "NumericLessThan" : { "aws:MultiFactorAuthAge" : "3600" }
    }
  } ]
}"#;

/// The lifecycle policy of `equivalent/ecr.yaml` as ECR returns it: minified, no storage
/// class (standard is the default) and the count written as a float.
const EXPIRE_UNTAGGED_AS_ECR_HOLDS_IT: &str = r#"{"rules":[{"rulePriority":1,"description":"Expire untagged images after 7 days","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7.0},"action":{"type":"expire"}}]}"#;

#[test]
fn policies_in_forms_iam_and_ecr_read_alike_plan_no_change_and_a_real_difference_plans_an_update() {
    let h = Harness::new("equivalent");
    h.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        "team-a/api",
    ]);
    let plant = |policy: &str, lifecycle: &str| {
        h.aws(&[
            "ecr",
            "set-repository-policy",
            "--repository-name",
            "team-a/api",
            "--policy-text",
            policy,
        ]);
        h.aws(&[
            "ecr",
            "put-lifecycle-policy",
            "--repository-name",
            "team-a/api",
            "--lifecycle-policy-text",
            lifecycle,
        ]);
    };

    plant(ORG_PULL_AS_IAM_READS_IT, EXPIRE_UNTAGGED_AS_ECR_HOLDS_IT);
    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(plan.stdout, NO_CHANGES, "{plan}");

    // A condition value in another case is another value, and 8.0 another count.
    plant(
        &ORG_PULL_AS_IAM_READS_IT.replace("\"o-abc123\"", "\"O-ABC123\""),
        &EXPIRE_UNTAGGED_AS_ECR_HOLDS_IT.replace("7.0", "8.0"),
    );
    let plan = h.ecrform(&[
        "plan",
        "-f",
        "ecr.yaml",
        "--detailed-exitcode",
        "--format",
        "json",
    ]);
    plan.exit(2);
    let report = plan.json();
    assert_eq!(
        changes(&report),
        [
            change(
                &address(REGISTRY, "lifecycle_policy/team-a/api"),
                "update",
                &["document"]
            ),
            change(
                &address(REGISTRY, "repository_policy/team-a/api"),
                "update",
                &["document"]
            ),
        ],
        "{plan}"
    );
    // The canonical forms the plan shows: documented spellings, strings, one statement.
    let policy = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["address"] == address(REGISTRY, "repository_policy/team-a/api"))
        .unwrap();
    let statements = policy["after"]["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{plan}");
    assert_eq!(
        strings(&statements[0]["Action"]),
        [
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:describe*"
        ],
        "{plan}"
    );
    assert_eq!(
        statements[0]["Condition"]["NumericLessThan"]["aws:MultiFactorAuthAge"],
        serde_json::json!(["3600"]),
        "{plan}"
    );
    assert_eq!(
        policy["before"]["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        serde_json::json!(["O-ABC123"]),
        "{plan}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Saved plans
// ---------------------------------------------------------------------------------------------

#[test]
fn a_saved_plan_is_refused_when_live_state_or_the_spec_changed_and_applies_when_fresh() {
    let h = Harness::new("stale");
    h.ecrform(&["apply", "-f", "base.yaml", "--auto-approve"])
        .success();
    let app = address(REGISTRY, "repository/svc/app");
    let worker = address(REGISTRY, "repository/svc/worker");

    let plan = h.ecrform(&[
        "plan",
        "-f",
        "ecr.yaml",
        "--out",
        "plan.json",
        "--format",
        "json",
    ]);
    plan.success();
    assert_eq!(
        changes(&plan.json()),
        [
            change(&app, "update", &["image_tag_mutability"]),
            change(
                &worker,
                "create",
                &[
                    "image_tag_mutability",
                    "image_tag_mutability_exclusions",
                    "tags"
                ]
            ),
        ],
        "{plan}"
    );

    // Someone changes the repository the plan updates; the plan was reviewed against the old
    // state, so it must not be applied.
    h.aws(&[
        "ecr",
        "put-image-tag-mutability",
        "--repository-name",
        "svc/app",
        "--image-tag-mutability",
        "IMMUTABLE_WITH_EXCLUSION",
        "--image-tag-mutability-exclusion-filters",
        "filterType=WILDCARD,filter=hotfix-*",
    ]);
    let stale = h.ecrform(&["apply", "plan.json", "-f", "ecr.yaml"]);
    let error = stale.one_line_error();
    assert!(error.starts_with("error: stale plan:"), "{stale}");
    assert!(error.contains(&app), "{stale}");
    assert!(!error.contains(&worker), "{stale}");
    assert_eq!(stale.stdout, "", "{stale}");
    // In JSON and Markdown the failure is a result on stdout too, with the same one line.
    let json = h.ecrform(&["apply", "plan.json", "-f", "ecr.yaml", "--format", "json"]);
    assert_eq!(json.one_line_error(), error, "{json}");
    let stale_error = error.strip_prefix("error: ").unwrap();
    assert_eq!(
        json.json(),
        serde_json::json!({"format_version": 1, "errors": [stale_error]}),
        "{json}"
    );
    let markdown = h.ecrform(&[
        "apply",
        "plan.json",
        "-f",
        "ecr.yaml",
        "--format",
        "markdown",
    ]);
    assert_eq!(markdown.one_line_error(), error, "{markdown}");
    assert!(
        markdown
            .stdout
            .starts_with("**ecrform apply** — failed\n\n- `stale plan: "),
        "{markdown}"
    );
    assert!(
        markdown.stdout.contains(&format!("- `{stale_error}`\n")),
        "{markdown}"
    );
    let repositories = h.repositories(&[]);
    assert_eq!(names(&repositories), ["svc/app"], "svc/worker was created");
    assert_eq!(
        repository_settings(&repositories["svc/app"]),
        (
            "IMMUTABLE_WITH_EXCLUSION".into(),
            vec!["hotfix-*".into()],
            false
        )
    );

    // A plan made now applies, and leaves nothing to do.
    h.ecrform(&["plan", "-f", "ecr.yaml", "--out", "fresh.json"])
        .success();
    let apply = h.ecrform(&["apply", "fresh.json", "-f", "ecr.yaml"]);
    apply.success();
    assert_eq!(
        apply.stdout,
        applied_report(&[("update", app.clone()), ("create", worker.clone())], 2),
        "{apply}"
    );
    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(plan.stdout, NO_CHANGES, "{plan}");

    // A plan made from one spec is refused once the spec says something else.
    h.dir.edit(
        "ecr.yaml",
        "svc/app:\n        image_tag_mutability: MUTABLE\n        tags: {team: svc}",
        "svc/app:\n        image_tag_mutability: MUTABLE\n        tags: {team: svc, env: prod}",
    );
    h.ecrform(&["plan", "-f", "ecr.yaml", "--out", "reviewed.json"])
        .success();
    h.dir.edit(
        "ecr.yaml",
        "svc/worker:\n        image_tag_mutability: IMMUTABLE",
        "svc/worker:\n        image_tag_mutability: MUTABLE",
    );
    let edited = h.ecrform(&["apply", "reviewed.json", "-f", "ecr.yaml"]);
    assert_eq!(
        edited.one_line_error(),
        "error: stale plan: the spec ecr.yaml is not the one the plan was made from (it \
         changed since, or the plan comes from another spec); run plan again",
        "{edited}"
    );
    // Without -f the spec the plan records is checked, and it is the same refusal.
    let recorded = h.ecrform(&["apply", "reviewed.json"]);
    assert_eq!(
        recorded.one_line_error(),
        edited.one_line_error(),
        "{recorded}"
    );
    let plan = h.ecrform(&[
        "plan",
        "-f",
        "ecr.yaml",
        "--detailed-exitcode",
        "--format",
        "json",
    ]);
    plan.exit(2);
    assert_eq!(
        changes(&plan.json()),
        [
            change(&app, "update", &["tags"]),
            change(&worker, "update", &["image_tag_mutability"]),
        ],
        "nothing of the refused plan was applied: {plan}"
    );
}

/// A saved plan is checked against what the spec means, not its bytes; a plan made by another
/// ecrform is refused; without the spec at hand it still applies, saying the spec was not
/// checked.
#[test]
fn a_saved_plan_checks_the_meaning_of_its_spec_and_the_ecrform_that_made_it() {
    let h = Harness::new("stale");
    h.ecrform(&["apply", "-f", "base.yaml", "--auto-approve"])
        .success();
    h.ecrform(&["plan", "-f", "ecr.yaml", "--out", "plan.json"])
        .success();

    // A comment and another order of the same keys: the same spec.
    h.dir.edit(
        "ecr.yaml",
        "      svc/app:\n        image_tag_mutability: MUTABLE\n        tags: {team: svc}",
        "      # reviewed in the pull request\n      svc/app:\n        tags: {team: svc}\n        \
         image_tag_mutability: MUTABLE",
    );

    // Another version's plan file is refused before anything is read, naming both versions.
    let text = h.dir.read("plan.json");
    let version = env!("CARGO_PKG_VERSION");
    h.dir.write(
        "other-version.json",
        &text.replace(
            &format!("\"ecrform_version\": \"{version}\""),
            "\"ecrform_version\": \"0.0.1\"",
        ),
    );
    let other = h.ecrform(&["apply", "other-version.json", "-f", "ecr.yaml"]);
    assert_eq!(
        other.one_line_error(),
        format!(
            "error: cannot use the plan file other-version.json: the plan was made by ecrform \
             0.0.1 and this is ecrform {version}; make the plan again with this version"
        ),
        "{other}"
    );

    // Applied where the spec is not (a pipeline with the artifact alone): said, and applied.
    h.dir.write("elsewhere/plan.json", &text);
    let alone = h.ecrform_in("elsewhere", &["apply", "plan.json"]);
    assert_eq!(alone.code, Some(0), "{alone}");
    assert_eq!(
        alone.stderr,
        "warning: the spec ecr.yaml the plan was made from is not here, so it was not \
         checked; applying the plan file as it was reviewed\n",
        "{alone}"
    );
    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(plan.stdout, NO_CHANGES, "{plan}");
}

/// The tampering fixture: app holds v1..v3 under a policy that keeps ten releases, and
/// `legacy/keep` is a repository nobody manages. `plan.json` is the reviewed plan of ecr.yaml
/// (app keeps five releases, so nothing expires; worker is created).
fn tampering_harness() -> Harness {
    let h = Harness::new("tamper");
    h.ecrform(&["apply", "-f", "base.yaml", "--auto-approve"])
        .success();
    h.put_images("app", &["v1", "v2", "v3"]);
    h.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        "legacy/keep",
    ]);
    h.ecrform(&["plan", "-f", "ecr.yaml", "--out", "plan.json"])
        .success();
    h
}

/// What the emulator holds after the tampering fixture was set up and nothing was written:
/// the three repositories, app's lifecycle policy still keeping ten releases.
fn assert_nothing_written(h: &Harness, after: &Run) {
    let repositories = h.repositories(&[]);
    assert_eq!(names(&repositories), ["app", "legacy/keep"], "{after}");
    let policy = h.aws(&["ecr", "get-lifecycle-policy", "--repository-name", "app"]);
    let text: Value =
        serde_json::from_str(policy["lifecyclePolicyText"].as_str().unwrap()).unwrap();
    assert_eq!(
        text["rules"][0]["selection"]["countNumber"].as_f64(),
        Some(10.0),
        "{after}"
    );
}

/// The position of the change at `address` in a saved plan's JSON.
fn change_index(plan: &Value, address: &str) -> usize {
    plan["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|change| change["address"] == address)
        .unwrap_or_else(|| panic!("no change at {address}: {plan}"))
}

/// Every lifecycle rule under `value` (documents and document texts alike) keeps one image.
fn keep_one_release(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            if fields.get("countNumber").is_some() {
                fields.insert("countNumber".into(), Value::from(1));
            }
            fields.values_mut().for_each(keep_one_release);
        }
        Value::Array(items) => items.iter_mut().for_each(keep_one_release),
        Value::String(text) if text.contains("countNumber") => {
            let mut document: Value = serde_json::from_str(text).unwrap();
            keep_one_release(&mut document);
            *text = document.to_string();
        }
        _ => {}
    }
}

/// Applying a saved plan runs what its changes make and nothing else: a call added,
/// retargeted or edited, a change added or edited, a fingerprint removed, or another spec's
/// plan, is refused naming what differs, and nothing is written.
#[test]
fn an_edited_saved_plan_is_refused_and_writes_nothing() {
    let h = tampering_harness();
    let lifecycle = address(REGISTRY, "lifecycle_policy/app");
    let worker = address(REGISTRY, "repository/worker");
    let keep_policy = address(REGISTRY, "lifecycle_policy/legacy/keep");
    let reviewed: Value = serde_json::from_str(&h.dir.read("plan.json")).unwrap();
    let at = change_index(&reviewed, &lifecycle);
    let changed = |problem: &str| {
        format!(
            "error: the plan file tampered.json was changed after it was made: {problem}; \
             nothing was written"
        )
    };
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit, String)> = vec![
        (
            "an extra force delete of an unmanaged repository",
            Box::new(move |plan| {
                plan["calls"][at]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!(
                        {"call": "DeleteRepository", "repository": "legacy/keep", "force": true}
                    ));
            }),
            changed(&format!(
                "{lifecycle}: the calls are not the ones the change makes"
            )),
        ),
        (
            "an extra registry policy",
            Box::new(move |plan| {
                plan["calls"][at]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!(
                        {"call": "PutRegistryPolicy", "text": REGISTRY_POLICY_WITH_OTHER_SID}
                    ));
            }),
            changed(&format!(
                "{lifecycle}: the calls are not the ones the change makes"
            )),
        ),
        (
            "a retargeted call",
            Box::new(move |plan| {
                plan["calls"][at][0]["repository"] = Value::from("legacy/keep");
            }),
            changed(&format!(
                "{lifecycle}: the calls are not the ones the change makes"
            )),
        ),
        (
            "an edited lifecycle text",
            Box::new(move |plan| keep_one_release(&mut plan["calls"][at])),
            changed(&format!(
                "{lifecycle}: the calls are not the ones the change makes"
            )),
        ),
        (
            "an edited change and its calls",
            Box::new(move |plan| {
                keep_one_release(&mut plan["calls"][at]);
                keep_one_release(&mut plan["plan"]["changes"][at]["after"]);
            }),
            changed(&format!(
                "{lifecycle}: the change is not the one the spec plans"
            )),
        ),
        (
            // An expire-everything policy on the unmanaged repository, whose live policy is
            // as unread as the repository to create (so the fingerprint copied from it holds).
            "an added change",
            Box::new({
                let (keep, worker) = (keep_policy.clone(), worker.clone());
                move |plan| {
                    let mut added = plan["plan"]["changes"][at].clone();
                    keep_one_release(&mut added["after"]);
                    added["address"] = Value::from(keep.as_str());
                    added["action"] = Value::from("create");
                    added["before"] = Value::Null;
                    plan["plan"]["changes"].as_array_mut().unwrap().push(added);
                    let mut calls = plan["calls"][at].clone();
                    keep_one_release(&mut calls);
                    calls[0]["repository"] = Value::from("legacy/keep");
                    plan["calls"].as_array_mut().unwrap().push(calls);
                    plan["fingerprints"][keep.as_str()] = plan["fingerprints"][&worker].clone();
                }
            }),
            changed(&format!("{keep_policy}: the spec plans no such change")),
        ),
        (
            "a removed fingerprint",
            Box::new({
                let lifecycle = lifecycle.clone();
                move |plan| {
                    plan["fingerprints"]
                        .as_object_mut()
                        .unwrap()
                        .remove(&lifecycle);
                }
            }),
            changed(&format!("{lifecycle} has no live fingerprint")),
        ),
    ];
    for (what, edit, error) in &edits {
        let mut plan = reviewed.clone();
        edit(&mut plan);
        h.dir.write(
            "tampered.json",
            &serde_json::to_string_pretty(&plan).unwrap(),
        );
        let refused = h.ecrform(&["apply", "tampered.json", "-f", "ecr.yaml"]);
        assert_eq!(refused.one_line_error(), error, "{what}: {refused}");
        assert_nothing_written(&h, &refused);
    }

    // Another spec's plan for the same registry is not the reviewed one.
    h.ecrform(&["plan", "-f", "other.yaml", "--out", "other.json"])
        .success();
    let other = h.ecrform(&["apply", "other.json", "-f", "ecr.yaml"]);
    assert_eq!(
        other.one_line_error(),
        "error: stale plan: the spec ecr.yaml is not the one the plan was made from (it \
         changed since, or the plan comes from another spec); run plan again",
        "{other}"
    );
    assert_nothing_written(&h, &other);

    // The reviewed plan itself applies, and leaves nothing to do.
    let apply = h.ecrform(&["apply", "plan.json", "-f", "ecr.yaml"]);
    apply.success();
    assert_eq!(
        apply.stdout,
        applied_report(&[("update", lifecycle), ("create", worker)], 2),
        "{apply}"
    );
    assert_eq!(
        h.ecrform(&["plan", "-f", "ecr.yaml"]).success().stdout,
        unmanaged_block("legacy/keep") + "No changes. Live state matches the spec.\n"
    );
}

/// A rewrite that keeps the file consistent (desired state, change, calls and spec
/// fingerprint edited together) passes every check an unsigned file allows where the spec
/// is not at hand; the gates still judge what will be sent. With `ECRFORM_PLAN_KEY`, plans
/// are signed and such a file is refused, as is an unsigned one.
#[test]
fn gates_judge_what_is_sent_and_a_signed_plan_cannot_be_rewritten() {
    let h = tampering_harness();
    let lifecycle = address(REGISTRY, "lifecycle_policy/app");
    let rewrite = |text: &str| {
        let mut plan: Value = serde_json::from_str(text).unwrap();
        keep_one_release(&mut plan["registries"]);
        let at = change_index(&plan, &lifecycle);
        keep_one_release(&mut plan["calls"][at]);
        keep_one_release(&mut plan["plan"]["changes"][at]["after"]);
        let saved =
            ecrform_plan::SavedPlan::from_json(&plan.to_string(), env!("CARGO_PKG_VERSION"))
                .unwrap();
        let ids: Vec<_> = saved
            .registries
            .iter()
            .map(|r| r.registry.clone())
            .collect();
        plan["spec"]["fingerprint"] =
            Value::from(ecrform_plan::spec_fingerprint(&saved.desired(), &ids));
        serde_json::to_string_pretty(&plan).unwrap()
    };
    h.dir.write(
        "elsewhere/rewritten.json",
        &rewrite(&h.dir.read("plan.json")),
    );
    let gated = h.ecrform_in("elsewhere", &["apply", "rewritten.json"]);
    assert_eq!(gated.code, Some(1), "{gated}");
    assert_eq!(
        gated.stderr,
        format!(
            "warning: the spec ecr.yaml the plan was made from is not here, so it was not \
             checked; applying the plan file as it was reviewed\n\
             error: the plan's lifecycle change on {lifecycle} would expire 2 image(s); pass \
             --allow-delete to apply it (nothing was written)\n"
        ),
        "{gated}"
    );
    assert_nothing_written(&h, &gated);

    // Signed plans: the same rewrite breaks the signature, and an unsigned plan is refused.
    const KEY: (&str, &str) = ("ECRFORM_PLAN_KEY", "a secret of the CI system");
    h.ecrform_with(
        &["plan", "-f", "ecr.yaml", "--out", "signed.json"],
        &[KEY],
        &[],
    )
    .success();
    assert!(h.dir.read("signed.json").contains("\"signature\": \""));
    h.dir.write(
        "elsewhere/rewritten.json",
        &rewrite(&h.dir.read("signed.json")),
    );
    for (file, error) in [
        (
            "rewritten.json",
            "error: cannot use the plan file rewritten.json: the plan file's signature does \
             not match ECRFORM_PLAN_KEY: it was changed after it was made, or made with \
             another key",
        ),
        (
            "../plan.json",
            "error: cannot use the plan file ../plan.json: the plan file is not signed, and \
             ECRFORM_PLAN_KEY is set: only a plan made with the key is applied",
        ),
    ] {
        let mut command = h.emulator.command(env!("CARGO_BIN_EXE_ecrform"));
        command
            .current_dir(h.dir.join("elsewhere"))
            .env(KEY.0, KEY.1);
        let refused = run(command, &["apply", file]);
        assert_eq!(refused.one_line_error(), error, "{refused}");
        assert_nothing_written(&h, &refused);
    }
    let empty = h.ecrform_with(&["apply", "signed.json"], &[("ECRFORM_PLAN_KEY", "")], &[]);
    assert_eq!(
        empty.one_line_error(),
        "error: ECRFORM_PLAN_KEY is set but empty (a CI secret the job cannot read expands to \
         nothing); set it to the key, or unset it to use unsigned plans",
        "{empty}"
    );

    // With the key a signed plan applies silently; without it, saying its signature was not
    // checked.
    h.ecrform_with(
        &["plan", "-f", "ecr.yaml", "--out", "signed.json"],
        &[KEY],
        &[],
    )
    .success();
    let apply = h.ecrform_with(&["apply", "signed.json", "-f", "ecr.yaml"], &[KEY], &[]);
    apply.success();
    assert!(
        apply.stdout.contains("Apply: 2 applied, 0 failed"),
        "{apply}"
    );
    h.ecrform_with(
        &["plan", "-f", "ecr.yaml", "--out", "signed.json"],
        &[KEY],
        &[],
    )
    .success();
    let unchecked = h.ecrform(&["apply", "signed.json", "-f", "ecr.yaml"]);
    assert_eq!(unchecked.code, Some(0), "{unchecked}");
    assert_eq!(
        unchecked.stderr,
        "warning: the plan file signed.json is signed, but ECRFORM_PLAN_KEY is not set, so \
         its signature was not checked\n",
        "{unchecked}"
    );
}

const HAND_WRITTEN_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"ecr:BatchGetImage"}]}"#;

/// A replace interrupted after its delete (the process killed, or its create failed) leaves
/// the recovery record; the next plan creates the repository again with what the record kept
/// and the spec does not manage, says so, and apply restores it and removes the record.
#[test]
fn the_recovery_record_of_an_interrupted_replace_restores_what_the_spec_does_not_manage() {
    let h = Harness::new("recovery");
    let app = address(REGISTRY, "repository/svc/app");
    h.ecrform(&["apply", "--auto-approve"]).success();
    h.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        "svc/app",
        "--policy-text",
        HAND_WRITTEN_POLICY,
    ]);
    // What apply writes before a replace's delete: the repository as it was read.
    let snapshotted = h.ecrform(&["snapshot", "--out", "snapshot.json"]);
    assert_eq!(snapshotted.code, Some(0), "{snapshotted}");
    let snapshot: Value = serde_json::from_str(&h.dir.read("snapshot.json")).unwrap();
    let state = snapshot["registries"][0]["repositories"]["svc/app"].clone();
    assert!(state["repository_policy"].is_object(), "{snapshot}");
    let record = serde_json::json!({
        "recovery_version": 1,
        "entries": [{"registry": REGISTRY, "repository": "svc/app", "state": state}]
    });
    h.dir.write(
        ".ecrform-recovery.json",
        &serde_json::to_string_pretty(&record).unwrap(),
    );
    // The replace deleted it, and went no further.
    h.aws(&[
        "ecr",
        "delete-repository",
        "--repository-name",
        "svc/app",
        "--force",
    ]);

    let plan = h.ecrform(&["plan"]);
    plan.success();
    assert!(
        plan.stdout.contains(&format!(
            "+ create {app}\n    restores what an interrupted replace deleted, from the \
             recovery record: repository policy\n"
        )),
        "{plan}"
    );
    let json = h.ecrform(&["plan", "--format", "json"]);
    assert_eq!(
        json.json()["changes"][0]["restores"],
        "what an interrupted replace deleted, from the recovery record: repository policy",
        "{json}"
    );

    h.ecrform(&["apply", "--auto-approve"]).success();
    let policy = h.aws(&[
        "ecr",
        "get-repository-policy",
        "--repository-name",
        "svc/app",
    ]);
    let text: Value = serde_json::from_str(policy["policyText"].as_str().unwrap()).unwrap();
    assert_eq!(text["Statement"][0]["Sid"], "pull", "{policy}");
    assert!(!h.dir.join(".ecrform-recovery.json").exists());
    assert_eq!(h.ecrform(&["plan"]).success().stdout, NO_CHANGES);

    // A record that is not one is an error naming its place, before anything is read.
    h.dir.write(
        ".ecrform-recovery.json",
        "{\"recovery_version\": 1, \"entries\": {}}",
    );
    let broken = h.ecrform(&["plan"]);
    assert!(
        broken
            .one_line_error()
            .starts_with("error: .ecrform-recovery.json:1:35: not an ecrform recovery record"),
        "{broken}"
    );
}

/// The owned-elsewhere entries of a JSON plan: `(address, owner)`.
fn owned_elsewhere(plan: &Value) -> Vec<(String, String)> {
    plan["owned_elsewhere"]
        .as_array()
        .map(|owned| {
            owned
                .iter()
                .map(|o| {
                    (
                        o["address"].as_str().unwrap().to_owned(),
                        o["owner"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Two specs that share a registry and both prune never delete each other's repositories:
/// each tags what it creates with its owner id and lists the other's as owned elsewhere. A
/// spec that declares an owner id takes over what it created as the legacy owner.
#[test]
fn specs_that_share_a_registry_prune_only_their_own_repositories() {
    let h = Harness::new("owners");
    let repository = |name: &str| address(REGISTRY, &format!("repository/{name}"));
    h.ecrform(&["apply", "-f", "legacy.yaml", "--auto-approve"])
        .success();

    // Declaring an owner: team-a/api, still in the spec, becomes team-a's; team-a/old, which
    // left the spec as it did, stays the legacy owner's and is not pruned.
    let moving = h.ecrform(&["plan", "-f", "team-a.yaml", "--format", "json"]);
    moving.success();
    let report = moving.json();
    assert_eq!(
        changes(&report),
        [
            change(&repository("team-a/api"), "update", &["owner"]),
            change(
                &repository("team-a/web"),
                "create",
                &[
                    "image_tag_mutability",
                    "image_tag_mutability_exclusions",
                    "tags"
                ]
            ),
        ],
        "{moving}"
    );
    assert_eq!(
        owned_elsewhere(&report),
        [(repository("team-a/old"), "true".to_owned())]
    );
    h.ecrform(&["apply", "-f", "team-a.yaml", "--auto-approve"])
        .success();
    let tags = h.aws(&[
        "ecr",
        "list-tags-for-resource",
        "--resource-arn",
        &repository_arn("team-a/api"),
    ]);
    assert!(
        tags["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"Key": "ecrform:managed", "Value": "team-a"})),
        "{tags}"
    );

    // The other spec creates its own and leaves team-a's alone, and so does team-a after it:
    // before owner ids, each apply deleted the other spec's repositories.
    h.ecrform(&["apply", "-f", "team-b.yaml", "--auto-approve"])
        .success();
    for (spec, others) in [
        (
            "team-a.yaml",
            vec![
                (repository("team-a/old"), "true".to_owned()),
                (repository("team-b/jobs"), "team-b".to_owned()),
            ],
        ),
        (
            "team-b.yaml",
            vec![
                (repository("team-a/api"), "team-a".to_owned()),
                (repository("team-a/old"), "true".to_owned()),
                (repository("team-a/web"), "team-a".to_owned()),
            ],
        ),
    ] {
        let plan = h.ecrform(&[
            "plan",
            "-f",
            spec,
            "--format",
            "json",
            "--detailed-exitcode",
        ]);
        plan.success();
        assert!(changes(&plan.json()).is_empty(), "{plan}");
        assert_eq!(owned_elsewhere(&plan.json()), others, "{plan}");
        let text = h.ecrform(&["plan", "-f", spec]);
        assert!(
            text.success().stdout.contains(
                "Owned by another spec (its ownership tag names another owner id; never touched):\n"
            ),
            "{text}"
        );
        h.ecrform(&["apply", "-f", spec, "--auto-approve"])
            .success();
    }
    assert_eq!(
        names(&h.repositories(&[])),
        ["team-a/api", "team-a/old", "team-a/web", "team-b/jobs"]
    );

    // Without an owner id, prune warns that specs declaring none are one owner.
    h.dir.write(
        "legacy-pruning.yaml",
        &h.dir.read("legacy.yaml").replace(
            "    region: us-east-1\n",
            "    region: us-east-1\n    prune: true\n",
        ),
    );
    let warned = h.ecrform(&["validate", "-f", "legacy-pruning.yaml"]);
    assert_eq!(warned.code, Some(0), "{warned}");
    assert!(
        warned.stderr.starts_with(
            "warning: legacy-pruning.yaml:6:5: prune without an owner id: specs that share \
             this registry and declare none are one owner"
        ),
        "{warned}"
    );
}

/// Two applies of one spec at once end with one clear outcome: whichever creates a
/// repository first, the other finds it as planned and counts it applied, and nothing fails.
#[test]
fn two_concurrent_applies_of_one_spec_both_succeed_and_converge() {
    let h = Harness::new("owners");
    let mut spec = String::from(
        "version: 1\nowner: many\nregistries:\n  - account: \"123456789012\"\n    region: \
         us-east-1\n    prune: true\n    repositories:\n",
    );
    for i in 0..24 {
        spec.push_str(&format!(
            "      many/r{i:02}: {{image_tag_mutability: IMMUTABLE, tags: {{n: \"{i}\"}}}}\n"
        ));
    }
    h.dir.write("many.yaml", &spec);
    let args = [
        "apply",
        "-f",
        "many.yaml",
        "--auto-approve",
        "--format",
        "json",
    ];
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| h.ecrform(&args));
        let second = scope.spawn(|| h.ecrform(&args));
        (first.join().unwrap(), second.join().unwrap())
    });
    let mut found = 0;
    for run in [&first, &second] {
        assert_eq!(run.code, Some(0), "{run}");
        let report = run.json();
        for result in report["results"].as_array().unwrap() {
            assert_eq!(result["status"], "applied", "{run}");
            found += usize::from(result.get("found").is_some());
        }
    }
    // How the two interleave is up to the scheduler; what each reports is not.
    eprintln!("two concurrent applies: {found} change(s) found already done");
    assert_eq!(names(&h.repositories(&[])).len(), 24);
    let plan = h.ecrform(&["plan", "-f", "many.yaml", "--detailed-exitcode"]);
    assert_eq!(plan.success().stdout, NO_CHANGES);
}

// ---------------------------------------------------------------------------------------------
// 5. Accounts and regions
// ---------------------------------------------------------------------------------------------

#[test]
fn one_spec_manages_two_accounts_and_two_regions() {
    let h = Harness::new("multi");
    let other = "210987654321/us-east-1";

    let only_other = h.ecrform(&[
        "plan",
        "-f",
        "ecr.yaml",
        "--registry",
        other,
        "--detailed-exitcode",
        "--format",
        "json",
    ]);
    only_other.exit(2);
    assert_eq!(
        changes(&only_other.json()),
        [change(
            &format!("{other}/repository/team-c/app"),
            "create",
            &[
                "image_tag_mutability",
                "image_tag_mutability_exclusions",
                "scan_on_push",
                "tags"
            ]
        )],
        "{only_other}"
    );

    let apply = h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"]);
    apply.success();
    let created: Vec<(&str, String)> = [
        "123456789012/eu-west-1/repository/shared/base",
        "123456789012/us-east-1/repository/shared/base",
        "123456789012/us-east-1/repository/shared/tools",
        "210987654321/us-east-1/repository/team-c/app",
    ]
    .iter()
    .map(|address| ("create", (*address).to_owned()))
    .collect();
    assert!(
        apply.stdout.ends_with(&applied_report(&created, 4)),
        "{apply}"
    );

    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(plan.stdout, NO_CHANGES, "{plan}");
    let only_other = h.ecrform(&[
        "plan",
        "-f",
        "ecr.yaml",
        "--registry",
        other,
        "--detailed-exitcode",
    ]);
    only_other.success();
    assert_eq!(only_other.stdout, NO_CHANGES, "{only_other}");

    // Each repository is in its own account and region, and nowhere else.
    let eu = h.repositories(&["--region", "eu-west-1"]);
    assert_eq!(names(&eu), ["shared/base"]);
    assert_eq!(
        eu["shared/base"]["repositoryArn"],
        "arn:aws:ecr:eu-west-1:123456789012:repository/shared/base"
    );
    assert_eq!(
        repository_settings(&eu["shared/base"]),
        ("MUTABLE".into(), vec![], false)
    );
    let us = h.repositories(&[]);
    assert_eq!(names(&us), ["shared/base", "shared/tools"]);
    assert_eq!(
        repository_settings(&us["shared/base"]),
        ("IMMUTABLE".into(), vec![], false)
    );
    let other_env = h
        .emulator
        .env_for_account("210987654321")
        .unwrap_or_else(|error| panic!("{error}"));
    let theirs = by_name(
        &h.emulator
            .aws_with_env(&other_env, &["ecr", "describe-repositories"])
            .unwrap_or_else(|error| panic!("{error}")),
    );
    assert_eq!(names(&theirs), ["team-c/app"]);
    assert_eq!(
        theirs["team-c/app"]["repositoryArn"],
        "arn:aws:ecr:us-east-1:210987654321:repository/team-c/app"
    );
    assert_eq!(
        repository_settings(&theirs["team-c/app"]),
        ("IMMUTABLE".into(), vec![], true)
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Prune and the gates
// ---------------------------------------------------------------------------------------------

#[test]
fn deletes_replaces_and_unattended_applies_need_their_flags() {
    let h = Harness::new("prune");
    let a = address(REGISTRY, "repository/team/a");
    let b = address(REGISTRY, "repository/team/b");

    // Not on a terminal, apply does not ask: it needs --auto-approve.
    let unattended = h.ecrform(&["apply", "-f", "ecr.yaml"]);
    let error = unattended.one_line_error();
    assert!(error.contains("--auto-approve"), "{unattended}");
    assert_eq!(names(&h.repositories(&[])), Vec::<&str>::new());

    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();
    h.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        "manual/thing",
    ]);

    // team/b leaves the spec: ecrform created it, so prune deletes it; manual/thing is not
    // ecrform's and is only reported.
    let plan = h.ecrform(&["plan", "-f", "without-b.yaml"]);
    plan.success();
    assert!(
        plan.stdout.starts_with(
            "ecrform plan — 0 to create, 0 to update, 0 to replace, 1 to delete · registries: 1\n"
        ),
        "{plan}"
    );
    assert!(
        plan.stdout.contains(&format!(
            "Destructive changes (1):\n  - delete {b}: left the spec and is pruned: deletes the \
             repository; holds no images\n"
        )),
        "{plan}"
    );
    assert!(
        plan.stdout
            .contains(&format!("\n- delete {b} (holds no images)\n")),
        "{plan}"
    );
    assert!(
        plan.stdout.ends_with(&format!(
            "{}Plan: 0 to create, 0 to update, 0 to replace, 1 to delete.\n",
            unmanaged_block("manual/thing")
        )),
        "{plan}"
    );
    let plan = h.ecrform(&["plan", "-f", "without-b.yaml", "--format", "json"]);
    plan.success();
    let report = plan.json();
    assert_eq!(
        changes(&report),
        [change(
            &b,
            "delete",
            &[
                "image_tag_mutability",
                "image_tag_mutability_exclusions",
                "scan_on_push",
                "encryption",
                "tags"
            ]
        )],
        "{plan}"
    );
    assert_eq!(report["changes"][0]["destructive"], true, "{plan}");
    assert_eq!(
        strings(&report["unmanaged"]),
        [address(REGISTRY, "repository/manual/thing")],
        "{plan}"
    );

    let refused = h.ecrform(&["apply", "-f", "without-b.yaml", "--auto-approve"]);
    let error = refused.one_line_error();
    assert!(error.contains("--allow-delete"), "{refused}");
    assert!(error.contains(&b), "{refused}");
    assert_eq!(
        names(&h.repositories(&[])),
        ["manual/thing", "team/a", "team/b"]
    );

    let delete = h.ecrform(&[
        "apply",
        "-f",
        "without-b.yaml",
        "--auto-approve",
        "--allow-delete",
    ]);
    delete.success();
    assert!(
        delete
            .stdout
            .ends_with(&applied_report(&[("delete", b.clone())], 1)),
        "{delete}"
    );
    assert_eq!(names(&h.repositories(&[])), ["manual/thing", "team/a"]);

    // Encryption cannot change in place: a replace, which --allow-delete does not cover.
    let key = h.aws(&["kms", "create-key"])["KeyMetadata"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    h.aws(&[
        "kms",
        "create-alias",
        "--alias-name",
        "alias/team-a",
        "--target-key-id",
        &key,
    ]);
    let refused = h.ecrform(&[
        "apply",
        "-f",
        "kms.yaml",
        "--auto-approve",
        "--allow-delete",
    ]);
    let error = refused.one_line_error();
    assert!(error.contains("--allow-replace"), "{refused}");
    assert!(error.contains(&a), "{refused}");
    let replace = h.ecrform(&[
        "apply",
        "-f",
        "kms.yaml",
        "--auto-approve",
        "--allow-replace",
    ]);
    assert_eq!(replace.code, Some(0), "{replace}");
    assert_eq!(
        replace.stderr,
        "kept in .ecrform-recovery.json what the replace of 1 repository(ies) must restore, \
         should apply be interrupted\n",
        "{replace}"
    );
    assert!(
        replace
            .stdout
            .ends_with(&applied_report(&[("replace", a.clone())], 2)),
        "{replace}"
    );
    assert!(
        !h.dir.join(".ecrform-recovery.json").exists(),
        "the record goes once the repository exists again"
    );
    let repositories = h.repositories(&[]);
    assert_eq!(names(&repositories), ["manual/thing", "team/a"]);
    let encryption = &repositories["team/a"]["encryptionConfiguration"];
    assert_eq!(encryption["encryptionType"], "KMS", "{encryption}");
    let plan = h.ecrform(&["plan", "-f", "kms.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(
        plan.stdout,
        format!("{}{NO_CHANGES}", unmanaged_block("manual/thing")),
        "{plan}"
    );
}

/// Creates a KMS key behind `alias` in the emulator; its ARN.
fn kms_key_with_alias(h: &Harness, alias: &str) -> String {
    let key = h.aws(&["kms", "create-key"])["KeyMetadata"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    h.aws(&[
        "kms",
        "create-alias",
        "--alias-name",
        alias,
        "--target-key-id",
        &key,
    ]);
    key
}

/// Keys are compared as KMS resolves them: the alias the spec names against the key the
/// repository has. Rotating the alias is a replace naming both keys, and an alias KMS does
/// not have is a spec error at the encryption that names it.
#[test]
fn kms_aliases_are_resolved_so_a_key_rotation_is_a_replace_naming_both_keys() {
    let h = Harness::new("kms");
    let a = kms_key_with_alias(&h, "alias/team-a");
    let b = kms_key_with_alias(&h, "alias/team-b");
    let secure = address(REGISTRY, "repository/team/secure");

    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();
    let again = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    again.success();
    assert_eq!(again.stdout, NO_CHANGES, "{again}");

    let rotated = h.ecrform(&[
        "plan",
        "-f",
        "rotated.yaml",
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    rotated.exit(2);
    let report = rotated.json();
    let change = &report["changes"][0];
    assert_eq!(change["address"], secure.as_str(), "{rotated}");
    assert_eq!(change["action"], "replace", "{rotated}");
    assert_eq!(
        change["replace_reason"],
        format!("encryption KMS ({a}, from alias/team-a) -> KMS ({b}, from alias/team-b)"),
        "{rotated}"
    );

    // Spec problems are FILE:LINE:COLUMN lines, as validate prints them; nothing is planned.
    let missing = h.ecrform(&["plan", "-f", "missing.yaml"]);
    assert_eq!(missing.code, Some(1), "{missing}");
    assert_eq!(
        missing.stderr,
        "missing.yaml:8:9: kms_key alias/nope does not exist in registry \
         123456789012/us-east-1 (KMS DescribeKey found no such key or alias)\n",
        "{missing}"
    );
    assert_eq!(missing.stdout, "", "{missing}");
}

/// A manifest the emulator accepts for `put-image`; no layer is ever uploaded.
const IMAGE_MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}"#;

#[test]
fn prune_deletes_neither_an_adopted_repository_nor_one_that_holds_images() {
    let h = Harness::new("prune");
    let b = address(REGISTRY, "repository/team/b");

    // team/a exists before the spec names it: ecrform adopts it (updates it) but does not own it.
    h.aws(&["ecr", "create-repository", "--repository-name", "team/a"]);
    let apply = h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"]);
    apply.success();
    assert!(
        apply.stdout.ends_with(&applied_report(
            &[
                ("update", address(REGISTRY, "repository/team/a")),
                ("create", b.clone())
            ],
            3
        )),
        "{apply}"
    );
    h.aws(&[
        "ecr",
        "put-image",
        "--repository-name",
        "team/b",
        "--image-tag",
        "v1",
        "--image-manifest",
        IMAGE_MANIFEST,
    ]);

    let plan = h.ecrform(&["plan", "-f", "nothing.yaml", "--format", "json"]);
    plan.success();
    let report = plan.json();
    assert_eq!(
        report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|change| (
                change["address"].as_str().unwrap(),
                change["action"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [(b.as_str(), "delete")],
        "{plan}"
    );
    assert_eq!(
        strings(&report["unmanaged"]),
        [address(REGISTRY, "repository/team/a")],
        "{plan}"
    );
    // The plan says what the delete destroys, and that it cannot succeed as planned.
    assert_eq!(report["changes"][0]["images"]["count"], 1, "{plan}");
    assert!(report["changes"][0]["images"]["bytes"].is_u64(), "{plan}");
    let text = h.ecrform(&["plan", "-f", "nothing.yaml", "--detailed-exitcode"]);
    text.exit(2);
    assert!(
        text.stdout
            .contains(&format!("- delete {b} (holds 1 image, ")),
        "{text}"
    );
    assert!(
        text.stdout
            .contains("    ! would fail: holds 1 image and force_delete is not set\n"),
        "{text}"
    );

    // Without force_delete ECR would refuse the delete: apply refuses first, whatever the
    // flags, and writes nothing.
    let apply = h.ecrform(&[
        "apply",
        "-f",
        "nothing.yaml",
        "--auto-approve",
        "--allow-delete",
    ]);
    assert_eq!(
        apply.one_line_error(),
        format!(
            "error: {b} would fail: holds 1 image and force_delete is not set; set \
             force_delete: true on the repository in the spec (for a pruned repository, prune: \
             {{enabled: true, force_delete: true}} on its registry) (nothing was written)"
        ),
        "{apply}"
    );
    assert_eq!(names(&h.repositories(&[])), ["team/a", "team/b"]);

    // The registry's prune may force the deletes of what left the spec.
    let forced = h.ecrform(&[
        "apply",
        "-f",
        "nothing-forced.yaml",
        "--auto-approve",
        "--allow-delete",
    ]);
    forced.success();
    assert!(
        forced
            .stdout
            .ends_with(&applied_report(&[("delete", b.clone())], 1)),
        "{forced}"
    );
    assert_eq!(names(&h.repositories(&[])), ["team/a"]);
}

/// [`IMAGE_MANIFEST`] with its config digest ending in `last`: a distinct image per value.
fn image_manifest(last: char) -> String {
    let mut manifest = IMAGE_MANIFEST.to_owned();
    let end = manifest.find("\"},\"layers\"").unwrap();
    manifest.replace_range(end - 1..end, &last.to_string());
    manifest
}

#[test]
fn plan_previews_the_images_a_new_lifecycle_policy_expires_and_apply_asks_for_allow_delete() {
    let h = Harness::new("image-preview");
    let lifecycle = address(REGISTRY, "lifecycle_policy/app");
    h.ecrform(&["apply", "-f", "bare.yaml", "--auto-approve"])
        .success();
    h.put_images("app", &["v1", "v2", "v3"]);

    // The policy keeps the newest v* image: the two others, kept today, would be expired.
    let plan = h.ecrform(&["plan", "--format", "json"]);
    plan.success();
    let report = plan.json();
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{plan}");
    let change = &changes[0];
    assert_eq!(change["address"], lifecycle.as_str(), "{plan}");
    assert_eq!(change["action"], "create", "{plan}");
    assert_eq!(change["destructive"], true, "{plan}");
    let preview = &change["image_preview"];
    assert_eq!(
        (
            &preview["images"],
            &preview["expire"],
            &preview["transition"]
        ),
        (&Value::from(3), &Value::from(2), &Value::from(0)),
        "{plan}"
    );
    let examples = strings(&preview["examples"]);
    assert_eq!(examples.len(), 2, "{plan}");
    assert!(
        examples
            .iter()
            .all(|tag| ["v1", "v2", "v3"].contains(&tag.as_str())),
        "{plan}"
    );

    let text = h.ecrform(&["plan"]);
    text.success();
    assert!(
        text.stdout.contains(&format!(
            "+ create {lifecycle}\n    ! would expire 2 image(s) and archive 0 that the current \
             policy keeps (of 3 read): "
        )),
        "{text}"
    );

    // Applying it needs the same consent as a delete, and nothing is written without it.
    let refused = h.ecrform(&["apply", "--auto-approve"]);
    assert_eq!(
        refused.one_line_error(),
        format!(
            "error: the plan's lifecycle change on {lifecycle} would expire 2 image(s); pass \
             --allow-delete to apply it (nothing was written)"
        ),
        "{refused}"
    );
    let unchanged = h.ecrform(&["plan", "--format", "json"]);
    assert_eq!(unchanged.json()["changes"].as_array().unwrap().len(), 1);

    // Without the preview the images are not read and the change is an ordinary create.
    let unread = h.ecrform(&["plan", "--format", "json", "--no-image-preview"]);
    unread.success();
    let change = &unread.json()["changes"][0];
    assert!(change.get("image_preview").is_none(), "{unread}");
    assert_eq!(change["destructive"], false, "{unread}");

    h.ecrform(&["apply", "--auto-approve", "--allow-delete"])
        .success();
    assert_eq!(h.ecrform(&["plan"]).success().stdout, NO_CHANGES);
}

// ---------------------------------------------------------------------------------------------
// 7. Export and snapshot
// ---------------------------------------------------------------------------------------------

/// What export and snapshot warn against the emulator, which does not implement these reads:
/// they leave such settings out instead of failing.
const EMULATOR_GAPS: &str = "\
warning: registry 123456789012/us-east-1: the endpoint does not support pull-through cache rules (DescribePullThroughCacheRules answered HTTP 500); left out
warning: registry 123456789012/us-east-1: the endpoint does not support repository creation templates (DescribeRepositoryCreationTemplates answered HTTP 500); left out
warning: registry 123456789012/us-east-1: the endpoint does not support account settings (GetAccountSetting answered HTTP 500); left out
warning: registry 123456789012/us-east-1: the endpoint does not support signing configurations (GetSigningConfiguration answered HTTP 500); left out
warning: registry 123456789012/us-east-1: the endpoint does not support pull-time update exclusions (ListPullTimeUpdateExclusions answered HTTP 500); left out
";

/// A plan's text before its guardrails section, which must hold only findings that are there
/// already: an exported spec says nothing of guardrails, so its plans judge the registry by
/// the recommended profile, and export changes nothing to judge.
fn without_existing_findings(plan: &Run) -> &str {
    match plan.stdout.find("\nGuardrails (recommended): ") {
        Some(start) => {
            let section = &plan.stdout[start..];
            assert!(
                section.contains(": 0 introduced by this change, ")
                    && section.contains(" 0 resolved; 0 error(s)\n"),
                "{plan}"
            );
            &plan.stdout[..start]
        }
        None => &plan.stdout,
    }
}

#[test]
fn an_exported_spec_and_a_snapshot_plan_no_changes() {
    let h = Harness::new("full");
    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();
    // A repository made by hand, with settings of every kind export writes.
    h.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        "legacy/thing",
        "--image-tag-mutability",
        "IMMUTABLE",
        "--tags",
        "Key=team,Value=legacy",
        "Key=cost-center,Value=0042",
    ]);
    h.aws(&[
        "ecr",
        "put-lifecycle-policy",
        "--repository-name",
        "legacy/thing",
        "--lifecycle-policy-text",
        r#"{"rules":[{"rulePriority":5,"selection":{"tagStatus":"tagged","tagPrefixList":["rc","beta"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#,
    ]);
    let every = [
        "legacy/thing",
        "team-a/api",
        "team-a/web",
        "team-b/batch",
        "team-b/tools",
    ];

    // To stdout, from a directory without a spec: what adopting a registry starts with.
    h.dir.write("adopt/.keep", "");
    let export = h.ecrform(&["export", "--registry", REGISTRY, "-f", "adopt/ecr.yaml"]);
    assert_eq!(export.code, Some(0), "{export}");
    assert_eq!(export.stderr, EMULATOR_GAPS, "{export}");
    for name in every {
        assert!(
            export.stdout.contains(&format!("\n    {name}:\n")),
            "{export}"
        );
    }
    h.dir.write("adopt/ecr.yaml", &export.stdout);
    let plan = h.ecrform(&["plan", "-f", "adopt/ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(without_existing_findings(&plan), NO_CHANGES, "{plan}");

    // Into a directory, with every policy document in a file of its own.
    let export = h.ecrform(&["export", "--registry", REGISTRY, "--out-dir", "exported"]);
    assert_eq!(export.code, Some(0), "{export}");
    assert_eq!(export.stdout, "", "{export}");
    assert_eq!(
        export.stderr,
        format!("{EMULATOR_GAPS}wrote 7 file(s) under exported\n"),
        "{export}"
    );
    let documents = |kind: &str| {
        std::fs::read_dir(h.dir.join(&format!("exported/policies/{kind}")))
            .unwrap()
            .count()
    };
    assert_eq!(
        documents("lifecycle"),
        3,
        "legacy/thing, team-a/api, team-b/batch"
    );
    assert_eq!(
        documents("repository"),
        3,
        "team-a/api, team-a/web, team-b/batch"
    );
    let spec = h.dir.read("exported/ecr.yaml");
    assert!(
        !spec.contains("rulePriority"),
        "a lifecycle policy is inline:\n{spec}"
    );
    assert!(!spec.contains("Statement:"), "a policy is inline:\n{spec}");
    let plan = h.ecrform(&["plan", "-f", "exported/ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(without_existing_findings(&plan), NO_CHANGES, "{plan}");

    // Only a prefix: the rest is unmanaged by the exported spec.
    let export = h.ecrform(&["export", "--registry", REGISTRY, "--prefix", "team-b/"]);
    assert_eq!(export.code, Some(0), "{export}");
    assert_eq!(export.stderr, EMULATOR_GAPS, "{export}");
    for name in every {
        assert_eq!(
            export.stdout.contains(&format!("\n    {name}:\n")),
            name.starts_with("team-b/"),
            "{name}: {export}"
        );
    }
    h.dir.write("team-b.yaml", &export.stdout);
    let plan = h.ecrform(&[
        "plan",
        "-f",
        "team-b.yaml",
        "--detailed-exitcode",
        "--format",
        "json",
    ]);
    plan.success();
    let report = plan.json();
    assert!(changes(&report).is_empty(), "{plan}");
    assert_eq!(
        strings(&report["unmanaged"]),
        ["legacy/thing", "team-a/api", "team-a/web"]
            .map(|name| address(REGISTRY, &format!("repository/{name}"))),
        "{plan}"
    );

    // A snapshot of live state plans like live state, without reaching ECR.
    let snapshot = h.ecrform(&["snapshot", "-f", "ecr.yaml", "--out", "live.json"]);
    assert_eq!(snapshot.code, Some(0), "{snapshot}");
    assert_eq!(
        snapshot.stderr,
        format!("{EMULATOR_GAPS}wrote live.json: 1 registry, 5 repositories\n"),
        "{snapshot}"
    );
    let plan = h.ecrform(&[
        "plan",
        "-f",
        "ecr.yaml",
        "--state",
        "live.json",
        "--detailed-exitcode",
        "--endpoint-url",
        "http://127.0.0.1:9",
    ]);
    plan.success();
    assert_eq!(
        plan.stdout,
        format!("{}{NO_CHANGES}", unmanaged_block("legacy/thing")),
        "{plan}"
    );
}

/// A spec whose result fails a guardrail at error level is refused by `apply` before any
/// write, with the finding at its line.
#[test]
fn apply_refuses_a_public_policy_and_writes_nothing() {
    let h = Harness::new("guardrails");
    h.dir.edit(
        "ecr.yaml",
        "Principal: {AWS: \"210987654321\"}",
        "Principal: \"*\"",
    );
    let apply = h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"]);
    assert_eq!(apply.code, Some(1), "{apply}");
    assert!(
        apply.stderr.ends_with(
            "guardrails: 1 error(s) after this plan; nothing was written\n\
             ecr.yaml:24:9: [public-access] repository policy: statement \"ProductionPulls\" \
             allows principal * with no condition on aws:PrincipalOrgID, aws:PrincipalAccount, \
             aws:SourceAccount or a similar key\n"
        ),
        "{apply}"
    );
    assert!(h.repositories(&[]).is_empty(), "{apply}");
}

/// `audit` over the emulator: every repository of the registry is judged, the one made by
/// hand (unmanaged) too, nothing is written, and the exit code follows error findings.
#[test]
fn audit_judges_every_live_repository_unmanaged_ones_too_and_writes_nothing() {
    let h = Harness::new("guardrails");
    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();
    let audit = h.ecrform(&["audit", "-f", "ecr.yaml"]);
    assert_eq!(audit.code, Some(0), "{audit}");
    assert_eq!(audit.stderr, EMULATOR_GAPS, "{audit}");
    assert!(
        audit.stdout.ends_with(
            "Audit (recommended): 3 subject(s), 0 error(s), 0 warning(s), 0 excepted.\n"
        ),
        "{audit}"
    );

    // Made by hand: mutable, not scanned, no lifecycle policy, no owner tag, open to everyone.
    h.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        "legacy/thing",
    ]);
    h.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        "legacy/thing",
        "--policy-text",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Everyone","Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#,
    ]);
    let before = h.repositories(&[]);
    let audit = h.ecrform(&["audit", "-f", "ecr.yaml"]);
    assert_eq!(audit.code, Some(2), "{audit}");
    assert_eq!(audit.stderr, EMULATOR_GAPS, "{audit}");
    insta::assert_snapshot!("e2e_audit_text", audit.stdout);

    let json = h.ecrform(&["audit", "-f", "ecr.yaml", "--format", "json"]);
    assert_eq!(json.code, Some(2), "{json}");
    let report = json.json();
    assert_eq!(
        report["summary"],
        serde_json::json!({"errors": 1, "warnings": 4, "excepted": 0}),
        "{json}"
    );
    let legacy = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["repository"] == "legacy/thing")
        .unwrap();
    assert_eq!(legacy["rules"]["public-access"], "fail", "{json}");
    assert_eq!(legacy["rules"]["lifecycle-policy"], "fail", "{json}");

    let sarif = h.ecrform(&["audit", "-f", "ecr.yaml", "--format", "sarif"]);
    assert_eq!(sarif.code, Some(2), "{sarif}");
    let sarif = sarif.json();
    let rule_ids: BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        rule_ids,
        BTreeSet::from([
            "lifecycle-policy",
            "public-access",
            "required-tags",
            "scanning",
            "tag-immutability"
        ])
    );

    // Read-only: the repositories and the open policy are as they were.
    assert_eq!(h.repositories(&[]), before);
    let policy = h.aws(&[
        "ecr",
        "get-repository-policy",
        "--repository-name",
        "legacy/thing",
    ]);
    assert!(
        policy["policyText"].as_str().unwrap().contains("Everyone"),
        "{policy}"
    );

    // Without the open policy nothing is at error level: exit 0, the warnings still shown.
    h.aws(&[
        "ecr",
        "delete-repository-policy",
        "--repository-name",
        "legacy/thing",
    ]);
    let audit = h.ecrform(&["audit", "-f", "ecr.yaml"]);
    assert_eq!(audit.code, Some(0), "{audit}");
    assert!(
        audit.stdout.ends_with(
            "Audit (recommended): 4 subject(s), 0 error(s), 4 warning(s), 0 excepted.\n"
        ),
        "{audit}"
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Errors reaching ECR
// ---------------------------------------------------------------------------------------------

const READ_ERROR: &str = "error: cannot read registry 123456789012/us-east-1: ";

#[test]
fn an_unreachable_endpoint_is_a_one_line_error() {
    let h = Harness::new("one-repository.yaml");
    // Port 9 (discard) is closed here: every connection is refused.
    let plan = h.ecrform_with(
        &["plan", "-f", "one-repository.yaml"],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
        &[],
    );
    let error = plan.one_line_error();
    assert!(error.starts_with(READ_ERROR), "{plan}");
    assert_eq!(plan.stdout, "", "{plan}");
}

#[test]
fn missing_credentials_are_a_one_line_error() {
    let h = Harness::new("one-repository.yaml");
    // The emulator's environment keeps the config files pointed at files that do not exist
    // and instance metadata off, so no credentials are found anywhere.
    let plan = h.ecrform_with(
        &["plan", "-f", "one-repository.yaml"],
        &[],
        &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
    );
    let error = plan.one_line_error();
    assert!(error.starts_with(READ_ERROR), "{plan}");
    assert!(error.to_lowercase().contains("credentials"), "{plan}");
    assert_eq!(plan.stdout, "", "{plan}");
}

#[test]
fn an_unknown_aws_profile_is_a_one_line_error() {
    let h = Harness::new("one-repository.yaml");
    let plan = h.ecrform_with(
        &["plan", "-f", "one-repository.yaml"],
        &[("AWS_PROFILE", "no-such-profile")],
        &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
    );
    let error = plan.one_line_error();
    assert!(error.starts_with(READ_ERROR), "{plan}");
    assert_eq!(plan.stdout, "", "{plan}");
}

/// A role STS refuses, or an STS that cannot be reached, is one line naming the role and what
/// went wrong (the SDK's own text ends in a Debug dump of STS's error).
#[test]
fn a_role_that_cannot_be_assumed_is_a_one_line_error() {
    const ROLE: &str = "arn:aws:iam::123456789012:role/ecr-admin";
    let h = Harness::new("one-repository.yaml");
    h.dir.edit(
        "one-repository.yaml",
        "    region: us-east-1\n",
        &format!("    region: us-east-1\n    role_arn: {ROLE}\n"),
    );
    let refusing = LoopbackEndpoint::start(LoopbackAnswer::sts_access_denied(ROLE)).unwrap();
    let cases = [
        (
            refusing.url().to_owned(),
            format!(
                "STS answered AccessDenied: User: arn:aws:iam::123456789012:user/ci is not \
                 authorized to perform: sts:AssumeRole on resource: {ROLE}"
            ),
        ),
        (
            // Port 9 (discard) is closed here: the connection is refused.
            "http://127.0.0.1:9".to_owned(),
            "STS could not be reached: Connection refused (os error 111)".to_owned(),
        ),
    ];
    for (sts, reason) in cases {
        let plan = h.ecrform_with(
            &["plan", "-f", "one-repository.yaml"],
            &[("AWS_ENDPOINT_URL_STS", &sts), ("AWS_MAX_ATTEMPTS", "1")],
            &[],
        );
        assert_eq!(
            plan.one_line_error(),
            format!(
                "{READ_ERROR}AssumeRoleFailed: cannot assume role {ROLE}: {reason}; check \
                 AWS_PROFILE, the credentials of the default chain and the registry's role_arn"
            ),
            "{plan}"
        );
        assert_eq!(plan.stdout, "", "{plan}");
    }
}

/// An endpoint that resets every connection: each request is retried, then one line says so.
#[test]
fn a_connection_reset_after_the_retries_is_a_one_line_error() {
    let h = Harness::new("one-repository.yaml");
    let resetting = LoopbackEndpoint::start(LoopbackAnswer::Reset).unwrap();
    let plan = h.ecrform_with(
        &["plan", "-f", "one-repository.yaml"],
        &[
            ("AWS_ENDPOINT_URL", resetting.url()),
            ("ECRFORM_READ_ATTEMPTS", "3"),
        ],
        &[],
    );
    assert_eq!(
        plan.one_line_error(),
        format!(
            "{READ_ERROR}EndpointUnreachable: Connection reset by peer (os error 104); check \
             --endpoint-url / AWS_ENDPOINT_URL and the network"
        ),
        "{plan}"
    );
    assert_eq!(resetting.connections(), 3, "every attempt was made");
}

/// An endpoint that accepts the connection and never answers: with the default timeouts the
/// command fails in under 30 seconds, with one line that says what happened and what to raise.
#[test]
fn a_silent_endpoint_fails_within_the_operation_timeout() {
    let h = Harness::new("one-repository.yaml");
    let silent = LoopbackEndpoint::start(LoopbackAnswer::Silent).unwrap();
    let started = std::time::Instant::now();
    let plan = h.ecrform_with(
        &["plan", "-f", "one-repository.yaml"],
        &[("AWS_ENDPOINT_URL", silent.url())],
        &[],
    );
    let took = started.elapsed();
    let error = plan.one_line_error();
    assert!(error.starts_with(READ_ERROR), "{plan}");
    assert!(
        error.contains("Timeout")
            && error.ends_with(
                "the endpoint took the request and did not answer in time: check it, or \
                 raise --attempt-timeout / --operation-timeout"
            ),
        "{plan}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    // The attempt timeout (10 s) cut the first attempt, and the operation timeout (25 s) the
    // retries.
    assert!(
        (2..=3).contains(&silent.connections()),
        "{}",
        silent.connections()
    );
    // Both limits can be lowered.
    let started = std::time::Instant::now();
    let plan = h.ecrform_with(
        &[
            "plan",
            "-f",
            "one-repository.yaml",
            "--attempt-timeout",
            "300ms",
        ],
        &[
            ("AWS_ENDPOINT_URL", silent.url()),
            ("ECRFORM_OPERATION_TIMEOUT", "2s"),
        ],
        &[],
    );
    assert!(plan.one_line_error().contains("Timeout"), "{plan}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
// Regression: an unknown AWS_PROFILE was silently ignored when the environment held
// credentials, acting with whatever account those belonged to.
fn an_unknown_aws_profile_is_an_error_even_with_credentials_in_the_environment() {
    let h = Harness::new("one-repository.yaml");
    let plan = h.ecrform_with(
        &["plan", "-f", "one-repository.yaml"],
        &[("AWS_PROFILE", "no-such-profile")],
        &[],
    );
    let error = plan.one_line_error();
    assert!(error.contains("no-such-profile"), "{plan}");
}

const REGISTRY_POLICY_WITH_OTHER_SID: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"SomeoneElse","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":["ecr:CreateRepository","ecr:ReplicateImage"],"Resource":"arn:aws:ecr:us-east-1:123456789012:repository/*"}]}"#;

#[test]
fn registry_policy_replication_and_scanning_are_applied_and_their_drift_is_named() {
    let h = Harness::new("registry");
    let apply = h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"]);
    apply.success();
    // A registry that was never configured scans BASIC: scanning is an update.
    for (action, kind) in [
        ("+ create", "registry_policy"),
        ("+ create", "replication"),
        ("~ update", "scanning"),
    ] {
        let line = format!("applied  {action} {REGISTRY}/{kind}\n");
        assert!(apply.stdout.contains(&line), "{kind}: {apply}");
    }
    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(plan.stdout, NO_CHANGES, "{plan}");

    // What ECR holds now, seen by a second client.
    let scanning = h.aws(&["ecr", "get-registry-scanning-configuration"]);
    assert_eq!(
        scanning["scanningConfiguration"]["scanType"], "ENHANCED",
        "{scanning}"
    );
    let registry = h.aws(&["ecr", "describe-registry"]);
    let destinations = &registry["replicationConfiguration"]["rules"][0]["destinations"];
    assert_eq!(destinations.as_array().map(Vec::len), Some(2), "{registry}");

    // Three out-of-band changes, one to each document.
    // (The emulator fails a scanning configuration without rules, so the change has one.)
    h.aws(&[
        "ecr",
        "put-registry-scanning-configuration",
        "--scan-type",
        "BASIC",
        "--rules",
        r#"[{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"*","filterType":"WILDCARD"}]}]"#,
    ]);
    h.aws(&[
        "ecr",
        "put-replication-configuration",
        "--replication-configuration",
        r#"{"rules":[{"destinations":[{"region":"eu-central-1","registryId":"123456789012"}]}]}"#,
    ]);
    h.aws(&[
        "ecr",
        "put-registry-policy",
        "--policy-text",
        REGISTRY_POLICY_WITH_OTHER_SID,
    ]);

    let drift = h.ecrform(&["drift", "-f", "ecr.yaml", "--format", "json"]);
    drift.exit(2);
    let report = drift.json();
    let addresses: BTreeSet<String> = report["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|changed| changed["address"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = ["registry_policy", "replication", "scanning"]
        .map(|kind| address(REGISTRY, kind))
        .into();
    assert_eq!(addresses, expected, "{drift}");
    assert_eq!(
        report["summary"],
        serde_json::json!({"changed": 3, "missing": 0, "unmanaged": 0, "ignored": 0}),
        "{drift}"
    );

    let apply = h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"]);
    apply.success();
    assert!(
        apply
            .stdout
            .ends_with("Apply: 3 applied, 0 failed, 0 skipped; 3 API writes.\n"),
        "{apply}"
    );
    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
    plan.success();
    assert_eq!(plan.stdout, NO_CHANGES, "{plan}");
}

#[test]
fn a_setting_the_endpoint_does_not_implement_stops_apply_before_any_write() {
    let h = Harness::new("registry/unsupported.yaml");
    let apply = h.ecrform(&["apply", "-f", "unsupported.yaml", "--auto-approve"]);
    assert_eq!(
        apply.one_line_error(),
        "error: cannot read registry 123456789012/us-east-1: DescribePullThroughCacheRules: the \
         endpoint does not support pull-through cache rules (DescribePullThroughCacheRules \
         answered HTTP 500); remove pull_through_cache from the spec for this registry or use a \
         real ECR endpoint",
        "{apply}"
    );
    assert!(h.repositories(&[]).is_empty(), "nothing may be written");
}

#[test]
fn signing_and_pull_time_exclusions_the_endpoint_lacks_stop_apply_before_any_write() {
    let cases = [
        (
            "signing",
            "GetSigningConfiguration: the endpoint does not support signing configurations \
             (GetSigningConfiguration answered HTTP 500); remove signing_configuration from the \
             spec for this registry or use a real ECR endpoint",
        ),
        (
            "exclusions",
            "ListPullTimeUpdateExclusions: the endpoint does not support pull-time update \
             exclusions (ListPullTimeUpdateExclusions answered HTTP 500); remove \
             pull_time_update_exclusions from the spec for this registry or use a real ECR \
             endpoint",
        ),
    ];
    for (fixture, error) in cases {
        let file = format!("unsupported-{fixture}.yaml");
        let h = Harness::new(&format!("registry/{file}"));
        let apply = h.ecrform(&["apply", "-f", &file, "--auto-approve"]);
        assert_eq!(
            apply.one_line_error(),
            format!("error: cannot read registry 123456789012/us-east-1: {error}"),
            "{apply}"
        );
        assert!(h.repositories(&[]).is_empty(), "nothing may be written");
    }
}

// ---------------------------------------------------------------------------------------------
// Seeing what it does: -v, ECRFORM_LOG and --log-format on stderr, never on stdout.
// ---------------------------------------------------------------------------------------------

/// The `aws call` log lines of a text log, and the operation each names.
fn logged_operations(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|line| line.contains(" aws call "))
        .map(|line| {
            line.split_whitespace()
                .find_map(|field| field.strip_prefix("operation="))
                .unwrap_or_else(|| panic!("a call without its operation: {line}"))
                .to_owned()
        })
        .collect()
}

/// The summary line's text up to its wall time, which varies: `read 1 registry: 10 calls (0
/// retries, 0 throttled)`.
fn summary_counts(line: &str) -> &str {
    let (counts, time) = line
        .rsplit_once(" in ")
        .unwrap_or_else(|| panic!("not a summary line: {line}"));
    assert!(time.ends_with(" s"), "{line}");
    counts
}

#[test]
fn verbose_logs_every_aws_call_with_its_operation_and_sums_them_up_leaving_stdout_alone() {
    let h = Harness::new("full");
    let apply = h.ecrform(&["apply", "--auto-approve", "-v"]);
    assert_eq!(apply.code, Some(0), "{apply}");
    let lines: Vec<&str> = apply.stderr.lines().collect();
    let read_summary = lines
        .iter()
        .position(|line| line.starts_with("read 1 registry: "))
        .unwrap_or_else(|| panic!("no read summary: {apply}"));
    // Before the read summary, the reads: an empty registry is one DescribeRepositories.
    assert_eq!(
        logged_operations(&lines[..read_summary].join("\n")),
        ["DescribeRepositories"],
        "{apply}"
    );
    assert_eq!(
        summary_counts(lines[read_summary]),
        "read 1 registry: 1 call (0 retries, 0 throttled)"
    );
    // After it, every write, then the apply's summary as the last line.
    let writes = logged_operations(&lines[read_summary..].join("\n"));
    assert!(writes.iter().any(|op| op == "CreateRepository"), "{apply}");
    assert!(
        writes.iter().any(|op| op == "PutLifecyclePolicy"),
        "{apply}"
    );
    let report = apply.stdout.lines().last().unwrap();
    assert_eq!(
        report,
        format!(
            "Apply: {0} applied, 0 failed, 0 skipped; {1} API writes.",
            writes.len(),
            writes.len()
        ),
        "one write per change here: {apply}"
    );
    assert_eq!(
        summary_counts(lines.last().unwrap()),
        format!(
            "applied {0} of {0} changes: {0} calls (0 retries, 0 throttled)",
            writes.len()
        )
    );

    let quiet = h.ecrform(&["plan"]);
    quiet.success();
    let verbose = h.ecrform(&["plan", "-v"]);
    assert_eq!(verbose.code, Some(0), "{verbose}");
    assert_eq!(verbose.stdout, quiet.stdout, "-v changes nothing on stdout");
    let operations = logged_operations(&verbose.stderr);
    let read: BTreeSet<&str> = operations.iter().map(String::as_str).collect();
    for operation in [
        "DescribeRepositories",
        "ListTagsForResource",
        "GetLifecyclePolicy",
        "GetRepositoryPolicy",
    ] {
        assert!(
            read.contains(operation),
            "{operation} not logged: {verbose}"
        );
    }
    for line in verbose.stderr.lines().filter(|l| l.contains(" aws call ")) {
        for field in [
            "service=ECR ",
            "registry=123456789012/us-east-1 ",
            "attempt=1 ",
            "status=",
            "throttled=false ",
            "latency_ms=",
        ] {
            assert!(line.contains(field), "no {field:?} in {line}");
        }
    }
    let lines: Vec<&str> = verbose.stderr.lines().collect();
    assert_eq!(lines[0], "read 4 file(s) of spec", "{verbose}");
    assert_eq!(
        summary_counts(lines.last().unwrap()),
        format!(
            "read 1 registry: {} calls (0 retries, 0 throttled)",
            operations.len()
        ),
        "the summary counts every logged call: {verbose}"
    );
    assert_eq!(lines.len(), operations.len() + 2, "{verbose}");
}

#[test]
fn json_logs_are_one_object_a_line_with_the_call_fields_and_the_summary_counts() {
    let h = Harness::new("one-repository.yaml");
    let plan = h.ecrform(&[
        "plan",
        "-f",
        "one-repository.yaml",
        "-v",
        "--log-format",
        "json",
    ]);
    assert_eq!(plan.code, Some(0), "{plan}");
    assert!(
        plan.stdout.starts_with("ecrform plan — 1 to create, ")
            && plan.stdout.contains("\n+ create "),
        "{plan}"
    );
    let events: Vec<Value> = plan
        .stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}\n{plan}"))
        })
        .collect();
    assert_eq!(events.len(), 3, "note, call, summary: {plan}");
    for event in &events {
        assert!(event["timestamp"].is_string(), "{event}");
        assert_eq!(event["level"], "INFO", "{event}");
    }
    assert_eq!(events[0]["message"], "read 1 file(s) of spec");
    let call = &events[1];
    assert_eq!(call["message"], "aws call");
    assert_eq!(call["target"], "ecrform_aws::call_log");
    assert_eq!(call["service"], "ECR");
    assert_eq!(call["operation"], "DescribeRepositories");
    assert_eq!(call["registry"], REGISTRY);
    assert_eq!(call["attempt"], 1);
    assert_eq!(call["status"], 200);
    assert_eq!(call["throttled"], false);
    assert!(call["latency_ms"].is_u64(), "{call}");
    assert!(call.get("error").is_none(), "{call}");
    let summary = &events[2];
    assert_eq!(summary["target"], "ecrform");
    assert_eq!(
        (
            &summary["calls"],
            &summary["retries"],
            &summary["throttled"]
        ),
        (&Value::from(1), &Value::from(0), &Value::from(0))
    );
    assert!(summary["seconds"].is_f64(), "{summary}");
    assert!(
        summary["message"]
            .as_str()
            .unwrap()
            .starts_with("read 1 registry: 1 call (0 retries, 0 throttled) in "),
        "{summary}"
    );
}

#[test]
fn ecrform_log_decides_what_is_logged_with_or_without_verbose() {
    let h = Harness::new("one-repository.yaml");
    let args = ["plan", "-f", "one-repository.yaml"];
    let quiet = h.ecrform(&args);
    quiet.success();

    // Without -v: the calls the filter names and nothing else (no notes, no summary).
    let calls = h.ecrform_with(&args, &[("ECRFORM_LOG", "ecrform_aws=info")], &[]);
    assert_eq!(calls.code, Some(0), "{calls}");
    assert_eq!(calls.stdout, quiet.stdout);
    assert_eq!(calls.stderr.lines().count(), 1, "{calls}");
    assert_eq!(logged_operations(&calls.stderr), ["DescribeRepositories"]);

    // Debug adds the attempt as it is sent.
    let debug = h.ecrform_with(&args, &[("ECRFORM_LOG", "ecrform_aws=debug")], &[]);
    assert!(
        debug
            .stderr
            .lines()
            .any(|line| line.contains(" sending ")
                && line.contains("operation=DescribeRepositories")),
        "{debug}"
    );

    // With -v, a filter that leaves the calls out: -v's notes and summary stay.
    let mut verbose_args = args.to_vec();
    verbose_args.push("-v");
    let filtered = h.ecrform_with(&verbose_args, &[("ECRFORM_LOG", "ecrform_aws=warn")], &[]);
    assert_eq!(filtered.code, Some(0), "{filtered}");
    let lines: Vec<&str> = filtered.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{filtered}");
    assert_eq!(lines[0], "read 1 file(s) of spec");
    assert_eq!(
        summary_counts(lines[1]),
        "read 1 registry: 1 call (0 retries, 0 throttled)"
    );
}

// ---------------------------------------------------------------------------------------------
// Faults: the real binary through the fault proxy of the test kit (loopback only), with short
// timeouts so that a stalled request costs a second, not ten. Each test is a fixed set of
// seeds and runs, bounded in count and time.
// ---------------------------------------------------------------------------------------------

/// Timeouts for runs through the proxy: a stall is cut after a second.
const FAULT_TIMEOUTS: [(&str, &str); 2] = [
    ("ECRFORM_ATTEMPT_TIMEOUT", "1s"),
    ("ECRFORM_OPERATION_TIMEOUT", "20s"),
];

impl Harness {
    /// The binary reaching the emulator through `proxy`, in the working directory.
    fn through(&self, proxy: &Proxy) -> Command {
        let mut command = proxy.command(&self.emulator, env!("CARGO_BIN_EXE_ecrform"));
        command
            .env_remove("ECRFORM_LOG")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY");
        command.current_dir(&self.dir.path);
        command.envs(FAULT_TIMEOUTS);
        command
    }

    fn ecrform_through(&self, proxy: &Proxy, args: &[&str]) -> Run {
        run(self.through(proxy), args)
    }
}

/// The ownership tag and the spec's tags of a repository, as ECR holds them.
fn tags_of(h: &Harness, name: &str) -> BTreeMap<String, String> {
    let tags = h.aws(&[
        "ecr",
        "list-tags-for-resource",
        "--resource-arn",
        &repository_arn(name),
    ]);
    tags["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| {
            (
                tag["Key"].as_str().unwrap().to_owned(),
                tag["Value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Seeded faults at 20% of every request (500, 503, resets, stalls, answers lost after the
/// write was made) and a throttle: every seed converges within two applies, and then nothing
/// is missing (a plan without the proxy is empty), nothing is duplicated (each repository once,
/// its tags once) and nothing is wrongly deleted (a repository the spec does not name, and its
/// policy, are untouched).
#[test]
fn seeded_faults_at_20_percent_converge_within_two_applies_and_lose_nothing() {
    let kinds = [
        (FaultKind::ServerError, 2),
        (FaultKind::ServiceUnavailable, 2),
        (FaultKind::ConnectionReset, 2),
        (FaultKind::Stall, 1),
        (FaultKind::LostResponse, 3),
    ];
    for seed in [7, 11, 23] {
        let h = Harness::new("full");
        h.aws(&["ecr", "create-repository", "--repository-name", "keep/mine"]);
        h.aws(&[
            "ecr",
            "set-repository-policy",
            "--repository-name",
            "keep/mine",
            "--policy-text",
            HAND_WRITTEN_POLICY,
        ]);
        let proxy = Proxy::in_front_of(
            &h.emulator,
            ProxyConfig::transparent()
                .with_seed(seed)
                .with_throttle(Throttle::per_second(60.0))
                .with_faults(Faults::at_rate(0.2, &kinds)),
        )
        .unwrap();

        let apply = ["apply", "-f", "ecr.yaml", "--auto-approve"];
        let first = h.ecrform_through(&proxy, &apply);
        let runs = if first.code == Some(0) {
            vec![first]
        } else {
            assert_eq!(first.code, Some(1), "seed {seed}: {first}");
            let second = h.ecrform_through(&proxy, &apply);
            assert_eq!(second.code, Some(0), "seed {seed}: {first}\n{second}");
            vec![first, second]
        };
        let stats = proxy.stats();
        assert!(
            stats.faulted() > 0,
            "seed {seed}: no fault was injected: {stats:?}"
        );
        for run in &runs {
            assert!(!run.stderr.contains("panicked"), "seed {seed}: {run}");
        }

        // Nothing missing: without the proxy, the plan is empty.
        let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
        assert_eq!(
            plan.success().stdout,
            format!(
                "Unmanaged (exist but not in the spec, never touched):\n  \
                 {REGISTRY}/repository/keep/mine\n\n{NO_CHANGES}"
            ),
            "seed {seed}: {plan}"
        );
        // Nothing duplicated, nothing more: the spec's four and the one it does not name.
        let repositories = h.repositories(&[]);
        assert_eq!(
            names(&repositories),
            [
                "keep/mine",
                "team-a/api",
                "team-a/web",
                "team-b/batch",
                "team-b/tools"
            ],
            "seed {seed}"
        );
        assert_eq!(
            tags_of(&h, "team-b/tools").get("team").map(String::as_str),
            Some("b"),
            "seed {seed}"
        );
        // Nothing wrongly deleted or changed.
        let policy = h.aws(&[
            "ecr",
            "get-repository-policy",
            "--repository-name",
            "keep/mine",
        ]);
        assert!(
            policy["policyText"].as_str().unwrap().contains("\"pull\""),
            "seed {seed}: {policy}"
        );
        assert!(tags_of(&h, "keep/mine").is_empty(), "seed {seed}");
    }
}

/// Every non-idempotent write (create, the deletes of policies, a prune's delete) has its first
/// answer lost after the emulator made it: the retry meets "already exists" or "not found",
/// ecrform reads back, finds the change made, and counts it applied. One apply, exit 0.
#[test]
fn a_lost_answer_on_every_non_idempotent_call_is_found_done_and_not_a_failure() {
    let h = Harness::new("full");
    let lose_first_answers = || {
        Proxy::in_front_of(
            &h.emulator,
            ProxyConfig::transparent().with_faults(
                Faults::always(FaultKind::LostResponse)
                    .on(OperationFilter::NonIdempotentWrites)
                    .first_attempts_only(),
            ),
        )
        .unwrap()
    };
    let proxy = lose_first_answers();
    let created = h.ecrform_through(&proxy, &["apply", "-f", "ecr.yaml", "--auto-approve"]);
    created.success();
    let stats = proxy.stats();
    assert_eq!(
        stats.of(Operation::CreateRepository).faulted,
        4,
        "{stats:?}"
    );
    assert!(
        created.stdout.contains("(4 found already done)"),
        "{created}"
    );
    assert_eq!(h.repositories(&[]).len(), 4);

    // Removing a lifecycle policy and a repository policy, and pruning a repository.
    h.dir.write(
        "smaller.yaml",
        "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    \
         prune: true\n    repositories:\n      team-a/api:\n        lifecycle: none\n        \
         policy: none\n      team-a/web: {}\n      team-b/batch: {}\nguardrails: {profile: none}\n",
    );
    let proxy = lose_first_answers();
    let smaller = h.ecrform_through(
        &proxy,
        &[
            "apply",
            "-f",
            "smaller.yaml",
            "--auto-approve",
            "--allow-delete",
        ],
    );
    assert_eq!(smaller.code, Some(0), "{smaller}");
    assert!(
        smaller
            .stderr
            .starts_with("warning: smaller.yaml:5:5: prune without an owner id"),
        "{smaller}"
    );
    assert_eq!(smaller.stderr.lines().count(), 1, "{smaller}");
    let stats = proxy.stats();
    for operation in [
        Operation::DeleteLifecyclePolicy,
        Operation::DeleteRepositoryPolicy,
        Operation::DeleteRepository,
    ] {
        let counted = stats.of(operation);
        assert_eq!(counted.faulted, 1, "{operation:?}: {stats:?}");
        assert_eq!(
            counted.requests, 2,
            "{operation:?}: retried once: {stats:?}"
        );
    }
    assert!(smaller.stdout.contains("found already done"), "{smaller}");
    assert_eq!(
        names(&h.repositories(&[])),
        ["team-a/api", "team-a/web", "team-b/batch"]
    );
    let plan = h.ecrform(&["plan", "-f", "smaller.yaml", "--detailed-exitcode"]);
    assert_eq!(plan.code, Some(0), "{plan}");
    assert_eq!(plan.stdout, NO_CHANGES, "{plan}");
}

/// Reads are retried patiently: at 50% faults on every read, a plan still reads everything
/// and plans nothing on a registry in sync.
#[test]
fn a_plan_at_50_percent_read_faults_still_reads_everything() {
    let h = Harness::new("full");
    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();
    for seed in [3, 5] {
        let proxy = Proxy::in_front_of(
            &h.emulator,
            ProxyConfig::transparent().with_seed(seed).with_faults(
                Faults::at_rate(
                    0.5,
                    &[
                        (FaultKind::ServerError, 1),
                        (FaultKind::ServiceUnavailable, 1),
                        (FaultKind::ConnectionReset, 1),
                    ],
                )
                .on(OperationFilter::only(
                    Operation::ALL.iter().copied().filter(|op| op.is_read()),
                )),
            ),
        )
        .unwrap();
        let plan = h.ecrform_through(&proxy, &["plan", "-f", "ecr.yaml", "--detailed-exitcode"]);
        assert_eq!(plan.success().stdout, NO_CHANGES, "seed {seed}: {plan}");
        assert!(proxy.stats().faulted() >= 5, "{:?}", proxy.stats());
    }
}

/// `kill -9` in the middle of a replace, after its delete and while its create hangs: the
/// recovery record is on disk, and the next apply re-creates the repository with what the
/// spec does not manage (its hand-written policy) restored.
#[test]
fn an_apply_killed_in_the_middle_of_a_replace_is_finished_by_the_next() {
    let h = Harness::new("kms");
    kms_key_with_alias(&h, "alias/team-a");
    kms_key_with_alias(&h, "alias/team-b");
    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();
    h.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        "team/secure",
        "--policy-text",
        HAND_WRITTEN_POLICY,
    ]);
    let proxy = Proxy::in_front_of(
        &h.emulator,
        ProxyConfig::transparent().with_faults(
            Faults::always(FaultKind::Stall)
                .on(OperationFilter::only([Operation::CreateRepository])),
        ),
    )
    .unwrap();
    let mut command = h.through(&proxy);
    command
        .args([
            "apply",
            "-f",
            "rotated.yaml",
            "--auto-approve",
            "--allow-replace",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    while proxy.stats().of(Operation::CreateRepository).requests == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the replace never reached its create: {:?}",
            proxy.stats()
        );
        assert!(child.try_wait().unwrap().is_none(), "apply ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(proxy.stats().of(Operation::DeleteRepository).answered, 1);
    assert!(h.repositories(&[]).is_empty(), "the delete was made");
    assert!(h.dir.join(".ecrform-recovery.json").exists());
    drop(proxy);

    let plan = h.ecrform(&["plan", "-f", "rotated.yaml"]);
    assert!(
        plan.success().stdout.contains(
            "restores what an interrupted replace deleted, from the recovery record: \
             repository policy"
        ),
        "{plan}"
    );
    h.ecrform(&["apply", "-f", "rotated.yaml", "--auto-approve"])
        .success();
    let repository = &h.repositories(&[])["team/secure"];
    // The emulator keeps the key as it was given (ECR would report the key's ARN).
    assert_eq!(
        repository["encryptionConfiguration"]["kmsKey"],
        "alias/team-b"
    );
    let policy = h.aws(&[
        "ecr",
        "get-repository-policy",
        "--repository-name",
        "team/secure",
    ]);
    assert!(
        policy["policyText"].as_str().unwrap().contains("\"pull\""),
        "{policy}"
    );
    assert!(!h.dir.join(".ecrform-recovery.json").exists());
    let again = h.ecrform(&["plan", "-f", "rotated.yaml", "--detailed-exitcode"]);
    assert_eq!(again.success().stdout, NO_CHANGES, "{again}");
}

/// The steps of the GitHub Actions kit (examples/github-actions/) against the emulator, under
/// the runner's variables: plan.yml's signed plan with `--out`, apply.yml's apply of that saved
/// plan, drift.yml's drift. Each appends its Markdown report to the step summary after what
/// earlier steps wrote, while stdout keeps its own format.
#[test]
fn the_github_actions_steps_append_their_reports_to_the_step_summary() {
    let h = Harness::new("full");
    let summary = h.dir.join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let runner = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("ECRFORM_PLAN_KEY", "a secret of the CI system"),
    ];
    let read = || std::fs::read_to_string(&summary).unwrap();

    let plan = h.ecrform_with(
        &[
            "plan",
            "-f",
            "ecr.yaml",
            "--format",
            "markdown",
            "--out",
            "plan.json",
        ],
        &runner,
        &[],
    );
    plan.success();
    assert!(plan.stdout.contains("— 9 to create, 0 to update"), "{plan}");
    let after_plan = format!("earlier step\n{}\n", plan.stdout);
    assert_eq!(read(), after_plan);

    let apply = h.ecrform_with(&["apply", "plan.json", "-f", "ecr.yaml"], &runner, &[]);
    apply.success();
    let applied = read();
    let report = applied.strip_prefix(&after_plan).unwrap();
    assert!(
        report.starts_with("## ecrform apply\n\n| result | change | detail |\n"),
        "{report}"
    );
    assert_eq!(report.matches("| applied |").count(), 9, "{report}");
    // The text report on stdout, the Markdown one in the summary.
    assert!(!apply.stdout.contains("| applied |"), "{apply}");

    let drift = h.ecrform_with(
        &["drift", "-f", "ecr.yaml", "--format", "json"],
        &runner,
        &[],
    );
    drift.success();
    let report = read();
    let report = report.strip_prefix(&applied).unwrap();
    assert!(
        report.starts_with("<!-- ecrform:drift key=ecr.yaml -->\n## "),
        "{report}"
    );
    assert!(report.ends_with("\n\n"), "{report:?}");
}

/// What `access` prints for the `access` fixture's registry policy and repositories, under
/// `heading`, with `batch` for team-b/batch (whose policy the spec leaves out) and `extra`
/// lines for repositories outside the spec, in name order before team-a/.
fn access_matrix(heading: &str, extra: &str, api: &str, batch: &str) -> String {
    format!(
        "{heading}\n\n{REGISTRY}\n  registry policy:\n    111111111111 (account) can replicate into \
         the registry\n    111111111111 (account) can create repositories\n{extra}  team-a/api:\n\
         {api}  team-a/fn:\n    123456789012 (account) can pull\n    lambda.amazonaws.com \
         (service) can pull if aws:SourceArn matches \
         arn:aws:lambda:us-east-1:123456789012:function:team-a-*\n  team-a/shared:\n    * \
         (anyone in o-abc123def4) can pull\n  team-a/web:\n    arn:aws:iam::123456789012:role/ci \
         can pull unless aws:SecureTransport is false\n    arn:aws:iam::123456789012:role/ci can \
         push unless aws:SecureTransport is false\n  team-b/batch: {batch}\n"
    )
}

#[test]
fn access_live_reads_what_ecr_holds_and_a_plan_says_what_each_policy_change_does_to_access() {
    let h = Harness::new("access");
    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();
    let api_pull = "    210987654321 (account) can pull\n";
    let spec = h.ecrform(&["access", "-f", "ecr.yaml"]);
    spec.success();
    assert_eq!(
        spec.stdout,
        access_matrix(
            "Who can do what under the policies of the spec.",
            "",
            api_pull,
            "policy not in the spec (access --live reads it)"
        ),
        "{spec}"
    );

    // ECR holds what the spec says; the emulator has no creation templates, which are left
    // out with a warning.
    let live = h.ecrform(&["access", "-f", "ecr.yaml", "--live"]);
    assert_eq!(live.code, Some(0), "{live}");
    let live_heading = "Who can do what under the policies ECR holds.";
    let no_policy = "no policy: only this account's principals, through their IAM policies";
    assert_eq!(
        live.stdout,
        access_matrix(live_heading, "", api_pull, no_policy),
        "{live}"
    );
    assert_eq!(live.stderr.lines().count(), 1, "{live}");
    assert!(
        live.stderr
            .starts_with(&format!("warning: registry {REGISTRY}: "))
            && live.stderr.ends_with("; left out\n"),
        "{live}"
    );

    // Out of band: a public repository outside the spec, and team-a/api opened to another
    // account, which may now push as well.
    h.aws(&[
        "ecr",
        "create-repository",
        "--repository-name",
        "legacy/open",
    ]);
    h.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        "legacy/open",
        "--policy-text",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"public","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#,
    ]);
    h.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        "team-a/api",
        "--policy-text",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"CrossAccountPull","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::210987654321:root","arn:aws:iam::999999999999:root"]},"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:InitiateLayerUpload","ecr:UploadLayerPart","ecr:CompleteLayerUpload","ecr:PutImage"]}]}"#,
    ]);
    let live = h.ecrform(&["access", "-f", "ecr.yaml", "--live", "-q"]);
    live.success();
    assert_eq!(
        live.stdout,
        access_matrix(
            live_heading,
            "  legacy/open:\n    * (anyone) can pull\n",
            "    210987654321 (account) can pull\n    210987654321 (account) can push\n    \
             999999999999 (account) can pull\n    999999999999 (account) can push\n",
            no_policy
        ),
        "{live}"
    );

    // The plan that closes the gap says what it takes away, in text and in JSON.
    let plan = h.ecrform(&["plan", "-f", "ecr.yaml"]);
    plan.success();
    let lines = "    access:\n      - 210987654321 (account) can push\n      - 999999999999 \
                 (account) can pull\n      - 999999999999 (account) can push\n";
    assert!(
        plan.stdout.contains(&format!(
            "~ update {}\n{lines}",
            address(REGISTRY, "repository_policy/team-a/api")
        )),
        "{plan}"
    );
    let plan = h.ecrform(&["plan", "-f", "ecr.yaml", "--format", "json"]);
    plan.success();
    let report = plan.json();
    let api_policy = address(REGISTRY, "repository_policy/team-a/api");
    let change = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["address"] == api_policy.as_str())
        .unwrap_or_else(|| panic!("no change at {api_policy}: {plan}"));
    let access = &change["access"];
    assert_eq!(access["added"], serde_json::json!([]), "{plan}");
    let removed: Vec<String> = access["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|grant| grant["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        removed,
        [
            "210987654321 (account) can push",
            "999999999999 (account) can pull",
            "999999999999 (account) can push"
        ],
        "{plan}"
    );
}

/// The lifecycle preview's image reads start while the registry is still being read: the
/// images of the one repository whose lifecycle policy changes are listed as soon as that
/// repository is read, before the reads of the twenty after it are done.
#[test]
fn the_preview_lists_images_while_the_registry_is_still_being_read() {
    let h = Harness::new("one-repository.yaml");
    let keep = |count: u32| {
        format!(
            "{{rules: [{{rulePriority: 1, selection: {{tagStatus: any, countType: \
             imageCountMoreThan, countNumber: {count}}}, action: {{type: expire}}}}]}}"
        )
    };
    let mut spec = format!(
        "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    \
         repositories:\n      aa/changed:\n        lifecycle: {}\n",
        keep(5)
    );
    for i in 0..20 {
        spec.push_str(&format!(
            "      zz/r{i:02}:\n        tags: {{n: \"{i}\"}}\n"
        ));
    }
    h.dir.write("ecr.yaml", &spec);
    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();
    h.dir.write("ecr.yaml", &spec.replace(&keep(5), &keep(3)));

    let proxy = Proxy::in_front_of(&h.emulator, ProxyConfig::transparent()).unwrap();
    let plan = h.ecrform_through(&proxy, &["plan", "-f", "ecr.yaml", "--parallelism", "2"]);
    assert_eq!(plan.code, Some(0), "{plan}");
    assert!(
        plan.stdout
            .contains("~ update 123456789012/us-east-1/lifecycle_policy/aa/changed"),
        "{plan}"
    );
    let exchanges = proxy.exchanges();
    let position = |operation: &str| {
        exchanges
            .iter()
            .rposition(|exchange| exchange.operation == operation)
            .unwrap_or_else(|| panic!("no {operation}: {exchanges:?}"))
    };
    let listed = exchanges
        .iter()
        .position(|exchange| exchange.operation == "DescribeImages")
        .unwrap_or_else(|| panic!("no DescribeImages: {exchanges:?}"));
    assert_eq!(
        exchanges[listed].resource.as_deref(),
        Some("aa/changed"),
        "{exchanges:?}"
    );
    assert!(
        listed < position("ListTagsForResource"),
        "the images were listed after every repository was read: {exchanges:?}"
    );
}

/// What a create restores from the recovery record is written but covered by no fingerprint:
/// an unsigned saved plan whose restore was edited is refused, and writes nothing; the plan as
/// made applies.
#[test]
fn a_saved_plan_cannot_smuggle_a_restore_the_recovery_record_does_not_hold() {
    let h = Harness::new("recovery");
    h.ecrform(&["apply", "--auto-approve"]).success();
    h.aws(&[
        "ecr",
        "set-repository-policy",
        "--repository-name",
        "svc/app",
        "--policy-text",
        HAND_WRITTEN_POLICY,
    ]);
    let snapshotted = h.ecrform(&["snapshot", "--out", "snapshot.json"]);
    assert_eq!(snapshotted.code, Some(0), "{snapshotted}");
    let snapshot: Value = serde_json::from_str(&h.dir.read("snapshot.json")).unwrap();
    let state = snapshot["registries"][0]["repositories"]["svc/app"].clone();
    let record = serde_json::json!({
        "recovery_version": 1,
        "entries": [{"registry": REGISTRY, "repository": "svc/app", "state": state}]
    });
    h.dir.write(
        ".ecrform-recovery.json",
        &serde_json::to_string_pretty(&record).unwrap(),
    );
    h.aws(&[
        "ecr",
        "delete-repository",
        "--repository-name",
        "svc/app",
        "--force",
    ]);
    h.ecrform(&["plan", "--out", "plan.json"]).success();
    let made = h.dir.read("plan.json");
    assert!(
        made.contains("210987654321"),
        "the plan carries the restore: {made}"
    );

    h.dir
        .write("edited.json", &made.replace("210987654321", "999999999999"));
    let refused = h.ecrform(&["apply", "edited.json"]);
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(
        refused.stderr.contains(&format!(
            "what it restores to {REGISTRY}/repository/svc/app is not what the recovery record"
        )),
        "{refused}"
    );
    assert!(h.repositories(&[]).is_empty(), "nothing was written");

    h.ecrform(&["apply", "plan.json"]).success();
    let policy = h.aws(&[
        "ecr",
        "get-repository-policy",
        "--repository-name",
        "svc/app",
    ]);
    assert!(
        policy["policyText"]
            .as_str()
            .unwrap()
            .contains("210987654321"),
        "{policy}"
    );
}

/// `apply PLANFILE` without `-f` keeps the recovery record next to the spec the plan was made
/// from (here `infra/rotated.yaml`), where the next `plan` of that spec looks for it, not next
/// to the default spec of the directory apply runs in.
#[test]
fn a_plan_file_keeps_its_recovery_record_next_to_the_spec_it_was_made_from() {
    let h = Harness::new("kms");
    kms_key_with_alias(&h, "alias/team-a");
    kms_key_with_alias(&h, "alias/team-b");
    h.ecrform(&["apply", "-f", "ecr.yaml", "--auto-approve"])
        .success();
    h.dir
        .write("infra/rotated.yaml", &h.dir.read("rotated.yaml"));
    let planned = h.ecrform(&["plan", "-f", "infra/rotated.yaml", "--out", "plan.json"]);
    assert_eq!(planned.code, Some(0), "{planned}");
    // The replace's create never answers: apply gives up after its delete.
    let proxy = Proxy::in_front_of(
        &h.emulator,
        ProxyConfig::transparent().with_faults(
            Faults::always(FaultKind::Stall)
                .on(OperationFilter::only([Operation::CreateRepository])),
        ),
    )
    .unwrap();
    let mut command = h.through(&proxy);
    command.env("ECRFORM_OPERATION_TIMEOUT", "2s");
    let applied = run(command, &["apply", "plan.json", "--allow-replace"]);
    assert_eq!(applied.code, Some(1), "{applied}");
    assert!(
        h.dir.join("infra/.ecrform-recovery.json").exists(),
        "{applied}"
    );
    assert!(!h.dir.join(".ecrform-recovery.json").exists(), "{applied}");
    drop(proxy);
    let plan = h.ecrform(&["plan", "-f", "infra/rotated.yaml"]);
    assert!(
        plan.stdout
            .contains("restores what an interrupted replace deleted"),
        "{plan}"
    );
}
