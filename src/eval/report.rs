//! The evaluation report: every figure in one serde structure (`report.json`), the same as
//! tables side by side per system (`report.md`), and a one-screen terminal summary.
//!
//! Last step of `skiptrace eval`. Queries appear only masked ([`MaskedQuery`]: SSN last four,
//! year of birth), so a report can be shared like a log (docs/domain.md §6).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::metrics::{Calibration, ContactRate, PrPoint, Quality};
use super::prediction::Alignment;
use super::truth::{flag_counts, Form, LabelledSet, MaskedQuery};
use crate::bulk::MatchStatus;
use crate::error::{Error, Result};
use crate::resolve::ContactStatus;

/// Error samples kept per kind and system.
pub const MAX_ERROR_SAMPLES: usize = 25;

/// File names written into the report folder.
pub const REPORT_FILES: [&str; 3] = ["report.md", "report.json", "pr_curve.svg"];

/// The whole evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// What was evaluated.
    pub dataset: Dataset,
    /// One entry per system, in the order given.
    pub systems: Vec<SystemReport>,
}

/// The labelled data and how the run was set up.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    /// Synth folder or labelled files.
    pub form: Form,
    /// The command line, for rerunning.
    pub command: String,
    /// Where the records came from.
    pub records_source: String,
    /// Where the queries came from.
    pub queries_source: String,
    /// The label column (labelled files only).
    pub label_column: Option<String>,
    /// Records read.
    pub records: u64,
    /// Records without a label.
    pub unlabelled_records: u64,
    /// Queries.
    pub queries: u64,
    /// Queries whose person has a record.
    pub present: u64,
    /// Queries whose person has none (right answer: no match).
    pub absent: u64,
    /// Queries per hard case.
    pub hard_cases: BTreeMap<String, u64>,
    /// The id column answers are lined up by (else row order).
    pub aligned_by: Option<String>,
    /// The index skiptrace searched, when it ran.
    pub index: Option<IndexInfo>,
    /// Probability the top identity needs for `matched`.
    pub match_threshold: f64,
    /// Probability at which an unresolved top identity is left for `review`.
    pub review_threshold: f64,
}

/// The index an in-process run searched.
#[derive(Debug, Clone, Serialize)]
pub struct IndexInfo {
    /// Directory, or `in memory`.
    pub location: String,
    /// Records it holds.
    pub records: u64,
    /// Seconds spent building it in this run (`None`: it already held the records).
    pub built_seconds: Option<f64>,
}

impl Dataset {
    /// Returns the counts of `set`; the caller fills in sources, command, index and thresholds.
    pub fn of(set: &LabelledSet) -> Dataset {
        let present = set.present() as u64;
        Dataset {
            form: set.form,
            command: String::new(),
            records_source: String::new(),
            queries_source: String::new(),
            label_column: None,
            records: set.records,
            unlabelled_records: set.unlabelled_records,
            queries: set.queries.len() as u64,
            present,
            absent: set.queries.len() as u64 - present,
            hard_cases: flag_counts(&set.queries),
            aligned_by: set.id_column_name().map(str::to_string),
            index: None,
            match_threshold: crate::search::DEFAULT_MATCH_THRESHOLD,
            review_threshold: crate::bulk::DEFAULT_REVIEW_THRESHOLD,
        }
    }
}

/// Where a system's answers came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SystemSource {
    /// skiptrace, re-matched in this run.
    InProcess {
        /// Model file, or `shipped`.
        model: String,
    },
    /// A file in the re-matching output format.
    File {
        /// The file.
        path: String,
        /// Its sidecar, when found.
        meta: Option<String>,
    },
}

/// Search latency percentiles, milliseconds, per row as run in parallel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// One wrong answer, for error analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorSample {
    /// Why it is wrong (`wrong_person`, `absent_person_matched`, `not_retrieved`, ...).
    pub reason: String,
    /// The query's id.
    pub query_id: String,
    /// Its data row in the queries file.
    pub row: u64,
    /// The true person.
    pub person: String,
    /// Whether the true person has a record.
    pub present: bool,
    /// Status of the answer (`None`: no row in the scored file).
    pub status: Option<MatchStatus>,
    /// Score of the best match.
    pub match_probability: Option<f64>,
    /// The best match's record.
    pub record_id: Option<String>,
    /// Whose record that is.
    pub named_person: Option<String>,
    /// Whether the true person was retrieved (in-process runs).
    pub retrieved: Option<bool>,
    /// The best match's per-field levels.
    pub explanation: String,
    /// Why the row was not searched.
    pub error: String,
    /// The query's hard-case flags.
    pub flags: Vec<String>,
    /// The query, masked.
    pub query: MaskedQuery,
}

/// Every figure of one system.
#[derive(Debug, Clone, Serialize)]
pub struct SystemReport {
    /// Name.
    pub name: String,
    /// Where its answers came from.
    pub source: SystemSource,
    /// End-to-end wall time, seconds (for skiptrace: indexing when this run built the index,
    /// plus matching).
    pub wall_seconds: Option<f64>,
    /// Wall time per phase.
    pub phases: BTreeMap<String, serde_json::Value>,
    /// How a scored file's rows were lined up.
    pub alignment: Option<Alignment>,
    /// Warnings.
    pub notes: Vec<String>,
    /// Answers per status (`missing`: no row in the file).
    pub statuses: BTreeMap<String, u64>,
    /// Figures over all queries.
    pub overall: Quality,
    /// Figures per hard case.
    pub by_case: BTreeMap<String, Quality>,
    /// Reliability table.
    pub calibration: Calibration,
    /// Precision–recall curve, highest threshold first.
    pub pr_curve: Vec<PrPoint>,
    /// Per-row latency (in-process runs).
    pub latency_ms: Option<Latency>,
    /// False positives at the shipped thresholds, per reason.
    pub false_positive_reasons: BTreeMap<String, u64>,
    /// False negatives at the shipped thresholds, per reason.
    pub false_negative_reasons: BTreeMap<String, u64>,
    /// The highest-scored false positives, every reason in turn.
    pub false_positives: Vec<ErrorSample>,
    /// The highest-scored false negatives, every reason in turn.
    pub false_negatives: Vec<ErrorSample>,
}

/// Writes `report.md`, `report.json` and `pr_curve.svg` (with the `plot` feature) into `dir`
/// (created when missing).
///
/// # Errors
/// When the folder or a file cannot be written, or the plot cannot be drawn.
pub fn write_report(dir: &Path, report: &EvalReport) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let write = |name: &str, contents: &str| {
        let path = dir.join(name);
        std::fs::write(&path, contents).map_err(|e| Error::io(&path, e))
    };
    write("report.md", &markdown(report))?;
    write("report.json", &serde_json::to_string_pretty(report)?)?;
    #[cfg(feature = "plot")]
    write("pr_curve.svg", &super::plot::pr_curve_svg(report)?)?;
    Ok(())
}

fn number(value: f64) -> String {
    format!("{value:.4}")
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), number)
}

fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |s| format!("{s:.1} s"))
}

/// Renders offers and precision per status: `new 812 (0.981), confirmed 95 (1.000), ...`.
fn by_status(value: Option<ContactRate>) -> String {
    let Some(rate) = value else {
        return "n/a".to_string();
    };
    ContactStatus::ALL
        .iter()
        .map(|status| {
            let figures = rate.of_status(*status);
            format!(
                "{} {} ({})",
                status.as_str(),
                count(figures.offered),
                number(figures.precision)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders the rate over the findable debtors whose file does not mark the current value bad.
fn allowed(value: Option<ContactRate>) -> String {
    value.map_or("n/a".into(), |r| {
        format!(
            "{} ({} marked bad by the file)",
            number(r.allowed_rate),
            count(r.marked_bad_debtors)
        )
    })
}

fn rate(value: Option<ContactRate>, findable: bool) -> String {
    match value {
        None => "n/a".to_string(),
        Some(r) if findable => format!(
            "{} ({} / {}; ceiling {})",
            number(r.findable_rate),
            count(r.findable_right),
            count(r.findable_debtors),
            number(r.ceiling)
        ),
        Some(r) => format!(
            "{} ({} / {})",
            number(r.rate),
            count(r.right),
            count(r.debtors)
        ),
    }
}

fn best(q: &Quality) -> (String, String, String) {
    match q.best_f1 {
        Some(p) => (
            number(p.f1),
            number(p.threshold),
            format!("{} / {}", number(p.precision), number(p.recall)),
        ),
        None => ("n/a".into(), "n/a".into(), "n/a".into()),
    }
}

/// Escapes a value for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn table_row(out: &mut String, cells: &[String]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

fn table_head(out: &mut String, cells: &[String]) {
    table_row(out, cells);
    table_row(out, &vec!["---".to_string(); cells.len()]);
}

/// Renders the report as Markdown tables, systems side by side.
pub fn markdown(report: &EvalReport) -> String {
    let mut out = String::new();
    let d = &report.dataset;
    let _ = writeln!(out, "# Match-quality report (`skiptrace eval`)\n");
    if !d.command.is_empty() {
        let _ = writeln!(out, "```sh\n{}\n```\n", d.command);
    }
    data_section(&mut out, d);
    overall_section(&mut out, report);
    cases_section(&mut out, report);
    calibration_section(&mut out, report);
    errors_section(&mut out, report);
    definitions_section(&mut out);
    out
}

fn data_section(out: &mut String, d: &Dataset) {
    let _ = writeln!(out, "## Data\n");
    let form = match d.form {
        Form::Synth => "a `skiptrace synth` folder",
        Form::Labelled => "labelled files",
    };
    let _ = writeln!(
        out,
        "- Form: {form}; records `{}`, queries `{}`",
        d.records_source, d.queries_source
    );
    if let Some(label) = &d.label_column {
        let _ = writeln!(
            out,
            "- Label column: `{label}` (never mapped to a field, never indexed)"
        );
    }
    let _ = writeln!(
        out,
        "- Records: {} ({} without a label)",
        count(d.records),
        count(d.unlabelled_records)
    );
    let _ = writeln!(
        out,
        "- Queries: {}: {} whose person has a record, {} whose person has none (right answer: no match)",
        count(d.queries),
        count(d.present),
        count(d.absent)
    );
    if let Some(index) = &d.index {
        let built = match index.built_seconds {
            Some(s) => format!("built in this run in {s:.1} s"),
            None => "already built".to_string(),
        };
        let _ = writeln!(
            out,
            "- Index: {} ({} records, {built})",
            index.location,
            count(index.records)
        );
    }
    let _ = writeln!(
        out,
        "- Shipped thresholds: `matched` at top probability ≥ {} with an actionable explanation; \
         `review` at ≥ {}",
        d.match_threshold, d.review_threshold
    );
    let _ = writeln!(
        out,
        "- Answers lined up with queries by: {}\n",
        d.aligned_by.as_deref().unwrap_or("row order")
    );
}

fn overall_section(out: &mut String, report: &EvalReport) {
    let _ = writeln!(out, "## Overall\n");
    let mut head = vec!["figure".to_string()];
    head.extend(
        report
            .systems
            .iter()
            .map(|s| format!("**{}**", cell(&s.name))),
    );
    table_head(out, &head);
    type Getter = fn(&SystemReport) -> String;
    let rows: [(&str, Getter); 25] = [
        ("precision at the shipped thresholds", |s| {
            number(s.overall.precision)
        }),
        ("recall at the shipped thresholds", |s| {
            number(s.overall.recall)
        }),
        ("F1 at the shipped thresholds", |s| number(s.overall.f1)),
        ("best F1 over score thresholds", |s| best(&s.overall).0),
        ("best-F1 threshold", |s| best(&s.overall).1),
        ("precision / recall at best F1", |s| best(&s.overall).2),
        ("TP / FP / FN / TN at the shipped thresholds", |s| {
            let c = &s.overall.counts;
            format!(
                "{} / {} / {} / {}",
                count(c.true_positives),
                count(c.false_positives),
                count(c.false_negatives),
                count(c.true_negatives)
            )
        }),
        ("absent person → no match", |s| {
            number(s.overall.absent_no_match_rate)
        }),
        ("candidate-retrieval recall", |s| {
            optional(s.overall.retrieval_recall)
        }),
        ("mean candidates scored", |s| {
            s.overall
                .mean_candidates
                .map_or("n/a".into(), |m| format!("{m:.1}"))
        }),
        ("right-party address", |s| {
            rate(s.overall.right_party_address, false)
        }),
        ("right-party address, current address in a record", |s| {
            rate(s.overall.right_party_address, true)
        }),
        (
            "right-party address, of what records and the file's marks allow",
            |s| allowed(s.overall.right_party_address),
        ),
        ("best addresses only fragments report (right)", |s| {
            s.overall.fragment_addresses.map_or("n/a".into(), |f| {
                format!("{} ({})", count(f.offered), count(f.right))
            })
        }),
        ("best address offered by status (precision)", |s| {
            by_status(s.overall.right_party_address)
        }),
        ("right-party phone", |s| {
            rate(s.overall.right_party_phone, false)
        }),
        ("right-party phone, current phone in a record", |s| {
            rate(s.overall.right_party_phone, true)
        }),
        (
            "right-party phone, of what records and the file's marks allow",
            |s| allowed(s.overall.right_party_phone),
        ),
        ("best phone offered by status (precision)", |s| {
            by_status(s.overall.right_party_phone)
        }),
        ("right-party email", |s| {
            rate(s.overall.right_party_email, false)
        }),
        ("right-party email, current email in a record", |s| {
            rate(s.overall.right_party_email, true)
        }),
        ("best email offered by status (precision)", |s| {
            by_status(s.overall.right_party_email)
        }),
        ("expected calibration error", |s| {
            number(s.calibration.expected_calibration_error)
        }),
        ("wall time", |s| seconds(s.wall_seconds)),
        ("latency p50 / p95 / p99 (ms)", |s| {
            s.latency_ms.map_or("n/a".into(), |l| {
                format!("{:.2} / {:.2} / {:.2}", l.p50, l.p95, l.p99)
            })
        }),
    ];
    for (label, get) in rows {
        let mut cells = vec![label.to_string()];
        cells.extend(report.systems.iter().map(get));
        table_row(out, &cells);
    }
    let _ = writeln!(
        out,
        "\n![Precision–recall curve per system; the ringed point is each system at its shipped thresholds](pr_curve.svg)\n"
    );
    let statuses: Vec<String> = ["matched", "review", "no_match", "error", "missing"]
        .iter()
        .filter(|status| {
            report
                .systems
                .iter()
                .any(|s| s.statuses.contains_key(**status))
        })
        .map(|s| s.to_string())
        .collect();
    let _ = writeln!(out, "### Answers by status\n");
    let mut head = vec!["status".to_string()];
    head.extend(report.systems.iter().map(|s| cell(&s.name)));
    table_head(out, &head);
    for status in statuses {
        let mut cells = vec![status.clone()];
        cells.extend(
            report
                .systems
                .iter()
                .map(|s| count(s.statuses.get(&status).copied().unwrap_or(0))),
        );
        table_row(out, &cells);
    }
    out.push('\n');
    for system in &report.systems {
        let mut lines = system.notes.clone();
        if !system.phases.is_empty() {
            let phases: Vec<String> = system
                .phases
                .iter()
                .map(|(phase, value)| match value.as_f64() {
                    Some(s) => format!("{phase} {s:.1} s"),
                    None => format!("{phase} {value}"),
                })
                .collect();
            lines.push(format!("phases: {}", phases.join(", ")));
        }
        if let Some(a) = &system.alignment {
            lines.push(format!(
                "{} rows lined up by {}: {} of {} queries answered",
                count(a.rows),
                a.by,
                count(a.aligned),
                count(a.queries)
            ));
        }
        for line in lines {
            let _ = writeln!(out, "- {}: {}", cell(&system.name), line);
        }
    }
    out.push('\n');
}

fn cases_section(out: &mut String, report: &EvalReport) {
    let cases = &report.dataset.hard_cases;
    if cases.is_empty() {
        return;
    }
    let _ = writeln!(out, "## By hard case\n");
    let _ = writeln!(
        out,
        "Precision, recall and F1 at the shipped thresholds, best F1 over score thresholds, and \
         the right-party address rate, over the queries with the flag.\n"
    );
    let mut head = vec!["case".to_string(), "queries".to_string()];
    for s in &report.systems {
        let name = cell(&s.name);
        head.extend([
            format!("{name} P"),
            format!("{name} R"),
            format!("{name} F1"),
            format!("{name} best F1"),
            format!("{name} address"),
        ]);
    }
    table_head(out, &head);
    let all = std::iter::once(("all".to_string(), report.dataset.queries));
    for (case, queries) in all.chain(cases.iter().map(|(c, n)| (c.clone(), *n))) {
        let mut cells = vec![case.clone(), count(queries)];
        for s in &report.systems {
            let q = if case == "all" {
                Some(&s.overall)
            } else {
                s.by_case.get(&case)
            };
            match q {
                Some(q) => cells.extend([
                    number(q.precision),
                    number(q.recall),
                    number(q.f1),
                    best(q).0,
                    q.right_party_address
                        .map_or("n/a".into(), |r| number(r.rate)),
                ]),
                None => cells.extend(vec!["n/a".to_string(); 5]),
            }
        }
        table_row(out, &cells);
    }
    out.push('\n');
}

fn calibration_section(out: &mut String, report: &EvalReport) {
    let _ = writeln!(out, "## Calibration (reliability)\n");
    let _ = writeln!(
        out,
        "Per score bucket: answers that name a best match, their mean score (the predicted \
         probability of being right) and the share whose best match is the true person. A \
         well-calibrated score has mean predicted ≈ observed. Answers with a score but no named \
         match (a `no_match` row of a rematch output names no record) cannot be checked and are \
         counted apart.\n"
    );
    let mut head = vec!["score".to_string()];
    for s in &report.systems {
        let name = cell(&s.name);
        head.extend([
            format!("{name} n"),
            format!("{name} predicted"),
            format!("{name} observed"),
            format!("{name} unnamed"),
        ]);
    }
    table_head(out, &head);
    let buckets = report
        .systems
        .first()
        .map_or(0, |s| s.calibration.buckets.len());
    for b in 0..buckets {
        let first = &report.systems[0].calibration.buckets[b];
        let mut cells = vec![format!("{:.2}–{:.2}", first.lower, first.upper)];
        for s in &report.systems {
            let bucket = &s.calibration.buckets[b];
            let (predicted, observed) = if bucket.count == 0 {
                ("".to_string(), "".to_string())
            } else {
                (number(bucket.mean_predicted), number(bucket.observed))
            };
            cells.extend([
                count(bucket.count),
                predicted,
                observed,
                count(bucket.unnamed),
            ]);
        }
        table_row(out, &cells);
    }
    out.push('\n');
}

fn errors_section(out: &mut String, report: &EvalReport) {
    let _ = writeln!(out, "## Errors at the shipped thresholds\n");
    for s in &report.systems {
        let _ = writeln!(out, "### {}\n", cell(&s.name));
        for (kind, reasons, samples) in [
            (
                "False positives",
                &s.false_positive_reasons,
                &s.false_positives,
            ),
            (
                "False negatives",
                &s.false_negative_reasons,
                &s.false_negatives,
            ),
        ] {
            let total: u64 = reasons.values().sum();
            let listed: Vec<String> = reasons
                .iter()
                .map(|(reason, n)| format!("{reason} {}", count(*n)))
                .collect();
            let _ = writeln!(
                out,
                "{kind}: {} ({})\n",
                count(total),
                if listed.is_empty() {
                    "none".to_string()
                } else {
                    listed.join(", ")
                }
            );
            if samples.is_empty() {
                continue;
            }
            table_head(
                out,
                &[
                    "reason",
                    "query",
                    "true person",
                    "status",
                    "score",
                    "match",
                    "retrieved",
                    "query (masked)",
                    "flags",
                    "explanation",
                ]
                .map(str::to_string),
            );
            for e in samples {
                let q = &e.query;
                let masked = [
                    q.name.as_str(),
                    q.dob.as_str(),
                    q.ssn.as_str(),
                    q.zip.as_str(),
                ]
                .iter()
                .filter(|v| !v.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
                let matched = match (&e.record_id, &e.named_person) {
                    (Some(record), Some(person)) => format!("{record} ({person})"),
                    (Some(record), None) => format!("{record} (unknown)"),
                    _ => String::new(),
                };
                // A row can carry both: input notes (a field that did not parse) and the levels
                // of the match it still got; the levels say why it is where it is.
                let explanation = match (e.explanation.is_empty(), e.error.is_empty()) {
                    (_, true) => e.explanation.clone(),
                    (true, false) => format!("error: {}", e.error),
                    (false, false) => format!("{}; input: {}", e.explanation, e.error),
                };
                table_row(
                    out,
                    &[
                        e.reason.clone(),
                        cell(&e.query_id),
                        cell(&e.person),
                        e.status.map_or("missing", MatchStatus::as_str).to_string(),
                        optional(e.match_probability),
                        cell(&matched),
                        e.retrieved.map_or("n/a".into(), |r| r.to_string()),
                        cell(&masked),
                        e.flags.join(" "),
                        cell(&explanation).replace(';', "; "),
                    ],
                );
            }
            out.push('\n');
        }
    }
}

fn definitions_section(out: &mut String) {
    let _ = writeln!(
        out,
        "## Definitions\n\n\
- Every system is scored from rows in the rematch output format with the same code. A row's \
best match is `match_record_id`; it is right when truth says that record belongs to the \
query's person. A query whose person has no record is right only when it is not matched.\n\
- At the shipped thresholds an answer is taken when its status is `matched`. TP: a present query \
matched to its person; FP: a match to anyone else (present or absent query); FN: a present query \
not matched to its person; precision TP / (TP + FP), recall TP / present queries.\n\
- PR curve: at threshold t a row predicts its best match when it names one and its score ≥ t; \
one point per distinct score. Best F1 is the highest F1 on that curve.\n\
- Candidate-retrieval recall: share of present queries whose true person is among the records \
the search retrieved (both passes); in-process runs only.\n\
- Right-party rate: over present queries answered `matched` whose truth has a current address \
(phone, email), moved or not, the share offered it as the best one, whatever its status \
(`new`, `confirmed`: the one on file is still the best, `corrected`: the one on file with its \
unit, ZIP or spelling fixed). The \"in a record\" rows count only queries whose current value \
appears in one of their person's source records, so a system could have found it; the ceiling \
is their share of the matched queries. By status: how many best contacts were offered with \
each status, and the share of them that are the true current one (for `confirmed`: how often \
the debtor really is still there). \"Of what records and the file's marks allow\" leaves out \
the queries whose file marks their true current value as bad (a carrier returned mail to where \
the debtor still lives): the rules forbid confirming it.\n\
- Calibration: see above; expected calibration error is the count-weighted mean gap.\n"
    );
}

/// Renders the one-screen terminal summary.
pub fn summary(report: &EvalReport) -> String {
    let mut out = String::new();
    let d = &report.dataset;
    let _ = writeln!(
        out,
        "{} queries ({} with a record, {} without) against {} records",
        count(d.queries),
        count(d.present),
        count(d.absent),
        count(d.records)
    );
    let _ = writeln!(
        out,
        "{:<18} {:>7} {:>7} {:>7} {:>16} {:>9} {:>13} {:>13} {:>13} {:>8}",
        "system",
        "P",
        "R",
        "F1",
        "best F1 (t)",
        "retrieval",
        "addr (in rec)",
        "phon (in rec)",
        "mail (in rec)",
        "wall"
    );
    for s in &report.systems {
        let q = &s.overall;
        let best_f1 = q.best_f1.map_or("n/a".into(), |p| {
            format!("{:.4} ({:.2})", p.f1, p.threshold)
        });
        let short = |r: Option<ContactRate>| {
            r.map_or("n/a".into(), |r| {
                format!("{:.3} ({:.3})", r.rate, r.findable_rate)
            })
        };
        let phone = q.right_party_phone.map_or("n/a".into(), |r| {
            format!("{:.3} ({:.3})", r.rate, r.findable_rate)
        });
        let _ = writeln!(
            out,
            "{:<18} {:>7.4} {:>7.4} {:>7.4} {:>16} {:>9} {:>13} {:>13} {:>13} {:>8}",
            s.name.chars().take(18).collect::<String>(),
            q.precision,
            q.recall,
            q.f1,
            best_f1,
            q.retrieval_recall
                .map_or("n/a".into(), |r| format!("{r:.4}")),
            short(q.right_party_address),
            phone,
            short(q.right_party_email),
            seconds(s.wall_seconds)
        );
    }
    if !d.hard_cases.is_empty() {
        let _ = writeln!(out, "F1 by hard case:");
        for (case, n) in &d.hard_cases {
            let figures: Vec<String> = report
                .systems
                .iter()
                .map(|s| {
                    s.by_case
                        .get(case)
                        .map_or("n/a".into(), |q| format!("{} {:.4}", s.name, q.f1))
                })
                .collect();
            let _ = writeln!(
                out,
                "  {:<16} {:>6}  {}",
                case,
                count(*n),
                figures.join("  ")
            );
        }
    }
    for s in &report.systems {
        let _ = writeln!(
            out,
            "{}: calibration error {:.4}; false positives {}, false negatives {}",
            s.name,
            s.calibration.expected_calibration_error,
            count(s.overall.counts.false_positives),
            count(s.overall.counts.false_negatives)
        );
        for note in &s.notes {
            let _ = writeln!(out, "{}: note: {note}", s.name);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::eval::metrics::{calibration, pr_curve, Judged};

    pub(crate) fn sample_report() -> EvalReport {
        let judged = vec![
            Judged {
                present: true,
                status: Some(MatchStatus::Matched),
                match_probability: Some(0.99),
                named_right: Some(true),
                ..Judged::default()
            },
            Judged {
                present: false,
                status: Some(MatchStatus::Matched),
                match_probability: Some(0.97),
                named_right: Some(false),
                ..Judged::default()
            },
        ];
        let system = |name: &str| SystemReport {
            name: name.to_string(),
            source: SystemSource::InProcess {
                model: "shipped".into(),
            },
            wall_seconds: Some(2.5),
            phases: BTreeMap::new(),
            alignment: None,
            notes: vec!["a note".into()],
            statuses: [("matched".to_string(), 2)].into_iter().collect(),
            overall: Quality::of(&judged),
            by_case: [("twin".to_string(), Quality::of(&judged[..1]))]
                .into_iter()
                .collect(),
            calibration: calibration(&judged),
            pr_curve: pr_curve(&judged),
            latency_ms: None,
            false_positive_reasons: [("absent_person_matched".to_string(), 1)]
                .into_iter()
                .collect(),
            false_negative_reasons: BTreeMap::new(),
            false_positives: vec![ErrorSample {
                reason: "absent_person_matched".into(),
                query_id: "A2".into(),
                row: 2,
                person: "P9".into(),
                present: false,
                status: Some(MatchStatus::Matched),
                match_probability: Some(0.97),
                record_id: Some("R1".into()),
                named_person: Some("P1".into()),
                retrieved: None,
                explanation: "first_name=exact;dob=exact".into(),
                error: String::new(),
                flags: vec!["twin".into()],
                query: MaskedQuery {
                    name: "Ann Lee".into(),
                    dob: "1980".into(),
                    ssn: "***-**-6789".into(),
                    zip: "62704".into(),
                },
            }],
            false_negatives: Vec::new(),
        };
        EvalReport {
            dataset: Dataset {
                form: Form::Synth,
                command: "skiptrace eval --synth gen".into(),
                records_source: "gen/records.csv".into(),
                queries_source: "gen/returned_mail.csv".into(),
                label_column: None,
                records: 12_345,
                unlabelled_records: 0,
                queries: 2,
                present: 1,
                absent: 1,
                hard_cases: [("twin".to_string(), 1)].into_iter().collect(),
                aligned_by: Some("account_id".into()),
                index: None,
                match_threshold: 0.95,
                review_threshold: 0.5,
            },
            systems: vec![system("skiptrace"), system("splink")],
        }
    }

    #[test]
    fn markdown_has_every_section_side_by_side() {
        let text = markdown(&sample_report());
        for heading in [
            "## Overall",
            "## By hard case",
            "## Calibration (reliability)",
            "## Errors at the shipped thresholds",
            "## Definitions",
        ] {
            assert!(text.contains(heading), "{heading} missing");
        }
        assert!(text.contains("| figure | **skiptrace** | **splink** |"));
        assert!(text.contains("| precision at the shipped thresholds | 0.5000 | 0.5000 |"));
        assert!(text.contains("| 0.95–0.99 |"));
        assert!(text.contains("***-**-6789"));
        assert!(text.contains("12,345"));
        assert!(text.contains("pr_curve.svg"));
    }

    #[test]
    fn summary_fits_one_screen() {
        let text = summary(&sample_report());
        assert!(text.lines().count() <= 24, "{text}");
        assert!(text.contains("skiptrace") && text.contains("splink"));
        assert!(text.lines().all(|l| l.chars().count() <= 120), "{text}");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
