//! One outcome code per re-matched row, in the style collection systems import (docs/domain.md
//! §5): what the row brings the account, at a glance, and what a run's hit rates are counted by.

use serde::Serialize;

use super::{MatchStatus, RematchResult};
use crate::resolve::{ContactPoint, ContactStatus};

/// What one row of a bulk file brings the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeCode {
    /// Matched; a new best address and a new best phone.
    NewAddressAndPhone,
    /// Matched; a new best address (the phone is not new).
    NewAddress,
    /// Matched; a new best phone (the address is not new).
    NewPhone,
    /// Matched; nothing new, but the row's own address or phone is confirmed as the best
    /// current one (or corrected: its unit, ZIP or spelling fixed, in the best address columns).
    ConfirmedOnFile,
    /// Matched; neither a new nor a confirmed address or phone.
    MatchedNoNewContact,
    /// Left for review by hand (no contacts given).
    Review,
    /// Nobody in the index is plausibly the debtor.
    NoMatch,
    /// The row could not be read or searched (see `error`).
    Error,
}

impl OutcomeCode {
    /// Every code, in report order.
    pub const ALL: [OutcomeCode; 8] = [
        OutcomeCode::NewAddressAndPhone,
        OutcomeCode::NewAddress,
        OutcomeCode::NewPhone,
        OutcomeCode::ConfirmedOnFile,
        OutcomeCode::MatchedNoNewContact,
        OutcomeCode::Review,
        OutcomeCode::NoMatch,
        OutcomeCode::Error,
    ];

    /// Returns the code as written in `outcome_code`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeCode::NewAddressAndPhone => "new_address_and_phone",
            OutcomeCode::NewAddress => "new_address",
            OutcomeCode::NewPhone => "new_phone",
            OutcomeCode::ConfirmedOnFile => "confirmed_on_file",
            OutcomeCode::MatchedNoNewContact => "matched_no_new_contact",
            OutcomeCode::Review => "review",
            OutcomeCode::NoMatch => "no_match",
            OutcomeCode::Error => "error",
        }
    }

    /// Returns the code written as `name`, if it is one.
    pub fn from_name(name: &str) -> Option<OutcomeCode> {
        OutcomeCode::ALL
            .into_iter()
            .find(|code| code.as_str() == name.trim())
    }

    /// Returns the code of a row's result.
    pub fn of(result: &RematchResult) -> OutcomeCode {
        let status = |contact: &Option<ContactPoint>| contact.as_ref().and_then(|c| c.status);
        match result.status {
            MatchStatus::Review => OutcomeCode::Review,
            MatchStatus::NoMatch => OutcomeCode::NoMatch,
            MatchStatus::Error => OutcomeCode::Error,
            MatchStatus::Matched => {
                let address = status(&result.best_address);
                let phone = status(&result.best_phone);
                let new = Some(ContactStatus::New);
                let on_file = |s: Option<ContactStatus>| {
                    matches!(s, Some(ContactStatus::Confirmed | ContactStatus::Corrected))
                };
                match (address == new, phone == new) {
                    (true, true) => OutcomeCode::NewAddressAndPhone,
                    (true, false) => OutcomeCode::NewAddress,
                    (false, true) => OutcomeCode::NewPhone,
                    (false, false) if on_file(address) || on_file(phone) => {
                        OutcomeCode::ConfirmedOnFile
                    }
                    (false, false) => OutcomeCode::MatchedNoNewContact,
                }
            }
        }
    }
}

/// Rows per outcome code (serialized as `{"new_address_and_phone": 12, ...}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeCounts([u64; 8]);

impl Serialize for OutcomeCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(OutcomeCode::ALL.len()))?;
        for (code, rows) in self.pairs() {
            map.serialize_entry(code.as_str(), &rows)?;
        }
        map.end()
    }
}

impl OutcomeCounts {
    /// Counts one row.
    pub fn count(&mut self, code: OutcomeCode) {
        self.0[code as usize] += 1;
    }

    /// Returns the rows with `code`.
    pub fn of(&self, code: OutcomeCode) -> u64 {
        self.0[code as usize]
    }

    /// Returns `code: rows` pairs, every code, in report order.
    pub fn pairs(&self) -> impl Iterator<Item = (OutcomeCode, u64)> + '_ {
        OutcomeCode::ALL
            .into_iter()
            .map(|code| (code, self.of(code)))
    }
}
