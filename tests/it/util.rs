//! Helpers shared by the integration tests: the real `skiptrace` binary in a temporary
//! directory, generated populations and their CSV truth, and the real HTTP server on
//! 127.0.0.1:0.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use skiptrace::access::{KeyStore, Role};
use skiptrace::server::{Limits, Server, ServerConfig};
use tokio::sync::oneshot;

/// Path of the binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_skiptrace")
}

/// Runs the binary with `args` in `dir` and returns its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the skiptrace binary runs")
}

/// Runs the binary and asserts it succeeded; returns stdout.
pub fn run_ok(dir: &Path, args: &[&str]) -> String {
    let output = run(dir, args);
    assert!(
        output.status.success(),
        "skiptrace {args:?} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write test file");
    path
}

/// Generates a population in `dir/gen` and indexes its records into `dir/idx`.
pub fn synth_and_index(dir: &Path) {
    run_ok(
        dir,
        &["synth", "--people", "3000", "--seed", "5", "--out", "gen"],
    );
    run_ok(dir, &["index", "--index", "idx", "gen/records.csv"]);
}

/// A CSV file's header and rows (`returned_mail.csv`, the truth, a re-match output).
pub type Table = (Vec<String>, Vec<Vec<String>>);

/// Reads a CSV file whole.
pub fn read_table(path: &Path) -> Table {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .expect("open csv");
    let headers = reader
        .headers()
        .expect("headers")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("csv row").iter().map(str::to_string).collect())
        .collect();
    (headers, rows)
}

/// Returns the position of the column `name`.
pub fn column(table: &Table, name: &str) -> usize {
    table
        .0
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", table.0))
}

/// Limits no test run trips by accident.
pub fn generous_limits() -> Limits {
    Limits {
        rate_per_second: 10_000.0,
        rate_burst: 10_000,
        ..Limits::default()
    }
}

/// A server running in this test's runtime over `dir/idx`, with an admin, a searcher and a
/// loader key, its audit log at `dir/audit.jsonl`; stopped when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The index, key file and audit log.
    pub dir: tempfile::TempDir,
    /// A client for the server.
    pub client: reqwest::Client,
    /// An admin key.
    pub admin: String,
    /// A searcher key.
    pub searcher: String,
    /// A loader key.
    pub loader: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<skiptrace::Result<()>>>,
}

impl TestServer {
    /// Starts a server over the index already built in `dir/idx`.
    pub async fn start_in(dir: tempfile::TempDir, limits: Limits) -> TestServer {
        let mut keys = KeyStore::new();
        let admin = keys.add(Role::Admin, "ops").key;
        let searcher = keys.add(Role::Searcher, "collections desk").key;
        let loader = keys.add(Role::Loader, "nightly load").key;
        keys.save(&dir.path().join("keys.json")).expect("save keys");
        TestServer::start_with_keys(dir, limits, [admin, searcher, loader]).await
    }

    /// Starts a server over `dir` as it is, keys included (a restart): `keys` are the admin,
    /// searcher and loader keys already in `dir/keys.json`.
    pub async fn start_with_keys(
        dir: tempfile::TempDir,
        limits: Limits,
        keys: [String; 3],
    ) -> TestServer {
        let [admin, searcher, loader] = keys;
        let config = ServerConfig {
            index_dir: dir.path().join("idx"),
            keys_path: dir.path().join("keys.json"),
            audit_path: dir.path().join("audit.jsonl"),
            jobs_dir: dir.path().join("jobs"),
            addr: "127.0.0.1:0".parse().expect("address"),
            model: None,
            limits,
            ..ServerConfig::default()
        };
        let server = Server::bind(&config).await.expect("server binds");
        let addr = server.local_addr().expect("bound address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stop.await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            dir,
            client: reqwest::Client::new(),
            admin,
            searcher,
            loader,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// Returns the audit log's path.
    pub fn audit_path(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    /// Returns a request to `path`, with `key` as a bearer token when given.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        match key {
            Some(key) => builder.bearer_auth(key),
            None => builder,
        }
    }

    /// Sends a search; returns its status and JSON body.
    pub async fn search(&self, key: &str, query: &Value) -> (StatusCode, Value) {
        let response = self
            .request(Method::POST, "/v1/search", Some(key))
            .json(query)
            .send()
            .await
            .expect("search sent");
        status_and_json(response).await
    }

    /// Sends a GET; returns its status and JSON body.
    pub async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, Value) {
        let response = self
            .request(Method::GET, path, key)
            .send()
            .await
            .expect("get sent");
        status_and_json(response).await
    }

    /// Stops the server (requests in flight finish) and waits until it has.
    pub async fn stop(self) {
        drop(self.stop_and_keep().await);
    }

    /// Stops the server and hands back its directory (index, keys, audit log).
    pub async fn stop_and_keep(mut self) -> tempfile::TempDir {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Returns a response's status and JSON body; panics with the body when it is not JSON.
pub async fn status_and_json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"));
    (status, value)
}
