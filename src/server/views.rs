//! What the API returns: identities, contact points and records as JSON, with SSN and DOB masked
//! unless the caller's role may see them (docs/domain.md §6; [`crate::mask`]). These types are the
//! API's contract, kept apart from the engine's so the engine can change without breaking
//! callers.

use serde::{Deserialize, Serialize};

use crate::mask::{dob_text, ssn_text};
use crate::normalize::phone::format_phone;
use crate::normalize::{Date, NormalizedRecord};
use crate::resolve::{
    ContactPoint, FieldExplanation, HiddenContact, Identity, PostalAddress, RecordRef,
};
use crate::score::Band;

/// A candidate person.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IdentityView {
    /// Stable id of the identity: its smallest record id.
    pub identity_id: String,
    /// Probability that this is the debtor, 0–1.
    pub match_probability: f64,
    /// Total match weight in bits, prior included.
    pub match_weight: f64,
    /// `strong` (p ≥ 0.95), `possible` (≥ 0.80), `weak` (≥ 0.50) or `unlikely`.
    pub band: String,
    /// Per field: the comparison level reached and its weight.
    pub explanation: Vec<FieldExplanationView>,
    /// Name variants as reported, most reported first.
    pub names: Vec<String>,
    /// Date of birth most records report: `YYYY` when masked, else `YYYY-MM-DD`.
    pub dob: Option<String>,
    /// SSN most records report: `***-**-1234` when masked, else `123-45-6789`.
    pub ssn: Option<String>,
    /// The records behind the identity, best match first (none below the `possible` band).
    pub records: Vec<RecordRefView>,
    /// Addresses, phones and emails, best first per kind (none below the `possible` band).
    pub contacts: Vec<ContactPointView>,
    /// Contacts of its records that reported outcomes forbid offering to this debtor, masked,
    /// with why (none below the `possible` band).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_contacts: Vec<HiddenContactView>,
    /// Warnings: `possible_jr_sr`, `possible_twin`, `ssn_shared`.
    pub flags: Vec<String>,
}

/// One field's part in an identity's score.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldExplanationView {
    /// The comparison: `first_name`, `last_name`, `dob`, `ssn`, `address`, `phone`, `email`, ...
    pub field: String,
    /// Level reached: `exact`, `nickname`, `dob_day_month_swapped`, `not_supplied`, ...; for
    /// `ssn` and `dob`, below the role that sees them unmasked, `agrees` (exact or near, with the
    /// exact level's weight) or `different`.
    pub level: String,
    /// Its weight in bits.
    pub match_weight: f64,
    /// The record that reached it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
}

/// A record behind an identity.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordRefView {
    /// Record id.
    pub record_id: String,
    /// Reporting source.
    pub source: String,
    /// Last-seen date.
    pub last_seen: Option<String>,
    /// This record's own match probability.
    pub match_probability: f64,
}

/// A merged address, phone or email.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactPointView {
    /// `address`, `phone` or `email`.
    pub kind: String,
    /// Display value: one-line address, `(555) 123-4567` or the email.
    pub value: String,
    /// Address parts, for addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddressView>,
    /// Earliest first-seen date across reporting records.
    pub first_seen: Option<String>,
    /// Latest last-seen date across reporting records.
    pub last_seen: Option<String>,
    /// Distinct sources reporting it.
    pub sources: Vec<String>,
    /// Records reporting it.
    pub record_count: usize,
    /// 0–1: recency × corroboration (× line type for phones; halved for an address the
    /// person has moved on from).
    pub confidence: f64,
    /// A phone's line type where a source gives it: `mobile`, `landline` or `voip`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_type: Option<String>,
    /// True when the query already has it (the same contact, or for an address the same home
    /// spelt differently or without its unit).
    pub on_file: bool,
    /// True when the query marks it as bad (a return reason, a disconnected flag): never
    /// confirmed.
    pub marked_bad: bool,
    /// On the best current contact of its kind only: `new` (differs from what the query has),
    /// `confirmed` (the query's own is still the best) or `corrected` (the query's own address
    /// with its unit, ZIP or spelling fixed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// True when only records folded in as fragments of the debtor report it (a record at the
    /// new address under a married name).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_fragment: bool,
    /// The collection outcome that moved its confidence (`right party reached 2026-10-02 by
    /// key k_...`), when one did (`POST /v1/outcomes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// A contact an outcome hides from this debtor (`POST /v1/outcomes`): never offered, listed so
/// that the collector knows why and does not re-enter it by hand.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HiddenContactView {
    /// `address`, `phone` or `email`.
    pub kind: String,
    /// The contact, masked: `***-***-0188`, `***@example.com`, `*** 45402`.
    pub contact: String,
    /// Why: `wrong party reached 2026-11-20 by desk 4: someone else's`, or `do_not_call
    /// reported 2026-11-20 by desk 4: the phone channel is suppressed for this debtor until
    /// lifted`.
    pub reason: String,
}

/// A postal address, USPS style.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PostalAddressView {
    /// `123 N MAIN ST`.
    pub line1: String,
    /// `APT 4`.
    pub line2: String,
    /// City.
    pub city: String,
    /// Two-letter state.
    pub state: String,
    /// ZIP5.
    pub zip: String,
}

/// One indexed record, as `GET /v1/records/{record_id}` returns it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordView {
    /// Record id.
    pub record_id: String,
    /// Reporting source.
    pub source: String,
    /// Name as given.
    pub name: String,
    /// Standardized name parts.
    pub first_name: String,
    /// Middle name or initial.
    pub middle_name: String,
    /// Surname.
    pub last_name: String,
    /// Generational suffix.
    pub name_suffix: Option<String>,
    /// Date of birth, masked to the year unless the caller is an admin.
    pub dob: Option<String>,
    /// SSN, masked to the last four unless the caller is an admin.
    pub ssn: Option<String>,
    /// Standardized address.
    pub address: Option<PostalAddressView>,
    /// Phone, `(555) 123-4567`.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Employer.
    pub employer: Option<String>,
    /// First seen by its source.
    pub first_seen: Option<String>,
    /// Last seen by its source.
    pub last_seen: Option<String>,
}

fn date_text(date: Option<Date>) -> Option<String> {
    date.map(|d| d.to_string())
}

impl IdentityView {
    /// Builds the view of an identity, masking SSN and DOB unless `unmasked`. An identity below
    /// the `possible` band shows its names and match figures only: no DOB, SSN, records or
    /// contacts of a person who is probably someone else (data minimisation).
    pub fn of(identity: &Identity, unmasked: bool) -> IdentityView {
        let view = IdentityView::in_full(identity, unmasked);
        if matches!(identity.band, Band::Strong | Band::Possible) {
            return view;
        }
        let explanation = view
            .explanation
            .into_iter()
            .map(|e| FieldExplanationView {
                record_id: None,
                ..e
            })
            .collect();
        IdentityView {
            dob: None,
            ssn: None,
            records: Vec::new(),
            contacts: Vec::new(),
            hidden_contacts: Vec::new(),
            explanation,
            ..view
        }
    }

    fn in_full(identity: &Identity, unmasked: bool) -> IdentityView {
        IdentityView {
            identity_id: identity.identity_id.clone(),
            match_probability: identity.match_probability,
            match_weight: identity.match_weight,
            band: identity.band.as_str().to_string(),
            explanation: identity
                .explanation
                .iter()
                .map(FieldExplanationView::of)
                .collect(),
            names: identity.names.clone(),
            dob: identity.dob.map(|d| dob_text(d, unmasked)),
            ssn: identity.ssn.as_ref().map(|s| ssn_text(s, unmasked)),
            records: identity.records.iter().map(RecordRefView::of).collect(),
            contacts: identity.contacts.iter().map(ContactPointView::of).collect(),
            hidden_contacts: identity
                .hidden_contacts
                .iter()
                .map(HiddenContactView::of)
                .collect(),
            flags: identity
                .flags
                .iter()
                .map(|f| f.as_str().to_string())
                .collect(),
        }
    }
}

impl FieldExplanationView {
    fn of(explanation: &FieldExplanation) -> FieldExplanationView {
        FieldExplanationView {
            field: explanation.comparison.name().to_string(),
            level: explanation.level.to_string(),
            match_weight: explanation.match_weight,
            record_id: explanation.record_id.clone(),
        }
    }
}

impl RecordRefView {
    fn of(record: &RecordRef) -> RecordRefView {
        RecordRefView {
            record_id: record.record_id.clone(),
            source: record.source.clone(),
            last_seen: date_text(record.last_seen),
            match_probability: record.match_probability,
        }
    }
}

impl ContactPointView {
    fn of(point: &ContactPoint) -> ContactPointView {
        ContactPointView {
            kind: point.kind.as_str().to_string(),
            value: point.value.clone(),
            address: point.address.as_ref().map(PostalAddressView::of),
            first_seen: date_text(point.first_seen),
            last_seen: date_text(point.last_seen),
            sources: point.sources.clone(),
            record_count: point.record_count,
            confidence: point.confidence,
            phone_type: point.phone_type.map(|t| t.as_str().to_string()),
            on_file: point.on_file,
            marked_bad: point.marked_bad,
            status: point.status.map(|s| s.as_str().to_string()),
            from_fragment: point.from_fragment,
            outcome: point.outcome.clone(),
        }
    }
}

impl HiddenContactView {
    fn of(hidden: &HiddenContact) -> HiddenContactView {
        HiddenContactView {
            kind: hidden.kind.as_str().to_string(),
            contact: hidden.contact.clone(),
            reason: hidden.reason.clone(),
        }
    }
}

impl PostalAddressView {
    fn of(address: &PostalAddress) -> PostalAddressView {
        PostalAddressView {
            line1: address.line1.clone(),
            line2: address.line2.clone(),
            city: address.city.clone(),
            state: address.state.clone(),
            zip: address.zip.clone(),
        }
    }
}

impl RecordView {
    /// Builds the view of a stored record, masking SSN and DOB unless `unmasked`.
    pub fn of(record: &NormalizedRecord, unmasked: bool) -> RecordView {
        RecordView {
            record_id: record.record_id.clone(),
            source: record.source.clone(),
            name: record.display_name.clone(),
            first_name: record.name.first.clone(),
            middle_name: record.name.middle.clone(),
            last_name: record.name.last.clone(),
            name_suffix: record.name.suffix.map(|s| s.as_str().to_string()),
            dob: record.dob.map(|d| dob_text(d, unmasked)),
            ssn: record.ssn.as_ref().map(|s| ssn_text(s, unmasked)),
            address: record.address.as_ref().map(|a| PostalAddressView {
                line1: a.line1(),
                line2: a.line2(),
                city: a.city.to_uppercase(),
                state: a.state.clone(),
                zip: a.zip5.clone(),
            }),
            phone: record.phone.as_deref().map(format_phone),
            email: record
                .email_display
                .clone()
                .or_else(|| record.email.clone()),
            employer: record.employer.clone(),
            first_seen: date_text(record.first_seen),
            last_seen: date_text(record.last_seen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field, RawRecord};

    #[test]
    fn server_records_are_masked_unless_unmasked() {
        let raw = RawRecord::new()
            .with(Field::RecordId, "r1")
            .with(Field::FirstName, "Dmitri")
            .with(Field::LastName, "Kowalczyk")
            .with(Field::Dob, "1984-05-12")
            .with(Field::Ssn, "123-45-6789")
            .with(Field::Phone, "3125550188");
        let record = NormalizedRecord::from_raw(&raw).0;
        let masked = RecordView::of(&record, false);
        assert_eq!(masked.ssn.as_deref(), Some("***-**-6789"));
        assert_eq!(masked.dob.as_deref(), Some("1984"));
        let text = serde_json::to_string(&masked).expect("json");
        assert!(
            !text.contains("123-45") && !text.contains("05-12"),
            "{text}"
        );
        let full = RecordView::of(&record, true);
        assert_eq!(full.ssn.as_deref(), Some("123-45-6789"));
        assert_eq!(full.dob.as_deref(), Some("1984-05-12"));
    }
}
