//! `/v1/jobs`: a returned-mail file submitted as a background job, polled, carried over a
//! server restart, and its result equal to `skiptrace rematch` on the same file.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::util::{generous_limits, read_table, run_ok, synth_and_index, TestServer};

const PURPOSES: &str = "glba=consumer_authorized&dppa=debt_recovery";

/// The generated returned-mail file repeated `copies` times, each copy under its own account
/// ids: large enough that a job is still running when the test looks.
fn large_file(dir: &std::path::Path, copies: usize) -> String {
    let text = std::fs::read_to_string(dir.join("gen/returned_mail.csv")).expect("mail");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.collect();
    let mut file = format!("{header}\n");
    for copy in 0..copies {
        for row in &rows {
            file.push_str(&format!("C{copy}-{row}\n"));
        }
    }
    file
}

async fn get_json(server: &TestServer, key: &str, path: &str) -> (StatusCode, Value) {
    let response = server
        .request(Method::GET, path, Some(key))
        .send()
        .await
        .expect("sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls a job until `done(view)` holds (or 120 s pass).
async fn poll(server: &TestServer, key: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..12_000 {
        let (status, view) = get_json(server, key, &format!("/v1/jobs/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        if done(&view) {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} never reached the state looked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_survives_a_restart_and_ends_with_the_result_rematch_writes() {
    let dir = tempfile::tempdir().expect("temp dir");
    synth_and_index(dir.path());
    let file = large_file(dir.path(), 150);
    std::fs::write(dir.path().join("large.csv"), &file).expect("write");
    let rows = file.lines().count() as u64 - 1;
    let server = TestServer::start_in(dir, generous_limits()).await;

    // The page asks what a file's columns map to before submitting it.
    let response = server
        .request(
            Method::POST,
            "/v1/jobs/preview?map=last_name=last_name",
            Some(&server.searcher),
        )
        .body(file.lines().take(3).collect::<Vec<_>>().join("\n"))
        .send()
        .await
        .expect("preview");
    assert_eq!(response.status(), StatusCode::OK);
    let preview: Value = response.json().await.expect("json");
    assert_eq!(preview["id_column"], "account_id", "{preview}");
    assert_eq!(preview["columns"][1]["field"], "first_name", "{preview}");

    // A file name goes into a download header: control characters are refused up front.
    let response = server
        .request(
            Method::POST,
            &format!("/v1/jobs?{PURPOSES}&file_name=a%0Ab.csv"),
            Some(&server.searcher),
        )
        .body(file.lines().take(3).collect::<Vec<_>>().join("\n"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let response = server
        .request(
            Method::POST,
            &format!("/v1/jobs?{PURPOSES}&file_name=large.csv"),
            Some(&server.searcher),
        )
        .body(file.clone())
        .send()
        .await
        .expect("submitted");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let job: Value = response.json().await.expect("json");
    let id = job["job_id"].as_str().expect("id").to_string();
    assert_eq!(location, format!("/v1/jobs/{id}"));
    assert_eq!(job["rows_total"], rows);

    // Its result is not ready while it runs; it shows progress, a rate and an ETA.
    let running = poll(&server, &server.searcher, &id, |v| {
        v["state"] == "running" && v["rows_per_second"].as_f64().is_some()
    })
    .await;
    assert!(running["eta_seconds"].as_f64().is_some(), "{running}");
    let (status, body) =
        get_json(&server, &server.searcher, &format!("/v1/jobs/{id}/result")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = get_json(&server, &server.loader, &format!("/v1/jobs/{id}")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a loader key does not see jobs"
    );

    // Restart mid-job: the job carries on where its result stopped.
    let keys = [
        server.admin.clone(),
        server.searcher.clone(),
        server.loader.clone(),
    ];
    let dir = server.stop_and_keep().await;
    let stopped: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(format!("jobs/{id}/job.json"))).expect("job"),
    )
    .expect("json");
    let done_at_stop = stopped["progress"]["rows_done"].as_u64().expect("rows");
    assert!(
        done_at_stop < rows,
        "stopped mid-job: {done_at_stop} of {rows}"
    );
    assert_eq!(
        stopped["progress"]["state"], "queued",
        "queued again for the next start"
    );
    let server = TestServer::start_with_keys(dir, generous_limits(), keys).await;
    let done = poll(&server, &server.searcher, &id, |v| v["state"] == "done").await;
    assert_eq!(done["rows_done"], rows);
    let counted: u64 = done["outcomes"]
        .as_object()
        .expect("outcomes")
        .values()
        .map(|n| n.as_u64().expect("count"))
        .sum();
    assert_eq!(counted, rows, "every row has an outcome code: {done}");
    let (status, list) = get_json(&server, &server.admin, "/v1/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list["jobs"][0]["job_id"],
        id.as_str(),
        "an admin sees every key's jobs"
    );
    let audit = std::fs::read_to_string(server.audit_path()).expect("audit");
    let run = audit
        .lines()
        .rfind(|l| l.contains("JOB /v1/jobs"))
        .expect("the job's run is audited");
    assert!(
        run.contains("\"index_commit\"") && run.contains("\"model_digest\""),
        "{run}"
    );

    let response = server
        .request(
            Method::GET,
            &format!("/v1/jobs/{id}/result"),
            Some(&server.admin),
        )
        .send()
        .await
        .expect("result");
    assert_eq!(response.status(), StatusCode::OK);
    let result = response.text().await.expect("csv");
    let audit = std::fs::read_to_string(server.audit_path()).expect("audit");
    let download = audit
        .lines()
        .rfind(|l| l.contains("/result"))
        .expect("the download is audited");
    assert!(download.contains(&format!("\"rows\":{rows}")), "{download}");
    assert!(download.contains(":"), "records disclosed are named");
    let dir = server.stop_and_keep().await;

    // The same file through the CLI, as the searcher's masked view: the same bytes.
    run_ok(
        dir.path(),
        &["rematch", "--index", "idx", "--out", "cli.csv", "large.csv"],
    );
    let cli = std::fs::read_to_string(dir.path().join("cli.csv")).expect("cli result");
    assert!(
        result == cli,
        "the job's result differs from skiptrace rematch's"
    );
    assert_eq!(read_table(&dir.path().join("cli.csv")).1.len() as u64, rows);
}
