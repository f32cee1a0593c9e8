//! Identities: candidate records that match each other strongly are grouped into one candidate
//! person, greedily from the strongest link down, and two groups never merge when any record of
//! one conflicts with any record of the other (different suffix, full SSN, full DOB or given
//! name). That keeps a Jr apart from his Sr and a twin apart from the other twin even when an
//! ambiguous record (same name, same address, no DOB) would bridge them.

use crate::compare::name::given_names_compatible;
use crate::compare::{Comparison, ComparisonVector};
use crate::normalize::NormalizedRecord;
use crate::score::{Model, TermFrequencies};

/// Match weight (prior included) two records need to be grouped: probability ≥ 0.99.
pub const IDENTITY_LINK_WEIGHT: f64 = 6.63;

/// True when two records cannot be one person: their suffixes, full SSNs, full DOBs or given
/// names disagree outright.
pub fn conflicts(
    vector: &ComparisonVector,
    left: &NormalizedRecord,
    right: &NormalizedRecord,
) -> bool {
    vector.is_different(Comparison::NameSuffix)
        || vector.is_different(Comparison::Ssn)
        || vector.is_different(Comparison::Dob)
        || !given_names_compatible(&left.name, &right.name)
}

/// Groups records into identities. `term_frequencies(record)` gives the name frequencies used
/// to weigh a pair (rare shared names link more readily). Returns groups of indexes into
/// `records`, each sorted, groups in order of their first member.
pub fn cluster(
    records: &[&NormalizedRecord],
    model: &Model,
    term_frequencies: &dyn Fn(&NormalizedRecord) -> TermFrequencies,
) -> Vec<Vec<usize>> {
    let n = records.len();
    let mut links: Vec<(f64, usize, usize)> = Vec::new();
    let mut conflict = vec![false; n * n];
    for i in 0..n {
        let tf = term_frequencies(records[i]);
        for j in (i + 1)..n {
            let vector = ComparisonVector::between(records[i], records[j]);
            if conflicts(&vector, records[i], records[j]) {
                conflict[i * n + j] = true;
                conflict[j * n + i] = true;
                continue;
            }
            let weight = model.match_weight(&vector, &tf);
            if weight >= IDENTITY_LINK_WEIGHT {
                links.push((weight, i, j));
            }
        }
    }
    links.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut group_of: Vec<usize> = (0..n).collect();
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    for (_, i, j) in links {
        let (a, b) = (group_of[i], group_of[j]);
        if a == b {
            continue;
        }
        let clash = members[a]
            .iter()
            .any(|&x| members[b].iter().any(|&y| conflict[x * n + y]));
        if clash {
            continue;
        }
        let moved = std::mem::take(&mut members[b]);
        for &m in &moved {
            group_of[m] = a;
        }
        members[a].extend(moved);
    }
    let mut groups: Vec<Vec<usize>> = members.into_iter().filter(|g| !g.is_empty()).collect();
    for group in &mut groups {
        group.sort_unstable();
    }
    groups.sort_by_key(|g| g[0]);
    groups
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
        });
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
    fn twins_stay_apart() {
        let a = rec("a", "Maria", "", "1990-01-02", "");
        let b = rec("b", "Lucia", "", "1990-01-02", "");
        let groups = cluster(&[&a, &b], &Model::default_model(), &|_| {
            TermFrequencies::default()
        });
        assert_eq!(groups.len(), 2);
    }
}
