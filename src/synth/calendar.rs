//! Calendar days for life histories: a day number since 1970-01-01 with civil-date conversions
//! (Howard Hinnant's `days_from_civil` algorithm), enough for DOBs, moves and first/last seen.

/// Mean length of a Gregorian year in days.
pub(crate) const DAYS_PER_YEAR: f64 = 365.2425;

/// A calendar day, counted from 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Day(i32);

/// Days in `month` of `year`.
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl Day {
    /// Returns the day `year-month-day`, `None` when no such date exists.
    pub(crate) fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let shifted_year = if month <= 2 { year - 1 } else { year };
        let era = shifted_year.div_euclid(400);
        let year_of_era = shifted_year - era * 400;
        let month_index = (month + 9) % 12;
        let day_of_year = (153 * month_index + 2) / 5 + day - 1;
        let day_of_era =
            year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year as i32;
        Some(Day(era * 146_097 + day_of_era - 719_468))
    }

    /// Returns (year, month, day).
    pub(crate) fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        } as u32;
        let year = year_of_era + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    /// Parses `YYYY-MM-DD`.
    pub(crate) fn parse_iso(text: &str) -> Option<Day> {
        let mut parts = text.trim().split('-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Day::from_ymd(year, month, day)
    }

    /// Formats as `YYYY-MM-DD`.
    pub(crate) fn iso(self) -> String {
        let (year, month, day) = self.ymd();
        format!("{year:04}-{month:02}-{day:02}")
    }

    /// Returns the day `days` later (earlier when negative).
    pub(crate) fn plus_days(self, days: i32) -> Day {
        Day(self.0 + days)
    }

    /// Returns the same month and day `years` later (Feb 29 becomes Feb 28).
    pub(crate) fn plus_years(self, years: i32) -> Day {
        let (year, month, day) = self.ymd();
        let target_year = year + years;
        let target_day = day.min(days_in_month(target_year, month));
        Day::from_ymd(target_year, month, target_day).expect("clamped day exists")
    }

    /// Returns the day a fractional number of years later.
    pub(crate) fn plus_years_f64(self, years: f64) -> Day {
        Day(self.0 + (years * DAYS_PER_YEAR).round() as i32)
    }

    /// Days from `earlier` to `self`.
    pub(crate) fn days_since(self, earlier: Day) -> i32 {
        self.0 - earlier.0
    }

    /// Years (fractional) from `earlier` to `self`.
    pub(crate) fn years_since(self, earlier: Day) -> f64 {
        f64::from(self.0 - earlier.0) / DAYS_PER_YEAR
    }

    /// The calendar year.
    pub(crate) fn year(self) -> i32 {
        self.ymd().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_conversion_round_trips() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Some(Day(0)));
        assert_eq!(Day::from_ymd(2000, 3, 1).map(Day::ymd), Some((2000, 3, 1)));
        for number in -40_000..40_000 {
            let day = Day(number);
            let (year, month, dom) = day.ymd();
            assert_eq!(Day::from_ymd(year, month, dom), Some(day));
        }
    }

    #[test]
    fn invalid_dates_are_rejected() {
        assert_eq!(Day::from_ymd(2023, 2, 29), None);
        assert!(Day::from_ymd(2024, 2, 29).is_some());
        assert_eq!(Day::from_ymd(2024, 13, 1), None);
        assert_eq!(Day::parse_iso("2026-06-31"), None);
        assert_eq!(
            Day::parse_iso("2026-06-30").map(Day::iso).as_deref(),
            Some("2026-06-30")
        );
    }

    #[test]
    fn year_arithmetic_clamps_leap_days() {
        let leap = Day::from_ymd(2024, 2, 29).expect("valid");
        assert_eq!(leap.plus_years(1).ymd(), (2025, 2, 28));
        assert_eq!(leap.plus_years(-4).ymd(), (2020, 2, 29));
    }
}
