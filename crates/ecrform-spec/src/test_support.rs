//! Specs written to temporary directories and loaded through [`crate::load`], for the
//! end-to-end tests of every module: each checks its rules with their exact messages and
//! `LINE:COLUMN`, the way a user sees them.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Diagnostics, LoadOptions, Spec, load};

static NEXT_FIXTURE: AtomicUsize = AtomicUsize::new(0);

/// A temporary spec directory, removed when dropped.
pub(crate) struct Fixture {
    pub(crate) root: PathBuf,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let unique = format!(
            "ecrform-spec-test-{}-{}",
            std::process::id(),
            NEXT_FIXTURE.fetch_add(1, Ordering::Relaxed)
        );
        let root = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&root).unwrap();
        Fixture { root }
    }

    pub(crate) fn with(self, relative: &str, contents: &str) -> Self {
        let path = self.root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub(crate) fn load(&self, relative: &str) -> Result<Spec, Diagnostics> {
        load(&LoadOptions {
            path: &self.path(relative),
            policies_dir: None,
        })
    }

    /// Every error as `FILE:LINE:COLUMN: message`, FILE relative to the fixture.
    pub(crate) fn errors(&self, relative: &str) -> Vec<String> {
        match self.load(relative) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics.0.iter().map(|d| self.show(d)).collect(),
        }
    }

    pub(crate) fn show(&self, diagnostic: &crate::Diagnostic) -> String {
        let relative = diagnostic
            .file
            .strip_prefix(&self.root)
            .unwrap_or(&diagnostic.file);
        let mut shown = relative.display().to_string();
        if let (Some(line), Some(column)) = (diagnostic.line, diagnostic.column) {
            shown.push_str(&format!(":{line}:{column}"));
        }
        format!("{shown}: {}", diagnostic.message)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A one-registry spec; `body` (indented four spaces) starts on line 5.
pub(crate) fn registry(body: &str) -> String {
    format!("version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n{body}")
}

/// A spec with the repository `team-a/api`; `settings` (indented eight spaces) start on line 7.
pub(crate) fn repository(settings: &str) -> String {
    registry(&format!("    repositories:\n      team-a/api:\n{settings}"))
}

/// Loads each spec alone and compares its first error with `LINE:COLUMN: message`.
pub(crate) fn assert_first_errors(cases: &[(&str, String, &str)]) {
    let mut failures = Vec::new();
    for (name, spec, expected) in cases {
        let fixture = Fixture::new().with("spec.yaml", spec);
        let errors = fixture.errors("spec.yaml");
        let expected = format!("spec.yaml:{expected}");
        if errors.first() != Some(&expected) {
            failures.push(format!(
                "{name}:\n  expected: {expected}\n  actual:   {errors:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
