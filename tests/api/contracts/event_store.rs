//! EventStore contract, over memory and PostgreSQL: exactly-once appends with gap-free
//! sequences, calls and voicemails folded in, queries, replay, unrouted events.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cti_server::adapters::memory::{MemoryAppRepository, MemoryEventStore};
use cti_server::adapters::postgres::{PgAppRepository, PgEventStore};
use cti_server::domain::app::{App, AppId, AppName};
use cti_server::domain::call::{CallId, EventSeq};
use cti_server::domain::pagination::PageLimit;
use cti_server::domain::user_mapping::DialpadUserId;
use cti_server::domain::webhook::{CallState, Direction, dedup_key, parse};
use cti_server::ports::{
    AppRepository, Appended, CallCursor, CallFilter, EventStore, IncomingEvent, VoicemailCursor, VoicemailFilter,
};
use serde_json::json;

use crate::infra::TestDb;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_750_000_000_000 + ms).unwrap()
}

fn incoming(payload: serde_json::Value) -> IncomingEvent {
    let bytes = payload.to_string().into_bytes();
    let event = parse(&bytes);
    IncomingEvent { dedup_key: dedup_key(&event, &bytes), event, received_at: at(0) }
}

fn call(id: i64, state: &str, ts: i64, extra: serde_json::Value) -> IncomingEvent {
    let mut payload = json!({ "call_id": id, "state": state, "event_timestamp": 1_750_000_000_000i64 + ts,
        "date_started": 1_750_000_000_000i64 + id, "direction": "inbound", "target": {"id": 42, "type": "user"} });
    payload.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    incoming(payload)
}

fn user(id: i64) -> DialpadUserId {
    DialpadUserId::new(id).unwrap()
}

fn seqs(results: &[Appended]) -> Vec<Option<i64>> {
    results
        .iter()
        .map(|r| match r {
            Appended::Stored(e) => Some(e.seq.get()),
            Appended::Duplicate => None,
        })
        .collect()
}

/// Appending for one app only.
trait AppendFor {
    async fn append_for(
        &self,
        app: AppId,
        events: &[IncomingEvent],
    ) -> Result<Vec<Appended>, cti_server::ports::StoreError>;
}

impl AppendFor for Arc<dyn EventStore> {
    async fn append_for(
        &self,
        app: AppId,
        events: &[IncomingEvent],
    ) -> Result<Vec<Appended>, cti_server::ports::StoreError> {
        let batch: Vec<(AppId, IncomingEvent)> = events.iter().map(|e| (app, e.clone())).collect();
        self.append(&batch).await
    }
}

async fn new_app(apps: &dyn AppRepository) -> AppId {
    let app = App::new(AppId::generate(), AppName::parse("events").unwrap(), at(0));
    apps.insert(&app).await.unwrap();
    app.id
}

async fn contract(apps: Arc<dyn AppRepository>, store: Arc<dyn EventStore>) {
    let app = new_app(&*apps).await;
    let other = new_app(&*apps).await;
    let limit = PageLimit::new(Some(2)).unwrap();

    // Appends: duplicates within a batch and across batches are not stored again;
    // sequence numbers are consecutive per app.
    let ringing = call(1, "ringing", 10, json!({}));
    let results =
        store.append_for(app, &[ringing.clone(), ringing.clone(), call(1, "connected", 20, json!({}))]).await.unwrap();
    assert_eq!(seqs(&results), [Some(1), None, Some(2)]);
    let results = store
        .append_for(app, &[ringing.clone(), call(1, "hangup", 90, json!({"date_ended": 1_750_000_000_090i64}))])
        .await
        .unwrap();
    assert_eq!(seqs(&results), [None, Some(3)]);
    assert_eq!(seqs(&store.append_for(app, std::slice::from_ref(&ringing)).await.unwrap()), [None]);
    assert_eq!(seqs(&store.append_for(other, std::slice::from_ref(&ringing)).await.unwrap()), [Some(1)], "per app");
    assert_eq!(
        (store.last_seq(app).await.unwrap(), store.last_seq(AppId::generate()).await.unwrap()),
        (EventSeq::new(3), EventSeq::ZERO)
    );

    // The call folded its events: a late ringing does not reopen it.
    store.append_for(app, &[call(1, "ringing", 95, json!({}))]).await.unwrap();
    let detail = store.call(app, CallId::new(1)).await.unwrap().unwrap();
    let record = &detail.call;
    assert_eq!(
        (record.state.clone(), record.ended, record.event_count, record.last_seq.get()),
        (CallState::Hangup, true, 4, 4)
    );
    assert_eq!(record.ended_at, Some(at(90)));
    assert_eq!(store.call(other, CallId::new(1)).await.unwrap().unwrap().call.state, CallState::Ringing);
    assert!(store.call(app, CallId::new(999)).await.unwrap().is_none());
    let events = &detail.events;
    assert_eq!(events.iter().map(|e| e.seq.get()).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(events.iter().all(|e| e.call_id == Some(CallId::new(1))));
    assert_eq!(
        events.iter().map(|e| e.state.clone()).collect::<Vec<_>>(),
        [CallState::Ringing, CallState::Connected, CallState::Hangup, CallState::Ringing].map(Some)
    );
    // The payload reads back as the value sent, whatever the store's key order.
    let first: serde_json::Value = serde_json::from_str(events[0].payload.as_str()).unwrap();
    assert_eq!(first, ringing.event.raw);

    // Replay after a sequence number.
    let replay = store.events_after(app, EventSeq::new(2), 10).await.unwrap();
    assert_eq!(replay.iter().map(|e| e.seq.get()).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(store.events_after(app, EventSeq::ZERO, 1).await.unwrap().len(), 1);

    // Listing calls: newest first, filters, keyset pages.
    store
        .append_for(
            app,
            &[
                call(2, "connected", 30, json!({"direction": "outbound"})),
                call(3, "ringing", 40, json!({"target": {"id": 7, "type": "user"}})),
            ],
        )
        .await
        .unwrap();
    let page = store.calls(app, &CallFilter::default(), limit, None).await.unwrap();
    assert_eq!(page.items.iter().map(|c| c.call_id.get()).collect::<Vec<_>>(), [3, 2]);
    assert!(page.has_more);
    let last = &page.items[1];
    let cursor = CallCursor { started_at: last.started_at, call_id: last.call_id };
    let rest = store.calls(app, &CallFilter::default(), limit, Some(cursor)).await.unwrap();
    assert_eq!((rest.items.iter().map(|c| c.call_id.get()).collect::<Vec<_>>(), rest.has_more), (vec![1], false));
    let cases: Vec<(CallFilter, Vec<i64>)> = vec![
        (CallFilter { state: Some(CallState::Hangup), ..Default::default() }, vec![1]),
        (CallFilter { direction: Some(Direction::Outbound), ..Default::default() }, vec![2]),
        (CallFilter { target_users: Some(vec![user(7)]), ..Default::default() }, vec![3]),
        (CallFilter { target_users: Some(vec![]), ..Default::default() }, vec![]),
        (CallFilter { since: Some(at(2)), ..Default::default() }, vec![3, 2]),
        (CallFilter { until: Some(at(2)), ..Default::default() }, vec![1]),
    ];
    for (filter, want) in cases {
        let got = store.calls(app, &filter, PageLimit::default(), None).await.unwrap();
        assert_eq!(got.items.iter().map(|c| c.call_id.get()).collect::<Vec<_>>(), want, "filter {filter:?}");
    }

    // Voicemails: one per message, completed by the upload, however announced.
    let announced =
        call(10, "voicemail", 100, json!({"voicemail_link": "https://dp/v/10", "external_number": "+1caller"}));
    let uploaded = call(
        10,
        "voicemail_uploaded",
        200,
        json!({"voicemail_link": "https://dp/v/10", "transcription_text": "hello"}),
    );
    store.append_for(app, &[announced.clone(), uploaded]).await.unwrap();
    let anonymous = |minute: i64| {
        incoming(
            json!({"call_id": null, "state": "voicemail", "external_number": "+1anon", "internal_number": "+1agent",
            "date_started": 1_750_000_000_000i64 + minute * 60_000, "event_timestamp": 1_750_000_000_000i64 + minute * 60_000 + 5}),
        )
    };
    store.append_for(app, &[anonymous(1), anonymous(2)]).await.unwrap();
    let vms = store.voicemails(app, &VoicemailFilter::default(), PageLimit::default(), None).await.unwrap().items;
    assert_eq!(vms.len(), 3, "{vms:#?}");
    let v10 = vms.iter().find(|v| v.call_id == Some(CallId::new(10))).unwrap();
    assert_eq!(
        (v10.transcription.as_deref(), v10.uploaded, v10.caller.as_deref()),
        (Some("hello"), true, Some("+1caller"))
    );
    assert_eq!(store.voicemail(app, v10.id).await.unwrap().as_ref(), Some(v10));
    assert!(store.voicemail(other, v10.id).await.unwrap().is_none(), "another app's voicemail is not found");
    let first =
        store.voicemails(app, &VoicemailFilter::default(), PageLimit::new(Some(1)).unwrap(), None).await.unwrap();
    let cursor = VoicemailCursor { sort_at: first.items[0].sort_at(), id: first.items[0].id };
    let next = store
        .voicemails(app, &VoicemailFilter::default(), PageLimit::new(Some(5)).unwrap(), Some(cursor))
        .await
        .unwrap();
    assert_eq!(next.items.len(), 2);
    let mine = VoicemailFilter { target_users: Some(vec![user(42)]), ..Default::default() };
    assert_eq!(store.voicemails(app, &mine, PageLimit::default(), None).await.unwrap().items.len(), 1);

    // One batch may mix apps; each keeps its own sequence.
    let mixed = store
        .append(&[
            (app, call(50, "ringing", 1, json!({}))),
            (other, call(50, "ringing", 1, json!({}))),
            (app, call(51, "ringing", 1, json!({}))),
        ])
        .await
        .unwrap();
    let app_last = store.last_seq(app).await.unwrap().get();
    assert_eq!(seqs(&mixed), [Some(app_last - 1), Some(2), Some(app_last)]);
    assert_eq!(store.call(other, CallId::new(50)).await.unwrap().unwrap().call.last_seq.get(), 2);

    // Unrouted events: kept once.
    let stray = incoming(json!({"id": 5, "text": "hi", "target": {"id": 99}}));
    assert!(store.append_unrouted(&stray).await.unwrap());
    assert!(!store.append_unrouted(&stray).await.unwrap());
    let unrouted = store.unrouted(PageLimit::default(), None).await.unwrap().items;
    assert_eq!((unrouted.len(), unrouted[0].target_id), (1, Some(99)));
}

async fn concurrent_duplicates(apps: Arc<dyn AppRepository>, store: Arc<dyn EventStore>) {
    let app = new_app(&*apps).await;
    let event = call(1, "ringing", 10, json!({}));
    let appends = (0..50).map(|i| {
        let (store, event) = (store.clone(), event.clone());
        let distinct = call(100 + i, "ringing", 10, json!({}));
        tokio::spawn(async move { store.append_for(app, &[event, distinct]).await.unwrap() })
    });
    let results: Vec<Vec<Appended>> =
        futures_util::future::join_all(appends).await.into_iter().map(Result::unwrap).collect();
    let stored_once = results.iter().filter(|r| matches!(r[0], Appended::Stored(_))).count();
    assert_eq!(stored_once, 1, "the same event stored once");
    let mut all: Vec<i64> = results.iter().flat_map(|r| seqs(r)).flatten().collect();
    all.sort();
    assert_eq!(all, (1..=51).collect::<Vec<_>>(), "gap-free, no sequence number twice");
    assert_eq!(store.last_seq(app).await.unwrap().get(), 51);
}

#[tokio::test]
async fn memory_event_store_honours_the_contract() {
    contract(Arc::new(MemoryAppRepository::new()), Arc::new(MemoryEventStore::new())).await;
    concurrent_duplicates(Arc::new(MemoryAppRepository::new()), Arc::new(MemoryEventStore::new())).await;
}

#[tokio::test]
async fn postgres_event_store_honours_the_contract() {
    let Some(db) = TestDb::create().await else { return };
    let pool = db.migrated_pool().await;
    contract(Arc::new(PgAppRepository::new(pool.clone())), Arc::new(PgEventStore::new(pool.clone()))).await;
    concurrent_duplicates(Arc::new(PgAppRepository::new(pool.clone())), Arc::new(PgEventStore::new(pool))).await;
}

/// Another instance commits an event for the app while this append waits for the app's
/// lock: the append's first read is stale, and it must read again rather than store the
/// event twice or fail.
#[tokio::test]
async fn postgres_append_that_waited_for_the_lock_sees_what_was_committed_meanwhile() {
    use sqlx::Connection;

    let Some(db) = TestDb::create().await else { return };
    let pool = db.migrated_pool().await;
    let apps = PgAppRepository::new(pool.clone());
    let app = new_app(&apps).await;
    let store: Arc<dyn EventStore> = Arc::new(PgEventStore::new(pool.clone()));
    store.append_for(app, &[call(1, "ringing", 1, json!({}))]).await.unwrap();
    let racing = call(1, "connected", 2, json!({}));

    // "Another instance": holds the app's sequence lock and stores the same event.
    let mut other = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query("UPDATE app_sequences SET last_seq = 2 WHERE app_id = $1")
        .bind(app.as_uuid())
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO events (app_id, seq, dedup_key, kind, payload, received_at) VALUES ($1, 2, $2, 'call', '{}', now())",
    )
    .bind(app.as_uuid())
    .bind(&racing.dedup_key)
    .execute(&mut other)
    .await
    .unwrap();

    let waiting = tokio::spawn({
        let (store, racing) = (store.clone(), racing.clone());
        async move { store.append_for(app, &[racing, call(2, "ringing", 3, json!({}))]).await }
    });
    // Wait until the append is blocked on the lock (its snapshot is then taken).
    loop {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if blocked > 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();

    let results = waiting.await.unwrap().expect("no duplicate insert, no error");
    assert_eq!(seqs(&results), [None, Some(3)]);
    assert_eq!(store.last_seq(app).await.unwrap().get(), 3);
}

/// Every operation is bounded (adapters/postgres/limit.rs). PostgreSQL goes silent (a
/// frozen host, a dropped route): reads and appends fail as `Unavailable` (503, which
/// Dialpad retries) once their limit passes instead of hanging with their connection, and
/// the store serves again, with nothing lost or doubled, once the database answers.
#[tokio::test]
async fn postgres_event_store_gives_up_on_a_silent_database_and_recovers() {
    use std::time::{Duration, Instant};

    use cti_server::adapters::postgres::TimeLimit;
    use cti_server::ports::StoreError;

    use crate::fault_proxy::FaultProxy;

    let Some(db) = TestDb::create().await else { return };
    let direct = db.migrated_pool().await;
    let app = new_app(&PgAppRepository::new(direct.clone())).await;
    let (proxy, url) = FaultProxy::for_url(&db.url).await;
    let pool = cti_server::adapters::postgres::connect(url.parse().unwrap(), 2, Duration::from_secs(30)).await.unwrap();
    let limit = Duration::from_millis(500);
    let store: Arc<dyn EventStore> = Arc::new(PgEventStore::new(pool).with_time_limit(TimeLimit::new(limit)));
    store.append_for(app, &[call(1, "ringing", 1, json!({}))]).await.unwrap();

    proxy.pause();
    let started = Instant::now();
    let read = store.calls(app, &CallFilter::default(), PageLimit::new(Some(10)).unwrap(), None).await;
    assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    let append = store.append_for(app, &[call(1, "connected", 2, json!({}))]).await;
    assert!(matches!(append, Err(StoreError::Unavailable(_))), "{append:?}");
    // Each gave up at its limit: nowhere near TCP's own time out (minutes, or never).
    assert!(started.elapsed() < limit * 2 + Duration::from_secs(5), "{:?}", started.elapsed());

    proxy.pass();
    // The connections left mid-conversation are pinged and replaced; a retry goes through
    // (the failed append may or may not have committed: either way it is stored once).
    let deadline = Instant::now() + Duration::from_secs(30);
    let retried = loop {
        match store.append_for(app, &[call(1, "connected", 2, json!({}))]).await {
            Ok(results) => break results,
            Err(err) => assert!(Instant::now() < deadline, "the store did not recover: {err:?}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(matches!(seqs(&retried)[..], [None] | [Some(2)]), "{retried:?}");
    let page = store.calls(app, &CallFilter::default(), PageLimit::new(Some(10)).unwrap(), None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].state, CallState::parse("connected"));
    assert_eq!(store.last_seq(app).await.unwrap(), EventSeq::new(2));
}
