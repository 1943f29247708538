//! The configuration of guardrails (the spec's top-level `guardrails:`): a profile, per-rule
//! levels and parameters, and exceptions.
//!
//! A profile gives every rule a level and every parameter a value; what the spec writes
//! replaces those one by one. The spec crate reads and checks the YAML (with locations);
//! this is the checked result, which also travels in saved plans, so it serializes.

use std::collections::BTreeMap;
use std::fmt;

use ecrform_model::AccountId;
use serde::{Deserialize, Serialize};

use crate::rules::{Level, Profile, RuleId};

/// Generic repository names: a repository (or the last part of its name) called like this
/// says nothing about what it holds.
pub const GENERIC_NAMES: &[&str] = &[
    "test",
    "tests",
    "testing",
    "tmp",
    "temp",
    "repo",
    "repo1",
    "repo2",
    "repository",
    "default",
    "demo",
    "example",
    "sample",
    "foo",
    "bar",
    "image",
    "docker",
    "my-repo",
    "new-repo",
];

/// What `strict` asks of names: lowercase words, a namespace, each part starting with a
/// letter.
pub const STRICT_NAME_PATTERN: &str = "^[a-z][a-z0-9-]*(/[a-z][a-z0-9._-]*)+$";

/// The configuration, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(with = "profile_serde")]
    pub profile: Profile,
    /// Levels the spec sets, over the profile's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub levels: BTreeMap<String, String>,
    pub parameters: Parameters,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Exception>,
}

impl Default for Config {
    fn default() -> Self {
        Config::for_profile(Profile::Recommended)
    }
}

impl Config {
    /// A profile's levels and parameters, with nothing overridden.
    pub fn for_profile(profile: Profile) -> Self {
        Config {
            profile,
            levels: BTreeMap::new(),
            parameters: Parameters::for_profile(profile),
            exceptions: Vec::new(),
        }
    }

    /// The level of a rule: the spec's, else the profile's.
    pub fn level(&self, rule: RuleId) -> Level {
        self.levels
            .get(rule.as_str())
            .and_then(|level| Level::parse(level))
            .unwrap_or_else(|| rule.definition().level_in(self.profile))
    }

    pub fn set_level(&mut self, rule: RuleId, level: Level) {
        self.levels
            .insert(rule.as_str().to_owned(), level.as_str().to_owned());
    }

    /// Whether any rule is on.
    pub fn any_rule_on(&self) -> bool {
        RuleId::all().any(|rule| self.level(rule) != Level::Off)
    }
}

/// Every rule's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// `tag-immutability`: exclusion filters IMMUTABLE_WITH_EXCLUSION may list.
    pub allowed_exclusions: Vec<String>,
    /// `least-privilege`: principals outside the registry's account that may push, delete
    /// or change policies: account ids, or ARNs where `*` matches any run of characters.
    pub allowed_push_principals: Vec<String>,
    /// `kms-encryption`: repositories (globs) that must be encrypted with KMS.
    pub kms_repositories: Vec<String>,
    /// `kms-encryption`: whether the key must be a customer managed one (not `aws/ecr`).
    pub kms_customer_managed: bool,
    /// `naming`: a regular expression every name must match.
    pub name_pattern: Option<String>,
    /// `naming`: names must have a namespace (`team/component`).
    pub require_namespace: bool,
    /// `naming`: generic names (globs) no name or last name part may be.
    pub deny_names: Vec<String>,
    /// `required-tags`: tag keys every repository carries.
    pub required_tags: Vec<String>,
    /// `deletion-protection`: repositories (globs) never force-deleted nor pruned.
    pub protected: Vec<String>,
    /// `replication-destinations`: accounts replication may go to; `None` for the accounts
    /// of the spec's registries.
    pub allowed_replication_accounts: Option<Vec<AccountId>>,
}

impl Parameters {
    pub fn for_profile(profile: Profile) -> Self {
        let strict = profile == Profile::Strict;
        Parameters {
            allowed_exclusions: if strict {
                Vec::new()
            } else {
                vec!["latest".to_owned()]
            },
            allowed_push_principals: Vec::new(),
            kms_repositories: if strict {
                vec!["*".to_owned()]
            } else {
                Vec::new()
            },
            kms_customer_managed: true,
            name_pattern: strict.then(|| STRICT_NAME_PATTERN.to_owned()),
            require_namespace: true,
            deny_names: GENERIC_NAMES
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
            required_tags: if strict {
                vec!["owner".to_owned()]
            } else {
                Vec::new()
            },
            protected: vec!["*prod*".to_owned()],
            allowed_replication_accounts: None,
        }
    }
}

/// A rule that does not apply to some repositories, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    #[serde(with = "rule_serde")]
    pub rule: RuleId,
    /// Repository names (globs: `*` matches any run of characters, `/` included). A
    /// registry-wide finding is excepted by `*` alone.
    pub repositories: Vec<String>,
    pub reason: String,
    /// The last day the exception holds; after it, it is itself an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
}

impl Exception {
    /// Whether the exception covers a finding about `repository` (`None`: registry-wide).
    pub fn covers(&self, repository: Option<&str>) -> bool {
        match repository {
            Some(name) => self
                .repositories
                .iter()
                .any(|glob| ecrform_lifecycle::glob_matches(glob, name)),
            None => self.repositories.iter().any(|glob| glob == "*"),
        }
    }

    /// Whether the exception has lapsed on `today`.
    pub fn has_expired(&self, today: Date) -> bool {
        self.until.is_some_and(|until| until < today)
    }
}

/// A calendar day (UTC), as `until` is written: `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Reads `YYYY-MM-DD`, a day that exists.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some()
            || year.len() != 4
            || month.len() != 2
            || day.len() != 2
            || !text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        {
            return None;
        }
        let date = Date {
            year: year.parse().ok()?,
            month: month.parse().ok()?,
            day: day.parse().ok()?,
        };
        ((1..=12).contains(&date.month)
            && (1..=days_in_month(date.year, date.month)).contains(&date.day))
        .then_some(date)
    }

    /// The day of a Unix time (seconds since 1970-01-01T00:00:00Z).
    pub fn from_unix_seconds(seconds: i64) -> Date {
        // Howard Hinnant's days-to-civil algorithm.
        let days = seconds.div_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
        }
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a date YYYY-MM-DD")))
    }
}

mod profile_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::rules::Profile;

    pub fn serialize<S: Serializer>(profile: &Profile, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(profile.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Profile, D::Error> {
        let text = String::deserialize(deserializer)?;
        Profile::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown profile {text:?}")))
    }
}

mod rule_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::rules::RuleId;

    pub fn serialize<S: Serializer>(rule: &RuleId, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(rule.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<RuleId, D::Error> {
        let text = String::deserialize(deserializer)?;
        RuleId::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown guardrail rule {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_only_days_that_exist() {
        let date = |y, m, d| {
            Some(Date {
                year: y,
                month: m,
                day: d,
            })
        };
        let cases = [
            ("2026-12-31", date(2026, 12, 31)),
            ("2024-02-29", date(2024, 2, 29)),
            ("2025-02-29", None),
            ("2100-02-29", None),
            ("2000-02-29", date(2000, 2, 29)),
            ("2026-13-01", None),
            ("2026-04-31", None),
            ("2026-1-01", None),
            ("26-01-01", None),
            ("2026-01-01T00:00:00Z", None),
            ("2026/01/01", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(Date::parse(text), expected, "{text}");
        }
        assert_eq!(
            Date::parse("2026-03-07").map(|d| d.to_string()).as_deref(),
            Some("2026-03-07")
        );
    }

    #[test]
    fn unix_seconds_become_the_utc_day() {
        let cases = [
            (0, "1970-01-01"),
            (86_399, "1970-01-01"),
            (86_400, "1970-01-02"),
            (951_782_400, "2000-02-29"),
            (1_798_761_599, "2026-12-31"),
            (1_798_761_600, "2027-01-01"),
            (-1, "1969-12-31"),
        ];
        for (seconds, day) in cases {
            assert_eq!(
                Date::from_unix_seconds(seconds).to_string(),
                day,
                "{seconds}"
            );
        }
    }

    #[test]
    fn an_exception_lapses_the_day_after_until() {
        let exception = Exception {
            rule: RuleId::Naming,
            repositories: vec!["legacy/*".to_owned()],
            reason: "old clients".to_owned(),
            until: Date::parse("2026-06-30"),
        };
        assert!(!exception.has_expired(Date::parse("2026-06-30").unwrap()));
        assert!(exception.has_expired(Date::parse("2026-07-01").unwrap()));
        assert!(exception.covers(Some("legacy/app")));
        assert!(!exception.covers(Some("team/legacy")));
        assert!(
            !exception.covers(None),
            "only * excepts registry-wide findings"
        );
    }

    #[test]
    fn levels_the_spec_sets_replace_the_profiles() {
        let mut config = Config::for_profile(Profile::Recommended);
        assert_eq!(config.level(RuleId::PublicAccess), Level::Error);
        assert_eq!(config.level(RuleId::Naming), Level::Warning);
        config.set_level(RuleId::Naming, Level::Off);
        assert_eq!(config.level(RuleId::Naming), Level::Off);
        assert!(config.any_rule_on());
        assert!(!Config::for_profile(Profile::None).any_rule_on());
        let round_trip: Config =
            serde_json::from_value(serde_json::to_value(&config).unwrap()).unwrap();
        assert_eq!(round_trip, config);
    }
}
