//! Live streams over WebSocket, over every backend (and across two instances on Postgres and
//! Redis): hello then events in order; resume with `since` replays exactly what was missed;
//! concurrent writers; credentials and tickets; tenant isolation; filters; slow clients;
//! heartbeats; shutdown.

use cti_server::ports::IncomingEvent;
use reqwest::Method;
use serde_json::{Value, json};

use crate::dialpad::{call_event, jws};
use crate::helpers::{Backend, TestApp, for_each_backend, json_of};
use crate::infra::PUBSUB;
use crate::ws_client::Ended;

for_each_backend!(
    a_client_gets_hello_then_each_event_in_order,
    a_resumed_client_gets_exactly_the_missed_events_then_live_ones,
    concurrent_writers_deliver_every_sequence_number_once,
    bad_credentials_are_refused_before_the_upgrade,
    a_ticket_opens_one_stream_only,
    another_apps_events_never_arrive,
    the_user_and_types_filters_keep_only_what_was_asked,
    an_event_missing_from_the_live_feed_is_filled_from_the_store,
    a_resume_beyond_the_replay_limit_gets_a_reset,
    a_client_that_cannot_keep_up_is_cut_and_the_others_are_not,
    shutdown_closes_every_client_with_1001,
    streams_end_when_their_key_is_revoked_or_their_app_deactivated,
    a_key_rotated_out_with_grace_ends_its_streams_when_the_grace_ends,
);

/// Posts a signed call event; asserts it was accepted.
async fn post(app: &TestApp, id: &str, secret: &str, call_id: i64, state: &str, ts: i64) {
    post_event(app, id, secret, &call_event(call_id, state, ts)).await;
}

async fn post_event(app: &TestApp, id: &str, secret: &str, event: &Value) {
    let res = app.post_webhook(id, jws(event, secret)).await;
    assert_eq!(json_of(res, 200).await["status"], "ok");
}

/// The call of the sentinel events: posted after what a test expects, so that receiving one
/// next proves nothing else arrived before it (see `WsClient::next_is_sentinel`).
const SENTINEL: i64 = 9_999;

/// Posts a sentinel event (a ringing call of agent-1, the default target) at `ts`.
async fn post_sentinel(app: &TestApp, id: &str, secret: &str, ts: i64) {
    post(app, id, secret, SENTINEL, "ringing", ts).await;
}

async fn a_client_gets_hello_then_each_event_in_order(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Acme").await;
    post(&app, &id, &secret, 1, "ringing", 1_000).await;

    let mut client = app.ws(&format!("api_key={key}")).await;
    let hello = client.next_json().await;
    assert_eq!(hello, json!({"type": "hello", "app_id": id, "last_seq": 1}));

    post(&app, &id, &secret, 1, "connected", 2_000).await;
    post(&app, &id, &secret, 1, "hangup", 3_000).await;
    let connected = client.next_json().await;
    assert_eq!(
        (&connected["type"], &connected["seq"], &connected["call_id"], &connected["state"]),
        (&json!("call.connected"), &json!(2), &json!(1), &json!("connected"))
    );
    assert_eq!(connected["data"]["contact"]["name"], "Caller", "data is the event as Dialpad sent it");
    assert_eq!(connected["data"]["event_timestamp"], 2_000);
    assert_eq!(client.next_json().await["type"], "call.hangup");
    post_sentinel(&app, &id, &secret, 4_000).await;
    assert_eq!(client.next_is_sentinel(SENTINEL).await["seq"], 4, "nothing else, no duplicate");
    assert!(app.metric("ws_messages_sent_total").await >= 2.0);
    assert_eq!(app.metric("ws_connections_open").await, 1.0);
}

async fn a_resumed_client_gets_exactly_the_missed_events_then_live_ones(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Acme").await;
    let mut client = app.ws(&format!("api_key={key}")).await;
    client.next_json().await;
    post(&app, &id, &secret, 10, "ringing", 1_000).await;
    assert_eq!(client.next_seqs(1).await, [1]);
    client.close().await;

    for (i, state) in ["connected", "hold", "connected", "hangup"].iter().enumerate() {
        post(&app, &id, &secret, 10, state, 2_000 + i as i64).await;
    }
    let mut client = app.ws(&format!("api_key={key}&since=1")).await;
    assert_eq!(client.next_json().await["last_seq"], 5);
    assert_eq!(client.next_seqs(4).await, [2, 3, 4, 5], "the missed events, in order");
    post(&app, &id, &secret, 11, "ringing", 9_000).await;
    assert_eq!(client.next_seqs(1).await, [6], "then live, with no gap and no duplicate");
    post_sentinel(&app, &id, &secret, 10_000).await;
    assert_eq!(client.next_is_sentinel(SENTINEL).await["seq"], 7, "and nothing else");
}

async fn concurrent_writers_deliver_every_sequence_number_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Busy").await;
    let mut client = app.ws(&format!("api_key={key}")).await;
    client.next_json().await;

    let posts = (0..40).map(|i| post(&app, &id, &secret, 100 + i, "ringing", 1_000));
    futures_util::future::join_all(posts).await;
    let seqs = client.next_seqs(40).await;
    assert_eq!(seqs, (1..=40).collect::<Vec<i64>>(), "every sequence number once, in order");
    post_sentinel(&app, &id, &secret, 2_000).await;
    assert_eq!(client.next_is_sentinel(SENTINEL).await["seq"], 41, "and nothing twice");
}

async fn bad_credentials_are_refused_before_the_upgrade(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (_, _, key) = app.tenant("Acme").await;
    let app = &app;
    let refused = |query: &'static str| async move { app.ws_with(query, &[]).await.err().expect("refused") };
    let (status, body) = refused("").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("Missing API key")));
    let (status, body) = refused("api_key=cti_test_nope").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("Invalid API key")));
    assert!(!body.to_string().contains("cti_test_nope"), "the key is never echoed");
    let (status, _) = refused("ticket=wst_bogus").await;
    assert_eq!(status, 401);
    let (status, body) = app.ws_with(&format!("api_key={key}&since=abc"), &[]).await.err().expect("refused");
    assert_eq!((status, body["error"].as_str()), (400, Some("Bad request")));
    let (status, _) = app.ws_with(&format!("api_key={key}&types=Bad!"), &[]).await.err().expect("refused");
    assert_eq!(status, 400);

    // The header works too (non-browser clients).
    let mut client = app.ws_with("", &[("x-app-api-key", &key)]).await.expect("accepted");
    assert_eq!(client.next_json().await["type"], "hello");
}

async fn a_ticket_opens_one_stream_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, _, key) = app.tenant("Acme").await;
    let res = app.request(Method::POST, "/api/ws-ticket").header("x-app-api-key", &key).send().await.unwrap();
    let issued = json_of(res, 201).await;
    assert_eq!(issued["expires_in"], 30);
    let ticket = issued["ticket"].as_str().unwrap();

    let mut client = app.ws(&format!("ticket={ticket}")).await;
    assert_eq!(client.next_json().await["app_id"], id.as_str());
    let (status, body) = app.ws_with(&format!("ticket={ticket}"), &[]).await.err().expect("a used ticket is refused");
    assert_eq!((status, body["error"].as_str()), (401, Some("Invalid ticket")));

    let res = app.request(Method::POST, "/api/ws-ticket").send().await.unwrap();
    assert_eq!(res.status(), 401, "tickets need the API key");
}

async fn another_apps_events_never_arrive(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (a, a_secret, a_key) = app.tenant("A").await;
    let (b, b_secret, b_key) = app.tenant("B").await;
    let mut client_a = app.ws(&format!("api_key={a_key}")).await;
    let mut client_b = app.ws(&format!("api_key={b_key}")).await;
    client_a.next_json().await;
    client_b.next_json().await;

    post(&app, &b, &b_secret, 7, "ringing", 1_000).await;
    post(&app, &b, &b_secret, 7, "connected", 2_000).await;
    post(&app, &a, &a_secret, 8, "ringing", 1_000).await;
    let only = client_a.next_json().await;
    assert_eq!((only["seq"].as_i64(), only["call_id"].as_i64()), (Some(1), Some(8)), "A sees its own event only");
    post_sentinel(&app, &a, &a_secret, 2_000).await;
    assert_eq!(client_a.next_is_sentinel(SENTINEL).await["seq"], 2, "and none of B's after it");
    assert_eq!(client_b.next_seqs(2).await, [1, 2]);
}

async fn the_user_and_types_filters_keep_only_what_was_asked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Acme").await;
    let mapping = json!({"dialpad_user_id": 5527348325810176i64, "app_user_id": "agent-1"});
    let res = app.internal(Method::POST, &format!("/internal/apps/{id}/user-mappings")).json(&mapping).send().await;
    json_of(res.unwrap(), 201).await;

    let mut agent = app.ws(&format!("api_key={key}&user=agent-1")).await;
    let mut hangups = app.ws(&format!("api_key={key}&types=call.hangup,sms")).await;
    for client in [&mut agent, &mut hangups] {
        client.next_json().await;
    }
    let mut other_agent = call_event(2, "ringing", 1_000);
    other_agent["target"]["id"] = json!(42);
    post_event(&app, &id, &secret, &other_agent).await; // seq 1: another agent's
    post(&app, &id, &secret, 1, "ringing", 1_000).await; // seq 2: agent-1's
    post(&app, &id, &secret, 1, "hangup", 2_000).await; // seq 3: agent-1's hangup

    assert_eq!(agent.next_seqs(2).await, [2, 3]);
    assert_eq!(hangups.next_seqs(1).await, [3]);
    // seq 4: agent-1's hangup, which both filters let through.
    post(&app, &id, &secret, SENTINEL, "hangup", 3_000).await;
    assert_eq!(agent.next_is_sentinel(SENTINEL).await["seq"], 4, "nothing else for agent-1");
    assert_eq!(hangups.next_is_sentinel(SENTINEL).await["seq"], 4, "nothing but hangups");

    // A user without mappings gets nothing, so no sentinel can show that nothing came before
    // it. Its stream resumes from the start instead: the replay passes all four events through
    // the same filter, and is sent whole before the stream reads the client's close.
    let mut unmapped = app.ws(&format!("api_key={key}&user=nobody&since=0")).await;
    assert_eq!(unmapped.next_json().await["last_seq"], 4);
    assert_eq!(unmapped.close_and_collect().await, Vec::<Value>::new(), "a user without mappings gets nothing");

    // A resume applies the same filter to the replay.
    let mut agent = app.ws(&format!("api_key={key}&user=agent-1&types=call.hangup&since=0")).await;
    agent.next_json().await;
    assert_eq!(agent.next_seqs(2).await, [3, 4]);
}

async fn an_event_missing_from_the_live_feed_is_filled_from_the_store(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Acme").await;
    let mut client = app.ws(&format!("api_key={key}")).await;
    client.next_json().await;

    // Stored without going through the bus: as if its announcement was lost.
    let app_id = id.parse().unwrap();
    let event = cti_server::domain::webhook::parse(call_event(5, "ringing", 1_000).to_string().as_bytes());
    let incoming = IncomingEvent { dedup_key: "lost-on-the-bus".into(), event, received_at: chrono::Utc::now() };
    app.backends.events.append(&[(app_id, incoming)]).await.unwrap();

    post(&app, &id, &secret, 5, "connected", 2_000).await;
    assert_eq!(client.next_seqs(2).await, [1, 2], "the gap before seq 2 is read from the store");
}

async fn a_resume_beyond_the_replay_limit_gets_a_reset(backend: Backend) {
    let Some(app) = TestApp::spawn_tuned(backend, |s| s.ws_replay_limit = "2".into()).await else { return };
    let (id, secret, key) = app.tenant("Acme").await;
    for ts in 1..=3 {
        post(&app, &id, &secret, 1, "ringing", ts).await;
    }
    let mut client = app.ws(&format!("api_key={key}&since=0")).await;
    assert_eq!(client.next_json().await["last_seq"], 3);
    let reset = client.next_json().await;
    assert_eq!((reset["type"].as_str(), reset["last_seq"].as_i64()), (Some("reset"), Some(3)));
    post(&app, &id, &secret, 2, "ringing", 9).await;
    assert_eq!(client.next_seqs(1).await, [4], "then live");

    let mut within = app.ws(&format!("api_key={key}&since=2")).await;
    within.next_json().await;
    assert_eq!(within.next_seqs(2).await, [3, 4], "within the limit: a replay");
    let mut ahead = app.ws(&format!("api_key={key}&since=99")).await;
    ahead.next_json().await;
    assert_eq!(ahead.next_json().await["type"], "reset", "ahead of the store: a reset");
}

/// A client that stops reading falls behind; once it is more than it may be (the larger of
/// the queue and the replay limit), it is cut.
async fn a_client_that_cannot_keep_up_is_cut_and_the_others_are_not(backend: Backend) {
    let Some(app) = TestApp::spawn_tuned(backend, |s| {
        s.ws_send_queue_size = "2".into();
        s.ws_replay_limit = "10".into();
    })
    .await
    else {
        return;
    };
    let (id, secret, key) = app.tenant("Acme").await;
    let mut slow = app.ws(&format!("api_key={key}")).await;
    let mut fast = app.ws(&format!("api_key={key}")).await;
    fast.next_json().await;

    // Big events fill the kernel's socket buffers of the client that never reads; then
    // its queue fills, and it is cut.
    let mut big = call_event(1, "ringing", 1);
    big["padding"] = json!("x".repeat(200_000));
    let mut received = Vec::new();
    for i in 1..=60 {
        big["event_timestamp"] = json!(i);
        post_event(&app, &id, &secret, &big).await;
        received.extend(fast.next_seqs(1).await);
        if app.metric("ws_slow_clients_cut_total").await >= 1.0 {
            break;
        }
    }
    assert_eq!(app.metric("ws_slow_clients_cut_total").await, 1.0, "the slow client was cut");
    assert_eq!(received, (1..=received.len() as i64).collect::<Vec<_>>(), "the reader got everything");
    assert_eq!(slow.ended().await, Ended::Closed(1008));
}

async fn shutdown_closes_every_client_with_1001(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (_, _, key) = app.tenant("Acme").await;
    let mut first = app.ws(&format!("api_key={key}")).await;
    let mut second = app.ws(&format!("api_key={key}")).await;
    first.next_json().await;
    second.next_json().await;
    let stopping = tokio::spawn(app.stop());
    assert_eq!(first.ended().await, Ended::Closed(1001));
    assert_eq!(second.ended().await, Ended::Closed(1001));
    stopping.await.unwrap().expect("the server stops cleanly");
}

async fn ticket(app: &TestApp, key: &str) -> String {
    let res = app.request(Method::POST, "/api/ws-ticket").header("x-app-api-key", key).send().await.unwrap();
    json_of(res, 201).await["ticket"].as_str().unwrap().to_owned()
}

async fn streams_end_when_their_key_is_revoked_or_their_app_deactivated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Acme").await;
    let mut by_key = app.ws(&format!("api_key={key}")).await;
    let mut by_ticket = app.ws(&format!("ticket={}", ticket(&app, &key).await)).await;
    let unused = ticket(&app, &key).await;
    let (other_id, other_secret, other_key) = app.tenant("Other").await;
    let mut other_app = app.ws(&format!("api_key={other_key}")).await;
    for client in [&mut by_key, &mut by_ticket, &mut other_app] {
        client.next_json().await;
    }

    let res = app.internal(Method::DELETE, &format!("/internal/apps/{id}/api-key")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(by_key.ended().await, Ended::Closed(4401));
    assert_eq!(by_ticket.ended().await, Ended::Closed(4401), "a ticket's stream ends with the key that asked");
    let (status, body) = app.ws_with(&format!("ticket={unused}"), &[]).await.err().expect("refused");
    assert_eq!((status, body["error"].as_str()), (401, Some("Invalid ticket")), "its key was revoked meanwhile");

    let key = app.issue_key(&id, 0).await;
    let mut again = app.ws(&format!("api_key={key}")).await;
    again.next_json().await;
    let unused = ticket(&app, &key).await;
    app.internal(Method::PATCH, &format!("/internal/apps/{id}"))
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.ended().await, Ended::Closed(4403));
    let (status, body) = app.ws_with(&format!("ticket={unused}"), &[]).await.err().expect("refused");
    assert_eq!((status, body["error"].as_str()), (403, Some("App inactive")));
    app.internal(Method::PATCH, &format!("/internal/apps/{id}"))
        .json(&json!({"is_active": true}))
        .send()
        .await
        .unwrap();
    let mut reactivated = app.ws(&format!("api_key={key}")).await;
    reactivated.next_json().await;
    post_sentinel(&app, &id, &secret, 1_000).await;
    assert_eq!(reactivated.next_is_sentinel(SENTINEL).await["seq"], 1, "a reactivated app streams again");

    post_sentinel(&app, &other_id, &other_secret, 1_000).await;
    assert_eq!(other_app.next_is_sentinel(SENTINEL).await["seq"], 1, "another app's stream goes on");
    assert_eq!(app.metric("ws_credentials_ended_total").await, 3.0);
}

async fn a_key_rotated_out_with_grace_ends_its_streams_when_the_grace_ends(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, old_key) = app.tenant("Acme").await;
    let mut old = app.ws(&format!("api_key={old_key}")).await;
    old.next_json().await;
    let new_key = app.issue_key(&id, 4).await;
    let mut new = app.ws(&format!("api_key={new_key}")).await;
    new.next_json().await;
    post_sentinel(&app, &id, &secret, 1_000).await;
    assert_eq!(old.next_is_sentinel(SENTINEL).await["seq"], 1, "the old key still stands during its grace");
    assert_eq!(new.next_is_sentinel(SENTINEL).await["seq"], 1);
    assert_eq!(old.ended().await, Ended::Closed(4401), "and its stream ends with the grace");
    post_sentinel(&app, &id, &secret, 2_000).await;
    assert_eq!(new.next_is_sentinel(SENTINEL).await["seq"], 2, "the new key's stream goes on");
}

#[tokio::test]
async fn a_key_revoked_on_one_instance_ends_its_streams_on_the_other() {
    let Some(one) = TestApp::spawn(Backend::Real).await else { return };
    let _delivery = PUBSUB.read().await;
    let two = one.sibling().await;
    let (id, _, key) = one.tenant("Shared").await;
    let mut on_two = two.ws(&format!("api_key={key}")).await;
    on_two.next_json().await;
    one.issue_key(&id, 0).await;
    assert_eq!(on_two.ended().await, Ended::Closed(4401), "rotated out without grace on the other instance");
}

#[tokio::test]
async fn a_client_that_misses_two_pongs_is_disconnected() {
    let app = TestApp::spawn_tuned(Backend::Memory, |s| s.ws_ping_interval_seconds = "1".into()).await.unwrap();
    let (id, secret, key) = app.tenant("Acme").await;
    let mut answering = app.ws(&format!("api_key={key}")).await;
    answering.next_json().await;
    // A client that never reads never answers pings: once the server counts a missed
    // heartbeat, it has been dropped (`answering` answering its own pings meanwhile).
    let mut silent = app.ws(&format!("api_key={key}")).await;
    answering.answer_pings_until(app.metric_reaches("ws_heartbeat_timeouts_total", 1.0)).await;
    assert_eq!(silent.ended().await, Ended::Dropped);
    assert_eq!(app.metric("ws_heartbeat_timeouts_total").await, 1.0);
    post_sentinel(&app, &id, &secret, 1_000).await;
    assert_eq!(answering.next_is_sentinel(SENTINEL).await["seq"], 1, "a client answering pings stays");
}

#[tokio::test]
async fn other_origins_are_refused_when_origins_are_configured() {
    let app = TestApp::spawn_tuned(Backend::Memory, |s| s.allowed_origins = Some("https://app.example.com".into()))
        .await
        .unwrap();
    let (_, _, key) = app.tenant("Acme").await;
    let query = format!("api_key={key}");
    let (status, body) = app.ws_with(&query, &[("origin", "https://evil.example")]).await.err().expect("refused");
    assert_eq!((status, body["error"].as_str()), (403, Some("Origin not allowed")));
    assert!(app.ws_with(&query, &[("origin", "https://app.example.com")]).await.is_ok());
    assert!(app.ws_with(&query, &[]).await.is_ok(), "no Origin: not a browser");
}

#[tokio::test]
async fn an_event_posted_to_one_instance_reaches_clients_on_the_other() {
    let Some(one) = TestApp::spawn(Backend::Real).await else { return };
    let _delivery = PUBSUB.read().await;
    let two = one.sibling().await;
    let (id, secret, key) = one.tenant("Shared").await;
    let mut on_two = two.ws(&format!("api_key={key}")).await;
    let mut on_one = one.ws(&format!("api_key={key}")).await;
    on_two.next_json().await;
    on_one.next_json().await;

    post(&one, &id, &secret, 1, "ringing", 1_000).await;
    post(&two, &id, &secret, 1, "connected", 2_000).await;
    post(&one, &id, &secret, 1, "hangup", 3_000).await;
    assert_eq!(on_two.next_seqs(3).await, [1, 2, 3]);
    assert_eq!(on_one.next_seqs(3).await, [1, 2, 3]);

    // A ticket issued by one instance is spent on the other, once.
    let res = one.request(Method::POST, "/api/ws-ticket").header("x-app-api-key", &key).send().await.unwrap();
    let ticket = json_of(res, 201).await["ticket"].as_str().unwrap().to_owned();
    let mut by_ticket = two.ws(&format!("ticket={ticket}&since=2")).await;
    by_ticket.next_json().await;
    assert_eq!(by_ticket.next_seqs(1).await, [3]);
    assert_eq!(one.ws_with(&format!("ticket={ticket}"), &[]).await.err().map(|e| e.0), Some(401));
}

#[tokio::test]
async fn events_published_while_redis_subscribers_were_cut_still_arrive() {
    let Some(app) = TestApp::spawn(Backend::Real).await else { return };
    let _cuts = PUBSUB.write().await;
    let (id, secret, key) = app.tenant("Blip").await;
    let mut client = app.ws(&format!("api_key={key}")).await;
    client.next_json().await;
    post(&app, &id, &secret, 1, "ringing", 1_000).await;
    assert_eq!(client.next_seqs(1).await, [1]);

    // Cut every pub/sub connection, then store events while the subscriber reconnects: their
    // announcements are lost, and the hub reads them from the store once resubscribed.
    app.infra.as_ref().unwrap().redis.cut_pubsub().await;
    for ts in 2..=4 {
        post(&app, &id, &secret, 1, "connected", ts * 1_000).await;
    }
    assert_eq!(client.next_seqs(3).await, [2, 3, 4], "nothing lost, in order");
    post_sentinel(&app, &id, &secret, 5_000).await;
    assert_eq!(client.next_is_sentinel(SENTINEL).await["seq"], 5, "and nothing twice");
}
