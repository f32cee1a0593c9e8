//! The decision: among the identities a search found, which one (if any) the collector may act
//! on. Each identity's probability is made exclusive of its rivals, fragments of the debtor are
//! folded into the top identity, look-alikes are flagged, and the search is `resolved`,
//! `ambiguous` or `no_match`; an identity the search does not vouch for is never banded strong.
//!
//! Step 7 of the flow (docs/architecture.md); the search ([`crate::search`]) runs these rules
//! in order over the identity groups (an identity with its member records) it built.

use std::collections::HashSet;

use super::contact::{merge_contacts, ContactKind, OnFileContacts};
use super::identity::Clusters;
use super::pairs::PairMatrix;
use super::{Flag, Identity, RecordRef, ResolutionStatus};
use crate::compare::{Comparison, ComparisonVector};
use crate::normalize::{NormalizedRecord, Ssn};
use crate::score::{probability_from_weight, Band, WEAK_THRESHOLD};

/// An identity with the candidate records it groups (indices into the search's records).
#[derive(Debug, Clone)]
pub(crate) struct IdentityGroup {
    /// The candidate person.
    pub(crate) identity: Identity,
    /// Its records, as indices into the records the search scored.
    pub(crate) members: Vec<usize>,
}

/// Orders an identity's records best match first (ties by record id).
pub(crate) fn sort_best_first(records: &mut [RecordRef]) {
    records.sort_by(|a, b| {
        b.match_probability
            .total_cmp(&a.match_probability)
            .then(a.record_id.cmp(&b.record_id))
    });
}

/// Makes each identity's probability exclusive of its rivals: identities that are provably
/// other people (one of their records conflicts with one of its records: a Jr against his Sr,
/// a twin, another John Smith with another DOB), and the look-alike pairs given (by identity
/// id: same name and address, or same surname and DOB, yet two identities). The debtor is at
/// most one of them, so `p_i = odds_i / (1 + odds_i + Σ_rivals odds_j)`: two cards for a Jr/Sr
/// pair cannot both read near-certain. Identities that conflict with nothing are most likely
/// fragments of the same person (a marketing record with a name and a ZIP) and are not rivals.
/// Re-sorts the groups by the new probability.
pub(crate) fn apply_rivalry(
    groups: &mut [IdentityGroup],
    clusters: &Clusters,
    look_alikes: &[(String, String)],
) {
    let n = groups.len();
    let mut rivals = PairMatrix::new(n, false);
    for i in 0..n {
        for j in (i + 1)..n {
            let (a, b) = (
                &groups[i].identity.identity_id,
                &groups[j].identity.identity_id,
            );
            let rival = clusters.groups_conflict(&groups[i].members, &groups[j].members)
                || look_alikes
                    .iter()
                    .any(|(x, y)| (x == a && y == b) || (x == b && y == a));
            rivals.set(i, j, rival);
        }
    }
    let adjusted: Vec<f64> = (0..n)
        .map(|i| {
            let own = groups[i].identity.match_weight;
            let rivals_odds: f64 = (0..n)
                .filter(|&j| *rivals.get(i, j))
                .map(|j| (groups[j].identity.match_weight - own).exp2())
                .sum();
            1.0 / (1.0 + (-own).exp2() + rivals_odds)
        })
        .collect();
    for (group, probability) in groups.iter_mut().zip(adjusted) {
        group.identity.match_probability = probability;
        group.identity.band = Band::of(probability);
    }
    groups.sort_by(|a, b| {
        b.identity
            .match_probability
            .total_cmp(&a.identity.match_probability)
            .then(b.identity.match_weight.total_cmp(&a.identity.match_weight))
    });
}

/// Probability (against the query, before rivalry) an identity needs to be taken as a fragment
/// of the top identity (see `absorb_fragments`).
/// On the 416k-record synth set, 0.5 instead of 0.9 raised the right-party address rate by 10
/// debtors without offering a single address of another person; 0.2 took in a same-named
/// stranger born the same day.
pub const FRAGMENT_MIN_PROBABILITY: f64 = 0.5;

/// Folds into the top identity the identities that are fragments of the same person, such as
/// a utility record at the new address under a married name with the debtor's mobile. Such a
/// record shares too little with the top identity's records to be grouped
/// with them, yet it matches the query on its own. A fragment must match the query with
/// [`FRAGMENT_MIN_PROBABILITY`] and agree with it on a DOB, SSN, phone or email (a name alone
/// is not enough), conflict with no record of the top identity, and conflict with every record
/// group that is a rival of the top one (a Jr's, a twin's): a fragment that could be the
/// rival's stays apart, so a twin's address is never offered as her sister's. The top identity
/// keeps its probability and its id; it gains the fragments' records and contact points.
pub(crate) fn absorb_fragments(
    groups: &mut Vec<IdentityGroup>,
    clusters: &Clusters,
    records: &[&NormalizedRecord],
    on_file: &OnFileContacts,
) {
    if groups.len() < 2 {
        return;
    }
    let conflict =
        |a: usize, b: usize| clusters.groups_conflict(&groups[a].members, &groups[b].members);
    let rivals: Vec<usize> = (1..groups.len()).filter(|&r| conflict(0, r)).collect();
    let fragments: Vec<usize> = (1..groups.len())
        .filter(|&f| {
            let identity = &groups[f].identity;
            !rivals.contains(&f)
                && probability_from_weight(identity.match_weight) >= FRAGMENT_MIN_PROBABILITY
                && vouches_for_itself(identity)
                && rivals.iter().all(|&r| conflict(f, r))
        })
        .collect();
    if fragments.is_empty() {
        return;
    }
    let own_contacts: HashSet<(ContactKind, String)> = groups[0]
        .identity
        .contacts
        .iter()
        .map(|c| (c.kind, c.value.clone()))
        .collect();
    for &f in fragments.iter().rev() {
        let fragment = groups.remove(f);
        let top = &mut groups[0];
        for name in fragment.identity.names {
            if !top.identity.names.contains(&name) {
                top.identity.names.push(name);
            }
        }
        top.identity.records.extend(fragment.identity.records);
        top.members.extend(fragment.members);
    }
    let top_records: Vec<&NormalizedRecord> =
        groups[0].members.iter().map(|&i| records[i]).collect();
    let top = &mut groups[0].identity;
    sort_best_first(&mut top.records);
    let merged = merge_contacts(&top_records, on_file);
    top.contacts = merged.points;
    top.hidden_contacts = merged.hidden;
    for contact in &mut top.contacts {
        contact.from_fragment = !own_contacts.contains(&(contact.kind, contact.value.clone()));
    }
}

/// True when an identity agrees with the query on something of the debtor's own (DOB, SSN,
/// other id, phone or email: a level other than `not_supplied` and `different`) and differs on no
/// comparison that tells people apart ([`DISQUALIFYING_DIFFERENCES`]).
fn vouches_for_itself(identity: &Identity) -> bool {
    let level = |comparison: Comparison| identity.level(comparison);
    let disqualified = DISQUALIFYING_DIFFERENCES
        .iter()
        .any(|&c| level(c).is_different());
    !disqualified
        && [
            Comparison::Dob,
            Comparison::Ssn,
            Comparison::OtherId,
            Comparison::Phone,
            Comparison::Email,
        ]
        .iter()
        .any(|&c| level(c).agrees())
}

/// Comparisons whose `different` level bars a resolution: a twin or a father agrees on
/// surname, address and often DOB, and only these tell them apart.
const DISQUALIFYING_DIFFERENCES: [Comparison; 4] = [
    Comparison::FirstName,
    Comparison::NameSuffix,
    Comparison::Dob,
    Comparison::Ssn,
];

/// Comparisons of which at least one must agree (any level but `not_supplied` and `different`,
/// `same_zip` and `same_city` excepted) for a resolution: a name alone, however rare, is not
/// enough to send a collector to someone.
const CORROBORATING: [Comparison; 6] = [
    Comparison::Dob,
    Comparison::Ssn,
    Comparison::OtherId,
    Comparison::Address,
    Comparison::Phone,
    Comparison::Email,
];

/// Identifiers no two people share (docs/domain.md §2): one of them agreeing outright outweighs
/// a given name or DOB that differs by a keying error.
const PERSONAL_IDENTIFIERS: [Comparison; 2] = [Comparison::Ssn, Comparison::OtherId];

/// True when an identifier only the debtor has agrees outright: a full SSN (not one another
/// identity also reports) or another id, exactly.
fn identifier_vouches(identity: &Identity) -> bool {
    PERSONAL_IDENTIFIERS.iter().any(|&c| {
        identity.level(c).is_exact()
            && !(c == Comparison::Ssn && identity.flags.contains(&Flag::SsnShared))
    })
}

/// True when an identifier beyond the household agrees (SSN, other id, phone or email): what a
/// given name spelled a slip away needs, since twins and siblings share surname, address and
/// often DOB.
fn beyond_household(identity: &Identity) -> bool {
    [
        Comparison::Ssn,
        Comparison::OtherId,
        Comparison::Phone,
        Comparison::Email,
    ]
    .iter()
    .any(|&c| identity.level(c).agrees())
}

/// Returns the comparisons among [`DISQUALIFYING_DIFFERENCES`] that bar acting on the identity.
/// A given name or a DOB that differs is a keying error, not another person, when an identifier
/// only the debtor has agrees outright and the surname does not differ (and the DOB does not,
/// or the given name agrees): a Jr and his Sr, or twins, never share an SSN.
fn disqualifying_differences(identity: &Identity) -> impl Iterator<Item = Comparison> + '_ {
    let level = |comparison: Comparison| identity.level(comparison);
    let vouched = identifier_vouches(identity);
    // The whole name replaced (a new married name and a nickname no table knows) needs more:
    // the DOB exact and the address agreeing too.
    let everything_else_agrees =
        level(Comparison::Dob).is_exact() && level(Comparison::Address).agrees();
    DISQUALIFYING_DIFFERENCES.into_iter().filter(move |&c| {
        let excused = vouched
            && match c {
                Comparison::FirstName => {
                    !level(Comparison::Dob).is_different()
                        && (!level(Comparison::LastName).is_different() || everything_else_agrees)
                }
                Comparison::Dob => {
                    level(Comparison::FirstName).agrees()
                        && !level(Comparison::LastName).is_different()
                }
                _ => false,
            };
        level(c).is_different() && !excused
    })
}

/// True when the identity's explanation allows acting on it: no disqualifying difference (see
/// [`disqualifying_differences`]), at least one corroborating identifier (a DOB only when
/// exact), a given name spelled
/// a slip away only with an identifier beyond the household, and, when another identity shares
/// its name and address or surname and DOB (`possible_jr_sr`, `possible_twin`), a DOB or SSN
/// that agrees.
fn is_actionable(identity: &Identity) -> bool {
    let level = |comparison: Comparison| identity.level(comparison);
    let disqualified = disqualifying_differences(identity).next().is_some()
        || (level(Comparison::FirstName).is_spelling_slip() && !beyond_household(identity));
    let corroborated = is_corroborated(identity);
    let look_alike = identity.flags.iter().any(|f| f.is_look_alike());
    let personal = [Comparison::Dob, Comparison::Ssn, Comparison::OtherId]
        .iter()
        .any(|&c| level(c).agrees());
    corroborated && !disqualified && (personal || !look_alike)
}

/// True when a comparison of [`CORROBORATING`] agrees beyond the area. A DOB a digit off is a
/// typo of the debtor's or a stranger's own: alone beside the name it corroborates nothing (a
/// namesake born a day apart is common in a national file).
fn is_corroborated(identity: &Identity) -> bool {
    CORROBORATING.iter().any(|&c| {
        let level = identity.level(c);
        level.agrees_beyond_area() && (c != Comparison::Dob || level.is_exact())
    })
}

/// Flags the identities on which only the name and a DOB one digit off agree
/// ([`Flag::NearDobOnly`]), so the collector sees why they are not acted on.
pub(crate) fn flag_near_dob_only(identities: &mut [Identity]) {
    for identity in identities {
        let dob = identity.level(Comparison::Dob);
        if dob.agrees() && !dob.is_exact() && !is_corroborated(identity) {
            identity.flags.push(Flag::NearDobOnly);
            identity.flags.sort();
        }
    }
}

/// Decides the resolution from the rival-adjusted probabilities: `resolved` needs the match
/// threshold and an actionable explanation ([`is_actionable`]).
pub(crate) fn status_of(identities: &[Identity], match_threshold: f64) -> ResolutionStatus {
    let Some(top) = identities.first() else {
        return ResolutionStatus::NoMatch;
    };
    if top.match_probability >= match_threshold && is_actionable(top) {
        ResolutionStatus::Resolved
    } else if top.match_probability >= WEAK_THRESHOLD {
        ResolutionStatus::Ambiguous
    } else {
        ResolutionStatus::NoMatch
    }
}

/// Flags identities that look like another one: same name and address yet another identity
/// (`possible_jr_sr`), same surname and DOB with another given name (`possible_twin`).
/// Returns the look-alike pairs, by identity id.
pub(crate) fn flag_look_alikes(
    groups: &mut [IdentityGroup],
    clusters: &Clusters,
    records: &[&NormalizedRecord],
) -> Vec<(String, String)> {
    let ids: Vec<String> = groups
        .iter()
        .map(|g| g.identity.identity_id.clone())
        .collect();
    let members: Vec<Vec<usize>> = groups.iter().map(|g| g.members.clone()).collect();
    let mut pairs = Vec::new();
    for (a, group) in groups.iter_mut().enumerate() {
        let mut flags = Vec::new();
        for (b, other) in members.iter().enumerate() {
            if a == b {
                continue;
            }
            let flagged_before = flags.len();
            for &x in &members[a] {
                for &y in other {
                    let vector = clusters
                        .vector(x, y)
                        .copied()
                        .unwrap_or_else(|| ComparisonVector::between(records[x], records[y]));
                    let same_name = vector.level(Comparison::FirstName).is_exact()
                        && vector.level(Comparison::LastName).is_exact();
                    let same_address = vector.level(Comparison::Address).same_building();
                    if same_name && same_address {
                        flags.push(Flag::PossibleJrSr);
                    }
                    if vector.level(Comparison::LastName).is_exact()
                        && vector.level(Comparison::Dob).is_exact()
                        && vector.is_different(Comparison::FirstName)
                    {
                        flags.push(Flag::PossibleTwin);
                    }
                }
            }
            if flags.len() > flagged_before && a < b {
                pairs.push((ids[a].clone(), ids[b].clone()));
            }
        }
        flags.sort_unstable();
        flags.dedup();
        group.identity.flags = flags;
    }
    flag_shared_ssns(groups, records);
    pairs
}

/// Flags `ssn_shared` on identities whose SSN (the full one most of their records report) a
/// record of another person among the candidates reports too (a record that is not one of the
/// identity's own: usually a keying error in one source).
fn flag_shared_ssns(groups: &mut [IdentityGroup], records: &[&NormalizedRecord]) {
    for group in groups.iter_mut() {
        let Some(Ssn::Full(digits)) = &group.identity.ssn else {
            continue;
        };
        let shared = records.iter().enumerate().any(|(r, record)| {
            !group.members.contains(&r)
                && matches!(&record.ssn, Some(Ssn::Full(other)) if other == digits)
        });
        if shared {
            group.identity.flags.push(Flag::SsnShared);
            group.identity.flags.sort_unstable();
        }
    }
}

/// Makes each identity's band follow the verdict: an identity the search will not vouch for
/// (every identity of an unresolved search, every identity but the top of a resolved one) is
/// never shown as a strong match, whatever its probability.
pub(crate) fn cap_bands_to_verdict(identities: &mut [Identity], status: ResolutionStatus) {
    for (rank, identity) in identities.iter_mut().enumerate() {
        let vouched = rank == 0 && status == ResolutionStatus::Resolved;
        if !vouched && identity.band == Band::Strong {
            identity.band = Band::Possible;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::FieldExplanation;

    /// An identity at probability 0.999 whose explanation reaches `levels` (`comparison=label`).
    fn identity(levels: &[(Comparison, &'static str)], flags: &[Flag]) -> Identity {
        Identity {
            identity_id: "r1".into(),
            match_probability: 0.999,
            match_weight: 10.0,
            band: Band::of(0.999),
            explanation: levels
                .iter()
                .map(|&(comparison, level)| FieldExplanation {
                    comparison,
                    level,
                    match_weight: 1.0,
                    record_id: Some("r1".into()),
                })
                .collect(),
            names: Vec::new(),
            dob: None,
            ssn: None,
            records: Vec::new(),
            contacts: Vec::new(),
            hidden_contacts: Vec::new(),
            flags: flags.to_vec(),
        }
    }

    fn status(levels: &[(Comparison, &'static str)], flags: &[Flag]) -> ResolutionStatus {
        status_of(&[identity(levels, flags)], 0.95)
    }

    use Comparison::{Address, Dob, FirstName, LastName, OtherId, Phone, Ssn};
    use ResolutionStatus::{Ambiguous, Resolved};

    #[test]
    fn a_namesake_born_a_digit_apart_is_not_enough() {
        let near_dob = [
            (FirstName, "exact"),
            (LastName, "exact"),
            (Dob, "dob_one_digit"),
        ];
        assert_eq!(status(&near_dob, &[]), Ambiguous);
        let mut flagged = [identity(&near_dob, &[])];
        flag_near_dob_only(&mut flagged);
        assert_eq!(flagged[0].flags, [Flag::NearDobOnly], "the page says why");
        let exact_dob = [(FirstName, "exact"), (LastName, "exact"), (Dob, "exact")];
        assert_eq!(status(&exact_dob, &[]), Resolved);
        let near_dob_and_phone = [
            (FirstName, "exact"),
            (LastName, "exact"),
            (Dob, "dob_one_digit"),
            (Phone, "exact"),
        ];
        assert_eq!(status(&near_dob_and_phone, &[]), Resolved);
    }

    #[test]
    fn a_given_name_typo_needs_an_identifier_beyond_the_household() {
        let household = [
            (FirstName, "typo"),
            (LastName, "exact"),
            (Dob, "exact"),
            (Address, "exact"),
        ];
        assert_eq!(status(&household, &[]), Ambiguous, "could be a twin");
        let with_ssn = [
            (FirstName, "typo"),
            (LastName, "exact"),
            (Dob, "exact"),
            (Ssn, "exact"),
        ];
        assert_eq!(status(&with_ssn, &[]), Resolved);
    }

    #[test]
    fn an_identifier_only_the_debtor_has_excuses_a_mistyped_name_or_dob() {
        let first_differs = [
            (FirstName, "different"),
            (LastName, "exact"),
            (Dob, "exact"),
            (OtherId, "exact"),
        ];
        assert_eq!(status(&first_differs, &[]), Resolved);
        let dob_differs = [
            (FirstName, "exact"),
            (LastName, "exact"),
            (Dob, "different"),
            (Ssn, "exact"),
        ];
        assert_eq!(status(&dob_differs, &[]), Resolved);
        let both_differ = [
            (FirstName, "different"),
            (LastName, "exact"),
            (Dob, "different"),
            (Ssn, "exact"),
        ];
        assert_eq!(
            status(&both_differ, &[]),
            Ambiguous,
            "a Jr using his Sr's SSN"
        );
        let without_identifier = [
            (FirstName, "different"),
            (LastName, "exact"),
            (Dob, "exact"),
        ];
        assert_eq!(status(&without_identifier, &[]), Ambiguous, "a twin");
        let shared_ssn = [
            (FirstName, "different"),
            (LastName, "exact"),
            (Dob, "exact"),
            (Ssn, "exact"),
        ];
        assert_eq!(
            status(&shared_ssn, &[Flag::SsnShared]),
            Ambiguous,
            "an SSN several identities report vouches for none"
        );
    }

    #[test]
    fn a_whole_new_name_needs_the_identifier_the_dob_and_the_address() {
        let renamed = [
            (FirstName, "different"),
            (LastName, "different"),
            (Dob, "exact"),
            (OtherId, "exact"),
        ];
        assert_eq!(status(&renamed, &[]), Ambiguous);
        let renamed_same_place = [
            (FirstName, "different"),
            (LastName, "different"),
            (Dob, "exact"),
            (OtherId, "exact"),
            (Address, "exact"),
        ];
        assert_eq!(status(&renamed_same_place, &[]), Resolved);
    }
}
