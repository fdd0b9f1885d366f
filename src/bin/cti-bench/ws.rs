//! `cti-bench ws`: live delivery to many WebSocket clients. Opens `--clients` streams on
//! `--stream-url` (one instance), then posts signed events at `--rate` per second to `--url`
//! (possibly another instance sharing Postgres and Redis). Each event carries the time it
//! was posted; each client measures posted-to-received. Reports delivery percentiles, lost
//! deliveries, and, with `--server-pid`, the streaming instance's memory per connection
//! (RSS growth from before the clients connected to after, divided by the clients).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use cti_server::domain::webhook::signature::sign_jws;
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::sync::{Mutex, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::admin::Admin;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// WebSocket clients to open.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Base URL of the instance the clients connect to (default: --url).
    #[arg(long)]
    stream_url: Option<String>,
    /// Events posted per second.
    #[arg(long, default_value_t = 10)]
    rate: u64,
    /// Seconds of posting.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Connections opened at once while connecting.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// The streaming instance's process id (same machine), for memory per connection.
    #[arg(long)]
    server_pid: Option<u32>,
}

/// Says "done connecting" when dropped, whether the connection succeeded or not.
struct Signal(tokio::sync::mpsc::UnboundedSender<()>);

impl Drop for Signal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// Resident memory of a process, in bytes.
fn rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

fn now_us() -> u64 {
    chrono::Utc::now().timestamp_micros() as u64
}

/// The posting time an event carries, read without parsing the whole message.
fn sent_us(text: &str) -> Option<u64> {
    let start = text.find("\"bench_sent_us\":")? + "\"bench_sent_us\":".len();
    let digits: String = text[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

pub async fn run(admin: &Admin, args: Args) -> anyhow::Result<()> {
    let app = admin.create_app("cti-bench ws").await?;
    let secret = admin.webhook_secret(&app).await?;
    let key = admin.issue_key(&app).await?;
    let stream_base = args.stream_url.clone().unwrap_or_else(|| admin.url.clone());
    let ws_url = format!("{}/ws?api_key={key}", stream_base.replacen("http", "ws", 1).trim_end_matches('/'));

    let baseline = args.server_pid.and_then(rss);
    let latencies = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?));
    let received = Arc::new(AtomicU64::new(0));
    let stop = tokio_util::sync::CancellationToken::new();
    let gate = Arc::new(Semaphore::new(args.connect_concurrency));
    let connecting = Instant::now();
    let mut clients = Vec::with_capacity(args.clients);
    let (greeted_tx, mut greeted) = tokio::sync::mpsc::unbounded_channel::<()>();
    for _ in 0..args.clients {
        let (url, gate, latencies, received, stop) =
            (ws_url.clone(), gate.clone(), latencies.clone(), received.clone(), stop.clone());
        let greeted_tx = greeted_tx.clone();
        clients.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.expect("gate open");
            let _greeted = Signal(greeted_tx);
            let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.context("connect")?;
            let hello = socket.next().await.context("hello")??;
            anyhow::ensure!(hello.to_text()?.contains("\"hello\""), "first message is not a hello");
            drop(permit);
            drop(_greeted);
            let mut mine = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    message = socket.next() => match message {
                        Some(Ok(Message::Text(text))) => {
                            if let Some(sent) = sent_us(&text) {
                                mine.saturating_record(now_us().saturating_sub(sent).max(1));
                                received.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Some(Ok(_)) => {}
                        Some(Err(err)) => anyhow::bail!("stream failed: {err}"),
                        None => anyhow::bail!("stream closed by the server"),
                    }
                }
            }
            latencies.lock().await.add(&mine)?;
            Ok::<_, anyhow::Error>(())
        }));
    }
    // Every client greeted (or failed).
    drop(greeted_tx);
    for _ in 0..args.clients {
        greeted.recv().await;
    }
    let connect_time = connecting.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let connected_rss = args.server_pid.and_then(rss);

    let cpu_before = args.server_pid.and_then(crate::keys::cpu_ticks);
    let posted = post_events(admin, &app, &secret, args.rate, args.seconds).await?;
    let expected = posted * args.clients as u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cpu_after = args.server_pid.and_then(crate::keys::cpu_ticks);
    stop.cancel();
    let mut failed = 0;
    for client in clients {
        if let Err(err) = client.await? {
            failed += 1;
            eprintln!("client: {err:#}");
        }
    }

    let latencies = latencies.lock().await;
    let per_connection = match (baseline, connected_rss) {
        (Some(before), Some(after)) => {
            format!("{:.1}", after.saturating_sub(before) as f64 / args.clients as f64 / 1024.0)
        }
        _ => "n/a".into(),
    };
    let cpu_per_delivery = match (cpu_before, cpu_after) {
        // Clock ticks are 10 ms.
        (Some(before), Some(after)) => {
            format!("{:.1}", (after - before) as f64 * 10_000.0 / received.load(Ordering::Relaxed).max(1) as f64)
        }
        _ => "n/a".into(),
    };
    println!(
        "| clients | events posted | deliveries (received/expected) | p50 ms | p99 ms | max ms | KiB per connection | server CPU µs per delivery | connect s | failed clients |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {}/{} | {:.1} | {:.1} | {:.1} | {} | {} | {:.1} | {} |",
        args.clients,
        posted,
        received.load(Ordering::Relaxed),
        expected,
        latencies.value_at_quantile(0.5) as f64 / 1000.0,
        latencies.value_at_quantile(0.99) as f64 / 1000.0,
        latencies.max() as f64 / 1000.0,
        per_connection,
        cpu_per_delivery,
        connect_time.as_secs_f64(),
        failed
    );
    Ok(())
}

/// Posts `rate` events per second for `seconds`; how many were accepted.
async fn post_events(admin: &Admin, app: &str, secret: &str, rate: u64, seconds: u64) -> anyhow::Result<u64> {
    let url = format!("{}/webhooks/dialpad/{app}", admin.url);
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let mut posts = Vec::new();
    let first_call = chrono::Utc::now().timestamp_micros();
    for n in 0..rate * seconds {
        tick.tick().await;
        let sent = now_us();
        let event = json!({
            "call_id": first_call + n as i64, "state": "ringing", "direction": "inbound",
            "event_timestamp": sent / 1000, "bench_sent_us": sent,
            "target": {"id": 5527348325810176i64, "type": "user", "name": "Agent"},
            "contact": {"id": 6131436978913280i64, "type": "local", "name": "Caller", "phone": "+15105550100"}
        });
        let request = admin.http.post(&url).body(sign_jws(event.to_string().as_bytes(), secret.as_bytes()));
        posts.push(tokio::spawn(async move { request.send().await.is_ok_and(|r| r.status() == 200) }));
    }
    let mut accepted = 0;
    for post in posts {
        accepted += u64::from(post.await?);
    }
    Ok(accepted)
}
