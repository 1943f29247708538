//! ECR's API patterns (from its service model) as small hand-written matchers. Each is a short
//! regular expression in the model; writing them out keeps the spec crate free of a regex
//! engine, and the tests below pin each one to the model's examples.

/// A repository-name path as ECR's prefixes use it:
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*/?`.
pub(crate) fn is_name_prefix(raw: &str) -> bool {
    let trimmed = raw.strip_suffix('/').unwrap_or(raw);
    !trimmed.is_empty() && trimmed.split('/').all(is_name_component)
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_name_component(component: &str) -> bool {
    let is_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let (Some(first), Some(last)) = (component.chars().next(), component.chars().last()) else {
        return false;
    };
    if !is_alnum(first) || !is_alnum(last) {
        return false;
    }
    let mut separator = String::new();
    for c in component.chars() {
        if is_alnum(c) {
            let allowed = separator.is_empty()
                || separator == "."
                || separator == "_"
                || separator == "__"
                || separator.chars().all(|s| s == '-');
            if !allowed {
                return false;
            }
            separator.clear();
        } else if matches!(c, '.' | '_' | '-') {
            separator.push(c);
        } else {
            return false;
        }
    }
    true
}

/// A tag key or value character: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`. Letters are approximated by
/// `char::is_alphabetic` (which also admits a few combining marks); numbers and separators
/// are exact.
pub(crate) fn is_tag_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || is_unicode_separator(c) || "_.:/=+-@".contains(c)
}

/// Unicode general category Z (Zs, Zl, Zp).
fn is_unicode_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{00A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// An image tag mutability exclusion filter: `^[0-9a-zA-Z._*-]{1,128}$`.
pub(crate) fn is_exclusion_filter(raw: &str) -> bool {
    (1..=128).contains(&raw.len())
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '*' | '-'))
}

/// A registry scanning filter: `^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$`, 1 to 255 chars.
pub(crate) fn is_scanning_filter(raw: &str) -> bool {
    let is_word = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '*';
    let is_separator = |c: char| matches!(c, '.' | '_' | '-' | '/');
    let (Some(first), Some(last)) = (raw.chars().next(), raw.chars().last()) else {
        return false;
    };
    if raw.len() > 255 || !is_word(first) || !is_word(last) {
        return false;
    }
    let mut previous_was_separator = false;
    for c in raw.chars() {
        if is_separator(c) {
            if previous_was_separator {
                return false;
            }
            previous_was_separator = true;
        } else if is_word(c) {
            previous_was_separator = false;
        } else {
            return false;
        }
    }
    true
}

/// A replication repository filter (PREFIX_MATCH):
/// `^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$`, 2 to 256 chars.
pub(crate) fn is_replication_filter(raw: &str) -> bool {
    if !(2..=256).contains(&raw.len()) {
        return false;
    }
    let allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    let components: Vec<&str> = raw.split('/').collect();
    let (last, leading) = components.split_last().unwrap_or((&"", &[]));
    leading.iter().all(|component| {
        component
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && component.chars().all(allowed)
    }) && last.chars().all(allowed)
}

/// The partition of an ARN: `aws` or `aws-...` (aws-cn, aws-us-gov, aws-iso-b).
fn is_partition(raw: &str) -> bool {
    raw == "aws"
        || raw.strip_prefix("aws-").is_some_and(|rest| {
            !rest.is_empty()
                && rest.split('-').all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
        })
}

fn is_account_id(raw: &str) -> bool {
    raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit())
}

/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
pub(crate) fn is_iam_role_arn(raw: &str) -> bool {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let Some(role) = resource.strip_prefix("role/") else {
        return false;
    };
    *arn == "arn"
        && is_partition(partition)
        && *service == "iam"
        && region.is_empty()
        && is_account_id(account)
        && !role.is_empty()
        && !role.ends_with('/')
        && raw.len() <= 2048
        && role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
}

/// Why a pull-through cache credential ARN is refused, if it is. ECR's pattern:
/// `^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr\-pullthroughcache\/[a-zA-Z0-9\/_+=.@-]+$`,
/// 50 to 612 characters.
pub(crate) fn credential_arn_problem(raw: &str) -> Option<&'static str> {
    let not_secret = "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:ecr-pullthroughcache/NAME)";
    let Some(rest) = raw.strip_prefix("arn:") else {
        return Some(not_secret);
    };
    let Some((partition, rest)) = rest.split_once(':') else {
        return Some(not_secret);
    };
    let Some(rest) = rest.strip_prefix("secretsmanager:") else {
        return Some(not_secret);
    };
    if !is_partition(partition) {
        return Some(not_secret);
    }
    let Some((location, secret)) = rest.split_once(":secret:") else {
        return Some(not_secret);
    };
    if location.is_empty()
        || !location
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
    {
        return Some(not_secret);
    }
    let Some(name) = secret.strip_prefix("ecr-pullthroughcache/") else {
        return Some(
            "names a secret whose name does not start with \"ecr-pullthroughcache/\", which ECR requires",
        );
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
    {
        return Some(not_secret);
    }
    if !(50..=612).contains(&raw.len()) {
        return Some("must be 50 to 612 characters long");
    }
    None
}

/// A full KMS key ARN, as creation templates need:
/// `arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-z0-9-]+`.
pub(crate) fn is_kms_key_arn(raw: &str) -> bool {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let lower = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    *arn == "arn"
        && partition.starts_with("aws")
        && lower(partition)
        && *service == "kms"
        && !region.is_empty()
        && lower(region)
        && is_account_id(account)
        && resource
            .strip_prefix("key/")
            .is_some_and(|id| !id.is_empty() && lower(id))
}

/// A KMS key as a repository may name it: key id, key ARN, alias name or alias ARN.
pub(crate) fn is_kms_key_reference(raw: &str) -> bool {
    let alias_name = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
    };
    if let Some(alias) = raw.strip_prefix("alias/") {
        return alias_name(alias);
    }
    if raw.starts_with("arn:") {
        let parts: Vec<&str> = raw.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts.as_slice() else {
            return false;
        };
        return is_partition(partition)
            && *service == "kms"
            && !region.is_empty()
            && is_account_id(account)
            && (resource.strip_prefix("alias/").is_some_and(alias_name)
                || resource.strip_prefix("key/").is_some_and(is_key_id));
    }
    is_key_id(raw)
}

/// A KMS key id: a UUID, or `mrk-` and 32 hex digits for a multi-region key.
fn is_key_id(raw: &str) -> bool {
    let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
    if let Some(multi_region) = raw.strip_prefix("mrk-") {
        return multi_region.len() == 32 && hex(multi_region);
    }
    let groups: Vec<&str> = raw.split('-').collect();
    groups.iter().map(|group| group.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|group| hex(group))
}

/// The partition as the signing and pull-time exclusion patterns write it: `aws(-[a-z]+)*`.
fn is_lowercase_partition(raw: &str) -> bool {
    raw.strip_prefix("aws").is_some_and(|rest| {
        rest.is_empty()
            || rest.strip_prefix('-').is_some_and(|rest| {
                rest.split('-')
                    .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase()))
            })
    })
}

/// An AWS Signer signing profile ARN as a signing rule takes it:
/// `^arn:aws(-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:\/signing-profiles\/[a-zA-Z0-9_]{2,}$`
/// (the length, at most 200, is checked apart, with its own message).
pub(crate) fn is_signing_profile_arn(raw: &str) -> bool {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    *arn == "arn"
        && is_lowercase_partition(partition)
        && *service == "signer"
        && !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && is_account_id(account)
        && resource
            .strip_prefix("/signing-profiles/")
            .is_some_and(|name| {
                name.len() >= 2 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
}

/// A signing rule's WILDCARD_MATCH repository filter:
/// `^(?:[a-z0-9*]+(?:[._-][a-z0-9*]+)*/)*[a-z0-9*]+(?:[._-][a-z0-9*]+)*$` (the length, 1 to
/// 256, is checked apart).
pub(crate) fn is_signing_filter(raw: &str) -> bool {
    let is_word = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '*';
    raw.split('/').all(|component| {
        component
            .split(['.', '_', '-'])
            .all(|word| !word.is_empty() && word.chars().all(is_word))
    })
}

/// An IAM role or user ARN, as a pull-time update exclusion takes it:
/// `^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[\w+=,.@-]+(/[\w+=,.@-]+)*$` (the length, at
/// most 200, is checked apart).
pub(crate) fn is_principal_arn(raw: &str) -> bool {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let Some(path) = resource
        .strip_prefix("role/")
        .or_else(|| resource.strip_prefix("user/"))
    else {
        return false;
    };
    *arn == "arn"
        && is_lowercase_partition(partition)
        && *service == "iam"
        && region.is_empty()
        && is_account_id(account)
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_prefixes_follow_the_repository_name_alphabet() {
        for good in ["docker-hub", "ecr-public/", "a/b", "quay.io", "a__b"] {
            assert!(is_name_prefix(good), "{good}");
        }
        for bad in ["", "/", "Docker", "a//b", "-a", "a_-b", "a b"] {
            assert!(!is_name_prefix(bad), "{bad}");
        }
    }

    #[test]
    fn tag_characters_follow_the_tagging_alphabet() {
        for good in ["team", "cost center", "a:b/c=d+e-f@g_h.i", "équipe", "١٢"] {
            assert!(good.chars().all(is_tag_char), "{good}");
        }
        for bad in ["a*b", "a#b", "a\tb", "a,b", "a\"b"] {
            assert!(!bad.chars().all(is_tag_char), "{bad}");
        }
    }

    #[test]
    fn exclusion_filters_match_the_api_pattern() {
        for good in ["latest", "dev-*", "v1.2_3", "*"] {
            assert!(is_exclusion_filter(good), "{good}");
        }
        for bad in ["", "a/b", "a b", &"a".repeat(129)] {
            assert!(!is_exclusion_filter(bad), "{bad}");
        }
    }

    #[test]
    fn scanning_filters_match_the_api_pattern() {
        for good in ["*", "team-a/*", "prod", "a.b_c-d/e*"] {
            assert!(is_scanning_filter(good), "{good}");
        }
        for bad in ["", "Team", "a//b", "-a", "a-", "a b"] {
            assert!(!is_scanning_filter(bad), "{bad}");
        }
    }

    #[test]
    fn replication_filters_match_the_api_pattern() {
        for good in ["team-a/", "prod", "a.b/c_", "ab"] {
            assert!(is_replication_filter(good), "{good}");
        }
        for bad in ["a", "Team", "/a", "-a/b", "a*", "a//"] {
            assert!(!is_replication_filter(bad), "{bad}");
        }
    }

    #[test]
    fn signing_profile_arns_match_the_api_pattern() {
        for good in [
            "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release_images",
            "arn:aws-us-gov:signer:us-gov-west-1:123456789012:/signing-profiles/ab",
            "arn:aws-iso-b:signer:us-isob-east-1:123456789012:/signing-profiles/Prod2",
        ] {
            assert!(is_signing_profile_arn(good), "{good}");
        }
        for bad in [
            // A profile name of one character, or with a '-'.
            "arn:aws:signer:us-east-1:123456789012:/signing-profiles/a",
            "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release-images",
            // A profile version ARN, and the resource without its leading '/'.
            "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release/abc123",
            "arn:aws:signer:us-east-1:123456789012:signing-profiles/release",
            "arn:aws:signer::123456789012:/signing-profiles/release",
            "arn:aws:signer:us-east-1:12345:/signing-profiles/release",
            "arn:aws:kms:us-east-1:123456789012:/signing-profiles/release",
            "arn:AWS:signer:us-east-1:123456789012:/signing-profiles/release",
            "arn:aws-:signer:us-east-1:123456789012:/signing-profiles/release",
            "release",
        ] {
            assert!(!is_signing_profile_arn(bad), "{bad}");
        }
    }

    #[test]
    fn signing_filters_match_the_api_pattern() {
        for good in [
            "*",
            "team-a/*",
            "myapp/*",
            "prod-*",
            "a.b_c-d/e*f",
            "release",
        ] {
            assert!(is_signing_filter(good), "{good}");
        }
        for bad in [
            "", "Team", "a//b", "a/", "/a", "-a", "a-", "a.-b", "a b", "a+b",
        ] {
            assert!(!is_signing_filter(bad), "{bad}");
        }
    }

    #[test]
    fn principal_arns_are_iam_roles_and_users() {
        for good in [
            "arn:aws:iam::123456789012:role/scanner",
            "arn:aws:iam::123456789012:user/mirror",
            "arn:aws:iam::123456789012:role/ci/team-a/puller+bot=1,x.y@z_w",
            "arn:aws-cn:iam::123456789012:role/scanner",
        ] {
            assert!(is_principal_arn(good), "{good}");
        }
        for bad in [
            "arn:aws:iam::123456789012:group/readers",
            "arn:aws:iam::123456789012:root",
            "arn:aws:sts::123456789012:assumed-role/scanner/session",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a//b",
            "arn:aws:iam::123456789012:role/a:b",
            "arn:aws:iam:us-east-1:123456789012:role/scanner",
            "arn:aws:iam::12345:role/scanner",
            "123456789012",
        ] {
            assert!(!is_principal_arn(bad), "{bad}");
        }
    }

    #[test]
    fn arns_are_checked_for_their_service_and_shape() {
        assert!(is_iam_role_arn("arn:aws:iam::123456789012:role/ecr-admin"));
        assert!(is_iam_role_arn(
            "arn:aws-us-gov:iam::123456789012:role/path/to/role"
        ));
        for bad in [
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::12345:role/x",
            "arn:aws:sts::123456789012:role/x",
            "ecr-admin",
        ] {
            assert!(!is_iam_role_arn(bad), "{bad}");
        }
        assert_eq!(
            credential_arn_problem(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
            ),
            None
        );
        assert!(
            credential_arn_problem(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf"
            )
            .is_some_and(|problem| problem.contains("ecr-pullthroughcache/"))
        );
        assert!(credential_arn_problem("arn:aws:s3:::bucket").is_some());
        assert!(is_kms_key_arn(
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(!is_kms_key_arn(
            "arn:aws:kms:us-east-1:123456789012:alias/ecr"
        ));
        assert!(!is_kms_key_arn("alias/ecr"));
        for good in [
            "alias/ecr",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
            "arn:aws:kms:us-east-1:123456789012:alias/ecr",
        ] {
            assert!(is_kms_key_reference(good), "{good}");
        }
        for bad in [
            "ecr",
            "alias/",
            "arn:aws:kms:us-east-1:123456789012:secret/x",
        ] {
            assert!(!is_kms_key_reference(bad), "{bad}");
        }
    }
}
