//! `POST /v1/records`, `GET` and `DELETE /v1/records/{record_id}`: records in and out of the
//! index through the server's one writer. A change is committed (durable) and the reader
//! reloaded before the response, so the next search sees it.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::audit_layer::{AuditDetails, AuditedByHandler};
use super::auth::Caller;
use super::error::{
    body_rejection, is_json, media_type, unsupported_media_type, ApiError, ErrorCode,
};
use super::limits::PointOfNoReturn;
use super::purposes::purposes_from_query;
use super::state::AppState;
use super::views::RecordView;
use crate::audit::AuditEvent;
use crate::error::InputError;
use crate::ingest::{delete_records, upsert_rows, IngestSummary, MAX_REPORTED_ISSUES};
use crate::input::{ColumnMapping, InputFormat, InputRow, MappingOverrides, RecordReader};
use crate::record::{Field, RawRecord};

/// Media type of a JSON Lines body.
pub const NDJSON: &str = "application/x-ndjson";

/// What an upsert did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpsertResponse {
    /// Records read from the body.
    pub read: u64,
    /// Records written (new or replacing one with the same id).
    pub indexed: u64,
    /// Of `indexed`, records whose id was already indexed.
    pub updated: u64,
    /// Records not written (nothing usable, no record_id, not an object).
    pub rejected: u64,
    /// Problems by row (1-based position in the body) and column, values masked.
    pub issues: Vec<IssueView>,
    /// Keys that map to no field (kept out of the index).
    pub unmapped_columns: Vec<String>,
}

/// One problem with one record.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssueView {
    /// 1-based position of the record in the body.
    pub row: u64,
    /// The field (`*` for the record as a whole).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// What a delete did.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeleteResponse {
    /// The record removed.
    pub record_id: String,
    /// Always true (an absent record is a 404).
    pub deleted: bool,
}

/// A record for `POST /v1/records`: any of the canonical fields or their aliases (as for
/// `skiptrace index`); `record_id` is required.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordInput {
    /// Stable id: upserts replace the record with the same id. Required.
    #[schema(required = true)]
    pub record_id: Option<String>,
    /// Reporting source (`credit_header`, `utility`, ...).
    pub source: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Middle name or initial.
    pub middle_name: Option<String>,
    /// Surname.
    pub last_name: Option<String>,
    /// Generational suffix.
    pub name_suffix: Option<String>,
    /// Full name, parsed when the parts are absent.
    pub full_name: Option<String>,
    /// Date of birth.
    pub dob: Option<String>,
    /// SSN (9 digits or last 4).
    pub ssn: Option<String>,
    /// Street line.
    pub address_line1: Option<String>,
    /// Unit line.
    pub address_line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State.
    pub state: Option<String>,
    /// ZIP or ZIP+4.
    pub zip: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Employer.
    pub employer: Option<String>,
    /// First seen by the source.
    pub first_seen: Option<String>,
    /// Last seen by the source.
    pub last_seen: Option<String>,
}

/// Upserts records.
#[utoipa::path(
    post,
    path = "/v1/records",
    tag = "records",
    request_body(
        description = "A JSON array of record objects, or JSON Lines (one object per line; as with `skiptrace index`, the first line's keys are the columns)",
        content(
            (Vec<RecordInput> = "application/json"),
            (String = "application/x-ndjson")
        )
    ),
    responses(
        (status = 200, description = "Committed and visible to searches", body = UpsertResponse),
        (status = 400, description = "The body is not JSON or JSON Lines", body = super::error::ErrorBody),
        (status = 401, description = "No key, or an unknown or revoked key", body = super::error::ErrorBody),
        (status = 403, description = "The key's role may not write records", body = super::error::ErrorBody),
        (status = 413, description = "Body too large", body = super::error::ErrorBody),
        (status = 415, description = "Neither application/json nor application/x-ndjson", body = super::error::ErrorBody),
        (status = 429, description = "Rate limit; see Retry-After", body = super::error::ErrorBody),
        (status = 503, description = "Timed out before the change started", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    point: Option<Extension<PointOfNoReturn>>,
    request: Request,
) -> Response {
    let mut details = AuditDetails::default();
    let mut response = match upsert_body(&state, &caller, point, request, &mut details).await {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    };
    committed_with_its_line(&mut response, &details);
    response.extensions_mut().insert(details);
    response
}

/// Returns the step that writes a change's audit line before its commit: a crash between the
/// two leaves a line for a change that never landed, never a change without its line. No ids,
/// no change, no line (the middleware logs the request).
pub(super) fn audit_before_commit(
    state: &AppState,
    caller: &Caller,
    route: &'static str,
) -> impl FnOnce(&[String]) -> crate::Result<()> {
    let state = state.clone();
    let key_id = caller.key_id.clone();
    move |ids| {
        if ids.is_empty() {
            return Ok(());
        }
        let event = AuditEvent {
            key_id: Some(key_id),
            route: route.to_string(),
            status: StatusCode::OK.as_u16(),
            result_ids: ids.to_vec(),
            ..AuditEvent::default()
        };
        state.audit().append(event).map(|_| ())
    }
}

/// Marks a successful change as logged by [`audit_before_commit`], so the middleware writes no
/// second line; a change that failed after its line is logged again with its error.
pub(super) fn committed_with_its_line(response: &mut Response, details: &AuditDetails) {
    if response.status().is_success() && !details.result_ids.is_empty() {
        response.extensions_mut().insert(AuditedByHandler);
    }
}

async fn upsert_body(
    state: &AppState,
    caller: &Caller,
    point: Option<Extension<PointOfNoReturn>>,
    request: Request,
    details: &mut AuditDetails,
) -> Result<UpsertResponse, ApiError> {
    let media = media_type(request.headers()).unwrap_or_default();
    let json = is_json(&media);
    if !json && media != NDJSON && media != "application/jsonl" {
        return Err(unsupported_media_type(&format!(
            "application/json (an array of records) or {NDJSON}"
        )));
    }
    let body = Bytes::from_request(request, &())
        .await
        .map_err(body_rejection)?;
    let parsed = if json {
        rows_from_json(&body)?
    } else {
        rows_from_ndjson(body)?
    };
    let (rows, refused) = require_record_ids(parsed.rows);
    let mut summary = IngestSummary::default();
    let mut record_ids = Vec::new();
    if !rows.is_empty() {
        let Some(permit) = state.engine_permit().await else {
            return Err(ApiError::internal(&"engine permits closed"));
        };
        let mut writer = state.writer().await?;
        if let Some(Extension(point)) = &point {
            point.pass();
        }
        let index = state.index().clone();
        let log_it = audit_before_commit(state, caller, "POST /v1/records");
        let upserted = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            upsert_rows(&index, &mut writer, &rows, log_it)
        })
        .await??;
        summary = upserted.summary;
        record_ids = upserted.record_ids;
    }
    details.result_ids = record_ids;
    Ok(response_of(summary, refused, parsed.unmapped))
}

/// Rows parsed from a body, with the keys that mapped to no field.
struct ParsedRows {
    rows: Vec<InputRow>,
    unmapped: BTreeSet<String>,
}

/// Maps a JSON array of objects (or one object) onto rows, each object by its own keys with the
/// aliases `skiptrace index` uses.
fn rows_from_json(body: &[u8]) -> Result<ParsedRows, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidBody,
                "the body must be a JSON array of record objects",
            ))
        }
    };
    let mut parsed = ParsedRows {
        rows: Vec::with_capacity(items.len()),
        unmapped: BTreeSet::new(),
    };
    for (position, item) in items.into_iter().enumerate() {
        let row = position as u64 + 1;
        let serde_json::Value::Object(object) = item else {
            parsed.rows.push(InputRow {
                row,
                values: Vec::new(),
                raw: RawRecord::new(),
                issues: vec![InputError::whole_row(row, "not a JSON object")],
            });
            continue;
        };
        let columns: Vec<String> = object.keys().cloned().collect();
        let mapping = ColumnMapping::new(columns, &MappingOverrides::default())
            .expect("without overrides no column can be missing");
        parsed
            .unmapped
            .extend(mapping.unmapped().into_iter().map(str::to_string));
        let values: Vec<String> = object.values().map(json_text).collect();
        let mut raw = RawRecord::new();
        for (value, field) in values.iter().zip(&mapping.fields) {
            if let Some(field) = field {
                raw.set(*field, value);
            }
        }
        parsed.rows.push(InputRow {
            row,
            values,
            raw,
            issues: Vec::new(),
        });
    }
    Ok(parsed)
}

/// A JSON value as the text `skiptrace index` reads from JSON Lines.
fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Reads JSON Lines exactly as `skiptrace index` does.
fn rows_from_ndjson(body: Bytes) -> Result<ParsedRows, ApiError> {
    let reader = RecordReader::from_reader(
        Box::new(std::io::Cursor::new(body)),
        Some(InputFormat::JsonLines),
        &MappingOverrides::default(),
        "api",
        None,
    )?;
    let record_id_column = reader.mapping().column_of(Field::RecordId);
    let unmapped = reader
        .mapping()
        .unmapped()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut rows: Vec<InputRow> = reader.collect();
    // The reader makes up `api:<row>` ids for rows without one; over HTTP that would overwrite
    // another request's rows, so such rows are refused instead.
    for row in &mut rows {
        let given = record_id_column
            .and_then(|column| row.values.get(column))
            .is_some_and(|value| !value.trim().is_empty());
        if !given {
            row.raw.set(Field::RecordId, "");
        }
    }
    Ok(ParsedRows { rows, unmapped })
}

/// Splits off rows without a record id (rejected: records are read, replaced and deleted by id).
fn require_record_ids(rows: Vec<InputRow>) -> (Vec<InputRow>, Vec<InputRow>) {
    rows.into_iter()
        .partition(|row| !row.raw.get(Field::RecordId).is_empty())
}

fn response_of(
    summary: IngestSummary,
    refused: Vec<InputRow>,
    unmapped: BTreeSet<String>,
) -> UpsertResponse {
    let mut issues: Vec<InputError> = Vec::new();
    for row in &refused {
        issues.extend(row.issues.iter().cloned());
        if row.issues.is_empty() {
            issues.push(InputError::new(
                row.row,
                Field::RecordId.name(),
                "record_id is required (records are replaced, read and deleted by id)",
            ));
        }
    }
    issues.extend(summary.issues);
    issues.sort_by_key(|i| i.row);
    issues.truncate(MAX_REPORTED_ISSUES);
    UpsertResponse {
        read: summary.read + refused.len() as u64,
        indexed: summary.indexed,
        updated: summary.updated,
        rejected: summary.rejected + refused.len() as u64,
        issues: issues
            .into_iter()
            .map(|i| IssueView {
                row: i.row,
                column: i.column_name().to_string(),
                message: i.message,
            })
            .collect(),
        unmapped_columns: unmapped.into_iter().collect(),
    }
}

/// The purposes of `GET /v1/records/{record_id}`, as query parameters.
#[derive(Debug, Deserialize)]
pub(crate) struct PurposeQuery {
    glba: Option<String>,
    dppa: Option<String>,
}

fn record_id_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    match path {
        Ok(Path(record_id)) if record_id.len() > crate::index::MAX_RECORD_ID_BYTES => {
            Err(ApiError::invalid_field(
                "record_id",
                format!(
                    "record_id is longer than {} bytes",
                    crate::index::MAX_RECORD_ID_BYTES
                ),
            ))
        }
        Ok(Path(record_id)) if !record_id.trim().is_empty() => Ok(record_id),
        Ok(_) => Err(ApiError::invalid_field("record_id", "record_id is empty")),
        Err(rejection) => Err(ApiError::invalid_field("record_id", rejection.body_text())),
    }
}

/// Reads one record.
#[utoipa::path(
    get,
    path = "/v1/records/{record_id}",
    tag = "records",
    params(
        ("record_id" = String, Path, description = "Record id"),
        ("glba" = String, Query, description = "GLBA permissible purpose code (see GET /v1/purposes)"),
        ("dppa" = String, Query, description = "DPPA permitted use code"),
    ),
    responses(
        (status = 200, description = "The record (SSN and DOB masked unless admin)", body = RecordView),
        (status = 400, description = "A purpose is missing or unknown", body = super::error::ErrorBody),
        (status = 401, description = "No key, or an unknown or revoked key", body = super::error::ErrorBody),
        (status = 403, description = "The key's role may not read records", body = super::error::ErrorBody),
        (status = 404, description = "No such record", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn get_record(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    purpose: Result<Query<PurposeQuery>, QueryRejection>,
) -> Response {
    let mut details = AuditDetails::default();
    let outcome = async {
        // Reading a record discloses as much as a search: it needs a purpose, logged alike.
        let Query(purpose) = purpose.map_err(|rejection| {
            ApiError::new(
                ErrorCode::InvalidQuery,
                format!("the query string cannot be read: {}", rejection.body_text()),
            )
        })?;
        details.purposes = Some(purposes_from_query(
            purpose.glba.as_deref(),
            purpose.dppa.as_deref(),
        )?);
        let record_id = record_id_of(path)?;
        let Some(permit) = state.engine_permit().await else {
            return Err(ApiError::internal(&"engine permits closed"));
        };
        let index = state.index().clone();
        let id = record_id.clone();
        let record = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            index.get(&id)
        })
        .await??;
        let record = record.ok_or_else(|| ApiError::not_found(format!("no record {record_id}")))?;
        let unmasked = caller.role.sees_unmasked();
        details.result_ids = vec![record_id];
        details.unmasked = unmasked && (record.ssn.is_some() || record.dob.is_some());
        Ok(RecordView::of(&record, unmasked))
    }
    .await;
    let mut response = match outcome {
        Ok(view) => Json(view).into_response(),
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(details);
    response
}

/// Deletes one record.
#[utoipa::path(
    delete,
    path = "/v1/records/{record_id}",
    tag = "records",
    params(("record_id" = String, Path, description = "Record id")),
    responses(
        (status = 200, description = "Deleted, committed, and gone from searches", body = DeleteResponse),
        (status = 401, description = "No key, or an unknown or revoked key", body = super::error::ErrorBody),
        (status = 403, description = "The key's role may not write records", body = super::error::ErrorBody),
        (status = 404, description = "No such record", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn delete_record(
    State(state): State<AppState>,
    caller: Caller,
    point: Option<Extension<PointOfNoReturn>>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let mut details = AuditDetails::default();
    let outcome = async {
        let record_id = record_id_of(path)?;
        let Some(permit) = state.engine_permit().await else {
            return Err(ApiError::internal(&"engine permits closed"));
        };
        let mut writer = state.writer().await?;
        if !state
            .index()
            .contains(&state.index().searcher(), &record_id)?
        {
            return Err(ApiError::not_found(format!("no record {record_id}")));
        }
        if let Some(Extension(point)) = &point {
            point.pass();
        }
        let index = state.index().clone();
        let id = record_id.clone();
        let log_it = audit_before_commit(&state, &caller, "DELETE /v1/records/{record_id}");
        let present = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            delete_records(&index, &mut writer, &[id.as_str()], log_it)
        })
        .await??;
        if present == 0 {
            return Err(ApiError::not_found(format!("no record {record_id}")));
        }
        details.result_ids = vec![record_id.clone()];
        Ok(DeleteResponse {
            record_id,
            deleted: true,
        })
    }
    .await;
    let mut response = match outcome {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    };
    committed_with_its_line(&mut response, &details);
    response.extensions_mut().insert(details);
    response
}
