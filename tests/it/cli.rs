//! The index and search commands on small hand-written files: row-level errors, upserts,
//! masking, and the contact a collector is offered.

use crate::util::{run, run_ok, write};

const HEADER: &str = "record_id,source,first_name,middle_name,last_name,name_suffix,full_name,dob,ssn,address_line1,address_line2,city,state,zip,phone,email,employer,first_seen,last_seen\n";

fn records() -> String {
    let rows = [
        "r1,credit_header,Dmitri,A,Kowalczyk,,,1984-05-12,123-45-6789,12 Main St,,Springfield,IL,62704,,,,2012-01-01,2019-05-01",
        "r2,credit_header,Dmitri,,Kowalczyk,,,05/12/1984,123456789,98 Oak Avenue,Apt 4,Chicago,IL,60601,,,,2019-06-01,2026-05-01",
        "r3,utility,Dmitri,,Kowalczyk,,,,,98 OAK AVE #4,,Chicago,IL,60601-1234,(312) 555-0188,,,2019-06-01,2026-04-01",
        "r4,phone_directory,,,,,\"KOWALCZYK, DMITRI\",,,12 Main Street,,Springfield,IL,62704,217-555-0123,,,2012-01-01,2019-04-01",
    ];
    format!("{HEADER}{}\n", rows.join("\n"))
}

#[test]
fn malformed_rows_are_reported_by_row_and_column_and_good_rows_indexed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad_rows = [
        "b1,x,Ann,,Lee,,,1984-13-45,123-45-678,,,,,,,,,,",
        "b2,x,,,,,,junk,12,,,,,,,,,,",
        "b3,x,Bo,,Chu",
    ];
    let contents = format!("{}{}\n", records(), bad_rows.join("\n"));
    write(dir.path(), "records.csv", &contents);
    let output = run(
        dir.path(),
        &["index", "--index", "idx", "--json", "records.csv"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json summary");
    assert_eq!(summary["read"], 7);
    assert_eq!(summary["indexed"], 6, "b1 and b3 keep their usable fields");
    assert_eq!(summary["rejected"], 1, "b2 has nothing usable");
    let issues = summary["issues"].as_array().expect("issues");
    let located = |row: u64, column: &str| {
        issues
            .iter()
            .any(|i| i["row"] == row && i["column"] == column)
    };
    assert!(located(5, "dob") && located(5, "ssn"), "{issues:?}");
    assert!(located(6, "*"));
    assert!(located(7, "*"), "a short row is reported");
    let text = serde_json::to_string(issues).expect("json");
    assert!(
        !text.contains("1984-13-45") && !text.contains("123-45-678"),
        "sensitive values are masked"
    );
}

#[test]
fn indexing_twice_upserts_instead_of_duplicating() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", &records());
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    let second = run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    assert!(second.contains("updated 4"), "{second}");
    assert!(second.contains("index holds 4 records"), "{second}");
}

/// tantivy drops a term over 65,530 bytes, so such an id was indexed unfindable and each upsert
/// added a duplicate that could never be deleted. Long ids are refused, naming row and field.
#[test]
fn a_record_id_too_long_to_index_is_refused_by_row_and_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let long = "x".repeat(70_000);
    let contents = format!(
        "{}{long},utility,Ann,,Lee,,,1980-01-02,,1 Elm St,,Nome,AK,99762,,,,,\n",
        records()
    );
    write(dir.path(), "records.csv", &contents);
    for _ in 0..2 {
        let output = run(
            dir.path(),
            &["index", "--index", "idx", "--json", "records.csv"],
        );
        assert!(output.status.success());
        let summary: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("json summary");
        assert_eq!(summary["rejected"], 1, "{summary}");
        let issue = &summary["issues"][0];
        assert_eq!(
            (issue["row"].as_u64(), issue["column"].as_str()),
            (Some(5), Some("record_id"))
        );
        assert!(
            issue["message"]
                .as_str()
                .is_some_and(|m| m.contains("at most 256")),
            "{issue}"
        );
        assert!(
            !summary.to_string().contains(&long[..300]),
            "the id is not echoed"
        );
    }
    let held = run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    assert!(held.contains("index holds 4 records"), "{held}");
}

#[test]
fn search_offers_the_newer_address_as_best_and_lists_the_one_on_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", &records());
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    let out = run_ok(
        dir.path(),
        &[
            "search",
            "--index",
            "idx",
            "--first",
            "Dimitri",
            "--last",
            "Kowalczyk",
            "--dob",
            "1984-05-12",
            "--address",
            "12 Main St",
            "--zip",
            "62704",
            "--phone",
            "217-555-0123",
            "--json",
        ],
    );
    let resolution: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(resolution["status"], "resolved");
    let top = &resolution["identities"][0];
    let contacts = top["contacts"].as_array().expect("contacts");
    let first_address = contacts
        .iter()
        .find(|c| c["kind"] == "address")
        .expect("an address");
    assert_eq!(first_address["address"]["line1"], "98 OAK AVE");
    assert_eq!(first_address["status"], "new");
    assert_eq!(first_address["on_file"], false);
    let on_file = contacts
        .iter()
        .find(|c| c["kind"] == "address" && c["on_file"] == true)
        .expect("the address on file is listed");
    assert_eq!(on_file["address"]["line1"], "12 MAIN ST");
    assert!(
        on_file.get("status").is_none(),
        "only the best carries a status"
    );
    let first_phone = contacts
        .iter()
        .find(|c| c["kind"] == "phone")
        .expect("a phone");
    assert_eq!(first_phone["value"], "(312) 555-0188");
    assert_eq!(first_phone["status"], "new");
    assert_eq!(
        top["ssn"], "***-**-6789",
        "ssn masked to last 4, as the API shows it"
    );
    assert_eq!(top["dob"], "1984", "dob masked to the year");
}

#[test]
fn a_query_with_nothing_to_search_on_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", &records());
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    let output = run(
        dir.path(),
        &[
            "search", "--index", "idx", "--first", "Dmitri", "--ssn", "6789",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "the caller's input: exit 2");
    assert!(String::from_utf8_lossy(&output.stderr).contains("unusable query"));
    let missing = run(
        dir.path(),
        &["search", "--index", "nowhere", "--last", "Kowalczyk"],
    );
    assert_eq!(missing.status.code(), Some(1), "no index there: exit 1");
}

#[test]
fn demo_generates_indexes_and_shows_a_resolved_debtor() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_ok(dir.path(), &["demo", "--people", "3000", "--no-serve"]);
    assert!(out.contains("resolution: resolved"), "{out}");
    assert!(
        out.contains("cargo run --release -- search --index index"),
        "{out}"
    );
    assert!(dir.path().join("demo-data/returned_mail.csv").exists());
    let again = run(dir.path(), &["demo", "--people", "3000", "--no-serve"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("reusing the demo population"));
}

/// Piped stderr carries no colour codes unless asked for; a missing key file and an index held
/// by another writer each say what to do; file-level errors name no row 0.
#[test]
fn errors_say_what_to_do_and_piped_output_has_no_colour_codes() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "records.csv", &records());
    run_ok(dir.path(), &["index", "--index", "idx", "records.csv"]);
    let logged = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend(["index", "--index", "idx", "records.csv"]);
        let output = std::process::Command::new(crate::util::binary())
            .args(&args)
            .current_dir(dir.path())
            .env("RUST_LOG", "info")
            .env_remove("NO_COLOR")
            .output()
            .expect("runs");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let piped = logged(&[]);
    assert!(piped.contains("indexing finished"), "{piped}");
    assert!(
        !piped.contains('\u{1b}'),
        "no ANSI codes when piped: {piped:?}"
    );
    assert!(logged(&["--color", "always"]).contains('\u{1b}'));

    let serve = run(
        dir.path(),
        &["serve", "--index", "idx", "--keys", "missing.json"],
    );
    assert!(!serve.status.success());
    let said = String::from_utf8_lossy(&serve.stderr);
    assert!(said.contains("skiptrace keys add"), "{said}");

    let held = skiptrace::index::SkipIndex::open(&dir.path().join("idx"))
        .expect("index")
        .writer()
        .expect("the writer");
    let busy = run(dir.path(), &["index", "--index", "idx", "records.csv"]);
    assert!(!busy.status.success());
    let said = String::from_utf8_lossy(&busy.stderr);
    assert!(
        said.contains("in use by another skiptrace process"),
        "{said}"
    );
    drop(held);

    write(dir.path(), "empty.csv", "");
    let empty = run(dir.path(), &["index", "--index", "idx", "empty.csv"]);
    assert_eq!(empty.status.code(), Some(2));
    let said = String::from_utf8_lossy(&empty.stderr);
    assert!(!said.contains("row 0"), "{said}");
}

#[test]
fn completions_and_the_man_page_come_from_the_flags() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bash = run_ok(dir.path(), &["completions", "bash"]);
    assert!(
        bash.contains("--max-errors"),
        "rematch's flags are completed"
    );
    let zsh = run_ok(dir.path(), &["completions", "zsh"]);
    assert!(
        zsh.starts_with("#compdef skiptrace"),
        "{}",
        &zsh[..40.min(zsh.len())]
    );
    let man = run_ok(dir.path(), &["man"]);
    assert!(
        man.contains(".TH skiptrace 1"),
        "{}",
        &man[..200.min(man.len())]
    );
}
