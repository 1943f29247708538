//! Guardrails through the binary, on files: `validate` with located findings and exit codes,
//! exceptions that lapse or cover nothing, `plan` against a snapshot with its guardrails
//! section in every format, `audit` of a snapshot, and SARIF checked against the SARIF 2.1.0
//! JSON schema (vendored from the OASIS sarif-spec repository).
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too; a failure is a test failure

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ecrform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecrform"))
        .args(args)
        .current_dir(root().join("tests/fixtures/guardrails"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_ECR")
        .env_remove("ECRFORM_LOG")
        .env("NO_COLOR", "1")
        .output()
        .expect("the ecrform binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The SARIF 2.1.0 schema's verdict on a document: every error, or none.
fn sarif_schema_errors(document: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    validator
        .iter_errors(document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

#[test]
fn validate_prints_each_finding_at_the_setting_it_comes_from() {
    let output = ecrform(&["validate", "-f", "ecr.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("validate_warnings", stderr(&output));
}

#[test]
fn a_finding_from_defaults_points_at_defaults() {
    let dir = std::env::temp_dir().join(format!("ecrform-guardrails-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("ecr.yaml");
    std::fs::write(
        &spec,
        "version: 1\ndefaults:\n  image_tag_mutability: MUTABLE\n  scan_on_push: true\n  lifecycle: none\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    repositories:\n      team-a/api: {}\n",
    )
    .unwrap();
    let output = ecrform(&["validate", "-f", spec.to_str().unwrap()]);
    let stderr = stderr(&output);
    let file = spec.display();
    assert!(
        stderr.contains(&format!("warning: {file}:3:3: [tag-immutability] tags can be overwritten: image_tag_mutability is MUTABLE\n")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "warning: {file}:5:3: [lifecycle-policy] the repository has no lifecycle policy\n"
        )),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_error_finding_fails_validate_with_its_location() {
    let output = ecrform(&["validate", "-f", "public.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let stderr = stderr(&output);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.starts_with("warning: "))
        .collect();
    assert_eq!(
        errors,
        [
            "public.yaml:10:9: [public-access] repository policy: statement \"Everyone\" allows \
          principal * with no condition on aws:PrincipalOrgID, aws:PrincipalAccount, \
          aws:SourceAccount or a similar key"
        ]
    );
}

#[test]
fn a_lapsed_exception_is_an_error_and_an_unused_one_a_warning() {
    let output = ecrform(&["validate", "-f", "exceptions.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains("\nexceptions.yaml:8:14: the exception for naming expired on 2001-01-31; fix what it covers, or renew it with a later until\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: exceptions.yaml:9:7: the exception for scanning covers no finding (repositories nothing/*); remove it\n"),
        "{stderr}"
    );
    // The lapsed exception covers nothing: the naming findings show.
    assert!(
        stderr.contains("[naming] \"repo1\" is a generic name"),
        "{stderr}"
    );
}

#[test]
fn profile_none_turns_every_rule_off() {
    let dir = std::env::temp_dir().join(format!("ecrform-guardrails-none-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text =
        std::fs::read_to_string(root().join("tests/fixtures/guardrails/public.yaml")).unwrap();
    let spec = dir.join("ecr.yaml");
    std::fs::write(
        &spec,
        text.replace("version: 1\n", "version: 1\nguardrails: {profile: none}\n"),
    )
    .unwrap();
    let output = ecrform(&["validate", "-f", spec.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_sarif_is_valid_sarif_with_findings_on_their_lines() {
    for spec in ["ecr.yaml", "public.yaml"] {
        let output = ecrform(&["validate", "-f", spec, "--format", "sarif"]);
        let sarif: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let errors = sarif_schema_errors(&sarif);
        assert!(errors.is_empty(), "{spec}: {errors:#?}");
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty(), "{spec}");
        for result in results {
            let region = &result["locations"][0]["physicalLocation"]["region"];
            assert!(region["startLine"].as_u64().unwrap() > 0, "{result}");
            assert_eq!(
                result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                spec
            );
        }
    }
    let public = ecrform(&["validate", "-f", "public.yaml", "--format", "sarif"]);
    assert_eq!(public.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&public)).unwrap();
    let error = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "public-access")
        .unwrap();
    assert_eq!(error["level"], "error");
    assert_eq!(
        error["locations"][0]["physicalLocation"]["region"]["startLine"],
        10
    );
    assert_eq!(
        error["locations"][0]["physicalLocation"]["region"]["startColumn"],
        9
    );
}

#[test]
fn an_invalid_spec_is_sarif_too() {
    let corpus = root().join("tests/specs/invalid/57-guardrails-unknown-rule.yaml");
    let output = ecrform(&[
        "validate",
        "-f",
        corpus.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(sarif_schema_errors(&sarif).is_empty());
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "spec");
}

#[test]
fn a_schema_check_that_can_fail_does() {
    // The schema test is only worth something if the schema rejects what is not SARIF.
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal"}]}]});
    assert!(!sarif_schema_errors(&broken).is_empty());
}

#[test]
fn plan_ends_with_the_guardrails_section_in_every_format() {
    let args = |format| {
        vec![
            "plan",
            "-f",
            "ecr.yaml",
            "--state",
            "snapshot.json",
            "--format",
            format,
        ]
    };
    let text = ecrform(&args("text"));
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let text = stdout(&text);
    let section = &text[text.find("\nGuardrails").unwrap()..];
    insta::assert_snapshot!("plan_guardrails_text", section);
    let markdown = stdout(&ecrform(&args("markdown")));
    let section = &markdown[markdown.find("\n### Guardrails").unwrap()..];
    insta::assert_snapshot!("plan_guardrails_markdown", section);
    let json: serde_json::Value = serde_json::from_str(&stdout(&ecrform(&args("json")))).unwrap();
    insta::assert_json_snapshot!("plan_guardrails_json", json["findings"]);
}

#[test]
fn plan_with_an_error_finding_exits_1_and_saves_nothing() {
    let dir = std::env::temp_dir().join(format!("ecrform-guardrails-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("plan.json");
    let output = ecrform(&[
        "plan",
        "-f",
        "public.yaml",
        "--state",
        "snapshot.json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!out.exists(), "a plan with error findings was saved");
    assert!(
        stdout(&output).contains("error   [public-access]"),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("public.yaml:10:9: [public-access] repository policy"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn audit_of_a_snapshot_is_a_table_per_rule_and_repository() {
    let output = ecrform(&["audit", "-f", "ecr.yaml", "--state", "snapshot.json"]);
    // legacy/thing, which the spec does not manage, is public: an error, so exit 2.
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    insta::assert_snapshot!("audit_text", stdout(&output));
    let markdown = ecrform(&[
        "audit",
        "-f",
        "ecr.yaml",
        "--state",
        "snapshot.json",
        "--format",
        "markdown",
    ]);
    insta::assert_snapshot!("audit_markdown", stdout(&markdown));
    let json = ecrform(&[
        "audit",
        "-f",
        "ecr.yaml",
        "--state",
        "snapshot.json",
        "--format",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(2));
    // As written, so that the key order (format_version first, rules in rule order) shows.
    insta::assert_snapshot!("audit_json", stdout(&json));
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(json["summary"]["errors"], 1);
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&ecrform(&[
        "audit",
        "-f",
        "ecr.yaml",
        "--state",
        "snapshot.json",
        "--format",
        "sarif",
    ])))
    .unwrap();
    assert!(sarif_schema_errors(&sarif).is_empty());
    let public = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "public-access")
        .unwrap();
    // Not in the spec: named by its address only.
    assert_eq!(
        public["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "123456789012/us-east-1/repository/legacy/thing"
    );
    assert!(public["locations"][0].get("physicalLocation").is_none());
}

#[test]
fn audit_passes_with_exit_0_when_nothing_is_at_error_level() {
    let dir = std::env::temp_dir().join(format!("ecrform-guardrails-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snapshot =
        std::fs::read_to_string(root().join("tests/fixtures/guardrails/snapshot.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&snapshot).unwrap();
    let mut value = value;
    value["registries"][0]["repositories"]
        .as_object_mut()
        .unwrap()
        .remove("legacy/thing");
    let path = dir.join("snapshot.json");
    std::fs::write(&path, value.to_string()).unwrap();
    let output = ecrform(&["audit", "-f", "ecr.yaml", "--state", path.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sarif_is_refused_where_it_does_not_apply() {
    let output = ecrform(&[
        "plan",
        "-f",
        "ecr.yaml",
        "--state",
        "snapshot.json",
        "--format",
        "sarif",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: --format sarif applies to validate and audit; use text, markdown or json here\n"
    );
}

#[test]
fn the_readme_table_lists_every_rule_with_its_levels() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    // The rule table is the first table of the "Guardrails" section (other tables have
    // rows that start with a rule's id, such as `scanning`).
    let section = &readme[readme
        .find("\n## Guardrails\n")
        .expect("a Guardrails section")..];
    for rule in ecrform_guardrails::RULES {
        let row = section
            .lines()
            .find(|line| line.starts_with(&format!("| `{}` |", rule.id)))
            .unwrap_or_else(|| panic!("README has no row for {}", rule.id));
        assert!(
            row.ends_with(&format!("| {} | {} |", rule.recommended, rule.strict)),
            "{row}"
        );
        for anchor in rule.anchors {
            let id = anchor.split(' ').next_back().unwrap_or(anchor);
            let id = anchor.split(" (").next().unwrap_or(id);
            assert!(row.contains(id), "{row} lacks {anchor}");
        }
    }
}

/// Every rule has a spec that fails it and one that passes it, in
/// `tests/fixtures/guardrails/rules/RULE/{fail,pass}.yaml`: each turns every rule off but its
/// own (at error level), so `validate` exits 1 on the failing one with findings of that rule
/// only, at their lines, and 0 on the passing one with nothing to say.
#[test]
fn every_rule_fails_its_failing_spec_and_passes_its_passing_spec() {
    let mut failing = String::new();
    for rule in ecrform_guardrails::RULES {
        let fail = format!("rules/{}/fail.yaml", rule.id);
        let pass = format!("rules/{}/pass.yaml", rule.id);
        let output = ecrform(&["validate", "-f", &fail]);
        assert_eq!(output.status.code(), Some(1), "{fail}: {}", stderr(&output));
        let findings: Vec<String> = stderr(&output)
            .lines()
            .filter(|line| !line.starts_with("error: "))
            .map(str::to_owned)
            .collect();
        assert!(!findings.is_empty(), "{fail}");
        for line in &findings {
            assert!(
                line.starts_with(&format!("{fail}:"))
                    && line.contains(&format!(": [{}] ", rule.id)),
                "{fail}: a finding of another rule, or not located: {line}"
            );
        }
        failing.push_str(&format!("{}\n", findings.join("\n")));
        let output = ecrform(&["validate", "-f", &pass]);
        assert_eq!(output.status.code(), Some(0), "{pass}: {}", stderr(&output));
        assert_eq!(stderr(&output), "", "{pass}");
    }
    insta::assert_snapshot!("rules_failing_specs", failing);
}

#[test]
fn a_plan_that_prunes_a_protected_repository_exits_1_at_prune() {
    let output = ecrform(&["plan", "-f", "prune.yaml", "--state", "prune-snapshot.json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "guardrails: 1 error(s) after this plan; the plan cannot be applied\n\
         prune.yaml:12:5: [deletion-protection] the plan prunes the protected repository \
         team-a/api-prod, which left the spec\n"
    );
    // team-a/scratch is pruned too, and not protected: no finding.
    let stdout = stdout(&output);
    assert!(stdout.contains("- delete 123456789012/us-east-1/repository/team-a/scratch"));
    assert!(
        !stdout.contains("[deletion-protection] 123456789012/us-east-1/repository/team-a/scratch")
    );
}

/// The public way to hold a spec to `strict` (`Spec::strict_findings`) and a single document
/// (`strict_document_findings`), whatever the spec's own `guardrails:` says.
#[test]
fn strict_findings_of_a_spec_and_of_a_document() {
    let load = |name: &str| {
        let path = root().join("tests/fixtures/guardrails").join(name);
        ecrform_spec::load(&ecrform_spec::LoadOptions {
            path: &path,
            policies_dir: None,
        })
        .unwrap()
    };
    assert_eq!(load("exemplary.yaml").strict_findings(), []);
    // ecr.yaml says nothing of guardrails (recommended): strict finds more than validate
    // warns of, each located.
    let findings = load("ecr.yaml").strict_findings();
    let shown: Vec<String> = findings
        .iter()
        .map(|d| format!("{}:{} {}", d.line.unwrap(), d.column.unwrap(), d.message))
        .collect();
    assert!(
        shown.contains(&"25:7 [kms-encryption] it must be encrypted with KMS, and encryption is not set (ECR's default is AES256)".to_owned()),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .any(|line| line.starts_with("13:9 [lifecycle-any-count]")),
        "{shown:#?}"
    );
    let policy: serde_json::Value = serde_json::from_str(
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Push", "Effect": "Allow",
            "Principal": {"AWS": "210987654321"}, "Action": "ecr:PutImage"}]}"#,
    )
    .unwrap();
    let findings = ecrform_guardrails::strict_document_findings(
        ecrform_guardrails::JudgedDocument::RepositoryPolicy,
        &policy,
    )
    .unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule, ecrform_guardrails::RuleId::LeastPrivilege);
}

#[test]
fn audit_says_why_a_lapsed_exception_fails_it() {
    let output = ecrform(&["audit", "-f", "exceptions.yaml", "--state", "snapshot.json"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let stderr = stderr(&output);
    assert!(
        stderr.contains(
            "exceptions.yaml:8:14: the exception for naming expired on 2001-01-31; fix what it \
             covers, or renew it with a later until\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("warning: exceptions.yaml:9:7: the exception for scanning covers no finding"),
        "{stderr}"
    );
}

/// Every document of the built-in policy library (`policies/`, named `builtin/NAME` in a spec)
/// passes the strict guardrails; a template with the example vars it documents.
#[test]
fn every_builtin_policy_but_the_narrow_one_passes_the_strict_guardrails() {
    let library = ecrform_spec::builtin_policies();
    assert!(library.len() > 3, "the library is empty");
    let mut problems = Vec::new();
    for policy in library {
        let document = policy
            .instantiate(&policy.example_vars())
            .unwrap_or_else(|error| panic!("{}: {error}", policy.reference()));
        match ecrform_guardrails::strict_document_findings(policy.kind.into(), &document) {
            Ok(findings) => problems.extend(
                findings
                    .iter()
                    .map(|finding| format!("{}: {}", policy.reference(), finding.tagged_message())),
            ),
            Err(error) => problems.push(format!("{}: {error}", policy.reference())),
        }
    }
    // keep-semver-releases is narrow by design (it leaves every other image alone, as its
    // description says): under strict it needs an untagged rule next to it.
    assert_eq!(
        problems,
        [
            "builtin/keep-semver-releases: [lifecycle-untagged] the lifecycle policy never \
             expires untagged images (no untagged or any expire rule on standard storage, nor \
             one that expires them from archive)"
        ],
        "{}",
        problems.join("\n")
    );
}
