//! The HTTP query API (`skiptrace serve`): axum on tokio, over the engine.
//!
//! The last step of the flow, for callers over the network: a request is authenticated
//! ([`crate::access`]), its permissible purpose checked ([`crate::purpose`]), the engine runs on
//! the blocking pool, SSN and DOB are masked by role ([`crate::mask`]) and the call is written
//! to the audit log ([`crate::audit`]) before the response leaves. No engine module imports this
//! one.
//!
//! Routes: `POST /v1/search`, `GET /v1/purposes`, `POST /v1/rematch`, `POST /v1/records`, `GET`
//! and `DELETE /v1/records/{record_id}` (keyed), `GET /healthz`, `/readyz`, `/metrics`,
//! `/openapi.json` and the collectors' page `GET /` with `/app.js` and `/app.css` (open).
//!
//! Connections are accepted by `connections` (header-read timeout, connection limit). Layers,
//! outermost first: trace, panic catcher, body limit; then per routed request:
//! metrics, and for `/v1` the audit line, the access guard (401, 403, 429) and the timeout.
//! `POST /v1/rematch` (a whole file, streamed back) has its own body limit and no timeout.

mod audit_layer;
mod auth;
mod connections;
mod error;
mod health;
mod job_store;
mod jobs;
mod limits;
mod metrics;
mod openapi;
mod outcomes;
mod purposes;
mod quota;
mod records;
mod rematch;
mod replay;
mod search;
mod state;
mod views;
mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use auth::Caller;
pub use connections::{
    health_reserve, DEFAULT_HEADER_READ_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
};
pub use error::{ApiError, ApiJson, ErrorBody, ErrorCode, ErrorDetail};
pub use health::{Health, Readiness};
pub use limits::{
    default_max_concurrency, Limits, RateLimiter, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_REMATCH_BODY_BYTES, DEFAULT_RATE_BURST, DEFAULT_RATE_PER_SECOND,
    DEFAULT_TIMEOUT_MS,
};
pub use openapi::ApiDoc;
pub use outcomes::OutcomesResponse;
pub use purposes::{PurposeList, PurposeView};
pub use quota::{
    DailyRowQuota, EnumerationGuard, QuotaRefusal, DEFAULT_DAILY_ROWS_PER_KEY,
    DEFAULT_ENUMERATION_VARIANTS, ENUMERATION_WINDOW,
};
pub use records::{DeleteResponse, IssueView, RecordInput, UpsertResponse, NDJSON};
pub use replay::{replay, Replay, ReplayError};
pub use search::{answer, Answer, PurposeRequest, SearchRequest, SearchResponse, MAX_LIMIT};
pub use state::AppState;
pub use views::{
    ContactPointView, FieldExplanationView, HiddenContactView, IdentityView, PostalAddressView,
    RecordRefView, RecordView,
};
pub use web::CONTENT_SECURITY_POLICY;

use crate::access::KeyFileWatch;
use crate::audit::{AuditKey, AuditLog};
use crate::error::{Error, Result};
use crate::index::SkipIndex;
use crate::score::Model;
use crate::search::Engine;

pub use job_store::{JobState, JobStore, JobView, DEFAULT_JOBS_DIR};
pub use jobs::{ColumnPreview, FilePreview, JobList};

/// Default listening address: loopback only. Anything else needs TLS in front (docs/domain.md §6:
/// encryption in transit for any non-loopback deployment).
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Everything `skiptrace serve` needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Index directory (created when absent).
    pub index_dir: PathBuf,
    /// API key file (must exist: see `skiptrace keys add`).
    pub keys_path: PathBuf,
    /// Audit log (created when absent, appended to otherwise).
    pub audit_path: PathBuf,
    /// Key of the audit chain (created when absent); `None` for
    /// [`crate::audit::default_key_path`] of the log.
    pub audit_key_path: Option<PathBuf>,
    /// Checkpoints of the audit log; `None` for [`crate::audit::default_checkpoint_path`].
    pub audit_checkpoints_path: Option<PathBuf>,
    /// Size at which the audit log rotates (0: never).
    pub audit_rotate_bytes: u64,
    /// Where bulk jobs keep their files (created when absent).
    pub jobs_dir: PathBuf,
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Model file; `None` for the shipped model.
    pub model: Option<PathBuf>,
    /// Limits.
    pub limits: Limits,
    /// Serve as a read-only replica: open an existing index without its writer, refuse
    /// record changes, and reload whenever its `meta.json` changes (docs/scaling.md).
    pub read_only: bool,
    /// How often a read-only replica looks for a new commit.
    pub reload_every: std::time::Duration,
}

/// How often a read-only replica looks at its index's `meta.json` by default.
pub const DEFAULT_RELOAD_EVERY_MS: u64 = 1000;

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            index_dir: PathBuf::from(crate::index::DEFAULT_INDEX_DIR),
            keys_path: PathBuf::from(crate::access::DEFAULT_KEYS_FILE),
            audit_path: PathBuf::from(crate::audit::DEFAULT_AUDIT_FILE),
            audit_key_path: None,
            audit_checkpoints_path: None,
            audit_rotate_bytes: crate::audit::segments::DEFAULT_ROTATE_BYTES,
            jobs_dir: PathBuf::from(job_store::DEFAULT_JOBS_DIR),
            addr: DEFAULT_ADDR.parse().expect("the default address parses"),
            model: None,
            limits: Limits::default(),
            read_only: false,
            reload_every: std::time::Duration::from_millis(DEFAULT_RELOAD_EVERY_MS),
        }
    }
}

impl ServerConfig {
    /// The audit key file in use.
    pub fn audit_key_path(&self) -> PathBuf {
        self.audit_key_path
            .clone()
            .unwrap_or_else(|| crate::audit::default_key_path(&self.audit_path))
    }

    /// The audit checkpoint file in use.
    pub fn audit_checkpoints_path(&self) -> PathBuf {
        self.audit_checkpoints_path
            .clone()
            .unwrap_or_else(|| crate::audit::default_checkpoint_path(&self.audit_path))
    }
}

/// Returns the API's router over `state`.
pub fn app(state: AppState) -> Router {
    // `route_layer`s apply to matched routes only; the last one added runs first.
    let v1 = Router::new()
        .route("/v1/search", post(search::search))
        .route("/v1/purposes", get(purposes::purposes))
        .route("/v1/outcomes", post(outcomes::report))
        .route("/v1/records", post(records::upsert))
        .route(
            "/v1/records/{record_id}",
            get(records::get_record).delete(records::delete_record),
        )
        .route_layer(from_fn_with_state(state.clone(), limits::timeout))
        .route_layer(from_fn_with_state(state.clone(), auth::guard))
        .route_layer(from_fn_with_state(state.clone(), audit_layer::audit))
        .route_layer(map_response(no_store));
    // Bulk: the same guard and audit, but no per-request timeout (a file takes as long as it
    // takes) and a larger body limit.
    let file_limit = DefaultBodyLimit::max(state.limits().max_rematch_body_bytes);
    let bulk = Router::new()
        .route("/v1/rematch", post(rematch::rematch).layer(file_limit))
        .route(
            "/v1/jobs",
            post(jobs::submit).layer(file_limit).get(jobs::list),
        )
        .route("/v1/jobs/preview", post(jobs::preview).layer(file_limit))
        .route("/v1/jobs/{job_id}", get(jobs::status).delete(jobs::delete))
        .route("/v1/jobs/{job_id}/result", get(jobs::result))
        .route_layer(from_fn_with_state(state.clone(), auth::guard))
        .route_layer(from_fn_with_state(state.clone(), audit_layer::audit))
        .route_layer(map_response(no_store));
    let operations = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(health::openapi));
    // The collectors' page: static, no personal data, so open like the operations routes.
    let page = Router::new()
        .route("/", get(web::index))
        .route("/app.js", get(web::script))
        .route("/app.css", get(web::stylesheet));
    Router::new()
        .merge(v1)
        .merge(bulk)
        .merge(operations)
        .merge(page)
        .route_layer(from_fn_with_state(state.clone(), metrics::track))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.limits().max_body_bytes))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Marks a `/v1` response (personal data, or a refusal about it) as never to be stored by a
/// browser or proxy cache.
async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let response =
        ApiError::not_found(format!("no route {}", request.uri().path())).into_response();
    state.metrics().record_request(
        request.method().as_str(),
        metrics::UNMATCHED_ROUTE,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn method_not_allowed(request: Request) -> Response {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
    .into_response()
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal(&"a handler panicked").into_response()
}

/// A server bound to its address, not yet serving.
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    state: AppState,
    reload_every: std::time::Duration,
}

impl Server {
    /// Opens the index, keys and audit log, takes the index writer (unless read-only) and
    /// binds the address.
    ///
    /// # Errors
    /// When any of them cannot be opened, the index is locked by another writer, a read-only
    /// server finds no index, or the address cannot be bound.
    pub async fn bind(config: &ServerConfig) -> Result<Server> {
        let index = if config.read_only {
            SkipIndex::open(&config.index_dir)?
        } else {
            SkipIndex::open_or_create(&config.index_dir)?
        };
        let model = match &config.model {
            Some(path) => Model::load(path)?,
            None => Model::default_model(),
        };
        let keys = KeyFileWatch::open(&config.keys_path)?;
        if keys.live_keys() == 0 {
            tracing::warn!(path = %config.keys_path.display(), "no live API key: every call will be refused (skiptrace keys add)");
        }
        let audit = AuditLog::open(
            &config.audit_path,
            AuditKey::load_or_create(&config.audit_key_path())?,
            &config.audit_checkpoints_path(),
        )?
        .rotate_at(config.audit_rotate_bytes);
        let jobs = JobStore::open(&config.jobs_dir)?;
        let state = AppState::new(
            Engine::new(index, model),
            keys,
            audit,
            config.limits.clone(),
            jobs,
            config.read_only,
        )?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| Error::io(config.addr.to_string(), e))?;
        if !config.addr.ip().is_loopback() {
            tracing::warn!(addr = %config.addr, "listening beyond loopback without TLS: put a TLS-terminating proxy in front");
        }
        Ok(Server {
            listener,
            state,
            reload_every: config.reload_every,
        })
    }

    /// Returns the bound address (the real port when bound to port 0).
    ///
    /// # Errors
    /// When the socket cannot report it.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| Error::io("listener", e))
    }

    /// Returns the shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting and lets requests in flight
    /// finish.
    ///
    /// # Errors
    /// When the listener fails.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let addr = self.local_addr()?;
        tracing::info!(
            %addr,
            records = self.state.index().num_records(),
            index = ?self.state.index().path(),
            audit = %self.state.audit().path().display(),
            "serving"
        );
        let state = self.state.clone();
        let limits = self.state.limits().clone();
        let worker = {
            let state = state.clone();
            let runtime = tokio::runtime::Handle::current();
            std::thread::Builder::new()
                .name("skiptrace-jobs".into())
                .spawn(move || jobs::work(&state, &runtime))
                .map_err(|e| Error::io("jobs worker", e))?
        };
        // Checkpoints of the audit log while it is idle (see `AuditLog::checkpoint_if_due`).
        let checkpointing = {
            let state = state.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(crate::audit::CHECKPOINT_INTERVAL);
                loop {
                    ticks.tick().await;
                    let audit = state.clone();
                    let written =
                        tokio::task::spawn_blocking(move || audit.audit().checkpoint_if_due())
                            .await;
                    if let Ok(Err(error)) = written {
                        tracing::error!(%error, "audit checkpoint not written");
                    }
                }
            })
        };
        let reloading = self
            .state
            .is_read_only()
            .then(|| tokio::spawn(follow_commits(state.clone(), self.reload_every)));
        let outcomes = tokio::spawn(follow_outcomes(state.clone(), self.reload_every));
        connections::serve(
            self.listener,
            app(self.state),
            connections::ConnectionLimits {
                header_read_timeout: limits.header_read_timeout,
                max_connections: limits.max_connections,
                max_per_address: limits.max_connections_per_address,
            },
            shutdown,
        )
        .await;
        checkpointing.abort();
        let _ = checkpointing.await;
        if let Some(reloading) = reloading {
            reloading.abort();
            let _ = reloading.await;
        }
        outcomes.abort();
        let _ = outcomes.await;
        // The job in hand stops after its batch and stays queued for the next start.
        state.jobs().shut_down();
        let _ = tokio::task::spawn_blocking(move || worker.join()).await;
        // Connection tasks drop their handles on the state a moment after serve returns; wait
        // for them, so that the index writer and the audit log (final checkpoint) are released
        // when this returns and a restart on the same index can take the writer at once.
        state.release(std::time::Duration::from_secs(5)).await;
        tracing::info!("server stopped");
        Ok(())
    }
}

/// A read-only replica's loop: every `every`, reloads the index when its `meta.json` changed
/// (a writer sharing the directory committed, or `skiptrace replicate` installed a commit).
/// A reload that fails (a commit whose segments were merged away meanwhile) is tried again.
async fn follow_commits(state: AppState, every: std::time::Duration) {
    let Some(dir) = state.index().path().map(std::path::Path::to_path_buf) else {
        return;
    };
    let mut watch = crate::index::replica::CommitWatch::new(&dir);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if !watch.changed() {
            continue;
        }
        let index = state.index().clone();
        match tokio::task::spawn_blocking(move || index.reload()).await {
            Ok(Ok(())) => {
                state.metrics().record_reload();
                tracing::info!(
                    records = state.index().num_records(),
                    commit = %SkipIndex::commit_id(&state.index().searcher()),
                    "new commit loaded"
                );
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "new commit not loaded yet; trying again");
                watch.forget();
            }
            Err(error) => {
                tracing::error!(%error, "reload task failed");
                watch.forget();
            }
        }
    }
}

/// Every `every`, reads the outcome log again when another process appended to it
/// (`skiptrace outcomes` beside the server, `skiptrace replicate` into a replica's copy).
async fn follow_outcomes(state: AppState, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let store = state.index().outcomes().clone();
        match tokio::task::spawn_blocking(move || store.refresh()).await {
            Ok(Ok(true)) => tracing::info!(
                outcomes = state.index().outcomes().len(),
                "outcome log read again"
            ),
            Ok(Ok(false)) => {}
            Ok(Err(error)) => {
                tracing::error!(%error, "outcome log unreadable; keeping the outcomes known")
            }
            Err(error) => tracing::error!(%error, "outcome refresh task failed"),
        }
    }
}

/// Binds and serves until `shutdown` completes (see [`Server`]).
///
/// # Errors
/// As [`Server::bind`] and [`Server::run`].
pub async fn serve(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    Server::bind(&config).await?.run(shutdown).await
}
