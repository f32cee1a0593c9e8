//! What every handler shares: the engine, the one index writer, the keys, the audit log, the
//! limits and the metrics.

use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::limits::{Limits, RateLimiter};
use super::metrics::ServerMetrics;
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
    writer: Arc<Mutex<RecordWriter>>,
    keys: KeyFileWatch,
    audit: AuditLog,
    limits: Limits,
    permits: Arc<Semaphore>,
    rate_limiter: RateLimiter,
    metrics: ServerMetrics,
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
    /// Builds the state and takes the index writer, held for the server's lifetime (tantivy
    /// allows one writer per index: `skiptrace index` cannot run on the same index meanwhile).
    ///
    /// # Errors
    /// When another process holds the index writer lock.
    pub fn new(
        engine: Engine,
        keys: KeyFileWatch,
        audit: AuditLog,
        limits: Limits,
    ) -> Result<AppState> {
        let writer = engine.index().writer()?;
        let permits = Arc::new(Semaphore::new(limits.max_concurrency.max(1)));
        let rate_limiter = RateLimiter::new(limits.rate_per_second, limits.rate_burst);
        Ok(AppState {
            shared: Arc::new(Shared {
                engine,
                writer: Arc::new(Mutex::new(writer)),
                keys,
                audit,
                limits,
                permits,
                rate_limiter,
                metrics: ServerMetrics::new(),
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

    /// Returns the limits.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    pub(crate) fn rate_limiter(&self) -> &RateLimiter {
        &self.shared.rate_limiter
    }

    pub(crate) fn metrics(&self) -> &ServerMetrics {
        &self.shared.metrics
    }

    /// Waits for a slot to run engine work in.
    pub(crate) async fn engine_permit(&self) -> Option<OwnedSemaphorePermit> {
        self.shared.permits.clone().acquire_owned().await.ok()
    }

    /// Waits for the index writer.
    pub(crate) async fn writer(&self) -> OwnedMutexGuard<RecordWriter> {
        self.shared.writer.clone().lock_owned().await
    }
}
