//! End-to-end tests of finding the spec's files: a directory merged in name order, problems
//! that name both places, and unreadable paths as diagnostics.

use std::io::Read as _;

use crate::test_support::{Fixture, registry};

#[test]
fn a_directory_spec_merges_its_yaml_files_in_name_order() {
    let fixture = Fixture::new()
        .with("spec/10-defaults.yaml", "version: 1\ndefaults: {scan_on_push: true}\n")
        .with("spec/20-team-a.yml", &registry("    prune: true\n    repositories: {team-a/api: }\n"))
        .with(
            "spec/30-team-b.yaml",
            "version: 1\nregistries:\n  - account: \"123456789012\"\n    region: us-east-1\n    repositories: {team-b/api: }\n  - account: \"012345678901\"\n    region: eu-west-1\n",
        )
        .with("spec/.editor-backup.yaml", "not: [valid")
        .with("spec/notes.txt", "not a spec")
        .with("spec/policies/lifecycle/x.yaml", "not: [valid");
    let spec = fixture.load("spec").unwrap();
    let ids: Vec<String> = spec
        .desired
        .registries
        .iter()
        .map(|r| r.state.id().to_string())
        .collect();
    assert_eq!(ids, ["012345678901/eu-west-1", "123456789012/us-east-1"]);
    let registry = &spec.desired.registries[1];
    assert!(registry.prune);
    let names: Vec<&str> = registry
        .state
        .repositories
        .keys()
        .map(|name| name.as_str())
        .collect();
    assert_eq!(names, ["team-a/api", "team-b/api"]);
    assert!(
        registry
            .state
            .repositories
            .values()
            .all(|state| state.scan_on_push == Some(true))
    );
    let files: Vec<String> = spec
        .files
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files,
        ["10-defaults.yaml", "20-team-a.yml", "30-team-b.yaml"]
    );
}

#[test]
fn directory_problems_name_both_places() {
    let fixture = Fixture::new()
        .with("spec/a.yaml", &registry("    repositories:\n      app:\n"))
        .with("spec/b.yaml", "version: 1\ndefaults: {}\n")
        .with(
            "spec/c.yaml",
            &format!(
                "{}defaults: {{}}\n",
                registry("    repositories:\n      app:\n")
            ),
        )
        .with("spec/d.yaml", "registries: []\n");
    assert_eq!(
        fixture.errors("spec"),
        [
            "spec/c.yaml:6:7: repository \"app\" of registry 123456789012/us-east-1 is defined twice; also defined at a.yaml:6:7",
            "spec/c.yaml:7:1: defaults are defined twice; also defined at b.yaml:2:1",
            "spec/d.yaml:1:1: missing \"version: 1\" (the spec format version)",
        ]
    );
}

#[test]
fn unreadable_paths_are_diagnostics_with_the_os_error() {
    let fixture = Fixture::new().with("empty/readme.txt", "no specs here");
    let missing = fixture.errors("missing.yaml");
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0].starts_with("missing.yaml: cannot read the spec: "),
        "{missing:?}"
    );
    assert!(missing[0].contains("os error"), "{missing:?}");
    assert_eq!(
        fixture.errors("empty"),
        ["empty: the spec directory holds no *.yaml or *.yml files"]
    );
    let fixture = fixture.with("binary.yaml", "");
    std::fs::write(fixture.path("binary.yaml"), [0xff, 0xfe, 0x00]).unwrap();
    assert_eq!(
        fixture.errors("binary.yaml"),
        ["binary.yaml: the file is not UTF-8 text"]
    );
}

/// Whether this process runs as root, whom file permissions do not stop from reading.
#[cfg(unix)]
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|uids| uids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// Regression: an entry named like a spec file that could not be read was skipped, so its
/// repositories planned as if they had left the spec (and with prune, were deleted).
#[cfg(unix)]
#[test]
fn unreadable_entries_of_a_directory_spec_are_errors_naming_them() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{PermissionsExt, symlink};

    type Plant = fn(&std::path::Path);
    let cases: [(&str, Plant, &str); 4] = [
        (
            "a dangling symbolic link",
            |dir| symlink("moved-away.yaml", dir.join("20-team-b.yaml")).unwrap(),
            "spec/20-team-b.yaml: a symbolic link to moved-away.yaml that leads nowhere; fix or remove it",
        ),
        (
            "a directory named like a spec file",
            |dir| std::fs::create_dir(dir.join("20-team-b.yaml")).unwrap(),
            "spec/20-team-b.yaml: a directory named like a spec file; rename it (or move it out of the spec directory)",
        ),
        (
            "a file name that is not UTF-8",
            |dir| {
                let name = OsStr::from_bytes(b"20-team-\xff.yaml");
                std::fs::write(dir.join(name), "version: 1\n").unwrap();
            },
            "spec/20-team-\u{fffd}.yaml: the file name is not UTF-8; rename it (or move it out of the spec directory)",
        ),
        (
            "a file without read permission",
            |dir| {
                let path = dir.join("20-team-b.yml");
                std::fs::write(&path, "version: 1\n").unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
            },
            "spec/20-team-b.yml: cannot read the file: Permission denied (os error 13)",
        ),
    ];
    for (name, plant, expected) in cases {
        if name == "a file without read permission" && running_as_root() {
            // Root reads a file whatever its permissions, so there is nothing to refuse.
            eprintln!("skipped \"{name}\": running as root, whom permissions do not stop");
            continue;
        }
        let fixture = Fixture::new()
            .with(
                "spec/10-team-a.yaml",
                &registry("    repositories: {team-a/api: }\n"),
            )
            .with("spec/.hidden.yaml", "not: [valid");
        plant(&fixture.path("spec"));
        assert_eq!(fixture.errors("spec"), [expected], "{name}");
    }
}

#[test]
fn files_over_their_limit_are_refused_naming_the_limit() {
    let fixture = Fixture::new()
        .with("big.yaml", &format!("# {}\n", "x".repeat(16 * 1024 * 1024)))
        .with(
            "uses-big-policy.yaml",
            &crate::test_support::repository("        lifecycle: big\n"),
        )
        .with(
            "policies/lifecycle/big.json",
            &format!(
                "{{\"rules\": [], \"pad\": \"{}\"}}",
                "x".repeat(1024 * 1024)
            ),
        );
    assert_eq!(
        fixture.errors("big.yaml"),
        ["big.yaml: the file is larger than 16 MiB, the most ecrform reads of a spec file"]
    );
    assert_eq!(
        fixture.errors("uses-big-policy.yaml"),
        [
            "policies/lifecycle/big.json: the file is larger than 1 MiB, the most ecrform reads of a policy document"
        ]
    );
}

#[cfg(unix)]
#[test]
fn an_endless_device_is_refused_at_the_limit() {
    let started = std::time::Instant::now();
    let errors = Fixture::new().errors("/dev/zero");
    assert_eq!(
        errors,
        ["/dev/zero: the file is larger than 16 MiB, the most ecrform reads of a spec file"]
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn bounded_reads_never_hold_more_than_the_limit_and_a_byte() {
    let cases: [(u64, u64, usize); 4] = [
        // (limit, length hint, bytes available)
        (1000, 0, 5000),
        (1000, 0, 1000),
        (1_000_000, 10, 3_000_000),
        (64, 1 << 40, 10),
    ];
    for (limit, hint, available) in cases {
        let input = std::io::repeat(b'a').take(available as u64);
        let bytes = super::read_at_most(input, limit, hint).unwrap();
        assert_eq!(bytes.len() as u64, (available as u64).min(limit + 1));
        assert!(
            bytes.capacity() as u64 <= limit + 1,
            "limit {limit}: capacity {}",
            bytes.capacity()
        );
    }
}
