//! Normalization: a [`RawRecord`] becomes a [`NormalizedRecord`] once, at index time, and a query
//! the same way at search time, so comparisons work on standardized values.
//!
//! A bad value is reported as a [`FieldIssue`] (with a masked value, never a raw SSN or DOB) and
//! dropped; the rest of the record is still used.

pub mod address;
pub mod date;
pub mod email;
pub mod name;
pub mod on_file;
pub mod other_id;
pub mod phone;
pub mod ssn;
pub mod text;
mod value_error;

use serde::{Deserialize, Serialize};

pub use address::Address;
pub use date::{parse_date, Date};
pub use email::parse_email;
pub use name::{PersonName, Suffix};
pub use on_file::{AddressMark, OnFile};
pub use other_id::parse_other_id;
pub use phone::{parse_phone, parse_phone_type, PhoneType};
pub use ssn::{parse_ssn, Ssn};
pub use value_error::ValueError;

use crate::record::{Field, RawRecord};

/// A record with every field standardized, plus the values as given for display.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NormalizedRecord {
    /// Record identifier.
    pub record_id: String,
    /// Reporting source.
    pub source: String,
    /// Parsed name (empty parts when absent).
    pub name: PersonName,
    /// Date of birth.
    pub dob: Option<Date>,
    /// SSN, full or last 4.
    pub ssn: Option<Ssn>,
    /// Another personal identifier, canonical (letters and digits, upper case).
    pub other_id: Option<String>,
    /// Standardized address, when any part was given.
    pub address: Option<Address>,
    /// 10-digit NANP phone.
    pub phone: Option<String>,
    /// The phone's line type, where the source gives it.
    pub phone_type: Option<PhoneType>,
    /// Canonical email mailbox.
    pub email: Option<String>,
    /// Email as given (lower-cased), for display and contact.
    pub email_display: Option<String>,
    /// Folded employer name.
    pub employer: Option<String>,
    /// First date the source saw the record.
    pub first_seen: Option<Date>,
    /// Last date the source saw the record.
    pub last_seen: Option<Date>,
    /// Name as given, for display ("John A. Smith Jr.").
    pub display_name: String,
    /// A debtor row's other phones and the marks on its contacts (queries only: never stored
    /// in the index).
    #[serde(skip)]
    pub on_file: OnFile,
}

/// One value that could not be used, with its field and a masked rendering of the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldIssue {
    /// The field holding the bad value.
    pub field: Field,
    /// What is wrong (its text on the wire, under `message`).
    #[serde(rename = "message", serialize_with = "serialize_display")]
    pub problem: ValueError,
    /// The value with sensitive content masked.
    pub masked_value: String,
}

impl FieldIssue {
    /// Returns the problem with the masked value: `zip must be 5 digits or ZIP+4 (value 6270)`.
    pub fn detail(&self) -> String {
        format!("{} (value {})", self.problem, self.masked_value)
    }
}

impl std::fmt::Display for FieldIssue {
    /// Writes the field, the problem and the masked value: `dob: not a valid date (expected e.g. 1984-05-12, 05/12/1984, 19840512) (value ****-**-**)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field.name(), self.detail())
    }
}

fn serialize_display<S: serde::Serializer>(
    value: &impl std::fmt::Display,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Returns `value` safe to show in an error: SSN and DOB digits are replaced by `*`, other values
/// are cut to 40 characters.
pub fn mask_value(field: Field, value: &str) -> String {
    if field.is_sensitive() {
        return value
            .chars()
            .map(|c| if c.is_ascii_digit() { '*' } else { c })
            .collect();
    }
    value.chars().take(40).collect()
}

impl NormalizedRecord {
    /// Normalizes a raw record. Values that cannot be parsed are returned as issues and left out.
    pub fn from_raw(raw: &RawRecord) -> (NormalizedRecord, Vec<FieldIssue>) {
        let mut issues = Vec::new();
        let dob = parse_field(raw, Field::Dob, parse_date, &mut issues);
        let first_seen = parse_field(raw, Field::FirstSeen, parse_date, &mut issues);
        let last_seen = parse_field(raw, Field::LastSeen, parse_date, &mut issues);
        let ssn = parse_field(raw, Field::Ssn, parse_ssn, &mut issues);
        let other_id = parse_field(raw, Field::OtherId, parse_other_id, &mut issues);
        let phone = parse_field(raw, Field::Phone, parse_phone, &mut issues);
        let phone_type = parse_field(raw, Field::PhoneType, parse_phone_type, &mut issues);
        let on_file = on_file_of(raw, phone.as_deref(), &mut issues);
        let email = parse_field(raw, Field::Email, parse_email, &mut issues);
        let email_display = email.as_ref().map(|_| raw.get(Field::Email).to_lowercase());

        let name = name_of(raw);
        let address = address_of(raw, &mut issues);
        let employer = Some(text::fold(raw.get(Field::Employer))).filter(|e| !e.is_empty());
        let record = NormalizedRecord {
            record_id: raw.get(Field::RecordId).to_string(),
            source: raw.get(Field::Source).to_string(),
            display_name: display_name(raw),
            name,
            dob,
            ssn,
            other_id,
            address,
            phone,
            phone_type,
            email,
            email_display,
            employer,
            first_seen,
            last_seen,
            on_file,
        };
        (record, issues)
    }

    /// True when the record holds nothing a search could match on.
    pub fn is_unusable(&self) -> bool {
        self.name.is_empty()
            && self.dob.is_none()
            && self.ssn.is_none()
            && self.other_id.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.address.as_ref().is_none_or(|a| !a.has_street())
    }

    /// Returns the most recent date the record speaks for (last seen, else first seen).
    pub fn seen(&self) -> Option<Date> {
        self.last_seen.or(self.first_seen)
    }
}

/// Parses one field's value, recording a masked issue when it is unusable.
fn parse_field<T>(
    raw: &RawRecord,
    field: Field,
    parser: impl Fn(&str) -> Result<T, ValueError>,
    issues: &mut Vec<FieldIssue>,
) -> Option<T> {
    let value = raw.get(field);
    if value.is_empty() {
        return None;
    }
    match parser(value) {
        Ok(parsed) => Some(parsed),
        Err(problem) => {
            issues.push(FieldIssue {
                field,
                problem,
                masked_value: mask_value(field, value),
            });
            None
        }
    }
}

/// Reads a debtor row's other phones and contact marks; `phone` is the row's main phone.
fn on_file_of(raw: &RawRecord, phone: Option<&str>, issues: &mut Vec<FieldIssue>) -> OnFile {
    let (mut other_phones, bad) = on_file::parse_other_phones(raw.get(Field::OtherPhones));
    for (value, problem) in bad {
        issues.push(FieldIssue {
            field: Field::OtherPhones,
            problem,
            masked_value: mask_value(Field::OtherPhones, &value),
        });
    }
    other_phones.retain(|other| Some(other.as_str()) != phone);
    OnFile {
        other_phones,
        address_mark: on_file::parse_return_reason(raw.get(Field::ReturnReason)),
        phones_bad: parse_field(raw, Field::PhoneBad, on_file::parse_phone_bad, issues)
            .unwrap_or(false),
        as_of: parse_field(raw, Field::OnFileDate, parse_date, issues),
    }
}

fn name_of(raw: &RawRecord) -> PersonName {
    let has_parts = [Field::FirstName, Field::LastName]
        .iter()
        .any(|f| !raw.get(*f).is_empty());
    if has_parts || raw.get(Field::FullName).is_empty() {
        return PersonName::from_parts(
            raw.get(Field::FirstName),
            raw.get(Field::MiddleName),
            raw.get(Field::LastName),
            raw.get(Field::NameSuffix),
        );
    }
    let mut name = PersonName::parse_full(raw.get(Field::FullName));
    if name.suffix.is_none() {
        name.suffix = Suffix::parse(&text::fold(raw.get(Field::NameSuffix)));
    }
    name
}

fn display_name(raw: &RawRecord) -> String {
    let parts = [
        Field::FirstName,
        Field::MiddleName,
        Field::LastName,
        Field::NameSuffix,
    ]
    .iter()
    .map(|f| raw.get(*f))
    .filter(|v| !v.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    if parts.is_empty() {
        raw.get(Field::FullName).to_string()
    } else {
        parts
    }
}

/// Returns the street line, assembled from the house number and street name columns where a
/// file splits it: the number goes before a line that does not already start with it.
fn street_line(raw: &RawRecord) -> std::borrow::Cow<'_, str> {
    let line = match raw.get(Field::AddressLine1) {
        "" => raw.get(Field::StreetName),
        line => line,
    };
    let number = raw.get(Field::HouseNumber);
    if number.is_empty() || line.split_whitespace().next() == Some(number) {
        return line.into();
    }
    if line.is_empty() {
        return number.into();
    }
    format!("{number} {line}").into()
}

fn address_of(raw: &RawRecord, issues: &mut Vec<FieldIssue>) -> Option<Address> {
    let line = street_line(raw);
    let (address, address_issues) = Address::parse(
        &line,
        raw.get(Field::AddressLine2),
        raw.get(Field::City),
        raw.get(Field::State),
        raw.get(Field::Zip),
    );
    for issue in address_issues {
        let (field, problem) = match issue {
            address::AddressIssue::UnknownState => (Field::State, ValueError::UnknownState),
            address::AddressIssue::BadZip => (Field::Zip, ValueError::BadZip),
        };
        issues.push(FieldIssue {
            field,
            problem,
            masked_value: mask_value(field, raw.get(field)),
        });
    }
    (!address.is_empty()).then_some(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_become_masked_issues_and_the_rest_is_kept() {
        let raw = RawRecord::new()
            .with(Field::RecordId, "r1")
            .with(Field::FullName, "SMITH, JOHN A")
            .with(Field::Dob, "1984-13-45")
            .with(Field::Ssn, "123-45-678")
            .with(Field::Phone, "(415) 555-2671");
        let (record, issues) = NormalizedRecord::from_raw(&raw);
        assert_eq!(record.name.last, "smith");
        assert_eq!(record.phone.as_deref(), Some("4155552671"));
        assert!(record.dob.is_none() && record.ssn.is_none());
        let fields: Vec<Field> = issues.iter().map(|i| i.field).collect();
        assert_eq!(fields, vec![Field::Dob, Field::Ssn]);
        assert!(issues
            .iter()
            .all(|i| !i.masked_value.chars().any(|c| c.is_ascii_digit())));
    }

    #[test]
    fn a_row_with_nothing_usable_is_unusable() {
        let raw = RawRecord::new()
            .with(Field::RecordId, "r1")
            .with(Field::Dob, "junk");
        let (record, _) = NormalizedRecord::from_raw(&raw);
        assert!(record.is_unusable());
    }
}
