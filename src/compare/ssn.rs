//! SSN comparison: exact, last four equal (one side has only the last four), one digit off, two
//! adjacent digits transposed, different. Keying errors are the usual cause of an SSN that links
//! to two people (DOMAIN.md §8), so near misses keep most of the weight.

use super::level;
use crate::normalize::Ssn;

/// Levels of the SSN comparison.
pub const SSN_LEVELS: &[&str] = &[
    super::NOT_SUPPLIED,
    "exact",
    "ssn_last4",
    "ssn_one_digit",
    "ssn_transposed",
    "different",
];

/// Compares two SSNs.
pub fn compare(left: Option<&Ssn>, right: Option<&Ssn>) -> usize {
    let (Some(left), Some(right)) = (left, right) else {
        return 0;
    };
    let label = match (left, right) {
        (Ssn::Full(a), Ssn::Full(b)) if a == b => "exact",
        (Ssn::Full(a), Ssn::Full(b)) => full_near_miss(a.as_bytes(), b.as_bytes()),
        (Ssn::Last4(a), Ssn::Last4(b)) if a == b => "ssn_last4",
        _ if left.last4() == right.last4() => "ssn_last4",
        _ => "different",
    };
    level(SSN_LEVELS, label)
}

fn full_near_miss(a: &[u8], b: &[u8]) -> &'static str {
    let differing: Vec<usize> = (0..a.len().min(b.len()))
        .filter(|&i| a[i] != b[i])
        .collect();
    match differing.as_slice() {
        [_] => "ssn_one_digit",
        [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i] => "ssn_transposed",
        _ => "different",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn full(d: &str) -> Ssn {
        Ssn::Full(d.to_string())
    }

    fn label(a: &Ssn, b: &Ssn) -> &'static str {
        SSN_LEVELS[compare(Some(a), Some(b))]
    }

    #[test]
    fn reaches_each_level() {
        assert_eq!(label(&full("123456789"), &full("123456789")), "exact");
        assert_eq!(
            label(&full("123456789"), &Ssn::Last4("6789".into())),
            "ssn_last4"
        );
        assert_eq!(
            label(&full("123456789"), &full("123456788")),
            "ssn_one_digit"
        );
        assert_eq!(
            label(&full("123456789"), &full("124356789")),
            "ssn_transposed"
        );
        assert_eq!(label(&full("123456789"), &full("987654321")), "different");
        assert_eq!(
            label(&Ssn::Last4("1234".into()), &Ssn::Last4("1235".into())),
            "different"
        );
        assert_eq!(
            SSN_LEVELS[compare(None, Some(&full("123456789")))],
            "not_supplied"
        );
    }

    proptest! {
        #[test]
        fn symmetric(a in "[1-8][0-9]{8}", b in "[1-8][0-9]{8}") {
            prop_assert_eq!(label(&full(&a), &full(&b)), label(&full(&b), &full(&a)));
        }
    }
}
