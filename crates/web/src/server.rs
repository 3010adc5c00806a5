//! The accept loop: HTTP/1.1 over hyper with the limits a server facing the internet needs
//! against slow or hoarding clients.
//!
//! - **Header read timeout**: a request's head (request line and headers) must arrive in
//!   full within [`ServeOptions::header_read_timeout`], counted from the moment the
//!   connection waits for it: a new connection, and a kept-alive one between requests alike
//!   (hyper starts the clock there), so a keep-alive connection never idles longer either.
//! - **Idle timeout**: a connection on which nothing is received or sent for
//!   [`ServeOptions::idle_timeout`] while the server is not working on a response (a
//!   request body that stalls, a client that stops reading the answer) is closed. Time a
//!   handler spends computing does not count.
//! - **Connection cap**: at most [`ServeOptions::max_connections`] connections are served
//!   at once. Over the cap the server stops accepting: further connections wait in the
//!   listen backlog of the kernel and are taken as soon as a served one closes (the
//!   timeouts above bound how long that takes). They are not refused.
//! - **Accept errors** (out of file descriptors, `EMFILE`) are logged and retried after a
//!   short pause; they never end the loop.
//!
//! Shutdown is graceful: no new connection is accepted, idle ones close, requests in
//! flight finish. Each request carries `ConnectInfo<SocketAddr>` like `axum::serve`.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// Limits of the HTTP server (see the module documentation).
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

/// How long the loop pauses after an accept error that is not the peer's doing.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` until `shutdown` resolves, then finishes the requests in
/// flight.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(opts.max_connections.max(1)));
    // Connections watch `stop` to begin their graceful shutdown; each holds a `done`
    // receiver, so `done_tx.closed()` resolves when the last one has ended.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    let mut last_warning: Option<Instant> = None;
    let mut errors_since_warning = 0u64;
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) if is_peer_error(&e) => continue,
                Err(e) => {
                    // EMFILE/ENFILE/ENOBUFS: the connection stays in the backlog; pause so
                    // the loop does not spin, and say so at most every 10 s.
                    errors_since_warning += 1;
                    if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                        tracing::warn!(error = %e, errors = errors_since_warning, "accepting a connection failed; retrying");
                        last_warning = Some(Instant::now());
                        errors_since_warning = 0;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                        () = &mut shutdown => break,
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = Connection {
            router: router.clone(),
            opts: opts.clone(),
            remote,
        };
        let stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            conn.run(stream, stop).await;
            drop(permit);
            drop(done);
        });
    }
    drop(listener);
    tracing::info!("no longer accepting connections; finishing the requests in flight");
    let _ = stop_tx.send(true);
    drop(stop_rx);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

/// Errors of one connection that came and went before it was accepted.
fn is_peer_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

struct Connection {
    router: Router,
    opts: ServeOptions,
    remote: SocketAddr,
}

impl Connection {
    async fn run(self, stream: TcpStream, mut stop: watch::Receiver<bool>) {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let (router, remote) = (self.router, self.remote);
        let svc_activity = activity.clone();
        let svc = tower::service_fn(move |req: Request<Incoming>| {
            let activity = svc_activity.clone();
            let router = router.clone();
            activity.handling.store(true, Ordering::Relaxed);
            let mut req = req.map(|b| {
                Body::new(WatchedBody {
                    inner: b,
                    activity: activity.clone(),
                })
            });
            req.extensions_mut().insert(ConnectInfo(remote));
            async move {
                let r = tower::ServiceExt::oneshot(router, req).await;
                activity.handling.store(false, Ordering::Relaxed);
                activity.touch();
                r
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.opts.header_read_timeout)
            .keep_alive(true);
        let conn = builder.serve_connection(io, hyper_util::service::TowerToHyperService::new(svc));
        let mut conn = pin!(conn);
        let mut stopping = *stop.borrow();
        if stopping {
            conn.as_mut().graceful_shutdown();
        }
        let idle = self.opts.idle_timeout;
        loop {
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(%remote, error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = activity.idle_for(idle) => {
                    tracing::debug!(%remote, "closing a connection idle for {} s", idle.as_secs());
                    return;
                }
                changed = stop.changed(), if !stopping => {
                    if changed.is_err() || *stop.borrow() {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

/// What the idle timer watches on one connection.
struct Activity {
    start: Instant,
    /// Milliseconds since `start` of the last byte received or sent.
    last_ms: AtomicU64,
    /// A handler is working on a request.
    handling: AtomicBool,
    /// ... but waits for the client's body.
    waiting_body: AtomicBool,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            handling: AtomicBool::new(false),
            waiting_body: AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Whether the server waits on the client (not on a handler computing).
    fn waits_on_client(&self) -> bool {
        !self.handling.load(Ordering::Relaxed) || self.waiting_body.load(Ordering::Relaxed)
    }

    /// Resolves once the connection has been idle for `limit` while waiting on the client.
    async fn idle_for(&self, limit: Duration) {
        let limit_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        loop {
            let quiet = self
                .now_ms()
                .saturating_sub(self.last_ms.load(Ordering::Relaxed));
            if quiet >= limit_ms && self.waits_on_client() {
                return;
            }
            let wait = limit_ms.saturating_sub(quiet).max(limit_ms / 4).max(20);
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
    }
}

/// The socket, noting each byte that moves.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body that tells the idle timer when the handler waits for the client.
struct WatchedBody {
    inner: Incoming,
    activity: Arc<Activity>,
}

impl HttpBody for WatchedBody {
    type Data = hyper::body::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        let waiting = r.is_pending();
        self.activity.waiting_body.store(waiting, Ordering::Relaxed);
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for WatchedBody {
    fn drop(&mut self) {
        self.activity.waiting_body.store(false, Ordering::Relaxed);
    }
}
