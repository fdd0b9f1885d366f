//! Every verified event is stored, whatever it holds, and read back as it was sent: NUL
//! characters (which PostgreSQL's jsonb and text refuse), non-JSON payloads holding NUL
//! bytes, times no database can represent. And the property behind it: any JSON value,
//! correctly signed, is stored once and comes back unchanged, on memory and PostgreSQL.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::Method;
use serde_json::{Value, json};

use crate::dialpad::{hex_signature, jws};
use crate::helpers::{Backend, TestApp, for_each_backend, json_of};

for_each_backend!(
    events_postgres_cannot_hold_as_sent_are_stored_and_read_back_as_sent,
    any_signed_json_value_is_stored_once_and_comes_back_unchanged
);

async fn status(res: reqwest::Response) -> String {
    json_of(res, 200).await["status"].as_str().unwrap().to_owned()
}

/// Posts a raw body with the old server's hex signature.
async fn post_hex(app: &TestApp, app_id: &str, secret: &str, body: &[u8]) -> reqwest::Response {
    app.request(Method::POST, &format!("/webhooks/dialpad/{app_id}"))
        .header("x-dialpad-signature", hex_signature(body, secret))
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn events_postgres_cannot_hold_as_sent_are_stored_and_read_back_as_sent(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("hostile").await;
    let nul_text = json!({"call_id": 9101, "state": "ringing", "event_timestamp": 1731624040000i64, "text": "a\u{0}b"});
    let nul_everywhere = json!({
        "call_id": 9102, "state": "ring\u{0}ing", "event_timestamp": 1731624040000i64,
        "external_number": "+1510\u{0}", "target": {"id": 7, "name": "Ag\u{0}ent"}, "k\u{0}": ["\u{0}"]
    });
    let ancient = json!({"call_id": 9103, "state": "ringing", "event_timestamp": -400000000000000i64});
    let far = json!({"call_id": 9104, "state": "hangup", "event_timestamp": 1731624040000i64,
                     "date_started": -400000000000000i64, "date_ended": 400000000000000000i64});
    for event in [&nul_text, &nul_everywhere, &ancient, &far] {
        assert_eq!(status(app.post_webhook(&id, jws(event, &secret)).await).await, "ok", "{event}");
        assert_eq!(status(app.post_webhook(&id, jws(event, &secret)).await).await, "duplicate", "{event}");
    }
    let not_json = b"{\"call_id\": 9105, \0 not json \xff";
    assert_eq!(status(post_hex(&app, &id, &secret, not_json).await).await, "ok");
    assert_eq!(status(post_hex(&app, &id, &secret, not_json).await).await, "duplicate");

    for (call_id, sent) in [(9101, &nul_text), (9102, &nul_everywhere), (9103, &ancient), (9104, &far)] {
        let call = app.api(&key, &format!("/api/calls/{call_id}"), 200).await;
        assert_eq!(&call["events"][0]["data"], sent, "read back as sent");
    }
    let far_call = app.api(&key, "/api/calls/9104", 200).await;
    assert!(far_call["ended_at"].is_null(), "an unrepresentable time is absent: {far_call}");
    let mut stream = app.ws(&format!("api_key={key}&since=0&types=unknown")).await;
    stream.next_json().await;
    let raw = stream.next_json().await;
    assert_eq!(raw["data"]["_raw"], String::from_utf8_lossy(not_json).as_ref(), "{raw}");
}

/// Any JSON value: NUL characters and every other character in strings and keys, integers
/// and floats, nested arrays and objects.
fn json_value() -> impl Strategy<Value = Value> {
    let text = prop_oneof![any::<String>(), "[a-z\\x00\\u{fffd}\"\\\\]{0,12}"];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(Value::from),
        text.clone().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(text.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

async fn any_signed_json_value_is_stored_once_and_comes_back_unchanged(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("property").await;
    let mut runner = TestRunner::deterministic();
    let strategy = json_value();
    let mut expected: Vec<Value> = Vec::new();
    let mut seen_bodies = std::collections::HashSet::new();
    for _ in 0..64 {
        let value = strategy.new_tree(&mut runner).unwrap().current();
        let token = jws(&value, &secret);
        let first = status(app.post_webhook(&id, token.clone()).await).await;
        let body = serde_json::to_vec(&value).unwrap();
        if seen_bodies.insert(body) {
            assert_eq!(first, "ok", "{value}");
            expected.push(value.clone());
        }
        assert_eq!(status(app.post_webhook(&id, token).await).await, "duplicate", "stored once: {value}");
    }
    let mut stream = app.ws(&format!("api_key={key}&since=0")).await;
    assert_eq!(stream.next_json().await["type"], "hello");
    for (n, sent) in expected.iter().enumerate() {
        let got = stream.next_json().await;
        assert_eq!(got["seq"], n as i64 + 1);
        assert_eq!(&got["data"], sent, "event {n} changed in storage");
    }
}
