//! Logs and metrics. Logging is process-wide (one tracing subscriber); metrics are per
//! [`Application`](crate::startup::Application): each instance owns its Prometheus recorder,
//! so two servers in one test process never mix their counters.

use std::sync::Arc;

use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::app::api_keys::AuthMetrics;
use crate::app::webhooks::WebhookMetrics;
use crate::config::{LogConfig, LogFormat};

/// Installs the global tracing subscriber. Call once per process; later calls are ignored
/// (tests start many servers in one process).
pub fn init_logging(config: &LogConfig) {
    let filter = EnvFilter::try_new(&config.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match config.format {
        LogFormat::Json => registry
            .with(tracing_subscriber::fmt::layer().json().flatten_event(true).with_current_span(true))
            .try_init(),
        LogFormat::Pretty => registry.with(tracing_subscriber::fmt::layer().compact()).try_init(),
    };
    // Already installed: keep the first one.
    drop(result);
}

/// Latency buckets (seconds) for every `*_seconds` histogram: 0.5 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// This instance's metrics registry, rendered at GET /metrics in Prometheus text format.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<MetricsInner>,
}

struct MetricsInner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    process: metrics_process::Collector,
}

static METADATA: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, None);

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        let process = metrics_process::Collector::default();
        metrics::with_local_recorder(&recorder, || process.describe());
        Self { inner: Arc::new(MetricsInner { recorder, handle, process }) }
    }

    /// The recorder, for components that register their own metric handles once.
    pub fn recorder(&self) -> &dyn Recorder {
        &self.inner.recorder
    }

    pub fn counter(&self, name: &'static str, labels: &[(&'static str, String)]) -> Counter {
        self.inner.recorder.register_counter(&key(name, labels), &METADATA)
    }

    pub fn gauge(&self, name: &'static str, labels: &[(&'static str, String)]) -> Gauge {
        self.inner.recorder.register_gauge(&key(name, labels), &METADATA)
    }

    pub fn histogram(&self, name: &'static str, labels: &[(&'static str, String)]) -> Histogram {
        self.inner.recorder.register_histogram(&key(name, labels), &METADATA)
    }

    /// The Prometheus text exposition, with fresh process metrics (memory, CPU, fds).
    pub fn render(&self) -> String {
        metrics::with_local_recorder(&self.inner.recorder, || self.inner.process.collect());
        self.inner.handle.render()
    }

    /// Drains histogram buffers; run periodically so memory stays bounded between scrapes.
    pub fn run_upkeep(&self) {
        self.inner.handle.run_upkeep();
    }
}

fn key(name: &'static str, labels: &[(&'static str, String)]) -> Key {
    Key::from_parts(name, labels.iter().map(|(k, v)| Label::new(*k, v.clone())).collect::<Vec<_>>())
}

/// The authentication path's counters: outcomes by reason, cache hits and misses, argon2
/// verifications performed.
pub fn auth_metrics(metrics: &Metrics) -> AuthMetrics {
    let outcome = |reason: &str| metrics.counter("api_key_auth_total", &[("outcome", reason.to_owned())]);
    AuthMetrics {
        ok: outcome("ok"),
        missing: outcome("missing"),
        malformed: outcome("malformed"),
        bad_checksum: outcome("bad_checksum"),
        unknown: outcome("unknown"),
        mismatch: outcome("mismatch"),
        revoked: outcome("revoked"),
        expired: outcome("expired"),
        inactive: outcome("inactive"),
        unavailable: outcome("unavailable"),
        cache_hits: metrics.counter("api_key_cache_total", &[("result", "hit".to_owned())]),
        cache_misses: metrics.counter("api_key_cache_total", &[("result", "miss".to_owned())]),
        argon2_verifications: metrics.counter("api_key_argon2_verifications_total", &[]),
    }
}

/// The ingest path's counters: received by route, verified, rejected by reason, stored by
/// kind, duplicates, unrouted; and the ingest latency.
pub fn webhook_metrics(metrics: &Metrics) -> WebhookMetrics {
    let received = |route: &str| metrics.counter("webhooks_received_total", &[("route", route.to_owned())]);
    let (rejected, stored) = (metrics.clone(), metrics.clone());
    WebhookMetrics {
        received_per_app: received("app"),
        received_legacy: received("legacy"),
        verified: metrics.counter("webhooks_verified_total", &[]),
        rejected: Arc::new(move |reason| rejected.counter("webhooks_rejected_total", &[("reason", reason.to_owned())])),
        stored: Arc::new(move |kind| stored.counter("webhooks_stored_total", &[("kind", kind.as_str().to_owned())])),
        duplicates: metrics.counter("webhooks_duplicates_total", &[]),
        unrouted: metrics.counter("webhooks_unrouted_total", &[]),
        ingest_seconds: metrics.histogram("webhook_ingest_duration_seconds", &[]),
    }
}

/// The live streams' gauges, counters and delivery delay.
pub fn realtime_metrics(metrics: &Metrics) -> crate::app::realtime::RealtimeMetrics {
    crate::app::realtime::RealtimeMetrics {
        open: metrics.gauge("ws_connections_open", &[]),
        sent: metrics.counter("ws_messages_sent_total", &[]),
        slow_cut: metrics.counter("ws_slow_clients_cut_total", &[]),
        heartbeat_timeouts: metrics.counter("ws_heartbeat_timeouts_total", &[]),
        publish_dropped: metrics.counter("ws_publish_dropped_total", &[]),
        credentials_ended: metrics.counter("ws_credentials_ended_total", &[]),
        delivery_seconds: metrics.histogram("ws_delivery_delay_seconds", &[]),
    }
}

/// Requests refused by rate limits, by limit, and checks the limiter could not answer.
pub fn rate_limit_metrics(metrics: &Metrics) -> crate::app::rate_limits::RateLimitMetrics {
    crate::app::rate_limits::RateLimitMetrics {
        app_limited: metrics.counter("rate_limited_total", &[("limit", "app".to_owned())]),
        internal_limited: metrics.counter("rate_limited_total", &[("limit", "internal".to_owned())]),
        client_refused: metrics.counter("rate_limited_total", &[("limit", "client".to_owned())]),
        unavailable: metrics.counter("rate_limiter_unavailable_total", &[]),
    }
}

/// The Dialpad connections' counters.
pub fn dialpad_metrics(metrics: &Metrics) -> crate::app::dialpad::DialpadMetrics {
    let (refreshes, api, api_seconds, ring_pops) = (metrics.clone(), metrics.clone(), metrics.clone(), metrics.clone());
    crate::app::dialpad::DialpadMetrics {
        refreshes: Arc::new(move |result| {
            refreshes.counter("dialpad_token_refreshes_total", &[("result", result.to_owned())])
        }),
        connected: metrics.counter("dialpad_connects_total", &[]),
        disconnected: metrics.counter("dialpad_disconnects_total", &[]),
        api: Arc::new(move |operation, outcome| {
            let labels = [("operation", operation.to_owned()), ("outcome", outcome.to_owned())];
            api.counter("dialpad_api_requests_total", &labels)
        }),
        api_seconds: Arc::new(move |operation| {
            api_seconds.histogram("dialpad_api_request_duration_seconds", &[("operation", operation.to_owned())])
        }),
        ring_pops: Arc::new(move |outcome| {
            ring_pops.counter("dialpad_ring_screen_pops_total", &[("outcome", outcome.to_owned())])
        }),
    }
}
