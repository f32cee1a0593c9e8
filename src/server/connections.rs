//! Accepting connections: hyper's HTTP/1 server under an accept loop of our own, because
//! `axum::serve` sets no header-read timeout and no connection limit. Without them, 19,985
//! connections that each sent half a request held every file descriptor, `/healthz` failed, and
//! the connections were still open a minute later.
//!
//! - A connection that has not sent a whole request head within the header-read timeout is
//!   closed; so is an idle keep-alive connection whose next head does not come in time.
//! - Past the connection limit, a new connection is closed at once (the slow ones free their
//!   places within the timeout, so health checks get through again).
//! - Shutdown stops accepting, lets requests in flight finish, and closes idle connections.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
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

/// How long shutdown waits for requests in flight before closing their connections.
const DRAIN: Duration = Duration::from_secs(30);

/// Pause after a failed accept (out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `shutdown` completes.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    max_connections: usize,
    shutdown: impl Future<Output = ()>,
) {
    let places = Arc::new(Semaphore::new(max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
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
        let Ok(place) = places.clone().try_acquire_owned() else {
            tracing::warn!(%remote, max_connections, "connection limit reached: closing a new connection");
            drop(socket);
            continue;
        };
        // The peer's address goes with each request (failed authentications are counted per
        // address).
        let service = TowerToHyperService::new(app.clone().layer(Extension(ConnectInfo(remote))));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(socket), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "connection ended with an error");
            }
            drop(place);
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
