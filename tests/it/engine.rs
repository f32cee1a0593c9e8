//! The engine on generated data: the binary generates a population, indexes it and re-matches
//! the returned-mail debtors; the hard cases (movers with misspelt names, Jr/Sr, twins, absent
//! debtors) are checked against the truth.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::run_ok;

/// People in the shared generated population (small enough for seconds in release).
const PEOPLE: &str = "12000";

/// Generates and indexes one population for all tests in this module.
fn population() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        run_ok(
            dir.path(),
            &["synth", "--people", PEOPLE, "--seed", "11", "--out", "gen"],
        );
        run_ok(dir.path(), &["index", "--index", "idx", "gen/records.csv"]);
        dir
    })
    .path()
}

fn eval_report() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(|| {
        let out = run_ok(
            population(),
            &["eval", "--synth", "gen", "--index", "idx", "--json"],
        );
        serde_json::from_str(&out).expect("eval json")
    })
}

/// Figures of skiptrace, the only system of the report.
fn skiptrace() -> &'static Value {
    &eval_report()["systems"][0]
}

fn case(name: &str) -> &'static Value {
    &skiptrace()["by_case"][name]
}

fn number(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {value}"))
}

#[test]
fn resolved_matches_are_almost_never_the_wrong_person() {
    let overall = &skiptrace()["overall"];
    assert!(number(overall, "precision") >= 0.97, "{overall}");
    assert!(number(overall, "recall") >= 0.6, "{overall}");
}

#[test]
fn absent_debtors_get_no_match() {
    let overall = &skiptrace()["overall"];
    assert!(number(overall, "absent_no_match_rate") >= 0.97, "{overall}");
}

#[test]
fn movers_are_found_at_their_new_address() {
    let moved = case("moved");
    assert!(
        number(moved, "queries") > 50.0,
        "enough movers to judge: {moved}"
    );
    assert!(number(moved, "recall") >= 0.5, "{moved}");
    assert!(
        number(&moved["right_party_address"], "rate") >= 0.4,
        "{moved}"
    );
    assert!(number(moved, "precision") >= 0.95, "{moved}");
}

#[test]
fn jr_sr_and_twins_are_not_confused() {
    for name in ["jr_sr", "twin"] {
        let hard = case(name);
        assert!(
            number(hard, "queries") >= 5.0,
            "{name}: enough cases to judge: {hard}"
        );
        assert!(number(hard, "precision") >= 0.9, "{name}: {hard}");
    }
}

#[test]
fn retrieval_finds_the_true_person_for_nearly_every_present_debtor() {
    let overall = &skiptrace()["overall"];
    assert!(number(overall, "retrieval_recall") >= 0.95, "{overall}");
}
