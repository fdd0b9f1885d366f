//! Outages made on purpose, through a fault-injecting proxy in front of PostgreSQL and
//! Redis: what a server answers while its storage is cut, and what it recovers afterwards.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::join_all;

use crate::dialpad::{call_event, jws};
use crate::dialpad_oauth::refresh::until;
use crate::fault_proxy::FaultProxy;
use crate::helpers::{TestApp, test_settings};
use crate::infra::Infra;
use crate::ws_client::Ended;

/// A server on PostgreSQL and Redis, each behind its own fault proxy.
pub struct Faulty {
    pub app: TestApp,
    pub postgres: FaultProxy,
    pub redis: FaultProxy,
}

pub async fn faulty(tune: impl FnOnce(&mut cti_server::config::Settings)) -> Option<Faulty> {
    let infra = Infra::create().await?;
    let (postgres, db_url) = FaultProxy::for_url(&infra.db.url).await;
    let (redis, redis_url) = FaultProxy::for_url(&infra.redis.url).await;
    let mut settings = test_settings();
    settings.database_url = Some(db_url);
    settings.redis_url = Some(redis_url);
    tune(&mut settings);
    Some(Faulty { app: TestApp::spawn_with(settings, Some(infra)).await, postgres, redis })
}

/// While PostgreSQL is cut and then refuses connections, a webhook is answered 200 only
/// once stored, else 503 (Dialpad retries a 5xx): never anything else, and after the
/// outage the retries store every event exactly once.
#[tokio::test]
async fn cutting_postgres_during_ingest_answers_only_stored_200s_and_503s() {
    let Some(f) = faulty(|_| {}).await else { return };
    let (app_id, secret, key) = f.app.tenant("cut").await;
    let events: Vec<String> =
        (0..240).map(|i| jws(&call_event(10_000 + i, "ringing", 1731624040000), &secret)).collect();
    // Answers so far, and how many of them were 503: the outage starts once some events are
    // stored and ends once it was felt (not after fixed times, which a faster server outruns).
    let (answered, unavailable) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let post_all = |batch: Vec<(usize, String)>| {
        let app = &f.app;
        let app_id = app_id.clone();
        let (answered, unavailable) = (&answered, &unavailable);
        async move {
            let mut answers = Vec::new();
            for (i, token) in batch {
                let status = app.post_webhook(&app_id, token).await.status().as_u16();
                unavailable.fetch_add(usize::from(status == 503), Ordering::SeqCst);
                answered.fetch_add(1, Ordering::SeqCst);
                answers.push((i, status));
            }
            answers
        }
    };
    let lanes: Vec<Vec<(usize, String)>> =
        (0..8).map(|lane| events.iter().cloned().enumerate().filter(|(i, _)| i % 8 == lane).collect()).collect();
    let outage = async {
        until(Duration::from_secs(20), "some events stored", async || answered.load(Ordering::SeqCst) >= 24).await;
        f.postgres.refuse();
        f.postgres.cut();
        until(Duration::from_secs(20), "the outage felt", async || unavailable.load(Ordering::SeqCst) >= 8).await;
        f.postgres.pass();
    };
    let (answers, ()) = tokio::join!(join_all(lanes.into_iter().map(post_all)), outage);
    let answers: Vec<(usize, u16)> = answers.into_iter().flatten().collect();
    assert!(answers.iter().all(|(_, s)| *s == 200 || *s == 503), "only 200 and 503: {answers:?}");
    assert!(answers.iter().any(|(_, s)| *s == 503), "the outage was felt");

    for (i, status) in &answers {
        if *status == 200 {
            f.app.api(&key, &format!("/api/calls/{}", 10_000 + i), 200).await;
        }
    }
    // Dialpad's retries of the 503s: each stored now, and nothing twice.
    for (i, status) in &answers {
        if *status == 503 {
            assert_eq!(f.app.post_webhook(&app_id, events[*i].clone()).await.status(), 200);
        }
    }
    let mut listed = 0;
    let mut cursor = String::new();
    loop {
        let page = f.app.api(&key, &format!("/api/calls?limit=200{cursor}"), 200).await;
        listed += page["calls"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(listed, events.len(), "every event stored exactly once");
}

/// A stream that could not start while Redis was unreachable (its SUBSCRIBE failed) does not
/// leave its channel broken: the next stream of that app subscribes again and hears events.
#[tokio::test]
async fn a_subscribe_that_failed_while_redis_was_away_is_tried_again() {
    let _pubsub = crate::infra::PUBSUB.read().await;
    let Some(f) = faulty(|s| s.rate_limit_app_per_minute = "0".into()).await else { return };
    let (app_id, secret, key) = f.app.tenant("away").await;
    f.redis.refuse();
    f.redis.cut();
    let mut first = f.app.ws(&format!("api_key={key}")).await;
    assert_eq!(first.ended().await, Ended::Closed(1011), "the stream cannot start without its channel");
    f.redis.pass();

    let mut second = f.app.ws(&format!("api_key={key}")).await;
    assert_eq!(second.next_json().await["type"], "hello");
    assert_eq!(
        f.app.post_webhook(&app_id, jws(&call_event(77, "ringing", 1731624040000), &secret)).await.status(),
        200
    );
    let event = second.next_json().await;
    assert_eq!(event["call_id"], 77, "{event}");
}

/// How Redis goes away.
#[derive(Clone, Copy)]
enum Outage {
    /// Connections cut and refused: the instance reconnects and catches up from the store.
    Down,
    /// Connections frozen (as a stopped host): bytes stall, then flow again.
    Frozen,
}

#[tokio::test]
async fn redis_down_does_not_cut_healthy_stream_clients() {
    a_redis_outage_does_not_cut_healthy_stream_clients(Outage::Down).await;
}

#[tokio::test]
async fn redis_frozen_does_not_cut_healthy_stream_clients() {
    a_redis_outage_does_not_cut_healthy_stream_clients(Outage::Frozen).await;
}

/// A Redis outage on the instance holding a client makes its hub catch up hundreds of
/// events at once: more than the client's queue. The client is not cut for it; it gets
/// every event, once, in order, at its own pace. (Queue of 8 here; 256 by default.)
async fn a_redis_outage_does_not_cut_healthy_stream_clients(kind: Outage) {
    let _pubsub = crate::infra::PUBSUB.read().await;
    let unlimited = |s: &mut cti_server::config::Settings| s.rate_limit_app_per_minute = "0".into();
    let Some(b) = faulty(|s| {
        unlimited(s);
        s.ws_send_queue_size = "8".into();
    })
    .await
    else {
        return;
    };
    let a = b.app.sibling_tuned(unlimited).await;
    let (app_id, secret, key) = a.tenant("outage").await;
    let mut client = b.app.ws(&format!("api_key={key}")).await;
    assert_eq!(client.next_json().await["type"], "hello");

    let total = 150;
    let posting = async {
        for i in 0..total {
            let status = a.post_webhook(&app_id, jws(&call_event(20_000 + i, "ringing", 1731624040000), &secret)).await;
            assert_eq!(status.status(), 200);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let outage = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        match kind {
            Outage::Down => {
                b.redis.refuse();
                b.redis.cut();
            }
            Outage::Frozen => b.redis.pause(),
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        b.redis.pass();
    };
    let reading = client.next_seqs(total as usize);
    let ((), (), seqs) = tokio::join!(posting, outage, reading);
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>(), "every event once, in order");
    assert_eq!(b.app.metric("ws_slow_clients_cut_total").await, 0.0, "nobody was cut");
    let sentinel = 20_000 + total;
    let status = a.post_webhook(&app_id, jws(&call_event(sentinel, "ringing", 1731624040000), &secret)).await;
    assert_eq!(status.status(), 200);
    let next = client.next_is_sentinel(sentinel).await;
    assert_eq!(next["seq"], total + 1, "and the stream is still open, with nothing twice");
}
