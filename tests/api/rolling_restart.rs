//! A rolling restart through the project's own `deploy/nginx.conf`, run by Debian's nginx:
//! two instances on PostgreSQL and Redis behind it, signed webhooks at about 100 a second
//! and three live streams through it, then each instance stopped (SIGTERM's drain) and
//! started again in turn, the next one only once the first is ready. Nothing may be refused,
//! every event answered 200 is stored once, and every stream, resuming with `since`, sees
//! every event exactly once and in order.
//!
//! nginx missing: skipped, except under CI=true (`.ci/run` installs it).

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::dialpad::{call_event, jws};
use crate::dialpad_oauth::refresh::until;
use crate::helpers::{Backend, TestApp, test_settings};

/// Debian's nginx running `deploy/nginx.conf` with the replicas and the port of this test.
struct Nginx {
    child: Child,
    base: String,
}

impl Nginx {
    fn start(replicas: [u16; 2]) -> Option<Self> {
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| std::path::Path::new(p).exists());
        let Some(binary) = binary else {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "nginx is missing (apt-get install nginx-light)");
            eprintln!("skipping: nginx is not installed");
            return None;
        };
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("cti-nginx-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf")).unwrap();
        let mut conf = shipped.clone();
        for (from, to) in [
            ("events {}", format!("daemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{}}")),
            (
                "http {",
                format!(
                    "http {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    \
                     fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;"
                ),
            ),
            ("server cti-1:4000", format!("server 127.0.0.1:{}", replicas[0])),
            ("server cti-2:4000", format!("server 127.0.0.1:{}", replicas[1])),
            ("listen 80;", format!("listen 127.0.0.1:{port};")),
        ] {
            assert_eq!(conf.matches(from).count(), 1, "deploy/nginx.conf changed shape: {from:?}");
            conf = conf.replace(from, &to);
        }
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = Command::new(binary)
            .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf"), "-e", &format!("{d}/error.log")])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Some(Self { child, base: format!("127.0.0.1:{port}") })
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server on `port` sharing `infra` (PostgreSQL, Redis) with its sibling.
async fn instance(port: u16, infra: &Option<Arc<crate::infra::Infra>>) -> TestApp {
    let settings = cti_server::config::Settings { port: port.to_string(), ..test_settings() };
    TestApp::spawn_with(settings, infra.clone()).await
}

async fn ready(client: &reqwest::Client, url: String) {
    until(Duration::from_secs(20), "ready", async || client.get(&url).send().await.is_ok_and(|r| r.status() == 200))
        .await;
}

type Seen = Arc<Mutex<Vec<(i64, i64)>>>;

/// One browser tab's stream: reconnects (through nginx) whenever it is closed, resuming with
/// `since`; records the (seq, call_id) of every event it gets, in order.
/// `away` keeps the longest time the tab was without a connection (reported, not asserted).
async fn follow(
    url: String,
    seen: Seen,
    stop: CancellationToken,
    connects: Arc<Mutex<u32>>,
    away: Arc<Mutex<Duration>>,
) {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut lost: Option<tokio::time::Instant> = None;
    while !stop.is_cancelled() && tokio::time::Instant::now() < give_up {
        let last = seen.lock().unwrap().last().map(|(seq, _)| *seq);
        let since = last.map(|seq| format!("&since={seq}")).unwrap_or_default();
        let Ok((mut socket, _)) = tokio_tungstenite::connect_async(format!("{url}{since}")).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        if let Some(since) = lost.take() {
            let mut longest = away.lock().unwrap();
            *longest = (*longest).max(since.elapsed());
        }
        loop {
            let next = tokio::select! {
                next = socket.next() => next,
                _ = stop.cancelled() => return,
            };
            match next {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    // Counted at the hello, which the server sends once the stream is live:
                    // a stream opened without `since` carries what is stored after that.
                    if message["type"] == "hello" {
                        *connects.lock().unwrap() += 1;
                    }
                    if let (Some(seq), Some(call)) = (message["seq"].as_i64(), message["call_id"].as_i64()) {
                        seen.lock().unwrap().push((seq, call));
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            }
        }
        lost = Some(tokio::time::Instant::now());
    }
}

#[tokio::test]
async fn a_rolling_restart_behind_the_shipped_nginx_refuses_nothing_and_loses_nothing() {
    let (p1, p2) = (free_port(), free_port());
    let Some(a) = TestApp::spawn_tuned(Backend::Real, |s| s.port = p1.to_string()).await else { return };
    let infra = a.infra.clone();
    let b = instance(p2, &infra).await;
    let Some(nginx) = Nginx::start([p1, p2]) else { return };
    let client = reqwest::Client::new();
    ready(&client, format!("http://{}/health/ready", nginx.base)).await;
    let (app_id, secret, key) = a.tenant("rolling").await;

    // Three tabs following the app's stream through nginx.
    let stop_streams = CancellationToken::new();
    let connects = Arc::new(Mutex::new(0));
    let away = Arc::new(Mutex::new(Duration::ZERO));
    let url = format!("ws://{}/ws?api_key={key}", nginx.base);
    let seen: Vec<Seen> = (0..3).map(|_| Seen::default()).collect();
    let streams: Vec<_> = seen
        .iter()
        .map(|tab| {
            let (stop, connects, away) = (stop_streams.clone(), connects.clone(), away.clone());
            tokio::spawn(follow(url.clone(), tab.clone(), stop, connects, away))
        })
        .collect();
    until(Duration::from_secs(10), "three streams connected", async || *connects.lock().unwrap() >= 3).await;

    // Dialpad: a new signed event every 10 ms, each on its own connection's time.
    let stop_load = CancellationToken::new();
    let load = {
        let (stop, client) = (stop_load.clone(), client.clone());
        let hook = format!("http://{}/webhooks/dialpad/{app_id}", nginx.base);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(10));
            let mut posts = Vec::new();
            let mut call_id = 1_000_000;
            while !stop.is_cancelled() {
                ticks.tick().await;
                call_id += 1;
                let body = jws(&call_event(call_id, "ringing", 1_700_000_000_000), &secret);
                let (client, hook) = (client.clone(), hook.clone());
                posts.push(tokio::spawn(async move {
                    let status = client.post(hook).body(body).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                    (call_id, status)
                }));
            }
            futures_util::future::join_all(posts).await.into_iter().map(Result::unwrap).collect::<Vec<_>>()
        })
    };

    // The rolling restart: A, then (once A is ready again) B.
    tokio::time::sleep(Duration::from_millis(500)).await;
    a.stop().await.expect("A drains and exits cleanly");
    let a = instance(p1, &infra).await;
    ready(&client, format!("http://127.0.0.1:{p1}/health/ready")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.stop().await.expect("B drains and exits cleanly");
    let b = instance(p2, &infra).await;
    ready(&client, format!("http://127.0.0.1:{p2}/health/ready")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_load.cancel();
    let posted = load.await.unwrap();

    let refused: Vec<&(i64, u16)> = posted.iter().filter(|(_, status)| *status != 200).collect();
    assert!(posted.len() > 100, "the load ran: {} webhooks", posted.len());
    assert!(refused.is_empty(), "{} of {} webhooks refused: {refused:?}", refused.len(), posted.len());
    let stored: BTreeSet<i64> = posted.iter().map(|(call, _)| *call).collect();

    let total = i64::try_from(stored.len()).unwrap();
    until(Duration::from_secs(20), "every stream caught up", async || {
        seen.iter().all(|tab| tab.lock().unwrap().last().is_some_and(|(seq, _)| *seq >= total))
    })
    .await;
    stop_streams.cancel();
    for stream in streams {
        stream.await.unwrap();
    }
    for tab in &seen {
        let seen = tab.lock().unwrap().clone();
        let seqs: Vec<i64> = seen.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, (1..=total).collect::<Vec<_>>(), "every event once, in order, no gap");
        let calls: BTreeSet<i64> = seen.iter().map(|(_, call)| *call).collect();
        assert_eq!(calls, stored, "the stream carried exactly the stored events");
    }
    assert!(*connects.lock().unwrap() > 3, "the streams were moved by the restarts");
    eprintln!(
        "rolling restart: {} webhooks, all 200; {} stream connections; longest time a tab was without one: {:?}",
        posted.len(),
        connects.lock().unwrap(),
        away.lock().unwrap()
    );
    drop((a, b, nginx));
}
