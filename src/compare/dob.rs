//! Date-of-birth comparison. Per-source DOB error rates are 0.5–2 %, split between a day/month
//! swap, one digit typed wrong and the year off by one (docs/domain.md §8); each is its own level.

use super::level;
use crate::normalize::Date;

/// Levels of the DOB comparison.
pub const DOB_LEVELS: &[&str] = &[
    super::NOT_SUPPLIED,
    "exact",
    "dob_year_month",
    "dob_day_month_swapped",
    "dob_one_digit",
    "dob_year_off_by_one",
    "different",
];

/// Compares two dates of birth (either may be partial: year, or year and month).
pub fn compare(left: Option<&Date>, right: Option<&Date>) -> usize {
    let (Some(a), Some(b)) = (left, right) else {
        return 0;
    };
    level(DOB_LEVELS, label(a, b))
}

fn label(a: &Date, b: &Date) -> &'static str {
    if a == b && a.is_full() {
        return "exact";
    }
    if !(a.is_full() && b.is_full()) {
        let same_year = a.year == b.year;
        let months_agree = a.month == 0 || b.month == 0 || a.month == b.month;
        return if same_year && months_agree {
            "dob_year_month"
        } else {
            "different"
        };
    }
    if a.year == b.year && a.month == b.day && a.day == b.month {
        return "dob_day_month_swapped";
    }
    let (ca, cb) = (a.compact_digits(), b.compact_digits());
    let differing = ca.iter().zip(&cb).filter(|(x, y)| x != y).count();
    if differing == 1 {
        return "dob_one_digit";
    }
    if a.month == b.month && a.day == b.day && a.year.abs_diff(b.year) == 1 {
        return "dob_year_off_by_one";
    }
    "different"
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: u16, m: u8, day: u8) -> Date {
        Date {
            year: y,
            month: m,
            day,
        }
    }

    fn lbl(a: Date, b: Date) -> &'static str {
        DOB_LEVELS[compare(Some(&a), Some(&b))]
    }

    #[test]
    fn reaches_each_level() {
        assert_eq!(lbl(d(1984, 5, 12), d(1984, 5, 12)), "exact");
        assert_eq!(lbl(d(1984, 5, 12), d(1984, 12, 5)), "dob_day_month_swapped");
        assert_eq!(lbl(d(1984, 5, 12), d(1984, 5, 13)), "dob_one_digit");
        assert_eq!(lbl(d(1984, 5, 12), d(1989, 5, 12)), "dob_one_digit");
        assert_eq!(lbl(d(1980, 5, 12), d(1979, 5, 12)), "dob_year_off_by_one");
        assert_eq!(lbl(d(1984, 5, 12), d(1984, 0, 0)), "dob_year_month");
        assert_eq!(lbl(d(1984, 5, 12), d(1961, 2, 3)), "different");
        assert_eq!(
            DOB_LEVELS[compare(None, Some(&d(1984, 5, 12)))],
            "not_supplied"
        );
    }

    proptest! {
        #[test]
        fn symmetric(a in -20_000i64..20_000, b in -20_000i64..20_000) {
            let (a, b) = (Date::from_days_since_epoch(a), Date::from_days_since_epoch(b));
            prop_assert_eq!(lbl(a, b), lbl(b, a));
            prop_assert_eq!(lbl(a, a), "exact");
        }
    }
}
