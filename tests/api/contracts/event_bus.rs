//! EventBus contract, in process and over Redis: an app's events reach its subscribers on
//! every instance, never another app's; over Redis a reconnection is announced as `Missed`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cti_server::adapters::memory::InProcessEventBus;
use cti_server::adapters::redis::{RedisClients, RedisEventBus};
use cti_server::domain::app::AppId;
use cti_server::domain::call::{CallId, EventSeq};
use cti_server::domain::user_mapping::DialpadUserId;
use cti_server::domain::webhook::{CallState, EventKind};
use cti_server::ports::{BusMessage, EventBus, StoredEvent};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde_json::json;

use crate::infra::{PUBSUB, TestRedis};

fn event(app_id: AppId, seq: i64) -> StoredEvent {
    StoredEvent {
        app_id,
        seq: EventSeq::new(seq),
        kind: EventKind::Call,
        call_id: Some(CallId::new(7)),
        state: Some(CallState::Ringing),
        event_timestamp_ms: Some(1_000),
        target_id: DialpadUserId::new(42).ok(),
        payload: json!({"call_id": 7, "state": "ringing", "nested": {"kept": true}}),
        received_at: Utc::now(),
    }
}

async fn next(stream: &mut BoxStream<'static, BusMessage>) -> BusMessage {
    tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("a message within 5 s").expect("open")
}

/// The next event, skipping the `Missed` a fresh subscription may announce.
async fn next_event(stream: &mut BoxStream<'static, BusMessage>) -> StoredEvent {
    loop {
        if let BusMessage::Event(event) = next(stream).await {
            return (*event).clone();
        }
    }
}

async fn contract(here: Arc<dyn EventBus>, there: Arc<dyn EventBus>) {
    let (app, other) = (AppId::generate(), AppId::generate());
    let mut mine = here.subscribe(app).await.unwrap();
    let mut theirs = there.subscribe(app).await.unwrap();
    let mut others = there.subscribe(other).await.unwrap();

    let (first, second) = (event(app, 1), event(app, 2));
    here.publish(&[event(other, 1), first.clone(), second.clone()]).await.unwrap();
    let heard = next_event(&mut mine).await;
    assert_eq!(heard.received_at.timestamp_micros(), first.received_at.timestamp_micros());
    assert_eq!(StoredEvent { received_at: first.received_at, ..heard }, first, "the event arrives whole");
    assert_eq!(next_event(&mut mine).await.seq.get(), 2);
    assert_eq!(next_event(&mut theirs).await.seq.get(), 1, "every instance hears it");
    assert_eq!(next_event(&mut theirs).await.seq.get(), 2);
    let theirs_other = next_event(&mut others).await;
    assert_eq!((theirs_other.app_id, theirs_other.seq.get()), (other, 1), "each app hears its own only");
    let quiet = tokio::time::timeout(Duration::from_millis(200), next_event(&mut others)).await;
    assert!(quiet.is_err(), "another app's events never arrive: {quiet:?}");
    here.publish(&[]).await.unwrap();
}

#[tokio::test]
async fn in_process_bus_honours_the_contract() {
    let bus = Arc::new(InProcessEventBus::new());
    contract(bus.clone(), bus).await;
}

#[tokio::test]
async fn redis_bus_honours_the_contract_across_instances_and_announces_reconnects() {
    let Some(redis) = TestRedis::create() else { return };
    let _cuts = PUBSUB.write().await;
    let here = RedisClients::connect(&redis.url, &redis.prefix).await.unwrap();
    let there = RedisClients::connect(&redis.url, &redis.prefix).await.unwrap();
    let (here, there): (Arc<dyn EventBus>, Arc<dyn EventBus>) =
        (Arc::new(RedisEventBus::new(here)), Arc::new(RedisEventBus::new(there)));
    contract(here.clone(), there.clone()).await;

    let app = AppId::generate();
    let mut theirs = there.subscribe(app).await.unwrap();
    redis.cut_pubsub().await;
    assert_eq!(next(&mut theirs).await, BusMessage::Missed, "a reconnect says messages may be lost");
    // Resubscribed: it still hears what comes next.
    here.publish(&[event(app, 9)]).await.unwrap();
    assert_eq!(next_event(&mut theirs).await.seq.get(), 9);
}
