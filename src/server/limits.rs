//! Explicit limits: body size, per-request timeout, engine concurrency and a per-key rate limit,
//! each with a documented default.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::state::AppState;

/// Default largest request body: 4 MiB (a few thousand records per `POST /v1/records`; use
/// `skiptrace index` for bulk loads).
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Default largest body of `POST /v1/rematch` (a whole returned-mail file): 256 MiB.
pub const DEFAULT_MAX_REMATCH_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Default time a request may take, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// Default sustained requests per second per key.
pub const DEFAULT_RATE_PER_SECOND: f64 = 10.0;

/// Default burst per key (requests allowed at once before the rate applies).
pub const DEFAULT_RATE_BURST: u32 = 20;

/// The server's limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Largest body of `POST /v1/rematch` (413 above).
    pub max_rematch_body_bytes: usize,
    /// Time a request may take (503 `timeout` after). A record change that has started to
    /// write is never cut off: it finishes and reports what it did. Not applied to
    /// `POST /v1/rematch`, whose run time grows with its file.
    pub timeout: Duration,
    /// Engine operations (searches, record reads and changes) running at once; more wait, up to
    /// the timeout.
    pub max_concurrency: usize,
    /// Sustained requests per second per key (token bucket); 0 or less disables the limit.
    pub rate_per_second: f64,
    /// Bucket size: requests a key may make at once.
    pub rate_burst: u32,
    /// Rows a key may search per UTC day, each search and each bulk row counting one; 0
    /// disables the quota.
    pub daily_rows_per_key: u64,
    /// SSN/DOB variants a key may try for one person within an hour before further ones are
    /// refused (`enumeration_suspected`); 0 disables the guard.
    pub enumeration_variants: usize,
    /// Time a client has to send a whole request head, and an idle keep-alive connection waits
    /// for its next one; the connection is closed after.
    pub header_read_timeout: Duration,
    /// Connections open at once; a new one past it is closed at once. The last
    /// [`super::health_reserve`] of them serve health checks only.
    pub max_connections: usize,
    /// Connections one source address may hold at once; a new one past it is closed at once.
    pub max_connections_per_address: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_rematch_body_bytes: DEFAULT_MAX_REMATCH_BODY_BYTES,
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            max_concurrency: default_max_concurrency(),
            rate_per_second: DEFAULT_RATE_PER_SECOND,
            rate_burst: DEFAULT_RATE_BURST,
            daily_rows_per_key: super::quota::DEFAULT_DAILY_ROWS_PER_KEY,
            enumeration_variants: super::quota::DEFAULT_ENUMERATION_VARIANTS,
            header_read_timeout: Duration::from_millis(
                super::connections::DEFAULT_HEADER_READ_TIMEOUT_MS,
            ),
            max_connections: super::connections::DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: super::connections::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        }
    }
}

/// Default engine concurrency: the number of CPUs (matching is CPU-bound; more would only queue
/// inside the thread pools).
pub fn default_max_concurrency() -> usize {
    std::thread::available_parallelism().map_or(4, usize::from)
}

/// Token buckets per key id.
#[derive(Debug)]
pub struct RateLimiter {
    rate_per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// Builds a limiter; `rate_per_second <= 0` allows everything.
    pub fn new(rate_per_second: f64, burst: u32) -> RateLimiter {
        RateLimiter {
            rate_per_second,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key_id` at `now`; `Err(seconds)` says when to retry.
    pub fn check(&self, key_id: &str, now: Instant) -> Result<(), u64> {
        if self.rate_per_second <= 0.0 {
            return Ok(());
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let bucket = buckets.entry(key_id.to_string()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate_per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait_seconds = (1.0 - bucket.tokens) / self.rate_per_second;
        Err((wait_seconds.ceil() as u64).max(1))
    }
}

/// Set by a handler just before it starts a change that must not be cut off (a commit): the
/// timeout then waits for the handler instead of answering 503, so a caller is never told a
/// change failed when it landed, and the audit log records what really happened.
#[derive(Debug, Clone, Default)]
pub(crate) struct PointOfNoReturn(Arc<AtomicBool>);

impl PointOfNoReturn {
    /// Marks the point passed.
    pub(crate) fn pass(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn passed(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Middleware: answers 503 `timeout` when the request takes longer than the limit, unless it
/// has passed its [`PointOfNoReturn`].
pub(crate) async fn timeout(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let point = PointOfNoReturn::default();
    request.extensions_mut().insert(point.clone());
    let handler = next.run(request);
    tokio::pin!(handler);
    tokio::select! {
        biased;
        response = &mut handler => response,
        () = tokio::time::sleep(state.limits().timeout) => {
            if point.passed() {
                handler.await
            } else {
                ApiError::timeout().into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_rate_limit_allows_the_burst_then_asks_to_wait() {
        let limiter = RateLimiter::new(1.0, 2);
        let start = Instant::now();
        assert!(limiter.check("a", start).is_ok());
        assert!(limiter.check("a", start).is_ok());
        assert_eq!(limiter.check("a", start), Err(1));
        assert!(limiter.check("b", start).is_ok(), "buckets are per key");
        let later = start + Duration::from_millis(1_100);
        assert!(limiter.check("a", later).is_ok(), "refilled at the rate");
        assert_eq!(
            limiter.check("a", later),
            Err(1),
            "empty again: retry in a second"
        );
    }

    #[test]
    fn server_rate_limit_retry_after_reflects_the_rate() {
        let limiter = RateLimiter::new(0.1, 1);
        let start = Instant::now();
        assert!(limiter.check("a", start).is_ok());
        assert_eq!(limiter.check("a", start), Err(10));
        let disabled = RateLimiter::new(0.0, 1);
        for _ in 0..100 {
            assert!(disabled.check("a", start).is_ok());
        }
    }
}
