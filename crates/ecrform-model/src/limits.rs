//! How much ecrform reads of each kind of file it is given, defined once.
//!
//! Every input is read whole before it is parsed, so without a bound a wrong path
//! (`-f /dev/zero`, a disk image, a log) would be read until memory runs out. Each kind of file
//! has a limit far above what a real one reaches, and a file over it is refused in one line
//! naming the file and the limit, having read at most the limit and one byte more. The README's
//! table of limits gives the reasons for each number; this is where the numbers are.

use std::fmt;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// The most ecrform reads of one kind of input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimit {
    /// What the file is, as the refusal names it ("a spec file").
    pub what: &'static str,
    pub bytes: u64,
}

impl InputLimit {
    /// The one-line refusal of a file over the limit (the caller names the file).
    pub fn refusal(&self) -> String {
        format!(
            "the file is larger than {self}, the most ecrform reads of {}",
            self.what
        )
    }
}

/// The limit as a size: `16 MiB`.
impl fmt::Display for InputLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, name) = [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")]
            .into_iter()
            .find(|(unit, _)| self.bytes >= *unit && self.bytes.is_multiple_of(*unit))
            .unwrap_or((1, "bytes"));
        write!(f, "{} {name}", self.bytes / unit)
    }
}

/// A spec file (each file of a directory spec on its own). The largest specs we know of, a
/// few thousand repositories with inline policies, are a few MiB.
pub const SPEC_FILE: InputLimit = InputLimit {
    what: "a spec file",
    bytes: 16 * MIB,
};

/// A policy document file (named, a template, or `lifecycle preview --policy`). ECR accepts
/// at most 30,720 characters of lifecycle policy and 10,240 of repository or registry policy;
/// the limit leaves room for formatting, comments and templates that expand.
pub const POLICY_FILE: InputLimit = InputLimit {
    what: "a policy document",
    bytes: MIB,
};

/// A live-state snapshot (`--state`): every managed setting of every registry, with policy
/// documents that may reach 30 KiB each, for registries that may hold 100,000 repositories.
pub const SNAPSHOT_FILE: InputLimit = InputLimit {
    what: "a snapshot",
    bytes: GIB,
};

/// A saved plan (`apply FILE`): the plan, its calls and the fingerprints of what it read,
/// which is at most what a snapshot of the same registries holds.
pub const PLAN_FILE: InputLimit = InputLimit {
    what: "a saved plan",
    bytes: GIB,
};

/// `lifecycle preview --images`: one repository's `describe-images` output. ECR holds at most
/// 20,000 images per repository by default, about 2 KiB each as the AWS CLI prints them.
pub const IMAGES_FILE: InputLimit = InputLimit {
    what: "an image list",
    bytes: 256 * MIB,
};

/// The recovery record (`.ecrform-recovery.json`): what the replaces of one apply must
/// restore, a repository's settings and policies each; far below a snapshot.
pub const RECOVERY_FILE: InputLimit = InputLimit {
    what: "a recovery record",
    bytes: 64 * MIB,
};

/// How deeply a spec file may nest mappings and sequences. A spec with inline IAM conditions
/// nests about 12 levels; serde_json stops at 128, and so does the spec reader, so that no
/// input can exhaust the stack of the code that walks the tree.
pub const MAX_NESTING: usize = 128;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_shown_in_the_largest_whole_unit() {
        let cases = [
            (SPEC_FILE, "16 MiB"),
            (POLICY_FILE, "1 MiB"),
            (SNAPSHOT_FILE, "1 GiB"),
            (IMAGES_FILE, "256 MiB"),
            (
                InputLimit {
                    what: "x",
                    bytes: 1536,
                },
                "1536 bytes",
            ),
        ];
        for (limit, shown) in cases {
            assert_eq!(limit.to_string(), shown);
        }
        assert_eq!(
            SPEC_FILE.refusal(),
            "the file is larger than 16 MiB, the most ecrform reads of a spec file"
        );
    }
}
