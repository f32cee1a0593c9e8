//! `skiptrace rematch` on a generated population (checked against its truth), on a hand-written
//! messy file, and across a simulated kill and `--resume`.

use std::collections::HashMap;
use std::path::Path;

use skiptrace::normalize::Address;

use crate::util::{column, read_table, run, run_ok, synth_and_index, write};

fn rematch(dir: &Path, out: &str, input: &str, extra: &[&str]) -> String {
    let mut args = vec!["rematch", "--index", "idx", "--out", out];
    args.extend_from_slice(extra);
    args.push(input);
    let output = run(dir, &args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "rematch failed: {stderr}");
    stderr
}

#[test]
fn rematch_keeps_every_row_and_matches_the_right_person() {
    let dir = tempfile::tempdir().expect("temp dir");
    synth_and_index(dir.path());
    let stderr = rematch(dir.path(), "out.csv", "gen/returned_mail.csv", &[]);
    let input = read_table(&dir.path().join("gen/returned_mail.csv"));
    let output = read_table(&dir.path().join("out.csv"));
    let n = input.1.len();
    assert!(n > 200, "the population has debtors");
    assert!(
        stderr.contains(&format!("rows in = {n}, rows out = {n}")),
        "{stderr}"
    );

    // Every row, in order, input columns unchanged and first.
    assert_eq!(output.1.len(), n);
    assert_eq!(&output.0[..input.0.len()], &input.0[..]);
    assert_eq!(
        &output.0[input.0.len()..],
        &skiptrace::bulk::OUTPUT_COLUMNS.map(str::to_string)[..]
    );
    for (row_in, row_out) in input.1.iter().zip(&output.1) {
        assert_eq!(&row_out[..row_in.len()], &row_in[..]);
    }

    let debtors = read_table(&dir.path().join("gen/truth/debtors.csv"));
    let truth: HashMap<&str, &Vec<String>> = debtors
        .1
        .iter()
        .map(|row| (row[column(&debtors, "account_id")].as_str(), row))
        .collect();
    let records = read_table(&dir.path().join("gen/truth/records.csv"));
    let owner: HashMap<&str, &str> = records
        .1
        .iter()
        .map(|row| (row[0].as_str(), row[1].as_str()))
        .collect();
    let at = |row: &Vec<String>, name: &str| row[column(&output, name)].clone();
    let truth_at = |row: &Vec<String>, name: &str| row[column(&debtors, name)].clone();

    let mut matched = 0;
    let mut matched_right = 0;
    let mut absent = 0;
    let mut absent_not_matched = 0;
    let mut movers = 0;
    let mut movers_found = 0;
    let mut stayers = 0;
    let mut stayers_found = 0;
    let mut confirmed = 0;
    let mut confirmed_right = 0;
    let mut codes: HashMap<String, usize> = HashMap::new();
    for row in &output.1 {
        let code = at(row, "outcome_code");
        assert_eq!(code, expected_outcome(&at, row), "{row:?}");
        *codes.entry(code).or_default() += 1;
        let debtor = truth[at(row, "account_id").as_str()];
        let status = at(row, "match_status");
        assert!(
            ["matched", "review", "no_match"].contains(&status.as_str()),
            "{status}: {}",
            at(row, "error")
        );
        if status == "matched" {
            matched += 1;
            let person = owner.get(at(row, "match_record_id").as_str()).copied();
            if person == Some(truth_at(debtor, "person_id").as_str()) {
                matched_right += 1;
            }
            let score: f64 = at(row, "match_score").parse().expect("a score");
            assert!((0.0..=1.0).contains(&score));
            let found = at(row, "best_address_line1") == truth_at(debtor, "current_address_line1")
                && at(row, "best_address_line2") == truth_at(debtor, "current_address_line2");
            if truth_at(debtor, "moved") == "true" {
                movers += 1;
                movers_found += usize::from(found);
            } else {
                stayers += 1;
                stayers_found += usize::from(found);
            }
            if at(row, "best_address_status") == "confirmed" {
                confirmed += 1;
                confirmed_right += usize::from(found);
            }
        }
        if truth_at(debtor, "in_sources") == "false" {
            absent += 1;
            if status != "matched" {
                absent_not_matched += 1;
            }
        }
        if status != "matched" {
            for column in ["best_address_line1", "best_phone", "best_email"] {
                assert_eq!(at(row, column), "", "no contact without a match: {row:?}");
            }
        }

        // `new` is never the row's own address; `confirmed` is exactly it; an address the file
        // marks with a return reason is never confirmed.
        let (own, _) = Address::parse(
            &at(row, "address_line1"),
            &at(row, "address_line2"),
            &at(row, "city"),
            &at(row, "state"),
            &at(row, "zip"),
        );
        let best_is_own = at(row, "best_address_line1") == own.line1()
            && at(row, "best_address_line2") == own.line2()
            && at(row, "best_zip") == own.zip5;
        match at(row, "best_address_status").as_str() {
            "new" => assert!(
                !best_is_own,
                "the row's own address offered as new: {row:?}"
            ),
            "confirmed" => {
                assert!(best_is_own, "confirmed but not the row's own: {row:?}");
                assert_eq!(
                    at(row, "return_reason"),
                    "",
                    "a returned address confirmed: {row:?}"
                );
            }
            "corrected" => assert!(!best_is_own, "corrected to itself: {row:?}"),
            "" => assert_eq!(at(row, "best_address_line1"), ""),
            other => panic!("unknown status {other}"),
        }
    }
    // The summary counts rows per code as the file has them; a population has every kind of
    // matched row.
    for (code, rows) in &codes {
        assert!(
            stderr.contains(&format!("{code} {rows}")),
            "{code}: {stderr}"
        );
    }
    for code in [
        "new_address_and_phone",
        "new_address",
        "new_phone",
        "confirmed_on_file",
        "no_match",
    ] {
        assert!(codes.contains_key(code), "no {code} row: {codes:?}");
    }
    assert!(matched > 100, "{matched} matched");
    let precision = f64::from(matched_right) / f64::from(matched);
    assert!(precision >= 0.97, "precision {precision}");
    assert!(absent > 0);
    let absent_rate = f64::from(absent_not_matched) / f64::from(absent);
    assert!(
        absent_rate >= 0.97,
        "absent debtors not matched {absent_rate}"
    );
    assert!(movers > 0 && stayers > 0);
    assert!(
        movers_found * 2 > movers,
        "movers offered their current address: {movers_found} of {movers}"
    );
    assert!(
        stayers_found * 2 > stayers,
        "debtors who did not move offered their current address: {stayers_found} of {stayers}"
    );
    assert!(confirmed > 0);
    assert!(
        confirmed_right * 100 >= confirmed * 95,
        "confirmed addresses where the debtor lives: {confirmed_right} of {confirmed}"
    );
}

/// The outcome code a row must carry, from its status and its best contacts' statuses (the
/// README's table).
fn expected_outcome(at: &dyn Fn(&Vec<String>, &str) -> String, row: &Vec<String>) -> String {
    let status = at(row, "match_status");
    if status != "matched" {
        return status;
    }
    let address = at(row, "best_address_status");
    let phone = at(row, "best_phone_status");
    let on_file = |s: &str| s == "confirmed" || s == "corrected";
    match (address == "new", phone == "new") {
        (true, true) => "new_address_and_phone",
        (true, false) => "new_address",
        (false, true) => "new_phone",
        _ if on_file(&address) || on_file(&phone) => "confirmed_on_file",
        _ => "matched_no_new_contact",
    }
    .to_string()
}

const RECORDS: &str = "record_id,source,first_name,last_name,dob,ssn,address_line1,address_line2,city,state,zip,phone,last_seen
r1,credit_header,Dmitri,Kowalczyk,1984-05-12,123-45-6789,12 Main St,,Springfield,IL,62704,,2019-05-01
r2,credit_header,Dmitri,Kowalczyk,05/12/1984,123456789,98 Oak Avenue,Apt 4,Chicago,IL,60601,,2026-05-01
r3,utility,Dmitri,Kowalczyk,,,98 OAK AVE #4,,Chicago,IL,60601-1234,(312) 555-0188,2026-04-01
";

/// Five debtors, one per rule of the best-contact contract: each has their own records.
const BEST_CONTACT_RECORDS: &str = "record_id,source,first_name,last_name,dob,ssn,address_line1,address_line2,city,state,zip,phone,phone_type,first_seen,last_seen
a1,credit_header,Ann,Quimby,1971-03-09,123-45-6701,12 Elm St,,Springfield,IL,62704,3125550101,,2015-01-01,2026-06-10
a2,utility,Ann,Quimby,1971-03-09,,12 ELM STREET,,Springfield,IL,62704,3125550101,mobile,2016-01-01,2026-05-20
a3,public_records,Ann,Quimby,1971-03-09,123-45-6701,98 Oak Ave,,Chicago,IL,60601,3125550199,landline,2010-01-01,2014-02-01
b1,credit_header,Bela,Lugosi,1982-10-20,123-45-6702,40 Lake Shore Dr,Apt 12,Chicago,IL,60611,,,2019-01-01,2026-06-01
b2,utility,Bela,Lugosi,1982-10-20,,40 Lake Shore Drive,Apt 12,Chicago,IL,60611,,,2019-02-01,2026-05-01
c1,credit_header,Cleo,Fairbanks,1990-07-04,123-45-6703,7 Pine Rd,,Austin,TX,78701,,,2018-01-01,2026-06-01
c2,credit_header,Cleo,Fairbanks,1990-07-04,123-45-6703,300 Congress Ave,,Austin,TX,78701,,,2012-01-01,2017-12-01
d1,credit_header,Dov,Grunberg,1965-02-14,123-45-6704,15 Birch Ln,,Denver,CO,80202,7205550104,mobile,2024-02-01,2026-06-30
d2,credit_header,Dov,Grunberg,1965-02-14,123-45-6704,880 Colfax Ave,,Denver,CO,80203,7205550144,landline,2016-01-01,2026-06-30
d3,utility,Dov,Grunberg,1965-02-14,,880 Colfax Ave,,Denver,CO,80203,,,2016-03-01,2026-06-30
e1,credit_header,Esme,Hollis,1979-12-01,123-45-6705,22 Maple Ct,,Boise,ID,83702,2085550105,mobile,2017-01-01,2026-06-20
e2,phone_directory,Esme,Hollis,1979-12-01,,22 Maple Ct,,Boise,ID,83702,2085550155,,2012-01-01,2019-03-01
";

#[test]
fn each_row_gets_its_best_contacts_new_confirmed_or_corrected_never_a_bad_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", BEST_CONTACT_RECORDS);
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    let file = "account_id,first_name,last_name,dob,ssn,address_line1,address_line2,city,state,zip,phone,cell,mail_return,open_date
A,Ann,Quimby,1971-03-09,123-45-6701,12 Elm St,,Springfield,IL,62704,312-555-0199,312-555-0101,,2020-01-01
B,Bela,Lugosi,1982-10-20,123-45-6702,40 Lake Shore Dr,,Chicago,IL,60611,,,INSUFFICIENT ADDRESS,2021-01-01
C,Cleo,Fairbanks,1990-07-04,123-45-6703,7 Pine Rd,,Austin,TX,78701,,,ATTEMPTED NOT KNOWN,2019-01-01
D,Dov,Grunberg,1965-02-14,123-45-6704,99 Old Mill Rd,,Denver,CO,80202,,,MOVED LEFT NO ADDRESS,2015-01-01
E,Esme,Hollis,1979-12-01,123-45-6705,22 Maple Ct,,Boise,ID,83702,208-555-0155,,,2016-01-01
";
    write(dir.path(), "returned.csv", file);
    rematch(dir.path(), "out.csv", "returned.csv", &[]);
    let output = read_table(&dir.path().join("out.csv"));
    let at = |i: usize, name: &str| output.1[i][column(&output, name)].clone();
    for i in 0..5 {
        assert_eq!(
            at(i, "match_status"),
            "matched",
            "row {i}: {:?}",
            output.1[i]
        );
    }

    // A: the address on file is still the newest evidence: confirmed, not an older one as new.
    // Both phones are the row's own; the one a source saw this year is confirmed, the one last
    // seen in 2014 is not offered.
    assert_eq!(at(0, "best_address_line1"), "12 ELM ST");
    assert_eq!(at(0, "best_address_status"), "confirmed");
    assert_eq!(at(0, "best_phone"), "(312) 555-0101");
    assert_eq!(at(0, "best_phone_status"), "confirmed");

    // B: "insufficient address" and the records know the unit: the same home, corrected.
    assert_eq!(at(1, "best_address_line1"), "40 LAKE SHORE DR");
    assert_eq!(at(1, "best_address_line2"), "APT 12");
    assert_eq!(at(1, "best_address_status"), "corrected");

    // C: the address on file came back; it is never confirmed, and the only other home is one
    // the debtor left before: nothing is offered.
    assert_eq!(at(2, "best_address_status"), "", "{:?}", output.1[2]);
    assert_eq!(at(2, "best_address_line1"), "");

    // D: a credit header stamps both homes with its report date; the one first reported most
    // recently is the new home, whatever the number of sources still reporting the other.
    assert_eq!(at(3, "best_address_line1"), "15 BIRCH LN");
    assert_eq!(at(3, "best_address_status"), "new");
    assert_eq!(
        at(3, "best_phone"),
        "(720) 555-0104",
        "the mobile before the landline"
    );

    // E: the phone on file was last seen in 2019; a mobile seen this year is better: new.
    assert_eq!(at(4, "best_phone"), "(208) 555-0105");
    assert_eq!(at(4, "best_phone_status"), "new");
    assert_eq!(at(4, "best_address_status"), "confirmed");

    // One code per row for the collection system: what the row brings the account.
    let codes: Vec<String> = (0..5).map(|i| at(i, "outcome_code")).collect();
    assert_eq!(
        codes[0], "confirmed_on_file",
        "A: both of the row's own confirmed"
    );
    assert_eq!(codes[1], "confirmed_on_file", "B: its address corrected");
    assert_eq!(codes[3], "new_address_and_phone", "D");
    assert_eq!(
        codes[4], "new_phone",
        "E: a new phone, the address confirmed"
    );

    // Several ranked contacts on request: the best first with its status, then the others.
    rematch(
        dir.path(),
        "ranked.csv",
        "returned.csv",
        &["--contacts", "2"],
    );
    let ranked = read_table(&dir.path().join("ranked.csv"));
    let at = |i: usize, name: &str| ranked.1[i][column(&ranked, name)].clone();
    assert_eq!(
        &ranked.0[ranked.0.len() - 16..ranked.0.len() - 12],
        [
            "address_1",
            "address_1_status",
            "address_1_confidence",
            "address_1_last_seen"
        ]
    );
    assert!(
        at(3, "address_1").starts_with("15 BIRCH LN"),
        "{}",
        at(3, "address_1")
    );
    assert_eq!(at(3, "address_1_status"), "new");
    assert!(
        at(3, "address_2").starts_with("880 COLFAX AVE"),
        "{}",
        at(3, "address_2")
    );
    assert_eq!(
        at(3, "address_2_status"),
        "",
        "only the best carries a status"
    );
    assert_eq!(at(3, "phone_1"), "(720) 555-0104");
    assert_eq!(at(3, "phone_2"), "(720) 555-0144");
    assert_eq!(at(3, "phone_2_last_seen"), "2026-06-30");
    assert_eq!(at(0, "phone_1_status"), "confirmed");
}

#[test]
fn messy_rows_each_come_back_with_a_status_and_their_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", RECORDS);
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    let mut messy = Vec::new();
    messy.extend_from_slice(b"acct;first_name;last_name;dob;ssn;address_line1;zip\n");
    messy.extend_from_slice(b"A1;Dmitri;Kowalczyk;1984-05-12;123-45-6789;12 Main St;62704\n");
    messy.extend_from_slice(b"A2;Jos\xe9;Kowalczyk;1984-05-12;123-45-6789;12 Main St;62704\n");
    messy.extend_from_slice(b"A3;Dmitri\n");
    messy.extend_from_slice(b"A4;Dmitri;Kowalczyk;31/31/31;123-45-6789;12 Main St;62704\n");
    messy.extend_from_slice(b";;;;;;\n");
    std::fs::write(dir.path().join("messy.csv"), &messy).expect("write messy file");
    let stderr = rematch(dir.path(), "out.csv", "messy.csv", &[]);
    assert!(stderr.contains("rows in = 5, rows out = 5"), "{stderr}");
    assert!(
        stderr.contains("input encoding: windows-1252 (detected)"),
        "a byte that is not UTF-8 makes the file Windows-1252: {stderr}"
    );

    let output = read_table(&dir.path().join("out.csv"));
    assert_eq!(output.1.len(), 5);
    let at = |i: usize, name: &str| output.1[i][column(&output, name)].clone();
    let ids: Vec<String> = (0..5).map(|i| at(i, "acct")).collect();
    assert_eq!(ids, ["A1", "A2", "A3", "A4", ""]);

    assert_eq!(at(0, "match_status"), "matched");
    assert_eq!(at(0, "outcome_code"), "new_address_and_phone");
    assert_eq!(at(2, "outcome_code"), "error");
    assert_eq!(at(0, "best_address_line1"), "98 OAK AVE");
    assert_eq!(at(0, "best_address_status"), "new");
    assert_eq!(at(0, "best_phone"), "(312) 555-0188");
    assert_eq!(at(0, "best_phone_status"), "new");
    assert_eq!(at(0, "error"), "");

    assert_ne!(
        at(1, "match_status"),
        "error",
        "the accented row is searched"
    );
    assert_eq!(at(1, "error"), "");
    assert_eq!(
        at(1, "first_name"),
        "José",
        "decoded, and written back as UTF-8"
    );

    assert_eq!(at(2, "match_status"), "error");
    assert!(at(2, "error").contains("columns"), "{}", at(2, "error"));

    assert!(
        ["matched", "review"].contains(&at(3, "match_status").as_str()),
        "a junk DOB leaves the rest usable: {:?}",
        output.1[3]
    );
    assert!(at(3, "error").starts_with("dob:"), "{}", at(3, "error"));
    assert!(!at(3, "error").contains("31/31/31"), "DOB masked");

    assert_eq!(at(4, "match_status"), "error");
    assert!(
        at(4, "error").contains("unusable query"),
        "{}",
        at(4, "error")
    );
}

/// Accented names in the encodings agencies export: every row of a Windows-1252 file and of a
/// UTF-16 ("Unicode text") file is searched and found, and `--encoding` overrides detection.
#[test]
fn files_in_windows_1252_and_utf16_are_read_whole_and_searched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let people = [
        ("N1", "José", "Núñez", "1970-03-04", "62704"),
        ("N2", "Renée", "Françoise", "1981-07-19", "60601"),
        ("N3", "Zoë", "Müller", "1992-11-02", "73301"),
    ];
    let mut records = String::from("record_id,source,first_name,last_name,dob,zip\n");
    for (id, first, last, dob, zip) in people {
        records.push_str(&format!("{id},credit_header,{first},{last},{dob},{zip}\n"));
    }
    write(dir.path(), "accented.csv", &records);
    run_ok(dir.path(), &["index", "--index", "idx", "accented.csv"]);
    let mut mail = String::from("account_id,first_name,last_name,dob,zip\n");
    for (n, (_, first, last, dob, zip)) in people.iter().enumerate() {
        mail.push_str(&format!("A{n},{first},{last},{dob},{zip}\n"));
    }
    let (cp1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&mail);
    assert!(!unmappable);
    std::fs::write(dir.path().join("cp1252.csv"), &cp1252).expect("write");
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(mail.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.path().join("utf16.csv"), &utf16).expect("write");

    for (file, said) in [
        ("cp1252.csv", "windows-1252 (detected)"),
        ("utf16.csv", "utf-16le (byte-order mark)"),
    ] {
        let out = format!("{file}.out.csv");
        let stderr = rematch(dir.path(), &out, file, &[]);
        assert!(
            stderr.contains(&format!("input encoding: {said}")),
            "{stderr}"
        );
        let output = read_table(&dir.path().join(&out));
        assert_eq!(output.1.len(), people.len());
        for (row, (id, first, ..)) in output.1.iter().zip(people) {
            assert_eq!(row[column(&output, "first_name")], first, "{file}");
            assert_eq!(
                row[column(&output, "match_status")],
                "matched",
                "{file}: {row:?}"
            );
            assert_eq!(row[column(&output, "match_record_id")], id, "{file}");
        }
    }

    // The summary as JSON, for scripts: the encoding and the rows per outcome code.
    let json = run_ok(
        dir.path(),
        &[
            "rematch",
            "--index",
            "idx",
            "--json",
            "--out",
            "j.csv",
            "cp1252.csv",
        ],
    );
    let summary: serde_json::Value = serde_json::from_str(&json).expect("a JSON summary");
    assert_eq!(summary["input_encoding"], "windows-1252 (detected)");
    assert_eq!(summary["rows_out"], people.len());
    let coded: u64 = summary["outcomes"]
        .as_object()
        .expect("outcomes by code")
        .values()
        .filter_map(serde_json::Value::as_u64)
        .sum();
    assert_eq!(coded, people.len() as u64);

    // Read as UTF-8 against its bytes, the Windows-1252 file still loses no row, and says so.
    let stderr = rematch(
        dir.path(),
        "forced.csv",
        "cp1252.csv",
        &["--encoding", "utf-8"],
    );
    assert!(stderr.contains("input encoding: utf-8 (given)"), "{stderr}");
    assert!(stderr.contains("read as Windows-1252"), "{stderr}");
    assert_eq!(
        read_table(&dir.path().join("forced.csv")).1.len(),
        people.len()
    );
    let refused = run(
        dir.path(),
        &[
            "rematch",
            "--index",
            "idx",
            "--encoding",
            "klingon",
            "--out",
            "x.csv",
            "cp1252.csv",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown encoding"));
}

/// A file that is all errors fails the run (exit 2) after writing every row; `--max-errors`
/// stops a broken file early with the rows before kept; an `index` run that rejects every row
/// fails too.
#[test]
fn a_file_of_errors_fails_the_run_and_max_errors_stops_it_early() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", RECORDS);
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    let mut junk = String::from("account_id,first_name,last_name,colour\n");
    for n in 0..3000 {
        junk.push_str(&format!("A{n},,,blue\n"));
    }
    write(dir.path(), "junk.csv", &junk);
    let all_errors = run(
        dir.path(),
        &[
            "rematch",
            "--index",
            "idx",
            "--out",
            "junk.out.csv",
            "junk.csv",
        ],
    );
    assert_eq!(all_errors.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&all_errors.stderr);
    assert!(
        stderr.contains("every one of the 3000 rows is an error"),
        "{stderr}"
    );
    assert_eq!(read_table(&dir.path().join("junk.out.csv")).1.len(), 3000);

    let stopped = run(
        dir.path(),
        &[
            "rematch",
            "--index",
            "idx",
            "--max-errors",
            "10",
            "--out",
            "early.csv",
            "junk.csv",
        ],
    );
    assert_eq!(stopped.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&stopped.stderr);
    assert!(stderr.contains("--max-errors 10"), "{stderr}");
    assert!(stderr.contains("The first: row 1:"), "{stderr}");
    let written = read_table(&dir.path().join("early.csv")).1.len();
    assert!(
        written < 3000,
        "stopped after the first batch, {written} rows written"
    );

    write(dir.path(), "unusable.csv", "colour,size\nblue,9\nred,10\n");
    let rejected = run(dir.path(), &["index", "--index", "idx", "unusable.csv"]);
    assert_eq!(rejected.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&rejected.stderr).contains("every one of the 2 rows was rejected"),
        "{}",
        String::from_utf8_lossy(&rejected.stderr)
    );
}

#[test]
fn json_lines_input_comes_out_as_csv_with_its_keys_as_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", RECORDS);
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    write(
        dir.path(),
        "debtors.jsonl",
        "{\"account_id\":\"J1\",\"first_name\":\"Dmitri\",\"last_name\":\"Kowalczyk\",\"ssn\":\"123-45-6789\",\"zip\":62704}\nnot json\n",
    );
    rematch(dir.path(), "out.csv", "debtors.jsonl", &[]);
    let output = read_table(&dir.path().join("out.csv"));
    assert_eq!(
        &output.0[..5],
        &["account_id", "first_name", "last_name", "ssn", "zip"].map(str::to_string)[..]
    );
    assert_eq!(output.1.len(), 2);
    assert_eq!(output.1[0][4], "62704");
    assert_eq!(output.1[0][column(&output, "match_status")], "matched");
    assert_eq!(output.1[1][column(&output, "match_status")], "error");
}

#[test]
fn resume_after_a_kill_gives_the_same_file_as_an_uninterrupted_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    synth_and_index(dir.path());
    // Small batches, so the kill point and the resume cross batch boundaries.
    let batches = ["--batch-rows", "64"];
    rematch(dir.path(), "full.csv", "gen/returned_mail.csv", &batches);
    let full = std::fs::read(dir.path().join("full.csv")).expect("read full output");

    // A kill after the header and K rows, in the middle of row K + 1.
    let keep_rows = 100;
    let line_ends: Vec<usize> = full
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    let complete = line_ends[keep_rows];
    let half_line = (line_ends[keep_rows + 1] - complete) / 2;
    std::fs::write(
        dir.path().join("resumed.csv"),
        &full[..complete + half_line],
    )
    .expect("write killed output");

    let stderr = rematch(
        dir.path(),
        "resumed.csv",
        "gen/returned_mail.csv",
        &["--resume", "--batch-rows", "64"],
    );
    assert!(stderr.contains("resumed after 100 rows"), "{stderr}");
    let resumed = std::fs::read(dir.path().join("resumed.csv")).expect("read resumed output");
    assert!(
        resumed == full,
        "the resumed output differs from the full run"
    );

    // Resuming a finished file appends nothing; without --resume the file is rewritten.
    rematch(
        dir.path(),
        "resumed.csv",
        "gen/returned_mail.csv",
        &["--resume"],
    );
    assert!(std::fs::read(dir.path().join("resumed.csv")).expect("read") == full);
    rematch(dir.path(), "full.csv", "gen/returned_mail.csv", &[]);
    assert!(std::fs::read(dir.path().join("full.csv")).expect("read") == full);
}

#[test]
fn resume_refuses_an_output_written_from_another_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", RECORDS);
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    write(
        dir.path(),
        "a.csv",
        "account_id,first_name,last_name,zip\nA1,Dmitri,Kowalczyk,62704\nA2,Dmitri,Kowalczyk,60601\n",
    );
    write(
        dir.path(),
        "b.csv",
        "account_id,first_name,last_name,zip\nB1,Dmitri,Kowalczyk,62704\nB2,Dmitri,Kowalczyk,60601\n",
    );
    rematch(dir.path(), "out.csv", "a.csv", &[]);
    let text = std::fs::read_to_string(dir.path().join("out.csv")).expect("read");
    let first_row_end = text.find('\n').expect("header") + 1;
    let second_row_end = first_row_end + text[first_row_end..].find('\n').expect("row") + 1;
    write(dir.path(), "out.csv", &text[..second_row_end]);
    let output = run(
        dir.path(),
        &[
            "rematch", "--index", "idx", "--resume", "--out", "out.csv", "b.csv",
        ],
    );
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not written from this input"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The same, for a file without an account id column: the row's own values tell the inputs
/// apart (before, the run only warned and appended to another file's output).
#[test]
fn resume_without_an_id_column_refuses_an_output_of_another_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", RECORDS);
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    write(
        dir.path(),
        "a.csv",
        "first_name,last_name,zip\nDmitri,Kowalczyk,62704\nAnn,Lee,60601\n",
    );
    write(
        dir.path(),
        "b.csv",
        "first_name,last_name,zip\nDmitry,Kowalczyk,62704\nAnn,Lee,60601\n",
    );
    rematch(dir.path(), "out.csv", "a.csv", &[]);
    let text = std::fs::read_to_string(dir.path().join("out.csv")).expect("read");
    let first_row_end = text.find('\n').expect("header") + 1;
    let second_row_end = first_row_end + text[first_row_end..].find('\n').expect("row") + 1;
    write(dir.path(), "out.csv", &text[..second_row_end]);
    let resume = |input: &str| {
        run(
            dir.path(),
            &[
                "rematch", "--index", "idx", "--resume", "--out", "out.csv", input,
            ],
        )
    };
    let output = resume("b.csv");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not written from this input"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = resume("a.csv");
    assert!(
        output.status.success(),
        "its own input resumes: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A quote opened and never closed made the CSV reader swallow the lines after it into one
/// value: `rematch` wrote 7 rows for a 49-debtor file and `index` read 35 of 49 with
/// "rejected 0". Both now stop and name the line; a real multi-line value still reads.
#[test]
fn a_quote_never_closed_stops_the_run_at_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", RECORDS);
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    let mut file = String::from("account_id,first_name,last_name,address_line1,zip\n");
    for n in 1..=49 {
        let street = if n == 6 {
            "\"12 Main St".to_string()
        } else {
            format!("{n} Elm St")
        };
        file.push_str(&format!("A{n},Ann,Lee,{street},62704\n"));
    }
    write(dir.path(), "broken.csv", &file);
    let output = run(
        dir.path(),
        &[
            "rematch",
            "--index",
            "idx",
            "--out",
            "out.csv",
            "broken.csv",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("line 7") && stderr.contains("never closed"),
        "{stderr}"
    );
    let output = run(dir.path(), &["index", "--index", "idx2", "broken.csv"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("line 7"), "{stderr}");

    let multiline = "account_id,first_name,last_name,address_line1,zip\n\
A1,Ann,Lee,\"12 Main St\nSpringfield, IL\",62704\nA2,Bo,Chu,3 Oak Ave,60601\n";
    write(dir.path(), "multiline.csv", multiline);
    rematch(dir.path(), "ok.csv", "multiline.csv", &[]);
    let rows = read_table(&dir.path().join("ok.csv")).1;
    assert_eq!(
        rows.len(),
        2,
        "a quoted line break inside an address is a value"
    );
}
