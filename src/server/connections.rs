//! Accepting connections: hyper's HTTP/1 server under an accept loop of our own, because
//! `axum::serve` sets no header-read timeout and no connection limit. Without them, 19,985
//! connections that each sent half a request held every file descriptor, `/healthz` failed, and
//! the connections were still open a minute later.
//!
//! - A connection that has not sent a whole request head within the header-read timeout is
//!   closed; so is an idle keep-alive connection whose next head does not come in time.
//! - One source address holds at most its share of the places; past it, its new connections
//!   are closed at once, so one client cannot fill the server.
//! - The last few places are a reserve on which only `/healthz`, `/readyz` and `/metrics` are
//!   served (anything else gets 503 `overloaded`), so a health check gets through while every
//!   other place is taken. Past the limit, a new connection is closed at once (slow ones free
//!   their places within the timeout).
//! - Shutdown stops accepting, lets requests in flight finish, and closes idle connections.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Default time a client has to send a whole request head (also how long an idle keep-alive
/// connection waits for its next one), in milliseconds.
pub const DEFAULT_HEADER_READ_TIMEOUT_MS: u64 = 10_000;

/// Default number of connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Default number of connections one source address may hold (raise it to the limit behind a
/// load balancer, where every request shares the balancer's address).
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 256;

/// Most places kept for health checks.
const HEALTH_RESERVE_MAX: usize = 32;

/// Routes served on a reserve place.
const HEALTH_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Places kept for health checks out of `max_connections`: a sixteenth, between 1 and
/// 32 (none when the limit is 1).
pub fn health_reserve(max_connections: usize) -> usize {
    if max_connections < 2 {
        return 0;
    }
    (max_connections / 16).clamp(1, HEALTH_RESERVE_MAX)
}

/// Connections held per source address.
#[derive(Debug, Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One connection counted against its address; uncounted when dropped.
struct AddressPlace {
    counts: Arc<PerAddress>,
    address: IpAddr,
}

impl PerAddress {
    fn admit(counts: &Arc<PerAddress>, address: IpAddr, cap: usize) -> Option<AddressPlace> {
        let mut held = counts.0.lock().ok()?;
        let count = held.entry(address).or_insert(0);
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(AddressPlace {
            counts: counts.clone(),
            address,
        })
    }
}

impl Drop for AddressPlace {
    fn drop(&mut self) {
        if let Ok(mut held) = self.counts.0.lock() {
            if let Some(count) = held.get_mut(&self.address) {
                *count -= 1;
                if *count == 0 {
                    held.remove(&self.address);
                }
            }
        }
    }
}

/// What a connection may hold: the general limit, and the per-address cap.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub max_per_address: usize,
}

/// Middleware of a connection on a reserve place: health routes only.
async fn health_only(request: Request, next: Next) -> Response {
    if HEALTH_ROUTES.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let mut response = super::error::ApiError::new(
        super::error::ErrorCode::Overloaded,
        "every connection place is taken; only health checks are served on this one: retry \
         later",
    )
    .into_response();
    // Close it, so the retry gets a normal place once one is free.
    response.headers_mut().insert(
        axum::http::header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response
}

/// How long shutdown waits for requests in flight before closing their connections.
const DRAIN: Duration = Duration::from_secs(30);

/// Pause after a failed accept (out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `shutdown` completes.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let max_connections = limits.max_connections.max(1);
    let reserve = health_reserve(max_connections);
    let places = Arc::new(Semaphore::new(max_connections - reserve));
    let reserve_places = Arc::new(Semaphore::new(reserve));
    let per_address = Arc::new(PerAddress::default());
    let health_app = app.clone().layer(axum::middleware::from_fn(health_only));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let (socket, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(address_place) =
            PerAddress::admit(&per_address, remote.ip(), limits.max_per_address.max(1))
        else {
            tracing::warn!(%remote, max_per_address = limits.max_per_address, "connection limit per address reached: closing a new connection");
            drop(socket);
            continue;
        };
        let (place, routes) = match places.clone().try_acquire_owned() {
            Ok(place) => (place, &app),
            Err(_) => match reserve_places.clone().try_acquire_owned() {
                Ok(place) => (place, &health_app),
                Err(_) => {
                    tracing::warn!(%remote, max_connections, "connection limit reached: closing a new connection");
                    drop(socket);
                    continue;
                }
            },
        };
        // The peer's address goes with each request (failed authentications are counted per
        // address).
        let service =
            TowerToHyperService::new(routes.clone().layer(Extension(ConnectInfo(remote))));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(socket), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "connection ended with an error");
            }
            drop(place);
            drop(address_place);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {
            tracing::warn!("requests still in flight after {} s: closing", DRAIN.as_secs());
        }
    }
}
