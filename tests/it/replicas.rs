//! Read replicas: one writer and two `serve --read-only` replicas, as real processes on
//! loopback. One replica shares the writer's directory, the other reads a copy that
//! `skiptrace replicate` keeps in step; a record upserted on the writer must be found on both.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use skiptrace::access::{KeyStore, Role};

use crate::util::{binary, run_ok, write};

/// How long a replica may take to serve a record the writer committed: two reload periods
/// (100 ms each), a replicate pass, and a loaded machine's scheduling. Measured: well under a
/// second (the test prints it).
const REPLICATION_DEADLINE: Duration = Duration::from_secs(10);

/// A `skiptrace` child process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `skiptrace serve ARGS` on a free loopback port and returns it with its base URL,
/// read from the startup line.
fn serve(dir: &Path, name: &str, args: &[&str]) -> (Process, String) {
    let audit = format!("{name}-audit.jsonl");
    let jobs = format!("{name}-jobs");
    let mut child = Command::new(binary())
        .args(["serve", "--addr", "127.0.0.1:0", "--keys", "keys.json"])
        .args(["--audit", &audit, "--jobs", &jobs])
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let process = Process(child);
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("{name} exited before serving"))
            .expect("stderr line");
        if let Some(rest) = line.strip_prefix("skiptrace serving http://") {
            let addr = rest.split('/').next().expect("address");
            break format!("http://{addr}");
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (process, base)
}

async fn get_record(client: &reqwest::Client, base: &str, key: &str, id: &str) -> StatusCode {
    client
        .get(format!(
            "{base}/v1/records/{id}?glba=consumer_authorized&dppa=debt_recovery"
        ))
        .bearer_auth(key)
        .send()
        .await
        .expect("request sent")
        .status()
}

async fn readiness(client: &reqwest::Client, base: &str) -> Value {
    client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_upserted_on_the_writer_is_found_on_both_replicas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path();
    write(
        path,
        "records.csv",
        "record_id,first_name,last_name,dob,address_line1,city,state,zip\n\
         r1,Amara,Okafor,1981-04-09,12 Elm St,Dayton,OH,45402\n\
         r2,Jon,Whitfield,1975-10-30,9 Oak Ave,Tulsa,OK,74103\n",
    );
    run_ok(path, &["index", "--index", "idx", "records.csv"]);
    run_ok(
        path,
        &["replicate", "--from", "idx", "--to", "copy", "--once"],
    );
    let mut keys = KeyStore::new();
    let loader = keys.add(Role::Loader, "nightly load").key;
    keys.save(&path.join("keys.json")).expect("keys");

    let (_writer, writer) = serve(path, "writer", &["--index", "idx"]);
    let fast = ["--read-only", "--reload-every-ms", "100"];
    let (_shared, shared) = serve(path, "shared", &[&fast[..], &["--index", "idx"]].concat());
    let (_copied, copied) = serve(path, "copied", &[&fast[..], &["--index", "copy"]].concat());
    let _replicate = Process(
        Command::new(binary())
            .args(["-q", "replicate", "--from", "idx", "--to", "copy"])
            .args(["--every-ms", "100"])
            .current_dir(path)
            .spawn()
            .expect("replicate starts"),
    );
    let client = reqwest::Client::new();
    for base in [&shared, &copied] {
        let ready = readiness(&client, base).await;
        assert_eq!(ready["read_only"], true, "{ready}");
        assert_eq!(ready["records"], 2, "{ready}");
        assert_eq!(
            get_record(&client, base, &loader, "r1").await,
            StatusCode::OK
        );
        assert_eq!(
            get_record(&client, base, &loader, "r3").await,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(readiness(&client, &writer).await["read_only"], false);

    let record = json!([{"record_id": "r3", "first_name": "Lucia", "last_name": "Ferreira",
                         "dob": "1990-01-22", "address_line1": "3 Pine Ct", "city": "Reno",
                         "state": "NV", "zip": "89501"}]);
    // A replica refuses record changes: they go to the writer.
    let refused = client
        .post(format!("{shared}/v1/records"))
        .bearer_auth(&loader)
        .json(&record)
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "read_only", "{body}");

    let upserted = client
        .post(format!("{writer}/v1/records"))
        .bearer_auth(&loader)
        .json(&record)
        .send()
        .await
        .expect("sent");
    assert_eq!(upserted.status(), StatusCode::OK);
    let committed = Instant::now();
    for (name, base) in [("shared directory", &shared), ("copy", &copied)] {
        loop {
            if get_record(&client, base, &loader, "r3").await == StatusCode::OK {
                eprintln!(
                    "replica on the {name}: r3 found {} ms after the commit",
                    committed.elapsed().as_millis()
                );
                break;
            }
            assert!(
                committed.elapsed() < REPLICATION_DEADLINE,
                "the replica on the {name} did not serve r3 within {REPLICATION_DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let writer_commit = readiness(&client, &writer).await["index_commit"].clone();
    for base in [&shared, &copied] {
        let ready = readiness(&client, base).await;
        assert_eq!(ready["records"], 3, "{ready}");
        assert_eq!(ready["index_commit"], writer_commit, "{ready}");
    }
}
