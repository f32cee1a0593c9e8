//! Field-by-field comparison: a query and a candidate record (or two records) reach one
//! comparison level per field. Levels are ordered, first hit wins, and level 0 is always
//! `not_supplied` (a missing value weighs nothing). The weights live in [`crate::score::Model`].

pub mod address;
pub mod contact;
pub mod dob;
pub mod name;
pub mod other_id;
pub mod ssn;

use serde::{Deserialize, Serialize};

use crate::normalize::NormalizedRecord;

/// The fields compared, one [`Comparison`] each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Given name.
    FirstName,
    /// Middle name or initial.
    MiddleName,
    /// Surname.
    LastName,
    /// Generational suffix.
    NameSuffix,
    /// Date of birth.
    Dob,
    /// Social Security number.
    Ssn,
    /// Another personal identifier (a national id, a driver's licence).
    OtherId,
    /// Postal address.
    Address,
    /// Telephone.
    Phone,
    /// Email.
    Email,
}

/// Stable label of the level that means the value is missing on one side.
pub const NOT_SUPPLIED: &str = "not_supplied";

impl Comparison {
    /// Every comparison, in explanation order.
    pub const ALL: [Comparison; 10] = [
        Comparison::FirstName,
        Comparison::MiddleName,
        Comparison::LastName,
        Comparison::NameSuffix,
        Comparison::Dob,
        Comparison::Ssn,
        Comparison::OtherId,
        Comparison::Address,
        Comparison::Phone,
        Comparison::Email,
    ];

    /// Number of comparisons.
    pub const COUNT: usize = Self::ALL.len();

    /// Returns the snake_case name used in model files and explanations.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::FirstName => "first_name",
            Comparison::MiddleName => "middle_name",
            Comparison::LastName => "last_name",
            Comparison::NameSuffix => "name_suffix",
            Comparison::Dob => "dob",
            Comparison::Ssn => "ssn",
            Comparison::OtherId => "other_id",
            Comparison::Address => "address",
            Comparison::Phone => "phone",
            Comparison::Email => "email",
        }
    }

    /// Returns the level labels of this comparison, best first after `not_supplied`; the last is
    /// always `different`.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Comparison::FirstName => name::FIRST_NAME_LEVELS,
            Comparison::MiddleName => name::MIDDLE_NAME_LEVELS,
            Comparison::LastName => name::LAST_NAME_LEVELS,
            Comparison::NameSuffix => name::SUFFIX_LEVELS,
            Comparison::Dob => dob::DOB_LEVELS,
            Comparison::Ssn => ssn::SSN_LEVELS,
            Comparison::OtherId => other_id::OTHER_ID_LEVELS,
            Comparison::Address => address::ADDRESS_LEVELS,
            Comparison::Phone | Comparison::Email => contact::EXACT_LEVELS,
        }
    }

    /// Returns the index of `label` among [`Comparison::levels`].
    pub fn level_index(self, label: &str) -> Option<usize> {
        self.levels().iter().position(|l| *l == label)
    }

    /// Compares one field of two records and returns the level index reached.
    pub fn compare(self, left: &NormalizedRecord, right: &NormalizedRecord) -> usize {
        match self {
            Comparison::FirstName => name::compare_first(&left.name, &right.name),
            Comparison::MiddleName => name::compare_middle(&left.name, &right.name),
            Comparison::LastName => name::compare_last(&left.name, &right.name),
            Comparison::NameSuffix => name::compare_suffix(&left.name, &right.name),
            Comparison::Dob => dob::compare(left.dob.as_ref(), right.dob.as_ref()),
            Comparison::Ssn => ssn::compare(left.ssn.as_ref(), right.ssn.as_ref()),
            Comparison::OtherId => {
                other_id::compare(left.other_id.as_deref(), right.other_id.as_deref())
            }
            Comparison::Address => address::compare(left.address.as_ref(), right.address.as_ref()),
            Comparison::Phone => {
                contact::compare_exact(left.phone.as_deref(), right.phone.as_deref())
            }
            Comparison::Email => {
                contact::compare_exact(left.email.as_deref(), right.email.as_deref())
            }
        }
    }
}

/// The level one comparison reached, read through predicates so that rules elsewhere never
/// compare labels. Every comparison's levels run `not_supplied`, `exact`, ..., `different`
/// (checked by a test below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Level {
    comparison: Comparison,
    index: u8,
}

impl Level {
    /// Returns the level of `comparison` at `index` into its [`Comparison::levels`].
    pub fn of(comparison: Comparison, index: usize) -> Level {
        debug_assert!(index < comparison.levels().len());
        Level {
            comparison,
            index: index as u8,
        }
    }

    /// Returns the level labelled `label` (as explanations carry it), or `not_supplied` for a
    /// label the comparison does not define.
    pub fn from_label(comparison: Comparison, label: &str) -> Level {
        Level::of(comparison, comparison.level_index(label).unwrap_or(0))
    }

    /// Returns the stable snake_case label (`exact`, `dob_day_month_swapped`...).
    pub fn label(self) -> &'static str {
        self.comparison.levels()[usize::from(self.index)]
    }

    /// True unless a value was missing on one side.
    pub fn is_supplied(self) -> bool {
        self.index != 0
    }

    /// True for the `exact` level.
    pub fn is_exact(self) -> bool {
        self.index == 1
    }

    /// True for the last level, `different`.
    pub fn is_different(self) -> bool {
        usize::from(self.index) + 1 == self.comparison.levels().len()
    }

    /// True when both sides have a value and it is not `different`: exact or near.
    pub fn agrees(self) -> bool {
        self.is_supplied() && !self.is_different()
    }

    /// True when the level says something of the person beyond the area they live in: agrees,
    /// and for an address not merely on the ZIP or city (`same_zip`, `same_city`).
    pub fn agrees_beyond_area(self) -> bool {
        self.agrees()
            && !(self.comparison == Comparison::Address
                && address::is_area_only(usize::from(self.index)))
    }

    /// True for a name spelled a slip or two away (`typo`, `jaro_winkler>=0.85`): close enough
    /// to be the same name mistyped, not close enough to tell twins named Ryan and Bryan apart.
    pub fn is_spelling_slip(self) -> bool {
        matches!(
            self.comparison,
            Comparison::FirstName | Comparison::LastName
        ) && matches!(self.label(), name::TYPO | name::JARO_WINKLER_LOW)
    }

    /// True for an address at the same building: `exact` or `address_minus_unit`.
    pub fn same_building(self) -> bool {
        self.comparison == Comparison::Address
            && (self.is_exact() || address::is_other_unit(usize::from(self.index)))
    }
}

/// The level every comparison reached for one pair: `levels[c as usize]` indexes into
/// `c.levels()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ComparisonVector {
    /// Level index per comparison, in [`Comparison::ALL`] order.
    pub levels: [u8; Comparison::COUNT],
}

impl ComparisonVector {
    /// Compares every field of two records.
    pub fn between(left: &NormalizedRecord, right: &NormalizedRecord) -> ComparisonVector {
        let mut levels = [0u8; Comparison::COUNT];
        for (slot, comparison) in levels.iter_mut().zip(Comparison::ALL) {
            *slot = comparison.compare(left, right) as u8;
        }
        ComparisonVector { levels }
    }

    /// Compares only `comparisons`, leaving every other at level 0 (`not_supplied`): for a
    /// caller that can stop on their result, and finishes with [`ComparisonVector::complete`].
    pub fn partial(
        left: &NormalizedRecord,
        right: &NormalizedRecord,
        comparisons: &[Comparison],
    ) -> ComparisonVector {
        let mut vector = ComparisonVector::default();
        for &comparison in comparisons {
            vector.levels[comparison as usize] = comparison.compare(left, right) as u8;
        }
        vector
    }

    /// Makes a [`ComparisonVector::partial`] vector of `done` the full one.
    pub fn complete(
        &mut self,
        left: &NormalizedRecord,
        right: &NormalizedRecord,
        done: &[Comparison],
    ) {
        for comparison in Comparison::ALL {
            if !done.contains(&comparison) {
                self.levels[comparison as usize] = comparison.compare(left, right) as u8;
            }
        }
    }

    /// Returns the level label reached by `comparison`.
    pub fn label(&self, comparison: Comparison) -> &'static str {
        self.level(comparison).label()
    }

    /// Returns the level reached by `comparison`.
    pub fn level(&self, comparison: Comparison) -> Level {
        Level::of(comparison, usize::from(self.levels[comparison as usize]))
    }

    /// True when `comparison` fell to its last level, `different`.
    pub fn is_different(&self, comparison: Comparison) -> bool {
        usize::from(self.levels[comparison as usize]) + 1 == comparison.levels().len()
    }
}

/// True when the Jaro–Winkler similarity of `a` and `b` (as `strsim::jaro_winkler` computes
/// it) is at least `threshold`.
///
/// Most pairs compared are different names, so an upper bound is tried first: Jaro's matching
/// characters are at most the characters the two strings share (as multisets), which bounds
/// Jaro, and Winkler's prefix bonus grows with Jaro. Only pairs the bound cannot rule out pay
/// for the full computation; the answer is always the same as computing it.
pub fn jaro_winkler_at_least(a: &str, b: &str, threshold: f64) -> bool {
    jaro_winkler_from(a, b, threshold) >= threshold
}

/// Returns the Jaro–Winkler similarity of `a` and `b` when it may reach `floor`, else 0 (the
/// bound of [`jaro_winkler_at_least`] ruled it out without computing it): one computation
/// serves every threshold at or above `floor`.
pub fn jaro_winkler_from(a: &str, b: &str, floor: f64) -> f64 {
    if a.is_ascii() && b.is_ascii() && !a.is_empty() && !b.is_empty() {
        let mut counts = [0i16; 128];
        for byte in a.bytes() {
            counts[usize::from(byte)] += 1;
        }
        let mut shared = 0usize;
        for byte in b.bytes() {
            let count = &mut counts[usize::from(byte)];
            if *count > 0 {
                *count -= 1;
                shared += 1;
            }
        }
        let shared = shared as f64;
        let jaro_bound = (shared / a.len() as f64 + shared / b.len() as f64 + 1.0) / 3.0;
        let prefix = a
            .bytes()
            .zip(b.bytes())
            .take_while(|(x, y)| x == y)
            .count()
            .min(4);
        let bound = jaro_bound + 0.1 * prefix as f64 * (1.0 - jaro_bound);
        if shared == 0.0 || bound < floor - 1e-9 {
            return 0.0;
        }
    }
    strsim::jaro_winkler(a, b)
}

/// True when `a` and `b` are at most `max` keying slips apart: characters inserted, dropped or
/// changed, or two adjacent ones swapped (optimal string alignment distance). Over 80 % of
/// typos are one such slip (docs/domain.md §8).
///
/// Most pairs compared are different names, so the cheap bounds come first: the length
/// difference, then the common prefix and suffix (which never change the distance) are set
/// aside, then the characters the rests share (as multisets) bound the distance from below.
/// Only what is left pays for the dynamic programme, on the stack. The answer is always that of
/// `strsim::osa_distance`.
pub fn within_edits(a: &str, b: &str, max: usize) -> bool {
    if !(a.is_ascii() && b.is_ascii()) {
        return strsim::osa_distance(a, b) <= max;
    }
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    if x.len().abs_diff(y.len()) > max {
        return false;
    }
    while let ([p, x_rest @ ..], [q, y_rest @ ..]) = (x, y) {
        if p != q {
            break;
        }
        (x, y) = (x_rest, y_rest);
    }
    while let ([x_rest @ .., p], [y_rest @ .., q]) = (x, y) {
        if p != q {
            break;
        }
        (x, y) = (x_rest, y_rest);
    }
    let longer = x.len().max(y.len());
    if longer <= max {
        return true;
    }
    let mut counts = [0i16; 128];
    for &byte in x {
        counts[usize::from(byte)] += 1;
    }
    let shared = y
        .iter()
        .filter(|&&byte| {
            let count = &mut counts[usize::from(byte)];
            *count -= 1;
            *count >= 0
        })
        .count();
    if longer - shared > max {
        return false;
    }
    osa_distance_bytes(x, y) <= max
}

/// Optimal string alignment distance of two short byte strings, three rows on the stack.
fn osa_distance_bytes(a: &[u8], b: &[u8]) -> usize {
    const MAX: usize = 64;
    if b.len() >= MAX {
        let text = |bytes| std::str::from_utf8(bytes).unwrap_or_default();
        return strsim::osa_distance(text(a), text(b));
    }
    let width = b.len() + 1;
    let mut before = [0usize; MAX];
    let mut previous = [0usize; MAX];
    let mut current = [0usize; MAX];
    for (j, cell) in previous[..width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        before[..width].copy_from_slice(&previous[..width]);
        previous[..width].copy_from_slice(&current[..width]);
    }
    previous[b.len()]
}

/// Returns the level index of `label`, panicking in debug builds when a comparator names a level
/// its comparison does not define (an invariant of this module); a release build falls back to
/// the last level, `different`.
fn level(levels: &[&str], label: &str) -> usize {
    let index = levels.iter().position(|l| *l == label);
    debug_assert!(index.is_some(), "unknown level {label}");
    index.unwrap_or(levels.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_comparison_starts_with_not_supplied_and_ends_with_different() {
        for comparison in Comparison::ALL {
            let levels = comparison.levels();
            assert_eq!(levels[0], NOT_SUPPLIED, "{}", comparison.name());
            assert_eq!(levels[1], "exact", "{}: Level::is_exact", comparison.name());
            let different = Level::of(comparison, levels.len() - 1);
            assert!(different.is_different() && !different.agrees());
            assert!(Level::of(comparison, 1).agrees() && !Level::of(comparison, 0).agrees());
            assert_eq!(
                Level::from_label(comparison, "exact"),
                Level::of(comparison, 1)
            );
            assert_eq!(
                levels[levels.len() - 1],
                "different",
                "{}",
                comparison.name()
            );
        }
    }

    #[test]
    fn jaro_winkler_at_least_agrees_on_known_pairs() {
        assert!(jaro_winkler_at_least("MARTHA", "MARHTA", 0.92));
        assert!(jaro_winkler_at_least("JOHNSON", "JONHSON", 0.92));
        assert!(!jaro_winkler_at_least("JOHNSON", "SMITH", 0.92));
        assert!(!jaro_winkler_at_least("ANN", "", 0.5));
        assert!(jaro_winkler_at_least("JOSÉ", "JOSE", 0.85));
    }

    /// A record from a few values per field, so that pairs agree, nearly agree and differ.
    fn record(values: &[&str; 7]) -> NormalizedRecord {
        use crate::record::{Field, RawRecord};
        let [first, last, suffix, dob, ssn, street, phone] = values;
        let raw = RawRecord::new()
            .with(Field::FirstName, first)
            .with(Field::LastName, last)
            .with(Field::NameSuffix, suffix)
            .with(Field::Dob, dob)
            .with(Field::Ssn, ssn)
            .with(Field::AddressLine1, street)
            .with(Field::Zip, "30301")
            .with(Field::Phone, phone);
        NormalizedRecord::from_raw(&raw).0
    }

    fn any_record() -> impl proptest::strategy::Strategy<Value = NormalizedRecord> {
        use proptest::sample::select;
        use proptest::strategy::Strategy;
        (
            select(vec!["Bob", "Robert", "Rob", "Roberta", ""]),
            select(vec!["Smith", "Smyth", "Smith Jones", ""]),
            select(vec!["", "Jr", "Sr"]),
            select(vec!["1957-03-14", "1957-14-03", "1975-03-14", ""]),
            select(vec!["123-45-6789", "123-45-6798", "6789", ""]),
            select(vec!["12 Oak St", "12 Oak St Apt 3", "14 Elm Ave", ""]),
            select(vec!["404-555-0101", "404-555-0199", ""]),
        )
            .prop_map(|(a, b, c, d, e, f, g)| record(&[a, b, c, d, e, f, g]))
    }

    proptest::proptest! {
        /// The bounds never change the answer: within_edits is osa_distance ≤ max.
        #[test]
        fn within_edits_is_the_optimal_string_alignment_distance(
            a in "[a-e ]{0,12}",
            b in "[a-e ]{0,12}",
            max in 0usize..4,
        ) {
            proptest::prop_assert_eq!(within_edits(&a, &b, max), strsim::osa_distance(&a, &b) <= max);
            proptest::prop_assert_eq!(within_edits(&a, &b, max), within_edits(&b, &a, max));
        }

        /// A vector compared in two steps is the vector compared at once, whichever comparisons
        /// come first.
        #[test]
        fn a_partial_vector_completed_is_the_whole_comparison(
            left in any_record(),
            right in any_record(),
            first in proptest::sample::subsequence(Comparison::ALL.to_vec(), 0..=Comparison::COUNT),
        ) {
            let mut vector = ComparisonVector::partial(&left, &right, &first);
            for comparison in Comparison::ALL {
                if !first.contains(&comparison) {
                    proptest::prop_assert_eq!(vector.label(comparison), NOT_SUPPLIED);
                }
            }
            vector.complete(&left, &right, &first);
            proptest::prop_assert_eq!(vector, ComparisonVector::between(&left, &right));
        }

        /// The bound never changes the answer: a small alphabet makes near-threshold pairs common.
        #[test]
        fn jaro_winkler_at_least_is_the_plain_comparison(
            a in "[ABEHNORST]{0,9}",
            b in "[ABEHNORST]{0,9}",
            threshold in proptest::sample::select(vec![0.7, 0.85, 0.9, 0.92, 0.95]),
        ) {
            proptest::prop_assert_eq!(
                jaro_winkler_at_least(&a, &b, threshold),
                strsim::jaro_winkler(&a, &b) >= threshold
            );
        }
    }
}
