//! Match-quality measurement on labelled data (`skiptrace eval`): how well does a system find the
//! true person of each query, and the person's current address, phone and email?
//!
//! The flow: [`truth`] reads the queries and what is true about each; every system's answers come
//! as rows of the re-matching output format ([`prediction`]): skiptrace's own, re-matched in
//! process exactly as `skiptrace rematch` does ([`rematch_queries`]), or any file written in that
//! format ([`score_file`]: a `skiptrace rematch` output, the Splink script's). Each answer is
//! [`judge`]d against the truth; [`metrics`] turns the judged answers into figures, and
//! [`report`] and [`plot`] write them side by side, one column per system.

pub mod metrics;
pub mod outcome_rounds;
#[cfg(feature = "plot")]
pub mod plot;
pub mod prediction;
pub mod report;
pub mod truth;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use crate::bulk::{rematch_row, MatchStatus, RematchOptions};
use crate::error::Result;
use crate::search::Engine;
use metrics::{ContactHit, Judged, Quality};
use prediction::{read_scored_file, Alignment, Offered, OutputColumns, Prediction, RunTrace};
use report::{
    Dataset, ErrorSample, EvalReport, Latency, SystemReport, SystemSource, MAX_ERROR_SAMPLES,
};
use truth::{ContactTruth, LabelledSet, QueryTruth};

pub use outcome_rounds::{outcome_rounds, replay_outcomes, RoundFigures};

/// One system's answers to the queries, before judging.
#[derive(Debug, Clone)]
pub struct SystemRun {
    /// Name shown in the report.
    pub name: String,
    /// Where the answers came from.
    pub source: SystemSource,
    /// One answer per query, in query order; `None` where a scored file has no row.
    pub predictions: Vec<Option<Prediction>>,
    /// End-to-end wall time, seconds, when known.
    pub wall_seconds: Option<f64>,
    /// Wall time per phase, as measured or as the system's sidecar reports it.
    pub phases: BTreeMap<String, serde_json::Value>,
    /// How a scored file's rows were lined up with the queries.
    pub alignment: Option<Alignment>,
    /// Warnings for the reader (rows missing, counts that disagree).
    pub notes: Vec<String>,
}

/// Re-matches every query of `set` exactly as `skiptrace rematch` does (same row function, same
/// options, batches of `options.batch_rows` in parallel), keeping what each search retrieved.
/// `progress` is called with the rows done so far. Returns the answers and the wall time of
/// matching, seconds.
#[tracing::instrument(skip_all, fields(queries = set.rows.len()))]
pub fn rematch_queries(
    engine: &Engine,
    set: &LabelledSet,
    options: &RematchOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> (Vec<Option<Prediction>>, f64) {
    let columns = OutputColumns::canonical();
    let started = Instant::now();
    let batch_rows = options.batch_rows.max(1);
    let mut predictions = Vec::with_capacity(set.rows.len());
    for (rows, truths) in set
        .rows
        .chunks(batch_rows)
        .zip(set.queries.chunks(batch_rows))
    {
        let batch: Vec<Option<Prediction>> = rows
            .par_iter()
            .zip(truths.par_iter())
            .map(|(row, truth)| {
                let timer = Instant::now();
                let mut result = rematch_row(engine, row, options);
                let latency_ms = timer.elapsed().as_secs_f64() * 1000.0;
                let mut prediction = columns.prediction(row.row, &result.to_columns()).expect(
                    "a rematch result parses: its status and score are written by to_columns",
                );
                let trace = result.trace.take().unwrap_or_default();
                prediction.trace = Some(RunTrace {
                    retrieved_true: trace
                        .retrieved
                        .iter()
                        .any(|id| set.owner.get(id) == Some(&truth.person)),
                    candidates: trace.candidates_scored,
                    latency_ms,
                    best_address_from_fragment: result
                        .best_address
                        .as_ref()
                        .is_some_and(|a| a.from_fragment),
                });
                Some(prediction)
            })
            .collect();
        predictions.extend(batch);
        progress(predictions.len() as u64);
    }
    (predictions, started.elapsed().as_secs_f64())
}

/// Reads a file in the re-matching output format as one more system. Its name is `name`, else
/// the sidecar's `system`, else the file name; its wall time comes from the sidecar.
///
/// # Errors
/// See [`read_scored_file`].
pub fn score_file(path: &Path, name: Option<&str>, set: &LabelledSet) -> Result<SystemRun> {
    let scored = read_scored_file(path, set)?;
    let meta = scored.meta.as_ref().map(|(_, meta)| meta);
    let name = name
        .map(str::to_string)
        .or_else(|| meta.and_then(|m| m.system.clone()))
        .unwrap_or_else(|| {
            path.file_stem().map_or_else(
                || path.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            )
        });
    let mut notes = alignment_notes(&scored.alignment);
    if scored.meta.is_none() {
        notes.push("no sidecar meta file: wall time unknown".to_string());
    }
    if let Some(meta) = meta {
        let queries = set.queries.len() as u64;
        if let Some(reported) = meta.queries.filter(|q| *q != queries) {
            notes.push(format!(
                "the sidecar reports {reported} queries, the truth has {queries}"
            ));
        }
        if let Some(reported) = meta.records.filter(|r| *r != set.records) {
            notes.push(format!(
                "the sidecar reports {reported} records, the truth has {}",
                set.records
            ));
        }
    }
    Ok(SystemRun {
        name,
        source: SystemSource::File {
            path: path.display().to_string(),
            meta: scored.meta.as_ref().map(|(p, _)| p.display().to_string()),
        },
        wall_seconds: meta.and_then(|m| m.wall_seconds),
        phases: meta.map(|m| m.phases.clone()).unwrap_or_default(),
        predictions: scored.predictions,
        alignment: Some(scored.alignment),
        notes,
    })
}

fn alignment_notes(alignment: &Alignment) -> Vec<String> {
    let mut notes = Vec::new();
    if alignment.missing > 0 {
        notes.push(format!(
            "{} of {} queries have no row in the file (lined up by {}): judged as no answer",
            alignment.missing, alignment.queries, alignment.by
        ));
    }
    if alignment.extra > 0 {
        notes.push(format!(
            "{} rows carry an id that is no query's: ignored",
            alignment.extra
        ));
    }
    if alignment.duplicates > 0 {
        notes.push(format!(
            "{} rows repeat an id: only the first is scored",
            alignment.duplicates
        ));
    }
    notes
}

/// Judges one answer against its query's truth: its best match (`match_record_id`) is right
/// when the record belongs to the true person; a contact is right when the answer offers it on
/// a `matched` row (the only rows re-matching offers contacts on), whatever its status, and it
/// is the true current one.
pub fn judge(
    query: &QueryTruth,
    prediction: Option<&Prediction>,
    owner: &HashMap<String, String>,
) -> Judged {
    let hit = |truth: &Option<ContactTruth>, offered: Option<&Offered>| match truth {
        Some(t) => Some(ContactHit {
            right: offered.is_some_and(|o| o.key == t.key),
            findable: t.findable,
            on_file: t.on_file,
            marked_bad: t.marked_bad,
            offered: offered.map(|o| o.status),
            has_truth: true,
        }),
        None => offered.map(|o| ContactHit {
            offered: Some(o.status),
            ..ContactHit::default()
        }),
    };
    let Some(p) = prediction else {
        return Judged {
            present: query.present,
            address: hit(&query.address, None),
            phone: hit(&query.phone, None),
            email: hit(&query.email, None),
            ..Judged::default()
        };
    };
    let offers = p.status == Some(MatchStatus::Matched);
    Judged {
        present: query.present,
        status: p.status,
        match_probability: p.match_probability,
        named_right: p
            .record_id
            .as_ref()
            .map(|id| owner.get(id) == Some(&query.person)),
        retrieved: p.trace.map(|t| t.retrieved_true),
        address_from_fragment: p.trace.map(|t| t.best_address_from_fragment),
        candidates: p.trace.map(|t| t.candidates as u64),
        address: hit(&query.address, p.address.as_ref().filter(|_| offers)),
        phone: hit(&query.phone, p.phone.as_ref().filter(|_| offers)),
        email: hit(&query.email, p.email.as_ref().filter(|_| offers)),
    }
}

/// Why an answer is a false positive at the shipped thresholds.
fn false_positive_reason(
    query: &QueryTruth,
    prediction: &Prediction,
    owner: &HashMap<String, String>,
) -> &'static str {
    let known = prediction
        .record_id
        .as_ref()
        .is_some_and(|id| owner.contains_key(id));
    if !query.present {
        "absent_person_matched"
    } else if !known {
        "unknown_record"
    } else {
        "wrong_person"
    }
}

/// Why a present query is a false negative at the shipped thresholds.
fn false_negative_reason(judged: &Judged) -> &'static str {
    match (judged.status, judged.named_right) {
        (None, _) => "missing_row",
        (Some(MatchStatus::Error), _) => "error_row",
        (Some(MatchStatus::Matched), _) => "wrong_person_matched",
        (_, Some(true)) => "right_person_not_matched",
        (_, Some(false)) => "wrong_person_possible",
        (_, None) if judged.retrieved == Some(false) => "not_retrieved",
        (_, None) => "no_match",
    }
}

/// Returns up to [`MAX_ERROR_SAMPLES`] samples, taking the highest-scored of each reason in
/// turn so that every reason is shown.
fn pick_samples(mut by_reason: BTreeMap<&'static str, Vec<ErrorSample>>) -> Vec<ErrorSample> {
    for samples in by_reason.values_mut() {
        samples.sort_by(|a, b| {
            b.match_probability
                .unwrap_or(-1.0)
                .total_cmp(&a.match_probability.unwrap_or(-1.0))
                .then(a.row.cmp(&b.row))
        });
        samples.reverse();
    }
    let mut picked = Vec::new();
    while picked.len() < MAX_ERROR_SAMPLES {
        let before = picked.len();
        for samples in by_reason.values_mut() {
            if picked.len() < MAX_ERROR_SAMPLES {
                picked.extend(samples.pop());
            }
        }
        if picked.len() == before {
            break;
        }
    }
    picked
}

fn sample(
    reason: &'static str,
    query: &QueryTruth,
    prediction: Option<&Prediction>,
    judged: &Judged,
    owner: &HashMap<String, String>,
) -> ErrorSample {
    let record_id = prediction.and_then(|p| p.record_id.clone());
    ErrorSample {
        reason: reason.to_string(),
        query_id: query.id.clone(),
        row: query.row,
        person: query.person.clone(),
        present: query.present,
        status: judged.status,
        match_probability: judged.match_probability,
        named_person: record_id.as_ref().and_then(|id| owner.get(id).cloned()),
        record_id,
        retrieved: judged.retrieved,
        explanation: prediction
            .map(|p| p.explanation.clone())
            .unwrap_or_default(),
        error: prediction.map(|p| p.error.clone()).unwrap_or_default(),
        flags: query.flags.clone(),
        query: query.masked.clone(),
    }
}

fn latency(predictions: &[Option<Prediction>]) -> Option<Latency> {
    let mut latencies: Vec<f64> = predictions
        .iter()
        .flatten()
        .filter_map(|p| p.trace.map(|t| t.latency_ms))
        .collect();
    if latencies.is_empty() {
        return None;
    }
    latencies.sort_by(f64::total_cmp);
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    Some(Latency {
        p50: at(0.5),
        p95: at(0.95),
        p99: at(0.99),
    })
}

/// Judges a system's answers and computes every figure of its report.
pub fn system_report(set: &LabelledSet, run: &SystemRun) -> SystemReport {
    debug_assert_eq!(run.predictions.len(), set.queries.len());
    let judged: Vec<Judged> = set
        .queries
        .iter()
        .zip(&run.predictions)
        .map(|(query, prediction)| judge(query, prediction.as_ref(), &set.owner))
        .collect();
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_flag: BTreeMap<&str, Vec<Judged>> = BTreeMap::new();
    let mut false_positives: BTreeMap<&'static str, Vec<ErrorSample>> = BTreeMap::new();
    let mut false_negatives: BTreeMap<&'static str, Vec<ErrorSample>> = BTreeMap::new();
    for ((query, prediction), j) in set.queries.iter().zip(&run.predictions).zip(&judged) {
        let status = j.status.map_or("missing", MatchStatus::as_str);
        *statuses.entry(status.to_string()).or_default() += 1;
        for flag in &query.flags {
            by_flag.entry(flag).or_default().push(j.clone());
        }
        let right = j.matched() && j.is_right();
        if let (true, false, Some(p)) = (j.matched(), right, prediction) {
            let reason = false_positive_reason(query, p, &set.owner);
            let s = sample(reason, query, Some(p), j, &set.owner);
            false_positives.entry(reason).or_default().push(s);
        }
        if query.present && !right {
            let reason = false_negative_reason(j);
            let s = sample(reason, query, prediction.as_ref(), j, &set.owner);
            false_negatives.entry(reason).or_default().push(s);
        }
    }
    let reasons = |samples: &BTreeMap<&'static str, Vec<ErrorSample>>| {
        samples
            .iter()
            .map(|(reason, s)| (reason.to_string(), s.len() as u64))
            .collect()
    };
    SystemReport {
        name: run.name.clone(),
        source: run.source.clone(),
        wall_seconds: run.wall_seconds,
        phases: run.phases.clone(),
        alignment: run.alignment.clone(),
        notes: run.notes.clone(),
        statuses,
        overall: Quality::of(&judged),
        by_case: by_flag
            .into_iter()
            .map(|(flag, judged)| (flag.to_string(), Quality::of(&judged)))
            .collect(),
        calibration: metrics::calibration(&judged),
        pr_curve: metrics::pr_curve(&judged),
        latency_ms: latency(&run.predictions),
        false_positive_reasons: reasons(&false_positives),
        false_negative_reasons: reasons(&false_negatives),
        false_positives: pick_samples(false_positives),
        false_negatives: pick_samples(false_negatives),
    }
}

/// Builds the report: every system judged against the same truth.
pub fn evaluate(set: &LabelledSet, dataset: Dataset, runs: &[SystemRun]) -> EvalReport {
    EvalReport {
        dataset,
        systems: runs.iter().map(|run| system_report(set, run)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truth::{Form, MaskedQuery};

    fn query(id: &str, person: &str, present: bool) -> QueryTruth {
        QueryTruth {
            id: id.into(),
            row: 1,
            person: person.into(),
            present,
            address: Some(ContactTruth {
                key: "new".into(),
                findable: true,
                on_file: false,
                marked_bad: false,
            }),
            phone: None,
            email: None,
            flags: vec!["moved".into()],
            masked: MaskedQuery::default(),
        }
    }

    fn answer(status: MatchStatus, record: Option<&str>, address: Option<&str>) -> Prediction {
        Prediction {
            status: Some(status),
            match_probability: Some(0.97),
            record_id: record.map(str::to_string),
            address: address.map(|key| Offered {
                key: key.to_string(),
                status: crate::resolve::ContactStatus::New,
            }),
            ..Prediction::default()
        }
    }

    fn owner() -> HashMap<String, String> {
        [("r1", "P1"), ("r2", "P2")]
            .iter()
            .map(|(r, p)| (r.to_string(), p.to_string()))
            .collect()
    }

    #[test]
    fn the_best_record_names_the_person_and_contacts_count_on_offering_rows() {
        let owner = owner();
        let q = query("A1", "P1", true);
        let right = judge(
            &q,
            Some(&answer(MatchStatus::Matched, Some("r1"), Some("new"))),
            &owner,
        );
        assert_eq!(right.named_right, Some(true));
        assert_eq!(right.address.map(|h| h.right), Some(true));
        let wrong = judge(
            &q,
            Some(&answer(MatchStatus::Matched, Some("r2"), Some("new"))),
            &owner,
        );
        assert_eq!(wrong.named_right, Some(false));
        let review = judge(
            &q,
            Some(&answer(MatchStatus::Review, Some("r1"), Some("new"))),
            &owner,
        );
        assert_eq!(
            review.address.map(|h| h.right),
            Some(false),
            "a review row's contacts are never counted as offered"
        );
        let unknown = judge(
            &q,
            Some(&answer(MatchStatus::Review, Some("r9"), None)),
            &owner,
        );
        assert_eq!(
            unknown.named_right,
            Some(false),
            "an unknown record is nobody's"
        );
        let quiet = judge(
            &q,
            Some(&answer(MatchStatus::NoMatch, None, Some("new"))),
            &owner,
        );
        assert_eq!(
            quiet.address.map(|h| h.right),
            Some(false),
            "no_match rows offer nothing"
        );
        let missing = judge(&q, None, &owner);
        assert_eq!((missing.status, missing.named_right), (None, None));
        assert_eq!(missing.address.map(|h| h.right), Some(false));
    }

    #[test]
    fn reports_reasons_and_samples_per_system() {
        let queries = vec![
            query("A1", "P1", true),
            query("A2", "P2", true),
            query("A3", "P3", false),
            query("A4", "P1", true),
        ];
        let set = LabelledSet {
            form: Form::Synth,
            rows: Vec::new(),
            queries,
            owner: owner(),
            query_columns: vec!["account_id".into()],
            id_column: Some(0),
            records: 2,
            unlabelled_records: 0,
        };
        let run = SystemRun {
            name: "test".into(),
            source: SystemSource::InProcess {
                model: "shipped".into(),
            },
            predictions: vec![
                Some(answer(MatchStatus::Matched, Some("r1"), Some("new"))),
                Some(answer(MatchStatus::Review, Some("r2"), None)),
                Some(answer(MatchStatus::Matched, Some("r2"), None)),
                None,
            ],
            wall_seconds: Some(1.0),
            phases: BTreeMap::new(),
            alignment: None,
            notes: Vec::new(),
        };
        let report = system_report(&set, &run);
        assert_eq!(report.overall.counts.true_positives, 1);
        assert_eq!(
            report.false_positive_reasons.get("absent_person_matched"),
            Some(&1)
        );
        assert_eq!(
            report
                .false_negative_reasons
                .get("right_person_not_matched"),
            Some(&1)
        );
        assert_eq!(report.false_negative_reasons.get("missing_row"), Some(&1));
        assert_eq!(report.statuses.get("missing"), Some(&1));
        assert_eq!(report.false_negatives.len(), 2);
        assert_eq!(report.by_case["moved"].counts.queries, 4);
        let address = report.overall.right_party_address.expect("judged");
        // Over present queries answered `matched`: A1 only (A2 is a review, A4 has no row).
        assert_eq!((address.debtors, address.right), (1, 1));
    }

    #[test]
    fn samples_take_every_reason_in_turn() {
        let mut by_reason: BTreeMap<&'static str, Vec<ErrorSample>> = BTreeMap::new();
        let q = query("A1", "P1", true);
        let j = Judged::default();
        for i in 0..40 {
            let mut s = sample("no_match", &q, None, &j, &HashMap::new());
            s.match_probability = Some(f64::from(i) / 100.0);
            by_reason.entry("no_match").or_default().push(s);
        }
        by_reason.entry("error_row").or_default().push(sample(
            "error_row",
            &q,
            None,
            &j,
            &HashMap::new(),
        ));
        let picked = pick_samples(by_reason);
        assert_eq!(picked.len(), MAX_ERROR_SAMPLES);
        assert!(picked.iter().any(|s| s.reason == "error_row"));
        assert_eq!(
            picked[1].match_probability,
            Some(0.39),
            "most probable first"
        );
    }
}
