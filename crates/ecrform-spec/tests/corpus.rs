//! The spec corpus at the workspace root (`tests/specs/`): every invalid case must fail with
//! the first diagnostic its `# expect:` line names, and every valid spec must load.
//!
//! A case is a `*.yaml`/`*.yml` file or a directory (a directory spec) directly under
//! `invalid/` or `valid/`; `policies/` holds documents for the cases and is not one. The
//! expect line is the first line of the case file (of a directory case: of its first spec
//! file by name): `# expect: LINE:COLUMN: MESSAGE` for a problem in that file, or
//! `# expect: PATH:LINE:COLUMN: MESSAGE` with PATH relative to that file's directory. The same
//! corpus is run through the CLI binary, so the format is a contract.

use std::fs;
use std::path::{Path, PathBuf};

use ecrform_spec::{Diagnostic, LoadOptions, load};

const EXPECT_PREFIX: &str = "# expect: ";

fn corpus_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/specs")
        .join(kind)
}

fn is_spec_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "yaml" || extension == "yml")
}

/// Every case under `dir`, sorted by name.
fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.expect("a readable corpus entry").path())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            name != "policies" && (path.is_dir() || is_spec_file(path))
        })
        .collect();
    cases.sort();
    cases
}

/// The file whose first line holds the expectation.
fn expect_file(case: &Path) -> PathBuf {
    if !case.is_dir() {
        return case.to_owned();
    }
    let mut files: Vec<PathBuf> = fs::read_dir(case)
        .expect("a readable case directory")
        .map(|entry| entry.expect("a readable case entry").path())
        .filter(|path| path.is_file() && is_spec_file(path))
        .collect();
    files.sort();
    files
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{} holds no spec file", case.display()))
}

/// A diagnostic as the expect line writes it.
fn render(diagnostic: &Diagnostic, expect_file: &Path) -> String {
    let base = expect_file
        .parent()
        .expect("a case file lives in a directory");
    let position = match (diagnostic.line, diagnostic.column) {
        (Some(line), Some(column)) => format!("{line}:{column}: "),
        _ => String::new(),
    };
    if diagnostic.file == expect_file {
        return format!("{position}{}", diagnostic.message);
    }
    let relative = diagnostic
        .file
        .strip_prefix(base)
        .unwrap_or(&diagnostic.file);
    let separator = if position.is_empty() { ": " } else { ":" };
    format!(
        "{}{separator}{position}{}",
        relative.display(),
        diagnostic.message
    )
}

#[test]
fn every_invalid_case_reports_its_expected_first_diagnostic() {
    let cases = cases(&corpus_dir("invalid"));
    assert!(
        cases.len() >= 25,
        "the corpus needs at least 25 invalid cases, has {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let expect_file = expect_file(case);
        let text = fs::read_to_string(&expect_file).unwrap();
        let Some(expected) = text
            .lines()
            .next()
            .and_then(|line| line.strip_prefix(EXPECT_PREFIX))
        else {
            failures.push(format!(
                "{}: first line is not `{EXPECT_PREFIX}...`",
                expect_file.display()
            ));
            continue;
        };
        match load(&LoadOptions {
            path: case,
            policies_dir: None,
        }) {
            Ok(_) => failures.push(format!("{}: loaded, expected `{expected}`", case.display())),
            Err(diagnostics) => {
                let first = render(&diagnostics.0[0], &expect_file);
                if first != expected {
                    let all: Vec<String> = diagnostics.0.iter().map(ToString::to_string).collect();
                    failures.push(format!(
                        "{}:\n  expected: {expected}\n  actual:   {first}\n  all:\n    {}",
                        case.display(),
                        all.join("\n    ")
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_valid_spec_loads() {
    let cases = cases(&corpus_dir("valid"));
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(diagnostics) = load(&LoadOptions {
            path: case,
            policies_dir: None,
        }) {
            let all: Vec<String> = diagnostics.0.iter().map(ToString::to_string).collect();
            failures.push(format!("{}:\n    {}", case.display(), all.join("\n    ")));
        }
    }
    assert!(
        failures.is_empty(),
        "valid specs failed to load:\n{}",
        failures.join("\n")
    );
}
