//! The collectors' page: `GET /` and its script and stylesheet, compiled into the binary, so a
//! running `skiptrace serve` is the whole product (no separate web server, no CDN, nothing
//! fetched from the internet at run time).
//!
//! The page is a client of the same API as any other: it signs in by listing the purposes
//! (`GET /v1/purposes`), searches with `POST /v1/search` and re-matches files with
//! `POST /v1/rematch`, sending the key the collector typed (kept in the tab's sessionStorage).
//! It holds no personal data itself, so its routes are open. Every asset goes out with a
//! Content-Security-Policy that lets the page load only its own script and style and talk only
//! to this server: data shown on the page can never run as code.

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The page.
const INDEX_HTML: &str = include_str!("web/index.html");
/// Its script (vanilla JavaScript: no build step, no library).
const APP_JS: &str = include_str!("web/app.js");
/// Its stylesheet.
const APP_CSS: &str = include_str!("web/app.css");

/// Only this server's own script, style and API; no inline script, no frames, no plugins.
/// `img-src data:` allows the empty favicon, which spares a request for `/favicon.ico`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// `GET /`: the page.
pub(crate) async fn index() -> Response {
    asset(INDEX_HTML, "text/html; charset=utf-8")
}

/// `GET /app.js`.
pub(crate) async fn script() -> Response {
    asset(APP_JS, "text/javascript; charset=utf-8")
}

/// `GET /app.css`.
pub(crate) async fn stylesheet() -> Response {
    asset(APP_CSS, "text/css; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        // Revalidate every time: an upgraded binary serves its own page at once.
        (header::CACHE_CONTROL, "no-cache"),
    ];
    let mut response = (headers, body).into_response();
    response.headers_mut().insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_page_loads_only_its_own_assets() {
        for (name, text) in [("index.html", INDEX_HTML), ("app.css", APP_CSS)] {
            assert!(!text.contains("http://"), "{name} links outside the server");
            assert!(
                !text.contains("https://"),
                "{name} links outside the server"
            );
        }
        assert!(INDEX_HTML.contains(r#"<script src="/app.js" defer></script>"#));
        assert!(INDEX_HTML.contains(r#"<link rel="stylesheet" href="/app.css">"#));
        assert!(
            !INDEX_HTML.contains("<script>") && !INDEX_HTML.contains(" style="),
            "no inline script or style: the policy would block it"
        );
    }

    #[test]
    fn server_page_script_never_writes_html_from_strings() {
        for forbidden in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!APP_JS.contains(forbidden), "app.js uses {forbidden}");
        }
        assert!(
            !APP_JS.contains("localStorage"),
            "the key stays in sessionStorage (this tab only)"
        );
    }
}
