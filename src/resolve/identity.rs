//! Identities: candidate records that match each other strongly are grouped into one candidate
//! person, greedily from the strongest link down, and two groups never merge when any record of
//! one conflicts with any record of the other (different suffix, SSN beyond a typo, full DOB
//! or given name, or a record older than the other's holder). That keeps a Jr apart from his Sr and a twin apart from the other twin even when an
//! ambiguous record (same name, same address, no DOB) would bridge them.

use crate::compare::name::given_names_compatible_at;
use crate::compare::ssn;
use crate::compare::{Comparison, ComparisonVector};
use crate::normalize::NormalizedRecord;
use crate::score::{Model, TermFrequencies};

use super::pairs::PairMatrix;

/// Match weight (prior included) two records need to be grouped: probability ≥ 0.99.
pub const IDENTITY_LINK_WEIGHT: f64 = 6.63;

/// Age below which a person is not expected to be reported by a source on their own account
/// (a utility connection, a marketing list, a credit file of their own).
pub const MIN_REPORTING_AGE_YEARS: i64 = 16;

/// True when two records cannot be one person: their suffixes, SSNs (beyond a keying error),
/// full DOBs (unless the full SSNs agree) or given names disagree outright, or one was first seen before the other's holder was old enough to
/// be reported (a father's 2008 utility record is not his son born in 2005).
pub fn conflicts(
    vector: &ComparisonVector,
    left: &NormalizedRecord,
    right: &NormalizedRecord,
) -> bool {
    vector.is_different(Comparison::NameSuffix)
        || ssns_conflict(vector, left, right)
        || dobs_conflict(vector)
        || !given_names_compatible_at(vector.label(Comparison::FirstName), &left.name, &right.name)
        || seen_too_young(left, right)
        || seen_too_young(right, left)
}

/// True when the two records' SSNs disagree by more than a keying error (see
/// [`ssn::could_be_typo`]).
fn ssns_conflict(
    vector: &ComparisonVector,
    left: &NormalizedRecord,
    right: &NormalizedRecord,
) -> bool {
    vector.is_different(Comparison::Ssn)
        && !matches!((&left.ssn, &right.ssn), (Some(a), Some(b)) if ssn::could_be_typo(a, b))
}

/// True when the two records' full DOBs disagree, unless their full SSNs agree exactly: one
/// person's DOB keyed wrong in two places (1997-12-20, 1998-12-23) is far likelier than two
/// people sharing a name and an SSN.
fn dobs_conflict(vector: &ComparisonVector) -> bool {
    vector.is_different(Comparison::Dob) && !vector.level(Comparison::Ssn).is_exact()
}

/// True when `other` was first seen before `record`'s holder reached the reporting age.
fn seen_too_young(record: &NormalizedRecord, other: &NormalizedRecord) -> bool {
    let (Some(dob), Some(first_seen)) = (record.dob, other.first_seen.or(other.last_seen)) else {
        return false;
    };
    if !dob.is_full() {
        return false;
    }
    let age_days = first_seen.days_since_epoch() - dob.days_since_epoch();
    age_days < MIN_REPORTING_AGE_YEARS * 365
}

/// The comparisons [`conflicts`] reads. A pair of records is compared on these first, and on
/// the rest only when they do not conflict: most pairs of candidates are two people (87% on the
/// 1M synth set), and the rest of their comparison was most of the cost of clustering.
const CONFLICT_COMPARISONS: [Comparison; 4] = [
    Comparison::NameSuffix,
    Comparison::Ssn,
    Comparison::Dob,
    Comparison::FirstName,
];

/// Records grouped into identities, with every pair's conflict and every comparison of
/// compatible records kept: the checks that follow (rivals, fragments, look-alikes) ask about
/// the same pairs again.
#[derive(Debug, Clone)]
pub struct Clusters {
    /// Groups of indexes into the records, each sorted, groups in order of their first member.
    pub groups: Vec<Vec<usize>>,
    vectors: PairMatrix<Option<ComparisonVector>>,
    conflict: PairMatrix<bool>,
}

impl Clusters {
    /// Returns the comparison of records `i` and `j` (`i != j`), or `None` when they conflict:
    /// their comparison stopped there.
    pub fn vector(&self, i: usize, j: usize) -> Option<&ComparisonVector> {
        self.vectors.get(i, j).as_ref()
    }

    /// True when records `i` and `j` cannot be one person ([`conflicts`]).
    pub fn conflict(&self, i: usize, j: usize) -> bool {
        *self.conflict.get(i, j)
    }

    /// True when some record of one group cannot be the same person as some record of the
    /// other.
    pub fn groups_conflict(&self, a: &[usize], b: &[usize]) -> bool {
        self.conflict.any_between(a, b)
    }
}

/// Groups records into identities. `term_frequencies(record)` gives the name frequencies used
/// to weigh a pair (rare shared names link more readily).
pub fn cluster(
    records: &[&NormalizedRecord],
    model: &Model,
    term_frequencies: &dyn Fn(&NormalizedRecord) -> TermFrequencies,
) -> Clusters {
    let n = records.len();
    let mut links: Vec<(f64, usize, usize)> = Vec::new();
    let mut conflict = PairMatrix::new(n, false);
    let mut vectors = PairMatrix::new(n, None);
    for i in 0..n {
        let tf = term_frequencies(records[i]);
        for j in (i + 1)..n {
            let (left, right) = (records[i], records[j]);
            let mut vector = ComparisonVector::partial(left, right, &CONFLICT_COMPARISONS);
            if conflicts(&vector, left, right) {
                conflict.set(i, j, true);
                continue;
            }
            vector.complete(left, right, &CONFLICT_COMPARISONS);
            vectors.set(i, j, Some(vector));
            let weight = model.match_weight(&vector, &tf);
            if weight >= IDENTITY_LINK_WEIGHT {
                links.push((weight, i, j));
            }
        }
    }
    links.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let link_pairs: Vec<(usize, usize)> = links.iter().map(|&(_, i, j)| (i, j)).collect();
    let mut group_of: Vec<usize> = (0..n).collect();
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    for (_, i, j) in links {
        let (a, b) = (group_of[i], group_of[j]);
        if a == b {
            continue;
        }
        if conflict.any_between(&members[a], &members[b]) {
            continue;
        }
        let moved = std::mem::take(&mut members[b]);
        for &m in &moved {
            group_of[m] = a;
        }
        members[a].extend(moved);
    }
    detach_bridges(&mut members, &mut group_of, &link_pairs, &conflict);
    let mut groups: Vec<Vec<usize>> = members.into_iter().filter(|g| !g.is_empty()).collect();
    for group in &mut groups {
        group.sort_unstable();
    }
    groups.sort_by_key(|g| g[0]);
    Clusters {
        groups,
        vectors,
        conflict,
    }
}

/// Takes out of its group every record that also links to a record of a group that conflicts
/// with its own: a father's utility record (same name, same address, no suffix, no DOB) links to
/// the son's identity and to the father's equally well, and belongs to neither with certainty.
/// Such a record becomes an identity of its own, so its contact points are never offered as the
/// son's.
fn detach_bridges(
    members: &mut [Vec<usize>],
    group_of: &mut [usize],
    links: &[(usize, usize)],
    conflict: &PairMatrix<bool>,
) {
    let mut bridges: Vec<usize> = Vec::new();
    for &(i, j) in links {
        for (record, other) in [(i, j), (j, i)] {
            let (own, foreign) = (group_of[record], group_of[other]);
            let fits_foreign = !conflict.any_between(&[record], &members[foreign]);
            if own != foreign
                && members[own].len() > 1
                && fits_foreign
                && conflict.any_between(&members[own], &members[foreign])
            {
                bridges.push(record);
            }
        }
    }
    bridges.sort_unstable();
    bridges.dedup();
    for record in bridges {
        let own = group_of[record];
        let mut rest = std::mem::take(&mut members[own]);
        rest.retain(|&m| m != record);
        // A group lives in the slot of one of its records; every other record's slot is empty.
        if let Some(&new_root) = rest.first() {
            for &m in &rest {
                group_of[m] = new_root;
            }
            members[new_root] = rest;
        }
        members[record] = vec![record];
        group_of[record] = record;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field, RawRecord};

    fn rec(id: &str, first: &str, suffix: &str, dob: &str, ssn: &str) -> NormalizedRecord {
        let raw = RawRecord::new()
            .with(Field::RecordId, id)
            .with(Field::FirstName, first)
            .with(Field::LastName, "Okonkwo")
            .with(Field::NameSuffix, suffix)
            .with(Field::Dob, dob)
            .with(Field::Ssn, ssn)
            .with(Field::AddressLine1, "12 Main St")
            .with(Field::Zip, "62704")
            .with(Field::Phone, "2175550123");
        NormalizedRecord::from_raw(&raw).0
    }

    #[test]
    fn an_ambiguous_record_does_not_bridge_father_and_son() {
        let senior = rec("sr", "John", "Sr", "1950-03-04", "123-45-6789");
        let junior = rec("jr", "John", "Jr", "1980-07-08", "234-56-7890");
        let bridge = rec("x", "John", "", "", "");
        let junior_again = rec("jr2", "John", "", "1980-07-08", "234-56-7890");
        let records = [&senior, &junior, &bridge, &junior_again];
        let groups = cluster(&records, &Model::default_model(), &|_| {
            TermFrequencies::default()
        })
        .groups;
        let with_senior = groups
            .iter()
            .find(|g| g.contains(&0))
            .expect("senior grouped");
        assert!(!with_senior.contains(&1) && !with_senior.contains(&3));
        let with_junior = groups
            .iter()
            .find(|g| g.contains(&1))
            .expect("junior grouped");
        assert!(
            with_junior.contains(&3),
            "the junior's two records are one identity"
        );
    }

    #[test]
    fn a_record_older_than_the_son_is_not_the_son() {
        let mut son = rec("jr", "Walter", "", "2005-06-27", "632-51-3594");
        son.first_seen = crate::normalize::Date::new(2023, 9, 7);
        let mut fathers_utility = rec("u", "Walter", "", "", "");
        fathers_utility.first_seen = crate::normalize::Date::new(2008, 6, 15);
        let groups = cluster(&[&son, &fathers_utility], &Model::default_model(), &|_| {
            TermFrequencies::default()
        })
        .groups;
        assert_eq!(groups.len(), 2);
    }

    #[test]
    fn twins_stay_apart() {
        let a = rec("a", "Maria", "", "1990-01-02", "");
        let b = rec("b", "Lucia", "", "1990-01-02", "");
        let groups = cluster(&[&a, &b], &Model::default_model(), &|_| {
            TermFrequencies::default()
        })
        .groups;
        assert_eq!(groups.len(), 2);
    }
}
