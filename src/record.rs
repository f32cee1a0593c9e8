//! Person records: the canonical fields every source file is mapped onto.
//!
//! First step of the flow: a source row (CSV or JSON Lines) becomes a [`RawRecord`], one string
//! per canonical [`Field`]. `normalize` turns it into a [`crate::normalize::NormalizedRecord`].

use serde::{Deserialize, Serialize};

/// A canonical person-record field. Input headers are mapped onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Stable identifier of the record within the index.
    RecordId,
    /// The data source that reported the record (e.g. `credit_header`).
    Source,
    /// Given name.
    FirstName,
    /// Middle name or initial.
    MiddleName,
    /// Family name (surname).
    LastName,
    /// Generational suffix: Jr, Sr, II, III...
    NameSuffix,
    /// One full-name field, parsed into the parts ("SMITH, JOHN A" or "John A. Smith Jr.").
    FullName,
    /// Date of birth.
    Dob,
    /// Social Security number: nine digits or the last four.
    Ssn,
    /// Another personal identifier both sides may carry: a national id that is not a US SSN, a
    /// driver's licence number. Compared exactly (or one character off), never displayed.
    OtherId,
    /// Street line: house number, street, suffix, often the unit too.
    AddressLine1,
    /// House number, where a file gives it in its own column; put before the street.
    HouseNumber,
    /// Street name, type and direction, where a file splits the street line into columns: the
    /// columns join with spaces, in file order, behind the house number.
    StreetName,
    /// Secondary line: apartment, suite, unit.
    AddressLine2,
    /// City.
    City,
    /// State (name or two-letter code).
    State,
    /// ZIP or ZIP+4.
    Zip,
    /// Telephone number.
    Phone,
    /// Email address.
    Email,
    /// Employer name.
    Employer,
    /// Date the source first saw this record.
    FirstSeen,
    /// Date the source last saw this record.
    LastSeen,
    /// Line type of `phone` where the source knows it: `mobile`, `landline` or `voip`.
    PhoneType,
    /// A debtor row's other phones (`phone2`, `work_phone`, `alt_phone`...): every column mapped
    /// here, and a second phone-like column when `phone` is taken, joins with `;`. All are the
    /// row's own phones (docs/domain.md, "Contacts on file").
    OtherPhones,
    /// A debtor row's return reason or bad-address flag for its address (`INSUFFICIENT
    /// ADDRESS`, `MOVED LEFT NO ADDRESS`, `Y`): an address so marked is never confirmed.
    ReturnReason,
    /// A debtor row's flag that its phones are bad (`disconnected`, `Y`): never confirmed.
    PhoneBad,
    /// The date a debtor row's contacts were known good (the account's open date, the address
    /// date): a contact last seen before it is older than what the account has and is never
    /// offered as its best.
    OnFileDate,
}

impl Field {
    /// Every field, in the canonical column order.
    pub const ALL: [Field; 27] = [
        Field::RecordId,
        Field::Source,
        Field::FirstName,
        Field::MiddleName,
        Field::LastName,
        Field::NameSuffix,
        Field::FullName,
        Field::Dob,
        Field::Ssn,
        Field::OtherId,
        Field::AddressLine1,
        Field::HouseNumber,
        Field::StreetName,
        Field::AddressLine2,
        Field::City,
        Field::State,
        Field::Zip,
        Field::Phone,
        Field::Email,
        Field::Employer,
        Field::FirstSeen,
        Field::LastSeen,
        Field::PhoneType,
        Field::OtherPhones,
        Field::ReturnReason,
        Field::PhoneBad,
        Field::OnFileDate,
    ];

    /// Number of canonical fields.
    pub const COUNT: usize = Self::ALL.len();

    /// Returns the canonical snake_case column name.
    pub fn name(self) -> &'static str {
        match self {
            Field::RecordId => "record_id",
            Field::Source => "source",
            Field::FirstName => "first_name",
            Field::MiddleName => "middle_name",
            Field::LastName => "last_name",
            Field::NameSuffix => "name_suffix",
            Field::FullName => "full_name",
            Field::Dob => "dob",
            Field::Ssn => "ssn",
            Field::OtherId => "other_id",
            Field::AddressLine1 => "address_line1",
            Field::HouseNumber => "house_number",
            Field::StreetName => "street_name",
            Field::AddressLine2 => "address_line2",
            Field::City => "city",
            Field::State => "state",
            Field::Zip => "zip",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Employer => "employer",
            Field::FirstSeen => "first_seen",
            Field::LastSeen => "last_seen",
            Field::PhoneType => "phone_type",
            Field::OtherPhones => "other_phones",
            Field::ReturnReason => "return_reason",
            Field::PhoneBad => "phone_bad",
            Field::OnFileDate => "on_file_date",
        }
    }

    /// Returns the field a column header names, by canonical name or by a common alias, ignoring
    /// case, spaces, dashes and underscores. `None` when the header names no field.
    pub fn from_header(header: &str) -> Option<Field> {
        let key: String = header
            .trim()
            .trim_start_matches('\u{feff}')
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        let field = match key.as_str() {
            "recordid" | "id" | "recid" | "rowid" => Field::RecordId,
            "source" | "sourcename" | "datasource" | "src" => Field::Source,
            "firstname" | "givenname" | "fname" | "first" | "forename" | "given" => {
                Field::FirstName
            }
            "middlename" | "mname" | "middle" | "middleinitial" | "mi" => Field::MiddleName,
            "lastname" | "surname" | "lname" | "last" | "familyname" => Field::LastName,
            "namesuffix" | "suffix" | "generation" | "gen" => Field::NameSuffix,
            "fullname" | "name" | "consumername" | "debtorname" => Field::FullName,
            "dob" | "dateofbirth" | "birthdate" | "birthday" | "bdate" => Field::Dob,
            "ssn"
            | "socsecid"
            | "ssn4"
            | "ssnlast4"
            | "last4"
            | "socialsecuritynumber"
            | "social"
            | "ssnum" => Field::Ssn,
            "otherid" | "nationalid" | "nationalidnumber" | "driverslicense" | "driverslicence"
            | "driverlicense" | "dlnumber" | "licensenumber" => Field::OtherId,
            "addressline1" | "address1" | "addr1" | "street" | "address" | "streetaddress"
            | "addressline" | "line1" => Field::AddressLine1,
            "housenumber" | "houseno" | "streetnumber" | "streetno" | "addressnumber"
            | "primarynumber" => Field::HouseNumber,
            "streetname" | "streettype" | "streetsuffix" | "suffixtype" | "predirectional"
            | "postdirectional" | "streetdirection" => Field::StreetName,
            "addressline2" | "address2" | "addr2" | "line2" | "unit" | "apt" | "aptnumber"
            | "unitnumber" | "apartment" => Field::AddressLine2,
            "city" | "suburb" | "town" | "locality" => Field::City,
            "state" | "st" | "province" | "region" => Field::State,
            "zip" | "postcode" | "zipcode" | "postalcode" | "zip5" | "zip4" => Field::Zip,
            "phone" | "mobile" | "cell" | "telephone" | "phonenumber" | "tel" | "homephone"
            | "cellphone" | "mobilephone" => Field::Phone,
            "otherphones" | "phone2" | "phone3" | "phone4" | "altphone" | "alternatephone"
            | "otherphone" | "secondaryphone" | "workphone" | "businessphone" => Field::OtherPhones,
            "phonetype" | "linetype" | "phonelinetype" | "phonekind" => Field::PhoneType,
            "returnreason"
            | "mailreturn"
            | "mailreturnreason"
            | "undeliverable"
            | "undeliverablereason"
            | "addressbad"
            | "badaddress"
            | "returncode"
            | "addressstatus"
            | "uaareason" => Field::ReturnReason,
            "phonebad" | "badphone" | "phonedisconnected" | "disconnected" | "phonestatus" => {
                Field::PhoneBad
            }
            "onfiledate" | "opendate" | "dateopened" | "accountopendate" | "opened"
            | "addressdate" | "contactdate" | "asofdate" => Field::OnFileDate,
            "email" | "emailaddress" | "mail" | "email2" | "emailaddress2" | "altemail"
            | "alternateemail" | "secondaryemail" => Field::Email,
            "employer" | "employername" | "work" => Field::Employer,
            "firstseen" | "firstreported" | "datefirstseen" => Field::FirstSeen,
            "lastseen" | "lastreported" | "datelastseen" | "lastupdated" => Field::LastSeen,
            _ => return None,
        };
        Some(field)
    }

    /// Returns the field whose canonical name is `name` (exact, as used by `--map field=COLUMN`).
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name.trim())
    }

    /// True for the fields a source record carries: every field but the ones only a debtor row
    /// has (its other phones, the marks on its contacts and the date they were known good).
    pub fn is_record_field(self) -> bool {
        !matches!(
            self,
            Field::OtherPhones | Field::ReturnReason | Field::PhoneBad | Field::OnFileDate
        )
    }

    /// Returns the fields a source record carries, in canonical order.
    pub fn record_fields() -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(|f| f.is_record_field())
    }

    /// True for fields several columns of one row may map to, their values all kept, joined
    /// with [`Field::joiner`].
    pub fn takes_several_columns(self) -> bool {
        self.joiner().is_some()
    }

    /// Returns what joins the values of a field several columns feed: `;` between other phones,
    /// a space between the parts of a street name.
    pub fn joiner(self) -> Option<&'static str> {
        match self {
            Field::OtherPhones => Some(";"),
            Field::StreetName => Some(" "),
            _ => None,
        }
    }

    /// True for fields whose values are sensitive personal identifiers (never logged raw).
    pub fn is_sensitive(self) -> bool {
        matches!(self, Field::Dob | Field::Ssn | Field::OtherId)
    }
}

/// One input row mapped onto the canonical fields, values as given (trimmed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRecord {
    values: Vec<String>,
}

impl RawRecord {
    /// Returns an empty record.
    pub fn new() -> RawRecord {
        RawRecord {
            values: vec![String::new(); Field::COUNT],
        }
    }

    /// Returns the value of `field` ("" when absent).
    pub fn get(&self, field: Field) -> &str {
        self.values.get(field as usize).map_or("", String::as_str)
    }

    /// Sets `field`, trimming surrounding whitespace.
    pub fn set(&mut self, field: Field, value: &str) {
        if self.values.len() < Field::COUNT {
            self.values.resize(Field::COUNT, String::new());
        }
        self.values[field as usize] = value.trim().to_string();
    }

    /// Adds a value to `field`, after any it holds, separated by the field's
    /// [`Field::joiner`] (`;` for a field without one; blank values add nothing).
    pub fn append(&mut self, field: Field, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let joiner = field.joiner().unwrap_or(";");
        let joined = match self.get(field) {
            "" => value.to_string(),
            held => format!("{held}{joiner}{value}"),
        };
        self.set(field, &joined);
    }

    /// Builder form of [`RawRecord::set`].
    pub fn with(mut self, field: Field, value: &str) -> RawRecord {
        self.set(field, value);
        self
    }

    /// True when no field other than `record_id` and `source` holds a value.
    pub fn is_blank(&self) -> bool {
        Field::ALL
            .iter()
            .filter(|f| !matches!(f, Field::RecordId | Field::Source))
            .all(|f| self.get(*f).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_map_to_fields_case_insensitively() {
        assert_eq!(Field::from_header("Given_Name"), Some(Field::FirstName));
        assert_eq!(Field::from_header("SURNAME"), Some(Field::LastName));
        assert_eq!(Field::from_header("soc_sec_id"), Some(Field::Ssn));
        assert_eq!(Field::from_header("zip_code"), Some(Field::Zip));
        assert_eq!(Field::from_header("Email Address"), Some(Field::Email));
        assert_eq!(
            Field::from_header("\u{feff}record_id"),
            Some(Field::RecordId)
        );
        assert_eq!(Field::from_header("favourite_colour"), None);
        assert_eq!(Field::from_header("Phone 2"), Some(Field::OtherPhones));
        assert_eq!(Field::from_header("mail_return"), Some(Field::ReturnReason));
        assert_eq!(Field::from_header("bad_phone"), Some(Field::PhoneBad));
        assert_eq!(Field::from_header("line_type"), Some(Field::PhoneType));
        assert_eq!(Field::from_header("Drivers_License"), Some(Field::OtherId));
    }

    #[test]
    fn record_fields_are_every_field_but_the_debtor_row_marks() {
        let row_only: Vec<Field> = Field::ALL
            .into_iter()
            .filter(|f| !f.is_record_field())
            .collect();
        assert_eq!(
            row_only,
            vec![
                Field::OtherPhones,
                Field::ReturnReason,
                Field::PhoneBad,
                Field::OnFileDate
            ]
        );
    }

    #[test]
    fn canonical_names_round_trip() {
        for field in Field::ALL {
            assert_eq!(Field::from_header(field.name()), Some(field));
            assert_eq!(Field::from_name(field.name()), Some(field));
        }
    }
}
