//! Learning from outcomes, measured: re-match a labelled set, let simulated collectors work the
//! contacts offered on each matched row (a dialer calls the [`WORKED_PHONES`] best phones, a
//! letter goes to the best address), record what they find as outcomes, and re-match again,
//! round after round. The simulation follows the truth: the debtor's current
//! phone is answered by the debtor at [`ANSWER_RATE`] (else no answer), any other number is
//! disconnected or answered by a stranger, a letter to the current address is delivered and to
//! any other returns (docs/domain.md, "Learning from outcomes").
//!
//! The outcomes live in memory for the run: the index's own outcome log is never written.

use std::collections::HashMap;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use rayon::prelude::*;

use super::prediction::{OutputColumns, Prediction};
use super::truth::{LabelledSet, QueryTruth};
use crate::bulk::{rematch_row, MatchStatus, RematchOptions};
use crate::normalize::{parse_phone, Date};
use crate::outcomes::{Outcome, OutcomeKind, OutcomeStore};
use crate::resolve::ContactKind;
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
    /// Of the best addresses offered on matched rows (debtors in the records or not), the
    /// share that is the debtor's current one: a letter that reaches its debtor.
    pub address_offer_precision: f64,
    /// Of the best phones offered on matched rows, the share that is the debtor's current one:
    /// a call that reaches its debtor.
    pub phone_offer_precision: f64,
    /// Outcomes recorded after this round's offers were worked.
    pub outcomes_recorded: u64,
    /// Offers this round of a contact an earlier round's collector found to be a wrong party
    /// for that debtor (must be 0).
    pub wrong_party_offered_again: u64,
}

/// Runs `rounds` rounds of outcomes on `set` and returns the figures of round 0 (no outcomes)
/// and of each round after, with every outcome recorded (the stream, in the outcome log's
/// form). `seed` fixes the simulated collectors; `today` the outcomes' date.
pub fn outcome_rounds(
    engine: &Engine,
    set: &LabelledSet,
    options: &RematchOptions,
    rounds: usize,
    seed: u64,
    today: Date,
) -> (Vec<RoundFigures>, Vec<Outcome>) {
    let store = Arc::new(OutcomeStore::in_memory());
    let engine = engine.with_outcome_store(store.clone());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut wrong: HashMap<usize, Vec<(ContactKind, String)>> = HashMap::new();
    let mut figures = Vec::new();
    let mut stream = Vec::new();
    let options = RematchOptions {
        contacts: WORKED_PHONES,
        ..options.clone()
    };
    let columns = OutputColumns::canonical();
    for round in 0..=rounds {
        let answers: Vec<(Option<Prediction>, Vec<String>)> = set
            .rows
            .par_iter()
            .map(|row| {
                let result = rematch_row(&engine, row, &options);
                let prediction = columns.prediction(row.row, &result.to_columns()).ok();
                let phones = result
                    .ranked
                    .iter()
                    .filter(|c| c.kind == ContactKind::Phone)
                    .filter_map(|c| parse_phone(&c.value).ok())
                    .collect();
                (prediction, phones)
            })
            .collect();
        let (predictions, phones): (Vec<Option<Prediction>>, Vec<Vec<String>>) =
            answers.into_iter().unzip();
        let mut this = judge(set, &predictions, &wrong);
        this.round = round;
        if round < rounds {
            let outcomes = work(set, &predictions, &phones, &mut rng, today, &mut wrong);
            this.outcomes_recorded = outcomes.len() as u64;
            stream.extend(outcomes.iter().cloned());
            store
                .append(outcomes)
                .expect("an in-memory outcome store accepts every outcome");
        }
        figures.push(this);
    }
    (figures, stream)
}

/// The matched rows of a round: position, truth and answer.
fn matched_rows<'a>(
    set: &'a LabelledSet,
    predictions: &'a [Option<Prediction>],
) -> impl Iterator<Item = (usize, &'a QueryTruth, &'a Prediction)> {
    set.queries
        .iter()
        .zip(predictions)
        .enumerate()
        .filter_map(|(i, (truth, prediction))| {
            let p = prediction
                .as_ref()
                .filter(|p| p.status == Some(MatchStatus::Matched))?;
            Some((i, truth, p))
        })
}

/// True when the answer's record is the queried person's: only then are the offered contacts
/// the debtor's to reach.
fn names_the_debtor(set: &LabelledSet, truth: &QueryTruth, answer: &Prediction) -> bool {
    answer.record_id.as_ref().and_then(|r| set.owner.get(r)) == Some(&truth.person)
}

/// The round's right-party rates and the wrong-party contacts offered again.
fn judge(
    set: &LabelledSet,
    predictions: &[Option<Prediction>],
    wrong: &HashMap<usize, Vec<(ContactKind, String)>>,
) -> RoundFigures {
    let mut figures = RoundFigures::default();
    let (mut address_right, mut phone_right) = (0u64, 0u64);
    // Offers and right offers, addresses then phones.
    let mut offers = [(0u64, 0u64); 2];
    for (i, truth, p) in matched_rows(set, predictions) {
        if let Some(marked) = wrong.get(&i) {
            for (kind, key) in marked {
                let offered = match kind {
                    ContactKind::Address => p.address.as_ref(),
                    ContactKind::Phone => p.phone.as_ref(),
                    ContactKind::Email => p.email.as_ref(),
                };
                figures.wrong_party_offered_again +=
                    u64::from(offered.is_some_and(|o| &o.key == key));
            }
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
    }
    let share = |n: u64| n as f64 / figures.matched_debtors.max(1) as f64;
    figures.right_party_address = share(address_right);
    figures.right_party_phone = share(phone_right);
    let precision = |(offered, right): (u64, u64)| right as f64 / offered.max(1) as f64;
    figures.address_offer_precision = precision(offers[0]);
    figures.phone_offer_precision = precision(offers[1]);
    figures
}

/// The simulated collectors: one call to each of the row's ranked phones (`phones`, best first)
/// and one letter to the best address of every matched row, each outcome anchored on the row's
/// `match_record_id`.
fn work(
    set: &LabelledSet,
    predictions: &[Option<Prediction>],
    phones: &[Vec<String>],
    rng: &mut ChaCha8Rng,
    today: Date,
    wrong: &mut HashMap<usize, Vec<(ContactKind, String)>>,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for (i, truth, p) in matched_rows(set, predictions) {
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
                at: today,
                reported_by: "simulated collector".into(),
            });
        };
        for phone in &phones[i] {
            let kind = if current(truth.phone.as_ref(), phone) {
                if rng.random_bool(ANSWER_RATE) {
                    OutcomeKind::RightParty
                } else {
                    OutcomeKind::NoAnswer
                }
            } else if rng.random_bool(DISCONNECTED_SHARE) {
                OutcomeKind::Disconnected
            } else {
                wrong
                    .entry(i)
                    .or_default()
                    .push((ContactKind::Phone, phone.clone()));
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
