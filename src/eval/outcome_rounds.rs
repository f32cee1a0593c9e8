//! Learning from outcomes, measured: re-match a labelled set, let simulated collectors work the
//! contacts offered on each matched row (a dialer calls the [`WORKED_PHONES`] best phones, a
//! letter goes to the best address), record what they find as outcomes, and re-match again,
//! round after round. The simulation follows the truth: the debtor's current
//! phone is answered by the debtor at [`ANSWER_RATE`] (else no answer), any other number is
//! disconnected or answered by a stranger, a letter to the current address is delivered and to
//! any other returns (docs/domain.md, "Learning from outcomes").
//!
//! [`replay_outcomes`] replays a given stream instead (the one [`outcome_rounds`] wrote, or a
//! collection floor's own log against a labelled set): one round per day of outcomes.
//!
//! The outcomes live in memory for the run: the index's own outcome log is never written.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use rayon::prelude::*;

use super::prediction::{OutputColumns, Prediction};
use super::truth::{address_key, LabelledSet, QueryTruth};
use crate::bulk::{rematch_row, MatchStatus, RematchOptions};
use crate::normalize::{parse_email, parse_phone, Date};
use crate::outcomes::{Outcome, OutcomeKind, OutcomeStore};
use crate::resolve::ContactKind;
use crate::resolve::ContactPoint;
use crate::search::Engine;

/// Share of calls to the debtor's current number that reach the debtor in one round of work
/// (the rest go unanswered). Design choice for the simulation, not a measured figure.
pub const ANSWER_RATE: f64 = 0.6;

/// Share of numbers that are not the debtor's current one and turn out disconnected when
/// called; the rest are answered by whoever has the number now (a wrong party). About 10 % of
/// numbers are disconnected a year and most are reassigned later (docs/domain.md §8): the split
/// is a design choice.
pub const DISCONNECTED_SHARE: f64 = 0.5;

/// Phones a dialer tries per matched row and round: the best and the next ranked ones.
pub const WORKED_PHONES: usize = 3;

/// One round's figures over the matched debtors who are in the records.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RoundFigures {
    /// 0 before any outcome, then 1, 2, ...
    pub round: usize,
    /// Present debtors matched this round.
    pub matched_debtors: u64,
    /// Share of them whose offered best address is their current one.
    pub right_party_address: f64,
    /// Share of them whose offered best phone is their current one.
    pub right_party_phone: f64,
    /// Share of them whose current address one of their records carries: the ceiling of
    /// `right_party_address`.
    pub findable_address: f64,
    /// Share of them whose current phone one of their records carries: the ceiling of
    /// `right_party_phone`.
    pub findable_phone: f64,
    /// Of the best addresses offered on matched rows (debtors in the records or not), the
    /// share that is the debtor's current one: a letter that reaches its debtor.
    pub address_offer_precision: f64,
    /// Of the best phones offered on matched rows, the share that is the debtor's current one:
    /// a call that reaches its debtor.
    pub phone_offer_precision: f64,
    /// Outcomes recorded after this round's offers were worked.
    pub outcomes_recorded: u64,
    /// Contacts offered this round (best or ranked) that an earlier round's outcome forbids
    /// for that account: reported as a wrong party, or on a channel under a cease-contact or
    /// do-not-call not lifted since (must be 0).
    pub forbidden_offered_again: u64,
}

/// Runs `rounds` rounds of outcomes on `set` and returns the figures of round 0 (no outcomes)
/// and of each round after, with every outcome recorded (the stream, in the outcome log's
/// form). `seed` fixes the simulated collectors; round `r`'s outcomes are dated `rounds - 1 - r`
/// days before `today`, so that [`replay_outcomes`] finds the rounds again.
pub fn outcome_rounds(
    engine: &Engine,
    set: &LabelledSet,
    options: &RematchOptions,
    rounds: usize,
    seed: u64,
    today: Date,
) -> (Vec<RoundFigures>, Vec<Outcome>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut stream = Vec::new();
    let figures = run_rounds(engine, set, options, rounds, |round, answers| {
        let days_before = (rounds - 1 - round) as i64;
        let day = Date::from_days_since_epoch(today.days_since_epoch() - days_before);
        let outcomes = work(set, answers, &mut rng, day);
        stream.extend(outcomes.iter().cloned());
        outcomes
    });
    (figures, stream)
}

/// Replays `stream` on `set`: one round per day of outcomes, oldest first. Each outcome's
/// `account` names the query (its id column) it was reported for, which is how the forbidden
/// contacts are judged.
pub fn replay_outcomes(
    engine: &Engine,
    set: &LabelledSet,
    options: &RematchOptions,
    stream: Vec<Outcome>,
) -> Vec<RoundFigures> {
    let mut days: BTreeMap<Date, Vec<Outcome>> = BTreeMap::new();
    for outcome in stream {
        days.entry(outcome.at).or_default().push(outcome);
    }
    let rounds = days.len();
    let mut days = days.into_values();
    run_rounds(engine, set, options, rounds, |_, _| {
        days.next().unwrap_or_default()
    })
}

/// One row's answer in a round: what the eval reads of it, and every contact offered.
struct Answer {
    prediction: Option<Prediction>,
    /// The ranked contacts offered (best first per kind), by comparable key.
    offered: Vec<(ContactKind, String)>,
}

/// Re-matches `set` round after round, recording `next(round, answers)` as outcomes after each
/// round but the last.
fn run_rounds(
    engine: &Engine,
    set: &LabelledSet,
    options: &RematchOptions,
    rounds: usize,
    mut next: impl FnMut(usize, &[Answer]) -> Vec<Outcome>,
) -> Vec<RoundFigures> {
    let store = Arc::new(OutcomeStore::in_memory());
    let engine = engine.with_outcome_store(store.clone());
    let options = RematchOptions {
        contacts: WORKED_PHONES,
        ..options.clone()
    };
    let columns = OutputColumns::canonical();
    let accounts: HashMap<&str, usize> = set
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| (q.id.as_str(), i))
        .collect();
    let mut applied: Vec<Outcome> = Vec::new();
    let mut figures = Vec::new();
    for round in 0..=rounds {
        let answers: Vec<Answer> = set
            .rows
            .par_iter()
            .map(|row| {
                let result = rematch_row(&engine, row, &options);
                Answer {
                    prediction: columns.prediction(row.row, &result.to_columns()).ok(),
                    offered: result.ranked.iter().filter_map(comparable_key).collect(),
                }
            })
            .collect();
        let mut this = judge(set, &answers, &forbidden(&accounts, &applied));
        this.round = round;
        if round < rounds {
            let outcomes = next(round, &answers);
            this.outcomes_recorded = outcomes.len() as u64;
            applied.extend(outcomes.iter().cloned());
            store
                .append(outcomes)
                .expect("an in-memory outcome store accepts every outcome");
        }
        figures.push(this);
    }
    figures
}

/// A ranked contact's key as the truth and the outcomes compare it.
fn comparable_key(point: &ContactPoint) -> Option<(ContactKind, String)> {
    let key = match point.kind {
        ContactKind::Address => {
            let a = point.address.as_ref()?;
            address_key(&a.line1, &a.line2, &a.city, &a.state, &a.zip)?
        }
        ContactKind::Phone => parse_phone(&point.value).ok()?,
        ContactKind::Email => parse_email(&point.value).ok()?,
    };
    Some((point.kind, key))
}

/// What outcomes forbid offering to one account again.
#[derive(Debug, Default)]
struct Forbidden {
    /// Contacts reported as a wrong party.
    contacts: Vec<(ContactKind, String)>,
    /// Channels under a cease-contact or do-not-call not lifted since.
    channels: Vec<ContactKind>,
}

impl Forbidden {
    fn forbids(&self, kind: ContactKind, key: &str) -> bool {
        self.channels.contains(&kind) || self.contacts.iter().any(|(k, c)| *k == kind && c == key)
    }
}

/// What `applied` (oldest first within a round) forbids, by query position: outcomes are
/// reported per account.
fn forbidden(accounts: &HashMap<&str, usize>, applied: &[Outcome]) -> HashMap<usize, Forbidden> {
    let mut sorted: Vec<&Outcome> = applied.iter().collect();
    sorted.sort_by_key(|o| o.at);
    let mut forbidden: HashMap<usize, Forbidden> = HashMap::new();
    for outcome in sorted {
        let Some(&i) = accounts.get(outcome.account.as_str()) else {
            continue;
        };
        let entry = forbidden.entry(i).or_default();
        match outcome.outcome {
            OutcomeKind::WrongParty => entry
                .contacts
                .push((outcome.channel, outcome.contact.clone())),
            OutcomeKind::CeaseContact | OutcomeKind::DoNotCall => {
                entry.channels.push(outcome.channel)
            }
            OutcomeKind::SuppressionLifted => entry.channels.retain(|c| *c != outcome.channel),
            _ => {}
        }
    }
    forbidden
}

/// The matched rows of a round: position, truth and answer.
fn matched_rows<'a>(
    set: &'a LabelledSet,
    answers: &'a [Answer],
) -> impl Iterator<Item = (usize, &'a QueryTruth, &'a Answer, &'a Prediction)> {
    set.queries
        .iter()
        .zip(answers)
        .enumerate()
        .filter_map(|(i, (truth, answer))| {
            let p = answer
                .prediction
                .as_ref()
                .filter(|p| p.status == Some(MatchStatus::Matched))?;
            Some((i, truth, answer, p))
        })
}

/// True when the answer's record is the queried person's: only then are the offered contacts
/// the debtor's to reach.
fn names_the_debtor(set: &LabelledSet, truth: &QueryTruth, answer: &Prediction) -> bool {
    answer.record_id.as_ref().and_then(|r| set.owner.get(r)) == Some(&truth.person)
}

/// The round's right-party rates and the forbidden contacts offered again.
fn judge(
    set: &LabelledSet,
    answers: &[Answer],
    forbidden: &HashMap<usize, Forbidden>,
) -> RoundFigures {
    let mut figures = RoundFigures::default();
    let (mut address_right, mut phone_right) = (0u64, 0u64);
    let (mut address_findable, mut phone_findable) = (0u64, 0u64);
    // Offers and right offers, addresses then phones.
    let mut offers = [(0u64, 0u64); 2];
    for (i, truth, answer, p) in matched_rows(set, answers) {
        if let Some(forbidden) = forbidden.get(&i) {
            let best = [
                (ContactKind::Address, p.address.as_ref()),
                (ContactKind::Phone, p.phone.as_ref()),
                (ContactKind::Email, p.email.as_ref()),
            ]
            .into_iter()
            .filter_map(|(kind, o)| Some((kind, o?.key.clone())));
            let mut offered: Vec<(ContactKind, String)> =
                answer.offered.iter().cloned().chain(best).collect();
            offered.sort();
            offered.dedup();
            figures.forbidden_offered_again += offered
                .iter()
                .filter(|(kind, key)| forbidden.forbids(*kind, key))
                .count() as u64;
        }
        let is_debtor = names_the_debtor(set, truth, p);
        let right = |offered: Option<&super::prediction::Offered>,
                     truth: Option<&super::truth::ContactTruth>| {
            is_debtor && matches!((offered, truth), (Some(o), Some(t)) if o.key == t.key)
        };
        let address = right(p.address.as_ref(), truth.address.as_ref());
        let phone = right(p.phone.as_ref(), truth.phone.as_ref());
        for (slot, offered, hit) in [
            (0, p.address.is_some(), address),
            (1, p.phone.is_some(), phone),
        ] {
            offers[slot].0 += u64::from(offered);
            offers[slot].1 += u64::from(hit);
        }
        if !truth.present {
            continue;
        }
        figures.matched_debtors += 1;
        address_right += u64::from(address);
        phone_right += u64::from(phone);
        let findable = |t: Option<&super::truth::ContactTruth>| t.is_some_and(|t| t.findable);
        address_findable += u64::from(findable(truth.address.as_ref()));
        phone_findable += u64::from(findable(truth.phone.as_ref()));
    }
    let share = |n: u64| n as f64 / figures.matched_debtors.max(1) as f64;
    figures.right_party_address = share(address_right);
    figures.right_party_phone = share(phone_right);
    figures.findable_address = share(address_findable);
    figures.findable_phone = share(phone_findable);
    let precision = |(offered, right): (u64, u64)| right as f64 / offered.max(1) as f64;
    figures.address_offer_precision = precision(offers[0]);
    figures.phone_offer_precision = precision(offers[1]);
    figures
}

/// The simulated collectors: one call to each of the row's ranked phones (best first) and one
/// letter to the best address of every matched row, each outcome anchored on the row's
/// `match_record_id` and reported for the row's account, on `day`.
fn work(set: &LabelledSet, answers: &[Answer], rng: &mut ChaCha8Rng, day: Date) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for (_, truth, answer, p) in matched_rows(set, answers) {
        let Some(record_id) = p.record_id.clone() else {
            continue;
        };
        // Whoever the matched record belongs to, the debtor is reachable only at the debtor's
        // own current contacts.
        let is_debtor = names_the_debtor(set, truth, p);
        let current = |t: Option<&super::truth::ContactTruth>, key: &str| {
            is_debtor && t.is_some_and(|t| t.key == key)
        };
        let mut report = |outcome: OutcomeKind, channel: ContactKind, key: &str| {
            outcomes.push(Outcome {
                outcome,
                channel,
                contact: key.to_string(),
                record_id: record_id.clone(),
                account: truth.id.clone(),
                at: day,
                reported_by: "simulated collector".into(),
            });
        };
        let phones = answer
            .offered
            .iter()
            .filter(|(kind, _)| *kind == ContactKind::Phone)
            .map(|(_, key)| key);
        for phone in phones {
            let kind = if current(truth.phone.as_ref(), phone) {
                if rng.random_bool(ANSWER_RATE) {
                    OutcomeKind::RightParty
                } else {
                    OutcomeKind::NoAnswer
                }
            } else if rng.random_bool(DISCONNECTED_SHARE) {
                OutcomeKind::Disconnected
            } else {
                OutcomeKind::WrongParty
            };
            report(kind, ContactKind::Phone, phone);
        }
        if let Some(address) = &p.address {
            let kind = if current(truth.address.as_ref(), &address.key) {
                OutcomeKind::MailDelivered
            } else {
                OutcomeKind::MailReturned
            };
            report(kind, ContactKind::Address, &address.key);
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::sample_outcome as reported;

    #[test]
    fn a_wrong_party_forbids_its_contact_and_a_cease_its_channel_until_lifted() {
        let accounts = HashMap::from([("A1", 0usize)]);
        let phone = ContactKind::Phone;
        let mut applied = vec![
            reported(OutcomeKind::WrongParty, phone, "2175550199", "2026-11-02"),
            reported(OutcomeKind::Disconnected, phone, "4155552671", "2026-11-02"),
            reported(
                OutcomeKind::CeaseContact,
                ContactKind::Email,
                "a@b.com",
                "2026-11-03",
            ),
        ];
        let forbidden_now = forbidden(&accounts, &applied);
        let a1 = &forbidden_now[&0];
        assert!(a1.forbids(phone, "2175550199"));
        assert!(
            !a1.forbids(phone, "4155552671"),
            "a dead number is not forbidden"
        );
        assert!(
            a1.forbids(ContactKind::Email, "other@b.com"),
            "the whole channel"
        );
        assert!(!a1.forbids(ContactKind::Address, "12 MAIN ST||62704"));

        // Given out of order, the lift still comes after the cease it lifts.
        applied.insert(
            0,
            reported(
                OutcomeKind::SuppressionLifted,
                ContactKind::Email,
                "",
                "2026-11-20",
            ),
        );
        let lifted = forbidden(&accounts, &applied);
        assert!(!lifted[&0].forbids(ContactKind::Email, "a@b.com"));
        assert!(
            lifted[&0].forbids(phone, "2175550199"),
            "a wrong party stays"
        );

        let other = HashMap::from([("A2", 0usize)]);
        assert!(forbidden(&other, &applied).is_empty(), "by account");
    }
}
