//! Operations routes, open without a key: liveness, readiness, metrics and the OpenAPI document.
//! None of them returns personal data.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::error::ApiError;
use super::openapi::ApiDoc;
use super::state::AppState;

/// Liveness.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// Readiness: the index is open, the audit log writable and the key file readable.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready`, or `not_ready` when the audit log cannot be written or the key file cannot be
    /// read (every keyed route would fail).
    pub status: String,
    /// Live records in the index.
    pub records: u64,
    /// Bytes the index occupies on disk (0 in RAM).
    pub index_bytes: u64,
    /// `ok` or `failed`.
    pub audit_log: String,
    /// `ok`, or `unusable` when the key file vanished or no longer parses (every key is refused
    /// until it is fixed; the reason is in the server log, not here, since this route is open).
    pub keys: String,
    /// The index commit searched ([`crate::index::SkipIndex::commit_id`]): a load balancer or
    /// a deploy script compares it across the writer and its replicas.
    pub index_commit: String,
    /// `true` on a read-only replica (`serve --read-only`).
    pub read_only: bool,
}

/// Answers while the process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Up", body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Answers 200 when the server can take requests, 503 when it cannot.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready: the audit log cannot be written or the key file read", body = Readiness)
    ))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let index = state.index().clone();
    let figures = tokio::task::spawn_blocking(move || {
        let commit = crate::index::SkipIndex::commit_id(&index.searcher());
        (index.num_records(), index.size_on_disk(), commit)
    })
    .await;
    let Ok((records, index_bytes, index_commit)) = figures else {
        return ApiError::internal(&"readiness probe failed").into_response();
    };
    let audit_ok = state.audit().is_healthy();
    let keys_problem = state.keys().problem();
    if let Some(problem) = &keys_problem {
        tracing::error!(%problem, "not ready: key file unusable");
    }
    let ready = audit_ok && keys_problem.is_none();
    let readiness = Readiness {
        status: if ready { "ready" } else { "not_ready" }.into(),
        records,
        index_bytes,
        audit_log: if audit_ok { "ok" } else { "failed" }.into(),
        keys: if keys_problem.is_none() {
            "ok"
        } else {
            "unusable"
        }
        .into(),
        index_commit,
        read_only: state.is_read_only(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness)).into_response()
}

/// Prometheus metrics (text format 0.0.4).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let rendered = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            state
                .metrics()
                .render(state.index(), state.audit().is_healthy())
        })
        .await
    };
    match rendered {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => ApiError::internal(&error).into_response(),
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3 description of the API", content_type = "application/json")))]
pub(crate) async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}
