//! `POST /v1/rematch`: a whole returned-mail file (CSV delimited by comma, tab, pipe or semicolon, or JSON Lines) in,
//! the same rows back as CSV with the re-match columns of [`crate::bulk`] appended.
//!
//! The permissible purpose comes as query parameters (`?glba=CODE&dppa=CODE`); the body is read
//! whole (up to `Limits::max_rematch_body_bytes`) and checked before anything is streamed, so
//! an unreadable file is a JSON 400. Rows are then matched in parallel batches on the blocking
//! pool and each batch's CSV is streamed out as soon as it is ready: exactly one output row per
//! input row, in input order. The route has no per-request timeout.
//!
//! Audit: the job writes ONE line itself when it ends (route, key id, purposes, status, row
//! count in `rows`, and `ROW:RECORD_ID` in `result_ids` for every row whose answer named a
//! record, so the log says whose data went out; never a row's values). The last batch is held back until that line is
//! written; when it cannot be written, the stream is broken off instead, so a client never
//! receives a complete file that is not in the log.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::audit_layer::{AuditDetails, AuditedByHandler};
use super::auth::Caller;
use super::error::{body_rejection, ApiError, ErrorCode};
use super::purposes::purposes_from_query;
use super::state::AppState;
use crate::audit::{person_fingerprint, query_fingerprint, AuditEvent};
use crate::bulk::{self, RematchOptions, OUTPUT_COLUMNS};
use crate::error::InputError;
use crate::input::encoding::UNKNOWN_ENCODING_HINT;
use crate::input::{FileEncoding, InputRow, MappingOverrides, RecordReader};
use crate::search::{Engine, Query as SearchQuery};

/// The route as the audit log names it.
const ROUTE: &str = "POST /v1/rematch";

/// Response header naming the encoding the file was read in (`windows-1252 (detected)`); the
/// result is always UTF-8.
pub const ENCODING_HEADER: &str = "x-skiptrace-input-encoding";

/// Batches in flight between the matcher and the client.
pub(crate) const CHANNEL_BATCHES: usize = 2;

/// The query parameters, all as text so each bad one is a 400 naming it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RematchParams {
    glba: Option<String>,
    dppa: Option<String>,
    id_column: Option<String>,
    match_threshold: Option<String>,
    review_threshold: Option<String>,
    encoding: Option<String>,
}

/// The file's encoding as the query names it (`None`: detect it).
fn encoding_of(params: &RematchParams) -> Result<Option<FileEncoding>, ApiError> {
    params
        .encoding
        .as_deref()
        .map(|label| {
            FileEncoding::from_label(label)
                .ok_or_else(|| ApiError::invalid_field("encoding", UNKNOWN_ENCODING_HINT))
        })
        .transpose()
}

type Chunk = Result<Bytes, std::io::Error>;

/// The receiving end of the batch channel, as the body's stream.
pub(crate) struct ChunkStream(pub(crate) mpsc::Receiver<Chunk>);

impl futures_core::Stream for ChunkStream {
    type Item = Chunk;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Chunk>> {
        self.0.poll_recv(cx)
    }
}

/// Re-matches a returned-mail file, streaming CSV back.
#[utoipa::path(
    post,
    path = "/v1/rematch",
    tag = "jobs",
    params(
        ("glba" = String, Query, description = "GLBA permissible purpose code (see GET /v1/purposes)"),
        ("dppa" = String, Query, description = "DPPA permissible purpose code"),
        ("id_column" = Option<String>, Query, description = "Account id column (default: account_id, account, acct, ...)"),
        ("encoding" = Option<String>, Query, description = "The file's encoding (utf-8, windows-1252, utf-16le...); detected by default"),
        ("match_threshold" = Option<f64>, Query, description = "Probability a match needs"),
        ("review_threshold" = Option<f64>, Query, description = "Probability a review needs"),
    ),
    request_body(
        description = "The returned-mail file: CSV (comma, tab, pipe or semicolon) or JSON Lines",
        content((String = "text/csv"), (String = "application/x-ndjson"))
    ),
    responses(
        (status = 200, description = "The file's rows with the re-matching columns, streamed; header x-skiptrace-input-encoding says how the file was read", content_type = "text/csv", body = String),
        (status = 400, description = "No purpose, or a file that cannot be read", body = super::error::ErrorBody),
        (status = 401, description = "No key, or an unknown or revoked key", body = super::error::ErrorBody),
        (status = 403, description = "The key's role may not search", body = super::error::ErrorBody),
        (status = 413, description = "Larger than --max-rematch-body-bytes", body = super::error::ErrorBody),
        (status = 429, description = "Rate limit, or the key's daily rows", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn rematch(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<RematchParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut details = AuditDetails::default();
    match start(state, caller, query, body, &mut details).await {
        Ok(response) => response,
        Err(error) => {
            let mut response = error.into_response();
            response.extensions_mut().insert(details);
            response
        }
    }
}

async fn start(
    state: AppState,
    caller: Caller,
    query: Result<Query<RematchParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
    details: &mut AuditDetails,
) -> Result<Response, ApiError> {
    let Query(params) = query.map_err(|rejection| {
        ApiError::new(
            ErrorCode::InvalidQuery,
            format!("the query string cannot be read: {}", rejection.body_text()),
        )
    })?;
    let purposes = purposes_from_query(params.glba.as_deref(), params.dppa.as_deref())?;
    details.purposes = Some(purposes);
    let options = RematchOptions {
        unmasked: caller.role.sees_unmasked(),
        ..options_of(&params)?
    };
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                "the file is larger than the server accepts (see --max-rematch-body-bytes)",
            )
        } else {
            body_rejection(rejection)
        }
    })?;
    let encoding = encoding_of(&params)?;
    let reader = open_reader(body.clone(), params.id_column.as_deref(), encoding)?;
    let read_in = reader.encoding().describe();
    // Bulk costs what it is: each row takes one row of the key's daily quota, all before the
    // first is matched.
    let id_column = params.id_column.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let mut counter = open_reader(body, id_column.as_deref(), encoding)?;
        let rows = counter.by_ref().count() as u64;
        counter.finish().map_err(|error| {
            ApiError::new(
                ErrorCode::InvalidBody,
                format!("the file cannot be read: {error}"),
            )
        })?;
        Ok::<u64, ApiError>(rows)
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    state.take_rows(&caller.key_id, rows)?;
    let Some(permit) = state.engine_permit().await else {
        return Err(ApiError::internal(&"engine permits closed"));
    };
    let (sender, receiver) = mpsc::channel::<Chunk>(CHANNEL_BATCHES);
    let job_state = state.clone();
    let key_id = caller.key_id.clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let engine = job_state.engine().clone();
        let screen = enumeration_screen(&job_state, &key_id, options.unmasked);
        let index_commit = crate::index::SkipIndex::commit_id(&engine.index().searcher());
        let job = run_job(&engine, reader, &options, &sender, &screen);
        drop(screen);
        let event = AuditEvent {
            model_digest: Some(engine.model_digest().to_string()),
            index_commit: Some(index_commit),
            key_id: Some(key_id),
            route: ROUTE.to_string(),
            status: StatusCode::OK.as_u16(),
            purposes: Some(purposes),
            rows: Some(job.rows),
            result_ids: job.disclosed,
            error_code: job.error_code.map(str::to_string),
            ..AuditEvent::default()
        };
        match job_state.audit().append(event) {
            Ok(_) => {
                if let Some(last) = job.held {
                    // The client may have gone; nothing left to do then.
                    let _ = sender.blocking_send(Ok(Bytes::from(last)));
                }
            }
            Err(error) => {
                tracing::error!(%error, route = ROUTE, "audit log write failed: response broken off");
                let _ = sender.blocking_send(Err(std::io::Error::other(
                    "the job could not be recorded in the audit log",
                )));
            }
        }
    });
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::HeaderName::from_static(ENCODING_HEADER), read_in),
        ],
        Body::from_stream(ChunkStream(receiver)),
    )
        .into_response();
    response.extensions_mut().insert(AuditedByHandler);
    response.extensions_mut().insert(details.clone());
    Ok(response)
}

/// Returns the screen a bulk file's rows pass before they are matched: a file of guesses is
/// screened row by row as searches are, and a row past the enumeration threshold becomes an
/// error row, not a search. Callers who see unmasked values are not screened.
pub(crate) fn enumeration_screen<'a>(
    state: &'a AppState,
    key_id: &'a str,
    unmasked: bool,
) -> impl Fn(&mut InputRow) + Sync + 'a {
    move |row: &mut InputRow| {
        if unmasked {
            return;
        }
        let audit_key = state.audit().key();
        let query = SearchQuery::from_raw(&row.raw);
        let record = query.record();
        if record.ssn.is_none() && record.dob.is_none() {
            return;
        }
        let person = person_fingerprint(record, audit_key);
        let variant = query_fingerprint(record, audit_key);
        if let Err(error) = state.screen_probe(key_id, &person, &variant) {
            row.issues.push(InputError {
                row: row.row,
                column: None,
                message: format!("refused: {}", error.message()),
            });
        }
    }
}

fn probability(name: &str, value: Option<&str>) -> Result<Option<f64>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    match value.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(Some(p)),
        _ => Err(ApiError::invalid_field(
            name,
            format!("{name} is a probability between 0 and 1"),
        )),
    }
}

fn options_of(params: &RematchParams) -> Result<RematchOptions, ApiError> {
    let mut options = RematchOptions::default();
    if let Some(p) = probability("match_threshold", params.match_threshold.as_deref())? {
        options.search.match_threshold = p;
    }
    if let Some(p) = probability("review_threshold", params.review_threshold.as_deref())? {
        options.review_threshold = p;
    }
    Ok(options)
}

/// Opens the file and checks it can be matched at all: readable, a column that maps to a
/// search field, and the `id_column` asked for.
fn open_reader(
    body: Bytes,
    id_column: Option<&str>,
    encoding: Option<FileEncoding>,
) -> Result<RecordReader, ApiError> {
    let unreadable = |message: String| {
        ApiError::new(
            ErrorCode::InvalidBody,
            format!("the file cannot be read: {message}"),
        )
    };
    let reader = RecordReader::from_reader(
        Box::new(std::io::Cursor::new(body)),
        None,
        &MappingOverrides::default(),
        "rematch",
        encoding,
    )
    .map_err(|e| unreadable(e.to_string()))?;
    if reader.mapping().fields.iter().all(Option::is_none) {
        return Err(unreadable(format!(
            "no column is a name, DOB, SSN, address, phone or email (columns: {})",
            reader.mapping().columns.join(", ")
        )));
    }
    bulk::id_column(&reader.mapping().columns, id_column).map_err(|_| {
        ApiError::invalid_field(
            "id_column",
            format!(
                "id_column: the file has no column {:?}",
                id_column.unwrap_or_default()
            ),
        )
    })?;
    Ok(reader)
}

/// What a job did.
struct Job {
    /// Input rows matched (each is one output row).
    rows: u64,
    /// `ROW:RECORD_ID` for every row whose answer named a record (its data went out), ROW
    /// counting data rows from 1.
    disclosed: Vec<String>,
    /// The last chunk, sent only once the audit line is written.
    held: Option<Vec<u8>>,
    /// Why the job stopped early.
    error_code: Option<&'static str>,
}

fn run_job(
    engine: &Engine,
    mut reader: RecordReader,
    options: &RematchOptions,
    sender: &mpsc::Sender<Chunk>,
    screen: &dyn Fn(&mut InputRow),
) -> Job {
    let width = reader.mapping().columns.len();
    let mut header = reader.mapping().columns.clone();
    header.extend(OUTPUT_COLUMNS.iter().map(|c| c.to_string()));
    let mut job = Job {
        rows: 0,
        disclosed: Vec::new(),
        held: None,
        error_code: None,
    };
    let mut pending = match encode([header].iter()) {
        Ok(bytes) => bytes,
        Err(error) => return failed(job, sender, &error),
    };
    let batch_rows = options.batch_rows.max(1);
    loop {
        let mut batch: Vec<InputRow> = reader.by_ref().take(batch_rows).collect();
        batch.iter_mut().for_each(screen);
        if batch.is_empty() {
            break;
        }
        let first_row = job.rows + 1;
        let lines: Vec<Vec<String>> = bulk::rematch_batch(engine, &batch, width, options)
            .into_iter()
            .zip(first_row..)
            .map(|((values, result), row)| {
                if let Some(record) = &result.record_id {
                    job.disclosed.push(format!("{row}:{record}"));
                }
                values
            })
            .collect();
        let bytes = match encode(lines.iter()) {
            Ok(bytes) => bytes,
            Err(error) => return failed(job, sender, &error),
        };
        job.rows += batch.len() as u64;
        let ready = std::mem::replace(&mut pending, bytes);
        if sender.blocking_send(Ok(Bytes::from(ready))).is_err() {
            job.error_code = Some("client_disconnected");
            return job;
        }
    }
    job.held = Some(pending);
    job
}

fn failed(mut job: Job, sender: &mpsc::Sender<Chunk>, error: &csv::Error) -> Job {
    tracing::error!(%error, route = ROUTE, "cannot encode a batch: response broken off");
    let _ = sender.blocking_send(Err(std::io::Error::other("cannot encode a batch")));
    job.error_code = Some("internal");
    job
}

fn encode<'a>(records: impl Iterator<Item = &'a Vec<String>>) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(record)?;
    }
    writer
        .into_inner()
        .map_err(|error| csv::Error::from(error.into_error()))
}
