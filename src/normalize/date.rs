//! Dates (DOB, first/last seen) in the formats files carry: ISO, MM/DD/YYYY, M/D/YY, YYYYMMDD,
//! MMDDYYYY, DD-MMM-YYYY, and year or year-month alone (docs/domain.md §2).

use serde::{Deserialize, Serialize};

use super::ValueError;

/// A calendar date, possibly partial: `month` and `day` are 0 when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    /// Year, e.g. 1984.
    pub year: u16,
    /// Month 1–12, or 0 when only the year is known.
    pub month: u8,
    /// Day 1–31, or 0 when unknown.
    pub day: u8,
}

/// Earliest year accepted in any date.
pub const MIN_YEAR: u16 = 1900;
/// Latest year accepted in any date.
pub const MAX_YEAR: u16 = 2100;
/// Returns the century a two-digit year (M/D/YY dates) is read in: 20YY when that year has
/// begun, 19YY otherwise, so a date of birth (or a last-seen date) never lands in the future.
fn two_digit_year(year: u16) -> u16 {
    let this_year = u16::try_from(time::OffsetDateTime::now_utc().year()).unwrap_or(MAX_YEAR);
    if 2000 + year <= this_year {
        2000 + year
    } else {
        1900 + year
    }
}

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

impl Date {
    /// Builds a full date, checking month and day ranges (leap years included).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let date = Date { year, month, day };
        date.is_valid().then_some(date)
    }

    fn is_valid(&self) -> bool {
        if !(MIN_YEAR..=MAX_YEAR).contains(&self.year) || self.month > 12 {
            return false;
        }
        if self.month == 0 {
            return self.day == 0;
        }
        self.day == 0 || self.day <= days_in_month(self.year, self.month)
    }

    /// True when year, month and day are all known.
    pub fn is_full(&self) -> bool {
        self.month != 0 && self.day != 0
    }

    /// Today's date (UTC).
    pub fn today() -> Date {
        let days = time::OffsetDateTime::now_utc()
            .unix_timestamp()
            .div_euclid(86_400);
        Date::from_days_since_epoch(days)
    }

    /// Returns the number of days since 1970-01-01 (unknown parts taken as the first).
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(
            i64::from(self.year),
            i64::from(self.month.max(1)),
            i64::from(self.day.max(1)),
        )
    }

    /// Returns the date `days` days after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let (year, month, day) = civil_from_days(days);
        Date {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        }
    }

    /// Returns `YYYYMMDD` with unknown parts as `00`.
    pub fn compact(&self) -> String {
        self.compact_digits()
            .iter()
            .map(|&d| char::from(d))
            .collect()
    }

    /// Returns the ASCII digits of [`Date::compact`] without allocating (the DOB comparison
    /// counts differing digits for every pair of candidate records).
    pub fn compact_digits(&self) -> [u8; 8] {
        let digit = |value: u16, place: u16| b'0' + (value / place % 10) as u8;
        [
            digit(self.year, 1000),
            digit(self.year, 100),
            digit(self.year, 10),
            digit(self.year, 1),
            digit(u16::from(self.month), 10),
            digit(u16::from(self.month), 1),
            digit(u16::from(self.day), 10),
            digit(u16::from(self.day), 1),
        ]
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.month, self.day) {
            (0, _) => write!(f, "{:04}", self.year),
            (m, 0) => write!(f, "{:04}-{:02}", self.year, m),
            (m, d) => write!(f, "{:04}-{:02}-{:02}", self.year, m, d),
        }
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's days_from_civil.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's civil_from_days.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses a date in any of the supported formats. The error names the problem without the value
/// (dates of birth are sensitive).
///
/// # Errors
/// When the text is no recognisable date or names an impossible one (month 13, 30 February).
pub fn parse_date(text: &str) -> Result<Date, ValueError> {
    let text = text.trim();
    let parts: Vec<&str> = text
        .split(|c: char| c == '-' || c == '/' || c == '.' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let date = match parts.as_slice() {
        [one] if one.chars().all(|c| c.is_ascii_digit()) => parse_digits(one),
        [a, b, c] => parse_three(a, b, c),
        [a, b] => parse_two(a, b),
        _ => None,
    };
    date.filter(Date::is_valid).ok_or(ValueError::NotADate)
}

fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn month_from_name(text: &str) -> Option<u8> {
    let lower = text.to_ascii_lowercase();
    let prefix = lower.get(..3)?;
    MONTH_NAMES
        .iter()
        .position(|m| *m == prefix)
        .map(|i| i as u8 + 1)
}

fn expand_year(text: &str) -> Option<u16> {
    let year: u16 = number(text)?;
    match text.len() {
        4 => Some(year),
        2 => Some(two_digit_year(year)),
        _ => None,
    }
}

fn parse_digits(text: &str) -> Option<Date> {
    match text.len() {
        4 => Some(Date {
            year: number(text)?,
            month: 0,
            day: 0,
        }),
        6 => Some(Date {
            year: number(&text[..4])?,
            month: number(&text[4..])?,
            day: 0,
        }),
        8 => {
            let as_ymd = Date {
                year: number(&text[..4])?,
                month: number(&text[4..6])?,
                day: number(&text[6..])?,
            };
            if as_ymd.is_valid() && as_ymd.is_full() {
                return Some(as_ymd);
            }
            Some(Date {
                year: number(&text[4..])?,
                month: number(&text[..2])?,
                day: number(&text[2..4])?,
            })
        }
        _ => None,
    }
}

fn parse_three(a: &str, b: &str, c: &str) -> Option<Date> {
    if a.len() == 4 {
        return Some(Date {
            year: number(a)?,
            month: number(b).or_else(|| month_from_name(b))?,
            day: number(c)?,
        });
    }
    if let Some(month) = month_from_name(b) {
        return Some(Date {
            year: expand_year(c)?,
            month,
            day: number(a)?,
        });
    }
    Some(Date {
        year: expand_year(c)?,
        month: number(a)?,
        day: number(b)?,
    })
}

fn parse_two(a: &str, b: &str) -> Option<Date> {
    if a.len() == 4 {
        return Some(Date {
            year: number(a)?,
            month: number(b)?,
            day: 0,
        });
    }
    Some(Date {
        year: expand_year(b)?,
        month: number(a).or_else(|| month_from_name(a))?,
        day: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ymd(y: u16, m: u8, d: u8) -> Date {
        Date::new(y, m, d).expect("valid test date")
    }

    #[test]
    fn parses_the_formats_files_carry() {
        let expected = ymd(1984, 5, 12);
        for text in [
            "1984-05-12",
            "05/12/1984",
            "5/12/84",
            "19840512",
            "05121984",
            "12-May-1984",
            "1984/5/12",
        ] {
            assert_eq!(parse_date(text), Ok(expected), "{text}");
        }
        assert_eq!(
            parse_date("1984"),
            Ok(Date {
                year: 1984,
                month: 0,
                day: 0
            })
        );
        assert_eq!(parse_date("3/4/05").map(|d| d.year), Ok(2005));
    }

    #[test]
    fn rejects_impossible_dates() {
        for text in [
            "1984-13-01",
            "02/30/1999",
            "junk",
            "",
            "1984-05-12-1",
            "00/00/0000",
        ] {
            assert!(parse_date(text).is_err(), "{text}");
        }
        assert!(parse_date("02/29/2000").is_ok());
        assert_eq!(
            parse_date("02/29/1900"),
            Err(ValueError::NotADate),
            "1900 is no leap year"
        );
        assert_eq!(
            parse_date("02/29/1900"),
            parse_date("02/30/1900"),
            "the same refusal"
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(days in -25_000i64..40_000) {
            let date = Date::from_days_since_epoch(days);
            prop_assert_eq!(date.days_since_epoch(), days);
            prop_assert_eq!(parse_date(&date.to_string()), Ok(date));
            prop_assert_eq!(parse_date(&date.compact()), Ok(date));
            let padded = format!("{:04}{:02}{:02}", date.year, date.month, date.day);
            prop_assert_eq!(date.compact(), padded);
        }

        #[test]
        fn never_panics(text in "\\PC{0,20}") {
            let _ = parse_date(&text);
        }

        /// A two-digit year is never read into the future: `MM/DD/YY` is this century's
        /// year once it has begun, the last century's otherwise.
        #[test]
        fn a_two_digit_year_never_lands_in_the_future(yy in 0u16..100, month in 1u8..=12) {
            let this_year = u16::try_from(time::OffsetDateTime::now_utc().year()).expect("year");
            let date = parse_date(&format!("{month}/1/{yy:02}")).expect("parses");
            prop_assert!(date.year <= this_year, "{date}");
            prop_assert!(date.year > this_year - 100, "{date}");
            prop_assert_eq!(date.year % 100, yy);
        }
    }
}
