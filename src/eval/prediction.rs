//! Answers to judge: rows in the re-matching output format ([`crate::bulk::OUTPUT_COLUMNS`]),
//! from an in-process run or from a file any system wrote (`skiptrace rematch`, the Splink
//! script), lined up with the queries.
//!
//! Second step of an evaluation. An in-process run goes through
//! [`rematch_row`](crate::bulk::rematch_row) and then through the very parser a file
//! goes through, so a `skiptrace rematch` output scores exactly like the run that wrote it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::truth::{address_key, LabelledSet};
use crate::bulk::{MatchStatus, OUTPUT_COLUMNS};
use crate::error::{Error, InputError, Result};
use crate::normalize::{parse_email, parse_phone};
use crate::resolve::ContactStatus;

/// What one output row says about its query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prediction {
    /// `match_status` (`None` only before parsing).
    pub status: Option<MatchStatus>,
    /// `match_score`: the best match's probability.
    pub match_probability: Option<f64>,
    /// `match_record_id`: the best match's record.
    pub record_id: Option<String>,
    /// The offered best address: its delivery key and status.
    pub address: Option<Offered>,
    /// The offered best phone: 10 digits and status.
    pub phone: Option<Offered>,
    /// The offered best email: canonical mailbox and status.
    pub email: Option<Offered>,
    /// `explanation`: the best match's per-field levels.
    pub explanation: String,
    /// `error`: why the row was not searched.
    pub error: String,
    /// What the search looked at (in-process runs only).
    pub trace: Option<RunTrace>,
}

/// A contact an answer offers: its comparable key and its status (`new` for outputs written
/// before statuses existed, whose `new_*` columns only ever held new contacts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    /// Address delivery key, 10-digit phone or canonical email.
    pub key: String,
    /// New, confirmed or corrected.
    pub status: ContactStatus,
}

/// What an in-process search looked at for one query.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunTrace {
    /// The true person was among the retrieved candidates.
    pub retrieved_true: bool,
    /// Candidates scored.
    pub candidates: usize,
    /// Time to re-match the row, milliseconds.
    pub latency_ms: f64,
    /// The best address offered is reported only by records folded in as fragments.
    pub best_address_from_fragment: bool,
}

/// Positions of the output columns in a file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputColumns {
    status: usize,
    match_probability: usize,
    record_id: usize,
    address: Option<[usize; 5]>,
    address_status: Option<usize>,
    phone: Option<usize>,
    phone_status: Option<usize>,
    email: Option<usize>,
    email_status: Option<usize>,
    explanation: Option<usize>,
    error: Option<usize>,
}

/// Columns a file must have to be scored; the contact, explanation and error columns are
/// optional.
pub const REQUIRED_COLUMNS: [&str; 3] = ["match_status", "match_score", "match_record_id"];

const ADDRESS_COLUMNS: [&str; 5] = [
    "best_address_line1",
    "best_address_line2",
    "best_city",
    "best_state",
    "best_zip",
];

/// Prefix of the contact columns before they were `best_*` (outputs of earlier versions and of
/// scripts written for them): `new_address_line1`, `new_phone`...
const LEGACY_PREFIX: &str = "new_";

impl OutputColumns {
    /// Finds the output columns in `header`. The output columns follow the input columns, so
    /// the last column of a name wins (an input file may carry its own `error` column).
    ///
    /// # Errors
    /// [`Error::Input`] when a required column is missing.
    pub fn locate(header: &[String]) -> Result<OutputColumns> {
        let find = |name: &str| header.iter().rposition(|h| h.trim() == name);
        let require = |name: &str| {
            find(name).ok_or_else(|| {
                Error::from(InputError::new(
                    0,
                    name,
                    format!(
                        "not a rematch output: the column is missing (required: {})",
                        REQUIRED_COLUMNS.join(", ")
                    ),
                ))
            })
        };
        // `best_phone`, else the legacy `new_phone`.
        let contact =
            |name: &str| find(name).or_else(|| find(&name.replacen("best_", LEGACY_PREFIX, 1)));
        let address: Vec<Option<usize>> = ADDRESS_COLUMNS.iter().map(|c| contact(c)).collect();
        Ok(OutputColumns {
            status: require("match_status")?,
            match_probability: require("match_score")?,
            record_id: require("match_record_id")?,
            address: match address[..] {
                [Some(a), Some(b), Some(c), Some(d), Some(e)] => Some([a, b, c, d, e]),
                _ => None,
            },
            address_status: find("best_address_status"),
            phone: contact("best_phone"),
            phone_status: find("best_phone_status"),
            email: contact("best_email"),
            email_status: find("best_email_status"),
            explanation: find("explanation"),
            error: find("error"),
        })
    }

    /// Returns the positions within [`OUTPUT_COLUMNS`] (what `RematchResult::to_columns`
    /// returns).
    pub fn canonical() -> OutputColumns {
        let header: Vec<String> = OUTPUT_COLUMNS.iter().map(|c| c.to_string()).collect();
        OutputColumns::locate(&header).expect("OUTPUT_COLUMNS holds every output column")
    }

    /// Parses one row (`row` is its 1-based data row, for errors).
    ///
    /// # Errors
    /// [`Error::Input`] when the status is not one of the rematch statuses or the score is not a
    /// probability.
    pub fn prediction(&self, row: u64, values: &[String]) -> Result<Prediction> {
        let get = |i: usize| values.get(i).map_or("", |v| v.trim());
        let optional = |i: Option<usize>| i.map(get).filter(|v| !v.is_empty());
        let status_text = get(self.status);
        let status = MatchStatus::from_name(status_text).ok_or_else(|| {
            InputError::new(
                row,
                "match_status",
                format!("{status_text:?} is not matched, review, no_match or error"),
            )
        })?;
        let match_probability = match get(self.match_probability) {
            "" => None,
            text => Some(
                text.parse::<f64>()
                    .ok()
                    .filter(|s| (0.0..=1.0).contains(s))
                    .ok_or_else(|| {
                        InputError::new(
                            row,
                            "match_score",
                            format!("{text:?} is not a probability"),
                        )
                    })?,
            ),
        };
        let offered = |key: Option<String>, status_column: Option<usize>, name: &str| {
            let Some(key) = key else {
                return Ok(None);
            };
            let status = match optional(status_column) {
                None => ContactStatus::New,
                Some(text) => ContactStatus::from_name(text).ok_or_else(|| {
                    InputError::new(
                        row,
                        name,
                        format!("{text:?} is not new, confirmed or corrected"),
                    )
                })?,
            };
            Ok::<_, Error>(Some(Offered { key, status }))
        };
        let address = self
            .address
            .and_then(|[a, b, c, d, e]| address_key(get(a), get(b), get(c), get(d), get(e)));
        Ok(Prediction {
            status: Some(status),
            match_probability,
            record_id: optional(Some(self.record_id)).map(str::to_string),
            address: offered(address, self.address_status, "best_address_status")?,
            phone: offered(
                optional(self.phone).and_then(|p| parse_phone(p).ok()),
                self.phone_status,
                "best_phone_status",
            )?,
            email: offered(
                optional(self.email).and_then(|e| parse_email(e).ok()),
                self.email_status,
                "best_email_status",
            )?,
            explanation: optional(self.explanation).unwrap_or_default().to_string(),
            error: optional(self.error).unwrap_or_default().to_string(),
            trace: None,
        })
    }
}

/// How a scored file's rows were lined up with the queries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Alignment {
    /// The id column used, or `row order`.
    pub by: String,
    /// Data rows in the file.
    pub rows: u64,
    /// Queries.
    pub queries: u64,
    /// Queries with a row.
    pub aligned: u64,
    /// Queries without a row (judged as no answer).
    pub missing: u64,
    /// Rows whose id is no query's (ignored).
    pub extra: u64,
    /// Rows repeating an id already seen (ignored).
    pub duplicates: u64,
}

/// The sidecar `OUT.meta.json` a scoring script writes next to its output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemMeta {
    /// System name.
    #[serde(default)]
    pub system: Option<String>,
    /// End-to-end wall time, seconds.
    #[serde(default)]
    pub wall_seconds: Option<f64>,
    /// Wall time per phase, as the script reports it.
    #[serde(default)]
    pub phases: BTreeMap<String, serde_json::Value>,
    /// Records the system linked against.
    #[serde(default)]
    pub records: Option<u64>,
    /// Queries it answered.
    #[serde(default)]
    pub queries: Option<u64>,
}

/// A scored file read and lined up with the queries.
#[derive(Debug, Clone)]
pub struct ScoredFile {
    /// One answer per query, in query order; `None` where the file has no row for it.
    pub predictions: Vec<Option<Prediction>>,
    /// How rows were lined up.
    pub alignment: Alignment,
    /// The sidecar, when there is one, and its path.
    pub meta: Option<(PathBuf, SystemMeta)>,
}

/// Returns the sidecar paths tried for `path`: `out.csv.meta.json`, then `out.meta.json`.
pub fn meta_paths(path: &Path) -> Vec<PathBuf> {
    let mut appended = path.as_os_str().to_owned();
    appended.push(".meta.json");
    vec![PathBuf::from(appended), path.with_extension("meta.json")]
}

/// Reads the sidecar of `path`, if one exists.
///
/// # Errors
/// When a sidecar exists but is not valid JSON of the expected shape.
pub fn read_meta(path: &Path) -> Result<Option<(PathBuf, SystemMeta)>> {
    for candidate in meta_paths(path) {
        let text = match std::fs::read_to_string(&candidate) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(Error::io(&candidate, error)),
        };
        let meta: SystemMeta = serde_json::from_str(&text).map_err(|e| {
            InputError::new(
                0,
                candidate.display().to_string(),
                format!("not a meta file: {e}"),
            )
        })?;
        return Ok(Some((candidate, meta)));
    }
    Ok(None)
}

/// Reads a file in the rematch output format and lines its rows up with the queries of `set`:
/// by the queries' id column when the file has it, else by row order.
///
/// # Errors
/// When the file cannot be read, lacks a required column, has a malformed row, or must be
/// lined up by row order but has another number of rows than there are queries.
pub fn read_scored_file(path: &Path, set: &LabelledSet) -> Result<ScoredFile> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let columns = OutputColumns::locate(&header).map_err(|e| in_file(path, e))?;
    let id_in_file = set.id_column_name().and_then(|name| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    });
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let values: Vec<String> = record?.iter().map(str::to_string).collect();
        let prediction = columns
            .prediction(i as u64 + 1, &values)
            .map_err(|e| in_file(path, e))?;
        let id = id_in_file.map(|c| values.get(c).cloned().unwrap_or_default());
        rows.push((id, prediction));
    }
    let (predictions, alignment) = match (id_in_file, set.id_column_name()) {
        (Some(_), Some(name)) => align_by_id(rows, set, name),
        _ => align_by_order(rows, set, path)?,
    };
    Ok(ScoredFile {
        predictions,
        alignment,
        meta: read_meta(path)?,
    })
}

/// Names the file in an input error's message.
fn in_file(path: &Path, error: Error) -> Error {
    match error {
        Error::Input(mut input) => {
            input.message = format!("{}: {}", path.display(), input.message);
            Error::Input(input)
        }
        other => other,
    }
}

fn align_by_id(
    rows: Vec<(Option<String>, Prediction)>,
    set: &LabelledSet,
    column: &str,
) -> (Vec<Option<Prediction>>, Alignment) {
    let position: HashMap<&str, usize> = set
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| (q.id.as_str(), i))
        .collect();
    let mut alignment = Alignment {
        by: column.to_string(),
        rows: rows.len() as u64,
        queries: set.queries.len() as u64,
        ..Alignment::default()
    };
    let mut predictions: Vec<Option<Prediction>> = vec![None; set.queries.len()];
    for (id, prediction) in rows {
        let Some(&i) = id.as_deref().and_then(|id| position.get(id)) else {
            alignment.extra += 1;
            continue;
        };
        if predictions[i].is_some() {
            alignment.duplicates += 1;
            continue;
        }
        predictions[i] = Some(prediction);
        alignment.aligned += 1;
    }
    alignment.missing = alignment.queries - alignment.aligned;
    (predictions, alignment)
}

fn align_by_order(
    rows: Vec<(Option<String>, Prediction)>,
    set: &LabelledSet,
    path: &Path,
) -> Result<(Vec<Option<Prediction>>, Alignment)> {
    let queries = set.queries.len();
    if rows.len() != queries {
        let why = match set.id_column_name() {
            Some(name) => format!("the file has no {name} column"),
            None => {
                "the queries have no unique id column (account_id, ... or --id-column)".to_string()
            }
        };
        return Err(InputError::new(
            0,
            path.display().to_string(),
            format!(
                "{} rows but {queries} queries, and {why} to line them up by: rows are lined up by \
                 order only when the counts agree; score a file written from the same queries file",
                rows.len()
            ),
        )
        .into());
    }
    let alignment = Alignment {
        by: "row order".to_string(),
        rows: rows.len() as u64,
        queries: queries as u64,
        aligned: queries as u64,
        ..Alignment::default()
    };
    Ok((rows.into_iter().map(|(_, p)| Some(p)).collect(), alignment))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::RematchResult;
    use crate::eval::truth::{Form, MaskedQuery, QueryTruth};

    fn header(extra_first: &[&str]) -> Vec<String> {
        extra_first
            .iter()
            .copied()
            .chain(OUTPUT_COLUMNS)
            .map(str::to_string)
            .collect()
    }

    fn set(ids: &[&str], id_column: bool) -> LabelledSet {
        LabelledSet {
            form: Form::Labelled,
            rows: Vec::new(),
            queries: ids
                .iter()
                .enumerate()
                .map(|(i, id)| QueryTruth {
                    id: id.to_string(),
                    row: i as u64 + 1,
                    person: format!("P{i}"),
                    present: true,
                    address: None,
                    phone: None,
                    email: None,
                    flags: Vec::new(),
                    masked: MaskedQuery::default(),
                })
                .collect(),
            owner: HashMap::new(),
            query_columns: vec!["account_id".into()],
            id_column: id_column.then_some(0),
            records: 0,
            unlabelled_records: 0,
        }
    }

    /// Position of a column in [`OUTPUT_COLUMNS`].
    fn at(name: &str) -> usize {
        OUTPUT_COLUMNS
            .iter()
            .position(|c| *c == name)
            .expect("an output column")
    }

    fn row(status: &str, score: &str, record: &str) -> Prediction {
        let mut values = vec![String::new(); OUTPUT_COLUMNS.len()];
        values[at("match_status")] = status.into();
        values[at("match_score")] = score.into();
        values[at("match_record_id")] = record.into();
        OutputColumns::canonical()
            .prediction(1, &values)
            .expect("parsed")
    }

    #[test]
    fn parses_a_rematch_row_with_its_contacts() {
        let header = header(&["account_id", "error"]);
        let columns = OutputColumns::locate(&header).expect("columns");
        assert_eq!(
            columns.error,
            Some(header.len() - 1),
            "the appended error column wins"
        );
        let mut values = vec![String::new(); header.len()];
        let put = |values: &mut Vec<String>, name: &str, value: &str| {
            let i = header.iter().rposition(|h| h == name).expect("column");
            values[i] = value.to_string();
        };
        put(&mut values, "match_status", "matched");
        put(&mut values, "match_score", "0.9731");
        put(&mut values, "match_record_id", "R7");
        put(&mut values, "best_address_line1", "98 Oak Avenue");
        put(&mut values, "best_address_line2", "Apt 4");
        put(&mut values, "best_zip", "60601-1234");
        put(&mut values, "best_address_status", "corrected");
        put(&mut values, "best_phone", "(312) 555-0188");
        put(&mut values, "best_phone_status", "confirmed");
        put(&mut values, "best_email", "A.B+x@gmail.com");
        put(&mut values, "best_email_status", "new");
        let p = columns.prediction(1, &values).expect("parsed");
        assert_eq!(p.status, Some(MatchStatus::Matched));
        assert_eq!(p.match_probability, Some(0.9731));
        assert_eq!(p.record_id.as_deref(), Some("R7"));
        let address = p.address.expect("an address");
        assert_eq!(
            Some(address.key),
            address_key("98 OAK AVE", "APT 4", "", "", "60601"),
            "spellings of one delivery point share a key"
        );
        assert_eq!(address.status, ContactStatus::Corrected);
        let phone = p.phone.expect("a phone");
        assert_eq!(
            (phone.key.as_str(), phone.status),
            ("3125550188", ContactStatus::Confirmed)
        );
        assert_eq!(p.email.map(|e| e.key).as_deref(), Some("ab@gmail.com"));

        values[header
            .iter()
            .rposition(|h| h == "best_phone_status")
            .unwrap()] = "moved".into();
        let error = columns.prediction(3, &values).expect_err("bad status");
        assert!(error.to_string().contains("best_phone_status"), "{error}");
    }

    #[test]
    fn an_output_of_an_earlier_version_scores_its_new_columns_as_new() {
        let header: Vec<String> = [
            "match_status",
            "match_score",
            "match_record_id",
            "new_phone",
        ]
        .map(str::to_string)
        .to_vec();
        let columns = OutputColumns::locate(&header).expect("columns");
        let values = ["possible", "0.7", "R1", "312-555-0188"].map(str::to_string);
        let p = columns.prediction(1, &values).expect("parsed");
        assert_eq!(p.status, Some(MatchStatus::Review));
        let phone = p.phone.expect("a phone");
        assert_eq!(
            (phone.key.as_str(), phone.status),
            ("3125550188", ContactStatus::New)
        );
    }

    #[test]
    fn an_in_process_result_parses_like_a_file_row() {
        let failed = RematchResult::failed(vec!["bad".into()]);
        let p = OutputColumns::canonical()
            .prediction(1, &failed.to_columns())
            .expect("parsed");
        assert_eq!(
            (p.status, p.match_probability, p.error.as_str()),
            (Some(MatchStatus::Error), None, "bad")
        );
    }

    #[test]
    fn bad_status_score_or_header_are_located_errors() {
        let columns = OutputColumns::canonical();
        let mut values = vec![String::new(); OUTPUT_COLUMNS.len()];
        values[at("match_status")] = "resolved".into();
        let error = columns.prediction(4, &values).expect_err("bad status");
        assert!(
            error.to_string().contains("row 4, column match_status"),
            "{error}"
        );
        values[at("match_status")] = "matched".into();
        values[at("match_score")] = "1.5".into();
        let error = columns
            .prediction(4, &values)
            .expect_err("not a probability");
        assert!(
            error.to_string().contains("is not a probability"),
            "{error}"
        );
        let missing = OutputColumns::locate(&["match_status".to_string()]).expect_err("missing");
        assert!(missing.to_string().contains("match_score"), "{missing}");
    }

    #[test]
    fn rows_line_up_by_id_and_report_what_does_not() {
        let set = set(&["A1", "A2", "A3"], true);
        let rows = vec![
            (Some("A3".to_string()), row("matched", "0.99", "r3")),
            (Some("A1".to_string()), row("no_match", "", "")),
            (Some("A1".to_string()), row("matched", "0.99", "r9")),
            (Some("Z9".to_string()), row("matched", "0.99", "r9")),
        ];
        let (predictions, alignment) = align_by_id(rows, &set, "account_id");
        assert_eq!(
            (
                alignment.aligned,
                alignment.missing,
                alignment.extra,
                alignment.duplicates
            ),
            (2, 1, 1, 1)
        );
        assert_eq!(
            predictions[0].as_ref().and_then(|p| p.status),
            Some(MatchStatus::NoMatch)
        );
        assert!(predictions[1].is_none());
        assert_eq!(
            predictions[2].as_ref().and_then(|p| p.record_id.as_deref()),
            Some("r3")
        );
    }

    #[test]
    fn row_order_needs_the_same_count_and_says_why() {
        let set = set(&["A1", "A2"], false);
        let rows = vec![(None, row("matched", "0.99", "r1"))];
        let error = align_by_order(rows.clone(), &set, Path::new("out.csv")).expect_err("short");
        let text = error.to_string();
        assert!(text.contains("1 rows but 2 queries"), "{text}");
        assert!(text.contains("no unique id column"), "{text}");
        let two = vec![rows[0].clone(), rows[0].clone()];
        let (predictions, alignment) =
            align_by_order(two, &set, Path::new("out.csv")).expect("aligned");
        assert_eq!((predictions.len(), alignment.by.as_str()), (2, "row order"));
    }

    #[test]
    fn sidecar_paths_cover_both_spellings() {
        let paths = meta_paths(Path::new("runs/splink.csv"));
        assert_eq!(
            paths,
            vec![
                PathBuf::from("runs/splink.csv.meta.json"),
                PathBuf::from("runs/splink.meta.json")
            ]
        );
        let meta: SystemMeta = serde_json::from_str(
            r#"{"system":"splink","wall_seconds":12.5,"phases":{"predict":3.0},"records":10,"queries":2}"#,
        )
        .expect("meta");
        assert_eq!(meta.system.as_deref(), Some("splink"));
        assert_eq!(meta.wall_seconds, Some(12.5));
    }
}
