//! Request id, one access-log line and the HTTP metrics for every request, matched or not.
//! The request id comes from a well-formed incoming `x-request-id` (a proxy's) or is new; it
//! is echoed in the response and carried by the span, so every log line about the request
//! has it. Only the path is logged: query strings may hold credentials (`/ws?api_key=`).

use std::time::Instant;

use salvo::http::HeaderValue;
use salvo::prelude::*;
use tracing::Instrument;

use crate::telemetry::Metrics;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request id, stored in the depot for handlers that want it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub struct Observe {
    metrics: Metrics,
}

impl Observe {
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

/// Accepts a caller's id only if it is short and plain, so it cannot forge log content.
fn incoming_id(req: &Request) -> Option<String> {
    let raw = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    ok.then(|| raw.to_owned())
}

#[async_trait]
impl Handler for Observe {
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
        let started = Instant::now();
        // A v4 UUID from the thread-local CSPRNG: no getrandom system call per request.
        let request_id = incoming_id(req)
            .unwrap_or_else(|| uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string());
        // At ERROR level so that it is enabled whatever LOG_LEVEL lets through: every line
        // about the request (a warning, an error) carries the request id.
        let span = tracing::error_span!(
            "http",
            request_id = %request_id,
            method = %req.method(),
            path = %req.uri().path(),
            app_id = tracing::field::Empty,
        );
        depot.insert_typed(RequestId(request_id.clone()));
        ctrl.call_next(req, depot, res).instrument(span.clone()).await;

        let status = res.status_code.unwrap_or(StatusCode::OK);
        let route = match req.matched_path() {
            "" if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED => "unmatched".to_owned(),
            path => format!("/{path}"),
        };
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            res.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        let elapsed = started.elapsed();
        span.in_scope(|| {
            tracing::info!(
                status = status.as_u16(),
                route = %route,
                latency_ms = elapsed.as_secs_f64() * 1000.0,
                "request finished"
            );
        });
        let labels =
            [("method", req.method().as_str().to_owned()), ("route", route), ("status", status.as_u16().to_string())];
        self.metrics.counter("http_requests_total", &labels).increment(1);
        self.metrics.histogram("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    }
}
