//! The compliance listing of what outcomes keep from collectors: every channel suppressed
//! (`cease_contact`, `do_not_call`, not lifted) and every contact marked someone else's
//! (`wrong_party`), with when and by whom; contacts masked as reports show them.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::{Outcome, OutcomeKind};
use crate::normalize::Date;
use crate::resolve::ContactKind;

/// One contact or channel an outcome keeps from collectors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppression {
    /// The anchor record: the suppression applies to every identity holding it.
    pub record_id: String,
    /// The account it was reported on.
    pub account: String,
    /// `phone`, `address` or `email`.
    pub channel: ContactKind,
    /// `cease_contact`, `do_not_call` (the whole channel) or `wrong_party` (one contact).
    pub reason: OutcomeKind,
    /// The contact, masked: a phone's last four, an email's domain, an address's ZIP.
    pub contact: String,
    /// When it was reported.
    pub at: Date,
    /// Who reported it.
    pub reported_by: String,
}

/// Lists what `outcomes` keep from collectors now: channels under a cease or do-not-call not
/// lifted since, and wrong-party contacts (never lifted), oldest first.
pub fn suppressions(outcomes: &[Arc<Outcome>]) -> Vec<Suppression> {
    let mut ordered: Vec<&Outcome> = outcomes.iter().map(Arc::as_ref).collect();
    ordered.sort_by_key(|o| o.at);
    let mut channels: BTreeMap<(String, &'static str), &Outcome> = BTreeMap::new();
    let mut listed = Vec::new();
    for outcome in ordered {
        let key = (outcome.record_id.clone(), outcome.channel.as_str());
        match outcome.outcome {
            OutcomeKind::CeaseContact | OutcomeKind::DoNotCall => {
                channels.insert(key, outcome);
            }
            OutcomeKind::SuppressionLifted => {
                channels.remove(&key);
            }
            OutcomeKind::WrongParty => listed.push(entry(outcome)),
            _ => {}
        }
    }
    listed.extend(channels.into_values().map(entry));
    listed.sort_by(|a, b| a.at.cmp(&b.at).then(a.record_id.cmp(&b.record_id)));
    listed
}

fn entry(outcome: &Outcome) -> Suppression {
    Suppression {
        record_id: outcome.record_id.clone(),
        account: outcome.account.clone(),
        channel: outcome.channel,
        reason: outcome.outcome,
        contact: masked_contact(outcome.channel, &outcome.contact),
        at: outcome.at,
        reported_by: outcome.reported_by.clone(),
    }
}

/// A contact key as a report may show it: a phone's last four, an email's domain, an address's
/// ZIP (or city and state).
pub fn masked_contact(channel: ContactKind, key: &str) -> String {
    match channel {
        ContactKind::Phone => {
            let last4: String = key
                .chars()
                .skip(key.chars().count().saturating_sub(4))
                .collect();
            format!("***-***-{last4}")
        }
        ContactKind::Email => match key.split_once('@') {
            Some((_, domain)) => format!("***@{domain}"),
            None => "***".into(),
        },
        // A delivery key ends with its ZIP (or city and state) after the last `|`.
        ContactKind::Address => {
            let place = key.rsplit('|').next().unwrap_or_default();
            format!("*** {place}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(kind: OutcomeKind, channel: ContactKind, contact: &str, at: &str) -> Arc<Outcome> {
        Arc::new(crate::outcomes::sample_outcome(kind, channel, contact, at))
    }

    #[test]
    fn lists_what_is_suppressed_now_masked() {
        let phone = ContactKind::Phone;
        let listed = suppressions(&[
            outcome(OutcomeKind::DoNotCall, phone, "6145550142", "2026-01-01"),
            outcome(
                OutcomeKind::SuppressionLifted,
                phone,
                "6145550142",
                "2026-02-01",
            ),
            outcome(
                OutcomeKind::CeaseContact,
                ContactKind::Email,
                "ann@mail.com",
                "2026-03-01",
            ),
            outcome(OutcomeKind::WrongParty, phone, "3125550188", "2026-04-01"),
            outcome(OutcomeKind::RightParty, phone, "6145550142", "2026-05-01"),
            outcome(
                OutcomeKind::MailReturned,
                ContactKind::Address,
                "12 ELM ST||45402",
                "2026-05-01",
            ),
        ]);
        let summary: Vec<(OutcomeKind, &str)> = listed
            .iter()
            .map(|s| (s.reason, s.contact.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (OutcomeKind::CeaseContact, "***@mail.com"),
                (OutcomeKind::WrongParty, "***-***-0188"),
            ],
            "the lifted do-not-call and the non-suppressing outcomes are not listed"
        );
        assert_eq!(
            masked_contact(ContactKind::Address, "12 ELM ST||45402"),
            "*** 45402"
        );
    }
}
