//! `cti-bench ingest`: webhook ingest throughput and latency. Creates `--apps` apps with
//! webhook secrets, then `--concurrency` workers post distinct signed call events (compact
//! JWS, HS256, as Dialpad sends them) round-robin over the apps for `--seconds`. Every
//! event is new, so every request is a stored event, not a duplicate.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use cti_server::domain::webhook::signature::sign_jws;
use serde_json::json;

use crate::admin::Admin;
use crate::keys::cpu_ticks;
use crate::load;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// How many apps the events are spread over.
    #[arg(long, default_value_t = 1)]
    apps: usize,
    /// Seconds of load (after a 2 s warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The server's process id (same machine): also report its CPU time per stored event.
    #[arg(long)]
    server_pid: Option<u32>,
}

pub async fn run(admin: &Admin, args: Args) -> anyhow::Result<()> {
    let mut targets = Vec::with_capacity(args.apps);
    for n in 0..args.apps {
        let app = admin.create_app(&format!("cti-bench ingest {n}")).await?;
        let secret = admin.webhook_secret(&app).await?;
        targets.push((format!("{}/webhooks/dialpad/{app}", admin.url), secret));
    }
    let targets = Arc::new(targets);
    // Call ids unique across runs against the same database.
    let next_call = Arc::new(AtomicI64::new(chrono::Utc::now().timestamp_micros()));

    let request = {
        let (http, targets, next_call) = (admin.http.clone(), targets.clone(), next_call.clone());
        move |worker: usize, n: u64| {
            let (url, secret) = &targets[(worker + n as usize) % targets.len()];
            let call_id = next_call.fetch_add(1, Ordering::Relaxed);
            let now = chrono::Utc::now().timestamp_millis();
            let event = json!({
                "call_id": call_id, "state": "ringing", "direction": "inbound", "event_timestamp": now,
                "date_started": now, "external_number": "+15105550100", "internal_number": "+15105550199",
                "target": {"id": 5527348325810176i64, "type": "user", "name": "Agent"},
                "contact": {"id": 6131436978913280i64, "type": "local", "name": "Caller", "phone": "+15105550100"}
            });
            let body = sign_jws(event.to_string().as_bytes(), secret.as_bytes());
            let request = http.post(url).body(body);
            async move { request.send().await.is_ok_and(|r| r.status() == 200) }
        }
    };
    let request = Arc::new(request);
    let warm = request.clone();
    load::run(args.concurrency, Duration::from_secs(2), move |w, n| warm(w, n)).await;
    let before = args.server_pid.and_then(cpu_ticks);
    let mut stats = load::run(args.concurrency, Duration::from_secs(args.seconds), move |w, n| request(w, n)).await;
    if let (Some(before), Some(after)) = (before, args.server_pid.and_then(cpu_ticks)) {
        stats.server_cpu = Some(Duration::from_millis((after - before) * 10));
    }

    println!("| concurrency | apps | events/s | p50 ms | p99 ms | errors | server CPU µs/event |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {:.0} | {:.2} | {:.2} | {} | {} |",
        args.concurrency,
        args.apps,
        stats.throughput(),
        stats.percentile_ms(50.0),
        stats.percentile_ms(99.0),
        stats.errors,
        stats.cpu_per_request_us().map_or("-".to_owned(), |us| format!("{us:.1}"))
    );
    Ok(())
}
