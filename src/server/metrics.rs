//! Prometheus metrics: request counts and latency histograms by method, route and status, the
//! index size, and searches refused as enumeration. Each server has its own recorder (not the process-global one), so several
//! servers in one process (tests) keep separate counts.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics::Recorder;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use super::state::AppState;
use crate::index::SkipIndex;

/// Requests served, by method, route and status.
pub const REQUESTS_TOTAL: &str = "skiptrace_http_requests_total";
/// Request latency in seconds, by method, route and status.
pub const REQUEST_DURATION_SECONDS: &str = "skiptrace_http_request_duration_seconds";
/// Live records in the index.
pub const INDEX_RECORDS: &str = "skiptrace_index_records";
/// Bytes the index occupies on disk.
pub const INDEX_SIZE_BYTES: &str = "skiptrace_index_size_bytes";
/// 1 while the audit log accepts lines, 0 after a failed write.
pub const AUDIT_HEALTHY: &str = "skiptrace_audit_log_healthy";

/// Searches refused as enumeration (one person, many SSNs or DOBs), by key id.
pub const ENUMERATION_SUSPECTED: &str = "skiptrace_enumeration_suspected_total";

/// Commits a read-only replica loaded since it started.
pub const INDEX_RELOADS: &str = "skiptrace_index_reloads_total";

/// Latency buckets in seconds: a search takes milliseconds; a large upsert, seconds.
const LATENCY_BUCKETS_SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Route label of requests that matched no route (keeps label values bounded).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// A server's recorder and the handle that renders it.
pub(crate) struct ServerMetrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl ServerMetrics {
    pub(crate) fn new() -> ServerMetrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(REQUEST_DURATION_SECONDS.to_string()),
                &LATENCY_BUCKETS_SECONDS,
            )
            .expect("latency buckets are non-empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = ServerMetrics { recorder, handle };
        metrics.with(|| {
            metrics::describe_counter!(REQUESTS_TOTAL, "HTTP requests served");
            metrics::describe_histogram!(
                REQUEST_DURATION_SECONDS,
                metrics::Unit::Seconds,
                "HTTP request latency"
            );
            metrics::describe_gauge!(INDEX_RECORDS, "live records in the index");
            metrics::describe_gauge!(INDEX_SIZE_BYTES, metrics::Unit::Bytes, "index size on disk");
            metrics::describe_gauge!(AUDIT_HEALTHY, "1 while the audit log accepts lines");
            metrics::describe_counter!(
                INDEX_RELOADS,
                "new index commits a read-only replica loaded"
            );
            metrics::describe_counter!(
                ENUMERATION_SUSPECTED,
                "searches refused: one person searched with many SSNs or DOBs"
            );
        });
        metrics
    }

    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&self.recorder as &dyn Recorder, f)
    }

    /// Counts one request.
    pub(crate) fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = [
            ("method", method.to_string()),
            ("route", route.to_string()),
            ("status", status.to_string()),
        ];
        self.with(|| {
            metrics::counter!(REQUESTS_TOTAL, &labels).increment(1);
            metrics::histogram!(REQUEST_DURATION_SECONDS, &labels).record(seconds);
        });
    }

    /// Counts a search refused as enumeration.
    pub(crate) fn record_enumeration(&self, key_id: &str) {
        let labels = [("key_id", key_id.to_string())];
        self.with(|| metrics::counter!(ENUMERATION_SUSPECTED, &labels).increment(1));
    }

    /// Counts a commit a read-only replica loaded.
    pub(crate) fn record_reload(&self) {
        self.with(|| metrics::counter!(INDEX_RELOADS).increment(1));
    }

    /// Renders every metric in the Prometheus text format, index figures refreshed first.
    pub(crate) fn render(&self, index: &SkipIndex, audit_healthy: bool) -> String {
        let records = index.num_records() as f64;
        let bytes = index.size_on_disk() as f64;
        self.with(|| {
            metrics::gauge!(INDEX_RECORDS).set(records);
            metrics::gauge!(INDEX_SIZE_BYTES).set(bytes);
            metrics::gauge!(AUDIT_HEALTHY).set(if audit_healthy { 1.0 } else { 0.0 });
        });
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// Middleware: counts and times every routed request.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE.to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    state.metrics().record_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
