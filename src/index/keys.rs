//! Blocking keys: the terms a normalized record (or query) is indexed and retrieved by. The same
//! function serves both sides, so a query finds records that share any key with it.

use super::schema::Fields;
use crate::normalize::{Date, NormalizedRecord, Ssn};

/// Calls `emit(field, term)` for every blocking key of `record`.
pub fn for_each_key(
    record: &NormalizedRecord,
    fields: &Fields,
    mut emit: impl FnMut(tantivy::schema::Field, &str),
) {
    let name = &record.name;
    if name.first.len() > 1 {
        emit(fields.first, &name.first);
        for formal in &name.first_formal {
            if *formal != name.first {
                emit(fields.first, formal);
            }
        }
    }
    if !name.first_phonetic.is_empty() && name.first.len() > 1 {
        emit(fields.phonetic, &format!("f:{}", name.first_phonetic));
    }
    let mut last_tokens = 0;
    for token in name.last_tokens() {
        emit(fields.last, token);
        last_tokens += 1;
    }
    if last_tokens > 1 {
        emit(fields.last, &name.last_joined());
    }
    for code in name.last_phonetic.iter().filter(|c| !c.is_empty()) {
        emit(fields.phonetic, &format!("l:{code}"));
    }
    if let Some(dob) = &record.dob {
        dob_keys(dob, fields, &mut emit);
    }
    if let Some(ssn) = &record.ssn {
        match ssn {
            Ssn::Full(digits) => {
                emit(fields.ssn, digits);
                emit(fields.ssn_part, &format!("f{}", &digits[..5]));
            }
            Ssn::Last4(_) => {}
        }
        emit(fields.ssn_part, &format!("l{}", ssn.last4()));
    }
    if let Some(address) = &record.address {
        if !address.zip5.is_empty() {
            emit(fields.zip, &address.zip5);
        }
        if let Some(street) = address.street_key() {
            emit(fields.street, &street);
        }
    }
    if let Some(phone) = &record.phone {
        emit(fields.phone, phone);
    }
    if let Some(email) = &record.email {
        emit(fields.email, email);
    }
}

fn dob_keys(dob: &Date, fields: &Fields, emit: &mut impl FnMut(tantivy::schema::Field, &str)) {
    if !dob.is_full() {
        return;
    }
    emit(fields.dob, &dob.compact());
    emit(
        fields.dob_part,
        &format!("ym{:04}{:02}", dob.year, dob.month),
    );
    emit(
        fields.dob_part,
        &format!("md{:02}{:02}", dob.month, dob.day),
    );
    emit(fields.dob_part, &format!("yd{:04}{:02}", dob.year, dob.day));
}

/// Extra DOB keys a query adds so a record with day and month swapped is still retrieved.
pub fn swapped_dob_keys(
    dob: &Date,
    fields: &Fields,
    mut emit: impl FnMut(tantivy::schema::Field, &str),
) {
    if dob.is_full() && dob.day <= 12 && dob.day != dob.month {
        emit(
            fields.dob_part,
            &format!("md{:02}{:02}", dob.day, dob.month),
        );
    }
}
