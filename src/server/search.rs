//! `POST /v1/search`: one debtor query in, ranked identities out. The permissible purpose is
//! checked first; matching runs on the blocking pool.

use std::time::Instant;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::audit_layer::AuditDetails;
use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use super::views::IdentityView;
use crate::audit::{person_fingerprint, query_fingerprint};
use crate::mask::mask_resolution;
use crate::purpose::{DppaPurpose, GlbaPurpose, PermissiblePurpose};
use crate::record::{Field, RawRecord};
use crate::resolve::Resolution;
use crate::search::{Engine, Query, SearchOptions, SearchOutcome, DEFAULT_LIMIT};

/// Most identities one search may ask for.
pub const MAX_LIMIT: usize = 50;

/// Longest value accepted in any query field, in characters.
pub const MAX_FIELD_CHARS: usize = 256;

/// A debtor query: the fields `skiptrace search` takes, plus the search's purpose.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Given name.
    #[serde(default, deserialize_with = "text_or_number")]
    pub first_name: Option<String>,
    /// Middle name or initial.
    #[serde(default, deserialize_with = "text_or_number")]
    pub middle_name: Option<String>,
    /// Surname.
    #[serde(default, deserialize_with = "text_or_number")]
    pub last_name: Option<String>,
    /// Generational suffix (Jr, Sr, III).
    #[serde(default, deserialize_with = "text_or_number")]
    pub name_suffix: Option<String>,
    /// Full name in one field, instead of the parts (`SMITH, JOHN A`).
    #[serde(default, deserialize_with = "text_or_number")]
    pub full_name: Option<String>,
    /// Date of birth: ISO, MM/DD/YYYY, YYYYMMDD, or a year.
    #[serde(default, deserialize_with = "text_or_number")]
    pub dob: Option<String>,
    /// SSN: 9 digits in any format, or the last 4 (then first and last name are required).
    #[serde(default, deserialize_with = "text_or_number")]
    pub ssn: Option<String>,
    /// Street line of the address on file: it takes its place in the ranking and is
    /// `confirmed` when still the best current one (`corrected` with its unit or ZIP fixed).
    #[serde(default, deserialize_with = "text_or_number")]
    pub address_line1: Option<String>,
    /// Unit line of the last known address.
    #[serde(default, deserialize_with = "text_or_number")]
    pub address_line2: Option<String>,
    /// City.
    #[serde(default, deserialize_with = "text_or_number")]
    pub city: Option<String>,
    /// State.
    #[serde(default, deserialize_with = "text_or_number")]
    pub state: Option<String>,
    /// ZIP or ZIP+4.
    #[serde(default, deserialize_with = "text_or_number")]
    pub zip: Option<String>,
    /// Last known phone.
    #[serde(default, deserialize_with = "text_or_number")]
    pub phone: Option<String>,
    /// The account's other phones, separated by `;` (all are its own).
    #[serde(default, deserialize_with = "text_or_number")]
    pub other_phones: Option<String>,
    /// Email.
    #[serde(default, deserialize_with = "text_or_number")]
    pub email: Option<String>,
    /// Why mail to the address came back (`INSUFFICIENT ADDRESS`, `MOVED LEFT NO ADDRESS`) or
    /// `Y`: the address on file is never confirmed; an incomplete one asks for its correction.
    #[serde(default, deserialize_with = "text_or_number")]
    pub return_reason: Option<String>,
    /// `Y` when the phones on file are disconnected or wrong: never confirmed.
    #[serde(default, deserialize_with = "text_or_number")]
    pub phone_bad: Option<String>,
    /// The date the account's contacts were known good (its open date): a contact last seen
    /// before it is never offered as best.
    #[serde(default, deserialize_with = "text_or_number")]
    pub on_file_date: Option<String>,
    /// Identities returned at most (default 5, at most 50).
    pub limit: Option<usize>,
    /// Minimum match probability, 0–1, for an identity to be returned (default 0.01).
    /// `min_score`, its name before 2026-12, is still read.
    #[serde(alias = "min_score")]
    pub min_match_probability: Option<f64>,
    /// Why the caller may search: a GLBA and a DPPA code. Required.
    #[schema(required = true)]
    pub permissible_purpose: Option<PurposeRequest>,
    /// The caller's reference (account number): logged in the audit trail, never matched on.
    pub client_reference: Option<String>,
}

/// Reads a query field given as a string or, as clients often send ZIPs, phones and dates, as a
/// number.
fn text_or_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(serde_json::Number),
    }
    let value: Option<TextOrNumber> = Option::deserialize(deserializer)?;
    Ok(value.map(|v| match v {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(number) => number.to_string(),
    }))
}

/// The purpose codes as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurposeRequest {
    /// GLBA exception (15 U.S.C. 6802(e)); collections usually `consumer_authorized`.
    #[schema(value_type = GlbaPurpose, required = true)]
    pub glba: Option<String>,
    /// DPPA permissible use (18 U.S.C. 2721(b)); collections usually `debt_recovery`.
    #[schema(value_type = DppaPurpose, required = true)]
    pub dppa: Option<String>,
}

/// The answer to a search.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// `resolved` (one clear identity), `ambiguous` (several plausible, review) or `no_match`.
    pub status: String,
    /// Identities at or above `min_match_probability`, best first.
    pub identities: Vec<IdentityView>,
    /// Records retrieved and scored.
    pub candidates_scored: usize,
    /// Time spent matching, in milliseconds.
    pub took_ms: f64,
}

impl SearchResponse {
    /// The answer to a search as the API writes it: dates as ISO strings, and SSNs and DOBs
    /// masked unless `unmasked` (the resolution must already be masked and coarsened for a
    /// caller who may not see them, [`answer`]).
    pub fn of(resolution: &Resolution, unmasked: bool, took_ms: f64) -> SearchResponse {
        SearchResponse {
            status: resolution.status.as_str().to_string(),
            identities: resolution
                .identities
                .iter()
                .map(|i| IdentityView::of(i, unmasked))
                .collect(),
            candidates_scored: resolution.candidates_scored,
            took_ms,
        }
    }
}

/// Longest client reference accepted, in characters.
pub const MAX_CLIENT_REFERENCE_CHARS: usize = 128;

impl SearchRequest {
    fn purpose(&self) -> Result<PermissiblePurpose, ApiError> {
        let Some(purpose) = &self.permissible_purpose else {
            return Err(PermissiblePurpose::missing().into());
        };
        Ok(PermissiblePurpose::from_codes(
            purpose.glba.as_deref(),
            purpose.dppa.as_deref(),
        )?)
    }

    /// Returns the search options the request asks for (`limit`, `min_match_probability`).
    ///
    /// # Errors
    /// A limit or minimum out of range.
    pub fn options(&self) -> Result<SearchOptions, ApiError> {
        let mut options = SearchOptions::default();
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::invalid_field(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        options.limit = limit;
        if let Some(minimum) = self.min_match_probability {
            if !(0.0..=1.0).contains(&minimum) {
                return Err(ApiError::invalid_field(
                    "min_match_probability",
                    "min_match_probability is a probability between 0 and 1",
                ));
            }
            options.min_match_probability = minimum;
        }
        Ok(options)
    }

    /// Returns the query fields as a raw record.
    ///
    /// # Errors
    /// A field longer than `MAX_FIELD_CHARS` (256 characters).
    pub fn query(&self) -> Result<RawRecord, ApiError> {
        let mut raw = RawRecord::new().with(Field::RecordId, "query");
        let pairs = [
            (Field::FirstName, &self.first_name),
            (Field::MiddleName, &self.middle_name),
            (Field::LastName, &self.last_name),
            (Field::NameSuffix, &self.name_suffix),
            (Field::FullName, &self.full_name),
            (Field::Dob, &self.dob),
            (Field::Ssn, &self.ssn),
            (Field::AddressLine1, &self.address_line1),
            (Field::AddressLine2, &self.address_line2),
            (Field::City, &self.city),
            (Field::State, &self.state),
            (Field::Zip, &self.zip),
            (Field::Phone, &self.phone),
            (Field::OtherPhones, &self.other_phones),
            (Field::Email, &self.email),
            (Field::ReturnReason, &self.return_reason),
            (Field::PhoneBad, &self.phone_bad),
            (Field::OnFileDate, &self.on_file_date),
        ];
        for (field, value) in pairs {
            let Some(value) = value else { continue };
            if value.chars().count() > MAX_FIELD_CHARS {
                return Err(ApiError::invalid_field(
                    field.name(),
                    format!(
                        "{} is longer than {MAX_FIELD_CHARS} characters",
                        field.name()
                    ),
                ));
            }
            raw.set(field, value);
        }
        Ok(raw)
    }

    fn client_reference(&self) -> Result<Option<String>, ApiError> {
        match &self.client_reference {
            Some(reference) if reference.chars().count() > MAX_CLIENT_REFERENCE_CHARS => {
                Err(ApiError::invalid_field(
                    "client_reference",
                    format!(
                        "client_reference is longer than {MAX_CLIENT_REFERENCE_CHARS} characters"
                    ),
                ))
            }
            other => Ok(other.clone()),
        }
    }
}

/// Searches for one debtor.
#[utoipa::path(
    post,
    path = "/v1/search",
    tag = "search",
    request_body = SearchRequest,
    responses(
        (status = 200, description = "Ranked identities (SSN and DOB masked unless admin)", body = SearchResponse),
        (status = 400, description = "Bad JSON, a bad field, or a missing or unknown permissible purpose", body = super::error::ErrorBody),
        (status = 401, description = "No key, or an unknown or revoked key", body = super::error::ErrorBody),
        (status = 403, description = "The key's role may not search", body = super::error::ErrorBody),
        (status = 413, description = "Body too large", body = super::error::ErrorBody),
        (status = 415, description = "Not application/json", body = super::error::ErrorBody),
        (status = 422, description = "Too little to search on (e.g. no name, or an SSN last 4 without first and last name)", body = super::error::ErrorBody),
        (status = 429, description = "Rate limit; see Retry-After", body = super::error::ErrorBody),
        (status = 503, description = "Timed out", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<SearchRequest>,
) -> Response {
    let mut details = AuditDetails {
        client_reference: request.client_reference.clone(),
        ..AuditDetails::default()
    };
    let outcome = run(&state, &caller, &request, &mut details).await;
    let mut response = match outcome {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(details);
    response
}

/// What [`answer`] found, and in which state of the index.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The answer as the caller sees it (masked and coarsened below the unmasking role).
    pub resolution: Resolution,
    /// [`crate::index::SkipIndex::commit_id`] of the commit searched.
    pub index_commit: String,
}

/// Runs an admitted search as `POST /v1/search` does (`skiptrace audit replay` runs it again):
/// the query's fields are checked, the engine searches, and for a caller who may not see SSNs
/// and DOBs the figures are coarsened before the caller's minimum probability applies to them
/// (applied to the true figures, it would drop near guesses of an SSN and keep exact ones).
///
/// # Errors
/// A query too thin to search, a field that does not parse, or an index failure.
pub fn answer(
    engine: &Engine,
    query: &Query,
    mut options: SearchOptions,
    unmasked: bool,
) -> Result<Answer, ApiError> {
    query.check_usable()?;
    if let Some(issue) = query.issues().first() {
        return Err(ApiError::invalid_field(
            issue.field.name(),
            issue.to_string(),
        ));
    }
    let minimum = options.min_match_probability;
    if !unmasked {
        options.min_match_probability = 0.0;
    }
    let SearchOutcome {
        mut resolution,
        index_commit,
        ..
    } = engine.search(query, &options)?;
    if !unmasked {
        mask_resolution(&mut resolution, engine.model());
        resolution
            .identities
            .retain(|i| i.match_probability >= minimum);
    }
    Ok(Answer {
        resolution,
        index_commit,
    })
}

async fn run(
    state: &AppState,
    caller: &Caller,
    request: &SearchRequest,
    details: &mut AuditDetails,
) -> Result<SearchResponse, ApiError> {
    details.purposes = Some(request.purpose()?);
    details.client_reference = request.client_reference()?;
    let options = request.options()?;
    let raw = request.query()?;
    let unmasked = caller.role.sees_unmasked();
    state.take_rows(&caller.key_id, 1)?;
    let Some(permit) = state.engine_permit().await else {
        return Err(ApiError::internal(&"engine permits closed"));
    };
    let engine = state.engine().clone();
    let screening = state.clone();
    let key_id = caller.key_id.clone();
    let (fingerprint, outcome) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let audit_key = screening.audit().key();
        let query = Query::from_raw(&raw);
        let record = query.record();
        let fingerprint = query_fingerprint(record, audit_key);
        // Who may not see SSNs and DOBs may not try many of them on one person either.
        if !unmasked && (record.ssn.is_some() || record.dob.is_some()) {
            let person = person_fingerprint(record, audit_key);
            if let Err(error) = screening.screen_probe(&key_id, &person, &fingerprint) {
                return (fingerprint, Err(error));
            }
        }
        let started = Instant::now();
        let outcome = answer(&engine, &query, options, unmasked)
            .map(|answered| (answered, started.elapsed().as_secs_f64() * 1000.0));
        (fingerprint, outcome)
    })
    .await?;
    details.query_fingerprint = Some(fingerprint);
    let (
        Answer {
            resolution,
            index_commit,
        },
        took_ms,
    ) = outcome?;
    details.model_digest = Some(state.engine().model_digest().to_string());
    details.index_commit = Some(index_commit);
    details.answer_digest = Some(resolution.digest());
    // The log names what went out: the records behind identities shown in full, not those of
    // identities shown by name and figures only.
    let response = SearchResponse::of(&resolution, unmasked, took_ms);
    details.result_ids = response
        .identities
        .iter()
        .map(|i| i.identity_id.clone())
        .collect();
    details.record_ids = response
        .identities
        .iter()
        .flat_map(|i| i.records.iter().map(|r| r.record_id.clone()))
        .collect();
    details.unmasked = unmasked
        && response
            .identities
            .iter()
            .any(|i| i.ssn.is_some() || i.dob.is_some());
    Ok(response)
}
