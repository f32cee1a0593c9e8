//! `skiptrace serve`: the HTTP query API. Flags (each also from `SKIPTRACE_*`) become a
//! [`ServerConfig`]; the library does the rest.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use skiptrace::server::{self, Limits, ServerConfig};

/// Flags of `skiptrace serve`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  skiptrace keys add --role searcher --name 'collections desk'\n  skiptrace serve --index index/ --keys keys.json --audit audit.jsonl\n  curl -s localhost:8080/v1/search -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json' \\\n      -d '{\"first_name\":\"Jon\",\"last_name\":\"Smith\",\"dob\":\"1984-05-12\",\n           \"permissible_purpose\":{\"glba\":\"consumer_authorized\",\"dppa\":\"debt_recovery\"}}'\n\n\
Routes: POST /v1/search, GET /v1/purposes, POST /v1/rematch, POST /v1/records,\n\
GET|DELETE /v1/records/{record_id}, GET /healthz, /readyz, /metrics, /openapi.json; the collectors'\n\
page at GET / (open http://127.0.0.1:8080/ and sign in with a searcher key).\n\
Stops on SIGINT or SIGTERM after requests in flight finish.\n\
Replicas: skiptrace serve --read-only --index COPY (with skiptrace replicate --from INDEX --to COPY).\n\
Listens on loopback by default: put a TLS-terminating proxy in front of any other address."
)]
pub struct Args {
    /// Index directory (created when absent).
    #[arg(long, env = "SKIPTRACE_INDEX", default_value = skiptrace::index::DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
    /// API key file (see `skiptrace keys`).
    #[arg(long, env = "SKIPTRACE_KEYS", default_value = skiptrace::access::DEFAULT_KEYS_FILE)]
    pub keys: PathBuf,
    /// Audit log, JSON Lines, appended to (see `skiptrace audit verify`).
    #[arg(long, env = "SKIPTRACE_AUDIT", default_value = skiptrace::audit::DEFAULT_AUDIT_FILE)]
    pub audit: PathBuf,
    /// Key of the audit chain, created when absent (default: the log's path + `.key`). Keep it
    /// where only the server can read it, apart from the log.
    #[arg(long, env = "SKIPTRACE_AUDIT_KEY")]
    pub audit_key: Option<PathBuf>,
    /// Checkpoints of the audit log (default: the log's path + `.checkpoints`); on other
    /// storage, they show lines cut from the end.
    #[arg(long, env = "SKIPTRACE_AUDIT_CHECKPOINTS")]
    pub audit_checkpoints: Option<PathBuf>,
    /// Size in bytes at which the audit log is rotated into a segment named after its last line
    /// (`audit.jsonl.000000012345`), the chain carrying on in a fresh file; 0 never rotates.
    /// Segments are removed only by `skiptrace audit prune`.
    #[arg(long, env = "SKIPTRACE_AUDIT_ROTATE_BYTES", default_value_t = skiptrace::audit::segments::DEFAULT_ROTATE_BYTES)]
    pub audit_rotate_bytes: u64,
    /// Where bulk jobs (POST /v1/jobs) keep their files and results; created private. Jobs
    /// queued or running when the server stopped carry on at the next start.
    #[arg(long, env = "SKIPTRACE_JOBS", default_value = server::DEFAULT_JOBS_DIR)]
    pub jobs: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "SKIPTRACE_ADDR", default_value = server::DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Model file (default: the shipped model).
    #[arg(long, env = "SKIPTRACE_MODEL")]
    pub model: Option<PathBuf>,
    /// Largest request body in bytes (413 above).
    #[arg(long, env = "SKIPTRACE_MAX_BODY_BYTES", default_value_t = server::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Largest body of POST /v1/rematch (a whole returned-mail file), in bytes (413 above).
    #[arg(long, env = "SKIPTRACE_MAX_REMATCH_BODY_BYTES", default_value_t = server::DEFAULT_MAX_REMATCH_BODY_BYTES)]
    pub max_rematch_body_bytes: usize,
    /// Time a request may take, in milliseconds (503 after; a started record change finishes).
    #[arg(long, env = "SKIPTRACE_TIMEOUT_MS", default_value_t = server::DEFAULT_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// Engine operations running at once; more wait (default: the number of CPUs).
    #[arg(long, env = "SKIPTRACE_MAX_CONCURRENCY", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_concurrency: Option<u64>,
    /// Requests per second per key, sustained (0 disables the rate limit).
    #[arg(long, env = "SKIPTRACE_RATE_PER_SECOND", default_value_t = server::DEFAULT_RATE_PER_SECOND)]
    pub rate_per_second: f64,
    /// Rows a key may search per UTC day: each search, and each row of a bulk file, counts
    /// one (0 disables the quota).
    #[arg(long, env = "SKIPTRACE_DAILY_ROWS_PER_KEY", default_value_t = server::DEFAULT_DAILY_ROWS_PER_KEY)]
    pub daily_rows_per_key: u64,
    /// SSNs or DOBs a key below the unmasking role may try for one person within an hour
    /// before further ones are refused and logged (0 disables the guard).
    #[arg(long, env = "SKIPTRACE_ENUMERATION_VARIANTS", default_value_t = server::DEFAULT_ENUMERATION_VARIANTS)]
    pub enumeration_variants: usize,
    /// Time a client has to send a whole request head, in milliseconds (the connection is
    /// closed after; also how long an idle keep-alive connection is kept).
    #[arg(long, env = "SKIPTRACE_HEADER_READ_TIMEOUT_MS", default_value_t = server::DEFAULT_HEADER_READ_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_ms: u64,
    /// Connections open at once; a new one past it is closed at once. The last sixteenth (1 to
    /// 32) is kept for health checks: only /healthz, /readyz and /metrics are served on it.
    #[arg(long, env = "SKIPTRACE_MAX_CONNECTIONS", default_value_t = server::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Connections one source address may hold at once (behind a load balancer, set it to
    /// --max-connections: every request then shares the balancer's address).
    #[arg(long, env = "SKIPTRACE_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = server::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)]
    pub max_connections_per_address: usize,
    /// Requests a key may make at once before the rate applies.
    #[arg(long, env = "SKIPTRACE_RATE_BURST", default_value_t = server::DEFAULT_RATE_BURST,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_burst: u32,
    /// Serve as a read-only replica: open an existing index without taking its writer (any
    /// number of replicas beside one writer), refuse record changes (405 read_only), and load
    /// each new commit once its meta.json changes (a writer on the same directory, or
    /// `skiptrace replicate` into a copy). See docs/scaling.md.
    #[arg(long, env = "SKIPTRACE_READ_ONLY")]
    pub read_only: bool,
    /// How often a read-only replica looks for a new commit, in milliseconds.
    #[arg(long, env = "SKIPTRACE_RELOAD_EVERY_MS", default_value_t = server::DEFAULT_RELOAD_EVERY_MS,
          value_parser = clap::value_parser!(u64).range(10..))]
    pub reload_every_ms: u64,
}

impl Args {
    fn config(self) -> anyhow::Result<ServerConfig> {
        let max_concurrency = match self.max_concurrency {
            Some(n) => usize::try_from(n).context("--max-concurrency is too large")?,
            None => server::default_max_concurrency(),
        };
        Ok(ServerConfig {
            index_dir: self.index,
            keys_path: self.keys,
            audit_path: self.audit,
            audit_key_path: self.audit_key,
            audit_checkpoints_path: self.audit_checkpoints,
            audit_rotate_bytes: self.audit_rotate_bytes,
            jobs_dir: self.jobs,
            addr: self.addr,
            model: self.model,
            limits: Limits {
                max_body_bytes: self.max_body_bytes,
                max_rematch_body_bytes: self.max_rematch_body_bytes,
                timeout: Duration::from_millis(self.timeout_ms),
                max_concurrency,
                rate_per_second: self.rate_per_second,
                rate_burst: self.rate_burst,
                daily_rows_per_key: self.daily_rows_per_key,
                enumeration_variants: self.enumeration_variants,
                header_read_timeout: Duration::from_millis(self.header_read_timeout_ms),
                max_connections: self.max_connections,
                max_connections_per_address: self.max_connections_per_address,
            },
            read_only: self.read_only,
            reload_every: Duration::from_millis(self.reload_every_ms),
        })
    }
}

/// Runs `skiptrace serve` until SIGINT or SIGTERM.
pub fn run(args: Args) -> anyhow::Result<()> {
    let config = args.config()?;
    anyhow::ensure!(
        config.keys_path.exists(),
        "there is no key file at {keys}: make a key first with `skiptrace keys add --role \
         searcher --name 'collections desk' --keys {keys}` (the server answers no call without one)",
        keys = config.keys_path.display()
    );
    serve_until_signal(config)
}

/// Serves `config` until SIGINT or SIGTERM (also used by `skiptrace demo`), after one line on
/// stderr saying where the page is and what the index holds.
pub fn serve_until_signal(config: ServerConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime
        .block_on(async {
            let server = server::Server::bind(&config).await?;
            let index = server.state().index();
            eprintln!(
                "skiptrace serving http://{}/ (the collectors' page; API under /v1, docs at \
                 /openapi.json): index {} with {} records ({:.1} MB); Ctrl-C stops",
                server.local_addr()?,
                config.index_dir.display(),
                index.num_records(),
                index.size_on_disk() as f64 / 1e6
            );
            server.run(shutdown_signal()).await
        })
        .context("serving")
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT: finishing requests in flight"),
        () = terminate => tracing::info!("SIGTERM: finishing requests in flight"),
    }
}
