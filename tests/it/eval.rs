//! `skiptrace eval` on a small generated population: the report folder, a `skiptrace rematch`
//! output scored as a second system with the same figures as the in-process run, and labelled
//! files whose label column never reaches matching or the index.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{read_table, run, run_ok, write, Table};

/// Generates a population in `gen/` and indexes it into `idx/`, once for the module.
fn population() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        run_ok(
            dir.path(),
            &["synth", "--people", "3000", "--seed", "21", "--out", "gen"],
        );
        run_ok(dir.path(), &["index", "--index", "idx", "gen/records.csv"]);
        dir
    })
    .path()
}

fn to_csv(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(headers).expect("header");
    for row in rows {
        writer.write_record(row).expect("row");
    }
    String::from_utf8(writer.into_inner().expect("flush")).expect("utf-8")
}

/// Returns `table` with a first column `name` holding `label(row)`.
fn with_label(table: &Table, name: &str, label: impl Fn(&[String]) -> String) -> String {
    let mut headers = vec![name.to_string()];
    headers.extend(table.0.iter().cloned());
    let rows: Vec<Vec<String>> = table
        .1
        .iter()
        .map(|row| {
            let mut labelled = vec![label(row)];
            labelled.extend(row.iter().cloned());
            labelled
        })
        .collect();
    to_csv(&headers, &rows)
}

fn eval_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["eval"];
    all.extend_from_slice(args);
    all.push("--json");
    serde_json::from_str(&run_ok(dir, &all)).expect("eval json")
}

fn f(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

fn u(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a count: {value}"))
}

/// Checks that a system's figures agree with each other.
fn assert_consistent(system: &Value, queries: u64, present: u64) {
    let o = &system["overall"];
    let (tp, fp, fn_, tn) = (
        u(&o["true_positives"]),
        u(&o["false_positives"]),
        u(&o["false_negatives"]),
        u(&o["true_negatives"]),
    );
    assert_eq!(u(&o["queries"]), queries);
    assert_eq!(tp + fn_, present, "{o}");
    assert!(tn <= queries - present);
    assert!((f(&o["precision"]) - tp as f64 / (tp + fp).max(1) as f64).abs() < 1e-9);
    assert!((f(&o["recall"]) - tp as f64 / present as f64).abs() < 1e-9);
    let statuses: u64 = system["statuses"]
        .as_object()
        .expect("statuses")
        .values()
        .map(u)
        .sum();
    assert_eq!(statuses, queries);
    let curve = system["pr_curve"].as_array().expect("curve");
    assert!(!curve.is_empty());
    for pair in curve.windows(2) {
        assert!(f(&pair[0]["threshold"]) > f(&pair[1]["threshold"]));
        assert!(f(&pair[0]["recall"]) <= f(&pair[1]["recall"]));
    }
    let best = f(&o["best_f1"]["f1"]);
    assert!(curve.iter().all(|p| f(&p["f1"]) <= best));
    let buckets = system["calibration"]["buckets"]
        .as_array()
        .expect("buckets");
    let named: u64 = buckets.iter().map(|b| u(&b["count"])).sum();
    let last = curve.last().expect("a point");
    assert_eq!(
        named,
        u(&last["true_positives"]) + u(&last["false_positives"]),
        "every named answer is in one bucket and on the curve"
    );
}

/// Drops what legitimately differs between an in-process run and a scored file: the name, the
/// source, timing, alignment, and what only a search trace knows (retrieval, candidates).
fn comparable(system: &Value) -> Value {
    let mut system = system.clone();
    let object = system.as_object_mut().expect("object");
    for key in [
        "name",
        "source",
        "wall_seconds",
        "phases",
        "alignment",
        "notes",
        "latency_ms",
    ] {
        object.remove(key);
    }
    let strip = |quality: &mut Value| {
        let q = quality.as_object_mut().expect("quality");
        q.remove("retrieval_recall");
        q.remove("mean_candidates");
        q.remove("fragment_addresses");
    };
    strip(&mut object["overall"]);
    for case in object["by_case"]
        .as_object_mut()
        .expect("cases")
        .values_mut()
    {
        strip(case);
    }
    for kind in ["false_positives", "false_negatives"] {
        for sample in object[kind].as_array_mut().expect("samples") {
            sample.as_object_mut().expect("sample").remove("retrieved");
        }
    }
    // Without a trace, a present query with no named match is `no_match`, not `not_retrieved`.
    let reasons = object["false_negative_reasons"]
        .as_object_mut()
        .expect("reasons");
    let not_retrieved = reasons.remove("not_retrieved").map_or(0, |v| u(&v));
    if not_retrieved > 0 {
        let no_match = reasons.get("no_match").map_or(0, u);
        reasons.insert("no_match".into(), Value::from(no_match + not_retrieved));
    }
    for sample in object["false_negatives"].as_array_mut().expect("samples") {
        if sample["reason"] == "not_retrieved" {
            sample["reason"] = Value::from("no_match");
        }
    }
    system
}

#[test]
fn a_rematch_output_scores_exactly_like_the_in_process_run() {
    let dir = population();
    // --unmasked: the true SSN and DOB levels and figures, as eval reads them in process.
    run_ok(
        dir,
        &[
            "rematch",
            "--unmasked",
            "--index",
            "idx",
            "--out",
            "rematched.csv",
            "gen/returned_mail.csv",
        ],
    );
    let report = eval_json(
        dir,
        &[
            "--synth",
            "gen",
            "--index",
            "idx",
            "--score-output",
            "rematch=rematched.csv",
            "--report",
            "rep",
        ],
    );
    for file in ["report.md", "report.json", "pr_curve.svg"] {
        assert!(dir.join("rep").join(file).is_file(), "{file} written");
    }
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("rep/report.json")).expect("report.json"),
    )
    .expect("json");
    assert_eq!(written, report, "report.json holds what --json prints");
    let svg = std::fs::read_to_string(dir.join("rep/pr_curve.svg")).expect("svg");
    assert!(svg.starts_with("<svg") && svg.contains("rematch"));
    let markdown = std::fs::read_to_string(dir.join("rep/report.md")).expect("md");
    assert!(
        markdown.contains("| figure | **skiptrace** | **rematch** |"),
        "{markdown}"
    );

    let dataset = &report["dataset"];
    let (queries, present) = (u(&dataset["queries"]), u(&dataset["present"]));
    assert!(queries > 200 && present < queries, "{dataset}");
    let systems = report["systems"].as_array().expect("systems");
    assert_eq!(systems.len(), 2);
    for system in systems {
        assert_consistent(system, queries, present);
    }
    assert_eq!(systems[1]["alignment"]["by"], "account_id");
    assert_eq!(u(&systems[1]["alignment"]["missing"]), 0);
    assert!(f(&systems[0]["overall"]["retrieval_recall"]) > 0.9);
    assert!(systems[1]["overall"]["retrieval_recall"].is_null());
    assert!(f(&systems[0]["overall"]["right_party_address"]["rate"]) > 0.5);
    assert_eq!(comparable(&systems[0]), comparable(&systems[1]));

    // Nothing in the report shows a query's full SSN or DOB.
    let mail = read_table(&dir.join("gen/returned_mail.csv"));
    let column = |name: &str| mail.0.iter().position(|h| h == name).expect(name);
    let (ssn, dob) = (column("ssn"), column("dob"));
    let report_text = std::fs::read_to_string(dir.join("rep/report.json")).expect("json");
    for row in &mail.1 {
        let digits: String = row[ssn].chars().filter(char::is_ascii_digit).collect();
        for text in [&markdown, &report_text] {
            if digits.len() == 9 {
                assert!(!text.contains(&digits) && !text.contains(&row[ssn]));
            }
            if row[dob].len() >= 8 {
                assert!(!text.contains(&row[dob]), "a full DOB in the report");
            }
        }
    }
}

#[test]
fn a_file_missing_rows_is_scored_with_them_as_no_answer() {
    let dir = population();
    run_ok(
        dir,
        &[
            "rematch",
            "--index",
            "idx",
            "--out",
            "full.csv",
            "gen/returned_mail.csv",
        ],
    );
    let full = read_table(&dir.join("full.csv"));
    let kept = full.1.len() / 2;
    write(dir, "half.csv", &to_csv(&full.0, &full.1[..kept]));
    let report = eval_json(
        dir,
        &[
            "--synth",
            "gen",
            "--no-rematch",
            "--score-output",
            "half.csv",
        ],
    );
    let system = &report["systems"][0];
    assert_eq!(
        system["name"], "half",
        "named after the file without a sidecar"
    );
    assert_eq!(
        u(&system["alignment"]["missing"]),
        (full.1.len() - kept) as u64
    );
    assert_eq!(
        u(&system["statuses"]["missing"]),
        (full.1.len() - kept) as u64
    );
    assert!(system["notes"][0]
        .as_str()
        .expect("a note")
        .contains("have no row in the file"));

    // Without an id column, rows can only be lined up by order, so the counts must agree.
    let account = full.0.iter().position(|h| h == "account_id").expect("id");
    let strip = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| {
                let mut r = r.clone();
                r.remove(account);
                r
            })
            .collect()
    };
    let mut headers = full.0.clone();
    headers.remove(account);
    write(dir, "anon.csv", &to_csv(&headers, &strip(&full.1[..kept])));
    let output = run(
        dir,
        &[
            "eval",
            "--synth",
            "gen",
            "--no-rematch",
            "--score-output",
            "anon.csv",
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{kept} rows but {} queries", full.1.len())),
        "{stderr}"
    );
    assert!(stderr.contains("no account_id column"), "{stderr}");
}

#[test]
fn a_label_column_names_the_person_and_never_reaches_matching_or_the_index() {
    let dir = population();
    // The label sits first and is called `id`, an alias of record_id: were it mapped, every
    // record of a person would upsert onto one id.
    let records = read_table(&dir.join("gen/records.csv"));
    let owners = read_table(&dir.join("gen/truth/records.csv"));
    let owner: HashMap<&str, &str> = owners
        .1
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    write(
        dir,
        "people.csv",
        &with_label(&records, "id", |row| owner[row[0].as_str()].to_string()),
    );
    let mail = read_table(&dir.join("gen/returned_mail.csv"));
    let debtors = read_table(&dir.join("gen/truth/debtors.csv"));
    let person: HashMap<&str, &str> = debtors
        .1
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    write(
        dir,
        "debtors.csv",
        &with_label(&mail, "id", |row| person[row[0].as_str()].to_string()),
    );
    let labelled = eval_json(
        dir,
        &[
            "--records",
            "people.csv",
            "--queries",
            "debtors.csv",
            "--label-column",
            "id",
            "--index",
            "lidx",
            "--report",
            "lrep",
        ],
    );
    assert!(dir.join("lrep/report.md").is_file());
    let dataset = &labelled["dataset"];
    assert_eq!(dataset["form"], "labelled");
    assert_eq!(u(&dataset["records"]), records.1.len() as u64);
    let in_sources = debtors.1.iter().filter(|r| r[2] == "true").count() as u64;
    assert_eq!(u(&dataset["present"]), in_sources);

    let index = skiptrace::index::SkipIndex::open(&dir.join("lidx")).expect("index");
    assert_eq!(
        index.num_records(),
        records.1.len() as u64,
        "records keep their own ids"
    );
    let a_label = owner[records.1[0][0].as_str()];
    assert!(index.get(a_label).expect("lookup").is_none());
    let first = index
        .get(&records.1[0][0])
        .expect("lookup")
        .expect("indexed by record_id");
    let stored = serde_json::to_string(&first).expect("json");
    assert!(
        !stored.contains(a_label),
        "the label is not stored: {stored}"
    );

    // The same answers as the synth form: the label changed nothing.
    let synth = eval_json(dir, &["--synth", "gen", "--index", "idx"]);
    let (a, b) = (
        &labelled["systems"][0]["overall"],
        &synth["systems"][0]["overall"],
    );
    assert_consistent(&labelled["systems"][0], u(&dataset["queries"]), in_sources);
    for key in [
        "true_positives",
        "false_positives",
        "false_negatives",
        "true_negatives",
        "best_f1",
        "retrieval_recall",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
    assert!(
        a["right_party_address"].is_null(),
        "labelled files carry no contact truth"
    );
}
