//! `skiptrace synth` end to end: determinism, the truth's consistency with the records, realised
//! error rates against the configuration, and the hard cases a matcher must face.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::util::{run, run_ok, write};

/// People per generated population: big enough for stable rates, small enough for seconds.
const PEOPLE: &str = "20000";

/// Every file `synth` writes.
const FILES: [&str; 6] = [
    "records.csv",
    "returned_mail.csv",
    "truth/records.csv",
    "truth/debtors.csv",
    "truth/people.csv",
    "truth/config.json",
];

/// A CSV file as header + rows, with lookup by column name.
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let mut reader = csv::Reader::from_path(path).expect("readable csv");
        let headers = reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.expect("row").iter().map(str::to_string).collect())
            .collect();
        Table { headers, rows }
    }

    fn column(&self, name: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.headers))
    }

    /// Values of one column.
    fn values(&self, name: &str) -> Vec<&str> {
        let index = self.column(name);
        self.rows.iter().map(|r| r[index].as_str()).collect()
    }
}

/// Runs `synth` into `dir/out` with extra flags; returns the output folder.
fn synth(dir: &Path, people: &str, seed: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(format!(
        "out-{seed}-{}",
        extra.join("-").replace(['/', '.'], "_")
    ));
    let out_text = out.to_str().expect("utf-8 path");
    let mut args = vec![
        "synth", "--people", people, "--seed", seed, "--out", out_text,
    ];
    args.extend_from_slice(extra);
    run_ok(dir, &args);
    out
}

/// Lower case without the Spanish diacritics the generator uses.
fn fold(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' | 'ö' => 'o',
            'ú' | 'ü' => 'u',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

#[test]
fn synth_same_seed_gives_identical_files_whatever_the_thread_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let one = synth(dir.path(), PEOPLE, "7", &["--threads", "1"]);
    let two = synth(dir.path(), PEOPLE, "7", &["--threads", "2"]);
    for file in FILES {
        let a = std::fs::read(one.join(file)).expect("first run file");
        let b = std::fs::read(two.join(file)).expect("second run file");
        assert!(!a.is_empty(), "{file} is empty");
        assert!(a == b, "{file} differs between two runs with seed 7");
    }
}

#[test]
fn synth_different_seeds_give_different_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seven = synth(dir.path(), "3000", "7", &[]);
    let eight = synth(dir.path(), "3000", "8", &[]);
    for file in ["records.csv", "returned_mail.csv", "truth/people.csv"] {
        let a = std::fs::read(seven.join(file)).expect("file");
        let b = std::fs::read(eight.join(file)).expect("file");
        assert_ne!(a, b, "{file} is the same for seeds 7 and 8");
    }
}

#[test]
fn synth_writes_the_documented_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = synth(dir.path(), "2000", "3", &[]);
    let header = |file: &str| Table::read(&out.join(file)).headers.join(",");
    assert_eq!(
        header("records.csv"),
        "record_id,source,first_name,middle_name,last_name,name_suffix,full_name,dob,ssn,\
         address_line1,address_line2,city,state,zip,phone,email,employer,first_seen,last_seen,\
         phone_type"
    );
    assert_eq!(
        header("returned_mail.csv"),
        "account_id,first_name,middle_name,last_name,name_suffix,dob,ssn,address_line1,\
         address_line2,city,state,zip,phone,email,open_date,phone2,return_reason"
    );
    assert_eq!(
        header("truth/debtors.csv"),
        "account_id,person_id,in_sources,current_address_line1,current_address_line2,\
         current_city,current_state,current_zip,current_phone,current_email,moved,\
         unit_missing,surname_changed,nickname_used,dob_error,ssn_missing,ssn_last4,jr_sr,twin,common_name"
    );
    assert_eq!(header("truth/records.csv"), "record_id,person_id");
    let sources: HashSet<String> = Table::read(&out.join("records.csv"))
        .values("source")
        .into_iter()
        .map(str::to_string)
        .collect();
    let expected: HashSet<String> = [
        "credit_header",
        "utility",
        "phone_directory",
        "marketing_list",
        "public_records",
    ]
    .map(str::to_string)
    .into();
    assert_eq!(sources, expected);
}

#[test]
fn synth_truth_covers_every_record_and_absent_debtors_have_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = synth(dir.path(), PEOPLE, "11", &[]);
    let records = Table::read(&out.join("records.csv"));
    let record_truth = Table::read(&out.join("truth/records.csv"));
    let debtors = Table::read(&out.join("truth/debtors.csv"));
    let people = Table::read(&out.join("truth/people.csv"));

    let record_ids = records.values("record_id");
    let unique: HashSet<&str> = record_ids.iter().copied().collect();
    assert_eq!(unique.len(), record_ids.len(), "record ids are unique");
    assert_eq!(
        record_ids,
        record_truth.values("record_id"),
        "truth lists every record"
    );
    let known_people: HashSet<&str> = people.values("person_id").into_iter().collect();
    let observed: HashSet<&str> = record_truth.values("person_id").into_iter().collect();
    assert!(observed.is_subset(&known_people));

    let in_sources = debtors.values("in_sources");
    let person_ids = debtors.values("person_id");
    let absent: Vec<&str> = person_ids
        .iter()
        .zip(&in_sources)
        .filter(|(_, flag)| **flag == "false")
        .map(|(id, _)| *id)
        .collect();
    for id in &absent {
        assert!(!observed.contains(id), "absent debtor {id} has records");
        assert!(known_people.contains(id), "absent debtor {id} is a person");
    }
    for (id, flag) in person_ids.iter().zip(&in_sources) {
        if *flag == "true" {
            assert!(
                observed.contains(id),
                "debtor {id} said in sources has no record"
            );
        }
    }
    let share = absent.len() as f64 / debtors.rows.len() as f64;
    assert!(
        (0.11..=0.19).contains(&share),
        "absent debtor share {share}"
    );
    let debtor_share = debtors.rows.len() as f64 / 20_000.0;
    assert!(
        (0.07..0.13).contains(&debtor_share),
        "debtors {debtor_share}"
    );

    let mail = Table::read(&out.join("returned_mail.csv"));
    assert_eq!(mail.values("account_id"), debtors.values("account_id"));
}

#[test]
fn synth_realised_error_rates_follow_the_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = r#"{
        "sources": {
            "credit_header": {"dob_error_rate": 0.05},
            "marketing_list": {"nickname_rate": 0.3}
        },
        "returned_mail": {"ssn_full_share": 0.5, "ssn_last4_share": 0.3}
    }"#;
    write(dir.path(), "rates.json", config);
    let out = synth(dir.path(), PEOPLE, "5", &["--config", "rates.json"]);
    let records = Table::read(&out.join("records.csv"));
    let record_truth = Table::read(&out.join("truth/records.csv"));
    let owners = record_truth.values("person_id");
    let people = Table::read(&out.join("truth/people.csv"));
    let person_row: HashMap<&str, usize> = people
        .values("person_id")
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    let (dob_col, first_col, given_col) = (
        records.column("dob"),
        records.column("first_name"),
        people.column("first"),
    );
    let true_dob_col = people.column("dob");
    let source_col = records.column("source");
    let nicknames = skiptrace::reference::nicknames();
    let (mut dobs, mut wrong_dobs, mut eligible, mut nicknamed) = (0, 0, 0, 0);
    for (row, owner) in records.rows.iter().zip(&owners) {
        let person = &people.rows[person_row[owner]];
        match row[source_col].as_str() {
            "credit_header" if !row[dob_col].is_empty() => {
                let compact = &row[dob_col];
                let iso = format!("{}-{}-{}", &compact[0..4], &compact[4..6], &compact[6..8]);
                dobs += 1;
                wrong_dobs += usize::from(iso != person[true_dob_col]);
            }
            "marketing_list" if !row[first_col].is_empty() => {
                let given = fold(&person[given_col]);
                let options = nicknames.nicknames_of(&given);
                if options.is_empty() {
                    continue;
                }
                eligible += 1;
                let written = fold(&row[first_col]);
                nicknamed += usize::from(written != given && options.contains(&written));
            }
            _ => {}
        }
    }
    let dob_rate = wrong_dobs as f64 / dobs as f64;
    assert!(dobs > 10_000, "{dobs} credit header DOBs");
    assert!(
        (0.04..0.06).contains(&dob_rate),
        "credit_header DOB error rate {dob_rate}"
    );
    // Swaps and typos hide a few nicknames, so the written rate sits just under the config.
    let nickname_rate = nicknamed as f64 / eligible as f64;
    assert!(
        eligible > 3_000,
        "{eligible} marketing records with nicknameable names"
    );
    assert!(
        (0.25..0.32).contains(&nickname_rate),
        "marketing nickname rate {nickname_rate}"
    );

    let mail = Table::read(&out.join("returned_mail.csv"));
    let ssns = mail.values("ssn");
    let last4 = ssns.iter().filter(|s| s.len() == 4).count() as f64 / ssns.len() as f64;
    let missing = ssns.iter().filter(|s| s.is_empty()).count() as f64 / ssns.len() as f64;
    assert!(
        (0.26..0.34).contains(&last4),
        "returned-mail last-4 share {last4}"
    );
    assert!(
        (0.16..0.24).contains(&missing),
        "returned-mail missing SSN share {missing}"
    );
}

/// Addresses (line 1 upper-cased with single spaces, ZIP5) each person was recorded at.
fn recorded_addresses(out: &Path) -> HashMap<String, HashSet<(String, String)>> {
    let records = Table::read(&out.join("records.csv"));
    let record_truth = Table::read(&out.join("truth/records.csv"));
    let owners = record_truth.values("person_id");
    let (line1, zip) = (records.column("address_line1"), records.column("zip"));
    let mut addresses: HashMap<String, HashSet<(String, String)>> = HashMap::new();
    for (row, owner) in records.rows.iter().zip(owners) {
        if row[line1].is_empty() {
            continue;
        }
        let street = row[line1]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase();
        let zip5 = row[zip].chars().take(5).collect();
        addresses
            .entry(owner.to_string())
            .or_default()
            .insert((street, zip5));
    }
    addresses
}

#[test]
fn synth_household_hard_cases_are_present() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = synth(dir.path(), PEOPLE, "13", &[]);
    let people = Table::read(&out.join("truth/people.csv"));
    let by_id: HashMap<&str, &Vec<String>> = people
        .values("person_id")
        .into_iter()
        .zip(&people.rows)
        .collect();
    let col = |name: &str| people.column(name);
    let (first, middle, dob, household) =
        (col("first"), col("middle"), col("dob"), col("household_id"));
    let addresses = recorded_addresses(&out);

    let mut pairs = 0;
    let mut pairs_recorded_at_one_address = 0;
    for father in &people.rows {
        let son_id = &father[col("father_of")];
        if son_id.is_empty() {
            continue;
        }
        let son = by_id[son_id.as_str()];
        pairs += 1;
        assert_eq!(son[col("son_of")], father[col("person_id")]);
        for column in [first, middle, household] {
            assert_eq!(
                son[column], father[column],
                "Jr/Sr pair differs in {column}"
            );
        }
        assert_eq!(son[col("birth_last")], father[col("birth_last")]);
        assert!(matches!(son[col("suffix")].as_str(), "Jr" | "III"));
        let (Some(a), Some(b)) = (
            addresses.get(&father[col("person_id")]),
            addresses.get(son_id),
        ) else {
            continue;
        };
        pairs_recorded_at_one_address += usize::from(a.intersection(b).next().is_some());
    }
    assert!(pairs >= 40, "{pairs} Jr/Sr pairs in 20000 people");
    assert!(
        pairs_recorded_at_one_address >= 10,
        "{pairs_recorded_at_one_address} Jr/Sr pairs recorded at the same address"
    );

    let mut twins = 0;
    for person in &people.rows {
        let twin_id = &person[col("twin_of")];
        if twin_id.is_empty() {
            continue;
        }
        let twin = by_id[twin_id.as_str()];
        twins += 1;
        assert_eq!(twin[col("twin_of")], person[col("person_id")]);
        assert_eq!(twin[dob], person[dob], "twins share a DOB");
        assert_eq!(twin[col("birth_last")], person[col("birth_last")]);
        assert_eq!(twin[household], person[household]);
        assert_ne!(
            twin[first], person[first],
            "twins have different given names"
        );
    }
    let twin_share = twins as f64 / people.rows.len() as f64;
    assert!(
        (0.015..0.04).contains(&twin_share),
        "twin share {twin_share}"
    );

    let flagged = Table::read(&out.join("truth/debtors.csv"));
    let moved = flagged
        .values("moved")
        .iter()
        .filter(|f| **f == "true")
        .count();
    assert!(moved * 5 > flagged.rows.len(), "few debtors moved: {moved}");
}

#[test]
fn synth_common_names_are_common() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = synth(dir.path(), PEOPLE, "17", &[]);
    let people = Table::read(&out.join("truth/people.csv"));
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for surname in people.values("last") {
        *counts.entry(surname).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let top: Vec<&str> = ranked.iter().take(5).map(|(name, _)| *name).collect();
    assert!(top.contains(&"Smith"), "top surnames {top:?}");
    let top_share = ranked[0].1 as f64 / people.rows.len() as f64;
    assert!(
        (0.006..0.025).contains(&top_share),
        "top surname share {top_share}"
    );
    let distinct_share = ranked.len() as f64 / people.rows.len() as f64;
    assert!(
        distinct_share > 0.15,
        "a long tail of surnames: {distinct_share}"
    );
    let pair_count = people
        .rows
        .iter()
        .filter(|p| p[people.column("first")] == "John" && p[people.column("last")] == "Smith")
        .count();
    assert!(pair_count >= 2, "only {pair_count} John Smiths");
    let accented = people
        .values("last")
        .iter()
        .any(|s| s.contains('ñ') || s.contains('á') || s.contains('é'));
    let apostrophe = people.values("last").iter().any(|s| s.starts_with("O'"));
    assert!(
        accented && apostrophe,
        "diacritics and apostrophes in surnames"
    );
}

#[test]
fn synth_print_config_and_bad_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    let printed = run_ok(
        dir.path(),
        &["synth", "--print-config", "--people", "123", "--seed", "9"],
    );
    let config: serde_json::Value = serde_json::from_str(&printed).expect("config is JSON");
    assert_eq!(config["people"], 123);
    assert_eq!(config["seed"], 9);
    assert_eq!(config["returned_mail"]["absent_debtor_share"], 0.15);
    write(
        dir.path(),
        "bad.json",
        r#"{"sources": {"utility": {"dob_error_rate": 2.0}}}"#,
    );
    let output = run(
        dir.path(),
        &["synth", "--config", "bad.json", "--out", "never"],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sources.utility.dob_error_rate"),
        "{stderr}"
    );
    assert!(!dir.path().join("never").exists());
}
