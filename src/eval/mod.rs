//! Match-quality measurement on labelled data: re-match every debtor of a `skiptrace synth`
//! folder against the index and score the answers against the truth.
//!
//! A debtor counts as a true positive when the search is resolved to an identity whose records
//! mostly belong to the debtor's true person; as a false positive when it is resolved to anyone
//! else (including for a debtor who has no record at all); recall is over debtors who have
//! records.

pub mod metrics;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::input::{MappingOverrides, RecordReader};
use crate::normalize::{Address, NormalizedRecord};
use crate::resolve::{ContactKind, ResolutionStatus};
use crate::search::{Engine, SearchOptions};

/// What truth says about one debtor.
#[derive(Debug, Clone, Default)]
pub struct DebtorTruth {
    /// True person.
    pub person_id: String,
    /// Whether any source holds a record of the person.
    pub in_sources: bool,
    /// Delivery key of the true current address.
    pub current_address: Option<String>,
    /// True current phone (10 digits).
    pub current_phone: Option<String>,
    /// Hard-case flags that are true for this debtor (moved, twin, jr_sr, ...).
    pub flags: Vec<String>,
}

/// Precision, recall and F1 over a set of debtors.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Quality {
    /// Debtors counted.
    pub debtors: u64,
    /// Debtors with records in the sources.
    pub present: u64,
    /// Resolved to the right person.
    pub true_positives: u64,
    /// Resolved to a wrong person (or resolved although absent).
    pub false_positives: u64,
    /// Present but not resolved to the right person.
    pub false_negatives: u64,
    /// TP / (TP + FP).
    pub precision: f64,
    /// TP / present.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Share of present debtors whose true person was among the retrieved candidates.
    pub retrieval_recall: f64,
    /// Share of present debtors whose true current address differs from the one on file and who
    /// are offered it as the best new address (right-party address rate).
    pub right_party_address_rate: f64,
    /// Share of present debtors whose true current phone differs from the one on file and who are
    /// offered it as the best new phone.
    pub right_party_phone_rate: f64,
    /// Share of absent debtors correctly given no resolved match.
    pub absent_no_match_rate: f64,
}

/// The result of an evaluation run.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Figures over all debtors.
    pub overall: Quality,
    /// Figures per hard case (debtors with the flag).
    pub by_case: BTreeMap<String, Quality>,
    /// Mean candidates scored per search.
    pub mean_candidates: f64,
    /// Search latency percentiles in milliseconds (p50, p95, p99).
    pub latency_ms: [f64; 3],
    /// Wall time of all searches, seconds.
    pub wall_seconds: f64,
    /// Present debtors not resolved to their person, with what the search said (error analysis).
    pub false_negatives: Vec<ErrorSample>,
    /// Debtors resolved to the wrong person.
    pub false_positives: Vec<ErrorSample>,
}

/// Errors kept per kind in a report.
pub const MAX_ERROR_SAMPLES: usize = 25;

/// One wrong answer, for error analysis.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorSample {
    /// The debtor's account id.
    pub account_id: String,
    /// The true person.
    pub person_id: String,
    /// Resolution status.
    pub status: ResolutionStatus,
    /// Top identity's probability.
    pub top_probability: f64,
    /// Runner-up identity's probability.
    pub runner_up_probability: f64,
    /// Whether the top identity is (mostly) the true person.
    pub top_is_true_person: bool,
    /// Top identity's compact explanation.
    pub explanation: String,
    /// The debtor's hard-case flags.
    pub flags: Vec<String>,
}

struct Outcome {
    account_id: String,
    status: ResolutionStatus,
    top_probability: f64,
    runner_up_probability: f64,
    top_person: Option<String>,
    explanation: String,
    truth: DebtorTruth,
    resolved_to: Option<String>,
    retrieved_true: bool,
    address_right: Option<bool>,
    phone_right: Option<bool>,
    candidates: usize,
    latency_ms: f64,
}

fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        rows.push(record?.iter().map(str::to_string).collect());
    }
    Ok((headers, rows))
}

fn address_key(line1: &str, line2: &str, city: &str, state: &str, zip: &str) -> Option<String> {
    let (address, _) = Address::parse(line1, line2, city, state, zip);
    address.has_street().then(|| address.delivery_key())
}

/// Reads `truth/debtors.csv` of a synth folder.
///
/// # Errors
/// When the file is missing or malformed.
pub fn read_debtor_truth(dir: &Path) -> Result<HashMap<String, DebtorTruth>> {
    let (headers, rows) = read_csv(&dir.join("truth").join("debtors.csv"))?;
    let column = |name: &str| headers.iter().position(|h| h == name);
    let get = |row: &Vec<String>, name: &str| {
        column(name)
            .and_then(|i| row.get(i).cloned())
            .unwrap_or_default()
    };
    let flag_columns: Vec<(usize, &String)> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            !h.starts_with("current_")
                && !matches!(h.as_str(), "account_id" | "person_id" | "in_sources")
        })
        .collect();
    let mut truth = HashMap::with_capacity(rows.len());
    for row in &rows {
        let current_address = address_key(
            &get(row, "current_address_line1"),
            &get(row, "current_address_line2"),
            &get(row, "current_city"),
            &get(row, "current_state"),
            &get(row, "current_zip"),
        );
        let phone = get(row, "current_phone");
        let flags = flag_columns
            .iter()
            .filter(|(i, _)| row.get(*i).map(String::as_str) == Some("true"))
            .map(|(_, h)| (*h).clone())
            .collect();
        truth.insert(
            get(row, "account_id"),
            DebtorTruth {
                person_id: get(row, "person_id"),
                in_sources: get(row, "in_sources") == "true",
                current_address,
                current_phone: crate::normalize::parse_phone(&phone).ok(),
                flags,
            },
        );
    }
    Ok(truth)
}

/// Reads `truth/records.csv`: record id → person id.
///
/// # Errors
/// When the file is missing or malformed.
pub fn read_record_truth(dir: &Path) -> Result<HashMap<String, String>> {
    let (_, rows) = read_csv(&dir.join("truth").join("records.csv"))?;
    Ok(rows
        .into_iter()
        .filter_map(|mut row| {
            let person = row.pop()?;
            let record = row.pop()?;
            Some((record, person))
        })
        .collect())
}

fn majority<'a>(
    ids: impl Iterator<Item = &'a str>,
    owner: &HashMap<String, String>,
) -> Option<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in ids {
        if let Some(person) = owner.get(id) {
            *counts.entry(person.as_str()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(p, _)| p.to_string())
}

/// Re-matches every debtor of the synth folder `dir` (`returned_mail.csv`) and scores the
/// answers against `truth/`.
///
/// # Errors
/// When a file is missing or the index fails.
pub fn evaluate_synth(engine: &Engine, dir: &Path, options: &SearchOptions) -> Result<EvalReport> {
    let debtor_truth = read_debtor_truth(dir)?;
    let record_owner = read_record_truth(dir)?;
    let reader = RecordReader::open(&dir.join("returned_mail.csv"), &MappingOverrides::default())?;
    let account_column = reader
        .mapping()
        .columns
        .iter()
        .position(|c| c == "account_id")
        .ok_or_else(|| {
            crate::InputError::new(
                0,
                "account_id",
                "returned_mail.csv has no account_id column",
            )
        })?;
    let rows: Vec<_> = reader.collect();
    let started = Instant::now();
    let outcomes: Vec<Outcome> = rows
        .par_iter()
        .filter_map(|row| {
            let truth = debtor_truth.get(&row.values[account_column])?.clone();
            let timer = Instant::now();
            let (query, _) = NormalizedRecord::from_raw(&row.raw);
            let (resolution, retrieved) = engine.search_traced(&query, options).ok()?;
            let latency_ms = timer.elapsed().as_secs_f64() * 1000.0;
            let retrieved_true = retrieved
                .iter()
                .any(|id| record_owner.get(id) == Some(&truth.person_id));
            let top = resolution.identities.first();
            // The identity is whose record carries its strongest evidence (its anchor): an
            // identity may also hold a look-alike's weak record (a father's marketing record).
            let top_person = top.and_then(|i| {
                let anchor = i
                    .explanation
                    .iter()
                    .filter(|e| e.record_id.is_some())
                    .max_by(|a, b| a.match_weight.total_cmp(&b.match_weight))
                    .and_then(|e| e.record_id.as_deref());
                match anchor {
                    Some(id) => record_owner.get(id).cloned(),
                    None => majority(
                        i.records.iter().map(|r| r.record_id.as_str()),
                        &record_owner,
                    ),
                }
            });
            let resolved_to = (resolution.status == ResolutionStatus::Resolved)
                .then(|| top_person.clone())
                .flatten();
            let matched_right = resolved_to.as_deref() == Some(truth.person_id.as_str());
            let query_address = query
                .address
                .as_ref()
                .filter(|a| a.has_street())
                .map(Address::delivery_key);
            let address_right = truth
                .current_address
                .as_ref()
                .filter(|key| Some(*key) != query_address.as_ref())
                .map(|key| {
                    matched_right
                        && top
                            .and_then(|i| i.best_new(ContactKind::Address))
                            .and_then(|p| p.address.as_ref())
                            .is_some_and(|a| {
                                address_key(&a.line1, &a.line2, &a.city, &a.state, &a.zip).as_ref()
                                    == Some(key)
                            })
                });
            let phone_right = truth
                .current_phone
                .as_ref()
                .filter(|phone| Some(*phone) != query.phone.as_ref())
                .map(|phone| {
                    matched_right
                        && top
                            .and_then(|i| i.best_new(ContactKind::Phone))
                            .is_some_and(|p| {
                                crate::normalize::parse_phone(&p.value).ok().as_ref() == Some(phone)
                            })
                });
            Some(Outcome {
                account_id: row.values[account_column].clone(),
                status: resolution.status,
                top_probability: top.map_or(0.0, |i| i.match_probability),
                runner_up_probability: resolution
                    .identities
                    .get(1)
                    .map_or(0.0, |i| i.match_probability),
                top_person,
                explanation: top.map(|i| i.compact_explanation()).unwrap_or_default(),
                truth,
                resolved_to,
                retrieved_true,
                address_right,
                phone_right,
                candidates: resolution.candidates_scored,
                latency_ms,
            })
        })
        .collect();
    let wall_seconds = started.elapsed().as_secs_f64();
    let mut latencies: Vec<f64> = outcomes.iter().map(|o| o.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        if latencies.is_empty() {
            return 0.0;
        }
        latencies[((latencies.len() - 1) as f64 * p).round() as usize]
    };
    let mut by_case: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
    for outcome in &outcomes {
        for flag in &outcome.truth.flags {
            by_case.entry(flag.clone()).or_default().push(outcome);
        }
    }
    let all: Vec<&Outcome> = outcomes.iter().collect();
    let sample = |wanted: &dyn Fn(&Outcome) -> bool| -> Vec<ErrorSample> {
        let mut picked: Vec<&Outcome> = outcomes.iter().filter(|o| wanted(o)).collect();
        picked.sort_by(|a, b| b.top_probability.total_cmp(&a.top_probability));
        picked
            .into_iter()
            .take(MAX_ERROR_SAMPLES)
            .map(error_sample)
            .collect()
    };
    let false_negatives = sample(&|o| {
        o.truth.in_sources && o.resolved_to.as_deref() != Some(o.truth.person_id.as_str())
    });
    let false_positives = sample(&|o| {
        o.resolved_to.is_some() && o.resolved_to.as_deref() != Some(o.truth.person_id.as_str())
    });
    Ok(EvalReport {
        false_negatives,
        false_positives,
        overall: quality(&all),
        by_case: by_case.into_iter().map(|(k, v)| (k, quality(&v))).collect(),
        mean_candidates: outcomes.iter().map(|o| o.candidates as f64).sum::<f64>()
            / outcomes.len().max(1) as f64,
        latency_ms: [percentile(0.5), percentile(0.95), percentile(0.99)],
        wall_seconds,
    })
}

fn error_sample(outcome: &Outcome) -> ErrorSample {
    ErrorSample {
        account_id: outcome.account_id.clone(),
        person_id: outcome.truth.person_id.clone(),
        status: outcome.status,
        top_probability: outcome.top_probability,
        runner_up_probability: outcome.runner_up_probability,
        top_is_true_person: outcome.top_person.as_deref() == Some(outcome.truth.person_id.as_str()),
        explanation: outcome.explanation.clone(),
        flags: outcome.truth.flags.clone(),
    }
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        return 0.0;
    }
    numerator as f64 / denominator as f64
}

fn quality(outcomes: &[&Outcome]) -> Quality {
    let mut q = Quality {
        debtors: outcomes.len() as u64,
        ..Quality::default()
    };
    let (mut retrieved, mut address_right, mut address_total, mut phone_right, mut phone_total) =
        (0, 0, 0, 0, 0);
    let (mut absent, mut absent_quiet) = (0, 0);
    for outcome in outcomes {
        let right = outcome.resolved_to.as_deref() == Some(outcome.truth.person_id.as_str());
        if outcome.truth.in_sources {
            q.present += 1;
            retrieved += u64::from(outcome.retrieved_true);
            if right {
                q.true_positives += 1;
            } else {
                q.false_negatives += 1;
            }
            if let Some(hit) = outcome.address_right {
                address_total += 1;
                address_right += u64::from(hit);
            }
            if let Some(hit) = outcome.phone_right {
                phone_total += 1;
                phone_right += u64::from(hit);
            }
        } else {
            absent += 1;
            absent_quiet += u64::from(outcome.resolved_to.is_none());
        }
        if outcome.resolved_to.is_some() && !right {
            q.false_positives += 1;
        }
    }
    q.precision = ratio(q.true_positives, q.true_positives + q.false_positives);
    q.recall = ratio(q.true_positives, q.present);
    q.f1 = if q.precision + q.recall > 0.0 {
        2.0 * q.precision * q.recall / (q.precision + q.recall)
    } else {
        0.0
    };
    q.retrieval_recall = ratio(retrieved, q.present);
    q.right_party_address_rate = ratio(address_right, address_total);
    q.right_party_phone_rate = ratio(phone_right, phone_total);
    q.absent_no_match_rate = ratio(absent_quiet, absent);
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(person: &str, in_sources: bool, resolved_to: Option<&str>) -> Outcome {
        Outcome {
            account_id: person.into(),
            status: ResolutionStatus::NoMatch,
            top_probability: 0.0,
            runner_up_probability: 0.0,
            top_person: None,
            explanation: String::new(),
            truth: DebtorTruth {
                person_id: person.into(),
                in_sources,
                ..DebtorTruth::default()
            },
            resolved_to: resolved_to.map(str::to_string),
            retrieved_true: resolved_to.is_some(),
            address_right: None,
            phone_right: None,
            candidates: 10,
            latency_ms: 1.0,
        }
    }

    #[test]
    fn precision_recall_and_f1_on_known_counts() {
        let outcomes = [
            outcome("a", true, Some("a")),
            outcome("b", true, Some("b")),
            outcome("c", true, Some("x")),
            outcome("d", true, None),
            outcome("e", false, None),
            outcome("f", false, Some("q")),
        ];
        let refs: Vec<&Outcome> = outcomes.iter().collect();
        let q = quality(&refs);
        assert_eq!(
            (q.true_positives, q.false_positives, q.false_negatives),
            (2, 2, 2)
        );
        assert!((q.precision - 0.5).abs() < 1e-12);
        assert!((q.recall - 0.5).abs() < 1e-12);
        assert!((q.f1 - 0.5).abs() < 1e-12);
        assert!((q.absent_no_match_rate - 0.5).abs() < 1e-12);
        assert!((q.retrieval_recall - 0.75).abs() < 1e-12);
    }

    #[test]
    fn identity_owner_is_the_majority_person() {
        let owner: HashMap<String, String> = [("r1", "p1"), ("r2", "p2"), ("r3", "p2")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(
            majority(["r1", "r2", "r3"].into_iter(), &owner).as_deref(),
            Some("p2")
        );
        assert_eq!(majority(["zz"].into_iter(), &owner), None);
    }
}
