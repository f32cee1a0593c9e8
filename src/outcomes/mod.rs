//! Collection outcomes: what collectors learned from working a contact (a right party
//! answered, the number is disconnected, the letter came back, the debtor asked us to stop),
//! kept beside the index and applied to contact ranking whenever the records they were
//! reported against form the debtor's identity again (docs/domain.md, "Learning from
//! outcomes").
//!
//! An outcome names the contact it is about (one phone, address or email, normalized as records
//! are) and anchors on the record the contact was offered from (`match_record_id` of a search
//! or re-match). [`store`] keeps them durably; [`effect`] says what each does to a contact.

pub mod effect;
pub mod input;
pub mod report;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::normalize::{parse_email, parse_phone, Address, Date};
use crate::resolve::ContactKind;

pub use effect::{apply_outcomes, ContactOutcomes};
pub use input::{read_reports, OutcomeColumns, ReadReports};
pub use report::{masked_contact, suppressions, Suppression};
pub use store::{read_outcomes, OutcomeStore, OUTCOMES_FILE};

/// What working a contact found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// The debtor was reached on it.
    RightParty,
    /// Someone else was reached on it: it is not the debtor's, and is never offered to this
    /// debtor again.
    WrongParty,
    /// The number is disconnected.
    Disconnected,
    /// No one answered.
    NoAnswer,
    /// The letter came back.
    MailReturned,
    /// The letter was not returned.
    MailDelivered,
    /// The debtor asked that the agency stop contacting them on this channel (FDCPA §805(c)
    /// for all contact; a request about one channel, "stop calling me at work", for that one).
    CeaseContact,
    /// The debtor asked not to be called: every phone is suppressed for them.
    DoNotCall,
    /// Lifts an earlier `cease_contact` or `do_not_call` on the same channel (the debtor
    /// consented again).
    SuppressionLifted,
}

impl OutcomeKind {
    /// Every kind, in the order the README lists them.
    pub const ALL: [OutcomeKind; 9] = [
        OutcomeKind::RightParty,
        OutcomeKind::WrongParty,
        OutcomeKind::Disconnected,
        OutcomeKind::NoAnswer,
        OutcomeKind::MailReturned,
        OutcomeKind::MailDelivered,
        OutcomeKind::CeaseContact,
        OutcomeKind::DoNotCall,
        OutcomeKind::SuppressionLifted,
    ];

    /// The kind as files and the API spell it (`right_party`).
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::RightParty => "right_party",
            OutcomeKind::WrongParty => "wrong_party",
            OutcomeKind::Disconnected => "disconnected",
            OutcomeKind::NoAnswer => "no_answer",
            OutcomeKind::MailReturned => "mail_returned",
            OutcomeKind::MailDelivered => "mail_delivered",
            OutcomeKind::CeaseContact => "cease_contact",
            OutcomeKind::DoNotCall => "do_not_call",
            OutcomeKind::SuppressionLifted => "suppression_lifted",
        }
    }

    /// Parses a kind, case and surrounding space ignored.
    pub fn from_name(name: &str) -> Option<OutcomeKind> {
        let name = name.trim().to_ascii_lowercase();
        OutcomeKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The channels a kind can be reported on: mail outcomes on addresses, call outcomes on
    /// phones, the rest on any.
    pub fn fits(self, channel: ContactKind) -> bool {
        match self {
            OutcomeKind::MailReturned | OutcomeKind::MailDelivered => {
                channel == ContactKind::Address
            }
            OutcomeKind::Disconnected | OutcomeKind::NoAnswer | OutcomeKind::DoNotCall => {
                channel == ContactKind::Phone
            }
            _ => true,
        }
    }
}

/// One reported outcome, as stored: no more personal data than it takes to find the contact
/// again (the normalized contact key, the anchor record, the account reference).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// What working the contact found.
    pub outcome: OutcomeKind,
    /// Phone, address or email.
    pub channel: ContactKind,
    /// The contact's normalized key: ten phone digits, an address's delivery key, a lowercased
    /// email ([`contact_key`]).
    pub contact: String,
    /// The record the contact was offered from (`match_record_id`): the outcome applies to
    /// every identity that holds this record.
    pub record_id: String,
    /// The creditor's account reference, for reports and the audit trail.
    pub account: String,
    /// When it happened (ISO date).
    pub at: Date,
    /// Who reported it (the API key's name, or `--reported-by`).
    pub reported_by: String,
}

/// An outcome on `contact`, anchored on record `R1` of account `A1`, reported by `desk 4` on
/// `at` (an ISO date): for tests.
#[cfg(test)]
pub(crate) fn sample_outcome(
    kind: OutcomeKind,
    channel: ContactKind,
    contact: &str,
    at: &str,
) -> Outcome {
    Outcome {
        outcome: kind,
        channel,
        contact: contact.into(),
        record_id: "R1".into(),
        account: "A1".into(),
        at: crate::normalize::parse_date(at).expect("an ISO date"),
        reported_by: "desk 4".into(),
    }
}

/// A contact as a caller reports it, before normalizing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportedContact {
    /// A phone number in any layout.
    pub phone: String,
    /// An email address.
    pub email: String,
    /// Street line of an address.
    pub address_line1: String,
    /// Unit line of an address.
    pub address_line2: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP.
    pub zip: String,
}

/// Returns the channel and normalized key of a reported contact: the phone if given, else the
/// email, else the address (a street line and a ZIP or city and state).
///
/// # Errors
/// A message naming the field when the contact is missing or does not parse.
pub fn contact_key(
    contact: &ReportedContact,
) -> std::result::Result<(ContactKind, String), (&'static str, String)> {
    if !contact.phone.trim().is_empty() {
        return parse_phone(&contact.phone)
            .map(|digits| (ContactKind::Phone, digits))
            .map_err(|e| ("phone", e.to_string()));
    }
    if !contact.email.trim().is_empty() {
        return parse_email(&contact.email)
            .map(|email| (ContactKind::Email, email))
            .map_err(|e| ("email", e.to_string()));
    }
    if contact.address_line1.trim().is_empty() {
        return Err((
            "phone",
            "an outcome needs the contact it is about: a phone, an email or an address".into(),
        ));
    }
    let (address, issues) = Address::parse(
        &contact.address_line1,
        &contact.address_line2,
        &contact.city,
        &contact.state,
        &contact.zip,
    );
    if !address.has_street() || (address.zip5.is_empty() && address.city.is_empty()) {
        return Err((
            "address_line1",
            format!(
                "the address needs a street line and a ZIP or city{}",
                if issues.is_empty() {
                    ""
                } else {
                    " (the ZIP or state does not parse)"
                }
            ),
        ));
    }
    Ok((ContactKind::Address, address.delivery_key()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_fit_their_channels() {
        for kind in OutcomeKind::ALL {
            assert_eq!(OutcomeKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(
                OutcomeKind::from_name(&format!(" {} ", kind.as_str().to_uppercase())),
                Some(kind)
            );
        }
        assert_eq!(OutcomeKind::from_name("answered"), None);
        assert!(OutcomeKind::MailReturned.fits(ContactKind::Address));
        assert!(!OutcomeKind::MailReturned.fits(ContactKind::Phone));
        assert!(!OutcomeKind::Disconnected.fits(ContactKind::Email));
        assert!(OutcomeKind::WrongParty.fits(ContactKind::Email));
    }

    #[test]
    fn contacts_are_keyed_as_records_are() {
        let phone = ReportedContact {
            phone: "(614) 555-0142".into(),
            ..ReportedContact::default()
        };
        assert_eq!(
            contact_key(&phone).expect("phone"),
            (ContactKind::Phone, "6145550142".to_string())
        );
        let address = ReportedContact {
            address_line1: "12 Elm Street Apt 4".into(),
            zip: "45402-1234".into(),
            ..ReportedContact::default()
        };
        let (channel, key) = contact_key(&address).expect("address");
        let (same, _) = Address::parse("12 ELM ST", "#4", "", "", "45402");
        assert_eq!((channel, key), (ContactKind::Address, same.delivery_key()));
        let nothing = ReportedContact::default();
        assert!(contact_key(&nothing).is_err());
        let no_place = ReportedContact {
            address_line1: "12 Elm St".into(),
            ..ReportedContact::default()
        };
        assert_eq!(
            contact_key(&no_place).expect_err("no zip").0,
            "address_line1"
        );
        let bad = ReportedContact {
            phone: "12".into(),
            ..ReportedContact::default()
        };
        assert_eq!(contact_key(&bad).expect_err("bad phone").0, "phone");
    }
}
