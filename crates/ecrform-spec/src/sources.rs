//! Finding and reading the spec's files: `-f` names one file or a directory whose `*.yaml` and
//! `*.yml` files are merged in name order. A file that cannot be read is a diagnostic naming the
//! path and the OS error, never a panic; so is a directory with nothing to read.

use std::fs;
use std::path::{Path, PathBuf};

use crate::report::{FileId, Report};

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
        return read_text(path, report).into_iter().collect();
    }
    let mut paths = match spec_files_in(path) {
        Ok(paths) => paths,
        Err(error) => {
            let file = report.file(path);
            report.file_error(file, format!("cannot read the spec directory: {error}"));
            return Vec::new();
        }
    };
    if paths.is_empty() {
        let file = report.file(path);
        report.file_error(file, "the spec directory holds no *.yaml or *.yml files");
        return Vec::new();
    }
    paths.sort();
    paths
        .iter()
        .filter_map(|path| read_text(path, report))
        .collect()
}

/// `*.yaml` and `*.yml` files directly in `directory`; hidden files (editor backups and the
/// like) and subdirectories such as `policies/` are not spec files.
fn spec_files_in(directory: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in fs::read_dir(directory)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if is_yaml && !name.starts_with('.') && path.is_file() {
            paths.push(path);
        }
    }
    Ok(paths)
}

/// Reads one file as UTF-8 text, registering it with the report.
pub(crate) fn read_text(path: &Path, report: &mut Report) -> Option<SourceText> {
    let file = report.file(path);
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            report.file_error(file, format!("cannot read the file: {error}"));
            return None;
        }
    };
    let mut text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            report.file_error(file, "the file is not UTF-8 text");
            return None;
        }
    };
    if text.starts_with('\u{feff}') {
        text.remove(0);
    }
    report.mark_read(file);
    Some(SourceText { file, text })
}

#[cfg(test)]
mod tests;
