//! Records the commit the binary is built from, for `ecrform --version`:
//! `ecrform 0.1.0 (abc1234)` when built in a git checkout, the package version alone when git
//! or the repository is not there (a source archive, a vendored copy). Nothing fails without
//! git. Saved plans record the package version only (`crate::VERSION`), not this.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let long_version = match commit() {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=ECRFORM_LONG_VERSION={long_version}");
}

/// The short commit of HEAD; the build reruns when HEAD, or the branch it is on, moves.
/// Only ecrform's own repository counts: a source tree inside another one (a home directory
/// kept in git, a vendored copy) has no commit of ecrform's.
fn commit() -> Option<String> {
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    if Path::new(&top).canonicalize().ok()? != Path::new(&manifest_dir).canonicalize().ok()? {
        return None;
    }
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        // Only files that exist: cargo reruns a build script every time for a missing one.
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    git(&["rev-parse", "--short=7", "HEAD"])
}

/// What `git ARGS` prints, trimmed, when it runs and succeeds with some output.
fn git(args: &[&str]) -> Option<String> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let output = Command::new("git")
        .args(args)
        .current_dir(manifest_dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}
