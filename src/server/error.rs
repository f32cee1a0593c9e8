//! One error type for the HTTP API: every failure, from a library error to a rejected body, goes
//! out as `{"error": {"code", "message", "field"?}}` with its status. Internal errors say only
//! "internal error" to the caller; the full error goes to the log.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;
use crate::purpose::{PurposeError, PurposeErrorKind};
use crate::record::Field;

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code; it fixes the status.
    pub code: ErrorCode,
    /// Human-readable detail (never an SSN or DOB).
    pub message: String,
    /// The request field at fault, when there is one (`permissible_purpose.glba`, `dob`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Every error the API returns, by its stable code. The code fixes the HTTP status; the README's
/// list and the OpenAPI schema are this enum. A response carries its code in its extensions for
/// the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body is not JSON.
    InvalidJson,
    /// 400: the body cannot be read or is not of the route's shape (a CSV without its id
    /// column, a JSON array where an object is expected).
    InvalidBody,
    /// 400: a field (or query parameter) with an unusable value, or an unknown one; `field`
    /// names it.
    InvalidField,
    /// 400: a required field (a permissible purpose) is missing; `field` names it.
    MissingField,
    /// 400: the query string cannot be read.
    InvalidQuery,
    /// 401: no key, or not a live one.
    Unauthorized,
    /// 403: the key's role does not allow this.
    Forbidden,
    /// 404: no such route or record.
    NotFound,
    /// 405: the route takes another method.
    MethodNotAllowed,
    /// 413: the body is larger than the server accepts.
    PayloadTooLarge,
    /// 415: the body's content type is not one the route reads.
    UnsupportedMediaType,
    /// 422: the query has too little to search on.
    UnusableQuery,
    /// 429: the key's rate limit is spent; `Retry-After` says when to retry.
    RateLimited,
    /// 429: the key's rows for the day are spent (a bulk file counts each row); `Retry-After`
    /// says when the day turns.
    QuotaExceeded,
    /// 429: the key has tried too many SSNs or DOBs for one person; the attempt is logged.
    EnumerationSuspected,
    /// 500: something broke inside; the detail is in the server log only.
    Internal,
    /// 500: the audit line could not be written, so nothing was returned.
    AuditUnavailable,
    /// 503: the request did not finish within the server's timeout.
    Timeout,
    /// 503: every connection place but the health-check reserve is taken; retry later.
    Overloaded,
    /// 503: the server's key file cannot be read, so no key is accepted until it is fixed.
    KeysUnavailable,
    /// 409: the job is not in a state for this (its result before it is done, a delete while
    /// it runs).
    Conflict,
    /// 405: record changes sent to a read-only replica (`serve --read-only`); send them to the
    /// writer.
    ReadOnly,
}

impl ErrorCode {
    /// Every code, in the order the README lists them.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::InvalidJson,
        ErrorCode::InvalidBody,
        ErrorCode::InvalidField,
        ErrorCode::MissingField,
        ErrorCode::InvalidQuery,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::UnusableQuery,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExceeded,
        ErrorCode::EnumerationSuspected,
        ErrorCode::Internal,
        ErrorCode::AuditUnavailable,
        ErrorCode::Timeout,
        ErrorCode::Overloaded,
        ErrorCode::KeysUnavailable,
        ErrorCode::Conflict,
        ErrorCode::ReadOnly,
    ];

    /// Returns the code as it appears on the wire (`invalid_field`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::UnusableQuery => "unusable_query",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::EnumerationSuspected => "enumeration_suspected",
            ErrorCode::Internal => "internal",
            ErrorCode::AuditUnavailable => "audit_unavailable",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::KeysUnavailable => "keys_unavailable",
            ErrorCode::Conflict => "conflict",
            ErrorCode::ReadOnly => "read_only",
        }
    }

    /// Returns the HTTP status every response with this code has.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidJson
            | ErrorCode::InvalidBody
            | ErrorCode::InvalidField
            | ErrorCode::MissingField
            | ErrorCode::InvalidQuery => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::MethodNotAllowed | ErrorCode::ReadOnly => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnusableQuery => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::RateLimited | ErrorCode::QuotaExceeded | ErrorCode::EnumerationSuspected => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ErrorCode::Internal | ErrorCode::AuditUnavailable => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Timeout | ErrorCode::Overloaded | ErrorCode::KeysUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    field: Option<String>,
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    /// Builds an error; its status is the code's.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            field: None,
            retry_after_seconds: None,
        }
    }

    /// Names the request field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// Returns the status.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// Returns the code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// 400 for a field with an unusable value.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidField, message).with_field(field)
    }

    /// 401: no key, or not a live key.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Unauthorized, message)
    }

    /// 403: the key's role does not allow this.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Forbidden, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, message)
    }

    /// Returns the message as sent.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 429 with a `Retry-After` of `seconds`.
    pub fn rate_limited(seconds: u64) -> ApiError {
        let mut error = ApiError::new(
            ErrorCode::RateLimited,
            format!("too many requests for this key: retry after {seconds} s"),
        );
        error.retry_after_seconds = Some(seconds);
        error
    }

    /// 429: the key's rows for the day cannot cover `rows` more.
    pub fn quota_exceeded(rows: u64, refusal: super::quota::QuotaRefusal) -> ApiError {
        let mut error = ApiError::new(
            ErrorCode::QuotaExceeded,
            format!(
                "this key's daily row quota cannot cover {rows} more rows ({} left today; each \
                 search and each row of a file counts one): retry after {} s",
                refusal.left, refusal.retry_after_seconds
            ),
        );
        error.retry_after_seconds = Some(refusal.retry_after_seconds);
        error
    }

    /// 429: too many SSN or DOB guesses for one person from this key.
    pub fn enumeration_suspected(variants: usize) -> ApiError {
        ApiError::new(
            ErrorCode::EnumerationSuspected,
            format!(
                "this key has searched one person with more than {variants} different SSNs or \
                 DOBs within an hour; further ones are refused and the attempt is logged"
            ),
        )
    }

    /// 503: the request did not finish within the server's timeout.
    pub fn timeout() -> ApiError {
        ApiError::new(
            ErrorCode::Timeout,
            "the request did not finish in time; retry later",
        )
    }

    /// 500 with a generic message; `detail` is logged, never sent.
    pub fn internal(detail: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(ErrorCode::Internal, "internal error")
    }

    fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                field: self.field.clone(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"skiptrace\""),
            );
        }
        response.extensions_mut().insert(self.code);
        response
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        match error {
            Error::UnusableQuery(message) => ApiError::new(ErrorCode::UnusableQuery, message),
            Error::RecordNotFound(id) => ApiError::not_found(format!("no record {id}")),
            Error::UnusableFile(message) => ApiError::new(ErrorCode::Conflict, message),
            Error::Input(input) => {
                let error = ApiError::new(ErrorCode::InvalidBody, input.to_string());
                match input.column {
                    None => error,
                    Some(column) => error.with_field(column),
                }
            }
            other => ApiError::internal(&other),
        }
    }
}

impl From<PurposeError> for ApiError {
    fn from(error: PurposeError) -> ApiError {
        let code = match error.kind {
            PurposeErrorKind::Unknown => ErrorCode::InvalidField,
            PurposeErrorKind::Missing => ErrorCode::MissingField,
        };
        ApiError::new(code, error.message).with_field(error.field)
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> ApiError {
        ApiError::internal(&error)
    }
}

/// Maps a body that could not be read: too large (413) or broken off.
pub(crate) fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the server accepts (see --max-body-bytes)",
        );
    }
    ApiError::new(
        ErrorCode::InvalidBody,
        format!("the request body cannot be read: {}", rejection.body_text()),
    )
}

/// The media type of a request, lower-cased and without parameters.
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    Some(essence)
}

/// True for `application/json` and `application/*+json`.
pub(crate) fn is_json(media_type: &str) -> bool {
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

/// A JSON object body whose every rejection (wrong content type, too large, bad JSON, not an
/// object, a field of the wrong type, an unknown field) is an [`ApiError`] naming the field
/// where it can.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<ApiJson<T>, ApiError> {
        let media = media_type(request.headers());
        if !media.as_deref().is_some_and(is_json) {
            return Err(unsupported_media_type("application/json"));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        // serde would read a struct from an array by position: an API takes named fields only.
        let starts_as_object = bytes.trim_ascii_start().first() == Some(&b'{');
        if !starts_as_object && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
            return Err(ApiError::new(
                ErrorCode::InvalidBody,
                "the body must be a JSON object",
            ));
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// 415 naming the expected media types.
pub(crate) fn unsupported_media_type(expected: &str) -> ApiError {
    ApiError::new(
        ErrorCode::UnsupportedMediaType,
        format!("the body must be sent with Content-Type: {expected}"),
    )
}

/// Parses JSON, naming the field at fault in the error.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let value = match parsed {
        Ok(value) => value,
        Err(error) => return Err(json_error(&error)),
    };
    deserializer.end().map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

fn json_error(error: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = error.inner();
    let message = inner.to_string();
    if !inner.is_data() {
        return ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {message}"),
        );
    }
    let path = error.path().to_string();
    let parent = if path == "." { None } else { Some(path) };
    let quoted = |prefix: &str| -> Option<String> {
        let rest = message.strip_prefix(prefix)?;
        Some(rest.split('`').next()?.to_string())
    };
    let join = |name: String| match &parent {
        Some(parent) if !parent.ends_with(&name) => format!("{parent}.{name}"),
        Some(parent) => parent.clone(),
        None => name,
    };
    if let Some(name) = quoted("unknown field `") {
        return ApiError::new(ErrorCode::InvalidField, message.clone()).with_field(join(name));
    }
    if let Some(name) = quoted("missing field `") {
        return ApiError::new(ErrorCode::MissingField, message.clone()).with_field(join(name));
    }
    let Some(field) = parent else {
        return ApiError::new(ErrorCode::InvalidField, message);
    };
    // serde quotes the offending value; an SSN or DOB is not echoed back.
    let sensitive = Field::from_name(&field).is_some_and(Field::is_sensitive);
    let message = if sensitive {
        format!("{field} must be a string or a number")
    } else {
        without_value(&field, &message)
    };
    ApiError::new(ErrorCode::InvalidField, message).with_field(field)
}

/// Restates a serde message about `field` without the value it quotes: a caller who put an SSN
/// in `limit` or a DOB in a purpose code must not see it echoed (nor have it land in a log).
fn without_value(field: &str, message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    let what = if message.starts_with("invalid type") {
        "wrong type"
    } else if message.starts_with("unknown variant") {
        "unknown value"
    } else {
        "invalid value"
    };
    match message.split_once(", expected ") {
        Some((_, expected)) => format!("{field}: {what}, expected {expected}"),
        None => format!("{field}: {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        limit: Option<usize>,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        code: String,
    }

    #[test]
    fn server_json_errors_name_the_field() {
        let wrong_type = parse_json::<Probe>(br#"{"limit": "ten"}"#).unwrap_err();
        assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST);
        assert_eq!(wrong_type.field.as_deref(), Some("limit"));
        let unknown = parse_json::<Probe>(br#"{"limt": 3}"#).unwrap_err();
        assert_eq!(unknown.field.as_deref(), Some("limt"));
        let nested = parse_json::<Probe>(br#"{"inner": {}}"#).unwrap_err();
        assert_eq!(nested.code(), ErrorCode::MissingField);
        assert_eq!(nested.field.as_deref(), Some("inner.code"));
        let broken = parse_json::<Probe>(br#"{"limit": 3"#).unwrap_err();
        assert_eq!(broken.code(), ErrorCode::InvalidJson);
        let trailing = parse_json::<Probe>(br#"{} {}"#).unwrap_err();
        assert_eq!(trailing.code(), ErrorCode::InvalidJson);
    }

    #[test]
    fn server_library_errors_map_to_statuses() {
        let unusable: ApiError = Error::UnusableQuery("needs a name".into()).into();
        assert_eq!(unusable.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let internal: ApiError = Error::Json(serde_json::from_str::<u8>("x").unwrap_err()).into();
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(internal.message, "internal error", "no detail leaks out");
    }

    #[test]
    fn server_media_types_are_read_without_parameters() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert_eq!(media_type(&headers).as_deref(), Some("application/json"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/plain"));
    }
}
