//! Fuzz tests of every parser of untrusted input, in the normal test suite: the spec loader,
//! the snapshot reader (`--state`), the saved-plan reader (`apply FILE`) and the lifecycle
//! preview's inputs (`--policy` as JSON or YAML, `--images`).
//!
//! Each target takes valid files from the repository and feeds a few hundred deterministic
//! mutants of them (see `ecrform_testkit::mutate`) to the library function the binary calls
//! for that input; driving the binary itself for each would take minutes. For every mutant:
//! no panic; every problem is one line of bounded length (a value a message quotes is cut);
//! and every problem is located, with a line and column inside the text, unless it is about
//! the file as a whole. Nothing here touches the network. `ECRFORM_FUZZ_CASES` raises the
//! number of mutants per target for a longer local run.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too; a failure is a test failure

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use ecrform_lifecycle::input;
use ecrform_lifecycle::locate::TextPosition;
use ecrform_model::Snapshot;
use ecrform_plan::SavedPlan;
use ecrform_spec::{Diagnostic, LoadOptions, LocatedDocument};
use ecrform_testkit::mutate::{Mutator, cases};

/// The longest problem a message may be: long enough for the longest lists of allowed values,
/// far shorter than a value a mutant can hold (up to 100,000 characters).
const LONGEST_MESSAGE: usize = 2_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap()
}

/// A problem's message is one line of bounded length.
fn check_message(target: &str, case: usize, message: &str) -> Result<(), String> {
    if message.is_empty() || message.contains('\n') || message.chars().count() > LONGEST_MESSAGE {
        let shown: String = message.chars().take(300).collect();
        return Err(format!(
            "{target} case {case}: a message of {} characters on {} line(s): {shown}",
            message.chars().count(),
            message.lines().count()
        ));
    }
    Ok(())
}

/// A position inside `text`: a line it has (or the one after its end), a column from 1.
fn check_position(
    target: &str,
    case: usize,
    text: &str,
    line: usize,
    column: usize,
) -> Result<(), String> {
    let lines = text.split('\n').count();
    if line == 0 || column == 0 || line > lines + 1 {
        return Err(format!(
            "{target} case {case}: position {line}:{column} outside a text of {lines} lines"
        ));
    }
    Ok(())
}

/// Runs `check` on `cases()` mutants of each of `originals`, each in a catch_unwind so that a
/// panic names its case and input; fails with every problem found.
fn fuzz(
    target: &str,
    seed: u64,
    originals: &[String],
    mut check: impl FnMut(usize, &str) -> Result<(), String>,
) {
    let mut mutator = Mutator::new(seed);
    let mut failures = Vec::new();
    for case in 0..cases() {
        let original = &originals[case % originals.len()];
        let mutant = mutator.mutate(original);
        match catch_unwind(AssertUnwindSafe(|| check(case, &mutant))) {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => failures.push(failure),
            Err(_) => {
                let shown: String = mutant.chars().take(500).collect();
                failures.push(format!("{target} case {case} panicked on: {shown:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What the spec loader reports without a position: only problems with a file as a whole.
fn is_about_the_whole_file(diagnostic: &Diagnostic) -> bool {
    [
        "cannot read",
        "the file is",
        "the spec directory",
        "the file name",
    ]
    .iter()
    .any(|lead| diagnostic.message.starts_with(lead))
}

/// Mutants of a spec that uses every feature, and of its named policy documents, loaded from a
/// directory as `validate` loads them.
#[test]
fn mangled_specs_are_diagnosed_never_panic() {
    let corpus = "tests/specs/valid";
    let documents = [
        "every-feature.yaml",
        "policies/lifecycle/standard.json",
        "policies/lifecycle/keep-last.yaml",
        "policies/repository/cross-account-pull.json",
        "policies/registry/allow-replication-from-build.json",
    ];
    let dir = std::env::temp_dir().join(format!("ecrform-fuzz-spec-{}", std::process::id()));
    for document in documents {
        let path = dir.join(document);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, read(&format!("{corpus}/{document}"))).unwrap();
    }
    let originals: Vec<String> = documents
        .iter()
        .map(|document| format!("{document}\0{}", read(&format!("{corpus}/{document}"))))
        .collect();
    let spec = dir.join("every-feature.yaml");
    fuzz("spec", 0x5eed_0001, &originals, |case, mutant| {
        // The document's name rides in front of its text; a mutant may have mangled it.
        let Some((document, text)) = mutant.split_once('\0') else {
            return Ok(());
        };
        let Some(original) = documents.iter().find(|known| **known == document) else {
            return Ok(());
        };
        let path = dir.join(original);
        std::fs::write(&path, text).unwrap();
        let loaded = ecrform_spec::load(&LoadOptions {
            path: &spec,
            policies_dir: None,
        });
        std::fs::write(&path, read(&format!("{corpus}/{original}"))).unwrap();
        let Err(diagnostics) = loaded else {
            return Ok(());
        };
        for diagnostic in &diagnostics.0 {
            check_message("spec", case, &diagnostic.message)?;
            match (diagnostic.line, diagnostic.column) {
                (Some(line), Some(column)) => {
                    let in_file = if diagnostic.file == path {
                        text.to_owned()
                    } else {
                        std::fs::read_to_string(&diagnostic.file).unwrap_or_default()
                    };
                    check_position("spec", case, &in_file, line, column)?;
                }
                _ if is_about_the_whole_file(diagnostic) => {}
                _ => return Err(format!("spec case {case}: unlocated {diagnostic}")),
            }
        }
        Ok(())
    });
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn mangled_snapshots_are_located_never_panic() {
    let originals = [
        read("examples/quickstart/snapshot.json"),
        read("tests/fixtures/in-sync/snapshot.json"),
    ];
    fuzz("snapshot", 0x5eed_0002, &originals, |case, mutant| {
        let Err(error) = Snapshot::from_json(mutant) else {
            return Ok(());
        };
        check_message("snapshot", case, &error.message)?;
        check_position("snapshot", case, mutant, error.line, error.column)?;
        // serde's names for the Rust types it fills mean nothing to a user.
        let rust = [
            "struct ",
            "enum ",
            " u32",
            " u64",
            " i64",
            "usize",
            "a map",
            "a sequence",
        ];
        if let Some(word) = rust.iter().find(|word| error.message.contains(**word)) {
            return Err(format!(
                "snapshot case {case}: {word:?} in {:?}",
                error.message
            ));
        }
        Ok(())
    });
}

/// A saved plan as `plan --out` writes it, from the quickstart and its snapshot.
fn saved_plan() -> String {
    let dir = std::env::temp_dir().join(format!("ecrform-fuzz-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("plan.json");
    let output = Command::new(env!("CARGO_BIN_EXE_ecrform"))
        .args(["plan", "-f", "examples/quickstart/ecr.yaml"])
        .args(["--state", "examples/quickstart/snapshot.json", "--out"])
        .arg(&out)
        .current_dir(root())
        .env("NO_COLOR", "1")
        // Under GitHub Actions the plan would join the job's step summary.
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    text
}

#[test]
fn mangled_saved_plans_are_refused_never_panic() {
    let original = saved_plan();
    let version = env!("CARGO_PKG_VERSION");
    assert!(SavedPlan::from_json(&original, version).is_ok());
    fuzz(
        "saved plan",
        0x5eed_0003,
        &[original],
        |case, mutant| match SavedPlan::from_json(mutant, version) {
            Ok(_) => Ok(()),
            Err(error) => check_message("saved plan", case, &error.to_string()),
        },
    );
}

/// Every problem of a preview input has a position inside its text.
fn check_problems(
    target: &str,
    case: usize,
    text: &str,
    problems: &[input::TextProblem],
) -> Result<(), String> {
    for problem in problems {
        check_message(target, case, &problem.message)?;
        let Some(TextPosition { line, column }) = problem.position else {
            return Err(format!(
                "{target} case {case}: unlocated {:?}",
                problem.message
            ));
        };
        check_position(target, case, text, line, column)?;
    }
    Ok(())
}

#[test]
fn mangled_lifecycle_policies_are_located_never_panic() {
    let fixtures = "tests/fixtures/lifecycle";
    let json = [
        read(&format!("{fixtures}/prod-beta.json")),
        read(&format!("{fixtures}/get-lifecycle-policy.json")),
        read(&format!("{fixtures}/archive-and-expire.json")),
    ];
    fuzz(
        "policy (JSON)",
        0x5eed_0004,
        &json,
        |case, mutant| match input::read_policy(mutant) {
            Ok(_) => Ok(()),
            Err(problems) => check_problems("policy (JSON)", case, mutant, &problems),
        },
    );
    let yaml = [
        read(&format!("{fixtures}/prod-beta.yaml")),
        read(&format!("{fixtures}/invalid-policy.yml")),
    ];
    let file = Path::new("policy.yaml");
    fuzz("policy (YAML)", 0x5eed_0005, &yaml, |case, mutant| {
        let document = match LocatedDocument::parse(file, mutant) {
            Ok(document) => document,
            Err(diagnostics) => {
                for diagnostic in &diagnostics.0 {
                    check_message("policy (YAML)", case, &diagnostic.message)?;
                    let (Some(line), Some(column)) = (diagnostic.line, diagnostic.column) else {
                        return Err(format!("policy (YAML) case {case}: unlocated {diagnostic}"));
                    };
                    check_position("policy (YAML)", case, mutant, line, column)?;
                }
                return Ok(());
            }
        };
        let located = input::read_policy_document(&document.value, &mut |path| {
            let ((line, column), exact) = document.locate(path);
            (TextPosition { line, column }, exact)
        });
        match located {
            Ok(_) => Ok(()),
            Err(problems) => check_problems("policy (YAML)", case, mutant, &problems),
        }
    });
}

#[test]
fn mangled_image_lists_are_located_never_panic() {
    let fixtures = "tests/fixtures/lifecycle";
    let originals = [
        read(&format!("{fixtures}/images-cli-v1.json")),
        read(&format!("{fixtures}/images-cli-v2.json")),
        read(&format!("{fixtures}/images-archive.json")),
    ];
    fuzz(
        "image list",
        0x5eed_0006,
        &originals,
        |case, mutant| match input::read_describe_images(mutant) {
            Ok(_) => Ok(()),
            Err(problems) => check_problems("image list", case, mutant, &problems),
        },
    );
}
