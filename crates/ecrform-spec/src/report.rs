//! Collects every problem of a load, so that one run reports all of them.
//!
//! Every check writes here instead of returning early. The report also knows every file the
//! load touched: diagnostics name files by index while checking, and messages that point to a
//! second place ("also defined at ...") name it relative to the spec's directory, so that the
//! text does not depend on how the user spelled the path on the command line.

use std::path::{Path, PathBuf};

use crate::Diagnostic;
use crate::yaml::Pos;

/// A file the load has seen, by registration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FileId(usize);

/// A place in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Location {
    pub file: FileId,
    pub at: Pos,
}

impl Location {
    pub fn new(file: FileId, at: Pos) -> Self {
        Location { file, at }
    }
}

#[derive(Debug)]
struct KnownFile {
    path: PathBuf,
    read: bool,
}

#[derive(Debug)]
struct Problem {
    file: FileId,
    at: Option<Pos>,
    message: String,
}

#[derive(Debug)]
pub(crate) struct Report {
    spec_root: PathBuf,
    files: Vec<KnownFile>,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    /// Where each repository's encryption was written (registry, repository), for problems
    /// only KMS can tell at plan time (an alias that does not exist).
    encryption_places: Vec<(String, String, Location)>,
    /// Where each repository, its settings and each registry-wide setting was written
    /// (registry, repository or none, what), for guardrail findings.
    places: Vec<(String, Option<String>, ecrform_guardrails::Aspect, Location)>,
}

impl Report {
    /// `spec_root` is the directory that relative names in messages start from.
    pub fn new(spec_root: PathBuf) -> Self {
        Report {
            spec_root,
            files: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            encryption_places: Vec::new(),
            places: Vec::new(),
        }
    }

    /// Remembers where something a guardrail finding may be about was written. The first
    /// place noted for a key wins (a repository's own setting is noted before defaults').
    pub fn note_place(
        &mut self,
        registry: &str,
        repository: Option<&str>,
        aspect: ecrform_guardrails::Aspect,
        location: Location,
    ) {
        self.places.push((
            registry.to_owned(),
            repository.map(str::to_owned),
            aspect,
            location,
        ));
    }

    /// Every noted place as (registry, repository, what, a diagnostic there with no message).
    pub fn places(
        &self,
    ) -> Vec<(
        String,
        Option<String>,
        ecrform_guardrails::Aspect,
        Diagnostic,
    )> {
        self.places
            .iter()
            .map(|(registry, repository, aspect, location)| {
                (
                    registry.clone(),
                    repository.clone(),
                    *aspect,
                    self.diagnostic_at(*location),
                )
            })
            .collect()
    }

    /// A diagnostic at a location, with no message yet.
    pub fn diagnostic_at(&self, location: Location) -> Diagnostic {
        let place = Problem {
            file: location.file,
            at: Some(location.at),
            message: String::new(),
        };
        self.sorted(std::slice::from_ref(&place)).remove(0)
    }

    /// Remembers where a repository's encryption was written.
    pub fn note_encryption(&mut self, registry: &str, repository: &str, location: Location) {
        self.encryption_places
            .push((registry.to_owned(), repository.to_owned(), location));
    }

    /// Every remembered encryption place as (registry, repository, a diagnostic there with no
    /// message yet).
    pub fn encryption_places(&self) -> Vec<(String, String, Diagnostic)> {
        self.encryption_places
            .iter()
            .map(|(registry, repository, location)| {
                let place = Problem {
                    file: location.file,
                    at: Some(location.at),
                    message: String::new(),
                };
                (
                    registry.clone(),
                    repository.clone(),
                    self.sorted(std::slice::from_ref(&place)).remove(0),
                )
            })
            .collect()
    }

    /// Registers a path (once) and returns its id.
    pub fn file(&mut self, path: &Path) -> FileId {
        if let Some(index) = self.files.iter().position(|known| known.path == path) {
            return FileId(index);
        }
        self.files.push(KnownFile {
            path: path.to_owned(),
            read: false,
        });
        FileId(self.files.len() - 1)
    }

    /// Records that a file's contents were read, so that it is listed in [`crate::Spec::files`].
    pub fn mark_read(&mut self, file: FileId) {
        if let Some(known) = self.files.get_mut(file.0) {
            known.read = true;
        }
    }

    pub fn error(&mut self, location: Location, message: impl Into<String>) {
        self.errors.push(Problem {
            file: location.file,
            at: Some(location.at),
            message: message.into(),
        });
    }

    /// A problem with a file as a whole (unreadable, empty directory).
    pub fn file_error(&mut self, file: FileId, message: impl Into<String>) {
        self.errors.push(Problem {
            file,
            at: None,
            message: message.into(),
        });
    }

    pub fn warning(&mut self, location: Location, message: impl Into<String>) {
        self.warnings.push(Problem {
            file: location.file,
            at: Some(location.at),
            message: message.into(),
        });
    }

    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// `FILE:LINE:COLUMN` of a location, with FILE relative to the spec's directory.
    pub fn describe(&self, location: Location) -> String {
        format!("{}:{}", self.relative_path(location.file), location.at)
    }

    /// A file's path relative to the spec's directory (as given when it lies elsewhere).
    pub fn relative_path(&self, file: FileId) -> String {
        match self.files.get(file.0) {
            Some(known) => self.relative(&known.path),
            None => String::new(),
        }
    }

    pub fn relative(&self, path: &Path) -> String {
        let shown = path.strip_prefix(&self.spec_root).unwrap_or(path);
        shown.display().to_string()
    }

    /// Every file whose contents were read, in the order they were registered.
    pub fn files_read(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|known| known.read)
            .map(|known| known.path.clone())
            .collect()
    }

    /// Errors sorted by file (in the order files were met) and position; problems with a whole
    /// file come first within it. Ties keep the order in which they were found.
    pub fn errors(&self) -> Vec<Diagnostic> {
        self.sorted(&self.errors)
    }

    pub fn warnings(&self) -> Vec<Diagnostic> {
        self.sorted(&self.warnings)
    }

    fn sorted(&self, problems: &[Problem]) -> Vec<Diagnostic> {
        let mut ordered: Vec<&Problem> = problems.iter().collect();
        ordered.sort_by_key(|problem| (problem.file, problem.at));
        ordered
            .into_iter()
            .map(|problem| Diagnostic {
                file: self
                    .files
                    .get(problem.file.0)
                    .map(|known| known.path.clone())
                    .unwrap_or_default(),
                line: problem.at.map(|at| at.line),
                column: problem.at.map(|at| at.column),
                message: problem.message.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_ordered_by_file_then_position_and_whole_file_problems_first() {
        let mut report = Report::new(PathBuf::from("/spec"));
        let a = report.file(Path::new("/spec/a.yaml"));
        let b = report.file(Path::new("/spec/b.yaml"));
        report.error(Location::new(b, Pos::new(1, 1)), "b1");
        report.error(Location::new(a, Pos::new(3, 1)), "a3");
        report.error(Location::new(a, Pos::new(2, 5)), "a2");
        report.file_error(a, "whole");
        let messages: Vec<String> = report.errors().into_iter().map(|d| d.message).collect();
        assert_eq!(messages, ["whole", "a2", "a3", "b1"]);
        assert_eq!(
            report.describe(Location::new(b, Pos::new(4, 2))),
            "b.yaml:4:2"
        );
        assert_eq!(report.file(Path::new("/spec/a.yaml")), a);
    }
}
