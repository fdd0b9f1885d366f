//! A closed-loop load generator: `concurrency` workers each send the next request as soon as
//! the previous one is answered, for `duration`. Latencies go to an HDR histogram.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// What one run measured.
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency_us: Histogram<u64>,
    /// CPU time the server spent meanwhile, when measured.
    pub server_cpu: Option<Duration>,
}

impl Stats {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        self.latency_us.value_at_quantile(p / 100.0) as f64 / 1000.0
    }

    /// Server CPU microseconds per request, when measured.
    pub fn cpu_per_request_us(&self) -> Option<f64> {
        self.server_cpu.map(|cpu| cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64)
    }

    pub fn merge(&mut self, other: &Stats) {
        self.server_cpu = match (self.server_cpu, other.server_cpu) {
            (Some(a), Some(b)) => Some(a + b),
            (None, b) if self.requests == 0 => b,
            _ => None,
        };
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latency_us.add(&other.latency_us).expect("same bounds");
    }

    pub fn empty() -> Self {
        Self { requests: 0, errors: 0, elapsed: Duration::ZERO, latency_us: histogram(), server_cpu: None }
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

/// Runs `request` from `concurrency` workers for `duration`. `request(worker, n)` resolves to
/// whether the answer was the expected one.
pub async fn run<F, Fut>(concurrency: usize, duration: Duration, request: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let deadline = started + duration;
    let workers = (0..concurrency).map(|worker| {
        let request = request.clone();
        tokio::spawn(async move {
            let mut stats = Stats::empty();
            let mut n = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let ok = request(worker, n).await;
                stats.latency_us.saturating_record(sent.elapsed().as_micros() as u64);
                stats.requests += 1;
                stats.errors += u64::from(!ok);
                n += 1;
            }
            stats
        })
    });
    let mut total = Stats::empty();
    for worker in futures_util::future::join_all(workers).await {
        total.merge(&worker.expect("worker"));
    }
    total.elapsed = started.elapsed();
    total
}

/// A Markdown table row: name, requests/s, p50, p99, errors.
pub fn row(name: &str, stats: &Stats) -> String {
    format!(
        "| {name} | {:.0} | {:.2} | {:.2} | {} |",
        stats.throughput(),
        stats.percentile_ms(50.0),
        stats.percentile_ms(99.0),
        stats.errors
    )
}
