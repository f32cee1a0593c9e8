//! Name comparisons: given name, middle name, surname and generational suffix.
//!
//! Given names: exact, nickname-equivalent (Bob ≈ Robert), Jaro–Winkler ≥ 0.92, a typo (one
//! keying slip, two in a long name), Jaro–Winkler ≥ 0.85, an initial that agrees, same Double
//! Metaphone code, first and last swapped. Surnames add a compound level (Garcia ≈ Garcia Lopez
//! ≈ garcialopez, and a name split or joined by mistake: satte rley ≈ satterley) for Hispanic
//! double and hyphenated surnames.

use super::{jaro_winkler_from, level, within_edits};
use crate::normalize::PersonName;

/// Jaro–Winkler similarity at or above which two name spellings count as a typo of each other.
pub const NAME_JARO_WINKLER_THRESHOLD: f64 = 0.92;

/// The lower Jaro–Winkler band: spellings this close but past every other level (`Micheal`
/// and `Mchiael`), weighed by the model like any level.
pub const NAME_JARO_WINKLER_LOW_THRESHOLD: f64 = 0.85;

/// Names at least this long on both sides may be two keying slips apart and still reach
/// `typo`; shorter ones one slip (Over 80 % of typos are one slip: docs/domain.md §8; two in a
/// short name make another name: Jon, Jan, Dan).
pub const LONG_NAME_CHARS: usize = 8;

/// Label of the typo level of the given-name and surname comparisons.
pub const TYPO: &str = "typo";

/// Label of the lower Jaro–Winkler band of the given-name and surname comparisons.
pub const JARO_WINKLER_LOW: &str = "jaro_winkler>=0.85";

/// Levels of the given-name comparison.
pub const FIRST_NAME_LEVELS: &[&str] = &[
    super::NOT_SUPPLIED,
    "exact",
    "nickname",
    "jaro_winkler>=0.92",
    TYPO,
    JARO_WINKLER_LOW,
    "initial",
    "phonetic",
    "swapped_first_last",
    "different",
];

/// Levels of the middle-name comparison.
pub const MIDDLE_NAME_LEVELS: &[&str] = &[super::NOT_SUPPLIED, "exact", "initial", "different"];

/// Levels of the surname comparison.
pub const LAST_NAME_LEVELS: &[&str] = &[
    super::NOT_SUPPLIED,
    "exact",
    "compound",
    "jaro_winkler>=0.92",
    TYPO,
    JARO_WINKLER_LOW,
    "phonetic",
    "swapped_first_last",
    "different",
];

/// Levels of the generational-suffix comparison. A suffix present on one side only is
/// `not_supplied`: files drop suffixes often, so only a conflict is evidence.
pub const SUFFIX_LEVELS: &[&str] = &[super::NOT_SUPPLIED, "exact", "different"];

/// True when the two given names are equal or nickname-equivalent.
pub fn first_names_equivalent(a: &PersonName, b: &PersonName) -> bool {
    a.first == b.first || a.first_formal.iter().any(|f| b.first_formal.contains(f))
}

/// True when one record's given name is the other's surname and the other way round (phone
/// directories write surname first), letters compared with hyphens and spaces dropped, one half
/// allowed a typo when the other agrees exactly (`delcay erin` / `Erin Delacy`). A double given
/// name written as a surname (`Wilson-Wheeler Emiily`) was split into given and middle name on
/// the way in, so given and middle name together may stand for the surname.
fn is_swapped(a: &PersonName, b: &PersonName) -> bool {
    if a.first.is_empty() || a.last.is_empty() || b.first.is_empty() || b.last.is_empty() {
        return false;
    }
    fn letters(text: &str) -> impl Iterator<Item = char> + '_ {
        text.chars().filter(|c| c.is_alphabetic())
    }
    // Exact first, without allocating: most pairs that get here are two different names.
    let same = |given: &PersonName, surname: &str| {
        letters(&given.first).eq(letters(surname))
            || (!given.middle.is_empty()
                && letters(&given.first)
                    .chain(letters(&given.middle))
                    .eq(letters(surname)))
    };
    let near = |given: &PersonName, surname: &str| {
        let surname: String = letters(surname).collect();
        let first: String = letters(&given.first).collect();
        let whole: String = letters(&given.first)
            .chain(letters(&given.middle))
            .collect();
        [first, whole]
            .iter()
            .any(|g| g.len() > 1 && surname.len() > 1 && is_typo(g, &surname))
    };
    let (a_given_is_b_surname, b_given_is_a_surname) = (same(a, &b.last), same(b, &a.last));
    match (a_given_is_b_surname, b_given_is_a_surname) {
        (true, true) => true,
        (true, false) => near(b, &a.last),
        (false, true) => near(a, &b.last),
        (false, false) => false,
    }
}

/// Compares given names.
pub fn compare_first(a: &PersonName, b: &PersonName) -> usize {
    if a.first.is_empty() || b.first.is_empty() {
        return 0;
    }
    let jaro_winkler = std::cell::OnceCell::new();
    let similarity = || {
        *jaro_winkler
            .get_or_init(|| jaro_winkler_from(&a.first, &b.first, NAME_JARO_WINKLER_LOW_THRESHOLD))
    };
    let label = if a.first == b.first {
        "exact"
    } else if a.first.len() > 1 && b.first.len() > 1 && first_names_equivalent(a, b) {
        "nickname"
    } else if a.first.len() == 1 || b.first.len() == 1 {
        if a.first.as_bytes()[0] == b.first.as_bytes()[0] {
            "initial"
        } else {
            "different"
        }
    } else if similarity() >= NAME_JARO_WINKLER_THRESHOLD {
        "jaro_winkler>=0.92"
    } else if is_typo(&a.first, &b.first) {
        TYPO
    } else if similarity() >= NAME_JARO_WINKLER_LOW_THRESHOLD {
        JARO_WINKLER_LOW
    } else if !a.first_phonetic.is_empty() && a.first_phonetic == b.first_phonetic {
        "phonetic"
    } else if is_swapped(a, b) {
        "swapped_first_last"
    } else {
        "different"
    };
    level(FIRST_NAME_LEVELS, label)
}

/// True when two spellings of a name are one keying slip apart, or two when both are at least
/// [`LONG_NAME_CHARS`] long.
pub fn is_typo(a: &str, b: &str) -> bool {
    let long = a.chars().count() >= LONG_NAME_CHARS && b.chars().count() >= LONG_NAME_CHARS;
    within_edits(a, b, if long { 2 } else { 1 })
}

/// Compares middle names (an initial agrees with a name it begins).
pub fn compare_middle(a: &PersonName, b: &PersonName) -> usize {
    if a.middle.is_empty() || b.middle.is_empty() {
        return 0;
    }
    let label = if a.middle == b.middle {
        "exact"
    } else if (a.middle.len() == 1 || b.middle.len() == 1)
        && a.middle.as_bytes()[0] == b.middle.as_bytes()[0]
    {
        "initial"
    } else {
        "different"
    };
    level(MIDDLE_NAME_LEVELS, label)
}

fn is_compound_match(a: &PersonName, b: &PersonName) -> bool {
    if a.same_last_joined(b) {
        return true;
    }
    let a_multi = a.last.contains(' ');
    let b_multi = b.last.contains(' ');
    if !(a_multi || b_multi) {
        return false;
    }
    a.last_tokens()
        .filter(|t| t.len() > 1)
        .any(|t| b.last_tokens().any(|u| u == t) || (!b_multi && b.last.starts_with(t)))
}

/// Compares surnames.
pub fn compare_last(a: &PersonName, b: &PersonName) -> usize {
    if a.last.is_empty() || b.last.is_empty() {
        return 0;
    }
    let jaro_winkler = std::cell::OnceCell::new();
    let similarity = || {
        *jaro_winkler
            .get_or_init(|| jaro_winkler_from(&a.last, &b.last, NAME_JARO_WINKLER_LOW_THRESHOLD))
    };
    let label = if a.last == b.last {
        "exact"
    } else if is_compound_match(a, b) || is_compound_match(b, a) {
        "compound"
    } else if similarity() >= NAME_JARO_WINKLER_THRESHOLD {
        "jaro_winkler>=0.92"
    } else if is_typo(&a.last, &b.last) {
        TYPO
    } else if similarity() >= NAME_JARO_WINKLER_LOW_THRESHOLD {
        JARO_WINKLER_LOW
    } else if a
        .last_phonetic
        .iter()
        .any(|p| !p.is_empty() && b.last_phonetic.contains(p))
    {
        "phonetic"
    } else if is_swapped(a, b) {
        "swapped_first_last"
    } else {
        "different"
    };
    level(LAST_NAME_LEVELS, label)
}

/// Compares generational suffixes.
pub fn compare_suffix(a: &PersonName, b: &PersonName) -> usize {
    match (a.suffix, b.suffix) {
        (Some(x), Some(y)) if x == y => level(SUFFIX_LEVELS, "exact"),
        (Some(_), Some(_)) => level(SUFFIX_LEVELS, "different"),
        _ => 0,
    }
}

/// True when two given names are compatible enough for their records to be one person:
/// equal, nickname-equivalent, an agreeing initial, a likely typo, or one record's given name is
/// the other's surname (first and last swapped in one of them, as phone directories often do).
pub fn given_names_compatible(a: &PersonName, b: &PersonName) -> bool {
    given_names_compatible_at(FIRST_NAME_LEVELS[compare_first(a, b)], a, b)
}

/// [`given_names_compatible`] for two names whose first-name comparison ([`compare_first`])
/// already reached `level`.
pub fn given_names_compatible_at(level: &str, a: &PersonName, b: &PersonName) -> bool {
    // A shared Double Metaphone code alone is not enough: Lisa and Luis, a mother and her son
    // at one address, sound alike.
    // Nor is one slip: twins are named Jayden and Hayden, Ryan and Bryan.
    if !matches!(level, "different" | "phonetic" | TYPO | JARO_WINKLER_LOW) {
        return true;
    }
    let crossed =
        |x: &PersonName, y: &PersonName| !x.first.is_empty() && y.last_joined_is(&x.first);
    crossed(a, b) || crossed(b, a) || near_spelling(a, b)
}

/// Edits two spellings of one given name may differ by and still be one person's (a typo of a
/// nickname, two typos of a long name). Names must also share their initial: twins' names that
/// differ in one letter (Jayden, Hayden) usually differ in the first.
pub const COMPATIBLE_NAME_EDITS: usize = 2;

/// True when some spelling of one given name (itself or a formal name it stands for) is within
/// [`COMPATIBLE_NAME_EDITS`] of some spelling of the other, with the same initial, for names of
/// five letters or more.
fn near_spelling(a: &PersonName, b: &PersonName) -> bool {
    fn spellings(x: &PersonName) -> impl Iterator<Item = &str> {
        let formal = x.first_formal.iter().map(String::as_str);
        formal.chain(std::iter::once(x.first.as_str()))
    }
    spellings(a).any(|x| {
        spellings(b).any(|y| {
            x.len() >= 5
                && y.len() >= 5
                && x.as_bytes()[0] == y.as_bytes()[0]
                && within_edits(x, y, COMPATIBLE_NAME_EDITS)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(first: &str, last: &str) -> PersonName {
        PersonName::from_parts(first, "", last, "")
    }

    fn first(a: &str, b: &str) -> &'static str {
        FIRST_NAME_LEVELS[compare_first(&n(a, "x"), &n(b, "x"))]
    }

    fn last(a: &str, b: &str) -> &'static str {
        LAST_NAME_LEVELS[compare_last(&n("x", a), &n("x", b))]
    }

    #[test]
    fn given_name_levels() {
        assert_eq!(first("Robert", "ROBERT"), "exact");
        assert_eq!(first("Bob", "Robert"), "nickname");
        assert_eq!(first("Peggy", "Margaret"), "nickname");
        assert_eq!(first("Xavier", "Xaveir"), "jaro_winkler>=0.92");
        assert_eq!(first("J", "John"), "initial");
        assert_eq!(
            first("Jzmes", "James"),
            "typo",
            "a slip in the second letter"
        );
        assert_eq!(
            first("Cjristopher", "Christophre"),
            "typo",
            "two slips, a long name"
        );
        assert_eq!(first("Micheal", "Mchiael"), "jaro_winkler>=0.85");
        assert_eq!(first("Kathryn", "Catherine"), "phonetic");
        assert_eq!(first("Robert", "Susan"), "different");
        assert_eq!(first("", "Susan"), "not_supplied");
        let swapped = compare_first(&n("Wei", "Chen"), &n("Chen", "Wei"));
        assert_eq!(FIRST_NAME_LEVELS[swapped], "swapped_first_last");
        let with_typo = compare_first(&n("Delcay", "Erin"), &n("Erin", "Delacy"));
        assert_eq!(FIRST_NAME_LEVELS[with_typo], "swapped_first_last");
        let hyphenated = compare_first(
            &n("Wilson-Wheeler", "Emiily"),
            &n("Emiily", "Wilson-Wheeler"),
        );
        assert_eq!(FIRST_NAME_LEVELS[hyphenated], "swapped_first_last");
    }

    #[test]
    fn different_common_names_stay_different() {
        for (a, b) in [
            ("Maria", "Lucia"),
            ("Robert", "Susan"),
            ("Jennifer", "Jessica"),
            ("Michael", "Rachel"),
        ] {
            assert_eq!(first(a, b), "different", "{a} / {b}");
        }
        assert_eq!(last("Johnson", "Jackson"), "different");
    }

    #[test]
    fn surname_levels() {
        assert_eq!(last("Smith", "smith"), "exact");
        assert_eq!(last("Garcia", "Garcia Lopez"), "compound");
        assert_eq!(last("Garcia-Lopez", "garcialopez"), "compound");
        assert_eq!(last("Smith-Jones", "Jones"), "compound");
        assert_eq!(last("Johnson", "Jonhson"), "jaro_winkler>=0.92");
        assert_eq!(last("Ssrna", "Serna"), "typo");
        assert_eq!(
            last("satte rley", "satterley"),
            "compound",
            "split by mistake"
        );
        assert_eq!(last("Smith", "Garcia"), "different");
    }

    #[test]
    fn a_swapped_record_stays_compatible_with_the_unswapped_ones() {
        let swapped = PersonName::parse_full("Bean Marjorie");
        let married = n("Marjorie", "Pope");
        assert!(given_names_compatible(&swapped, &married));
        assert!(!given_names_compatible(
            &n("Maria", "Garcia"),
            &n("Lucia", "Garcia")
        ));
    }

    #[test]
    fn given_name_compatibility_tolerates_typos_but_not_other_names() {
        assert!(
            given_names_compatible(
                &PersonName::parse_full("Bean Marjorie"),
                &n("Marjorie", "Pope")
            ),
            "swapped"
        );
        assert!(
            given_names_compatible(&n("Grorgve", "Smith"), &n("George", "Smith")),
            "two typos"
        );
        assert!(
            given_names_compatible(&n("Willam", "Smith"), &n("Billy", "Smith")),
            "a typo of the formal name"
        );
        assert!(!given_names_compatible(
            &n("Maria", "Garcia"),
            &n("Lucia", "Garcia")
        ));
        assert!(!given_names_compatible(
            &n("Jayden", "Smith"),
            &n("Hayden", "Smith")
        ));
        assert!(
            !given_names_compatible(&n("Lisa", "Webb"), &n("Luis", "Webb")),
            "sound-alikes are not enough"
        );
    }

    #[test]
    fn suffix_conflict_is_different_and_missing_is_not_supplied() {
        let jr = PersonName::from_parts("John", "", "Smith", "Jr");
        let sr = PersonName::from_parts("John", "", "Smith", "Sr");
        let none = PersonName::from_parts("John", "", "Smith", "");
        assert_eq!(SUFFIX_LEVELS[compare_suffix(&jr, &sr)], "different");
        assert_eq!(SUFFIX_LEVELS[compare_suffix(&jr, &none)], "not_supplied");
        assert_eq!(SUFFIX_LEVELS[compare_suffix(&jr, &jr)], "exact");
    }

    proptest! {
        #[test]
        fn comparisons_are_symmetric(a in "[A-Za-z]{1,9}", b in "[A-Za-z]{1,9}", c in "[A-Za-z -]{1,14}", d in "[A-Za-z -]{1,14}") {
            let (x, y) = (n(&a, &c), n(&b, &d));
            prop_assert_eq!(compare_first(&x, &y), compare_first(&y, &x));
            prop_assert_eq!(compare_last(&x, &y), compare_last(&y, &x));
            prop_assert_eq!(compare_middle(&x, &y), compare_middle(&y, &x));
        }

        #[test]
        fn one_slip_in_a_name_reaches_a_typo_level_or_better(
            name in "[a-z]{3,10}",
            at in 0usize..10,
            replacement in "[a-z]",
            kind in 0u8..4,
        ) {
            let at = at % name.len();
            let mut chars: Vec<char> = name.chars().collect();
            match kind {
                0 => chars[at] = replacement.chars().next().unwrap_or('x'),
                1 => chars.insert(at, replacement.chars().next().unwrap_or('x')),
                2 => { chars.remove(at); }
                _ => if at + 1 < chars.len() { chars.swap(at, at + 1) },
            }
            let slipped: String = chars.into_iter().collect();
            prop_assume!(slipped.len() >= 2);
            let rank = |label: &str| FIRST_NAME_LEVELS.iter().position(|l| *l == label);
            let first_level = FIRST_NAME_LEVELS[compare_first(&n(&name, "x"), &n(&slipped, "x"))];
            prop_assert!(rank(first_level) <= rank(TYPO), "{} / {}: {}", name, slipped, first_level);
            let ranks = |label: &str| LAST_NAME_LEVELS.iter().position(|l| *l == label);
            let last_level = LAST_NAME_LEVELS[compare_last(&n("x", &name), &n("x", &slipped))];
            prop_assert!(ranks(last_level) <= ranks(TYPO), "{} / {}: {}", name, slipped, last_level);
        }

        #[test]
        fn a_name_matches_itself_exactly(a in "[A-Za-z]{2,9}", c in "[A-Za-z]{2,14}") {
            let x = n(&a, &c);
            prop_assert_eq!(FIRST_NAME_LEVELS[compare_first(&x, &x)], "exact");
            prop_assert_eq!(LAST_NAME_LEVELS[compare_last(&x, &x)], "exact");
        }
    }
}
