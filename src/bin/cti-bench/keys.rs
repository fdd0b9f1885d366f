//! `cti-bench keys`: what API key authentication costs. GET /health (no auth) and GET /api/me
//! (a cached key) alternate on the same server in the same run, in short rounds ordered
//! A B B A so drift and noise fall on both; the ratio is reported over the totals and as the
//! median of the per-round ratios. Then the latency of a cold verification (a key never
//! seen: storage read and argon2).

use std::time::{Duration, Instant};

use crate::admin::Admin;
use crate::load::{self, Stats};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds per measured phase.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// How many rounds (each measures both routes once).
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Fresh keys whose first use is timed (cold verification).
    #[arg(long, default_value_t = 20)]
    cold: usize,
    /// Route measured with the key (set it to /health for an A/A run that shows the noise).
    #[arg(long, default_value = "/api/me")]
    auth_path: String,
    /// The server's process id (same machine): also report its CPU time per request, which
    /// the client's own share of the CPU does not blur.
    #[arg(long)]
    server_pid: Option<u32>,
}

/// User + system CPU time of a process, in clock ticks (1/100 s on Linux).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

async fn phase(admin: &Admin, args: &Args, path: &str, key: Option<String>) -> Stats {
    let (http, url) = (admin.http.clone(), format!("{}{path}", admin.url));
    let before = args.server_pid.and_then(cpu_ticks);
    let mut stats = load::run(args.concurrency, Duration::from_secs(args.seconds), move |_, _| {
        let mut request = http.get(&url);
        if let Some(key) = &key {
            request = request.header("x-app-api-key", key);
        }
        async move { request.send().await.is_ok_and(|r| r.status() == 200) }
    })
    .await;
    if let (Some(before), Some(after)) = (before, args.server_pid.and_then(cpu_ticks)) {
        stats.server_cpu = Some(Duration::from_millis((after - before) * 10));
    }
    stats
}

pub async fn run(admin: &Admin, args: Args) -> anyhow::Result<()> {
    let app = admin.create_app("cti-bench keys").await?;
    let key = admin.issue_key(&app).await?;
    // Warm the connection pool and the key cache.
    phase(admin, &Args { seconds: 1, auth_path: args.auth_path.clone(), ..args }, "/api/me", Some(key.clone())).await;

    let (mut health, mut me) = (Stats::empty(), Stats::empty());
    let mut ratios = Vec::new();
    for round in 0..args.rounds {
        let (h, m) = if round % 2 == 0 {
            let h = phase(admin, &args, "/health", None).await;
            (h, phase(admin, &args, &args.auth_path, Some(key.clone())).await)
        } else {
            let m = phase(admin, &args, &args.auth_path, Some(key.clone())).await;
            (phase(admin, &args, "/health", None).await, m)
        };
        ratios.push(m.throughput() / h.throughput());
        health.merge(&h);
        me.merge(&m);
    }
    ratios.sort_by(f64::total_cmp);

    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..args.cold {
        let fresh = admin.issue_key(&app).await?;
        for sample in [&mut cold, &mut warm] {
            let sent = Instant::now();
            let res = admin.http.get(format!("{}/api/me", admin.url)).header("x-app-api-key", &fresh).send().await?;
            anyhow::ensure!(res.status() == 200, "fresh key refused: {}", res.status());
            sample.push(sent.elapsed());
        }
    }
    cold.sort();
    warm.sort();

    println!("| route | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|");
    println!("{}", load::row("GET /health (no auth)", &health));
    println!("{}", load::row("GET /api/me (cached key)", &me));
    println!();
    println!(
        "authenticated / unauthenticated throughput: {:.1}% over the totals; per round: median {:.1}%, min {:.1}%, max {:.1}%",
        100.0 * me.throughput() / health.throughput(),
        100.0 * ratios[ratios.len() / 2],
        100.0 * ratios[0],
        100.0 * ratios[ratios.len() - 1],
    );
    println!(
        "cold verification (first use of a new key, n={}): median {:.1} ms; the same key's second use: median {:.2} ms",
        cold.len(),
        cold[cold.len() / 2].as_secs_f64() * 1000.0,
        warm[warm.len() / 2].as_secs_f64() * 1000.0
    );
    if let (Some(h), Some(m)) = (health.cpu_per_request_us(), me.cpu_per_request_us()) {
        println!(
            "server CPU per request: /health {h:.1} µs, {} {m:.1} µs ({:+.1} µs for the key check)",
            args.auth_path,
            m - h
        );
    }
    println!("concurrency {}, {} rounds of {} s per route", args.concurrency, args.rounds, args.seconds);
    Ok(())
}
