//! Finding and reading the spec's files: `-f` names one file or a directory whose `*.yaml` and
//! `*.yml` files are merged in name order. A file that cannot be read is a diagnostic naming the
//! path and the OS error, never a panic; so is a directory with nothing to read.
//!
//! In a directory, every entry named like a spec file is one: an entry that cannot be read (a
//! dangling symbolic link, a directory called `x.yaml`, a file without read permission, a name
//! that is not UTF-8) is an error naming it. Skipping it would plan as if its repositories had
//! left the spec, and with `prune` delete them. Hidden entries are not spec files (editor
//! backups and the like).
//!
//! Every file is read through [`read_bounded`], which stops at the file kind's limit (see
//! [`ecrform_model::limits`]) without ever holding more than the limit and a byte, so that a
//! wrong path (`-f /dev/zero`) is refused at once instead of exhausting memory.

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use ecrform_model::limits::{self, InputLimit};

use crate::report::{FileId, Report};

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("{}", .0.refusal())]
    TooLarge(InputLimit),
    #[error("the file is not UTF-8 text")]
    NotUtf8,
}

/// Reads a file as UTF-8 text (without a leading byte order mark), refusing it once it holds
/// more than `limit`: at most `limit.bytes + 1` bytes are read or held.
pub fn read_bounded(path: &Path, limit: InputLimit) -> Result<String, ReadError> {
    let io_error = |error: io::Error| ReadError::Io(error.to_string());
    let file = fs::File::open(path).map_err(io_error)?;
    // Devices and pipes report no length; a regular file's length is a good first guess.
    let hint = file.metadata().map_or(0, |metadata| metadata.len());
    let bytes = read_at_most(file, limit.bytes, hint).map_err(io_error)?;
    if bytes.len() as u64 > limit.bytes {
        return Err(ReadError::TooLarge(limit));
    }
    let mut text = String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)?;
    if text.starts_with('\u{feff}') {
        text.remove(0);
    }
    Ok(text)
}

/// Up to `limit + 1` bytes of `reader`, in a buffer that never grows past that: one byte more
/// than the limit says the input is over it.
fn read_at_most(reader: impl Read, limit: u64, hint: u64) -> io::Result<Vec<u8>> {
    let most = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let first = usize::try_from(hint.saturating_add(1))
        .unwrap_or(usize::MAX)
        .min(most);
    let mut bytes = Vec::with_capacity(first);
    let mut reader = reader.take(limit.saturating_add(1));
    let mut chunk = vec![0_u8; 64 * 1024];
    loop {
        let read = match reader.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let needed = bytes.len() + read;
        if needed > bytes.capacity() {
            let grown = (bytes.capacity() * 2).max(needed).min(most);
            bytes.reserve_exact(grown - bytes.len());
        }
        bytes.extend_from_slice(&chunk[..read]);
    }
}

/// One spec file's text.
#[derive(Debug)]
pub(crate) struct SourceText {
    pub file: FileId,
    pub text: String,
}

/// The directory that policy documents and relative names in messages start from: the
/// directory itself when `-f` names one, otherwise the file's directory.
pub(crate) fn spec_root(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.to_owned();
    }
    // A bare file name has the empty parent: policies are then `policies/...`, not
    // `./policies/...`, matching how the spec file itself is named.
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Reads every spec file under `path`. Problems go to the report; the files that could be
/// read are returned.
pub(crate) fn read_spec(path: &Path, report: &mut Report) -> Vec<SourceText> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) => {
            let file = report.file(path);
            report.file_error(file, format!("cannot read the spec: {error}"));
            return Vec::new();
        }
    };
    if !metadata.is_dir() {
        return read_text(path, limits::SPEC_FILE, report)
            .into_iter()
            .collect();
    }
    let entries = match spec_entries_in(path) {
        Ok(entries) => entries,
        Err(error) => {
            let file = report.file(path);
            report.file_error(file, format!("cannot read the spec directory: {error}"));
            return Vec::new();
        }
    };
    if entries.is_empty() {
        let file = report.file(path);
        report.file_error(file, "the spec directory holds no *.yaml or *.yml files");
        return Vec::new();
    }
    let mut sources = Vec::new();
    for entry in entries {
        match entry.problem {
            Some(problem) => {
                let file = report.file(&entry.path);
                report.file_error(file, problem);
            }
            None => sources.extend(read_text(&entry.path, limits::SPEC_FILE, report)),
        }
    }
    sources
}

/// An entry of a spec directory named like a spec file, and why it cannot be one.
#[derive(Debug)]
struct SpecEntry {
    path: PathBuf,
    problem: Option<String>,
}

/// The entries of `directory` named `*.yaml` or `*.yml`, by name, each with the reason it
/// cannot be read as a spec file, if any. Hidden entries (editor backups and the like) and
/// everything else (subdirectories such as `policies/`) are not spec files.
fn spec_entries_in(directory: &Path) -> io::Result<Vec<SpecEntry>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(directory)? {
        let path = entry?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        let raw = name.as_encoded_bytes();
        let named_like_a_spec = raw.ends_with(b".yaml") || raw.ends_with(b".yml");
        if !named_like_a_spec || raw.starts_with(b".") {
            continue;
        }
        let problem = entry_problem(&path, name);
        entries.push(SpecEntry { path, problem });
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// Why a directory entry named like a spec file cannot be read as one.
fn entry_problem(path: &Path, name: &OsStr) -> Option<String> {
    if name.to_str().is_none() {
        return Some(
            "the file name is not UTF-8; rename it (or move it out of the spec directory)"
                .to_owned(),
        );
    }
    match fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => None,
        Ok(metadata) if metadata.is_dir() => Some(
            "a directory named like a spec file; rename it (or move it out of the spec directory)"
                .to_owned(),
        ),
        Ok(_) => Some("not a regular file, so not a spec file; remove it or rename it".to_owned()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            let target = fs::read_link(path)
                .map(|target| format!(" to {}", target.display()))
                .unwrap_or_default();
            Some(format!(
                "a symbolic link{target} that leads nowhere; fix or remove it"
            ))
        }
        Err(error) => Some(format!("cannot read the file: {error}")),
    }
}

/// Reads one file as UTF-8 text, up to `limit`, registering it with the report.
pub(crate) fn read_text(path: &Path, limit: InputLimit, report: &mut Report) -> Option<SourceText> {
    let file = report.file(path);
    match read_bounded(path, limit) {
        Ok(text) => {
            report.mark_read(file);
            Some(SourceText { file, text })
        }
        Err(error) => {
            report.file_error(file, error.to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests;
