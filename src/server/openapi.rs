//! The OpenAPI 3 description, generated from the handlers' `#[utoipa::path]` attributes and the
//! request and response types' `ToSchema` derives.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "skiptrace",
        description = "Finds lost debtors. Results are for locating a consumer only: they are not \
consumer reports and must not be used for credit, employment, insurance or tenancy decisions. \
Every search states a permissible purpose (a GLBA and a DPPA code) and every call under /v1 is \
written to a tamper-evident audit log. Keys: `Authorization: Bearer stk_...` or `X-Api-Key`; \
roles `searcher` (search), `loader` (records), `admin` (everything, unmasked SSN and DOB)."
    ),
    paths(
        super::search::search,
        super::purposes::purposes,
        super::records::upsert,
        super::records::get_record,
        super::records::delete_record,
        super::rematch::rematch,
        super::outcomes::report,
        super::jobs::submit,
        super::jobs::list,
        super::jobs::status,
        super::jobs::delete,
        super::jobs::result,
        super::jobs::preview,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
        super::health::openapi,
    ),
    components(schemas(
        crate::purpose::GlbaPurpose,
        crate::purpose::DppaPurpose,
        super::error::ErrorBody,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "search", description = "Find a debtor"),
        (name = "records", description = "Load, read and remove records"),
        (name = "outcomes", description = "Report what working a contact found: later searches rank and suppress contacts by it"),
        (name = "jobs", description = "Re-match returned-mail files: at once (POST /v1/rematch) or as background jobs"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("stk_<key_id>_<secret>")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_openapi_lists_every_route_and_the_purpose_codes() {
        let document = serde_json::to_value(ApiDoc::openapi()).expect("serializes");
        for path in [
            "/v1/search",
            "/v1/purposes",
            "/v1/records",
            "/v1/records/{record_id}",
            "/v1/rematch",
            "/v1/jobs",
            "/v1/jobs/preview",
            "/v1/jobs/{job_id}",
            "/v1/jobs/{job_id}/result",
            "/healthz",
            "/readyz",
            "/metrics",
            "/openapi.json",
        ] {
            assert!(document["paths"][path].is_object(), "{path} documented");
        }
        let glba = &document["components"]["schemas"]["GlbaPurpose"];
        assert!(glba.to_string().contains("consumer_authorized"), "{glba}");
        assert!(document["components"]["schemas"]["SearchRequest"].is_object());
        assert!(document["components"]["schemas"]["JobView"].is_object());
        let submit = &document["paths"]["/v1/jobs"]["post"];
        let names: Vec<&str> = submit["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for name in ["glba", "dppa", "map", "encoding", "id_column"] {
            assert!(names.contains(&name), "{name} documented: {names:?}");
        }
        assert!(submit["requestBody"]["content"]["text/csv"].is_object());
    }

    #[test]
    fn server_every_error_code_is_in_the_schema_and_the_readme_with_its_status() {
        use crate::server::ErrorCode;
        let document = serde_json::to_value(ApiDoc::openapi()).expect("serializes");
        let schema = document["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .expect("ErrorCode is an enum schema")
            .iter()
            .filter_map(|code| code.as_str())
            .collect::<Vec<_>>();
        let readme = include_str!("../../README.md");
        for code in ErrorCode::ALL {
            assert!(
                schema.contains(&code.as_str()),
                "{code} in the OpenAPI schema"
            );
            let row = format!("| `{code}` | {} |", code.status().as_u16());
            assert!(readme.contains(&row), "README lists {row}");
        }
        assert_eq!(
            schema.len(),
            ErrorCode::ALL.len(),
            "no code outside the enum"
        );
    }
}
