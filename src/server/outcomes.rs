//! `POST /v1/outcomes`: collectors' outcomes on contacts (right party, wrong party,
//! disconnected, mail returned, cease contact...), recorded beside the index so that every
//! later search and bulk file ranks and suppresses contacts by them (`crate::outcomes`).
//!
//! The report's audit line, naming the key and every outcome with its anchor record, is
//! written before the outcomes are, so no outcome takes effect without its line.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::audit_layer::AuditDetails;
use super::auth::Caller;
use super::error::{body_rejection, media_type, unsupported_media_type, ApiError, ErrorCode};
use super::records::{audit_before_commit, committed_with_its_line, IssueView, NDJSON};
use super::state::AppState;
use crate::input::{InputFormat, MappingOverrides, RecordReader};
use crate::normalize::Date;
use crate::outcomes::{read_reports, ReadReports};

/// What a report of outcomes did.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutcomesResponse {
    /// Rows read.
    pub read: u64,
    /// Outcomes recorded (durable before this answer).
    pub recorded: u64,
    /// Rows refused, each with its reason in `issues`.
    pub rejected: u64,
    /// Why rows were refused.
    pub issues: Vec<IssueView>,
    /// Outcomes on file after this report.
    pub outcomes_on_file: u64,
}

/// Records outcomes.
#[utoipa::path(
    post,
    path = "/v1/outcomes",
    tag = "outcomes",
    request_body(
        description = "CSV with a header, or JSON Lines: per row an `outcome` (right_party, wrong_party, disconnected, no_answer, mail_returned, mail_delivered, cease_contact, do_not_call, suppression_lifted), the contact (`phone`, `email`, or `address_line1` with `zip` or `city`), `match_record_id` (the record the contact was offered from), and optionally `account_id`, `date` (default today) and `collector` (default: the key's id)",
        content((String = "text/csv"), (String = "application/x-ndjson"))
    ),
    responses(
        (status = 200, description = "Recorded; later searches and bulk files use them", body = OutcomesResponse),
        (status = 400, description = "No outcome or match_record_id column, or the body cannot be read", body = super::error::ErrorBody),
        (status = 401, description = "No key, or an unknown or revoked key", body = super::error::ErrorBody),
        (status = 413, description = "Body too large", body = super::error::ErrorBody),
        (status = 415, description = "Neither text/csv nor application/x-ndjson", body = super::error::ErrorBody),
        (status = 429, description = "Rate limit; see Retry-After", body = super::error::ErrorBody),
        (status = 500, description = "The audit line or the outcomes could not be written: nothing was recorded", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn report(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Response {
    let mut details = AuditDetails::default();
    let mut response = match record(&state, &caller, request, &mut details).await {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    };
    committed_with_its_line(&mut response, &details);
    response.extensions_mut().insert(details);
    response
}

async fn record(
    state: &AppState,
    caller: &Caller,
    request: Request,
    details: &mut AuditDetails,
) -> Result<OutcomesResponse, ApiError> {
    if state.is_read_only() {
        return Err(ApiError::new(
            ErrorCode::ReadOnly,
            "this server is a read-only replica: send outcomes to the writer",
        ));
    }
    let media = media_type(request.headers()).unwrap_or_default();
    let format = match media.as_str() {
        "text/csv" => InputFormat::Csv { delimiter: b',' },
        NDJSON | "application/jsonl" => InputFormat::JsonLines,
        _ => return Err(unsupported_media_type(&format!("text/csv or {NDJSON}"))),
    };
    let body = Bytes::from_request(request, &())
        .await
        .map_err(body_rejection)?;
    let reader = RecordReader::from_reader(
        Box::new(std::io::Cursor::new(body)),
        Some(format),
        &MappingOverrides::default(),
        "api",
        None,
    )?;
    let ReadReports {
        rows: read,
        outcomes,
        rejected,
    } = read_reports(reader, &format!("key {}", caller.key_id), Date::today())?;
    let issues: Vec<IssueView> = rejected
        .into_iter()
        .map(|issue| IssueView {
            row: issue.row,
            column: issue.column_name().to_string(),
            message: issue.message,
        })
        .collect();
    let ids: Vec<String> = outcomes
        .iter()
        .map(|o| format!("{}:{}", o.outcome.as_str(), o.record_id))
        .collect();
    details.result_ids = ids.clone();
    details.rows = Some(read);
    let recorded = outcomes.len() as u64;
    let log_it = audit_before_commit(state, caller, "POST /v1/outcomes");
    let store = state.index().outcomes().clone();
    tokio::task::spawn_blocking(move || {
        log_it(&ids)?;
        store.append(outcomes)
    })
    .await??;
    Ok(OutcomesResponse {
        read,
        recorded,
        rejected: issues.len() as u64,
        issues,
        outcomes_on_file: state.index().outcomes().len() as u64,
    })
}
