//! Data the generator did not write: another identifier mapped to `other_id`, a creditor's typo
//! in a given name, a namesake born a digit apart, and the layouts clients send (an SSN in two
//! columns, a street split into columns), through the real binary.

use crate::util::{column, read_table, run_ok, write};

const RECORDS: &str = "\
rec_id,source,given_name,surname,date_of_birth,national_id,ssn,street,postcode
r1,credit_header,Michaela,Neumann,1951-11-11,5304218,,8 Stanley St,42230
r2,credit_header,Courtney,Painter,1961-12-14,4066625,,12 Pinkerton Cir,45600
r3,credit_header,Thomas,Whitfield,1972-03-09,,,40 Lake Shore Dr,60611
r4,credit_header,Robert,Quimby,1951-04-02,,123-45-6789,7 Oak Ave,62704
";

/// Re-matches `queries` against the records above and returns each row's status, record and
/// explanation.
fn rematch(queries: &str) -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", RECORDS);
    write(dir.path(), "queries.csv", queries);
    run_ok(
        dir.path(),
        &[
            "index",
            "--index",
            "idx",
            "--map",
            "record_id=rec_id",
            "records.csv",
        ],
    );
    run_ok(
        dir.path(),
        &[
            "rematch",
            "--index",
            "idx",
            "--id-column",
            "account",
            "--out",
            "out.csv",
            "queries.csv",
        ],
    );
    let out = read_table(&dir.path().join("out.csv"));
    out.1
        .iter()
        .map(|row| {
            (
                row[column(&out, "match_status")].clone(),
                row[column(&out, "match_record_id")].clone(),
                row[column(&out, "explanation")].clone(),
            )
        })
        .collect()
}

#[test]
fn another_identifier_finds_and_vouches_for_the_debtor() {
    let rows = rematch(
        "account,given_name,surname,date_of_birth,national_id\n\
         a1,Micheala,,1951-11-11,5304218\n\
         a2,Courtney,Painter,1961-12-14,5304218\n",
    );
    let (status, record, explanation) = &rows[0];
    assert_eq!(
        (status.as_str(), record.as_str()),
        ("matched", "r1"),
        "{explanation}"
    );
    assert!(explanation.contains("other_id=exact"), "{explanation}");
    let (status, record, explanation) = &rows[1];
    assert_eq!(
        (status.as_str(), record.as_str()),
        ("matched", "r2"),
        "an id that differs weighs against her but bars nothing (a driver's licence changes \
         with the state): {explanation}"
    );
    assert!(explanation.contains("other_id=different"), "{explanation}");
}

#[test]
fn a_typo_in_the_given_name_is_resolved_by_an_identifier_beyond_the_household() {
    let rows = rematch(
        "account,given_name,surname,date_of_birth,national_id,street,postcode\n\
         a1,Vourtney,Painter,1961-12-14,4066625,,\n\
         a2,Vourtney,Painter,1961-12-14,,12 Pinkerton Cir,45600\n",
    );
    let (status, record, explanation) = &rows[0];
    assert_eq!(
        (status.as_str(), record.as_str()),
        ("matched", "r2"),
        "{explanation}"
    );
    assert!(explanation.contains("first_name=typo"), "{explanation}");
    let (status, _, explanation) = &rows[1];
    assert_eq!(
        status, "review",
        "surname, DOB and address are a twin's too: {explanation}"
    );
}

#[test]
fn a_namesake_born_a_digit_apart_is_left_for_review() {
    let rows = rematch(
        "account,given_name,surname,date_of_birth\n\
         a1,Thomas,Whitfield,1972-03-08\n\
         a2,Thomas,Whitfield,1972-03-09\n",
    );
    let (status, record, explanation) = &rows[0];
    assert_eq!(
        (status.as_str(), record.as_str()),
        ("review", "r3"),
        "a DOB a digit off corroborates nothing: {explanation}"
    );
    assert_eq!(rows[1].0, "matched", "the exact DOB does: {}", rows[1].2);
}

#[test]
fn a_full_ssn_beside_an_empty_last_4_column_is_read() {
    // The son, Robert Quimby Jr at his father's address: only his own SSN tells them apart.
    let rows = rematch(
        "account,given_name,surname,ssn_last4,ssn,street,postcode\n\
         a1,Robert,Quimby,,234-56-7890,7 Oak Ave,62704\n\
         a2,Robert,Quimby,,123-45-6789,7 Oak Ave,62704\n",
    );
    let (status, _, explanation) = &rows[0];
    assert_ne!(
        status, "matched",
        "a different SSN in the second column is not ignored: {explanation}"
    );
    assert!(explanation.contains("ssn=different"), "{explanation}");
    assert_eq!(
        (rows[1].0.as_str(), rows[1].1.as_str()),
        ("matched", "r4"),
        "{}",
        rows[1].2
    );
}

#[test]
fn a_street_split_into_columns_is_assembled() {
    let rows = rematch(
        "account,given_name,surname,street_number,street_name,street_type,postcode\n\
         a1,Thomas,Whitfield,40,Lake Shore,Dr,60611\n",
    );
    let (status, record, explanation) = &rows[0];
    assert_eq!(
        (status.as_str(), record.as_str()),
        ("matched", "r3"),
        "{explanation}"
    );
    assert!(explanation.contains("address=exact"), "{explanation}");
}
