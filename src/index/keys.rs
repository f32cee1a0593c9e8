//! Blocking keys: the terms a normalized record (or query) is indexed and retrieved by. The same
//! function serves both sides, so a query finds records that share any key with it.

use super::schema::Fields;
use crate::normalize::{Date, NormalizedRecord, Ssn};

/// What a blocking key stands for, so that a search can choose the keys it retrieves by (see
/// [`crate::retrieve`]) without reading the keys' spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyKind {
    /// A given name alone, as written or a formal name it may stand for.
    GivenName,
    /// A given name's phonetic code alone.
    GivenNameCode,
    /// A surname token, or the joined surname.
    Surname,
    /// A surname token's phonetic code alone.
    SurnameCode,
    /// The given name as written paired with a surname token or the birth year, or its code
    /// paired with a surname's code.
    NamePair,
    /// A formal name the given name may stand for, paired with a surname token or the birth
    /// year.
    FormalNamePair,
    /// The full DOB.
    Dob,
    /// Two of the DOB's three parts (year and month, month and day, year and day).
    DobPart,
    /// The full SSN.
    Ssn,
    /// The SSN's first five or last four digits.
    SsnPart,
    /// Another personal identifier.
    OtherId,
    /// The ZIP5.
    Zip,
    /// House number and street name.
    Street,
    /// The 10-digit phone.
    Phone,
    /// The canonical email.
    Email,
}

/// Calls `emit(field, term, kind)` for every blocking key of `record`.
pub fn for_each_key(
    record: &NormalizedRecord,
    fields: &Fields,
    mut emit: impl FnMut(tantivy::schema::Field, &str, KeyKind),
) {
    let mut key = String::new();
    let name = &record.name;
    if name.first.len() > 1 {
        emit(fields.first, &name.first, KeyKind::GivenName);
        for formal in &name.first_formal {
            if *formal != name.first {
                emit(fields.first, formal, KeyKind::GivenName);
            }
        }
    }
    if !name.first_phonetic.is_empty() && name.first.len() > 1 {
        emit(
            fields.phonetic,
            formatted(&mut key, format_args!("f:{}", name.first_phonetic)),
            KeyKind::GivenNameCode,
        );
    }
    let mut last_tokens = 0;
    for token in name.last_tokens() {
        emit(fields.last, token, KeyKind::Surname);
        last_tokens += 1;
    }
    if last_tokens > 1 {
        emit(fields.last, &name.last_joined(), KeyKind::Surname);
    }
    for code in name.last_phonetic.iter().filter(|c| !c.is_empty()) {
        emit(
            fields.phonetic,
            formatted(&mut key, format_args!("l:{code}")),
            KeyKind::SurnameCode,
        );
    }
    name_pair_keys(record, fields, &mut emit);
    if let Some(dob) = &record.dob {
        dob_keys(dob, fields, &mut emit);
    }
    if let Some(ssn) = &record.ssn {
        match ssn {
            Ssn::Full(digits) => {
                emit(fields.ssn, digits, KeyKind::Ssn);
                emit(
                    fields.ssn_part,
                    formatted(&mut key, format_args!("f{}", &digits[..5])),
                    KeyKind::SsnPart,
                );
            }
            Ssn::Last4(_) => {}
        }
        emit(
            fields.ssn_part,
            formatted(&mut key, format_args!("l{}", ssn.last4())),
            KeyKind::SsnPart,
        );
    }
    if let Some(other_id) = &record.other_id {
        emit(fields.other_id, other_id, KeyKind::OtherId);
    }
    if let Some(address) = &record.address {
        if !address.zip5.is_empty() {
            emit(fields.zip, &address.zip5, KeyKind::Zip);
        }
        if let Some(street) = address.street_key() {
            emit(fields.street, &street, KeyKind::Street);
        }
    }
    if let Some(phone) = &record.phone {
        emit(fields.phone, phone, KeyKind::Phone);
    }
    if let Some(email) = &record.email {
        emit(fields.email, email, KeyKind::Email);
    }
}

/// Given name (each form: as written and every formal name it may stand for) paired with each
/// surname token and with the birth year; given-name code paired with each surname code.
fn name_pair_keys(
    record: &NormalizedRecord,
    fields: &Fields,
    emit: &mut impl FnMut(tantivy::schema::Field, &str, KeyKind),
) {
    let mut key = String::new();
    let name = &record.name;
    if name.first.len() > 1 {
        let year = record.dob.filter(Date::is_full).map(|d| d.year);
        let forms = std::iter::once((&name.first, KeyKind::NamePair)).chain(
            name.first_formal
                .iter()
                .filter(|f| **f != name.first)
                .map(|f| (f, KeyKind::FormalNamePair)),
        );
        for (form, kind) in forms {
            for token in name.last_tokens() {
                emit(
                    fields.name_pair,
                    formatted(&mut key, format_args!("{form}|{token}")),
                    kind,
                );
            }
            if let Some(year) = year {
                emit(
                    fields.name_pair,
                    formatted(&mut key, format_args!("{form}|{year:04}")),
                    kind,
                );
            }
        }
    }
    if !name.first_phonetic.is_empty() && name.first.len() > 1 {
        for code in name.last_phonetic.iter().filter(|c| !c.is_empty()) {
            emit(
                fields.name_pair,
                formatted(&mut key, format_args!("p:{}|{code}", name.first_phonetic)),
                KeyKind::NamePair,
            );
        }
    }
}

fn dob_keys(
    dob: &Date,
    fields: &Fields,
    emit: &mut impl FnMut(tantivy::schema::Field, &str, KeyKind),
) {
    if !dob.is_full() {
        return;
    }
    let mut key = String::new();
    emit(fields.dob, &dob.compact(), KeyKind::Dob);
    emit(
        fields.dob_part,
        formatted(&mut key, format_args!("ym{:04}{:02}", dob.year, dob.month)),
        KeyKind::DobPart,
    );
    emit(
        fields.dob_part,
        formatted(&mut key, format_args!("md{:02}{:02}", dob.month, dob.day)),
        KeyKind::DobPart,
    );
    emit(
        fields.dob_part,
        formatted(&mut key, format_args!("yd{:04}{:02}", dob.year, dob.day)),
        KeyKind::DobPart,
    );
}

/// Extra DOB-part keys a query adds so a record with day and month swapped is still retrieved
/// by training's DOB round (the engine's first pass leaves DOB parts out).
pub fn swapped_dob_keys(
    dob: &Date,
    fields: &Fields,
    mut emit: impl FnMut(tantivy::schema::Field, &str, KeyKind),
) {
    let mut key = String::new();
    if dob.is_full() && dob.day <= 12 && dob.day != dob.month {
        emit(
            fields.dob_part,
            formatted(&mut key, format_args!("md{:02}{:02}", dob.day, dob.month)),
            KeyKind::DobPart,
        );
    }
}

/// Formats a key into `buffer`, reused across a record's keys so that building a key does not
/// allocate.
fn formatted<'a>(buffer: &'a mut String, args: std::fmt::Arguments<'_>) -> &'a str {
    use std::fmt::Write;
    buffer.clear();
    // Writing to a String cannot fail.
    let _ = buffer.write_fmt(args);
    buffer
}
