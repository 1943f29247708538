//! The one definition of every guardrail rule: its stable id, what it checks, why, how to fix
//! it, the peer tools' checks it corresponds to, and the level each profile gives it.
//!
//! Everything else iterates over [`RULES`]: the spec reads rule ids against it, SARIF lists
//! it as the tool's rules, the README's table is checked against it, and the audit table has
//! one column per entry. Adding a rule means adding an entry here and its check.

use std::fmt;

use serde::{Serialize, Serializer};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Off,
    Warning,
    Error,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Error, Level::Warning, Level::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.as_str() == text)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A named set of levels and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Profile {
    /// The default: errors only for clear security problems, warnings for the rest.
    #[default]
    Recommended,
    /// Every rule an error, with stricter parameters.
    Strict,
    /// Every rule off unless the spec turns it on.
    None,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Recommended, Profile::Strict, Profile::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Recommended => "recommended",
            Profile::Strict => "strict",
            Profile::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Profile> {
        Profile::ALL
            .into_iter()
            .find(|profile| profile.as_str() == text)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every rule, by its stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    Scanning,
    TagImmutability,
    LifecyclePolicy,
    LifecycleUntagged,
    LifecycleTaggedCap,
    LifecycleAnyCount,
    LifecycleUnreachableRule,
    PublicAccess,
    LeastPrivilege,
    KmsEncryption,
    Naming,
    RequiredTags,
    DeletionProtection,
    ReplicationDestinations,
}

impl RuleId {
    /// The rule's definition.
    pub fn definition(self) -> &'static Rule {
        // RULES lists every id once, in declaration order (a test checks it).
        &RULES[self as usize]
    }

    /// The stable id as users write it: `tag-immutability`.
    pub fn as_str(self) -> &'static str {
        self.definition().id
    }

    pub fn parse(text: &str) -> Option<RuleId> {
        RULES
            .iter()
            .find(|rule| rule.id == text)
            .map(|rule| rule.rule)
    }

    pub fn all() -> impl Iterator<Item = RuleId> {
        RULES.iter().map(|rule| rule.rule)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What a rule looks at: each repository, or the registry as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Repository,
    Registry,
}

/// One rule's definition.
#[derive(Debug)]
pub struct Rule {
    pub rule: RuleId,
    /// The stable id.
    pub id: &'static str,
    /// What it checks, in one line.
    pub checks: &'static str,
    /// Why it matters, in one line.
    pub rationale: &'static str,
    /// How to make it pass.
    pub fix: &'static str,
    /// The equivalent checks of AWS Security Hub, Control Tower, trivy/tfsec, checkov and
    /// prowler.
    pub anchors: &'static [&'static str],
    /// The parameters the spec may set under the rule, with the ones each profile sets.
    pub parameters: &'static [&'static str],
    pub recommended: Level,
    pub strict: Level,
    pub scope: Scope,
}

impl Rule {
    /// The level a profile gives the rule.
    pub fn level_in(&self, profile: Profile) -> Level {
        match profile {
            Profile::Recommended => self.recommended,
            Profile::Strict => self.strict,
            Profile::None => Level::Off,
        }
    }
}

/// Every rule, in [`RuleId`] order.
pub const RULES: &[Rule] = &[
    Rule {
        rule: RuleId::Scanning,
        id: "scanning",
        checks: "images are scanned: the repository scans on push, or a registry scanning rule \
                 (SCAN_ON_PUSH or CONTINUOUS_SCAN) covers it",
        rationale: "an image nobody scanned can ship known vulnerabilities",
        fix: "set scan_on_push: true, or manage the registry's scanning with a rule whose \
              filters match the repository",
        anchors: &[
            "Security Hub ECR.1",
            "CT.ECR.PR.2",
            "AVD-AWS-0030",
            "CKV_AWS_163",
            "prowler ecr_registry_scan_images_on_push_enabled",
            "prowler ecr_repositories_scan_images_on_push_enabled",
        ],
        parameters: &[],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::TagImmutability,
        id: "tag-immutability",
        checks: "tags cannot be overwritten: IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION with only \
                 allowed exclusions",
        rationale: "a mutable tag can be pointed at another image after it was reviewed or \
                    deployed",
        fix: "set image_tag_mutability: IMMUTABLE (or IMMUTABLE_WITH_EXCLUSION with exclusions \
              from allowed_exclusions)",
        anchors: &[
            "Security Hub ECR.2",
            "CT.ECR.PR.3",
            "AVD-AWS-0031",
            "CKV_AWS_51",
            "prowler ecr_repositories_tag_immutability",
        ],
        parameters: &["allowed_exclusions"],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::LifecyclePolicy,
        id: "lifecycle-policy",
        checks: "the repository has a lifecycle policy",
        rationale: "without one, images accumulate forever, and so do cost and old \
                    vulnerable images",
        fix: "give the repository (or defaults) a lifecycle policy",
        anchors: &[
            "Security Hub ECR.3",
            "CT.ECR.PR.1",
            "prowler ecr_repositories_lifecycle_policy_enabled",
        ],
        parameters: &[],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::LifecycleUntagged,
        id: "lifecycle-untagged",
        checks: "the lifecycle policy expires untagged images (a tagStatus untagged or any \
                 expire rule on standard storage, or a transition to archive and an expire rule \
                 there)",
        rationale: "every push of a moved tag leaves an untagged image behind",
        fix: "add a rule {tagStatus: untagged, countType: sinceImagePushed, countUnit: days, \
              countNumber: 14} that expires them",
        anchors: &[],
        parameters: &[],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::LifecycleTaggedCap,
        id: "lifecycle-tagged-cap",
        checks: "the lifecycle policy caps tagged images by count or age (an expire rule that \
                 selects tagged images)",
        rationale: "a policy that only expires untagged images still keeps every release \
                    forever",
        fix: "add an expire rule for tagged images (tagStatus tagged or any) by \
              imageCountMoreThan or sinceImagePushed",
        anchors: &[],
        parameters: &[],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::LifecycleAnyCount,
        id: "lifecycle-any-count",
        checks: "no tagStatus any imageCountMoreThan N rule after an untagged rule, unless its \
                 description says that untagged images count (\"untagged\", \"tagged or \
                 not\", \"of any kind\")",
        rationale: "the any rule counts the untagged images the earlier rule selects, so \
                    \"keep N\" keeps fewer than N tagged images",
        fix: "select tagStatus tagged with tagPatternList [\"*\"] to keep N tagged images, or \
              say in the rule's description that untagged images count",
        anchors: &[],
        parameters: &[],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::LifecycleUnreachableRule,
        id: "lifecycle-unreachable-rule",
        checks: "every lifecycle rule can act on some image: no earlier rule selects every \
                 image it could select",
        rationale: "the first rule that selects an image decides it, so a rule behind one that \
                    selects all it could never acts",
        fix: "remove the rule, narrow the earlier rule, or give the rule a lower rulePriority",
        anchors: &[],
        parameters: &[],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::PublicAccess,
        id: "public-access",
        checks: "no policy allows everyone: an Allow with principal * (or NotPrincipal) needs a \
                 condition on aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceAccount or a \
                 similar key",
        rationale: "a repository or registry policy open to * lets any AWS account pull (or \
                    worse)",
        fix: "name the principals, or add a condition such as StringEquals aws:PrincipalOrgID",
        anchors: &[
            "AVD-AWS-0032",
            "CKV_AWS_32",
            "CKV_AWS_33 (the same test, for KMS key policies)",
            "prowler ecr_repositories_not_publicly_accessible",
        ],
        parameters: &[],
        recommended: Level::Error,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::LeastPrivilege,
        id: "least-privilege",
        checks: "principals outside the registry's account get no push, delete or \
                 policy-changing action unless allowed_push_principals lists them; no policy \
                 grants ecr:* or *",
        rationale: "another account that can push or delete can replace or destroy what \
                    production runs",
        fix: "grant other accounts pull actions only, list CI roles that must push in \
              allowed_push_principals, and name actions instead of ecr:*",
        anchors: &[],
        parameters: &["allowed_push_principals"],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::KmsEncryption,
        id: "kms-encryption",
        checks: "repositories matching the configured patterns are encrypted with KMS (a \
                 customer managed key unless customer_managed is false)",
        rationale: "sensitive images need a key whose policy, rotation and use you control and \
                    audit",
        fix: "create the repository with encryption {type: KMS, kms_key: alias/...} \
              (encryption changes by replacing the repository)",
        anchors: &["Security Hub ECR.5", "AVD-AWS-0033", "CKV_AWS_136"],
        parameters: &["repositories", "customer_managed"],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::Naming,
        id: "naming",
        checks: "repository names follow the convention: a namespace (team/component), the \
                 configured pattern, no generic name from the deny list",
        rationale: "names such as test or repo1 say nothing about who owns what, and policies \
                    and filters work by prefix",
        fix: "name the repository NAMESPACE/COMPONENT (renaming is a replace)",
        anchors: &[],
        parameters: &["pattern", "require_namespace", "deny"],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::RequiredTags,
        id: "required-tags",
        checks: "the repository carries every required tag key with a value",
        rationale: "ownership and cost tags are how a registry of thousands of repositories is \
                    kept accountable",
        fix: "add the tags (defaults.tags applies them to every repository)",
        anchors: &["Security Hub ECR.4 (for public repositories)"],
        parameters: &["keys"],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::DeletionProtection,
        id: "deletion-protection",
        checks: "repositories matching protected patterns have no force_delete and are not \
                 pruned",
        rationale: "deleting a production repository deletes every image running in \
                    production",
        fix: "remove force_delete, keep the repository in the spec, or add an exception with \
              a reason",
        anchors: &[],
        parameters: &["protected"],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Repository,
    },
    Rule {
        rule: RuleId::ReplicationDestinations,
        id: "replication-destinations",
        checks: "replication only goes to allowed accounts (by default: the accounts of the \
                 spec's registries)",
        rationale: "replication copies every image to the destination account, out of this \
                    account's control",
        fix: "replicate to an allowed account, or add the account to allowed_accounts",
        anchors: &[],
        parameters: &["allowed_accounts"],
        recommended: Level::Warning,
        strict: Level::Error,
        scope: Scope::Registry,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_listed_once_in_declaration_order() {
        for (index, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.rule as usize, index, "{}", rule.id);
            assert_eq!(RuleId::parse(rule.id), Some(rule.rule));
            assert_eq!(rule.rule.as_str(), rule.id);
        }
        assert_eq!(RuleId::all().count(), RULES.len());
    }

    #[test]
    fn recommended_makes_only_public_access_an_error_and_strict_makes_all_errors() {
        let errors: Vec<&str> = RULES
            .iter()
            .filter(|rule| rule.recommended == Level::Error)
            .map(|rule| rule.id)
            .collect();
        assert_eq!(errors, ["public-access"]);
        assert!(RULES.iter().all(|rule| rule.strict == Level::Error));
        assert!(
            RULES
                .iter()
                .all(|rule| rule.level_in(Profile::None) == Level::Off)
        );
    }

    #[test]
    fn ids_are_lowercase_words_joined_by_hyphens() {
        for rule in RULES {
            assert!(
                rule.id
                    .split('-')
                    .all(|word| !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase())),
                "{}",
                rule.id
            );
        }
    }
}
