//! The audit middleware: one line per `/v1` request, written (and synced) before the response
//! leaves. The request runs in its own task, so a client that hangs up mid-request cannot stop
//! its line from being written. A response whose line cannot be written is replaced by a 500:
//! no audited data leaves unlogged. The exception is a streamed bulk job (`POST /v1/rematch`),
//! which writes its own line when it ends ([`AuditedByHandler`]).

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::{AuditedKeyId, NotAudited};
use super::error::{ApiError, ErrorCode};
use super::state::AppState;
use crate::audit::AuditEvent;
use crate::purpose::PermissiblePurpose;

/// What a handler adds to its response for the audit log.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditDetails {
    pub purposes: Option<PermissiblePurpose>,
    pub client_reference: Option<String>,
    pub query_fingerprint: Option<String>,
    pub result_ids: Vec<String>,
    pub record_ids: Vec<String>,
    pub unmasked: bool,
    pub model_digest: Option<String>,
    pub index_commit: Option<String>,
    pub answer_digest: Option<String>,
    pub rows: Option<u64>,
}

/// Put on a response whose handler writes its own audit line (a streamed bulk job, logged when
/// it ends with its row count): the middleware then writes none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuditedByHandler;

/// Middleware: runs the request, then appends its audit line.
pub(crate) async fn audit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| request.uri().path(), |p| p.as_str())
    );
    // Outer task: outlives a client that hangs up. Inner task: a panicking handler becomes a
    // logged 500 instead of a request without an audit line.
    let task = tokio::spawn(async move {
        let response = match tokio::spawn(next.run(request)).await {
            Ok(response) => response,
            Err(error) => ApiError::internal(&error).into_response(),
        };
        if response.extensions().get::<AuditedByHandler>().is_some()
            || response.extensions().get::<NotAudited>().is_some()
        {
            return response;
        }
        let event = event_of(&route, &response);
        match append(&state, event).await {
            Ok(()) => response,
            Err(error) => {
                tracing::error!(%error, route, "audit log write failed: response withheld");
                ApiError::new(
                    ErrorCode::AuditUnavailable,
                    "the request could not be recorded in the audit log; nothing was returned",
                )
                .into_response()
            }
        }
    });
    match task.await {
        Ok(response) => response,
        Err(error) => ApiError::internal(&error).into_response(),
    }
}

fn event_of(route: &str, response: &Response) -> AuditEvent {
    let details = response
        .extensions()
        .get::<AuditDetails>()
        .cloned()
        .unwrap_or_default();
    AuditEvent {
        key_id: response
            .extensions()
            .get::<AuditedKeyId>()
            .map(|k| k.0.clone()),
        route: route.to_string(),
        status: response.status().as_u16(),
        purposes: details.purposes,
        client_reference: details.client_reference,
        query_fingerprint: details.query_fingerprint,
        result_ids: details.result_ids,
        record_ids: details.record_ids,
        unmasked: details.unmasked,
        error_code: response
            .extensions()
            .get::<ErrorCode>()
            .map(|c| c.as_str().to_string()),
        rows: details.rows,
        model_digest: details.model_digest,
        index_commit: details.index_commit,
        answer_digest: details.answer_digest,
    }
}

/// Why a request's audit line was not written.
#[derive(Debug, thiserror::Error)]
enum AppendError {
    #[error(transparent)]
    Write(#[from] crate::Error),
    #[error("audit writer task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

async fn append(state: &AppState, event: AuditEvent) -> Result<(), AppendError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || state.audit().append(event)).await??;
    Ok(())
}
