//! What outcomes do to a contact point: a right party lifts it and puts it first, a
//! disconnected number or a returned letter weighs it down for a while (decaying: numbers come
//! back to life, debtors move back), a wrong party hides it from this debtor for good, and a
//! cease or do-not-call request hides the channel until it is lifted (docs/domain.md,
//! "Learning from outcomes").

use std::collections::HashMap;
use std::sync::Arc;

use super::{Outcome, OutcomeKind};
use crate::normalize::Date;
use crate::resolve::ContactKind;

/// Days after which a disconnected number's or returned letter's weight halves.
pub const NEGATIVE_HALF_LIFE_DAYS: f64 = 180.0;

/// Days after which a right party's lift halves.
pub const RIGHT_PARTY_HALF_LIFE_DAYS: f64 = 365.0;

/// Share of a contact's confidence a fresh disconnected number or returned letter takes away.
pub const NEGATIVE_WEIGHT: f64 = 0.9;

/// Share of the gap to certainty a fresh right party closes.
pub const RIGHT_PARTY_WEIGHT: f64 = 0.9;

/// Share of a contact's confidence a fresh unanswered call takes away (a weak sign: people
/// screen calls from unknown numbers).
pub const NO_ANSWER_WEIGHT: f64 = 0.2;

/// Share of the gap to certainty a letter that did not come back closes.
pub const MAIL_DELIVERED_WEIGHT: f64 = 0.3;

/// The outcomes of the records one search considers, by record id.
#[derive(Debug, Clone, Default)]
pub struct ContactOutcomes {
    by_record: HashMap<String, Vec<Arc<Outcome>>>,
}

impl ContactOutcomes {
    /// Builds the lookup from outcomes anchored on the search's records.
    pub fn new(outcomes: impl IntoIterator<Item = Arc<Outcome>>) -> ContactOutcomes {
        let mut by_record: HashMap<String, Vec<Arc<Outcome>>> = HashMap::new();
        for outcome in outcomes {
            by_record
                .entry(outcome.record_id.clone())
                .or_default()
                .push(outcome);
        }
        ContactOutcomes { by_record }
    }

    /// True when no outcome is known.
    pub fn is_empty(&self) -> bool {
        self.by_record.is_empty()
    }

    /// The outcomes of an identity: those anchored on any of its records, oldest first.
    pub fn of_identity<'a>(
        &'a self,
        record_ids: impl Iterator<Item = &'a str>,
    ) -> Vec<&'a Outcome> {
        let mut found: Vec<&Outcome> = record_ids
            .filter_map(|id| self.by_record.get(id))
            .flatten()
            .map(Arc::as_ref)
            .collect();
        found.sort_by_key(|o| o.at);
        found.dedup_by(|a, b| a == b);
        found
    }
}

/// What an identity's outcomes make of one of its contact points.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The confidence after the outcomes.
    pub confidence: f64,
    /// A right party was reached on it (and no later outcome says otherwise): it goes first.
    pub right_party: bool,
    /// Why it must not be offered to this debtor, if so.
    pub hidden: Option<String>,
    /// The outcome that moved it, for the explanation ("right party reached 2026-10-02 by
    /// desk 4").
    pub note: Option<String>,
}

/// Applies `outcomes` (an identity's, oldest first) to the contact `(kind, key)` of confidence
/// `confidence`, as of `today`.
pub fn apply_outcomes(
    kind: ContactKind,
    key: &str,
    confidence: f64,
    outcomes: &[&Outcome],
    today: Date,
) -> Verdict {
    let mut verdict = Verdict {
        confidence,
        right_party: false,
        hidden: None,
        note: None,
    };
    if let Some(reason) = suppression(kind, outcomes) {
        verdict.hidden = Some(reason);
        return verdict;
    }
    let own: Vec<&Outcome> = outcomes
        .iter()
        .copied()
        .filter(|o| o.channel == kind && o.contact == key)
        .collect();
    if let Some(wrong) = own.iter().find(|o| o.outcome == OutcomeKind::WrongParty) {
        verdict.hidden = Some(format!(
            "wrong party reached {} by {}: someone else's",
            wrong.at, wrong.reported_by
        ));
        return verdict;
    }
    let decisive = own.iter().rev().find(|o| {
        matches!(
            o.outcome,
            OutcomeKind::RightParty
                | OutcomeKind::Disconnected
                | OutcomeKind::MailReturned
                | OutcomeKind::MailDelivered
        )
    });
    if let Some(outcome) = decisive {
        let age = age_days(outcome.at, today);
        let c = verdict.confidence;
        verdict.confidence = match outcome.outcome {
            OutcomeKind::RightParty => {
                verdict.right_party = true;
                lift(
                    c,
                    RIGHT_PARTY_WEIGHT * decay(age, RIGHT_PARTY_HALF_LIFE_DAYS),
                )
            }
            OutcomeKind::MailDelivered => lift(
                c,
                MAIL_DELIVERED_WEIGHT * decay(age, NEGATIVE_HALF_LIFE_DAYS),
            ),
            _ => c * (1.0 - NEGATIVE_WEIGHT * decay(age, NEGATIVE_HALF_LIFE_DAYS)),
        };
        verdict.note = Some(describe(outcome));
    }
    // Unanswered calls after the last decisive outcome weigh a little each.
    let since = decisive.map(|o| o.at);
    for unanswered in own
        .iter()
        .filter(|o| o.outcome == OutcomeKind::NoAnswer && Some(o.at) >= since)
    {
        let weight =
            NO_ANSWER_WEIGHT * decay(age_days(unanswered.at, today), NEGATIVE_HALF_LIFE_DAYS);
        verdict.confidence *= 1.0 - weight;
        verdict.note.get_or_insert_with(|| describe(unanswered));
    }
    verdict
}

/// Why a channel is suppressed for this debtor, if it is: the latest `cease_contact` on it (or
/// `do_not_call`, for phones) not lifted by a later `suppression_lifted` on the same channel.
fn suppression(kind: ContactKind, outcomes: &[&Outcome]) -> Option<String> {
    let mut active: Option<&Outcome> = None;
    for outcome in outcomes.iter().filter(|o| o.channel == kind) {
        match outcome.outcome {
            OutcomeKind::CeaseContact | OutcomeKind::DoNotCall => active = Some(outcome),
            OutcomeKind::SuppressionLifted => active = None,
            _ => {}
        }
    }
    active.map(|o| {
        format!(
            "{} reported {} by {}: the {} channel is suppressed for this debtor until lifted",
            o.outcome.as_str(),
            o.at,
            o.reported_by,
            kind.as_str()
        )
    })
}

fn describe(outcome: &Outcome) -> String {
    let what = match outcome.outcome {
        OutcomeKind::RightParty => "right party reached",
        OutcomeKind::Disconnected => "disconnected",
        OutcomeKind::MailReturned => "mail returned",
        OutcomeKind::MailDelivered => "mail delivered",
        OutcomeKind::NoAnswer => "no answer",
        other => other.as_str(),
    };
    format!("{what} {} by {}", outcome.at, outcome.reported_by)
}

fn age_days(at: Date, today: Date) -> f64 {
    (today.days_since_epoch() - at.days_since_epoch()).max(0) as f64
}

fn decay(age_days: f64, half_life_days: f64) -> f64 {
    0.5f64.powf(age_days / half_life_days)
}

/// Closes `share` of the gap between `confidence` and certainty.
fn lift(confidence: f64, share: f64) -> f64 {
    1.0 - (1.0 - confidence) * (1.0 - share)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::sample_outcome as outcome;

    fn date(text: &str) -> Date {
        crate::normalize::parse_date(text).expect("date")
    }

    const PHONE: ContactKind = ContactKind::Phone;

    fn verdict(outcomes: &[Outcome], key: &str, today: &str) -> Verdict {
        let refs: Vec<&Outcome> = outcomes.iter().collect();
        apply_outcomes(PHONE, key, 0.5, &refs, date(today))
    }

    #[test]
    fn a_right_party_lifts_the_contact_and_says_so() {
        let v = verdict(
            &[outcome(
                OutcomeKind::RightParty,
                PHONE,
                "6145550142",
                "2026-10-02",
            )],
            "6145550142",
            "2026-10-02",
        );
        assert!(v.right_party && v.confidence > 0.9, "{v:?}");
        assert_eq!(
            v.note.as_deref(),
            Some("right party reached 2026-10-02 by desk 4")
        );
        let other = verdict(
            &[outcome(
                OutcomeKind::RightParty,
                PHONE,
                "6145550142",
                "2026-10-02",
            )],
            "6145550199",
            "2026-10-02",
        );
        assert_eq!(other.confidence, 0.5, "another number is untouched");
    }

    #[test]
    fn a_disconnected_number_drops_and_recovers_with_time() {
        let reports = [outcome(
            OutcomeKind::Disconnected,
            PHONE,
            "6145550142",
            "2026-01-01",
        )];
        let fresh = verdict(&reports, "6145550142", "2026-01-01");
        let later = verdict(&reports, "6145550142", "2027-01-01");
        let much_later = verdict(&reports, "6145550142", "2029-01-01");
        assert!(fresh.confidence < 0.06, "{fresh:?}");
        assert!(fresh.confidence < later.confidence && later.confidence < much_later.confidence);
        assert!(much_later.confidence > 0.48);
        assert!(
            fresh.hidden.is_none(),
            "a dead number is weighed down, not hidden"
        );
    }

    #[test]
    fn the_latest_decisive_outcome_wins() {
        let reports = [
            outcome(OutcomeKind::Disconnected, PHONE, "6145550142", "2026-01-01"),
            outcome(OutcomeKind::RightParty, PHONE, "6145550142", "2026-06-01"),
            outcome(OutcomeKind::NoAnswer, PHONE, "6145550142", "2026-05-01"),
        ];
        let mut sorted = reports.to_vec();
        sorted.sort_by_key(|o| o.at);
        let v = verdict(&sorted, "6145550142", "2026-06-02");
        assert!(v.right_party && v.confidence > 0.9, "{v:?}");
    }

    #[test]
    fn a_wrong_party_hides_the_contact_for_good() {
        let v = verdict(
            &[
                outcome(OutcomeKind::WrongParty, PHONE, "6145550142", "2020-01-01"),
                outcome(OutcomeKind::RightParty, PHONE, "6145550142", "2020-02-01"),
            ],
            "6145550142",
            "2030-01-01",
        );
        assert!(
            v.hidden
                .as_deref()
                .is_some_and(|h| h.contains("wrong party")),
            "{v:?}"
        );
    }

    #[test]
    fn do_not_call_hides_every_phone_until_lifted() {
        let mut reports = vec![outcome(
            OutcomeKind::DoNotCall,
            PHONE,
            "6145550142",
            "2026-03-01",
        )];
        for key in ["6145550142", "3125550188"] {
            let v = verdict(&reports, key, "2026-03-02");
            assert!(
                v.hidden
                    .as_deref()
                    .is_some_and(|h| h.contains("do_not_call")),
                "{v:?}"
            );
        }
        let refs: Vec<&Outcome> = reports.iter().collect();
        let email = apply_outcomes(
            ContactKind::Email,
            "a@b.com",
            0.5,
            &refs,
            date("2026-03-02"),
        );
        assert!(email.hidden.is_none(), "another channel stays");
        reports.push(outcome(
            OutcomeKind::SuppressionLifted,
            PHONE,
            "6145550142",
            "2026-04-01",
        ));
        assert!(verdict(&reports, "3125550188", "2026-04-02")
            .hidden
            .is_none());
    }

    #[test]
    fn cease_contact_closes_only_its_channel_and_a_delivered_letter_lifts_a_little() {
        const ADDRESS: ContactKind = ContactKind::Address;
        let reports = [
            outcome(
                OutcomeKind::CeaseContact,
                ContactKind::Email,
                "a@b.com",
                "2026-03-01",
            ),
            outcome(
                OutcomeKind::MailDelivered,
                ADDRESS,
                "12 ELM ST||45402",
                "2026-03-01",
            ),
        ];
        let refs: Vec<&Outcome> = reports.iter().collect();
        let today = date("2026-03-02");
        let email = apply_outcomes(ContactKind::Email, "other@b.com", 0.5, &refs, today);
        assert!(
            email
                .hidden
                .as_deref()
                .is_some_and(|h| h.contains("email channel")),
            "{email:?}"
        );
        let phone = apply_outcomes(PHONE, "6145550142", 0.5, &refs, today);
        assert_eq!(
            phone,
            Verdict {
                confidence: 0.5,
                right_party: false,
                hidden: None,
                note: None
            }
        );
        let home = apply_outcomes(ADDRESS, "12 ELM ST||45402", 0.5, &refs, today);
        assert!(
            home.confidence > 0.5 && home.confidence < 0.9 && !home.right_party,
            "{home:?}"
        );
        assert_eq!(
            home.note.as_deref(),
            Some("mail delivered 2026-03-01 by desk 4")
        );
    }

    #[test]
    fn outcomes_are_found_through_any_record_of_the_identity() {
        let mut anchored = outcome(OutcomeKind::RightParty, PHONE, "6145550142", "2026-10-02");
        anchored.record_id = "R7".into();
        let lookup = ContactOutcomes::new([Arc::new(anchored.clone())]);
        assert_eq!(
            lookup.of_identity(["R1", "R7"].into_iter()),
            vec![&anchored]
        );
        assert!(lookup.of_identity(["R1", "R2"].into_iter()).is_empty());
    }
}
