//! What every handler shares: the engine, the one index writer, the keys, the audit log, the
//! limits and the metrics.

use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::auth::FailedAuthentications;
use super::error::ApiError;
use super::job_store::JobStore;
use super::limits::{Limits, RateLimiter};
use super::metrics::ServerMetrics;
use super::quota::{DailyRowQuota, EnumerationGuard};
use crate::access::KeyFileWatch;
use crate::audit::AuditLog;
use crate::error::Result;
use crate::index::{RecordWriter, SkipIndex};
use crate::search::Engine;

/// Shared state of one server. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    engine: Engine,
    /// `None` on a read-only replica.
    writer: Option<Arc<Mutex<RecordWriter>>>,
    keys: KeyFileWatch,
    audit: AuditLog,
    limits: Limits,
    permits: Arc<Semaphore>,
    rate_limiter: RateLimiter,
    quota: DailyRowQuota,
    failed_authentications: FailedAuthentications,
    enumeration: EnumerationGuard,
    metrics: ServerMetrics,
    jobs: Arc<JobStore>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("index", self.shared.engine.index())
            .field("keys", &self.shared.keys.path())
            .field("audit", &self.shared.audit.path())
            .field("limits", &self.shared.limits)
            .finish()
    }
}

impl AppState {
    /// Builds the state and, unless `read_only`, takes the index writer, held for the
    /// server's lifetime (tantivy allows one writer per index: `skiptrace index` cannot run on
    /// the same index meanwhile). A read-only replica takes none and refuses record changes.
    ///
    /// # Errors
    /// When another process holds the index writer lock.
    pub fn new(
        engine: Engine,
        keys: KeyFileWatch,
        audit: AuditLog,
        limits: Limits,
        jobs: JobStore,
        read_only: bool,
    ) -> Result<AppState> {
        let writer = if read_only {
            None
        } else {
            Some(Arc::new(Mutex::new(engine.index().writer()?)))
        };
        let permits = Arc::new(Semaphore::new(limits.max_concurrency.max(1)));
        let rate_limiter = RateLimiter::new(limits.rate_per_second, limits.rate_burst);
        let quota = DailyRowQuota::new(limits.daily_rows_per_key);
        let enumeration = EnumerationGuard::new(
            limits.enumeration_variants,
            super::quota::ENUMERATION_WINDOW,
        );
        Ok(AppState {
            shared: Arc::new(Shared {
                engine,
                writer,
                keys,
                audit,
                limits,
                permits,
                rate_limiter,
                quota,
                failed_authentications: FailedAuthentications::default(),
                enumeration,
                metrics: ServerMetrics::new(),
                jobs: Arc::new(jobs),
            }),
        })
    }

    /// Returns the engine.
    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    /// Returns the index.
    pub fn index(&self) -> &SkipIndex {
        self.shared.engine.index()
    }

    /// Returns the watched key file.
    pub fn keys(&self) -> &KeyFileWatch {
        &self.shared.keys
    }

    /// Returns the audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.shared.audit
    }

    /// Returns the bulk jobs.
    pub fn jobs(&self) -> &Arc<JobStore> {
        &self.shared.jobs
    }

    /// Returns the limits.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    pub(crate) fn rate_limiter(&self) -> &RateLimiter {
        &self.shared.rate_limiter
    }

    /// Drops this handle once it is the last one (or `patience` has passed), releasing the
    /// index writer and closing the audit log.
    pub(crate) async fn release(self, patience: std::time::Duration) {
        let started = std::time::Instant::now();
        while Arc::strong_count(&self.shared) > 1 && started.elapsed() < patience {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        if Arc::strong_count(&self.shared) > 1 {
            tracing::warn!("server state still held after shutdown: the index writer stays locked");
        }
    }

    pub(crate) fn failed_authentications(&self) -> &FailedAuthentications {
        &self.shared.failed_authentications
    }

    /// Takes `rows` from the key's daily quota (all or none).
    pub(crate) fn take_rows(&self, key_id: &str, rows: u64) -> Result<(), ApiError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.shared
            .quota
            .take(key_id, rows, now)
            .map_err(|refusal| ApiError::quota_exceeded(rows, refusal))
    }

    /// Refuses (and counts in metrics) a search of one person with one more SSN or DOB
    /// variant than the key may try.
    pub(crate) fn screen_probe(
        &self,
        key_id: &str,
        person: &str,
        variant: &str,
    ) -> Result<(), ApiError> {
        let allowed =
            self.shared
                .enumeration
                .allows(key_id, person, variant, std::time::Instant::now());
        if allowed {
            return Ok(());
        }
        self.shared.metrics.record_enumeration(key_id);
        tracing::warn!(
            key_id,
            "enumeration suspected: one person searched with many SSNs or DOBs"
        );
        Err(ApiError::enumeration_suspected(
            self.shared.limits.enumeration_variants,
        ))
    }

    pub(crate) fn metrics(&self) -> &ServerMetrics {
        &self.shared.metrics
    }

    /// Waits for a slot to run engine work in.
    pub(crate) async fn engine_permit(&self) -> Option<OwnedSemaphorePermit> {
        self.shared.permits.clone().acquire_owned().await.ok()
    }

    /// Says whether this server is a read-only replica (no index writer).
    pub fn is_read_only(&self) -> bool {
        self.shared.writer.is_none()
    }

    /// Waits for the index writer.
    ///
    /// # Errors
    /// `read_only` on a read-only replica.
    pub(crate) async fn writer(&self) -> Result<OwnedMutexGuard<RecordWriter>, ApiError> {
        match &self.shared.writer {
            Some(writer) => Ok(writer.clone().lock_owned().await),
            None => Err(ApiError::new(
                super::error::ErrorCode::ReadOnly,
                "this server is a read-only replica: send record changes to the writer",
            )),
        }
    }
}
