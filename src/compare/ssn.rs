//! SSN comparison: exact, last four equal (one side has only the last four), one digit off, two
//! adjacent digits transposed, different. Keying errors are the usual cause of an SSN that links
//! to two people (docs/domain.md §8), so near misses keep most of the weight.

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

/// True when two SSNs that do not agree could still be one person's, a keying error apart:
/// the digits both carry (all nine, or the last 4 when either is a last 4) differ in one digit
/// or by two adjacent digits swapped. A credit header that mistyped one digit of the SSN must
/// not prove its owner a different person from a record that carries only the last 4.
pub fn could_be_typo(left: &Ssn, right: &Ssn) -> bool {
    let (a, b) = match (left, right) {
        (Ssn::Full(a), Ssn::Full(b)) => (a.as_str(), b.as_str()),
        _ => (left.last4(), right.last4()),
    };
    a != b && full_near_miss(a.as_bytes(), b.as_bytes()) != "different"
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

    #[test]
    fn a_one_digit_slip_in_the_last_4_could_be_a_typo() {
        let last4 = Ssn::Last4("1882".into());
        assert!(could_be_typo(&full("211861822"), &last4));
        assert!(could_be_typo(&last4, &Ssn::Last4("8182".into())));
        assert!(
            !could_be_typo(&full("211861882"), &last4),
            "agreeing is no typo"
        );
        assert!(!could_be_typo(&full("211865555"), &last4));
        assert!(!could_be_typo(&full("123456789"), &full("987654321")));
    }

    proptest! {
        #[test]
        fn a_single_changed_digit_could_be_a_typo(a in "[1-8][0-9]{8}", at in 0usize..9, d in 0u8..10) {
            let mut b = a.clone().into_bytes();
            b[at] = b'0' + d;
            let b = String::from_utf8(b).unwrap();
            prop_assert_eq!(could_be_typo(&full(&a), &full(&b)), a != b);
            prop_assert_eq!(could_be_typo(&full(&b), &full(&a)), a != b);
        }

        #[test]
        fn symmetric(a in "[1-8][0-9]{8}", b in "[1-8][0-9]{8}") {
            prop_assert_eq!(label(&full(&a), &full(&b)), label(&full(&b), &full(&a)));
        }
    }
}
