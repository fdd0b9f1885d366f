//! When storage fails, the log says why: the cause chain reaches the line (through the
//! event writer's shared batch errors too), and the line carries the request id even at
//! LOG_LEVEL=warn, where request spans used to be disabled.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::dialpad::{call_event, jws};
use crate::dialpad_oauth::refresh::until;
use crate::helpers::{INTERNAL_SECRET, json_of};
use crate::infra::TestDb;

#[tokio::test]
async fn a_storage_failure_is_logged_with_its_cause_and_request_id_at_warn_level() {
    let Some(db) = TestDb::create().await else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cti-server"))
        .env_clear()
        .envs([
            ("PORT", port.to_string()),
            ("HOST", "127.0.0.1".to_owned()),
            ("LOG_LEVEL", "warn".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
            ("DATABASE_URL", db.url.clone()),
            ("INTERNAL_API_SECRET", INTERNAL_SECRET.to_owned()),
        ])
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).collect::<Vec<_>>());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    until(Duration::from_secs(20), "the server answers", async || {
        client.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    let internal =
        |method: Method, path: &str| client.request(method, format!("{base}{path}")).bearer_auth(INTERNAL_SECRET);
    let app =
        json_of(internal(Method::POST, "/internal/apps").json(&json!({"name": "x"})).send().await.unwrap(), 201).await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    let secret = internal(Method::POST, &format!("/internal/apps/{app_id}/webhook-secret")).send().await.unwrap();
    let secret = json_of(secret, 201).await["secret"].as_str().unwrap().to_owned();
    let post = |ts: i64| {
        client
            .post(format!("{base}/webhooks/dialpad/{app_id}"))
            .body(jws(&call_event(1, "ringing", ts), &secret))
            .send()
    };
    assert_eq!(post(1731624040000).await.unwrap().status(), 200, "the app and its secret are cached now");

    db.drop_now().await;
    let mut failed = Vec::new();
    for res in [post(1731624041000).await.unwrap(), internal(Method::GET, "/internal/apps").send().await.unwrap()] {
        assert!(res.status().is_server_error(), "{}", res.status());
        failed.push(res.headers()["x-request-id"].to_str().unwrap().to_owned());
    }
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let _ = child.wait();
    let lines = lines.join().unwrap();
    for request_id in failed {
        let line = lines
            .iter()
            .find(|l| l.contains(&request_id) && l.contains("\"error\""))
            .unwrap_or_else(|| panic!("no error line with request id {request_id}:\n{}", lines.join("\n")));
        let logged: serde_json::Value = serde_json::from_str(line).unwrap();
        let cause = logged["error"].as_str().unwrap();
        // The database's own words: the dropped database, or (on a connection that was open
        // when it was dropped) the termination of that connection.
        let from_database = cause.contains("does not exist") || cause.contains("terminating connection");
        assert!(from_database, "the cause chain is missing: {cause}");
    }
}
