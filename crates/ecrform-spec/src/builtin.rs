//! The library of reviewed policy documents that ships inside the binary: the files of the
//! project's top-level `policies/` directory, each listed here once with what it is for and
//! the vars it takes. A spec names one with the `builtin/` prefix, as a document
//! (`lifecycle: builtin/untagged-7d-keep-10`) or a template (`policy: {template:
//! builtin/cross-account-pull, vars: {accounts: [...]}}`); `ecrform policies list` and `show`
//! print them.
//!
//! Each document is embedded with `include_str!`, so the binary needs no file at run time and
//! a document that changes is a new build. Tests check that every file of `policies/` is
//! listed, that every listed var is a placeholder of its document and every placeholder a
//! listed var, and that every document, filled in with its example vars, passes validation.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::policies::PolicyKind;
use crate::template;

/// How a spec refers to the library: `builtin/NAME`.
pub const BUILTIN_PREFIX: &str = "builtin/";

/// One var of a template in the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateVar {
    pub name: &'static str,
    /// What to give it.
    pub description: &'static str,
    /// A value, as JSON (also valid YAML flow syntax), that the documentation and the tests
    /// use.
    pub example: &'static str,
}

/// One document of the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinPolicy {
    /// The name after `builtin/`: the file's name in `policies/<kind>/` without `.json`.
    pub name: &'static str,
    pub kind: PolicyKind,
    /// One sentence: what it does.
    pub description: &'static str,
    /// The vars of a template; empty for a document used as it is.
    pub vars: &'static [TemplateVar],
    /// The document's text as the file holds it (with `{{ var }}` placeholders in a template).
    pub text: &'static str,
}

impl BuiltinPolicy {
    /// `builtin/NAME`, as a spec writes it.
    pub fn reference(&self) -> String {
        format!("{BUILTIN_PREFIX}{}", self.name)
    }

    /// Whether the document takes vars (`{template: builtin/NAME, vars: {...}}`).
    pub fn is_template(&self) -> bool {
        !self.vars.is_empty()
    }

    /// The file it is embedded from, relative to the project's root.
    pub fn path(&self) -> String {
        format!("policies/{}/{}.json", self.kind.directory(), self.name)
    }

    /// The example vars, parsed.
    pub fn example_vars(&self) -> BTreeMap<String, Value> {
        self.vars
            .iter()
            .filter_map(|var| {
                let value = serde_json::from_str(var.example).ok()?;
                Some((var.name.to_owned(), value))
            })
            .collect()
    }

    /// The document with `vars` substituted (for a document that takes none, `vars` must be
    /// empty), as JSON; the first problem otherwise. Nothing is validated here: a spec's use
    /// of the document goes through every check of its kind.
    pub fn instantiate(&self, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
        let (placeholders, malformed) = template::placeholders(self.text);
        if let Some(bad) = malformed.first() {
            return Err(format!(
                "line {}: {:?} is not a placeholder",
                bad.line, bad.text
            ));
        }
        for var in self.vars {
            if !vars.contains_key(var.name) {
                return Err(format!("needs var {:?}", var.name));
            }
        }
        if let Some(unused) = vars
            .keys()
            .find(|name| self.vars.iter().all(|var| var.name != name.as_str()))
        {
            return Err(format!("takes no var {unused:?}"));
        }
        let text = template::substitute(self.text, &placeholders, vars).map_err(|problems| {
            problems
                .into_iter()
                .map(|problem| problem.message)
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        serde_json::from_str(&text).map_err(|error| error.to_string())
    }
}

/// Every document of the library, lifecycle policies first, then repository and registry
/// policies, each kind by name.
pub fn builtin_policies() -> &'static [BuiltinPolicy] {
    &LIBRARY
}

/// The document `name` names (`builtin/NAME`, or `NAME` alone).
pub fn builtin_policy(name: &str) -> Option<&'static BuiltinPolicy> {
    let name = name.strip_prefix(BUILTIN_PREFIX).unwrap_or(name);
    LIBRARY.iter().find(|policy| policy.name == name)
}

/// The document whose name is nearest to a `name` the library does not have, to suggest it.
pub fn nearest_builtin_policy(name: &str) -> Option<&'static BuiltinPolicy> {
    let name = name.strip_prefix(BUILTIN_PREFIX).unwrap_or(name);
    let found = crate::suggest::nearest(name, LIBRARY.iter().map(|policy| policy.name))?;
    builtin_policy(found)
}

const ACCOUNTS_EXAMPLE: &str = r#"["210987654321", "345678901234"]"#;

static LIBRARY: [BuiltinPolicy; 10] = [
    BuiltinPolicy {
        name: "archive-then-expire",
        kind: PolicyKind::Lifecycle,
        description: "Move every image to archive storage archive_days after it was pushed, \
                      and expire it from the archive expire_days after that",
        vars: &[
            TemplateVar {
                name: "archive_days",
                description: "days after the push before an image moves to archive storage",
                example: "30",
            },
            TemplateVar {
                name: "expire_days",
                description: "days an image stays in the archive before it expires (ECR's \
                              minimum is 90)",
                example: "180",
            },
        ],
        text: include_str!("../../../policies/lifecycle/archive-then-expire.json"),
    },
    BuiltinPolicy {
        name: "keep-days",
        kind: PolicyKind::Lifecycle,
        description: "Keep the last `days` days: expire every image, tagged or not, pushed \
                      longer ago",
        vars: &[TemplateVar {
            name: "days",
            description: "how many days an image is kept after its push",
            example: "30",
        }],
        text: include_str!("../../../policies/lifecycle/keep-days.json"),
    },
    BuiltinPolicy {
        name: "keep-semver-releases",
        kind: PolicyKind::Lifecycle,
        description: "Keep the `count` most recent releases tagged PREFIX1.2.3 (a tag matching \
                      PREFIX*.*.*) and expire older releases; other images are left alone",
        vars: &[
            TemplateVar {
                name: "count",
                description: "how many releases to keep",
                example: "20",
            },
            TemplateVar {
                name: "prefix",
                description: "what release tags start with before MAJOR.MINOR.PATCH (\"v\" \
                              for v1.2.3, \"\" for 1.2.3)",
                example: r#""v""#,
            },
        ],
        text: include_str!("../../../policies/lifecycle/keep-semver-releases.json"),
    },
    BuiltinPolicy {
        name: "untagged-7d-keep-10",
        kind: PolicyKind::Lifecycle,
        description: "Expire untagged images 7 days after their push, and keep the 10 most \
                      recent images of any tag status (older tagged images expire)",
        vars: &[],
        text: include_str!("../../../policies/lifecycle/untagged-7d-keep-10.json"),
    },
    BuiltinPolicy {
        name: "ci-push",
        kind: PolicyKind::Repository,
        description: "Let CI roles push images, and pull them (builds reuse layers and read \
                      back what they pushed)",
        vars: &[TemplateVar {
            name: "roles",
            description: "the IAM role ARNs that push",
            example: r#"["arn:aws:iam::123456789012:role/ci"]"#,
        }],
        text: include_str!("../../../policies/repository/ci-push.json"),
    },
    BuiltinPolicy {
        name: "cross-account-pull",
        kind: PolicyKind::Repository,
        description: "Let other accounts pull images, and nothing else",
        vars: &[TemplateVar {
            name: "accounts",
            description: "the account ids (or root ARNs) that pull",
            example: ACCOUNTS_EXAMPLE,
        }],
        text: include_str!("../../../policies/repository/cross-account-pull.json"),
    },
    BuiltinPolicy {
        name: "lambda-pull",
        kind: PolicyKind::Repository,
        description: "Let Lambda pull a container image for the listed functions (the service \
                      principal, limited by aws:SourceArn), and the accounts those functions \
                      run in, as container-image functions need",
        vars: &[
            TemplateVar {
                name: "accounts",
                description: "the account ids the functions run in (the registry's own \
                              account for functions next to it)",
                example: r#"["345678901234"]"#,
            },
            TemplateVar {
                name: "function_arns",
                description: "the functions' ARNs, * wildcards allowed",
                example: r#"["arn:aws:lambda:us-east-1:345678901234:function:*"]"#,
            },
        ],
        text: include_str!("../../../policies/repository/lambda-pull.json"),
    },
    BuiltinPolicy {
        name: "org-pull",
        kind: PolicyKind::Repository,
        description: "Let every principal of one AWS Organization pull images \
                      (aws:PrincipalOrgID), and nothing else",
        vars: &[TemplateVar {
            name: "organization_id",
            description: "the organization's id",
            example: r#""o-abc123def4""#,
        }],
        text: include_str!("../../../policies/repository/org-pull.json"),
    },
    BuiltinPolicy {
        name: "allow-replication-from",
        kind: PolicyKind::Registry,
        description: "Let source accounts replicate into this registry, creating the \
                      repositories replication needs",
        vars: &[
            TemplateVar {
                name: "accounts",
                description: "the source account ids (or root ARNs)",
                example: r#"["111111111111"]"#,
            },
            TemplateVar {
                name: "repositories",
                description: "this registry's repository ARNs they may replicate into: \
                              arn:PARTITION:ecr:REGION:ACCOUNT:repository/* for all",
                example: r#""arn:aws:ecr:us-east-1:123456789012:repository/*""#,
            },
        ],
        text: include_str!("../../../policies/registry/allow-replication-from.json"),
    },
    BuiltinPolicy {
        name: "pull-through-cache",
        kind: PolicyKind::Registry,
        description: "Let principals fill pull-through caches: create the cache repositories \
                      and import images from the upstream registry into them",
        vars: &[
            TemplateVar {
                name: "principals",
                description: "the IAM role or user ARNs (or account ids) that pull through the \
                              cache",
                example: r#"["arn:aws:iam::123456789012:role/builder"]"#,
            },
            TemplateVar {
                name: "repositories",
                description: "the cache repositories' ARNs, by cache prefix: \
                              arn:PARTITION:ecr:REGION:ACCOUNT:repository/PREFIX/*",
                example: r#""arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*""#,
            },
        ],
        text: include_str!("../../../policies/registry/pull-through-cache.json"),
    },
];

#[cfg(test)]
mod tests;
