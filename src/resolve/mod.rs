//! Resolution: scored candidates become ranked identities with merged contact points, and the
//! search as a whole is `resolved`, `ambiguous` or `no_match`.

pub mod contact;
pub mod decision;
pub mod identity;
mod pairs;

use serde::Serialize;

pub use contact::{
    best_contact, ContactKind, ContactPoint, ContactStatus, HiddenContact, MergedContacts,
    OnFileContacts, PostalAddress,
};

use crate::compare::{Comparison, Level};
use crate::normalize::{Date, Ssn};
use crate::score::Band;

/// Outcome of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionStatus {
    /// One clear identity: its probability reaches the match threshold and no other identity is
    /// plausible.
    Resolved,
    /// Several plausible identities (Jr/Sr, twins, common names) or only a possible one: do not
    /// act without review.
    Ambiguous,
    /// Nobody in the index is plausibly the debtor.
    NoMatch,
}

impl ResolutionStatus {
    /// Returns the snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionStatus::Resolved => "resolved",
            ResolutionStatus::Ambiguous => "ambiguous",
            ResolutionStatus::NoMatch => "no_match",
        }
    }
}

/// A warning for the collector about an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Another identity has the same name at the same address: a father and son (Jr/Sr)?
    PossibleJrSr,
    /// Another identity has the same surname and DOB and another given name: a twin?
    PossibleTwin,
    /// Another identity's records report the same full SSN: usually a keying error in one
    /// source, sometimes a shared or misused number.
    SsnShared,
    /// Nothing but the name and a DOB one digit off agrees: a namesake born a day apart is as
    /// likely as a typo, so the identity is never acted on without more.
    NearDobOnly,
}

impl Flag {
    /// Returns the snake_case name (as the API and the page spell it).
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::PossibleJrSr => "possible_jr_sr",
            Flag::PossibleTwin => "possible_twin",
            Flag::SsnShared => "ssn_shared",
            Flag::NearDobOnly => "near_dob_only",
        }
    }

    /// True for the flags that say another person looks like this one (Jr/Sr, twin): acting
    /// on the identity then needs its DOB or SSN to agree.
    pub fn is_look_alike(self) -> bool {
        matches!(self, Flag::PossibleJrSr | Flag::PossibleTwin)
    }
}

/// One comparison's part in an identity's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldExplanation {
    /// Which comparison.
    pub comparison: Comparison,
    /// Level reached (best over the identity's records).
    pub level: &'static str,
    /// Its match weight in bits.
    pub match_weight: f64,
    /// The record that reached it (absent for `not_supplied`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
}

/// A record behind an identity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordRef {
    /// Record id.
    pub record_id: String,
    /// Its source.
    pub source: String,
    /// Its last-seen date.
    pub last_seen: Option<Date>,
    /// Its own match probability against the query.
    pub match_probability: f64,
}

/// A candidate person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    /// Stable id of the group: its smallest record id.
    pub identity_id: String,
    /// Probability that this is the debtor.
    pub match_probability: f64,
    /// Total match weight in bits, prior included.
    pub match_weight: f64,
    /// Band of the probability.
    pub band: Band,
    /// Per comparison: the level reached and its weight.
    pub explanation: Vec<FieldExplanation>,
    /// Name variants as reported (AKAs: maiden and married names, nicknames), most reported first.
    pub names: Vec<String>,
    /// The DOB most records report.
    pub dob: Option<Date>,
    /// The full SSN most records report (else a last 4).
    pub ssn: Option<Ssn>,
    /// Records behind the identity, best match first.
    pub records: Vec<RecordRef>,
    /// Addresses, phones and emails, best first per kind; the best current one of each kind
    /// carries its status (new, confirmed, corrected), the row's own are marked `on_file`.
    pub contacts: Vec<ContactPoint>,
    /// Contacts of its records that outcomes forbid offering to this debtor (wrong party,
    /// cease contact, do not call), masked, with why.
    pub hidden_contacts: Vec<HiddenContact>,
    /// Warnings for the collector, sorted.
    pub flags: Vec<Flag>,
}

impl Identity {
    /// Returns the best current contact point of a kind, with its status, if there is one.
    pub fn best_contact(&self, kind: ContactKind) -> Option<&ContactPoint> {
        best_contact(&self.contacts, kind)
    }

    /// Returns the level a comparison reached (`not_supplied` when it has no entry).
    pub fn level(&self, comparison: Comparison) -> Level {
        self.explanation
            .iter()
            .find(|e| e.comparison == comparison)
            .map_or(Level::of(comparison, 0), |e| {
                Level::from_label(comparison, e.level)
            })
    }

    /// Returns the compact explanation: `first_name=exact;dob=dob_day_month_swapped;...`
    /// (supplied comparisons only).
    pub fn compact_explanation(&self) -> String {
        self.explanation
            .iter()
            .filter(|e| e.level != crate::compare::NOT_SUPPLIED)
            .map(|e| format!("{}={}", e.comparison.name(), e.level))
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    /// Resolved, ambiguous or no match.
    pub status: ResolutionStatus,
    /// Identities above the caller's minimum probability, best first.
    pub identities: Vec<Identity>,
    /// Records retrieved and scored.
    pub candidates_scored: usize,
}

impl Resolution {
    /// Returns a digest of the answer (status and identities, with their figures, records and
    /// contacts, in order; SHA-256 of the JSON, hex, first 16 digits), so an audit line can say
    /// what was answered and a replay whether the answer is the same.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let answer =
            serde_json::to_vec(&(&self.status, &self.identities)).expect("a resolution serializes");
        hex::encode(&Sha256::digest(&answer)[..8])
    }
}
