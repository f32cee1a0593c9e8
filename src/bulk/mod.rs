//! Bulk re-matching: every row of a debtor file (returned mail, a placement) goes through the
//! search step and comes back as the same row plus the match status, match probability, explanation and the
//! best current address, phone and email, each `new`, the row's own `confirmed`, or the row's
//! own `corrected` (a returned letter does not prove a move: docs/domain.md, "Contacts on
//! file").
//!
//! One input row gives exactly one output row, in input order: a row that cannot be read or
//! searched becomes an `error` row, never a dropped row (a bad row becomes an error row). Rows are matched in
//! parallel batches and each batch is written and flushed before the next is read, so memory
//! stays flat and a killed run leaves at most one partial line, which [`rematch_file`] with
//! `resume` cuts off before appending.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, InputError, Result};
use crate::input::{InputRow, RecordReader};
use crate::resolve::{ContactKind, ContactPoint, Identity, ResolutionStatus};
use crate::score::WEAK_THRESHOLD;
use crate::search::{Engine, Query, SearchOptions, SearchOutcome};

mod outcome;

pub use outcome::{OutcomeCode, OutcomeCounts};

/// Rows read, matched in parallel and written per batch: large enough to keep every core busy,
/// small enough that a kill loses little work and memory stays flat.
pub const DEFAULT_BATCH_ROWS: usize = 1024;

/// Default probability at which an unresolved top identity is still reported for `review`
/// (the engine's weak band, `score::WEAK_THRESHOLD`).
pub const DEFAULT_REVIEW_THRESHOLD: f64 = WEAK_THRESHOLD;

/// Column names recognised (case-insensitively) as the account or row id when none is given.
pub const ID_COLUMN_NAMES: [&str; 7] = [
    "account_id",
    "account",
    "acct",
    "acct_id",
    "account_number",
    "account_no",
    "row_id",
];

/// Columns appended after the input columns, in order.
pub const OUTPUT_COLUMNS: [&str; 22] = [
    "match_status",
    "outcome_code",
    "match_score",
    "match_band",
    "match_record_id",
    "match_identity",
    "best_address_line1",
    "best_address_line2",
    "best_city",
    "best_state",
    "best_zip",
    "best_address_last_seen",
    "best_address_confidence",
    "best_address_status",
    "best_phone",
    "best_phone_confidence",
    "best_phone_status",
    "best_email",
    "best_email_confidence",
    "best_email_status",
    "explanation",
    "error",
];

/// Outcome of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    /// The search resolved to one identity ([`ResolutionStatus::Resolved`]).
    Matched,
    /// Worth a review by hand: the search was ambiguous, or its top identity reached the review
    /// threshold. Carries no best contacts: wrong-party risk comes first.
    Review,
    /// Nobody in the index is plausibly the debtor.
    NoMatch,
    /// The row could not be read or searched; see the `error` column.
    Error,
}

impl MatchStatus {
    /// Every status, in report order.
    pub const ALL: [MatchStatus; 4] = [
        MatchStatus::Matched,
        MatchStatus::Review,
        MatchStatus::NoMatch,
        MatchStatus::Error,
    ];

    /// Returns the snake_case name written to `match_status`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Matched => "matched",
            MatchStatus::Review => "review",
            MatchStatus::NoMatch => "no_match",
            MatchStatus::Error => "error",
        }
    }

    /// Returns the status written as `name` in `match_status`, if it is one (`possible`, the
    /// name before `review`, reads as `review` so older outputs still score).
    pub fn from_name(name: &str) -> Option<MatchStatus> {
        if name.trim() == "possible" {
            return Some(MatchStatus::Review);
        }
        MatchStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == name.trim())
    }
}

/// Knobs of a re-matching run.
#[derive(Debug, Clone, Serialize)]
pub struct RematchOptions {
    /// Options of each search; its `match_threshold` decides `matched`.
    pub search: SearchOptions,
    /// Probability at which an unresolved top identity is reported for `review`.
    pub review_threshold: f64,
    /// Rows per parallel batch.
    pub batch_rows: usize,
    /// The caller may see full SSNs and DOBs: the explanation and figures keep the true SSN and
    /// DOB levels. Otherwise they are coarsened ([`crate::mask::coarsen_identifiers`]) before the
    /// review threshold is applied (the resolution's own verdict rests on the true levels).
    pub unmasked: bool,
    /// Stop once more than this many rows came back as errors (a broken file): the rows written
    /// so far stay, and `--resume` carries on. `None` reads on.
    pub max_errors: Option<u64>,
    /// Set to stop [`rematch_file`] after the batch in hand (a server shutting down): the rows
    /// written stay, the summary says `stopped`, and a resumed run carries on.
    #[serde(skip)]
    pub stop: Option<Arc<AtomicBool>>,
    /// Keep the complete rows of an existing output and append the rest ([`rematch_file`]).
    pub resume: bool,
    /// Ranked addresses and phones appended per matched row, N of each ([`contact_columns`]);
    /// 0 appends none.
    pub contacts: usize,
}

impl Default for RematchOptions {
    fn default() -> RematchOptions {
        RematchOptions {
            search: SearchOptions::default(),
            review_threshold: DEFAULT_REVIEW_THRESHOLD,
            batch_rows: DEFAULT_BATCH_ROWS,
            unmasked: false,
            max_errors: None,
            stop: None,
            resume: false,
            contacts: 0,
        }
    }
}

/// What re-matching one row found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RematchResult {
    /// Matched, review, no match or error.
    pub status: MatchStatus,
    /// Probability of the top identity, when there is one.
    pub match_probability: Option<f64>,
    /// Band of the top identity's probability.
    pub band: Option<&'static str>,
    /// Best matching record of the top identity (matched and review rows).
    pub record_id: Option<String>,
    /// The top identity's id (matched and review rows).
    pub identity_id: Option<String>,
    /// Best current address, with its status (matched rows only).
    pub best_address: Option<ContactPoint>,
    /// Best current phone, with its status (matched rows only).
    pub best_phone: Option<ContactPoint>,
    /// Best current email, with its status (matched rows only).
    pub best_email: Option<ContactPoint>,
    /// Compact per-field levels of the top identity.
    pub explanation: String,
    /// Why the row could not be processed, and values that were left out (masked).
    pub errors: Vec<String>,
    /// The top identity's addresses then phones, best first, up to
    /// [`RematchOptions::contacts`] of each (matched rows only; never one the row marks bad).
    pub ranked: Vec<ContactPoint>,
    /// What the row's search looked at (`None` when the row was not searched); not written to
    /// the output.
    #[serde(skip)]
    pub trace: Option<SearchTrace>,
}

impl RematchResult {
    /// Returns an `error` row carrying `errors`.
    pub fn failed(errors: Vec<String>) -> RematchResult {
        RematchResult {
            status: MatchStatus::Error,
            match_probability: None,
            band: None,
            record_id: None,
            identity_id: None,
            best_address: None,
            best_phone: None,
            best_email: None,
            explanation: String::new(),
            errors,
            ranked: Vec::new(),
            trace: None,
        }
    }

    /// Returns the values of [`OUTPUT_COLUMNS`], in order.
    pub fn to_columns(&self) -> Vec<String> {
        let address = self.best_address.as_ref();
        let postal = address.and_then(|a| a.address.as_ref());
        let part = |get: fn(&crate::resolve::PostalAddress) -> &String| {
            postal.map(|p| get(p).clone()).unwrap_or_default()
        };
        let columns = vec![
            self.status.as_str().to_string(),
            OutcomeCode::of(self).as_str().to_string(),
            self.match_probability
                .map(format_probability)
                .unwrap_or_default(),
            self.band.unwrap_or_default().to_string(),
            self.record_id.clone().unwrap_or_default(),
            self.identity_id.clone().unwrap_or_default(),
            part(|p| &p.line1),
            part(|p| &p.line2),
            part(|p| &p.city),
            part(|p| &p.state),
            part(|p| &p.zip),
            address
                .and_then(|a| a.last_seen)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            confidence_of(address),
            status_of(address),
            value_of(self.best_phone.as_ref()),
            confidence_of(self.best_phone.as_ref()),
            status_of(self.best_phone.as_ref()),
            value_of(self.best_email.as_ref()),
            confidence_of(self.best_email.as_ref()),
            status_of(self.best_email.as_ref()),
            self.explanation.clone(),
            self.errors.join("; "),
        ];
        debug_assert_eq!(columns.len(), OUTPUT_COLUMNS.len());
        columns
    }
}

fn format_probability(probability: f64) -> String {
    format!("{probability:.4}")
}

fn value_of(contact: Option<&ContactPoint>) -> String {
    contact.map(|c| c.value.clone()).unwrap_or_default()
}

fn confidence_of(contact: Option<&ContactPoint>) -> String {
    contact
        .map(|c| format_probability(c.confidence))
        .unwrap_or_default()
}

fn status_of(contact: Option<&ContactPoint>) -> String {
    contact
        .and_then(|c| c.status)
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

fn describe_input_error(issue: &InputError) -> String {
    match &issue.column {
        None => issue.message.clone(),
        Some(column) => format!("{column}: {}", issue.message),
    }
}

/// Returns the row's value problems, masked like `skiptrace index` reports them.
fn value_issues(issues: &[crate::normalize::FieldIssue]) -> Vec<String> {
    issues.iter().map(ToString::to_string).collect()
}

/// Returns the best current contact of a kind, with its status; never one the row marks bad.
/// The names of the ranked-contact columns for `n` of each kind: `address_1`,
/// `address_1_status`, `address_1_confidence`, `address_1_last_seen`, ..., then the phones'.
pub fn contact_columns(n: usize) -> Vec<String> {
    let mut columns = Vec::with_capacity(8 * n);
    for kind in ["address", "phone"] {
        for i in 1..=n {
            for suffix in ["", "_status", "_confidence", "_last_seen"] {
                columns.push(format!("{kind}_{i}{suffix}"));
            }
        }
    }
    columns
}

/// Addresses then phones of an identity, best first, up to `n` of each, none the row marks bad.
fn ranked_contacts(identity: &Identity, n: usize) -> Vec<ContactPoint> {
    let of = |kind: ContactKind| {
        identity
            .contacts
            .iter()
            .filter(move |c| c.kind == kind && !c.marked_bad)
            .take(n)
            .cloned()
    };
    of(ContactKind::Address)
        .chain(of(ContactKind::Phone))
        .collect()
}

impl RematchResult {
    /// Returns the values of [`contact_columns`]`(n)`: each contact's value, its status (`new`,
    /// `confirmed`, `corrected` for the best; `on_file` for the row's own), confidence and last
    /// seen; empty where there are fewer.
    pub fn contact_values(&self, n: usize) -> Vec<String> {
        let mut values = Vec::with_capacity(8 * n);
        for kind in [ContactKind::Address, ContactKind::Phone] {
            let mut of_kind = self.ranked.iter().filter(|c| c.kind == kind);
            for _ in 0..n {
                match of_kind.next() {
                    Some(contact) => values.extend([
                        contact.value.clone(),
                        contact.status.map_or_else(
                            || if contact.on_file { "on_file" } else { "" }.to_string(),
                            |s| s.as_str().to_string(),
                        ),
                        format_probability(contact.confidence),
                        contact.last_seen.map(|d| d.to_string()).unwrap_or_default(),
                    ]),
                    None => values.extend(std::iter::repeat_n(String::new(), 4)),
                }
            }
        }
        values
    }
}

fn best_contact(identity: &Identity, kind: ContactKind) -> Option<ContactPoint> {
    let contact = identity.best_contact(kind)?;
    debug_assert!(
        !contact.marked_bad,
        "a contact marked bad is never the best"
    );
    Some(contact.clone())
}

/// What the search behind one re-matched row looked at (`skiptrace eval` measures retrieval with
/// it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchTrace {
    /// Ids of every record retrieved, both passes.
    pub retrieved: Vec<String>,
    /// Records retrieved and scored.
    pub candidates_scored: usize,
}

/// Re-matches one input row.
///
/// A row with a read problem (wrong column count, unreadable, bad encoding) is not searched:
/// its values may be shifted or mis-decoded, and a review queue is better than a collector sent
/// on a guess. A row with bad values (a junk DOB) is searched on the rest. Never fails: every
/// problem becomes an [`MatchStatus::Error`] row with its reason in `errors`.
pub fn rematch_row(engine: &Engine, row: &InputRow, options: &RematchOptions) -> RematchResult {
    if !row.issues.is_empty() {
        let errors = row.issues.iter().map(describe_input_error).collect();
        return RematchResult::failed(errors);
    }
    let query = Query::from_raw(&row.raw);
    let mut errors = value_issues(query.issues());
    let SearchOutcome {
        mut resolution,
        retrieved,
        ..
    } = match engine.search(&query, &options.search) {
        Ok(outcome) => outcome,
        Err(error) => {
            if !error.is_user_error() {
                tracing::warn!(row = row.row, %error, "search failed");
            }
            errors.push(error.to_string());
            return RematchResult::failed(errors);
        }
    };
    let trace = SearchTrace {
        retrieved,
        candidates_scored: resolution.candidates_scored,
    };
    // Below the unmasking role the figures are coarsened first, so that the review threshold
    // applies to the probability the caller sees.
    if !options.unmasked {
        crate::mask::coarsen_identifiers(&mut resolution, engine.model());
    }
    let top_probability = resolution.identities.first().map(|t| t.match_probability);
    let status = match resolution.status {
        ResolutionStatus::Resolved => MatchStatus::Matched,
        ResolutionStatus::Ambiguous => MatchStatus::Review,
        ResolutionStatus::NoMatch
            if top_probability.is_some_and(|p| p >= options.review_threshold) =>
        {
            MatchStatus::Review
        }
        ResolutionStatus::NoMatch => MatchStatus::NoMatch,
    };
    let top = resolution.identities.first();
    let named = matches!(status, MatchStatus::Matched | MatchStatus::Review);
    let chosen = top.filter(|_| named);
    let vouched = top.filter(|_| status == MatchStatus::Matched);
    let result = RematchResult {
        status,
        match_probability: top.map(|t| t.match_probability),
        band: top.map(|t| t.band.as_str()),
        record_id: chosen.and_then(|t| t.records.first().map(|r| r.record_id.clone())),
        identity_id: chosen.map(|t| t.identity_id.clone()),
        best_address: vouched.and_then(|t| best_contact(t, ContactKind::Address)),
        best_phone: vouched.and_then(|t| best_contact(t, ContactKind::Phone)),
        best_email: vouched.and_then(|t| best_contact(t, ContactKind::Email)),
        explanation: top.map(Identity::compact_explanation).unwrap_or_default(),
        errors,
        ranked: vouched.map_or_else(Vec::new, |t| ranked_contacts(t, options.contacts)),
        trace: Some(trace),
    };
    result
}

/// Re-matches a batch of rows in parallel. Returns, per row and in order, its output line (the
/// row's values padded to `width` columns, then [`OUTPUT_COLUMNS`]) and its result. A panic
/// while matching one row makes that row an `error` row: every row still gets its line.
pub fn rematch_batch(
    engine: &Engine,
    rows: &[InputRow],
    width: usize,
    options: &RematchOptions,
) -> Vec<(Vec<String>, RematchResult)> {
    rows.par_iter()
        .map(|row| {
            let result =
                std::panic::catch_unwind(AssertUnwindSafe(|| rematch_row(engine, row, options)))
                    .unwrap_or_else(|_| {
                        RematchResult::failed(vec![
                            "internal error while matching this row".to_string()
                        ])
                    });
            let mut values = row.values.clone();
            values.resize(width, String::new());
            values.extend(result.to_columns());
            if options.contacts > 0 {
                values.extend(result.contact_values(options.contacts));
            }
            (values, result)
        })
        .collect()
}

/// Returns the position of the account or row id column: `requested` when given (by name,
/// case-insensitively), else the first column named like one of [`ID_COLUMN_NAMES`].
///
/// # Errors
/// [`Error::Input`] when `requested` names a column the file does not have.
pub fn id_column(columns: &[String], requested: Option<&str>) -> Result<Option<usize>> {
    let find = |name: &str| {
        columns
            .iter()
            .position(|c| c.trim().eq_ignore_ascii_case(name.trim()))
    };
    if let Some(name) = requested {
        return find(name)
            .map(Some)
            .ok_or_else(|| InputError::new(0, name, "--id-column: no such column").into());
    }
    Ok(ID_COLUMN_NAMES.iter().find_map(|name| find(name)))
}

/// Where a resumed run picks up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResumePoint {
    /// Complete data rows already in the output.
    pub rows: u64,
    /// The last complete row's values (input columns and appended columns).
    pub last_row: Option<Vec<String>>,
    /// Byte length of the complete part (header included); anything after it is cut off.
    pub complete_bytes: u64,
    /// True when the output holds a complete header.
    pub has_header: bool,
}

/// Scans an earlier output for the rows it completed. A last line without its newline, or with
/// too few fields (cut inside a quoted value), is partial and not counted.
///
/// # Errors
/// When the file cannot be read, its header is not `header`, or a row before the last one is
/// malformed (the file was not written by a re-matching run of this input).
pub fn resume_point(path: &Path, header: &[String]) -> Result<ResumePoint> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(ResumePoint::default())
        }
        Err(error) => return Err(Error::io(path, error)),
    };
    let length = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let ends_with_newline = length > 0 && {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1))
            .and_then(|_| file.read_exact(&mut last))
            .map_err(|e| Error::io(path, e))?;
        file.rewind().map_err(|e| Error::io(path, e))?;
        last[0] == b'\n'
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 16, file));
    // Records are held back one step: a record ends where the next one starts, and only the
    // last one can lack its newline.
    let mut point = ResumePoint::default();
    let mut pending: Option<csv::ByteRecord> = None;
    let mut record = csv::ByteRecord::new();
    loop {
        let start = reader.position().byte();
        let more = reader.read_byte_record(&mut record)?;
        if let Some(previous) = pending.take() {
            let end = if more { start } else { length };
            let is_last = !more;
            let terminated = more || ends_with_newline;
            accept(
                &mut point, &previous, end, is_last, terminated, header, path,
            )?;
        }
        if !more {
            break;
        }
        pending = Some(record.clone());
    }
    Ok(point)
}

/// Counts `record`, ending at byte `end`, into `point`; a partial last record is left out.
fn accept(
    point: &mut ResumePoint,
    record: &csv::ByteRecord,
    end: u64,
    is_last: bool,
    terminated: bool,
    header: &[String],
    path: &Path,
) -> Result<()> {
    let values: Vec<String> = record
        .iter()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    let whole = terminated && values.len() == header.len();
    if !whole && is_last {
        return Ok(());
    }
    let not_ours = |row: u64, message: &str| -> Error {
        InputError::new(
            row,
            path.display().to_string(),
            format!("{message}: it was not written from this input"),
        )
        .into()
    };
    if !point.has_header {
        if values != header {
            return Err(not_ours(0, "the existing output has another header"));
        }
        point.has_header = true;
        point.complete_bytes = end;
        return Ok(());
    }
    if !whole {
        return Err(not_ours(
            point.rows + 1,
            "the existing output has a malformed row before its last one",
        ));
    }
    point.rows += 1;
    point.complete_bytes = end;
    point.last_row = Some(values);
    Ok(())
}

/// Counts of one re-matching run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RematchSummary {
    /// Input rows, including those skipped on resume.
    pub rows_in: u64,
    /// Input rows skipped because a previous run already wrote them.
    pub rows_resumed: u64,
    /// Data rows in the output at the end (resumed plus written).
    pub rows_out: u64,
    /// Rows matched this run.
    pub matched: u64,
    /// Rows left for review this run.
    pub review: u64,
    /// Rows with no match this run.
    pub no_match: u64,
    /// Error rows this run.
    pub errors: u64,
    /// Mean match probability of the rows matched this run.
    pub mean_match_probability: Option<f64>,
    /// Wall time of this run, seconds.
    pub seconds: f64,
    /// The encoding the file was read in, and how it was decided (`windows-1252 (detected)`).
    pub input_encoding: String,
    /// Values of a UTF-8 file that were not valid UTF-8 and were read as Windows-1252 (their
    /// rows were searched).
    pub values_read_as_windows_1252: u64,
    /// Rows of this run per outcome code.
    pub outcomes: OutcomeCounts,
    /// True when [`RematchOptions::stop`] ended the run before the input did.
    pub stopped: bool,
}

impl RematchSummary {
    fn count(&mut self, status: MatchStatus) {
        match status {
            MatchStatus::Matched => self.matched += 1,
            MatchStatus::Review => self.review += 1,
            MatchStatus::NoMatch => self.no_match += 1,
            MatchStatus::Error => self.errors += 1,
        }
    }

    /// Returns the rows counted with `status` this run.
    pub fn of(&self, status: MatchStatus) -> u64 {
        match status {
            MatchStatus::Matched => self.matched,
            MatchStatus::Review => self.review,
            MatchStatus::NoMatch => self.no_match,
            MatchStatus::Error => self.errors,
        }
    }
}

/// Re-matches every row of `reader` into the CSV file `out`: the input columns, then
/// [`OUTPUT_COLUMNS`]. With [`RematchOptions::resume`], the rows an earlier run completed in `out` are kept (a
/// partial last line is cut off) and the matching input rows skipped; the row at the resume
/// point must carry the same value in `id_column` (when there is one) in both files. Without
/// it, `out` is overwritten. `screen` sees each row before it is matched and may mark it an
/// error (the server's enumeration guard). `progress` is called with the input rows done so
/// far.
///
/// # Errors
/// When `out` cannot be read or written, or on resume does not belong to this input.
#[tracing::instrument(skip_all, fields(out = %out.display(), resume = options.resume))]
pub fn rematch_file(
    engine: &Engine,
    mut reader: RecordReader,
    out: &Path,
    id_column: Option<usize>,
    options: &RematchOptions,
    screen: &(dyn Fn(&mut InputRow) + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RematchSummary> {
    let started = Instant::now();
    let input_columns = reader.mapping().columns.clone();
    let mut header = input_columns.clone();
    header.extend(OUTPUT_COLUMNS.iter().map(|c| c.to_string()));
    header.extend(contact_columns(options.contacts));
    let point = if options.resume {
        resume_point(out, &header)?
    } else {
        ResumePoint::default()
    };
    let mut summary = RematchSummary::default();
    skip_resumed(&mut reader, &point, id_column, &mut summary)?;
    progress(summary.rows_in);

    let file = open_output(out, &point)?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(file);
    if !point.has_header {
        writer.write_record(&header)?;
        writer.flush().map_err(|e| Error::io(out, e))?;
    }
    summary.rows_out = point.rows;
    let batch_rows = options.batch_rows.max(1);
    let mut matched_probability_total = 0.0;
    let mut first_error: Option<String> = None;
    loop {
        if options
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            summary.stopped = true;
            break;
        }
        let mut batch: Vec<InputRow> = reader.by_ref().take(batch_rows).collect();
        if batch.is_empty() {
            break;
        }
        batch.iter_mut().for_each(screen);
        for (position, (values, result)) in
            rematch_batch(engine, &batch, input_columns.len(), options)
                .into_iter()
                .enumerate()
        {
            writer.write_record(&values)?;
            if result.status == MatchStatus::Error && first_error.is_none() {
                let row = summary.rows_out + position as u64 + 1;
                first_error = Some(format!("row {row}: {}", result.errors.join("; ")));
            }
            summary.count(result.status);
            summary.outcomes.count(OutcomeCode::of(&result));
            if result.status == MatchStatus::Matched {
                matched_probability_total += result.match_probability.unwrap_or_default();
            }
        }
        writer.flush().map_err(|e| Error::io(out, e))?;
        summary.rows_in += batch.len() as u64;
        summary.rows_out += batch.len() as u64;
        progress(summary.rows_in);
        if let Some(max) = options.max_errors.filter(|max| summary.errors > *max) {
            return Err(Error::UnusableFile(format!(
                "stopped after {} error rows (--max-errors {max}); the {} rows before are in {} \
                 (--resume carries on). The first: {}",
                summary.errors,
                summary.rows_out,
                out.display(),
                first_error.unwrap_or_default()
            )));
        }
    }
    // A broken file stops the run with its line; the rows before it are in OUT, so a rerun
    // with --resume on the fixed file carries on.
    if !summary.stopped {
        reader.finish()?;
    }
    // Durable before the caller reports the run done (a job's "done" must not outlive a short
    // file after a power cut).
    writer
        .into_inner()
        .map_err(|e| Error::io(out, e.into_error()))?
        .sync_all()
        .map_err(|e| Error::io(out, e))?;
    summary.input_encoding = reader.encoding().describe();
    summary.values_read_as_windows_1252 = reader.values_read_as_windows_1252();
    summary.mean_match_probability =
        (summary.matched > 0).then(|| matched_probability_total / summary.matched as f64);
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Skips the input rows a resumed output already holds, checking the id at the resume point.
fn skip_resumed(
    reader: &mut RecordReader,
    point: &ResumePoint,
    id_column: Option<usize>,
    summary: &mut RematchSummary,
) -> Result<()> {
    let mut last_skipped: Option<InputRow> = None;
    for _ in 0..point.rows {
        match reader.next() {
            Some(row) => last_skipped = Some(row),
            None => {
                return Err(InputError::whole_row(summary.rows_in + 1, format!(
                        "the existing output has {} rows, more than the input: it was not written from this input",
                        point.rows
                    ),
                )
                .into())
            }
        }
        summary.rows_in += 1;
    }
    summary.rows_resumed = summary.rows_in;
    if let (Some(column), Some(row), Some(written)) = (id_column, &last_skipped, &point.last_row) {
        let input_id = row.values.get(column);
        let output_id = written.get(column);
        if input_id != output_id {
            return Err(InputError::new(
                row.row,
                reader.mapping().columns[column].clone(),
                "the existing output's last row has another id than this input row: it was not written from this input",
            )
            .into());
        }
    }
    // Without an id column too: the output's last row starts with the input row it answered.
    if let (Some(row), Some(written)) = (&last_skipped, &point.last_row) {
        let width = reader.mapping().columns.len();
        if (0..width).any(|i| cell(&row.values, i) != cell(written, i)) {
            return Err(InputError::whole_row(
                row.row,
                "the existing output's last row holds other values than this input row: it was \
                 not written from this input (run without --resume to start afresh)",
            )
            .into());
        }
    }
    Ok(())
}

/// Returns value `i` of a row, empty past its end (a short row is padded with empties).
fn cell(values: &[String], i: usize) -> &str {
    values.get(i).map_or("", String::as_str)
}

/// Opens the output: truncated to its complete part and appended to, or created afresh.
fn open_output(out: &Path, point: &ResumePoint) -> Result<File> {
    if !point.has_header {
        return File::create(out).map_err(|e| Error::io(out, e));
    }
    let mut file = OpenOptions::new()
        .write(true)
        .open(out)
        .map_err(|e| Error::io(out, e))?;
    file.set_len(point.complete_bytes)
        .map_err(|e| Error::io(out, e))?;
    file.seek(SeekFrom::End(0)).map_err(|e| Error::io(out, e))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        ["a", "b"].iter().map(|s| s.to_string()).collect()
    }

    fn scan(contents: &str) -> ResumePoint {
        let dir = std::env::temp_dir().join(format!(
            "skiptrace-bulk-{}-{}",
            std::process::id(),
            contents.len()
        ));
        std::fs::write(&dir, contents).expect("write");
        let point = resume_point(&dir, &header()).expect("scan");
        std::fs::remove_file(&dir).expect("remove");
        point
    }

    #[test]
    fn output_columns_and_values_line_up() {
        let result = RematchResult::failed(vec!["bad".into()]);
        let columns = result.to_columns();
        assert_eq!(columns.len(), OUTPUT_COLUMNS.len());
        assert_eq!(columns[0], "error");
        assert_eq!(columns[OUTPUT_COLUMNS.len() - 1], "bad");
    }

    #[test]
    fn status_names_round_trip() {
        for status in MatchStatus::ALL {
            assert_eq!(MatchStatus::from_name(status.as_str()), Some(status));
        }
        assert_eq!(MatchStatus::from_name("resolved"), None);
    }

    #[test]
    fn id_column_is_detected_or_requested() {
        let columns: Vec<String> = ["Name", "ACCT", "zip"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(id_column(&columns, None).expect("ok"), Some(1));
        assert_eq!(id_column(&columns, Some("zip")).expect("ok"), Some(2));
        let error = id_column(&columns, Some("nope")).expect_err("no such column");
        assert!(
            error.to_string().contains("--id-column: no such column"),
            "{error}"
        );
    }

    #[test]
    fn resume_point_counts_complete_rows_only() {
        let point = scan("a,b\n1,2\n3,4\n5,");
        assert_eq!((point.rows, point.complete_bytes), (2, 12));
        assert_eq!(point.last_row, Some(vec!["3".to_string(), "4".to_string()]));
        let point = scan("a,b\n1,2\n3,4\n");
        assert_eq!((point.rows, point.complete_bytes), (2, 12));
        let point = scan("a,b\n1,\"x\ny");
        assert_eq!((point.rows, point.complete_bytes), (0, 4));
        let point = scan("a,");
        assert!(!point.has_header);
    }
}
