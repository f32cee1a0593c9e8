//! Phone and email comparison: normalized equality. Contact points change often (phones about
//! 10 % a year, emails 15–30 %; docs/domain.md §8), so a difference is weak evidence against a match.

use super::level;

/// Levels of the phone and email comparisons.
pub const EXACT_LEVELS: &[&str] = &[super::NOT_SUPPLIED, "exact", "different"];

/// Compares two normalized phones or emails.
pub fn compare_exact(left: Option<&str>, right: Option<&str>) -> usize {
    match (left, right) {
        (Some(a), Some(b)) if a == b => level(EXACT_LEVELS, "exact"),
        (Some(_), Some(_)) => level(EXACT_LEVELS, "different"),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn symmetric(a in proptest::option::of("[0-9]{3}"), b in proptest::option::of("[0-9]{3}")) {
            prop_assert_eq!(compare_exact(a.as_deref(), b.as_deref()), compare_exact(b.as_deref(), a.as_deref()));
        }
    }

    #[test]
    fn missing_is_not_supplied() {
        assert_eq!(EXACT_LEVELS[compare_exact(None, Some("x"))], "not_supplied");
        assert_eq!(EXACT_LEVELS[compare_exact(Some("x"), Some("x"))], "exact");
        assert_eq!(
            EXACT_LEVELS[compare_exact(Some("x"), Some("y"))],
            "different"
        );
    }
}
