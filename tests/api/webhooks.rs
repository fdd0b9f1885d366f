//! Webhook ingest over HTTP, over every backend: exactly once under concurrency, signatures,
//! voicemails, out-of-order states, secret rotation, the legacy route, and storage trouble.

use reqwest::Method;
use serde_json::{Value, json};

use crate::dialpad::{call_event, hex_signature, jws};
use crate::helpers::{Backend, LEGACY_SECRET, TestApp, assert_error, for_each_backend, json_of};

for_each_backend!(
    a_signed_event_is_stored_once_and_a_repeat_is_a_duplicate,
    fifty_concurrent_deliveries_of_one_event_make_one_row,
    the_same_voicemail_delivered_concurrently_is_one_voicemail,
    states_out_of_order_never_reopen_an_ended_call,
    bad_signatures_are_401_and_store_nothing,
    a_verified_payload_that_is_not_a_call_event_is_kept,
    wrong_apps_and_oversized_bodies_are_refused,
    a_rotated_secret_keeps_the_previous_one_for_the_overlap,
    the_legacy_route_routes_through_mappings_or_keeps_the_event_unrouted,
);

async fn status(res: reqwest::Response) -> String {
    json_of(res, 200).await["status"].as_str().unwrap().to_owned()
}

async fn a_signed_event_is_stored_once_and_a_repeat_is_a_duplicate(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Acme").await;
    let token = jws(&call_event(111, "ringing", 1731624040000), &secret);
    assert_eq!(status(app.post_webhook(&id, token.clone()).await).await, "ok");
    assert_eq!(status(app.post_webhook(&id, token).await).await, "duplicate");

    // The old server's scheme: JSON body, hex HMAC in a header (sha256= prefix tolerated).
    let body = call_event(111, "connected", 1731624045000).to_string();
    let res = app
        .request(Method::POST, &format!("/webhooks/dialpad/{id}"))
        .header("content-type", "application/json")
        .header("x-dialpad-signature", format!("sha256={}", hex_signature(body.as_bytes(), &secret)))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(status(res).await, "ok");

    let call = app.api(&key, "/api/calls/111", 200).await;
    assert_eq!(call["state"], "connected");
    let states: Vec<&str> = call["events"].as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["ringing", "connected"]);
    assert_eq!(call["events"][0]["data"]["contact"]["name"], "Caller", "the payload is kept whole");
    assert_eq!(app.metric(r#"webhooks_stored_total{kind="call"}"#).await, 2.0);
    assert_eq!(app.metric("webhooks_duplicates_total").await, 1.0);
}

async fn fifty_concurrent_deliveries_of_one_event_make_one_row(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Busy").await;
    let token = jws(&call_event(222, "ringing", 1731624040000), &secret);
    let deliveries = (0..50).map(|_| async { status(app.post_webhook(&id, token.clone()).await).await });
    let statuses = futures_util::future::join_all(deliveries).await;
    assert_eq!(statuses.iter().filter(|s| *s == "ok").count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| *s == "duplicate").count(), 49);
    let call = app.api(&key, "/api/calls/222", 200).await;
    assert_eq!((call["event_count"].as_i64(), call["events"].as_array().unwrap().len()), (Some(1), 1));
}

async fn the_same_voicemail_delivered_concurrently_is_one_voicemail(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Voicemail").await;
    // Twenty distinct events (other timestamps) announcing one voicemail, all at once.
    let posts = (0..20).map(|i| {
        let mut event = call_event(333, if i % 2 == 0 { "voicemail" } else { "voicemail_uploaded" }, 1731624050000 + i);
        event["voicemail_link"] = json!("https://dialpad.example/vm/333");
        if i % 2 == 1 {
            event["transcription_text"] = json!("please call back");
        }
        app.post_webhook(&id, jws(&event, &secret))
    });
    for res in futures_util::future::join_all(posts).await {
        assert_eq!(res.status(), 200);
    }
    // And, without call ids (the old server's bug), two messages from one caller a minute apart.
    for minute in 0..2 {
        let mut event = call_event(0, "voicemail", 1731624100000 + minute * 60_000);
        event["call_id"] = Value::Null;
        event["date_started"] = json!(1731624100000i64 + minute * 60_000);
        assert_eq!(app.post_webhook(&id, jws(&event, &secret)).await.status(), 200);
    }
    let list = app.api(&key, "/api/voicemails", 200).await;
    let voicemails = list["voicemails"].as_array().unwrap();
    assert_eq!(voicemails.len(), 3, "{list}");
    let vm = voicemails.iter().find(|v| v["call_id"] == 333).unwrap();
    assert_eq!((vm["uploaded"].as_bool(), vm["transcription"].as_str()), (Some(true), Some("please call back")));
    let one = app.api(&key, &format!("/api/voicemails/{}", vm["id"].as_str().unwrap()), 200).await;
    assert_eq!(one["link"], "https://dialpad.example/vm/333");
}

async fn states_out_of_order_never_reopen_an_ended_call(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Order").await;
    for (state, ts) in [("connected", 3), ("hangup", 9), ("ringing", 1), ("hold", 5)] {
        let token = jws(&call_event(444, state, 1731624040000 + ts * 1000), &secret);
        assert_eq!(app.post_webhook(&id, token).await.status(), 200);
    }
    let call = app.api(&key, "/api/calls/444", 200).await;
    assert_eq!(
        (call["state"].as_str(), call["ended"].as_bool(), call["event_count"].as_i64()),
        (Some("hangup"), Some(true), Some(4))
    );
    let seqs: Vec<i64> = call["events"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4], "events in storage order");
}

async fn bad_signatures_are_401_and_store_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Guarded").await;
    let event = call_event(555, "ringing", 1731624040000);
    let token = jws(&event, &secret);
    let mut tampered = token.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let none_alg = {
        use base64::Engine;
        let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(&event.to_string()))
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("wrong secret", jws(&event, "not-the-secret").into_bytes()),
        ("tampered", tampered),
        ("alg none", none_alg.into_bytes()),
        ("json without signature", event.to_string().into_bytes()),
        ("empty body", vec![]),
        ("garbage", b"hello".to_vec()),
    ];
    for (case, body) in cases {
        let res = app.post_webhook(&id, body).await;
        assert_eq!(res.status(), 401, "case {case}");
        assert_error(res, 401, "Invalid webhook signature").await;
    }
    app.api(&key, "/api/calls/555", 404).await;
    assert_eq!(app.metric(r#"webhooks_rejected_total{reason="mismatch"}"#).await, 2.0);
}

async fn a_verified_payload_that_is_not_a_call_event_is_kept(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, _) = app.tenant("Misc").await;
    let sms = json!({"id": 9, "direction": "inbound", "from_number": "+1", "to_number": ["+2"], "text": "hi"});
    let agent = json!({"on_duty_status": "available", "target": {"id": 5}, "event_timestamp": 1});
    let odd = json!({"something": "new"});
    for payload in [sms, agent, odd] {
        assert_eq!(status(app.post_webhook(&id, jws(&payload, &secret)).await).await, "ok");
    }
    for kind in ["sms", "agent_status", "unknown"] {
        assert_eq!(app.metric(&format!(r#"webhooks_stored_total{{kind="{kind}"}}"#)).await, 1.0, "{kind}");
    }
}

async fn wrong_apps_and_oversized_bodies_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, _) = app.tenant("Edges").await;
    let token = jws(&call_event(666, "ringing", 1), &secret);
    assert_error(app.post_webhook("6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10", token.clone()).await, 404, "Not found").await;
    assert_error(app.post_webhook("not-a-uuid", token.clone()).await, 400, "Bad request").await;
    let huge = "x".repeat(1024 * 1024 + 1);
    assert_error(app.post_webhook(&id, huge).await, 413, "Payload too large").await;
    app.internal(Method::PATCH, &format!("/internal/apps/{id}"))
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_error(app.post_webhook(&id, token).await, 403, "App inactive").await;
}

async fn a_rotated_secret_keeps_the_previous_one_for_the_overlap(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, first, _) = app.tenant("Rotating").await;
    let second = app.webhook_secret(&id, 3600).await;
    for (n, secret) in [(1, &first), (2, &second)] {
        assert_eq!(app.post_webhook(&id, jws(&call_event(n, "ringing", 1), secret)).await.status(), 200, "secret {n}");
    }
    let third = app.webhook_secret(&id, 0).await;
    assert_eq!(app.post_webhook(&id, jws(&call_event(3, "ringing", 1), &second)).await.status(), 401);
    assert_eq!(app.post_webhook(&id, jws(&call_event(4, "ringing", 1), &third)).await.status(), 200);
    let listed =
        json_of(app.internal(Method::GET, &format!("/internal/apps/{id}/webhook-secret")).send().await.unwrap(), 200)
            .await;
    let secrets = listed["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 3);
    assert_eq!(secrets.iter().filter(|s| s["valid"] == true).count(), 1);
    assert!(!listed.to_string().contains(&third), "a secret is shown only once");
}

async fn the_legacy_route_routes_through_mappings_or_keeps_the_event_unrouted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, _, key) = app.tenant("Legacy").await;
    let mapping = json!({"dialpad_user_id": 5527348325810176i64, "app_user_id": "agent-1"});
    app.internal(Method::POST, &format!("/internal/apps/{id}/user-mappings")).json(&mapping).send().await.unwrap();

    let post = |body: String| app.request(Method::POST, "/webhooks/dialpad").body(body).send();
    assert_eq!(status(post(jws(&call_event(777, "ringing", 1), LEGACY_SECRET)).await.unwrap()).await, "ok");
    assert_eq!(status(post(jws(&call_event(777, "ringing", 1), LEGACY_SECRET)).await.unwrap()).await, "duplicate");
    assert_eq!(app.api(&key, "/api/calls/777", 200).await["state"], "ringing");

    let mut stray = call_event(888, "ringing", 1);
    stray["target"]["id"] = json!(12345);
    assert_eq!(status(post(jws(&stray, LEGACY_SECRET)).await.unwrap()).await, "ok");
    app.api(&key, "/api/calls/888", 404).await;
    let unrouted = json_of(app.internal(Method::GET, "/internal/webhooks/unrouted").send().await.unwrap(), 200).await;
    assert_eq!(unrouted["events"][0]["dialpad_target_id"], 12345, "{unrouted}");
    assert_eq!(unrouted["events"][0]["data"]["call_id"], 888);
    assert_eq!(app.metric("webhooks_unrouted_total").await, 1.0);

    let res = post(jws(&call_event(999, "ringing", 1), "per-app-secrets-do-not-work-here")).await.unwrap();
    assert_error(res, 401, "Invalid webhook signature").await;
}

#[tokio::test]
async fn the_legacy_route_refuses_everything_without_a_global_secret() {
    let mut settings = crate::helpers::test_settings();
    settings.dialpad_webhook_secret = None;
    let app = TestApp::spawn_with(settings, None).await;
    let res = app
        .request(Method::POST, "/webhooks/dialpad")
        .body(jws(&call_event(1, "ringing", 1), LEGACY_SECRET))
        .send()
        .await;
    assert_error(res.unwrap(), 401, "Invalid webhook signature").await;
}

#[tokio::test]
async fn storage_trouble_answers_503_and_the_retry_is_stored() {
    let Some(app) = TestApp::spawn(Backend::Real).await else { return };
    let (id, secret, key) = app.tenant("Outage").await;
    let token = jws(&call_event(1010, "ringing", 1), &secret);
    let healthy = app.sibling().await;
    // This instance loses its database: a verified webhook must get a 5xx, never a 4xx.
    app.backends.postgres.as_ref().unwrap().close().await;
    let res = app.post_webhook(&id, token.clone()).await;
    assert_error(res, 503, "Service unavailable").await;
    // Dialpad retries (here on the other instance): the event is stored.
    assert_eq!(status(healthy.post_webhook(&id, token).await).await, "ok");
    assert_eq!(healthy.api(&key, "/api/calls/1010", 200).await["state"], "ringing");
}
