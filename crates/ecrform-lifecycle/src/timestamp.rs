//! Points in time as lifecycle rules compare them, read from the two forms the AWS CLI prints.
//!
//! `aws ecr describe-images` prints timestamps as epoch seconds with a fraction
//! (`1795328807.807`) in AWS CLI v1 and as RFC 3339 strings with an offset
//! (`2026-11-23T10:26:47.807000+00:00`) in v2. This crate stays free of AWS and date-time
//! dependencies, and the arithmetic a lifecycle rule needs is small (order, "more than N days
//! before"), so both forms are read here into one exact value: whole seconds since the Unix
//! epoch plus nanoseconds, never a float, so that a boundary of exactly N days compares exactly.

use std::fmt;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
/// RFC 3339 has four-digit years, so every timestamp this type holds can be printed as one.
const FIRST_YEAR: i64 = 0;
const LAST_YEAR: i64 = 9999;

/// An instant, to the nanosecond, between the years 0000 and 9999 (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
}

/// Why a text is not a timestamp; the message completes "... is not a timestamp: ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError(String);

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TimestampError {}

impl Timestamp {
    /// The instant `seconds` and `nanos` after 1970-01-01T00:00:00Z, if `nanos` is below one
    /// second and the instant lies within the years 0000 to 9999.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        let timestamp = Timestamp { seconds, nanos };
        (i128::from(nanos) < NANOS_PER_SECOND
            && (Self::first().seconds..=Self::last().seconds).contains(&seconds))
        .then_some(timestamp)
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub fn unix_seconds(self) -> i64 {
        self.seconds
    }

    /// The nanoseconds past [`Timestamp::unix_seconds`].
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    fn first() -> Self {
        Timestamp {
            seconds: days_from_civil(FIRST_YEAR, 1, 1) * SECONDS_PER_DAY,
            nanos: 0,
        }
    }

    fn last() -> Self {
        Timestamp {
            seconds: days_from_civil(LAST_YEAR, 12, 31) * SECONDS_PER_DAY + SECONDS_PER_DAY - 1,
            nanos: 999_999_999,
        }
    }

    fn from_total_nanos(total: i128) -> Option<Self> {
        let seconds = i64::try_from(total.div_euclid(NANOS_PER_SECOND)).ok()?;
        let nanos = u32::try_from(total.rem_euclid(NANOS_PER_SECOND)).ok()?;
        Timestamp::from_unix(seconds, nanos)
    }

    fn total_nanos(self) -> i128 {
        i128::from(self.seconds) * NANOS_PER_SECOND + i128::from(self.nanos)
    }

    /// The instant `days` whole days (of 86,400 seconds) earlier, or the earliest instant this
    /// type holds when that lies before it.
    pub fn days_earlier(self, days: u32) -> Self {
        let shift = i128::from(days) * i128::from(SECONDS_PER_DAY) * NANOS_PER_SECOND;
        Timestamp::from_total_nanos(self.total_nanos() - shift).unwrap_or_else(Timestamp::first)
    }

    /// Reads an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, with `t`
    /// or a space accepted for `T` and `z` for `Z` as RFC 3339 allows. Digits of the fraction
    /// beyond nanoseconds are dropped.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampError> {
        let fail = |why: &str| {
            TimestampError(format!(
                "{why}; expected an RFC 3339 date-time like 2026-01-31T12:00:00Z"
            ))
        };
        let bytes = text.as_bytes();
        let digits = |from: usize, count: usize| -> Option<i64> {
            let slice = bytes.get(from..from + count)?;
            slice.iter().try_fold(0_i64, |value, &byte| {
                byte.is_ascii_digit()
                    .then(|| value * 10 + i64::from(byte - b'0'))
            })
        };
        let at =
            |index: usize, expected: &[u8]| bytes.get(index).is_some_and(|b| expected.contains(b));

        let (Some(year), true, Some(month), true, Some(day)) = (
            digits(0, 4),
            at(4, b"-"),
            digits(5, 2),
            at(7, b"-"),
            digits(8, 2),
        ) else {
            return Err(fail("the date is not YYYY-MM-DD"));
        };
        if !at(10, b"Tt ") {
            return Err(fail("the date must be followed by T and a time"));
        }
        let (Some(hour), true, Some(minute), true, Some(second)) = (
            digits(11, 2),
            at(13, b":"),
            digits(14, 2),
            at(16, b":"),
            digits(17, 2),
        ) else {
            return Err(fail("the time is not HH:MM:SS"));
        };
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(fail("the date does not exist"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(fail("the time of day is out of range"));
        }

        let mut index = 19;
        let mut nanos: u32 = 0;
        if at(index, b".") {
            index += 1;
            let start = index;
            while bytes.get(index).is_some_and(u8::is_ascii_digit) {
                index += 1;
            }
            if index == start {
                return Err(fail("a decimal point must be followed by digits"));
            }
            nanos = fraction_nanos(&bytes[start..index]);
        }

        let offset_seconds = match bytes.get(index) {
            Some(b'Z' | b'z') if index + 1 == bytes.len() => 0,
            Some(&sign @ (b'+' | b'-')) if index + 6 == bytes.len() && at(index + 3, b":") => {
                let (Some(offset_hours), Some(offset_minutes)) =
                    (digits(index + 1, 2), digits(index + 4, 2))
                else {
                    return Err(fail("the offset is not +HH:MM or -HH:MM"));
                };
                if offset_hours > 23 || offset_minutes > 59 {
                    return Err(fail("the offset is out of range"));
                }
                let magnitude = offset_hours * 3600 + offset_minutes * 60;
                if sign == b'-' { -magnitude } else { magnitude }
            }
            _ => return Err(fail("the time must end in Z or an offset like +01:00")),
        };

        let local_seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY
            + hour * 3600
            + minute * 60
            + second;
        Timestamp::from_unix(local_seconds - offset_seconds, nanos)
            .ok_or_else(|| fail("the instant is outside the years 0000 to 9999 in UTC"))
    }

    /// Reads seconds since the Unix epoch written as a decimal number (`1795328807`,
    /// `1795328807.807`, `-1.5`), exactly: digits of the fraction beyond nanoseconds are dropped.
    pub fn parse_epoch_seconds(text: &str) -> Result<Self, TimestampError> {
        let fail = |why: &str| {
            TimestampError(format!(
                "{why}; expected seconds since 1970-01-01T00:00:00Z like 1795328807.807"
            ))
        };
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || (unsigned.contains('.') && fraction.is_empty())
        {
            return Err(fail("not a decimal number"));
        }
        // More digits than this are far outside the years this type holds, and would
        // overflow the arithmetic below.
        if whole.trim_start_matches('0').len() > 15 {
            return Err(fail("the instant is outside the years 0000 to 9999"));
        }
        let whole_seconds: i128 = whole.parse().map_err(|_| fail("not a decimal number"))?;
        let magnitude =
            whole_seconds * NANOS_PER_SECOND + i128::from(fraction_nanos(fraction.as_bytes()));
        let total = if negative { -magnitude } else { magnitude };
        Timestamp::from_total_nanos(total)
            .ok_or_else(|| fail("the instant is outside the years 0000 to 9999"))
    }

    /// Reads epoch seconds that arrived as a JSON float. Rust prints an `f64` as the shortest
    /// decimal that reads back as the same float, which is the decimal the AWS CLI (Python)
    /// wrote, so `1795328807.807` is read as exactly .807 and not as the float's binary value.
    pub fn from_epoch_seconds_f64(seconds: f64) -> Result<Self, TimestampError> {
        if !seconds.is_finite() {
            return Err(TimestampError(format!("{seconds} is not a finite number")));
        }
        Timestamp::parse_epoch_seconds(&seconds.to_string())
    }

    /// RFC 3339 in UTC, with as many fraction digits as needed (none, 3, 6 or 9):
    /// `2026-11-23T10:26:47.807Z`.
    pub fn to_rfc3339(self) -> String {
        let days = self.seconds.div_euclid(SECONDS_PER_DAY);
        let second_of_day = self.seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (hour, minute, second) = (
            second_of_day / 3600,
            second_of_day % 3600 / 60,
            second_of_day % 60,
        );
        let fraction = match self.nanos {
            0 => String::new(),
            nanos if nanos % 1_000_000 == 0 => format!(".{:03}", nanos / 1_000_000),
            nanos if nanos % 1_000 == 0 => format!(".{:06}", nanos / 1_000),
            nanos => format!(".{nanos:09}"),
        };
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}Z")
    }

    /// RFC 3339 in UTC to the second, for tables.
    pub fn to_rfc3339_seconds(self) -> String {
        Timestamp {
            seconds: self.seconds,
            nanos: 0,
        }
        .to_rfc3339()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// The first nine digits of a decimal fraction as nanoseconds.
fn fraction_nanos(digits: &[u8]) -> u32 {
    (0..9).fold(0_u32, |nanos, place| {
        let digit = digits
            .get(place)
            .filter(|byte| byte.is_ascii_digit())
            .map_or(0, |byte| u32::from(byte - b'0'));
        nanos * 10 + digit
    })
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`, which is exact for every year without tables).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn rfc(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn rfc3339_forms_the_aws_cli_prints_read_as_the_same_instant() {
        let expected = Timestamp::from_unix(1_795_328_807, 807_000_000).unwrap();
        for text in [
            "2026-11-22T06:26:47.807Z",
            "2026-11-22T06:26:47.807000+00:00",
            "2026-11-22T07:26:47.807+01:00",
            "2026-11-21T22:26:47.807000-08:00",
            "2026-11-22t06:26:47.807z",
            "2026-11-22 06:26:47.8070000000009Z",
        ] {
            assert_eq!(rfc(text), expected, "{text}");
        }
        assert_eq!(
            Timestamp::parse_epoch_seconds("1795328807.807").unwrap(),
            expected
        );
        assert_eq!(
            Timestamp::from_epoch_seconds_f64(1_795_328_807.807).unwrap(),
            expected
        );
    }

    #[test]
    fn epoch_seconds_are_read_exactly() {
        let cases: &[(&str, i64, u32)] = &[
            ("0", 0, 0),
            ("1795328807", 1_795_328_807, 0),
            ("1795328807.5", 1_795_328_807, 500_000_000),
            ("1795328807.000001", 1_795_328_807, 1_000),
            ("1795328807.1234567891", 1_795_328_807, 123_456_789),
            ("-1.5", -2, 500_000_000),
            ("0001", 1, 0),
        ];
        for &(text, seconds, nanos) in cases {
            let parsed = Timestamp::parse_epoch_seconds(text).unwrap();
            assert_eq!(
                (parsed.unix_seconds(), parsed.subsec_nanos()),
                (seconds, nanos),
                "{text}"
            );
        }
        assert_eq!(
            Timestamp::from_epoch_seconds_f64(1_700_000_000.0).unwrap(),
            Timestamp::from_unix(1_700_000_000, 0).unwrap()
        );
    }

    #[test]
    fn malformed_timestamps_are_rejected_with_the_reason() {
        let rfc_cases: &[(&str, &str)] = &[
            ("", "the date is not YYYY-MM-DD"),
            ("2026-1-23T00:00:00Z", "the date is not YYYY-MM-DD"),
            ("2026-11-23", "the date must be followed by T and a time"),
            ("2026-11-23T3:06:47Z", "the time is not HH:MM:SS"),
            ("2026-02-29T00:00:00Z", "the date does not exist"),
            ("2026-13-01T00:00:00Z", "the date does not exist"),
            ("2026-04-31T00:00:00Z", "the date does not exist"),
            ("2026-11-23T24:00:00Z", "the time of day is out of range"),
            ("2026-11-23T23:59:60Z", "the time of day is out of range"),
            ("2026-11-23T00:00:00", "the time must end in Z or an offset"),
            (
                "2026-11-23T00:00:00+0100",
                "the time must end in Z or an offset",
            ),
            (
                "2026-11-23T00:00:00Zjunk",
                "the time must end in Z or an offset",
            ),
            (
                "2026-11-23T00:00:00.Z",
                "a decimal point must be followed by digits",
            ),
            ("2026-11-23T00:00:00+24:00", "the offset is out of range"),
            (
                "0000-01-01T00:00:00+01:00",
                "the instant is outside the years 0000 to 9999",
            ),
            ("２026-11-23T00:00:00Z", "the date is not YYYY-MM-DD"),
        ];
        for &(text, why) in rfc_cases {
            let error = Timestamp::parse_rfc3339(text).unwrap_err().to_string();
            assert!(error.starts_with(why), "{text:?}: {error}");
        }
        for text in [
            "",
            "-",
            "1.",
            ".5",
            "1e9",
            "1,5",
            " 1",
            "99999999999999999999",
        ] {
            assert!(
                Timestamp::parse_epoch_seconds(text).is_err(),
                "{text:?} was accepted"
            );
        }
        assert!(Timestamp::from_epoch_seconds_f64(f64::NAN).is_err());
        assert!(Timestamp::from_epoch_seconds_f64(1e300).is_err());
    }

    #[test]
    fn leap_days_and_the_range_ends_are_handled() {
        assert_eq!(
            rfc("2024-02-29T12:00:00Z").to_rfc3339(),
            "2024-02-29T12:00:00Z"
        );
        assert_eq!(
            rfc("2000-02-29T00:00:00Z").to_rfc3339(),
            "2000-02-29T00:00:00Z"
        );
        assert!(Timestamp::parse_rfc3339("1900-02-29T00:00:00Z").is_err());
        assert_eq!(
            rfc("0000-01-01T00:00:00Z").to_rfc3339(),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc("9999-12-31T23:59:59.999999999Z").to_rfc3339(),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert_eq!(rfc("1970-01-01T00:00:00Z").unix_seconds(), 0);
        assert_eq!(rfc("1969-12-31T23:59:59Z").unix_seconds(), -1);
    }

    #[test]
    fn formatting_uses_the_shortest_fraction_that_is_exact() {
        let base = 1_795_328_807;
        let cases: &[(u32, &str)] = &[
            (0, "2026-11-22T06:26:47Z"),
            (807_000_000, "2026-11-22T06:26:47.807Z"),
            (807_100_000, "2026-11-22T06:26:47.807100Z"),
            (807_100_001, "2026-11-22T06:26:47.807100001Z"),
        ];
        for &(nanos, text) in cases {
            assert_eq!(
                Timestamp::from_unix(base, nanos).unwrap().to_rfc3339(),
                text
            );
        }
        assert_eq!(
            Timestamp::from_unix(base, 807_000_000)
                .unwrap()
                .to_rfc3339_seconds(),
            "2026-11-22T06:26:47Z"
        );
    }

    #[test]
    fn days_earlier_is_whole_days_and_saturates() {
        let now = rfc("2026-03-01T00:00:00Z");
        assert_eq!(now.days_earlier(1), rfc("2026-02-28T00:00:00Z"));
        assert_eq!(now.days_earlier(365), rfc("2025-03-01T00:00:00Z"));
        assert_eq!(now.days_earlier(u32::MAX), Timestamp::first());
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips(
            seconds in Timestamp::first().seconds..=Timestamp::last().seconds,
            nanos in 0_u32..1_000_000_000,
        ) {
            let timestamp = Timestamp::from_unix(seconds, nanos).unwrap();
            prop_assert_eq!(rfc(&timestamp.to_rfc3339()), timestamp);
        }

        #[test]
        fn epoch_text_round_trips(
            seconds in Timestamp::first().seconds..=Timestamp::last().seconds,
            nanos in 0_u32..1_000_000_000,
        ) {
            let timestamp = Timestamp::from_unix(seconds, nanos).unwrap();
            // Written the way a decimal number is: the sign applies to the whole value.
            let total = timestamp.total_nanos();
            let magnitude = total.abs();
            let text = format!(
                "{}{}.{:09}",
                if total < 0 { "-" } else { "" },
                magnitude / NANOS_PER_SECOND,
                magnitude % NANOS_PER_SECOND
            );
            prop_assert_eq!(Timestamp::parse_epoch_seconds(&text).unwrap(), timestamp);
        }

        #[test]
        fn civil_dates_round_trip(days in -719_528_i64..2_932_897) {
            let (year, month, day) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(year, month, day), days);
            prop_assert!((1..=12).contains(&month));
            prop_assert!(day >= 1 && day <= days_in_month(year, month));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = Timestamp::parse_rfc3339(&text);
            let _ = Timestamp::parse_epoch_seconds(&text);
        }
    }
}
