//! Address comparison: exact delivery point, same street without the unit, same house and ZIP
//! with a near street spelling, same ZIP, same city and state, different. People move (about
//! 11 % a year; docs/domain.md §8), so a different address is weak evidence against a match.

use super::level;
use crate::normalize::Address;

/// Jaro–Winkler similarity at or above which two street names count as one street.
pub const STREET_JARO_WINKLER_THRESHOLD: f64 = 0.90;

/// Levels of the address comparison.
pub const ADDRESS_LEVELS: &[&str] = &[
    super::NOT_SUPPLIED,
    "exact",
    "address_minus_unit",
    "street_fuzzy",
    "same_zip",
    "same_city",
    "different",
];

/// True for the levels that agree on the area only (`same_zip`, `same_city`): a neighbour's
/// address reaches them too.
pub fn is_area_only(level: usize) -> bool {
    matches!(ADDRESS_LEVELS[level], "same_zip" | "same_city")
}

/// True for `address_minus_unit`: the same building, another or no unit.
pub fn is_other_unit(level: usize) -> bool {
    ADDRESS_LEVELS[level] == "address_minus_unit"
}

/// Compares two addresses.
pub fn compare(left: Option<&Address>, right: Option<&Address>) -> usize {
    let (Some(a), Some(b)) = (left, right) else {
        return 0;
    };
    level(ADDRESS_LEVELS, label(a, b))
}

/// True when two addresses are in one place: the same ZIP when both have one, else the same
/// city and state.
pub fn same_place(a: &Address, b: &Address) -> bool {
    if !a.zip5.is_empty() && !b.zip5.is_empty() {
        return a.zip5 == b.zip5;
    }
    !a.city.is_empty() && a.city == b.city && a.state == b.state
}

fn label(a: &Address, b: &Address) -> &'static str {
    if a.has_street() && b.has_street() && same_place(a, b) && a.house_number == b.house_number {
        if a.street == b.street {
            return if a.unit == b.unit {
                "exact"
            } else {
                "address_minus_unit"
            };
        }
        if super::jaro_winkler_at_least(
            &a.street_name,
            &b.street_name,
            STREET_JARO_WINKLER_THRESHOLD,
        ) {
            return "street_fuzzy";
        }
    }
    if !a.zip5.is_empty() && a.zip5 == b.zip5 {
        return "same_zip";
    }
    if !a.city.is_empty() && a.city == b.city && a.state == b.state {
        return "same_city";
    }
    if a.zip5.is_empty() && a.city.is_empty() || b.zip5.is_empty() && b.city.is_empty() {
        return super::NOT_SUPPLIED;
    }
    "different"
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addr(line1: &str, line2: &str, zip: &str) -> Address {
        Address::parse(line1, line2, "Springfield", "IL", zip).0
    }

    fn lbl(a: &Address, b: &Address) -> &'static str {
        ADDRESS_LEVELS[compare(Some(a), Some(b))]
    }

    #[test]
    fn reaches_each_level() {
        let home = addr("12 North Main Street", "Apt 4", "62704");
        assert_eq!(
            lbl(&home, &addr("12 N Main St #4", "", "62704-1111")),
            "exact"
        );
        assert_eq!(
            lbl(&home, &addr("12 N Main St", "", "62704")),
            "address_minus_unit"
        );
        assert_eq!(
            lbl(&home, &addr("12 N Mian St", "Apt 4", "62704")),
            "street_fuzzy"
        );
        assert_eq!(lbl(&home, &addr("98 Oak Ave", "", "62704")), "same_zip");
        assert_eq!(lbl(&home, &addr("98 Oak Ave", "", "62711")), "same_city");
        let elsewhere = Address::parse("5 Pine Rd", "", "Austin", "TX", "73301").0;
        assert_eq!(lbl(&home, &elsewhere), "different");
    }

    proptest! {
        #[test]
        fn symmetric(n1 in 1u32..50, n2 in 1u32..50, s1 in "(Main|Oak|Elm) (St|Ave)", s2 in "(Main|Oak|Elm) (St|Ave)", z1 in "6270[0-2]", z2 in "6270[0-2]") {
            let a = addr(&format!("{n1} {s1}"), "", &z1);
            let b = addr(&format!("{n2} {s2}"), "", &z2);
            prop_assert_eq!(lbl(&a, &b), lbl(&b, &a));
            prop_assert_eq!(lbl(&a, &a), "exact");
        }
    }
}
