//! Access control: the key is checked (401), the role against the route (403), then the key's
//! rate (429). The table of which route needs which permission is [`required_permission`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ErrorCode};
use super::state::AppState;
use crate::access::{Authentication, Permission, Role};

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Its key id.
    pub key_id: String,
    /// Its role.
    pub role: Role,
}

/// The key id behind a response (the caller's, or a revoked key's), for the audit log.
#[derive(Debug, Clone)]
pub(crate) struct AuditedKeyId(pub String);

/// Returns what the route needs. Anything not listed needs [`Permission::Administer`]: a route
/// added without an entry here is admin-only until someone decides otherwise.
pub(crate) fn required_permission(method: &Method, route: &str) -> Permission {
    match (method.as_str(), route) {
        ("POST", "/v1/search")
        | ("GET", "/v1/purposes")
        | ("POST", "/v1/rematch")
        | ("POST" | "GET", "/v1/jobs")
        | ("POST", "/v1/jobs/preview")
        | ("GET" | "DELETE", "/v1/jobs/{job_id}")
        | ("GET", "/v1/jobs/{job_id}/result") => Permission::Search,
        ("GET", "/v1/records/{record_id}") => Permission::ReadRecords,
        ("POST", "/v1/outcomes") => Permission::ReportOutcomes,
        ("POST", "/v1/records") | ("DELETE", "/v1/records/{record_id}") => Permission::WriteRecords,
        _ => Permission::Administer,
    }
}

/// Returns the key presented as `Authorization: Bearer <key>` or `X-Api-Key: <key>`.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim());
    }
    headers.get("x-api-key")?.to_str().ok().map(str::trim)
}

/// Failed authentications allowed per peer address within [`FAILURE_WINDOW`]; past them a
/// request from the address whose key fails gets 429 (a valid key still passes).
pub const MAX_FAILED_AUTHENTICATIONS: u32 = 10;

/// The window over which failed authentications are counted.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Failed authentications per peer address: a flood of bad keys, each of which cost an fsync'd
/// audit line, is cut to [`MAX_FAILED_AUTHENTICATIONS`] audited refusals and one audited
/// throttle per address per window; the rest are refused unlogged (counted in the request
/// metrics as 429s). Keys are 256-bit secrets, so the throttle protects the log and the disk,
/// not the keys.
#[derive(Debug, Default)]
pub struct FailedAuthentications {
    by_address: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// What to do with a request from an address after a failed authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterFailure {
    /// Refuse it with 401 and log it.
    Refuse,
    /// Refuse it with 429 and log it: the first throttled request of the window.
    ThrottleAndLog { retry_after_seconds: u64 },
    /// Refuse it with 429 without a line of its own.
    Throttle { retry_after_seconds: u64 },
}

impl FailedAuthentications {
    /// Counts a failure from `address` at `now`.
    pub(crate) fn fail(&self, address: IpAddr, now: Instant) -> AfterFailure {
        let Ok(mut by_address) = self.by_address.lock() else {
            return AfterFailure::Refuse;
        };
        if by_address.len() > 100_000 {
            by_address
                .retain(|_, (since, _)| now.saturating_duration_since(*since) < FAILURE_WINDOW);
        }
        let entry = by_address.entry(address).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= FAILURE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        let retry_after_seconds = FAILURE_WINDOW
            .saturating_sub(now.saturating_duration_since(entry.0))
            .as_secs()
            .max(1);
        match entry.1 {
            n if n <= MAX_FAILED_AUTHENTICATIONS => AfterFailure::Refuse,
            n if n == MAX_FAILED_AUTHENTICATIONS + 1 => AfterFailure::ThrottleAndLog {
                retry_after_seconds,
            },
            _ => AfterFailure::Throttle {
                retry_after_seconds,
            },
        }
    }
}

/// Put on a refusal that writes no audit line of its own (a throttled flood of bad keys: the
/// first throttled request of the window was logged).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NotAudited;

/// Middleware: authenticates, authorizes and rate-limits; puts the [`Caller`] in the request.
pub(crate) async fn guard(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let permission = required_permission(request.method(), &route);
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let Some(presented) = presented_key(request.headers()) else {
        let refusal = ApiError::unauthorized(
            "an API key is required: Authorization: Bearer <key> (or X-Api-Key)",
        );
        return after_failure(&state, address, refusal);
    };
    // A broken key file is the server's fault, not the caller's: 503, not a 401 that tells the
    // page its key is bad, and no failed authentication counted against the address.
    if let Some(problem) = state.keys().problem() {
        tracing::error!(%problem, "key file unusable: every request refused");
        return ApiError::new(
            ErrorCode::KeysUnavailable,
            "the server's key file cannot be read; no request is served until an operator fixes \
             it",
        )
        .into_response();
    }
    let caller = match state.keys().authenticate(presented) {
        Authentication::Valid { key_id, role } => Caller { key_id, role },
        Authentication::Revoked { key_id } => {
            let error = ApiError::unauthorized("this API key has been revoked");
            let mut response = after_failure(&state, address, error);
            response.extensions_mut().insert(AuditedKeyId(key_id));
            return response;
        }
        Authentication::Unknown => {
            return after_failure(&state, address, ApiError::unauthorized("unknown API key"));
        }
    };
    let key_id = AuditedKeyId(caller.key_id.clone());
    let refusal = if !caller.role.allows(permission) {
        Some(ApiError::forbidden(format!(
            "a {} key may not call {} {route}",
            caller.role,
            request.method()
        )))
    } else {
        state
            .rate_limiter()
            .check(&caller.key_id, Instant::now())
            .err()
            .map(ApiError::rate_limited)
    };
    let mut response = match refusal {
        Some(error) => error.into_response(),
        None => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
    };
    response.extensions_mut().insert(key_id);
    response
}

/// The refusal of a failed authentication: `refusal` (401), or 429 once the address has failed
/// too often in the window.
fn after_failure(state: &AppState, address: Option<IpAddr>, refusal: ApiError) -> Response {
    let Some(address) = address else {
        return refusal.into_response();
    };
    match state.failed_authentications().fail(address, Instant::now()) {
        AfterFailure::Refuse => refusal.into_response(),
        AfterFailure::ThrottleAndLog {
            retry_after_seconds,
        } => {
            tracing::warn!(%address, "failed authentications: throttling the address");
            ApiError::rate_limited(retry_after_seconds).into_response()
        }
        AfterFailure::Throttle {
            retry_after_seconds,
        } => {
            let mut response = ApiError::rate_limited(retry_after_seconds).into_response();
            response.extensions_mut().insert(NotAudited);
            response
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Caller, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::internal(&"a handler ran without the access guard"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn server_keys_are_read_from_bearer_or_x_api_key() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer stk_a_b"),
        );
        assert_eq!(presented_key(&headers), Some("stk_a_b"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(presented_key(&headers), None, "only bearer tokens");
        let mut api_key = HeaderMap::new();
        api_key.insert("x-api-key", HeaderValue::from_static(" stk_a_b "));
        assert_eq!(presented_key(&api_key), Some("stk_a_b"));
        assert_eq!(presented_key(&HeaderMap::new()), None);
    }

    #[test]
    fn server_routes_need_the_least_privilege_and_unknown_ones_need_admin() {
        assert_eq!(
            required_permission(&Method::POST, "/v1/search"),
            Permission::Search
        );
        assert_eq!(
            required_permission(&Method::POST, "/v1/rematch"),
            Permission::Search
        );
        assert_eq!(
            required_permission(&Method::GET, "/v1/purposes"),
            Permission::Search
        );
        assert_eq!(
            required_permission(&Method::GET, "/v1/records/{record_id}"),
            Permission::ReadRecords
        );
        assert_eq!(
            required_permission(&Method::DELETE, "/v1/records/{record_id}"),
            Permission::WriteRecords
        );
        assert_eq!(
            required_permission(&Method::POST, "/v1/records"),
            Permission::WriteRecords
        );
        assert_eq!(
            required_permission(&Method::POST, "/v1/other"),
            Permission::Administer
        );
    }
}
