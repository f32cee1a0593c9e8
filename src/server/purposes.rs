//! `GET /v1/purposes`: the permissible-purpose codes a search may state ([`crate::purpose`]),
//! with their citations and a line of description, so a client (the collectors' page) offers
//! exactly the codes the server accepts instead of a copy that can drift.
//!
//! Keyed like every `/v1` route (searcher or admin), which makes it the page's sign-in check: a
//! wrong key is a 401 and a loader key a 403 before anything is typed, and each sign-in has its
//! audit line.

use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorCode};
use crate::purpose::{DppaPurpose, GlbaPurpose, PermissiblePurpose};

/// The codes each kind of purpose accepts, in the order of the statute.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurposeList {
    /// GLBA exceptions (15 U.S.C. 6802(e)).
    pub glba: Vec<PurposeView>,
    /// DPPA permissible uses (18 U.S.C. 2721(b)).
    pub dppa: Vec<PurposeView>,
}

/// One permissible-purpose code.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurposeView {
    /// The code a search sends: `consumer_authorized`, `debt_recovery`, ...
    pub code: String,
    /// The provision it stands for: `15 U.S.C. 6802(e)(1)`.
    pub citation: String,
    /// What it permits, in one line.
    pub description: String,
}

/// Reads the purposes of a request that has no JSON body from `?glba=` and `?dppa=`; a missing
/// or unknown one is a 400 naming the parameter (never echoing its value).
pub(crate) fn purposes_from_query(
    glba: Option<&str>,
    dppa: Option<&str>,
) -> Result<PermissiblePurpose, ApiError> {
    PermissiblePurpose::from_codes(glba, dppa).map_err(|error| {
        let (parameter, given) = if error.field.ends_with("dppa") {
            ("dppa", dppa)
        } else {
            ("glba", glba)
        };
        let code = if given.is_some() {
            ErrorCode::InvalidField
        } else {
            ErrorCode::MissingField
        };
        ApiError::new(
            code,
            format!("query parameter {parameter}: {}", error.message),
        )
        .with_field(parameter)
    })
}

/// Lists the permissible-purpose codes.
#[utoipa::path(
    get,
    path = "/v1/purposes",
    tag = "search",
    responses(
        (status = 200, description = "The accepted codes, in the order of the statute", body = PurposeList),
        (status = 401, description = "No key, or an unknown or revoked key", body = super::error::ErrorBody),
        (status = 403, description = "The key's role may not search", body = super::error::ErrorBody),
        (status = 429, description = "Rate limit; see Retry-After", body = super::error::ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn purposes() -> Json<PurposeList> {
    Json(PurposeList::all())
}

impl PurposeList {
    /// Returns every code the server accepts.
    pub fn all() -> PurposeList {
        PurposeList {
            glba: GlbaPurpose::ALL
                .iter()
                .map(|p| PurposeView {
                    code: p.code().to_string(),
                    citation: p.citation().to_string(),
                    description: p.description().to_string(),
                })
                .collect(),
            dppa: DppaPurpose::ALL
                .iter()
                .map(|p| PurposeView {
                    code: p.code().to_string(),
                    citation: p.citation().to_string(),
                    description: p.description().to_string(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purpose::PermissiblePurpose;

    #[test]
    fn server_purposes_list_every_code_a_search_accepts() {
        let list = PurposeList::all();
        assert_eq!(list.glba.len(), GlbaPurpose::ALL.len());
        assert_eq!(list.dppa.len(), DppaPurpose::ALL.len());
        for glba in &list.glba {
            for dppa in &list.dppa {
                assert!(
                    PermissiblePurpose::from_codes(Some(&glba.code), Some(&dppa.code)).is_ok(),
                    "{} + {}",
                    glba.code,
                    dppa.code
                );
            }
        }
        assert_eq!(list.glba[0].code, "consumer_authorized");
        assert_eq!(list.dppa[1].citation, "18 U.S.C. 2721(b)(3)");
    }
}
