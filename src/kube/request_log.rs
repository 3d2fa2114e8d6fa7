//! `TARE_DEBUG_HTTP=1`: every API request on stderr with its status and
//! latency, like `kubectl -v=6`, to see where an install spends its time.
//! Only methods, paths and status codes are printed, never bodies or headers,
//! so secrets and tokens cannot leak.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use tower::{Layer, Service};

/// Whether the operator asked for the request log.
pub fn enabled() -> bool {
    std::env::var_os("TARE_DEBUG_HTTP").is_some_and(|v| v != "0" && !v.is_empty())
}

/// The layer that wraps kube's HTTP stack.
#[derive(Debug, Clone, Copy)]
pub struct RequestLog;

impl<S> Layer<S> for RequestLog {
    type Service = Logged<S>;

    fn layer(&self, inner: S) -> Logged<S> {
        start();
        Logged { inner }
    }
}

#[derive(Debug, Clone)]
pub struct Logged<S> {
    inner: S,
}

impl<S, B, R> Service<Request<B>> for Logged<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<R>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let what = format!(
            "{} {}",
            request.method(),
            request.uri().path_and_query().map_or("/", |p| p.as_str())
        );
        let sent = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await;
            let status = match &response {
                Ok(response) => response.status().as_u16().to_string(),
                Err(_) => "error".to_string(),
            };
            eprintln!(
                "[{:>6.1} ms] {what} {status} in {:.1} ms",
                start().elapsed().as_secs_f64() * 1e3,
                sent.elapsed().as_secs_f64() * 1e3
            );
            response
        })
    }
}

/// When the first client was built: the log's time origin.
fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}
