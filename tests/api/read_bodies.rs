//! The read API's bodies, byte for byte: a fixed set of calls and voicemails is posted, and
//! the pages of /api/calls, /api/calls/{id} and /api/voicemails are compared with bodies
//! recorded in tests/api/fixtures/read_bodies/ (on every backend). What the server's clock
//! or random ids decide (received_at, created_at, updated_at, voicemail ids) is replaced by
//! a placeholder first; everything else, key order, escapes and timestamp digits included,
//! must not change. `RECORD_READ_BODIES=1` writes the files anew (review the diff).

use reqwest::Method;
use serde_json::{Value, json};

use crate::dialpad::jws;
use crate::helpers::{Backend, TestApp};

const START: i64 = 1_750_000_000_000;

/// The events, in the order Dialpad might send them: late and out-of-order states, null
/// and missing fields, escapes and non-ASCII text, times with and without fractions.
fn events() -> Vec<Value> {
    let target = |n: i64| json!({"id": 5527348325810176i64 + n, "type": "user", "name": format!("Agent \"{n}\" Ü"), "phone": "+15105550199", "email": "a@example.com"});
    let contact = |n: i64| json!({"id": 6131436978913280i64 + n, "type": "local", "name": "Caller ☎", "phone": format!("+1510555{n:04}")});
    let mut out = Vec::new();
    for n in 0..12i64 {
        let call_id = 1_000 + n;
        let started = START + n * 61_001 + if n % 3 == 0 { 0 } else { 123 };
        let base = json!({
            "call_id": call_id, "master_call_id": if n == 4 { json!(1_000) } else { Value::Null },
            "direction": if n % 2 == 0 { "inbound" } else { "outbound" },
            "external_number": format!("+1510555{n:04}"), "internal_number": "+15105550199",
            "date_started": started, "target": target(n % 3), "contact": contact(n),
            "was_recorded": n % 4 == 0, "labels": ["a"], "recording_details": [],
        });
        let states: &[&str] = match n % 4 {
            0 => &["calling", "ringing", "connected", "hangup"],
            1 => &["ringing", "hangup"],
            2 => &["ringing", "voicemail", "voicemail_uploaded"],
            _ => &["hangup", "ringing"],
        };
        for (i, state) in states.iter().enumerate() {
            let mut event = base.clone();
            let at = started + i as i64 * 2_500;
            let fields = event.as_object_mut().unwrap();
            fields.insert("state".into(), json!(state));
            fields.insert("event_timestamp".into(), json!(at));
            if *state == "connected" {
                fields.insert("date_connected".into(), json!(at));
            }
            if *state == "hangup" {
                fields.insert("date_ended".into(), json!(at));
                fields.insert("duration".into(), json!(at - started));
            }
            if state.starts_with("voicemail") {
                fields.insert("voicemail_link".into(), json!(format!("https://dialpad.example/v/{call_id}")));
            }
            if *state == "voicemail_uploaded" {
                fields.insert("transcription_text".into(), json!("Call me back \"today\"\n— thanks"));
                fields.insert(
                    "recording_details".into(),
                    json!([{"id": format!("r{call_id}"), "duration": 9_000, "start_time": at, "recording_type": "voicemail"}]),
                );
            }
            out.push(event);
        }
    }
    out
}

/// `body` with the value of every field named in `server_side` (each a JSON string) put in
/// place of a placeholder, found by parsing and replaced in the raw text.
fn without_server_values(body: &str, server_side: &[&str]) -> String {
    fn collect(value: &Value, names: &[&str], found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match v {
                        Value::String(s) if names.contains(&key.as_str()) => found.push(s.clone()),
                        _ => collect(v, names, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, names, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    collect(&serde_json::from_str(body).unwrap(), server_side, &mut found);
    let mut body = body.to_owned();
    for value in found {
        body = body.replace(&format!("\"{value}\""), "\"<server>\"");
    }
    body
}

async fn body(app: &TestApp, key: &str, path: &str) -> String {
    let res = app.request(Method::GET, path).header("x-app-api-key", key).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["content-type"], "application/json; charset=utf-8", "{path}");
    res.text().await.unwrap()
}

async fn bodies_are_as_recorded(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Read bodies").await;
    for event in events() {
        assert_eq!(app.post_webhook(&id, jws(&event, &secret)).await.status(), 200);
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/fixtures/read_bodies");
    let server_side = ["received_at", "created_at", "updated_at", "id"];
    for (name, path) in [
        ("calls", "/api/calls?limit=5"),
        ("calls-next", "/api/calls?limit=50&direction=inbound&cursor="),
        ("call", "/api/calls/1000"),
        ("voicemails", "/api/voicemails"),
    ] {
        let mut path = path.to_owned();
        if path.ends_with("cursor=") {
            let first = app.api(&key, "/api/calls?limit=2&direction=inbound", 200).await;
            path.push_str(first["next_cursor"].as_str().unwrap());
        }
        let got = without_server_values(&body(&app, &key, &path).await, &server_side);
        let file = dir.join(format!("{name}.json"));
        if std::env::var_os("RECORD_READ_BODIES").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&file, &got).unwrap();
        }
        let want = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(got == want, "{path}: the body changed\n got: {got}\nwant: {want}");
    }
}

#[tokio::test]
async fn read_bodies_are_as_recorded_on_memory() {
    bodies_are_as_recorded(Backend::Memory).await;
}

#[tokio::test]
async fn read_bodies_are_as_recorded_on_postgres() {
    bodies_are_as_recorded(Backend::Real).await;
}
