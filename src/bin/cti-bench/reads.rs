//! `cti-bench reads`: what the read API costs the server. Seeds one app with `--calls`
//! calls built from realistic Dialpad call events (~1.8 KB each: calling, ringing,
//! connected, hangup, some with a voicemail), posted through the webhook route as Dialpad
//! would; optionally runs ANALYZE (`--analyze-url`); then measures each read route in turn
//! for `--seconds`, `--rounds` times, reporting the server's CPU time per request (from
//! /proc, so the load tool's own share does not count) and the body size. `--dump DIR`
//! writes one body of each route, to compare bytes before and after a change.

use std::sync::Arc;
use std::time::Duration;

use cti_server::domain::webhook::signature::sign_jws;
use serde_json::{Value, json};

use crate::admin::Admin;
use crate::keys::cpu_ticks;
use crate::load::{self, Stats};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Concurrent connections while measuring.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds per measured phase.
    #[arg(long, default_value_t = 4)]
    seconds: u64,
    /// Rounds (each measures every route once).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Calls to seed.
    #[arg(long, default_value_t = 1500)]
    calls: i64,
    /// The server's process id: report its CPU time per request.
    #[arg(long)]
    server_pid: Option<u32>,
    /// PostgreSQL URL to run ANALYZE on after seeding (the planner needs statistics).
    #[arg(long)]
    analyze_url: Option<String>,
    /// Write one response body of each route into this directory.
    #[arg(long)]
    dump: Option<std::path::PathBuf>,
}

/// The events of call `n` (numbered from `base`): 2 to 4 states, every 7th call ending in
/// a voicemail; each payload as Dialpad sends it, about 1.8 KB.
fn call_events(base: i64, n: i64) -> Vec<Value> {
    let call_id = base + n;
    let start = 1_750_000_000_000i64 + n * 60_000;
    let target = json!({"id": 5527348325810176i64 + n % 20, "type": "user", "name": format!("Agent {}", n % 20),
        "phone": "+15105550199", "email": format!("agent{}@example.com", n % 20), "office_id": 5527348325810000i64});
    let contact = json!({"id": 6131436978913280i64 + n, "type": "local", "name": format!("Caller {n}"),
        "phone": format!("+1510555{:04}", n % 10_000), "email": ""});
    let voicemail = n % 7 == 0;
    let mut states = vec!["calling", "ringing"];
    states.extend(if voicemail { ["voicemail", "voicemail_uploaded"] } else { ["connected", "hangup"] });
    let states = &states[..2 + usize::try_from(n % 3).unwrap_or(0).min(2)];
    states
        .iter()
        .enumerate()
        .map(|(i, state)| {
            let at = start + i as i64 * 4_000;
            json!({
                "call_id": call_id, "master_call_id": null, "entry_point_call_id": null, "operator_call_id": null,
                "state": state, "direction": if n % 2 == 0 { "inbound" } else { "outbound" },
                "external_number": contact["phone"], "internal_number": "+15105550199",
                "date_started": start, "date_rang": start + 400, "date_connected": if i >= 2 { json!(start + 4_000) } else { Value::Null },
                "date_ended": if *state == "hangup" { json!(at) } else { Value::Null },
                "duration": (i as i64) * 4_000, "total_duration": (i as f64) * 4_000.5, "talk_time": 0, "hold_time": 0,
                "event_timestamp": at, "target": target, "contact": contact,
                "entry_point_target": {}, "proxy_target": {}, "group_id": "Office:5527348325810000",
                "is_transferred": false, "was_recorded": n % 5 == 0, "is_internal": false, "labels": ["sales", "priority"],
                "mos_score": 4.3, "csat_score": null, "recording_details": if *state == "voicemail_uploaded" {
                    json!([{"id": format!("vm-{call_id}"), "url": format!("https://dialpad.example/r/{call_id}"),
                        "duration": 12_000, "start_time": at, "recording_type": "voicemail"}])
                } else { json!([]) },
                "voicemail_link": if voicemail && i >= 2 { json!(format!("https://dialpad.example/v/{call_id}")) } else { Value::Null },
                "transcription_text": if *state == "voicemail_uploaded" { json!("Hi, this is a message about the order, please call back.") } else { Value::Null },
                "routing_breadcrumbs": [{"breadcrumb_type": "callrouter", "date": start, "request": {"call_id": call_id},
                    "response": {"target_id": target["id"], "target_type": "user"}, "target_id": target["id"],
                    "target_type": "user", "url": "https://router.example/route"}],
                "target_availability_status": "open", "callback_requested": false, "integrations": {},
            })
        })
        .collect()
}

pub async fn run(admin: &Admin, args: Args) -> anyhow::Result<()> {
    let app = admin.create_app("cti-bench reads").await?;
    let key = admin.issue_key(&app).await?;
    let secret = admin.webhook_secret(&app).await?;
    let base = chrono::Utc::now().timestamp_micros();
    let events: Vec<Value> = (0..args.calls).flat_map(|n| call_events(base, n)).collect();
    let url = format!("{}/webhooks/dialpad/{app}", admin.url);
    let total = events.len();
    let bodies: Vec<String> = events.iter().map(|e| sign_jws(e.to_string().as_bytes(), secret.as_bytes())).collect();
    let bodies = Arc::new(tokio::sync::Mutex::new(bodies.into_iter()));
    let posters = (0..16).map(|_| {
        let (http, url, bodies) = (admin.http.clone(), url.clone(), bodies.clone());
        tokio::spawn(async move {
            loop {
                let Some(body) = bodies.lock().await.next() else { return Ok::<_, anyhow::Error>(()) };
                let res = http.post(&url).body(body).send().await?;
                anyhow::ensure!(res.status() == 200, "webhook answered {}", res.status());
            }
        })
    });
    for poster in futures_util::future::join_all(posters).await {
        poster??;
    }
    eprintln!("seeded {} calls from {total} events", args.calls);
    if let Some(db) = &args.analyze_url {
        let pool = sqlx::PgPool::connect(db).await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
        pool.close().await;
    }

    let one_call = base + 3; // two events: calling, ringing
    let routes = [
        "/api/me".to_owned(),
        "/api/calls?limit=50".to_owned(),
        format!("/api/calls/{one_call}"),
        "/api/voicemails?limit=50".to_owned(),
    ];
    if let Some(dir) = &args.dump {
        std::fs::create_dir_all(dir)?;
        for (i, route) in routes.iter().enumerate() {
            let body = admin.http.get(format!("{}{route}", admin.url)).header("x-app-api-key", &key).send().await?;
            std::fs::write(dir.join(format!("route-{i}.json")), body.bytes().await?)?;
        }
    }
    let mut totals: Vec<Stats> = routes.iter().map(|_| Stats::empty()).collect();
    let mut sizes = vec![0usize; routes.len()];
    for _ in 0..args.rounds {
        for (i, route) in routes.iter().enumerate() {
            let body = admin.http.get(format!("{}{route}", admin.url)).header("x-app-api-key", &key).send().await?;
            sizes[i] = body.bytes().await?.len();
            totals[i].merge(&phase(admin, &args, route, &key).await);
        }
    }
    println!("| route | requests/s | p50 ms | p99 ms | server CPU µs/request | body bytes |");
    println!("|---|---|---|---|---|---|");
    for ((route, stats), size) in routes.iter().zip(&totals).zip(&sizes) {
        let cpu = stats.cpu_per_request_us().map_or("-".to_owned(), |us| format!("{us:.0}"));
        println!(
            "| {route} | {:.0} | {:.2} | {:.2} | {cpu} | {size} |",
            stats.throughput(),
            stats.percentile_ms(50.0),
            stats.percentile_ms(99.0)
        );
    }
    Ok(())
}

async fn phase(admin: &Admin, args: &Args, route: &str, key: &str) -> Stats {
    let (http, url, key) = (admin.http.clone(), format!("{}{route}", admin.url), key.to_owned());
    let before = args.server_pid.and_then(cpu_ticks);
    let mut stats = load::run(args.concurrency, Duration::from_secs(args.seconds), move |_, _| {
        let request = http.get(&url).header("x-app-api-key", &key);
        async move {
            match request.send().await {
                Ok(res) if res.status() == 200 => res.bytes().await.is_ok(),
                _ => false,
            }
        }
    })
    .await;
    if let (Some(before), Some(after)) = (before, args.server_pid.and_then(cpu_ticks)) {
        stats.server_cpu = Some(Duration::from_millis((after - before) * 10));
    }
    stats
}
