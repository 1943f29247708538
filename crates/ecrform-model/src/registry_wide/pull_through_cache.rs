//! Pull-through cache rules, keyed by their ECR repository prefix.
//!
//! ECR fills in two values a CreatePullThroughCacheRule request may leave out, and reports
//! them: the upstream repository prefix (`ROOT`) and the upstream registry, which it derives
//! from the upstream URL. A spec that leaves them out must read back equal, and one that states
//! them must too, so both sides are compared after [`PullThroughCacheRule::canonical`].

use serde::{Deserialize, Serialize};

use super::ROOT_PREFIX;
use crate::enums::string_enum;

string_enum! {
    /// The upstream registries ECR caches from.
    pub enum UpstreamRegistry {
        Ecr => "ecr",
        EcrPublic => "ecr-public",
        Quay => "quay",
        K8s => "k8s",
        DockerHub => "docker-hub",
        GithubContainerRegistry => "github-container-registry",
        AzureContainerRegistry => "azure-container-registry",
        GitlabContainerRegistry => "gitlab-container-registry",
        Chainguard => "chainguard",
    }
}

impl UpstreamRegistry {
    /// ECR caches from these only with credentials (a Secrets Manager secret).
    pub fn needs_credentials(self) -> bool {
        matches!(
            self,
            UpstreamRegistry::DockerHub
                | UpstreamRegistry::GithubContainerRegistry
                | UpstreamRegistry::AzureContainerRegistry
                | UpstreamRegistry::GitlabContainerRegistry
        )
    }
}

/// A pull-through cache rule; the registry keys rules by their ECR repository prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullThroughCacheRule {
    pub upstream_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_registry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_repository_prefix: Option<String>,
}

/// The fields of a rule, in the order a plan lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullThroughCacheField {
    UpstreamUrl,
    UpstreamRegistry,
    CredentialArn,
    CustomRoleArn,
    UpstreamRepositoryPrefix,
}

impl PullThroughCacheField {
    pub const ALL: [PullThroughCacheField; 5] = [
        PullThroughCacheField::UpstreamUrl,
        PullThroughCacheField::UpstreamRegistry,
        PullThroughCacheField::CredentialArn,
        PullThroughCacheField::CustomRoleArn,
        PullThroughCacheField::UpstreamRepositoryPrefix,
    ];

    /// The field's name in the spec and in a plan's `fields`.
    pub const fn name(self) -> &'static str {
        match self {
            PullThroughCacheField::UpstreamUrl => "upstream_url",
            PullThroughCacheField::UpstreamRegistry => "upstream_registry",
            PullThroughCacheField::CredentialArn => "credential_arn",
            PullThroughCacheField::CustomRoleArn => "custom_role_arn",
            PullThroughCacheField::UpstreamRepositoryPrefix => "upstream_repository_prefix",
        }
    }

    pub fn value(self, rule: &PullThroughCacheRule) -> Option<&str> {
        match self {
            PullThroughCacheField::UpstreamUrl => Some(&rule.upstream_url),
            PullThroughCacheField::UpstreamRegistry => rule.upstream_registry.as_deref(),
            PullThroughCacheField::CredentialArn => rule.credential_arn.as_deref(),
            PullThroughCacheField::CustomRoleArn => rule.custom_role_arn.as_deref(),
            PullThroughCacheField::UpstreamRepositoryPrefix => {
                rule.upstream_repository_prefix.as_deref()
            }
        }
    }

    /// Whether UpdatePullThroughCacheRule can make this field what `want` says: it sets the
    /// credential and the role, and cannot take one away. Everything else is creation-only.
    pub fn updatable_to(self, want: &PullThroughCacheRule) -> bool {
        matches!(
            self,
            PullThroughCacheField::CredentialArn | PullThroughCacheField::CustomRoleArn
        ) && self.value(want).is_some()
    }
}

impl PullThroughCacheRule {
    /// The rule without what ECR fills in by itself: the `ROOT` upstream prefix, the upstream
    /// registry ECR derives from the URL, and empty texts. Depends on the rule alone, so a
    /// desired rule and a live one reduce alike whether or not they stated those values.
    pub fn canonical(&self) -> PullThroughCacheRule {
        let non_empty = |value: &Option<String>| value.clone().filter(|text| !text.is_empty());
        let mut rule = PullThroughCacheRule {
            upstream_url: self.upstream_url.clone(),
            upstream_registry: non_empty(&self.upstream_registry),
            credential_arn: non_empty(&self.credential_arn),
            custom_role_arn: non_empty(&self.custom_role_arn),
            upstream_repository_prefix: non_empty(&self.upstream_repository_prefix),
        };
        if rule.upstream_repository_prefix.as_deref() == Some(ROOT_PREFIX) {
            rule.upstream_repository_prefix = None;
        }
        if rule.upstream_registry.is_some()
            && rule.upstream_registry.as_deref()
                == derived_upstream_registry(&rule.upstream_url).map(UpstreamRegistry::as_str)
        {
            rule.upstream_registry = None;
        }
        rule
    }

    /// The rule as DescribePullThroughCacheRules reports it once created from `self`: with
    /// the upstream registry ECR derives from the URL and `ROOT` for a missing upstream prefix.
    pub fn as_ecr_reports(&self) -> PullThroughCacheRule {
        let mut reported = self.clone();
        if reported.upstream_registry.is_none() {
            reported.upstream_registry = derived_upstream_registry(&self.upstream_url)
                .map(|upstream| upstream.as_str().to_owned());
        }
        if reported.upstream_repository_prefix.is_none() {
            reported.upstream_repository_prefix = Some(ROOT_PREFIX.to_owned());
        }
        reported
    }

    /// The fields in which live state differs from this desired rule, compared canonically.
    ///
    /// The upstream registry is compared only when the desired rule names one that ECR would
    /// not derive from its URL, against the one live state has (named, or derived): a rule
    /// that leaves it out takes whatever ECR derives, and a changed URL is already the
    /// difference. Comparing a value ECR filled in would plan a replace on every run for an
    /// upstream whose derivation ecrform does not know.
    pub fn differing_fields(&self, live: &PullThroughCacheRule) -> Vec<PullThroughCacheField> {
        let (want, have) = (self.canonical(), live.canonical());
        PullThroughCacheField::ALL
            .into_iter()
            .filter(|field| match field {
                PullThroughCacheField::UpstreamRegistry => {
                    match (&want.upstream_registry, have.effective_upstream_registry()) {
                        (Some(want), Some(have)) => want != have,
                        _ => false,
                    }
                }
                _ => field.value(&want) != field.value(&have),
            })
            .collect()
    }

    /// The upstream registry the rule caches from: the one it names, or the one ECR derives.
    pub fn effective_upstream_registry(&self) -> Option<&str> {
        self.upstream_registry
            .as_deref()
            .filter(|upstream| !upstream.is_empty())
            .or_else(|| derived_upstream_registry(&self.upstream_url).map(UpstreamRegistry::as_str))
    }
}

/// The upstream registry ECR assigns to a rule created with this upstream URL and no
/// upstream registry, after the URL syntax of CreatePullThroughCacheRule's documentation.
/// `None` for a URL whose upstream ecrform does not know.
pub fn derived_upstream_registry(url: &str) -> Option<UpstreamRegistry> {
    let url = url.trim();
    let without_scheme = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("HTTPS://"))
        .unwrap_or(url);
    let host = without_scheme
        .split('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let fixed = [
        ("public.ecr.aws", UpstreamRegistry::EcrPublic),
        ("registry-1.docker.io", UpstreamRegistry::DockerHub),
        ("ghcr.io", UpstreamRegistry::GithubContainerRegistry),
        (
            "registry.gitlab.com",
            UpstreamRegistry::GitlabContainerRegistry,
        ),
        ("registry.k8s.io", UpstreamRegistry::K8s),
        ("quay.io", UpstreamRegistry::Quay),
        ("cgr.dev", UpstreamRegistry::Chainguard),
    ];
    if let Some((_, upstream)) = fixed.iter().find(|(known, _)| *known == host) {
        return Some(*upstream);
    }
    if host.ends_with(".azurecr.io") {
        return Some(UpstreamRegistry::AzureContainerRegistry);
    }
    // <account>.dkr.ecr.<region>.amazonaws.com, and the China partition's .com.cn.
    let labels: Vec<&str> = host.split('.').collect();
    let is_ecr = match labels.as_slice() {
        [account, "dkr", "ecr", region, "amazonaws", "com"]
        | [account, "dkr", "ecr", region, "amazonaws", "com", "cn"] => {
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !region.is_empty()
        }
        _ => false,
    };
    is_ecr.then_some(UpstreamRegistry::Ecr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(url: &str) -> PullThroughCacheRule {
        PullThroughCacheRule {
            upstream_url: url.to_owned(),
            upstream_registry: None,
            credential_arn: None,
            custom_role_arn: None,
            upstream_repository_prefix: None,
        }
    }

    #[test]
    fn upstream_registries_are_derived_from_the_url_as_ecr_derives_them() {
        let cases = [
            ("registry-1.docker.io", Some("docker-hub")),
            ("https://registry-1.docker.io", Some("docker-hub")),
            ("Registry-1.Docker.IO/", Some("docker-hub")),
            ("public.ecr.aws", Some("ecr-public")),
            ("quay.io", Some("quay")),
            ("registry.k8s.io", Some("k8s")),
            ("ghcr.io", Some("github-container-registry")),
            ("registry.gitlab.com", Some("gitlab-container-registry")),
            ("cgr.dev", Some("chainguard")),
            ("myregistry.azurecr.io", Some("azure-container-registry")),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com", Some("ecr")),
            (
                "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
                Some("ecr"),
            ),
            ("12345.dkr.ecr.us-east-1.amazonaws.com", None),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
                None,
            ),
            ("registry.example.com", None),
        ];
        for (url, expected) in cases {
            assert_eq!(
                derived_upstream_registry(url).map(UpstreamRegistry::as_str),
                expected,
                "{url}"
            );
        }
    }

    #[test]
    fn what_ecr_fills_in_is_no_difference() {
        let cases = [
            ("registry-1.docker.io", Some("docker-hub"), Some("ROOT")),
            ("registry-1.docker.io", None, Some("ROOT")),
            ("registry-1.docker.io", Some("docker-hub"), None),
            ("quay.io", None, None),
        ];
        for (url, registry, prefix) in cases {
            let stated = PullThroughCacheRule {
                upstream_registry: registry.map(str::to_owned),
                upstream_repository_prefix: prefix.map(str::to_owned),
                ..rule(url)
            };
            let reported = rule(url).as_ecr_reports();
            assert_eq!(stated.canonical(), reported.canonical(), "{stated:?}");
            assert!(stated.differing_fields(&reported).is_empty(), "{stated:?}");
        }
    }

    #[test]
    fn creation_only_and_updatable_fields_are_differences() {
        let want = PullThroughCacheRule {
            credential_arn: Some(
                "arn:aws:secretsmanager:us-east-1:1:secret:ecr-pullthroughcache/a".to_owned(),
            ),
            ..rule("registry-1.docker.io")
        };
        let cases = [
            (
                PullThroughCacheRule {
                    upstream_url: "quay.io".to_owned(),
                    ..want.clone()
                },
                vec![PullThroughCacheField::UpstreamUrl],
            ),
            (
                PullThroughCacheRule {
                    credential_arn: None,
                    ..want.clone()
                },
                vec![PullThroughCacheField::CredentialArn],
            ),
            (
                PullThroughCacheRule {
                    upstream_repository_prefix: Some("library".to_owned()),
                    ..want.clone()
                },
                vec![PullThroughCacheField::UpstreamRepositoryPrefix],
            ),
            (
                PullThroughCacheRule {
                    upstream_registry: Some("quay".to_owned()),
                    ..want.clone()
                }
                .as_ecr_reports(),
                // The spec leaves it to ECR: whatever ECR reports agrees.
                Vec::new(),
            ),
            (want.as_ecr_reports(), Vec::new()),
        ];
        for (live, expected) in cases {
            assert_eq!(want.differing_fields(&live), expected, "{live:?}");
        }
        let named = PullThroughCacheRule {
            upstream_registry: Some("docker-hub".to_owned()),
            ..rule("registry.example.com")
        };
        let other = PullThroughCacheRule {
            upstream_registry: Some("quay".to_owned()),
            ..rule("registry.example.com")
        };
        assert_eq!(
            named.differing_fields(&other),
            [PullThroughCacheField::UpstreamRegistry],
            "two named upstream registries that differ are a difference"
        );
        let unknown = rule("registry.example.com");
        assert!(
            unknown.differing_fields(&other).is_empty(),
            "an upstream ecrform cannot derive agrees with what ECR reports"
        );
        let stated = PullThroughCacheRule {
            upstream_registry: Some("ecr-public".to_owned()),
            ..rule("registry-1.docker.io")
        };
        assert_eq!(
            stated.differing_fields(&rule("registry-1.docker.io").as_ecr_reports()),
            [PullThroughCacheField::UpstreamRegistry],
            "a stated upstream registry other than the one ECR derived is a difference"
        );
    }

    #[test]
    fn a_stated_upstream_registry_ecr_would_not_derive_is_kept() {
        let rule = PullThroughCacheRule {
            upstream_registry: Some("k8s".to_owned()),
            upstream_repository_prefix: Some("ROOT".to_owned()),
            ..rule("quay.io")
        };
        let canonical = rule.canonical();
        assert_eq!(canonical.upstream_registry.as_deref(), Some("k8s"));
        assert_eq!(canonical.upstream_repository_prefix, None);
    }

    #[test]
    fn only_the_credential_and_role_are_updatable_and_never_to_nothing() {
        let with_credential = PullThroughCacheRule {
            credential_arn: Some("arn".to_owned()),
            ..rule("quay.io")
        };
        assert!(PullThroughCacheField::CredentialArn.updatable_to(&with_credential));
        assert!(!PullThroughCacheField::CustomRoleArn.updatable_to(&with_credential));
        assert!(!PullThroughCacheField::UpstreamUrl.updatable_to(&with_credential));
    }
}
