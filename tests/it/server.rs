//! The HTTP API, served for real on 127.0.0.1:0 in-process over a small index built from
//! hand-written records: every route, every error status, masking by role, the audit chain
//! (verified and broken with the real binary) and searches running while records are upserted.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use skiptrace::access::{KeyStore, Role};
use skiptrace::index::SkipIndex;
use skiptrace::normalize::NormalizedRecord;
use skiptrace::record::{Field, RawRecord};
use skiptrace::server::{Limits, Server, ServerConfig};
use tokio::sync::oneshot;

use crate::util::{binary, generous_limits, status_and_json, TestServer};

/// The debtor's full SSN and DOB: never in the audit log, never shown to a searcher.
const SSN: &str = "123-45-6789";
const DOB: &str = "1984-05-12";

/// Hand-written records: one debtor seen by three sources (old and new address), a namesake
/// with another DOB, and an unrelated person.
const RECORDS: [[&str; 11]; 5] = [
    // id, source, first, last, dob, ssn, street, city, zip, phone, last_seen
    [
        "r1",
        "credit_header",
        "Dmitri",
        "Kowalczyk",
        DOB,
        SSN,
        "12 Main St",
        "Springfield",
        "62704",
        "",
        "2019-05-01",
    ],
    [
        "r2",
        "credit_header",
        "Dmitri",
        "Kowalczyk",
        "05/12/1984",
        "123456789",
        "98 Oak Avenue Apt 4",
        "Chicago",
        "60601",
        "",
        "2026-05-01",
    ],
    [
        "r3",
        "utility",
        "Dmitri",
        "Kowalczyk",
        "",
        "",
        "98 OAK AVE #4",
        "Chicago",
        "60601",
        "(312) 555-0188",
        "2026-04-01",
    ],
    [
        "r4",
        "phone_directory",
        "Dmitri",
        "Kowalczyk",
        "1951-02-03",
        "",
        "77 Pine Rd",
        "Peoria",
        "61602",
        "309-555-0100",
        "2025-01-01",
    ],
    [
        "r5",
        "credit_header",
        "Maria",
        "Gonzalez",
        "1990-07-08",
        "234-56-7890",
        "5 Elm St",
        "Austin",
        "78701",
        "512-555-0199",
        "2026-01-01",
    ],
];

fn purpose() -> Value {
    json!({"glba": "consumer_authorized", "dppa": "debt_recovery"})
}

fn debtor_query() -> Value {
    json!({
        "first_name": "Dmitri",
        "last_name": "Kowalczyk",
        "dob": DOB,
        "address_line1": "12 Main St",
        "zip": 62704,
        "permissible_purpose": purpose(),
        "client_reference": "ACC-1001",
    })
}

impl TestServer {
    /// Starts a server over the hand-written records.
    async fn start(limits: Limits) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        build_index(&dir.path().join("idx"));
        TestServer::start_in(dir, limits).await
    }

    async fn default() -> TestServer {
        TestServer::start(generous_limits()).await
    }

    async fn upsert(&self, key: &str, records: &Value) -> (StatusCode, Value) {
        let response = self
            .request(Method::POST, "/v1/records", Some(key))
            .json(records)
            .send()
            .await
            .expect("upsert sent");
        status_and_json(response).await
    }
}

fn build_index(dir: &Path) {
    let index = SkipIndex::open_or_create(dir).expect("index");
    let mut writer = index.writer().expect("writer");
    for [id, source, first, last, dob, ssn, street, city, zip, phone, seen] in RECORDS {
        let raw = RawRecord::new()
            .with(Field::RecordId, id)
            .with(Field::Source, source)
            .with(Field::FirstName, first)
            .with(Field::LastName, last)
            .with(Field::Dob, dob)
            .with(Field::Ssn, ssn)
            .with(Field::AddressLine1, street)
            .with(Field::City, city)
            .with(Field::State, if zip.starts_with('7') { "TX" } else { "IL" })
            .with(Field::Zip, zip)
            .with(Field::Phone, phone)
            .with(Field::LastSeen, seen);
        writer
            .upsert(&NormalizedRecord::from_raw(&raw).0)
            .expect("upsert");
    }
    writer.commit().expect("commit");
}

fn audit_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("audit log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

fn verify_audit(path: &Path) -> std::process::Output {
    Command::new(binary())
        .args(["audit", "verify", "--audit"])
        .arg(path)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_routes_answer_without_a_key() {
    let server = TestServer::default().await;
    let (status, health) = server.get("/healthz", None).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, ready) = server.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["records"], RECORDS.len());
    assert!(ready["index_bytes"].as_u64().expect("bytes") > 0);

    let (status, document) = server.get("/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(document["openapi"]
        .as_str()
        .expect("version")
        .starts_with("3."));
    for path in [
        "/v1/search",
        "/v1/records",
        "/v1/records/{record_id}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
    let schemas = &document["components"]["schemas"];
    for schema in [
        "SearchRequest",
        "SearchResponse",
        "IdentityView",
        "ErrorBody",
        "GlbaPurpose",
        "DppaPurpose",
        "UpsertResponse",
    ] {
        assert!(schemas[schema].is_object(), "{schema} is described");
    }
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());

    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK);
    let metrics = server
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .expect("metrics");
    assert!(metrics.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/plain"));
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains(
            r#"skiptrace_http_requests_total{method="POST",route="/v1/search",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"skiptrace_http_request_duration_seconds_bucket{method="POST",route="/v1/search",status="200",le="+Inf"} 1"#), "{text}");
    assert!(
        text.contains(&format!("skiptrace_index_records {}", RECORDS.len())),
        "{text}"
    );
    assert!(text.contains("skiptrace_index_size_bytes "), "{text}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_searcher_sees_masked_identifiers_and_an_admin_sees_them_in_full() {
    let server = TestServer::default().await;
    let (status, body) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "resolved");
    assert!(body["candidates_scored"].as_u64().expect("count") >= 3);
    assert!(body["took_ms"].as_f64().expect("took") >= 0.0);
    let top = &body["identities"][0];
    assert!(top["match_probability"].as_f64().expect("p") > 0.95);
    assert_eq!(top["band"], "strong");
    let explanation = top["explanation"].as_array().expect("explanation");
    let dob = explanation
        .iter()
        .find(|e| e["field"] == "dob")
        .expect("dob explained");
    assert_eq!(
        dob["level"], "agrees",
        "a searcher is not told exact from near"
    );
    let record_ids: Vec<&str> = top["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["record_id"].as_str().expect("id"))
        .collect();
    assert!(
        record_ids.contains(&"r1") && record_ids.contains(&"r2"),
        "{record_ids:?}"
    );
    assert!(
        !record_ids.contains(&"r4"),
        "the namesake with another DOB is another identity"
    );
    assert!(top["records"][0]["source"].is_string());
    let contacts = top["contacts"].as_array().expect("contacts");
    let new_address = contacts
        .iter()
        .find(|c| c["kind"] == "address" && c["status"] == "new")
        .expect("a new best address");
    assert_eq!(new_address["on_file"], false);
    assert_eq!(new_address["address"]["line1"], "98 OAK AVE");
    assert_eq!(new_address["last_seen"], "2026-05-01");
    assert!(new_address["first_seen"].is_null() || new_address["first_seen"].is_string());
    assert!(new_address["sources"].as_array().expect("sources").len() >= 2);
    assert!(new_address["confidence"].as_f64().expect("confidence") > 0.0);

    assert_eq!(top["ssn"], "***-**-6789");
    assert_eq!(top["dob"], "1984");
    let text = body.to_string();
    assert!(
        !text.contains(SSN) && !text.contains("123456789") && !text.contains(DOB),
        "{text}"
    );

    let (status, full) = server.search(&server.admin, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(full["identities"][0]["ssn"], SSN);
    assert_eq!(full["identities"][0]["dob"], DOB);
    let levels = full["identities"][0]["explanation"].to_string();
    assert!(levels.contains(r#""level":"exact""#), "{levels}");

    let (status, record) = server
        .get(
            "/v1/records/r1?glba=consumer_authorized&dppa=debt_recovery",
            Some(&server.loader),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (record["ssn"].as_str(), record["dob"].as_str()),
        (Some("***-**-6789"), Some("1984"))
    );
    let (_, record) = server
        .get(
            "/v1/records/r1?glba=consumer_authorized&dppa=debt_recovery",
            Some(&server.admin),
        )
        .await;
    assert_eq!(
        (record["ssn"].as_str(), record["dob"].as_str()),
        (Some(SSN), Some(DOB))
    );
    server.stop().await;
}

/// The oracle a searcher had: with the name and a masked SSN's last four, try the other five
/// digits and read `ssn=exact` (or its weight) off the one that is right. A guess one digit off
/// and the right one now read the same, level, weights, probability and all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_searcher_cannot_test_guesses_of_a_masked_ssn_or_dob() {
    let server = TestServer::default().await;
    let guess = |ssn: &str, dob: &str| {
        let mut query = debtor_query();
        query["ssn"] = ssn.into();
        query["dob"] = dob.into();
        query
    };
    let answer = |body: &Value| {
        let top = &body["identities"][0];
        let fields: Vec<(Value, Value, Value)> = top["explanation"]
            .as_array()
            .expect("explanation")
            .iter()
            .map(|e| {
                (
                    e["field"].clone(),
                    e["level"].clone(),
                    e["match_weight"].clone(),
                )
            })
            .collect();
        let records: Vec<(Value, Value)> = top["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| (r["record_id"].clone(), r["match_probability"].clone()))
            .collect();
        (
            (body["status"].clone(), top["band"].clone()),
            top["match_probability"].clone(),
            top["match_weight"].clone(),
            top["flags"].clone(),
            fields,
            records,
        )
    };
    let near_dob = "1984-05-13";
    let right = server.search(&server.searcher, &guess(SSN, DOB)).await.1;
    for (ssn, dob) in [("123-45-6788", DOB), ("123-45-6798", DOB), (SSN, near_dob)] {
        let near = server.search(&server.searcher, &guess(ssn, dob)).await.1;
        assert_eq!(answer(&near), answer(&right), "guess {ssn} {dob}");
        let admin_near = server.search(&server.admin, &guess(ssn, dob)).await.1;
        let admin_right = server.search(&server.admin, &guess(SSN, DOB)).await.1;
        assert_ne!(
            answer(&admin_near),
            answer(&admin_right),
            "the unmasking role still sees the true levels"
        );
    }
    server.stop().await;
}

/// One request expected to fail: what to send and what must come back.
struct Refusal {
    name: &'static str,
    method: Method,
    path: &'static str,
    key: Option<String>,
    content_type: Option<&'static str>,
    body: Option<Vec<u8>>,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_its_status_and_the_json_shape() {
    let server = TestServer::default().await;
    let json_body = |value: Value| Some(value.to_string().into_bytes());
    let with = |mutate: &dyn Fn(&mut Value)| {
        let mut query = debtor_query();
        mutate(&mut query);
        json_body(query)
    };
    let searcher = Some(server.searcher.clone());
    let loader = Some(server.loader.clone());
    let admin = Some(server.admin.clone());
    let json_type = Some("application/json");
    let search = |name, key: &Option<String>, body, status, code, field| Refusal {
        name,
        method: Method::POST,
        path: "/v1/search",
        key: key.clone(),
        content_type: json_type,
        body,
        status,
        code,
        field,
    };
    let cases = vec![
        search(
            "no purpose",
            &searcher,
            with(&|q| {
                q.as_object_mut()
                    .expect("object")
                    .remove("permissible_purpose");
            }),
            400,
            "missing_field",
            Some("permissible_purpose"),
        ),
        search(
            "no DPPA purpose",
            &searcher,
            with(&|q| q["permissible_purpose"] = json!({"glba": "consumer_authorized"})),
            400,
            "missing_field",
            Some("permissible_purpose.dppa"),
        ),
        search(
            "unknown GLBA purpose",
            &searcher,
            with(&|q| q["permissible_purpose"]["glba"] = json!("curiosity")),
            400,
            "invalid_field",
            Some("permissible_purpose.glba"),
        ),
        search(
            "unknown DPPA purpose",
            &searcher,
            with(&|q| q["permissible_purpose"]["dppa"] = json!("marketing")),
            400,
            "invalid_field",
            Some("permissible_purpose.dppa"),
        ),
        search("no key", &None, with(&|_| {}), 401, "unauthorized", None),
        search(
            "a made-up key",
            &Some("stk_0123456789ab_00".into()),
            with(&|_| {}),
            401,
            "unauthorized",
            None,
        ),
        search(
            "a loader searching",
            &loader,
            with(&|_| {}),
            403,
            "forbidden",
            None,
        ),
        search(
            "nothing to search on",
            &searcher,
            with(&|q| {
                q.as_object_mut().expect("object").remove("last_name");
            }),
            422,
            "unusable_query",
            None,
        ),
        search(
            "SSN last 4 without a first name",
            &searcher,
            json_body(
                json!({"last_name": "Kowalczyk", "ssn": "6789", "permissible_purpose": purpose()}),
            ),
            422,
            "unusable_query",
            None,
        ),
        search(
            "malformed JSON",
            &searcher,
            Some(b"{\"first_name\": \"Dmitri\",".to_vec()),
            400,
            "invalid_json",
            None,
        ),
        search(
            "not UTF-8",
            &searcher,
            Some(vec![0xff, 0xfe, 0x00, 0x7b]),
            400,
            "invalid_json",
            None,
        ),
        search(
            "an array, not an object",
            &searcher,
            json_body(json!([1, 2])),
            400,
            "invalid_body",
            None,
        ),
        search(
            "limit of the wrong type",
            &searcher,
            with(&|q| q["limit"] = json!("ten")),
            400,
            "invalid_field",
            Some("limit"),
        ),
        search(
            "limit out of range",
            &searcher,
            with(&|q| q["limit"] = json!(0)),
            400,
            "invalid_field",
            Some("limit"),
        ),
        search(
            "min_match_probability out of range",
            &searcher,
            with(&|q| q["min_match_probability"] = json!(2.5)),
            400,
            "invalid_field",
            Some("min_match_probability"),
        ),
        search(
            "min_score, the old name, read as min_match_probability",
            &searcher,
            with(&|q| q["min_score"] = json!(-1)),
            400,
            "invalid_field",
            Some("min_match_probability"),
        ),
        search(
            "a misspelt field",
            &searcher,
            with(&|q| q["frist_name"] = json!("Dmitri")),
            400,
            "invalid_field",
            Some("frist_name"),
        ),
        search(
            "an SSN of the wrong type",
            &searcher,
            with(&|q| q["ssn"] = json!({"digits": SSN})),
            400,
            "invalid_field",
            Some("ssn"),
        ),
        search(
            "an impossible DOB",
            &searcher,
            with(&|q| q["dob"] = json!("1984-13-45")),
            400,
            "invalid_field",
            Some("dob"),
        ),
        Refusal {
            content_type: Some("text/plain"),
            ..search(
                "not JSON content",
                &searcher,
                with(&|_| {}),
                415,
                "unsupported_media_type",
                None,
            )
        },
        Refusal {
            content_type: None,
            ..search(
                "no content type",
                &searcher,
                with(&|_| {}),
                415,
                "unsupported_media_type",
                None,
            )
        },
        Refusal {
            method: Method::POST,
            path: "/v1/records",
            ..search(
                "a searcher loading records",
                &searcher,
                json_body(json!([])),
                403,
                "forbidden",
                None,
            )
        },
        Refusal {
            method: Method::GET,
            path: "/v1/records/r1",
            body: None,
            content_type: None,
            ..search(
                "a searcher reading a record",
                &searcher,
                None,
                403,
                "forbidden",
                None,
            )
        },
        Refusal {
            method: Method::GET,
            path: "/v1/records/nobody?glba=consumer_authorized&dppa=debt_recovery",
            body: None,
            content_type: None,
            ..search("an unknown record", &admin, None, 404, "not_found", None)
        },
        Refusal {
            method: Method::GET,
            path: "/v1/records/r1",
            body: None,
            content_type: None,
            ..search(
                "reading a record without a purpose",
                &loader,
                None,
                400,
                "missing_field",
                Some("glba"),
            )
        },
        Refusal {
            method: Method::DELETE,
            path: "/v1/records/nobody",
            body: None,
            content_type: None,
            ..search(
                "deleting an unknown record",
                &loader,
                None,
                404,
                "not_found",
                None,
            )
        },
        Refusal {
            method: Method::POST,
            path: "/v1/records",
            content_type: Some("application/x-ndjson"),
            ..search(
                "NDJSON that is not JSON",
                &loader,
                Some(b"not json\n".to_vec()),
                400,
                "invalid_body",
                None,
            )
        },
        Refusal {
            method: Method::POST,
            path: "/v1/records",
            ..search(
                "records that are not JSON",
                &loader,
                Some(b"[{".to_vec()),
                400,
                "invalid_json",
                None,
            )
        },
        Refusal {
            method: Method::POST,
            path: "/v1/records",
            content_type: Some("text/csv"),
            ..search(
                "records as CSV",
                &loader,
                Some(b"a,b\n".to_vec()),
                415,
                "unsupported_media_type",
                None,
            )
        },
        Refusal {
            method: Method::GET,
            path: "/v1/nowhere",
            body: None,
            content_type: None,
            ..search("an unknown route", &admin, None, 404, "not_found", None)
        },
        Refusal {
            method: Method::GET,
            path: "/v1/search",
            body: None,
            content_type: None,
            ..search(
                "the wrong method",
                &admin,
                None,
                405,
                "method_not_allowed",
                None,
            )
        },
    ];
    for case in cases {
        let mut request = server.request(case.method.clone(), case.path, case.key.as_deref());
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(body) = case.body {
            request = request.body(body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let unauthorized_header = response.headers().get("www-authenticate").cloned();
        let content_type = response.headers().get("content-type").cloned();
        let (_, body) = status_and_json(response).await;
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(
            content_type.as_ref().and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{}",
            case.name
        );
        assert_eq!(body["error"]["code"], case.code, "{}: {body}", case.name);
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            case.name
        );
        assert_eq!(
            body["error"]["field"].as_str(),
            case.field,
            "{}: {body}",
            case.name
        );
        if status == 401 {
            assert!(
                unauthorized_header.is_some(),
                "{}: WWW-Authenticate",
                case.name
            );
        }
        let text = body.to_string();
        assert!(
            !text.contains(SSN) && !text.contains("1984-13-45"),
            "{}: no raw identifiers echoed: {text}",
            case.name
        );
    }
    let (status, _) = server.get("/healthz", None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "still serving after every bad request"
    );
    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_body_is_refused_with_413() {
    let limits = Limits {
        max_body_bytes: 2_048,
        ..generous_limits()
    };
    let server = TestServer::start(limits).await;
    let mut query = debtor_query();
    query["full_name"] = json!("x".repeat(4_096));
    let (status, body) = server.search(&server.searcher, &query).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    let rows: String = (0..100)
        .map(|i| {
            format!("{{\"record_id\":\"big{i}\",\"first_name\":\"Ann\",\"last_name\":\"Lee\"}}\n")
        })
        .collect();
    let response = server
        .request(Method::POST, "/v1/records", Some(&server.loader))
        .header("content-type", "application/x-ndjson")
        .body(rows)
        .send()
        .await
        .expect("sent");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a body under the limit still passes"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_rate_gets_429_with_retry_after() {
    let limits = Limits {
        rate_per_second: 0.2,
        rate_burst: 2,
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    for _ in 0..2 {
        let (status, _) = server.search(&server.searcher, &debtor_query()).await;
        assert_eq!(status, StatusCode::OK);
    }
    let response = server
        .request(Method::POST, "/v1/search", Some(&server.searcher))
        .json(&debtor_query())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=5).contains(&retry_after), "{retry_after}");
    let (_, body) = status_and_json(response).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    let (status, _) = server.search(&server.admin, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK, "the limit is per key");
    let lines = audit_lines(&server.audit_path());
    assert_eq!(lines.last().expect("line")["status"], 200);
    assert_eq!(
        lines[lines.len() - 2]["status"],
        429,
        "the refusal is audited"
    );
    server.stop().await;
}

/// Sends `request` and never the rest of its body; returns the raw response.
fn stalled_request(address: &str, request: &str) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.write_all(request.as_bytes()).expect("write");
    read_response(&mut stream)
}

/// Reads one HTTP/1.1 response (head and a Content-Length body) from a raw socket.
fn read_response(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = stream
            .read(&mut buffer)
            .expect("the server answers before the client gives up");
        received.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&received).to_string();
        assert!(
            read > 0 || text.contains("\r\n\r\n"),
            "closed without a response: {text}"
        );
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let length: usize = head
            .lines()
            .find_map(|l| {
                let lower = l.to_ascii_lowercase();
                lower
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().expect("length"))
            })
            .expect("content-length");
        if body.len() >= length || read == 0 {
            return text;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_outlives_the_timeout_gets_503() {
    let limits = Limits {
        timeout: Duration::from_millis(300),
        ..generous_limits()
    };
    let server = TestServer::start(limits).await;
    // A client that promises 100 bytes of body and sends 10: the request cannot finish, so the
    // timeout, not the client, decides when it ends.
    let address = server.base.trim_start_matches("http://").to_string();
    let head = format!(
        "POST /v1/search HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"first_na",
        server.searcher
    );
    let started = std::time::Instant::now();
    let response = tokio::task::spawn_blocking(move || stalled_request(&address, &head))
        .await
        .expect("client thread");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "answered by the timeout"
    );
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    let body: Value =
        serde_json::from_str(response.split_once("\r\n\r\n").expect("body").1).expect("json");
    assert_eq!(body["error"]["code"], "timeout");
    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a request within the limit still passes"
    );
    let lines = audit_lines(&server.audit_path());
    assert_eq!(lines[0]["status"], 503, "the timed-out request is audited");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_made_and_revoked_with_the_binary_take_effect_on_a_running_server() {
    let server = TestServer::default().await;
    let keys = server.dir.path().join("keys.json");
    let keys_arg = keys.to_str().expect("utf-8 path");
    let added = Command::new(binary())
        .args([
            "keys", "add", "--role", "searcher", "--name", "desk 2", "--keys", keys_arg,
        ])
        .output()
        .expect("keys add runs");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let key = String::from_utf8(added.stdout)
        .expect("utf-8")
        .trim()
        .to_string();
    let key_id = key.split('_').nth(1).expect("key id").to_string();
    let secret = key.split('_').nth(2).expect("secret").to_string();
    assert_eq!(secret.len(), 64, "256-bit secret");
    assert!(
        !std::fs::read_to_string(&keys)
            .expect("key file")
            .contains(&secret),
        "only a hash is stored"
    );

    let (status, _) = server.search(&key, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK, "a new key works without a restart");
    let response = server
        .request(Method::POST, "/v1/search", None)
        .header("x-api-key", &key)
        .json(&debtor_query())
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "X-Api-Key is accepted too"
    );

    let listed = Command::new(binary())
        .args(["keys", "list", "--keys", keys_arg])
        .output()
        .expect("keys list runs");
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listing.contains(&key_id) && listing.contains("desk 2"),
        "{listing}"
    );
    assert!(!listing.contains(&secret), "no secret listed");

    let revoked = Command::new(binary())
        .args(["keys", "revoke", &key_id, "--keys", keys_arg])
        .output()
        .expect("keys revoke runs");
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let (status, body) = server.search(&key, &debtor_query()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("revoked"));
    let last = audit_lines(&server.audit_path()).pop().expect("a line");
    assert_eq!(
        (last["status"].as_u64(), last["key_id"].as_str()),
        (Some(401), Some(key_id.as_str()))
    );

    let unknown = Command::new(binary())
        .args(["keys", "revoke", "ffffffffffff", "--keys", keys_arg])
        .output()
        .expect("runs");
    assert!(!unknown.status.success(), "revoking an unknown key fails");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_upserted_read_and_deleted() {
    let server = TestServer::default().await;
    let records = json!([
        {"record_id": "n1", "source": "api_test", "given_name": "Oluwaseun", "surname": "Adebayo",
         "date_of_birth": "1979-11-30", "soc_sec_id": "345-67-8901", "street": "400 River Rd",
         "city": "Dayton", "state": "OH", "zip_code": 45402, "favourite_colour": "green"},
        {"record_id": "n2", "source": "api_test", "first_name": "Priya", "last_name": "Raman", "phone": "614-555-0142"},
        {"first_name": "No", "last_name": "Id"},
        {"record_id": "n3", "source": "api_test", "dob": "1984-13-45"},
        "not an object"
    ]);
    let (status, summary) = server.upsert(&server.loader, &records).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["read"], 5);
    assert_eq!(summary["indexed"], 2);
    assert_eq!(summary["updated"], 0);
    assert_eq!(summary["rejected"], 3);
    let issues = summary["issues"].as_array().expect("issues");
    assert!(
        issues
            .iter()
            .any(|i| i["row"] == 3 && i["column"] == "record_id"),
        "{issues:?}"
    );
    assert!(
        issues.iter().any(|i| i["row"] == 4 && i["column"] == "dob"),
        "{issues:?}"
    );
    assert!(
        issues.iter().any(|i| i["row"] == 5 && i["column"] == "*"),
        "{issues:?}"
    );
    assert_eq!(summary["unmapped_columns"], json!(["favourite_colour"]));
    assert!(
        !summary.to_string().contains("1984-13-45"),
        "DOBs are masked in issues"
    );

    let (status, record) = server
        .get(
            "/v1/records/n1?glba=consumer_authorized&dppa=debt_recovery",
            Some(&server.loader),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["last_name"], "adebayo");
    assert_eq!(
        record["address"]["zip"], "45402",
        "a numeric JSON zip is read as text"
    );
    assert_eq!(
        (record["ssn"].as_str(), record["dob"].as_str()),
        (Some("***-**-8901"), Some("1979"))
    );
    let (_, record) = server
        .get(
            "/v1/records/n1?glba=consumer_authorized&dppa=debt_recovery",
            Some(&server.admin),
        )
        .await;
    assert_eq!(
        (record["ssn"].as_str(), record["dob"].as_str()),
        (Some("345-67-8901"), Some("1979-11-30"))
    );

    let query = json!({"first_name": "Oluwaseun", "last_name": "Adebayo", "dob": "1979-11-30",
                       "permissible_purpose": purpose()});
    let (status, found) = server.search(&server.searcher, &query).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        found["identities"][0]["identity_id"], "n1",
        "visible right after the upsert: {found}"
    );

    let ndjson = "{\"record_id\":\"n1\",\"source\":\"api_test\",\"first_name\":\"Oluwaseun\",\"last_name\":\"Adebayo\",\"dob\":\"1979-11-30\",\"phone\":\"937-555-0111\"}\n\
                  {\"record_id\":\"n4\",\"source\":\"api_test\",\"first_name\":\"Kenji\",\"last_name\":\"Watanabe\",\"email\":\"kenji@example.com\"}\n\
                  {\"source\":\"api_test\",\"first_name\":\"Nameless\",\"last_name\":\"Row\"}\n";
    let response = server
        .request(Method::POST, "/v1/records", Some(&server.loader))
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .expect("sent");
    let (status, summary) = status_and_json(response).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        (summary["read"].as_u64(), summary["indexed"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(summary["updated"], 1, "n1 replaced");
    assert_eq!(
        summary["rejected"], 1,
        "a row without record_id gets no made-up id"
    );
    let (_, record) = server
        .get(
            "/v1/records/n1?glba=consumer_authorized&dppa=debt_recovery",
            Some(&server.loader),
        )
        .await;
    assert_eq!(record["phone"], "(937) 555-0111");
    assert!(
        record["address"].is_null(),
        "the upsert replaced the whole record"
    );

    let response = server
        .request(Method::DELETE, "/v1/records/n1", Some(&server.loader))
        .send()
        .await
        .expect("sent");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"record_id": "n1", "deleted": true}));
    let (status, _) = server
        .get(
            "/v1/records/n1?glba=consumer_authorized&dppa=debt_recovery",
            Some(&server.loader),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, after) = server.search(&server.searcher, &query).await;
    let ids: Vec<&Value> = after["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .map(|i| &i["identity_id"])
        .collect();
    assert!(
        !ids.contains(&&json!("n1")),
        "a deleted record is gone from searches: {after}"
    );
    let response = server
        .request(Method::DELETE, "/v1/records/n1", Some(&server.admin))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (status, ready) = server.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ready["records"],
        RECORDS.len() + 2,
        "n2 and n4 added, n1 added then deleted"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_chains_every_search_and_change_and_verify_catches_tampering() {
    let server = TestServer::default().await;
    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK);
    let mut no_purpose = debtor_query();
    no_purpose
        .as_object_mut()
        .expect("object")
        .remove("permissible_purpose");
    let (status, _) = server.search(&server.searcher, &no_purpose).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let records = json!([{"record_id": "a1", "source": "api_test", "first_name": "Lena", "last_name": "Fischer",
                          "dob": "1988-02-29", "ssn": "456-78-9012"}]);
    let (status, _) = server.upsert(&server.loader, &records).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .get(
            "/v1/records/a1?glba=consumer_authorized&dppa=debt_recovery",
            Some(&server.admin),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = server
        .request(Method::DELETE, "/v1/records/a1", Some(&server.loader))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = server.search("stk_0123456789ab_bad", &debtor_query()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK);

    let path = server.audit_path();
    let lines = audit_lines(&path);
    let routes: Vec<(&str, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["route"].as_str().expect("route"),
                l["status"].as_u64().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        routes,
        vec![
            ("POST /v1/search", 200),
            ("POST /v1/search", 400),
            ("POST /v1/records", 200),
            ("GET /v1/records/{record_id}", 200),
            ("DELETE /v1/records/{record_id}", 200),
            ("POST /v1/search", 401),
        ],
        "one line per /v1 request, none for /healthz"
    );
    let key_id = |key: &str| key.split('_').nth(1).expect("key id").to_string();
    let search = &lines[0];
    assert_eq!(search["seq"], 1);
    assert_eq!(search["key_id"], json!(key_id(&server.searcher)));
    assert_eq!(search["purposes"], purpose());
    assert_eq!(search["client_reference"], "ACC-1001");
    let fingerprint = search["query_fingerprint"].as_str().expect("fingerprint");
    assert!(fingerprint.len() == 64 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(search["result_ids"]
        .as_array()
        .expect("ids")
        .contains(&json!("r1")));
    assert!(search["record_ids"]
        .as_array()
        .expect("ids")
        .contains(&json!("r2")));
    assert_eq!(search["unmasked"], false);
    assert_eq!(lines[1]["error_code"], "missing_field");
    assert_eq!(lines[2]["key_id"], json!(key_id(&server.loader)));
    assert_eq!(lines[2]["result_ids"], json!(["a1"]));
    assert_eq!(
        lines[3]["unmasked"], true,
        "an admin read of full identifiers is flagged"
    );
    assert_eq!(lines[4]["result_ids"], json!(["a1"]));
    assert!(
        lines[5]["key_id"].is_null(),
        "an unknown key is not attributed"
    );
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["seq"], i + 1);
        if i > 0 {
            assert_eq!(line["prev_hash"], lines[i - 1]["hash"]);
        }
    }
    let text = std::fs::read_to_string(&path).expect("audit log");
    for secret in [
        SSN,
        "123456789",
        DOB,
        "05/12/1984",
        "456-78-9012",
        "456789012",
        "1988-02-29",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} must not be in the audit log"
        );
    }
    for key in [&server.admin, &server.searcher, &server.loader] {
        let secret = key.split('_').nth(2).expect("secret");
        assert!(!text.contains(secret), "no key secret in the audit log");
    }

    let intact = verify_audit(&path);
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stdout).contains("6 lines"));

    let original = text.clone();
    let mut edited: Vec<String> = original.lines().map(str::to_string).collect();
    edited[2] = edited[2].replace("\"status\":200", "\"status\":500");
    assert_ne!(
        edited[2],
        original.lines().nth(2).expect("line 3"),
        "the edit took"
    );
    std::fs::write(&path, edited.join("\n") + "\n").expect("write");
    let broken = verify_audit(&path);
    assert!(!broken.status.success(), "an edited line is detected");
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("line 3"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
    let as_json = Command::new(binary())
        .args(["audit", "verify", "--json", "--audit"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(as_json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&as_json.stdout).expect("a JSON report");
    assert_eq!(report["failure"]["line"], 3, "{report}");

    let mut deleted: Vec<&str> = original.lines().collect();
    deleted.remove(1);
    std::fs::write(&path, deleted.join("\n") + "\n").expect("write");
    let broken = verify_audit(&path);
    assert!(!broken.status.success(), "a deleted line is detected");
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );

    let mut reordered: Vec<&str> = original.lines().collect();
    reordered.swap(3, 4);
    std::fs::write(&path, reordered.join("\n") + "\n").expect("write");
    let broken = verify_audit(&path);
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("line 4"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );

    // The attack on the unkeyed chain: delete a line and recompute every later hash. Without
    // the key (here, with another one) the recomputed hashes cannot match.
    let forger = skiptrace::audit::AuditKey::generate();
    let mut previous = skiptrace::audit::GENESIS_HASH.to_string();
    let mut forged: Vec<String> = Vec::new();
    for text in original.lines().take(1).chain(original.lines().skip(2)) {
        let mut line: skiptrace::audit::AuditLine = serde_json::from_str(text).expect("line");
        line.seq = forged.len() as u64 + 1;
        line.prev_hash = previous.clone();
        line.hash = line.expected_hash(&forger);
        previous = line.hash.clone();
        forged.push(serde_json::to_string(&line).expect("json"));
    }
    std::fs::write(&path, forged.join("\n") + "\n").expect("write");
    let broken = verify_audit(&path);
    assert!(
        !broken.status.success(),
        "a chain recomputed without the key is detected"
    );
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("line 1"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );

    std::fs::write(&path, &original).expect("restore");
    let _dir = server.stop_and_keep().await;

    // Stopping checkpoints the last line, so cutting lines off the end is detected.
    let closed = verify_audit(&path);
    assert!(
        closed.status.success(),
        "{}",
        String::from_utf8_lossy(&closed.stderr)
    );
    let cut: String = original.lines().take(4).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, cut).expect("cut");
    let broken = verify_audit(&path);
    assert!(!broken.status.success(), "a log cut short is detected");
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("cut off"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
}

/// `rm` of the log while serving: nothing is answered unlogged, and readiness says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_audit_log_makes_the_server_not_ready_and_withholds_answers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start_in(dir, generous_limits()).await;
    let (status, _) = server.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    std::fs::remove_file(server.audit_path()).expect("rm the log");
    let (status, body) = server.get("/readyz", None).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a removed log is reported: {body}"
    );
    let query = json!({
        "first_name": "Ann", "last_name": "Lee", "dob": "1980-01-02",
        "permissible_purpose": {"glba": "consumer_authorized", "dppa": "debt_recovery"}
    });
    let (status, body) = server.search(&server.searcher, &query).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["error"]["code"], "audit_unavailable");
    server.stop().await;
}

/// A change's audit line is durable before its commit: when the line cannot be written the
/// change does not land, and a change that lands is logged once, naming its records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_record_change_lands_without_its_audit_line() {
    let server = TestServer::default().await;
    let record = |id: &str| {
        json!([{"record_id": id, "source": "api_test", "first_name": "Ann",
                "last_name": "Lee", "dob": "1980-01-02", "zip": "62704"}])
    };
    let (status, body) = server.upsert(&server.loader, &record("w1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lines = audit_lines(&server.audit_path());
    let logged: Vec<&Value> = lines
        .iter()
        .filter(|l| l["route"] == "POST /v1/records")
        .collect();
    assert_eq!(logged.len(), 1, "one line per change: {logged:?}");
    assert_eq!(
        (
            logged[0]["status"].as_u64(),
            logged[0]["result_ids"].clone()
        ),
        (Some(200), json!(["w1"]))
    );

    std::fs::remove_file(server.audit_path()).expect("rm the log");
    let (status, body) = server.upsert(&server.loader, &record("w2")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    let response = server
        .request(Method::DELETE, "/v1/records/w1", Some(&server.loader))
        .send()
        .await
        .expect("delete sent");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let index = SkipIndex::open(&server.dir.path().join("idx")).expect("index");
    let searcher = index.searcher();
    assert!(
        !index.contains(&searcher, "w2").expect("read"),
        "an upsert whose line could not be written was committed"
    );
    assert!(
        index.contains(&searcher, "w1").expect("read"),
        "a delete whose line could not be written was committed"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_continues_the_audit_chain() {
    let server = TestServer::default().await;
    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK);
    let searcher = server.searcher.clone();
    let temp = server.stop_and_keep().await;
    let dir = temp.path().to_path_buf();
    let config = ServerConfig {
        index_dir: dir.join("idx"),
        keys_path: dir.join("keys.json"),
        audit_path: dir.join("audit.jsonl"),
        jobs_dir: dir.join("jobs"),
        addr: "127.0.0.1:0".parse().expect("address"),
        model: None,
        limits: generous_limits(),
        ..ServerConfig::default()
    };
    let restarted = Server::bind(&config)
        .await
        .expect("rebinds: the writer lock was released");
    let addr = restarted.local_addr().expect("addr");
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(restarted.run(async {
        let _ = stop.await;
    }));
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/v1/search"))
        .bearer_auth(&searcher)
        .json(&debtor_query())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let _ = shutdown.send(());
    task.await.expect("task").expect("stopped");
    let lines = audit_lines(&dir.join("audit.jsonl"));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["seq"], 2);
    assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);
    assert!(verify_audit(&dir.join("audit.jsonl")).status.success());

    let mut truncated = std::fs::read_to_string(dir.join("audit.jsonl")).expect("log");
    truncated.pop();
    truncated.push_str("{\"seq\":");
    std::fs::write(dir.join("audit.jsonl"), truncated).expect("write");
    let error = Server::bind(&config)
        .await
        .expect_err("a damaged log stops the start");
    assert!(error.to_string().contains("audit log"), "{error}");
    drop(temp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_during_an_upsert_all_succeed_and_see_the_new_record_after() {
    let server = std::sync::Arc::new(TestServer::default().await);
    let mut searchers = Vec::new();
    for task in 0..8 {
        let server = server.clone();
        searchers.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..6 {
                let mut query = debtor_query();
                query["client_reference"] = json!(format!("task-{task}"));
                let (status, body) = server.search(&server.searcher, &query).await;
                assert_eq!(body["status"], "resolved", "{body}");
                statuses.push(status);
            }
            statuses
        }));
    }
    let mut upserted = 0;
    for batch in 0..4 {
        let records: Vec<Value> = (0..100)
            .map(|i| {
                json!({"record_id": format!("bulk-{batch}-{i}"), "source": "api_test",
                       "first_name": format!("Person{i}"), "last_name": format!("Batch{batch}"),
                       "zip": "60601"})
            })
            .collect();
        let (status, summary) = server.upsert(&server.loader, &Value::Array(records)).await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        upserted += summary["indexed"].as_u64().expect("indexed");
    }
    let newcomer = json!([{"record_id": "late1", "source": "api_test", "first_name": "Ingrid",
                           "last_name": "Thorsdottir", "dob": "1992-04-17", "zip": "55401"}]);
    let (status, _) = server.upsert(&server.loader, &newcomer).await;
    assert_eq!(status, StatusCode::OK);
    for searcher in searchers {
        let statuses = searcher.await.expect("search task");
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "{statuses:?}"
        );
    }
    assert_eq!(upserted, 400);
    let query = json!({"first_name": "Ingrid", "last_name": "Thorsdottir", "dob": "1992-04-17",
                       "permissible_purpose": purpose()});
    let (status, found) = server.search(&server.searcher, &query).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["identities"][0]["identity_id"], "late1", "{found}");
    let (_, ready) = server.get("/readyz", None).await;
    assert_eq!(ready["records"], RECORDS.len() + 401);
    let lines = audit_lines(&server.audit_path());
    assert_eq!(
        lines.len(),
        8 * 6 + 5 + 1,
        "every search and every upsert is audited"
    );
    assert!(verify_audit(&server.audit_path()).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_request_in_flight_finish() {
    use std::io::Write;
    let server = TestServer::default().await;
    let address = server.base.trim_start_matches("http://").to_string();
    let body = r#"[{"record_id": "late", "source": "api_test", "first_name": "Wen", "last_name": "Zhao", "dob": "1975-03-04"}]"#;
    let (first_part, rest) = body.split_at(20);
    // The request is in flight: its head and part of its body are in, the rest comes only after
    // the shutdown has begun.
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    let head = format!(
        "POST /v1/records HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first_part}",
        server.loader,
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write");
    // Time for the server to read the head and start the handler (loopback: microseconds).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopping = tokio::spawn(server.stop_and_keep());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(&address).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "no new connections once shutting down"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !stopping.is_finished(),
        "the server waits for the request in flight"
    );
    stream.write_all(rest.as_bytes()).expect("write the rest");
    let response = read_response(&mut stream);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let summary: Value =
        serde_json::from_str(response.split_once("\r\n\r\n").expect("body").1).expect("json");
    assert_eq!(summary["indexed"], 1);
    let dir = tokio::time::timeout(Duration::from_secs(30), stopping)
        .await
        .expect("shutdown completes")
        .expect("stop task");
    let index = SkipIndex::open(&dir.path().join("idx")).expect("index reopens");
    assert!(
        index.get("late").expect("read").is_some(),
        "the change was committed"
    );
}

#[test]
fn the_binary_serves_with_env_configuration_until_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    build_index(&dir.path().join("idx"));
    let mut keys = KeyStore::new();
    let searcher = keys.add(Role::Searcher, "desk").key;
    keys.save(&dir.path().join("keys.json")).expect("save");
    let mut child = Command::new(binary())
        .arg("serve")
        .current_dir(dir.path())
        .env("SKIPTRACE_INDEX", "idx")
        .env("SKIPTRACE_KEYS", "keys.json")
        .env("SKIPTRACE_AUDIT", "trail.jsonl")
        .env("SKIPTRACE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "skiptrace=info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let addr = loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server logs its address");
        if !line.contains("serving") {
            continue;
        }
        if let Some(at) = line.find("127.0.0.1:") {
            let addr: String = line[at..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            break addr;
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("http://{addr}/v1/search"))
            .bearer_auth(&searcher)
            .json(&debtor_query())
            .send()
            .await
            .expect("sent")
            .status()
    });
    assert_eq!(status, StatusCode::OK);
    assert!(
        dir.path().join("trail.jsonl").exists(),
        "SKIPTRACE_AUDIT is honoured"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let exit = child.wait().expect("serve exits");
    assert!(exit.success(), "a SIGTERM is a clean stop: {exit:?}");
}

/// A returned-mail file: the debtor at her old address (resolves, with the Chicago address as
/// new), a row with nothing to search on, a row with too few columns, and a stranger.
const RETURNED_MAIL: &str = "account_id,first_name,last_name,dob,address_line1,city,zip,balance\n\
A-1,Dmitri,Kowalczyk,1984-05-12,12 Main St,Springfield,62704,120.50\n\
A-2,,,not a date,,,,9.99\n\
A-3,Zebulon\n\
A-4,Quentin,Xylander,1970-01-01,1 Nowhere Ln,Nome,99762,0\n";

const REMATCH_PURPOSE: &str = "glba=consumer_authorized&dppa=debt_recovery";

impl TestServer {
    async fn rematch(&self, key: &str, query: &str, body: &str) -> reqwest::Response {
        self.request(Method::POST, &format!("/v1/rematch?{query}"), Some(key))
            .header("content-type", "text/csv")
            .body(body.to_string())
            .send()
            .await
            .expect("rematch sent")
    }
}

/// Parses a CSV response into its header and rows.
fn csv_table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_mail_file_is_rematched_row_for_row_as_csv_and_audited_once() {
    let server = TestServer::default().await;
    let response = server
        .rematch(&server.searcher, REMATCH_PURPOSE, RETURNED_MAIL)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("content type")
        .starts_with("text/csv"));
    let text = response.text().await.expect("body");
    let (header, rows) = csv_table(&text);
    let input_columns = [
        "account_id",
        "first_name",
        "last_name",
        "dob",
        "address_line1",
        "city",
        "zip",
        "balance",
    ];
    let mut expected: Vec<String> = input_columns.iter().map(|c| c.to_string()).collect();
    expected.extend(
        skiptrace::bulk::OUTPUT_COLUMNS
            .iter()
            .map(|c| c.to_string()),
    );
    assert_eq!(header, expected, "input columns, then the output columns");
    assert_eq!(rows.len(), 4, "one row out per row in: {text}");
    let column = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (status, account, error) = (
        column("match_status"),
        column("account_id"),
        column("error"),
    );
    let accounts: Vec<&str> = rows.iter().map(|r| r[account].as_str()).collect();
    assert_eq!(accounts, ["A-1", "A-2", "A-3", "A-4"], "input order");
    assert_eq!(rows[0][status], "matched", "{text}");
    assert_eq!(rows[0][column("balance")], "120.50", "values kept");
    assert!(
        rows[0][column("best_city")].eq_ignore_ascii_case("chicago"),
        "{text}"
    );
    assert_eq!(rows[0][column("best_address_status")], "new", "{text}");
    assert_eq!(rows[1][status], "error", "nothing to search on: {text}");
    assert!(!rows[1][error].is_empty());
    assert_eq!(rows[2][status], "error", "a short row: {text}");
    assert_eq!(rows[2][account], "A-3");
    assert_eq!(rows[3][status], "no_match", "{text}");

    let lines = audit_lines(&server.audit_path());
    let jobs: Vec<&Value> = lines
        .iter()
        .filter(|l| l["route"] == "POST /v1/rematch")
        .collect();
    assert_eq!(jobs.len(), 1, "one line for the job: {lines:?}");
    let job = jobs[0];
    assert_eq!(job["status"], 200);
    assert_eq!(job["rows"], 4);
    let match_record = column("match_record_id");
    let disclosed: Vec<String> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r[match_record].is_empty())
        .map(|(i, r)| format!("{}:{}", i + 1, r[match_record]))
        .collect();
    assert!(!disclosed.is_empty(), "the matched row named its record");
    assert_eq!(
        job["result_ids"],
        json!(disclosed),
        "the log names each row's disclosed record"
    );
    assert_eq!(job["purposes"]["glba"], "consumer_authorized");
    assert_eq!(job["purposes"]["dppa"], "debt_recovery");
    assert!(job["key_id"].as_str().is_some_and(|k| !k.is_empty()));
    let log = std::fs::read_to_string(server.audit_path()).expect("audit log");
    assert!(!log.contains(DOB) && !log.contains("Kowalczyk"), "{log}");
    let dir = server.stop_and_keep().await;
    let verified = verify_audit(&dir.path().join("audit.jsonl"));
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rematch_needs_a_purpose_a_search_key_and_a_readable_file() {
    let limits = Limits {
        max_body_bytes: 64,
        max_rematch_body_bytes: 4_096,
        ..generous_limits()
    };
    let server = TestServer::start(limits).await;
    for (query, parameter) in [
        ("dppa=debt_recovery", "glba"),
        ("glba=consumer_authorized", "dppa"),
        ("glba=consumer_authorized&dppa=curiosity", "dppa"),
    ] {
        let response = server.rematch(&server.searcher, query, RETURNED_MAIL).await;
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["field"], parameter, "{body}");
    }
    let response = server
        .rematch(&server.loader, REMATCH_PURPOSE, RETURNED_MAIL)
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = server
        .rematch(&server.admin, REMATCH_PURPOSE, RETURNED_MAIL)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "admins may too");
    let (_, rows) = csv_table(&response.text().await.expect("body"));
    assert_eq!(
        rows.len(),
        4,
        "over the search body limit, under the rematch one"
    );
    for body in ["", "\u{0}\u{1}garbage\u{2}\n\u{3}"] {
        let response = server
            .rematch(&server.searcher, REMATCH_PURPOSE, body)
            .await;
        let (status, json) = status_and_json(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}: {json}");
        assert_eq!(json["error"]["code"], "invalid_body");
    }
    let response = server
        .rematch(
            &server.searcher,
            &format!("{REMATCH_PURPOSE}&id_column=nope"),
            RETURNED_MAIL,
        )
        .await;
    let (status, json) = status_and_json(response).await;
    assert_eq!(
        (status, &json["error"]["field"]),
        (StatusCode::BAD_REQUEST, &json!("id_column"))
    );
    let response = server
        .rematch(
            &server.searcher,
            &format!("{REMATCH_PURPOSE}&match_threshold=2"),
            RETURNED_MAIL,
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let big = format!("{RETURNED_MAIL}{}", "A-9,Ann,Lee,,,,,1\n".repeat(300));
    let response = server
        .rematch(&server.searcher, REMATCH_PURPOSE, &big)
        .await;
    let (status, json) = status_and_json(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{json}");
    let ndjson = "{\"account_id\":\"N-1\",\"first_name\":\"Dmitri\",\"last_name\":\"Kowalczyk\",\"dob\":\"1984-05-12\",\"zip\":\"62704\"}\n\
                  {\"account_id\":\"N-2\",\"first_name\":\"Maria\"}\n";
    let response = server
        .request(
            Method::POST,
            &format!("/v1/rematch?{REMATCH_PURPOSE}&id_column=account_id"),
            Some(&server.searcher),
        )
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let (header, rows) = csv_table(&response.text().await.expect("body"));
    assert_eq!(header[0], "account_id");
    assert_eq!(rows.len(), 2);
    let refused: Vec<Value> = audit_lines(&server.audit_path())
        .into_iter()
        .filter(|l| l["status"] != 200)
        .collect();
    assert!(refused
        .iter()
        .all(|l| l["route"] == "POST /v1/rematch" && l["rows"].is_null()));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rematch_is_not_cut_off_by_the_request_timeout() {
    let limits = Limits {
        timeout: Duration::from_millis(200),
        ..generous_limits()
    };
    let server = TestServer::start(limits).await;
    let address = server.base.trim_start_matches("http://").to_string();
    let head = format!(
        "POST /v1/rematch?{REMATCH_PURPOSE} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.searcher,
        RETURNED_MAIL.len()
    );
    // Half the file, a pause well past the timeout, then the rest.
    let response = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&address).expect("connect");
        let (first, second) = RETURNED_MAIL.split_at(RETURNED_MAIL.len() / 2);
        stream.write_all(head.as_bytes()).expect("write");
        stream.write_all(first.as_bytes()).expect("write");
        std::thread::sleep(Duration::from_millis(600));
        stream.write_all(second.as_bytes()).expect("write");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("read timeout");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("read");
        text
    })
    .await
    .expect("client thread");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("A-4"),
        "the whole file came back: {response}"
    );
    server.stop().await;
}

/// A bulk file costs one row of the key's daily quota per row: with 6 rows left a 4-row file
/// goes through and the next one is refused whole, as is a search once the rows are spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_quota_counts_rows_not_requests() {
    let limits = Limits {
        daily_rows_per_key: 6,
        ..generous_limits()
    };
    let server = TestServer::start(limits).await;
    let (status, body) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response = server
        .rematch(&server.searcher, REMATCH_PURPOSE, RETURNED_MAIL)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("csv");
    assert_eq!(csv_table(&text).1.len(), 4, "{text}");
    let refused = server
        .rematch(&server.searcher, REMATCH_PURPOSE, RETURNED_MAIL)
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let (_, body) = status_and_json(refused).await;
    assert_eq!(body["error"]["code"], "quota_exceeded", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("4 more rows") && m.contains("1 left")),
        "{body}"
    );
    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK, "the last row");
    let (status, body) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "quota_exceeded");
    let (status, _) = server.search(&server.admin, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK, "per key");
    server.stop().await;
}

/// One person searched with many SSNs from one key: past the threshold each new guess is
/// refused, counted in metrics and logged; in a bulk file the guesses past it are error rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_ssn_guesses_for_one_person_are_refused_counted_and_logged() {
    let limits = Limits {
        enumeration_variants: 3,
        ..generous_limits()
    };
    let server = TestServer::start(limits).await;
    let guess = |n: u32| {
        let mut query = debtor_query();
        query["ssn"] = format!("123-45-{:04}", 6780 + n).into();
        query
    };
    for n in 0..3 {
        let (status, body) = server.search(&server.searcher, &guess(n)).await;
        assert_eq!(status, StatusCode::OK, "guess {n}: {body}");
    }
    let (status, body) = server.search(&server.searcher, &guess(3)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "enumeration_suspected");
    let (status, _) = server.search(&server.searcher, &guess(0)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a guess already made is not a new one"
    );
    let (status, _) = server.search(&server.admin, &guess(7)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the unmasking role learns nothing new"
    );

    let mut file = String::from("account_id,first_name,last_name,dob,ssn,zip\n");
    for n in 0..6 {
        file.push_str(&format!(
            "B-{n},Ann,Lee,1980-01-02,234-56-{:04},62704\n",
            7000 + n
        ));
    }
    let response = server.rematch(&server.loader, REMATCH_PURPOSE, &file).await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "a loader may not rematch"
    );
    let response = server
        .rematch(&server.searcher, REMATCH_PURPOSE, &file)
        .await;
    let text = response.text().await.expect("csv");
    let (header, rows) = csv_table(&text);
    assert_eq!(rows.len(), 6, "every row has its line: {text}");
    let status = header
        .iter()
        .position(|h| h == "match_status")
        .expect("status");
    let error = header.iter().position(|h| h == "error").expect("error");
    let refused: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[error].contains("refused"))
        .collect();
    assert_eq!(refused.len(), 3, "guesses past the third: {text}");
    assert!(refused.iter().all(|r| r[status] == "error"));

    let (_, metrics) = {
        let response = server
            .request(Method::GET, "/metrics", None)
            .send()
            .await
            .expect("metrics");
        (response.status(), response.text().await.expect("text"))
    };
    assert!(
        metrics.contains("skiptrace_enumeration_suspected_total"),
        "{metrics}"
    );
    let lines = audit_lines(&server.audit_path());
    assert!(
        lines
            .iter()
            .any(|l| l["error_code"] == "enumeration_suspected"),
        "the refusal is in the audit log"
    );
    server.stop().await;
}

/// An operator removes a key by hand and breaks the file's JSON in the same edit: no key may
/// keep working meanwhile, and readiness says why; a fixed file is picked up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_file_that_no_longer_parses_refuses_every_key_until_fixed() {
    let server = TestServer::default().await;
    let keys = server.dir.path().join("keys.json");
    let good = std::fs::read_to_string(&keys).expect("key file");
    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK);
    std::fs::write(&keys, &good[..good.len() / 2]).expect("break the file");
    let (status, body) = server.search(&server.searcher, &debtor_query()).await;
    // The server's fault, not the key's: 503, so the page does not sign its user out.
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "keys_unavailable");
    let (status, body) = server.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body["keys"], "unusable",
        "no parse detail on an open route: {body}"
    );
    std::fs::write(&keys, &good).expect("fix the file");
    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK, "the fixed file is read again");
    let (status, body) = server.get("/readyz", None).await;
    assert_eq!(
        (status, body["keys"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    server.stop().await;
}

/// Eight `keys add` at once: each key is in the file afterwards (the edits are locked).
#[test]
fn keys_added_at_once_are_all_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = dir.path().join("keys.json");
    let keys_arg = keys.to_str().expect("utf-8 path").to_string();
    let children: Vec<_> = (0..8)
        .map(|i| {
            Command::new(binary())
                .args([
                    "keys",
                    "add",
                    "--role",
                    "searcher",
                    "--name",
                    &format!("desk {i}"),
                    "--keys",
                    &keys_arg,
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("keys add starts")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().expect("keys add ends").success());
    }
    let store = KeyStore::load(&keys).expect("key file");
    assert_eq!(store.keys().len(), 8, "no edit lost another's key");
}

/// What leaves the server about a person is only what the caller needs: no cache keeps it,
/// no error echoes a value sent in a field, and an identity below the possible band shows no
/// contacts, records, DOB or SSN even when asked for every identity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_is_minimised_in_answers_errors_and_caches() {
    let server = TestServer::default().await;
    let response = server
        .request(Method::POST, "/v1/search", Some(&server.searcher))
        .json(&debtor_query())
        .send()
        .await
        .expect("search");
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );

    let mut ssn_in_limit = debtor_query();
    ssn_in_limit["limit"] = "123-45-6789".into();
    let mut dob_in_purpose = debtor_query();
    dob_in_purpose["permissible_purpose"]["dppa"] = "1984-05-12".into();
    for (query, secret) in [
        (ssn_in_limit, "123-45-6789"),
        (dob_in_purpose, "1984-05-12"),
    ] {
        let (status, body) = server.search(&server.searcher, &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(!body.to_string().contains(secret), "echoed: {body}");
        assert!(
            body["error"]["field"].is_string(),
            "the field is named: {body}"
        );
    }

    let everyone = json!({
        "first_name": "Dmitri", "last_name": "Kowalczyk", "zip": "99762",
        "min_match_probability": 0.0, "limit": 50,
        "permissible_purpose": purpose(),
    });
    let (status, body) = server.search(&server.searcher, &everyone).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let identities = body["identities"].as_array().expect("identities");
    let below: Vec<&Value> = identities
        .iter()
        .filter(|i| i["band"] == "weak" || i["band"] == "unlikely")
        .collect();
    assert!(!below.is_empty(), "the namesake is listed: {body}");
    for identity in below {
        assert_eq!(identity["contacts"], json!([]), "{identity}");
        assert_eq!(identity["records"], json!([]), "{identity}");
        assert!(
            identity["dob"].is_null() && identity["ssn"].is_null(),
            "{identity}"
        );
        assert!(identity["names"].as_array().is_some_and(|n| !n.is_empty()));
        assert!(
            !identity["explanation"].to_string().contains("record_id"),
            "{identity}"
        );
    }
    // The log names as disclosed exactly the records that went out.
    let shown: Vec<Value> = identities
        .iter()
        .flat_map(|i| i["records"].as_array().expect("records").clone())
        .map(|r| r["record_id"].clone())
        .collect();
    let logged = audit_lines(&server.audit_path());
    let last = logged.last().expect("the search's line");
    assert_eq!(last["record_ids"], json!(shown), "{last}");
    let (_, body) = server.search(&server.searcher, &debtor_query()).await;
    let top = &body["identities"][0];
    assert_eq!(top["band"], "strong");
    assert!(top["contacts"].as_array().is_some_and(|c| !c.is_empty()));
    server.stop().await;
}

/// Slow-header connections (half a request head each) used to hold every file descriptor. Now
/// the ones past the limit are closed at once, the others when the header-read timeout ends,
/// and health checks answer again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_connections_are_dropped_and_health_checks_come_back() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limits = Limits {
        header_read_timeout: Duration::from_millis(500),
        max_connections: 20,
        ..generous_limits()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start_in(dir, limits).await;
    let address = server.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..40 {
        let mut socket = tokio::net::TcpStream::connect(&address)
            .await
            .expect("connect");
        let _ = socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await;
        slow.push(socket);
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for socket in &mut slow {
        let mut buffer = [0u8; 256];
        let read = tokio::time::timeout(Duration::from_secs(2), socket.read(&mut buffer)).await;
        let closed = match read {
            Ok(Ok(n)) => n == 0 || String::from_utf8_lossy(&buffer[..n]).contains("408"),
            Ok(Err(_)) => true,
            Err(_) => false,
        };
        assert!(closed, "a slow connection is closed");
    }
    let (status, body) = server.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;
}

/// A connection from `ip` (any 127.x address reaches the loopback server) to the server.
async fn connect_from(ip: &str, server: &TestServer) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{ip}:0").parse().expect("address"))
        .expect("bind");
    let address = server.base.trim_start_matches("http://");
    socket
        .connect(address.parse().expect("server address"))
        .await
        .expect("connect")
}

/// Sends one raw GET on `socket` and reads one response (head and Content-Length body).
async fn raw_get(socket: &mut tokio::net::TcpStream, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    socket
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().expect("length"))
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return text;
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buffer))
            .await
            .expect("a response in time")
            .expect("read");
        assert!(n > 0, "closed before a whole response: {text}");
        received.extend_from_slice(&buffer[..n]);
    }
}

/// True when the server closes `socket` within a second, without answering.
async fn closed_at_once(socket: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buffer)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// One address cannot take every connection place, and while every other place is held the
/// reserve still answers health checks (and only them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_fill_the_server_and_health_checks_keep_a_reserve() {
    use tokio::io::AsyncWriteExt;
    let limits = Limits {
        header_read_timeout: Duration::from_secs(20),
        max_connections: 16,
        max_connections_per_address: 8,
        ..generous_limits()
    };
    assert_eq!(skiptrace::server::health_reserve(16), 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start_in(dir, limits).await;
    let mut held = Vec::new();
    for ip in ["127.0.0.2"; 8].into_iter().chain(["127.0.0.3"; 7]) {
        let mut socket = connect_from(ip, &server).await;
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .expect("half a head");
        held.push(socket);
    }
    let mut ninth = connect_from("127.0.0.2", &server).await;
    assert!(
        closed_at_once(&mut ninth).await,
        "a ninth connection from one address is closed"
    );
    // Fifteen places are held: the sixteenth is the reserve.
    let mut reserve = connect_from("127.0.0.4", &server).await;
    let refused = raw_get(&mut reserve, "/openapi.json").await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("overloaded"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("connection: close"),
        "the reserve place is given back for the retry: {refused}"
    );
    drop(reserve);
    // The health check gets the reserve place once the refused connection has let it go.
    let mut health = String::new();
    // The connection that got the reserve place, kept open so the place stays taken.
    let mut on_reserve = None;
    for _ in 0..40 {
        let mut socket = connect_from("127.0.0.4", &server).await;
        use tokio::io::AsyncWriteExt;
        if socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .is_ok()
        {
            use tokio::io::AsyncReadExt;
            let mut buffer = [0u8; 512];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buffer)).await
            {
                health = String::from_utf8_lossy(&buffer[..n]).into_owned();
                if health.starts_with("HTTP/1.1 200") {
                    on_reserve = Some(socket);
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let mut past_the_limit = connect_from("127.0.0.5", &server).await;
    assert!(closed_at_once(&mut past_the_limit).await);
    drop(on_reserve);
    drop(held);
    server.stop().await;
}

/// A flood of bad keys from one address: the first ten get 401 and an audit line each, then the
/// address gets 429 with one audit line for the window, and a good key still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bad_keys_is_throttled_and_logged_once_per_window() {
    let server = TestServer::default().await;
    let before = audit_lines(&server.audit_path()).len();
    let mut statuses = Vec::new();
    for n in 0..30 {
        let (status, _) = server
            .search(&format!("stk_{n:012}_{}", "0".repeat(64)), &debtor_query())
            .await;
        statuses.push(status.as_u16());
    }
    assert!(statuses[..10].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    let lines = audit_lines(&server.audit_path());
    assert_eq!(
        lines.len() - before,
        11,
        "ten refusals and one throttle logged"
    );
    let (status, _) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a good key from the address still works"
    );
    server.stop().await;
}

/// Runs `skiptrace audit replay` for line `seq` with `request` against the test server's files.
fn replay_line(server: &TestServer, seq: u64, request: &Value) -> std::process::Output {
    let dir = server.dir.path();
    let request_file = dir.join(format!("request-{seq}.json"));
    std::fs::write(&request_file, request.to_string()).expect("request file");
    Command::new(binary())
        .args(["audit", "replay", "--seq", &seq.to_string(), "--request"])
        .arg(&request_file)
        .arg("--audit")
        .arg(server.audit_path())
        .arg("--index")
        .arg(dir.join("idx"))
        .arg("--keys")
        .arg(dir.join("keys.json"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_search_replays_to_the_same_answer_until_the_records_change() {
    let server = TestServer::default().await;
    let (status, body) = server.search(&server.searcher, &debtor_query()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let line = audit_lines(&server.audit_path()).pop().expect("a line");
    let seq = line["seq"].as_u64().expect("seq");
    for field in ["model_digest", "index_commit", "answer_digest"] {
        assert!(
            line[field].as_str().is_some_and(|v| v.len() == 16),
            "{field}: {line}"
        );
    }

    let same = replay_line(&server, seq, &debtor_query());
    let stdout = String::from_utf8_lossy(&same.stdout);
    assert!(
        same.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert!(stdout.contains("same answer as logged"), "{stdout}");

    // Another DOB is another query: the fingerprint proves which one was logged.
    let mut other = debtor_query();
    other["dob"] = json!("1985-05-12");
    let refused = replay_line(&server, seq, &other);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("fingerprint differs"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // A record added since changes the answer, and the replay says the index moved on.
    let added = json!([{"record_id": "r9", "source": "utility", "first_name": "Dmitri",
        "last_name": "Kowalczyk", "dob": DOB, "ssn": SSN, "address_line1": "7 New Rd",
        "city": "Springfield", "state": "IL", "zip": "62704", "phone": "217-555-0142",
        "last_seen": "2026-11-01"}]);
    let (status, body) = server.upsert(&server.loader, &added).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let changed = replay_line(&server, seq, &debtor_query());
    let stdout = String::from_utf8_lossy(&changed.stdout);
    assert_eq!(changed.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("DIFFERENT answer"), "{stdout}");
    assert!(stdout.contains("newest commit"), "{stdout}");
    server.stop().await;
}
