//! `/v1/jobs`: returned-mail files re-matched in the background, for files too large to wait
//! on (`POST /v1/rematch` stays for small synchronous ones).
//!
//! `POST /v1/jobs` checks the file as the synchronous route does (purposes, readable, a column
//! to search on, the quota for every row), stores it ([`super::job_store`]) and answers at once
//! with the job; one worker thread matches queued jobs in turn with [`bulk::rematch_file`],
//! writing the same result `skiptrace rematch` writes and resuming it after a restart. The
//! submission and each result download are audited (the download's line names every record
//! disclosed, `ROW:RECORD_ID`, as a synchronous file's does).

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::audit_layer::AuditDetails;
use super::auth::Caller;
use super::error::{body_rejection, ApiError, ErrorCode};
use super::job_store::{count_outcomes, JobSpec, JobStore, JobView};
use super::purposes::purposes_from_query;
use super::rematch::{enumeration_screen, ChunkStream, CHANNEL_BATCHES};
use super::state::AppState;
use crate::bulk::{self, RematchOptions, DEFAULT_REVIEW_THRESHOLD};
use crate::input::encoding::UNKNOWN_ENCODING_HINT;
use crate::input::{FileEncoding, MappingOverrides, RecordReader};
use crate::search::{SearchOptions, DEFAULT_MATCH_THRESHOLD};

/// What `POST /v1/jobs` and `POST /v1/jobs/preview` read from the query string.
#[derive(Debug, Default)]
struct JobParams {
    glba: Option<String>,
    dppa: Option<String>,
    id_column: Option<String>,
    encoding: Option<String>,
    map: Vec<String>,
    match_threshold: Option<String>,
    review_threshold: Option<String>,
    file_name: Option<String>,
}

impl JobParams {
    /// Reads the pairs of a query string; `map` may repeat (`map=first_name=GIVEN`).
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<JobParams, ApiError> {
        let mut params = JobParams::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "glba" => &mut params.glba,
                "dppa" => &mut params.dppa,
                "id_column" => &mut params.id_column,
                "encoding" => &mut params.encoding,
                "match_threshold" => &mut params.match_threshold,
                "review_threshold" => &mut params.review_threshold,
                "file_name" => &mut params.file_name,
                "map" => {
                    params.map.push(value);
                    continue;
                }
                other => {
                    return Err(ApiError::new(
                        ErrorCode::InvalidQuery,
                        format!("unknown query parameter {other}"),
                    ))
                }
            };
            *slot = Some(value);
        }
        Ok(params)
    }

    fn overrides(&self) -> Result<MappingOverrides, ApiError> {
        MappingOverrides::parse(&self.map)
            .map_err(|e| ApiError::invalid_field("map", e.to_string()))
    }

    fn encoding(&self) -> Result<Option<FileEncoding>, ApiError> {
        self.encoding
            .as_deref()
            .map(|label| {
                FileEncoding::from_label(label)
                    .ok_or_else(|| ApiError::invalid_field("encoding", UNKNOWN_ENCODING_HINT))
            })
            .transpose()
    }

    fn probability(name: &str, value: Option<&str>, default: f64) -> Result<f64, ApiError> {
        match value.map(|v| v.trim().parse::<f64>()) {
            None => Ok(default),
            Some(Ok(p)) if (0.0..=1.0).contains(&p) => Ok(p),
            Some(_) => Err(ApiError::invalid_field(
                name,
                format!("{name} is a probability between 0 and 1"),
            )),
        }
    }
}

fn params_of(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<JobParams, ApiError> {
    let Query(pairs) = query.map_err(|rejection| {
        ApiError::new(
            ErrorCode::InvalidQuery,
            format!("the query string cannot be read: {}", rejection.body_text()),
        )
    })?;
    JobParams::from_pairs(pairs)
}

fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                "the file is larger than the server accepts (see --max-rematch-body-bytes)",
            )
        } else {
            body_rejection(rejection)
        }
    })
}

/// Reads the file as the job will, and counts its rows: a file the job could not read is
/// refused now, not after it was queued.
fn check_file(body: &Bytes, params: &JobParams) -> Result<(u64, String), ApiError> {
    let unreadable = |message: String| {
        ApiError::new(
            ErrorCode::InvalidBody,
            format!("the file cannot be read: {message}"),
        )
    };
    let mut reader = RecordReader::from_reader(
        Box::new(std::io::Cursor::new(body.clone())),
        None,
        &params.overrides()?,
        "job",
        params.encoding()?,
    )
    .map_err(|e| unreadable(e.to_string()))?;
    if reader.mapping().fields.iter().all(Option::is_none) {
        return Err(unreadable(format!(
            "no column is a name, DOB, SSN, address, phone or email (columns: {})",
            reader.mapping().columns.join(", ")
        )));
    }
    bulk::id_column(&reader.mapping().columns, params.id_column.as_deref())
        .map_err(|e| ApiError::invalid_field("id_column", e.to_string()))?;
    let encoding = reader.encoding().describe();
    let rows = reader.by_ref().count() as u64;
    reader.finish().map_err(|e| unreadable(e.to_string()))?;
    Ok((rows, encoding))
}

/// Submits a returned-mail file as a background job.
#[utoipa::path(
    post,
    path = "/v1/jobs",
    tag = "jobs",
    params(
        ("glba" = String, Query, description = "GLBA permissible purpose code (see GET /v1/purposes)"),
        ("dppa" = String, Query, description = "DPPA permissible purpose code"),
        ("id_column" = Option<String>, Query, description = "Account id column (default: account_id, account, acct, ...)"),
        ("map" = Option<Vec<String>>, Query, description = "Column mapping, field=COLUMN; repeatable"),
        ("encoding" = Option<String>, Query, description = "The file's encoding (utf-8, windows-1252, utf-16le...); detected by default"),
        ("match_threshold" = Option<f64>, Query, description = "Probability a match needs"),
        ("review_threshold" = Option<f64>, Query, description = "Probability a review needs"),
        ("file_name" = Option<String>, Query, description = "The file's name, shown in the job list"),
    ),
    request_body(
        description = "The returned-mail file: CSV (comma, tab, pipe or semicolon) or JSON Lines",
        content((String = "text/csv"), (String = "application/x-ndjson"))
    ),
    responses(
        (status = 202, description = "Queued; poll the Location", body = JobView),
        (status = 400, description = "No purpose, an unknown parameter, or a file that cannot be read", body = super::error::ErrorBody),
        (status = 401, description = "No key, or an unknown or revoked key", body = super::error::ErrorBody),
        (status = 403, description = "The key's role may not search", body = super::error::ErrorBody),
        (status = 413, description = "Larger than --max-rematch-body-bytes", body = super::error::ErrorBody),
        (status = 429, description = "Rate limit, or the key's daily rows", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut details = AuditDetails::default();
    let outcome = submit_job(&state, &caller, query, body, &mut details).await;
    let mut response = match outcome {
        Ok(view) => (
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/v1/jobs/{}", view.job_id))],
            Json(view),
        )
            .into_response(),
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(details);
    response
}

async fn submit_job(
    state: &AppState,
    caller: &Caller,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
    details: &mut AuditDetails,
) -> Result<JobView, ApiError> {
    let params = params_of(query)?;
    let purposes = purposes_from_query(params.glba.as_deref(), params.dppa.as_deref())?;
    details.purposes = Some(purposes);
    let match_threshold = JobParams::probability(
        "match_threshold",
        params.match_threshold.as_deref(),
        DEFAULT_MATCH_THRESHOLD,
    )?;
    let review_threshold = JobParams::probability(
        "review_threshold",
        params.review_threshold.as_deref(),
        DEFAULT_REVIEW_THRESHOLD,
    )?;
    if let Some(name) = &params.file_name {
        if name.chars().count() > MAX_FILE_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(ApiError::invalid_field(
                "file_name",
                format!("file_name is at most {MAX_FILE_NAME_CHARS} printable characters"),
            ));
        }
    }
    let body = body_of(body)?;
    let (params, body, (rows, _)) = tokio::task::spawn_blocking(move || {
        let checked = check_file(&body, &params);
        checked.map(|checked| (params, body, checked))
    })
    .await??;
    // Bulk costs what it is: every row takes one row of the key's daily quota, now.
    state.take_rows(&caller.key_id, rows)?;
    details.rows = Some(rows);
    let spec = JobSpec {
        job_id: new_job_id(),
        key_id: caller.key_id.clone(),
        glba: purposes.glba.code().to_string(),
        dppa: purposes.dppa.code().to_string(),
        unmasked: caller.role.sees_unmasked(),
        id_column: params.id_column,
        map: params.map,
        encoding: params.encoding,
        match_threshold,
        review_threshold,
        rows_total: rows,
        file_name: params.file_name,
        created_at: crate::audit::now_rfc3339(),
    };
    details.result_ids = vec![spec.job_id.clone()];
    let store = state.jobs().clone();
    let view = tokio::task::spawn_blocking(move || store.submit(spec, &body)).await??;
    Ok(view)
}

/// Longest `file_name` a job takes.
const MAX_FILE_NAME_CHARS: usize = 200;

/// Bytes of a body `POST /v1/jobs/preview` reads: the header and a few rows are enough.
const PREVIEW_BYTES: usize = 1 << 20;

fn new_job_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The caller's jobs, newest first.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobList {
    /// The jobs (an admin sees every key's).
    pub jobs: Vec<JobView>,
}

/// Lists the caller's jobs.
#[utoipa::path(get, path = "/v1/jobs", tag = "jobs",
    responses((status = 200, description = "The caller's jobs, newest first (an admin's: all)", body = JobList)),
    security(("bearer" = []), ("api_key" = [])))]
pub(crate) async fn list(State(state): State<AppState>, caller: Caller) -> Json<JobList> {
    Json(JobList {
        jobs: state
            .jobs()
            .list(&caller.key_id, caller.role.sees_unmasked()),
    })
}

/// One job: state, rows done, rows per second, ETA and counts by outcome code.
#[utoipa::path(get, path = "/v1/jobs/{job_id}", tag = "jobs",
    params(("job_id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 404, description = "No such job for this key", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = [])))]
pub(crate) async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(job_id): Path<String>,
) -> Response {
    match state
        .jobs()
        .view(&job_id, &caller.key_id, caller.role.sees_unmasked())
    {
        Some(view) => Json(view).into_response(),
        None => no_job(&job_id).into_response(),
    }
}

fn no_job(job_id: &str) -> ApiError {
    let shown: String = job_id.chars().take(32).collect();
    ApiError::not_found(format!("no job {shown} for this key"))
}

/// Removes a job that is not running, with its file and result.
#[utoipa::path(delete, path = "/v1/jobs/{job_id}", tag = "jobs",
    params(("job_id" = String, Path, description = "The job's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such job for this key", body = super::error::ErrorBody),
        (status = 409, description = "The job is running", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = [])))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(job_id): Path<String>,
) -> Response {
    let store = state.jobs().clone();
    let all = caller.role.sees_unmasked();
    let id = job_id.clone();
    let removed = tokio::task::spawn_blocking(move || store.delete(&id, &caller.key_id, all)).await;
    match removed {
        Ok(Ok(true)) => StatusCode::NO_CONTENT.into_response(),
        Ok(Ok(false)) => no_job(&job_id).into_response(),
        Ok(Err(error)) => ApiError::from(error).into_response(),
        Err(error) => ApiError::internal(&error).into_response(),
    }
}

/// Streams a finished job's result: the input rows, in order, with the re-matching columns.
#[utoipa::path(get, path = "/v1/jobs/{job_id}/result", tag = "jobs",
    params(("job_id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The result, as `skiptrace rematch` writes it", content_type = "text/csv", body = String),
        (status = 404, description = "No such job for this key", body = super::error::ErrorBody),
        (status = 409, description = "The job has not finished", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = [])))]
pub(crate) async fn result(
    State(state): State<AppState>,
    caller: Caller,
    Path(job_id): Path<String>,
) -> Response {
    let mut details = AuditDetails::default();
    let mut response = match result_body(&state, &caller, &job_id, &mut details).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(details);
    response
}

async fn result_body(
    state: &AppState,
    caller: &Caller,
    job_id: &str,
    details: &mut AuditDetails,
) -> Result<Response, ApiError> {
    let all = caller.role.sees_unmasked();
    let view = state
        .jobs()
        .view(job_id, &caller.key_id, all)
        .ok_or_else(|| no_job(job_id))?;
    // A result matched with unmasked levels goes only to a caller who may still see them.
    if state
        .jobs()
        .spec(job_id)
        .is_some_and(|spec| spec.unmasked && !caller.role.sees_unmasked())
    {
        return Err(ApiError::forbidden(
            "this job was matched for a role that sees unmasked SSNs and DOBs; this key may not \
             download it",
        ));
    }
    if view.state != super::job_store::JobState::Done {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "the job is {:?}; its result is ready when it is done",
                view.state
            )
            .to_lowercase(),
        ));
    }
    let path = state.jobs().result_path(job_id);
    // The log names every record the result discloses, as a synchronous file's line does.
    let listing = path.clone();
    let (rows, disclosed) = tokio::task::spawn_blocking(move || disclosed_records(&listing))
        .await?
        .map_err(ApiError::from)?;
    details.rows = Some(rows);
    details.result_ids = disclosed;
    if let Some(spec) = state.jobs().spec(job_id) {
        details.purposes = purposes_from_query(Some(&spec.glba), Some(&spec.dppa)).ok();
        details.unmasked = spec.unmasked;
    }
    let (sender, receiver) = tokio::sync::mpsc::channel(CHANNEL_BATCHES);
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) => {
                let _ = sender.blocking_send(Err(error));
                return;
            }
        };
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            match file.read(&mut buffer) {
                Ok(0) => return,
                Ok(n) => {
                    if sender
                        .blocking_send(Ok(Bytes::copy_from_slice(&buffer[..n])))
                        .is_err()
                    {
                        return;
                    }
                }
                Err(error) => {
                    let _ = sender.blocking_send(Err(error));
                    return;
                }
            }
        }
    });
    let name = view.file_name.as_deref().map_or_else(
        || format!("job-{job_id}"),
        // A header value is visible ASCII: anything else becomes `_`.
        |n| {
            n.chars()
                .map(|c| match c {
                    '"' | '\\' | '/' => '_',
                    c if c == ' ' || c.is_ascii_graphic() => c,
                    _ => '_',
                })
                .collect()
        },
    );
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.rematched.csv\""),
            ),
        ],
        Body::from_stream(ChunkStream(receiver)),
    )
        .into_response())
}

/// Rows of a result file, and `ROW:RECORD_ID` for every row that names a record.
fn disclosed_records(result: &std::path::Path) -> crate::Result<(u64, Vec<String>)> {
    let mut reader = csv::Reader::from_path(result)?;
    let column = reader
        .headers()?
        .iter()
        .enumerate()
        .filter(|(_, h)| *h == "match_record_id")
        .map(|(i, _)| i)
        .last();
    let mut rows = 0;
    let mut disclosed = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record?;
        rows += 1;
        if let Some(id) = column
            .and_then(|c| record.get(c))
            .filter(|id| !id.is_empty())
        {
            disclosed.push(format!("{}:{id}", index + 1));
        }
    }
    Ok((rows, disclosed))
}

/// A file's columns and the field each maps to, as a job would read them: what the page
/// shows for the collector to correct before starting.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FilePreview {
    /// The encoding the file would be read in.
    pub encoding: String,
    /// Columns in file order, each with the field it maps to (`null`: kept, not used).
    pub columns: Vec<ColumnPreview>,
    /// The account id column a job would track rows by.
    pub id_column: Option<String>,
    /// Fields every column can map to.
    pub fields: Vec<String>,
}

/// One column of a [`FilePreview`].
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ColumnPreview {
    /// The header as the file spells it.
    pub column: String,
    /// The field it maps to.
    pub field: Option<String>,
}

/// Reads a file's header (and `map` overrides) as a job would, without storing anything.
#[utoipa::path(post, path = "/v1/jobs/preview", tag = "jobs",
    params(
        ("map" = Option<Vec<String>>, Query, description = "Column mapping, field=COLUMN; repeatable"),
        ("encoding" = Option<String>, Query, description = "The file's encoding; detected by default"),
    ),
    request_body(description = "The file, or its first lines", content((String = "text/csv"))),
    responses(
        (status = 200, description = "The columns and their fields", body = FilePreview),
        (status = 400, description = "A file that cannot be read", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = [])))]
pub(crate) async fn preview(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<FilePreview>, ApiError> {
    let params = params_of(query)?;
    let mut body = body_of(body)?;
    body.truncate(PREVIEW_BYTES);
    let overrides = params.overrides()?;
    let encoding = params.encoding()?;
    tokio::task::spawn_blocking(move || preview_of(body, &overrides, encoding))
        .await?
        .map(Json)
}

fn preview_of(
    body: Bytes,
    overrides: &MappingOverrides,
    encoding: Option<FileEncoding>,
) -> Result<FilePreview, ApiError> {
    let reader = RecordReader::from_reader(
        Box::new(std::io::Cursor::new(body)),
        None,
        overrides,
        "preview",
        encoding,
    )
    .map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidBody,
            format!("the file cannot be read: {e}"),
        )
    })?;
    let mapping = reader.mapping();
    let id_column = bulk::id_column(&mapping.columns, None)
        .ok()
        .flatten()
        .map(|i| mapping.columns[i].clone());
    Ok(FilePreview {
        encoding: reader.encoding().describe(),
        columns: mapping
            .columns
            .iter()
            .zip(&mapping.fields)
            .map(|(column, field)| ColumnPreview {
                column: column.clone(),
                field: field.map(|f| f.name().to_string()),
            })
            .collect(),
        id_column,
        fields: crate::record::Field::ALL
            .iter()
            .map(|f| f.name().to_string())
            .collect(),
    })
}

/// Runs queued jobs one at a time until the store stops. Runs on a thread of its own.
pub(crate) fn work(state: &AppState, runtime: &tokio::runtime::Handle) {
    while let Some(job_id) = state.jobs().next() {
        if let Err(error) = run(state, runtime, &job_id) {
            tracing::error!(%error, job_id, "job failed");
            if let Err(error) = state.jobs().fail(&job_id, error.to_string()) {
                tracing::error!(%error, job_id, "job state not written");
            }
        }
    }
}

fn run(state: &AppState, runtime: &tokio::runtime::Handle, job_id: &str) -> crate::Result<()> {
    let store: &JobStore = state.jobs();
    let Some(spec) = store.spec(job_id) else {
        return Ok(());
    };
    // A job takes an engine place as a synchronous file does, so searches keep theirs.
    let Some(_permit) = runtime.block_on(state.engine_permit()) else {
        return Ok(());
    };
    // The key may have been revoked, or its role lowered, since it submitted the job.
    let role = state.keys().live_role(&spec.key_id);
    if role.is_none_or(|role| spec.unmasked && !role.sees_unmasked()) {
        return store.fail(
            job_id,
            "the key that submitted the job was revoked or its role changed; submit it again"
                .into(),
        );
    }
    store.start(job_id)?;
    let index_commit = crate::index::SkipIndex::commit_id(&state.engine().index().searcher());
    let overrides = MappingOverrides::parse(&spec.map)?;
    let encoding = spec.encoding.as_deref().and_then(FileEncoding::from_label);
    let reader = RecordReader::open_in(&store.input_path(job_id), &overrides, encoding)?;
    store.read_in(job_id, reader.encoding().describe());
    let id_column = bulk::id_column(&reader.mapping().columns, spec.id_column.as_deref())?;
    let options = RematchOptions {
        search: SearchOptions {
            match_threshold: spec.match_threshold,
            ..SearchOptions::default()
        },
        review_threshold: spec.review_threshold,
        unmasked: spec.unmasked,
        stop: Some(store.stop_flag()),
        resume: true,
        ..RematchOptions::default()
    };
    let screen = enumeration_screen(state, &spec.key_id, spec.unmasked);
    let result = store.result_path(job_id);
    let summary = bulk::rematch_file(
        state.engine(),
        reader,
        &result,
        id_column,
        &options,
        &screen,
        &|done| store.advance(job_id, done),
    )?;
    if summary.stopped {
        return store.interrupted(job_id);
    }
    let (rows, outcomes) = count_outcomes(&result)?;
    // The run itself, tied to the model and index state that decided it (the download's line
    // names the records disclosed). Logged before the job is marked done, so a caller who sees
    // it done finds its line.
    state.audit().append(crate::audit::AuditEvent {
        key_id: Some(spec.key_id.clone()),
        route: "JOB /v1/jobs/{job_id}".to_string(),
        status: StatusCode::OK.as_u16(),
        purposes: purposes_from_query(Some(&spec.glba), Some(&spec.dppa)).ok(),
        result_ids: vec![job_id.to_string()],
        rows: Some(rows),
        unmasked: spec.unmasked,
        model_digest: Some(state.engine().model_digest().to_string()),
        index_commit: Some(index_commit),
        ..crate::audit::AuditEvent::default()
    })?;
    store.finish(job_id, rows, &outcomes)
}
