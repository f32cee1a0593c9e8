//! Other-identifier comparison (a national id, a driver's licence): exact, one keying slip
//! apart (one character inserted, dropped, changed, or two adjacent ones swapped), different.

use super::{level, within_edits};

/// Levels of the other-identifier comparison.
pub const OTHER_ID_LEVELS: &[&str] = &[super::NOT_SUPPLIED, "exact", "one_edit", "different"];

/// Compares two canonical identifiers.
pub fn compare(left: Option<&str>, right: Option<&str>) -> usize {
    let (Some(a), Some(b)) = (left, right) else {
        return 0;
    };
    let label = if a == b {
        "exact"
    } else if within_edits(a, b, 1) {
        "one_edit"
    } else {
        "different"
    };
    level(OTHER_ID_LEVELS, label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn label(a: &str, b: &str) -> &'static str {
        OTHER_ID_LEVELS[compare(Some(a), Some(b))]
    }

    #[test]
    fn reaches_each_level() {
        assert_eq!(label("5304218", "5304218"), "exact");
        assert_eq!(label("5304218", "5304219"), "one_edit");
        assert_eq!(label("5304218", "5302418"), "one_edit", "adjacent swap");
        assert_eq!(label("5304218", "530421"), "one_edit", "a dropped digit");
        assert_eq!(label("5304218", "4066625"), "different");
        assert_eq!(
            OTHER_ID_LEVELS[compare(None, Some("5304218"))],
            "not_supplied"
        );
    }

    proptest! {
        #[test]
        fn symmetric(a in "[0-9A-Z]{4,9}", b in "[0-9A-Z]{4,9}") {
            prop_assert_eq!(compare(Some(&a), Some(&b)), compare(Some(&b), Some(&a)));
        }
    }
}
