//! No token in clear anywhere: not in any PostgreSQL row, not in any Redis value, not in any
//! log line at debug level (codes, verifiers, cookies and secrets neither, nor the webhook
//! secret provisioning gave Dialpad).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use fred::prelude::*;
use reqwest::Method;
use sqlx::Row;

use super::refresh::until;
use super::{Browser, REDIRECT_URI, SESSION_SECRET, connected, with_dialpad};
use crate::fake_dialpad::{self, FakeDialpad};
use crate::helpers::{Backend, INTERNAL_SECRET, TestApp, json_of};

/// Each secret, and its hex form (a bytea column shows bytes as hex).
fn needles(secrets: &[String]) -> Vec<String> {
    secrets.iter().flat_map(|s| [s.clone(), hex::encode(s.as_bytes())]).collect()
}

#[tokio::test]
async fn no_token_is_kept_in_clear_in_postgres_or_redis() {
    let fake = FakeDialpad::start().await;
    fake.set(|b| b.lifetime = Duration::from_secs(2));
    let Some(app) = TestApp::spawn_tuned(Backend::Real, with_dialpad(&fake)).await else { return };
    let app_id = app.create_app("crm").await;
    connected(&app, &app_id).await;
    until(Duration::from_secs(20), "a refresh", async || fake.seen().refreshes >= 1).await;
    until(Duration::from_secs(20), "provisioning", async || !fake.webhooks().is_empty()).await;
    // A connect left half-way: its session (with the PKCE verifier) waits in Redis.
    let mut browser = Browser::default();
    let started = browser.open(&app.address, &app.connect_link(&app_id).await).await;
    let authorize = url::Url::parse(started.headers()["location"].to_str().unwrap()).unwrap();
    let state = authorize.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let cookie = browser.cookie.clone().unwrap();
    let session_id = cookie.split('=').nth(1).unwrap().split('.').next().unwrap().to_owned();

    let mut secrets = fake.issued();
    secrets.extend(fake.seen().token_requests.iter().filter_map(|r| r.get("code_verifier").cloned()));
    secrets.extend([state, session_id, fake_dialpad::CLIENT_SECRET.to_owned()]);
    secrets.extend(fake.webhooks().into_iter().filter_map(|w| w.secret));
    let needles = needles(&secrets);

    let infra = app.infra.clone().unwrap();
    let pool = sqlx::PgPool::connect(&infra.db.url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(tables.contains(&"dialpad_connections".to_owned()));
    let mut rows = 0;
    for table in tables {
        let dump = format!("SELECT t::text AS row FROM {table} t");
        for row in sqlx::query(sqlx::AssertSqlSafe(dump)).fetch_all(&pool).await.unwrap() {
            let text: String = row.get("row");
            rows += 1;
            for needle in &needles {
                assert!(!text.contains(needle.as_str()), "a secret in clear in table {table}");
            }
        }
    }
    assert!(rows > 0);

    let redis = infra.redis.client().await;
    let keys: Vec<String> = redis.custom(fred::cmd!("KEYS"), vec![format!("{}*", infra.redis.prefix)]).await.unwrap();
    assert!(keys.iter().any(|k| k.contains("oauth-session")), "the pending session is in Redis: {keys:?}");
    for key in keys {
        let value: Option<String> = redis.get(&key).await.unwrap_or(None);
        let text = format!("{key} {}", value.unwrap_or_default());
        for needle in &needles {
            assert!(!text.contains(needle.as_str()), "a secret in clear in Redis key {key}");
        }
    }
}

#[tokio::test]
async fn no_token_reaches_the_logs_at_debug_level() {
    let fake = FakeDialpad::start().await;
    fake.set(|b| b.lifetime = Duration::from_secs(2));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cti-server"))
        .env_clear()
        .envs([
            ("PORT", port.to_string()),
            ("HOST", "127.0.0.1".to_owned()),
            ("LOG_LEVEL", "debug".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
            ("INTERNAL_API_SECRET", INTERNAL_SECRET.to_owned()),
            ("CLIENT_ID", fake_dialpad::CLIENT_ID.to_owned()),
            ("CLIENT_SECRET", fake_dialpad::CLIENT_SECRET.to_owned()),
            ("REDIRECT_URI", REDIRECT_URI.to_owned()),
            ("SESSION_SECRET", SESSION_SECRET.to_owned()),
            ("DIALPAD_BASE_URL", fake.base_url.clone()),
        ])
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = |pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || BufReader::new(pipe).lines().map_while(Result::ok).collect::<Vec<_>>())
    };
    let stdout = lines(Box::new(child.stdout.take().unwrap()));
    let stderr = lines(Box::new(child.stderr.take().unwrap()));

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    until(Duration::from_secs(20), "the server answers", async || {
        client.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    let internal =
        |method: Method, path: &str| client.request(method, format!("{base}{path}")).bearer_auth(INTERNAL_SECRET);
    let created =
        internal(Method::POST, "/internal/apps").json(&serde_json::json!({"name": "crm"})).send().await.unwrap();
    let app_id = json_of(created, 201).await["id"].as_str().unwrap().to_owned();
    let link = internal(Method::POST, &format!("/internal/apps/{app_id}/dialpad/connect-link")).send().await.unwrap();
    let link = json_of(link, 201).await["url"].as_str().unwrap().to_owned();
    let mut browser = Browser::default();
    let started = browser.open(&base, &link).await;
    let back = browser.authorize(started).await;
    json_of(browser.callback(&base, &back).await, 200).await;
    until(Duration::from_secs(20), "two refreshes", async || fake.seen().refreshes >= 2).await;
    until(Duration::from_secs(20), "provisioning", async || !fake.webhooks().is_empty()).await;
    let webhook_secrets: Vec<String> = fake.webhooks().into_iter().filter_map(|w| w.secret).collect();
    let disconnected = internal(Method::POST, &format!("/auth/dialpad/disconnect/{app_id}")).send().await.unwrap();
    json_of(disconnected, 200).await;

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
    let logs = [stdout.join().unwrap(), stderr.join().unwrap()].concat().join("\n");

    for expected in [
        "dialpad connect started",
        "dialpad token exchange succeeded",
        "dialpad tokens refreshed",
        "dialpad webhook and call subscription provisioned",
        "dialpad disconnected",
    ] {
        assert!(logs.contains(expected), "no {expected:?} line in the logs");
    }
    let mut secrets = fake.issued();
    secrets.extend(fake.seen().token_requests.iter().filter_map(|r| r.get("code_verifier").cloned()));
    secrets.extend([
        browser.cookie.unwrap(),
        link.split("ticket=").nth(1).unwrap().to_owned(),
        fake_dialpad::CLIENT_SECRET.to_owned(),
        SESSION_SECRET.to_owned(),
    ]);
    assert_eq!(webhook_secrets.len(), 1, "the secret Dialpad signs with");
    secrets.extend(webhook_secrets);
    assert!(secrets.len() > 8);
    for secret in secrets {
        assert!(!logs.contains(&secret), "a secret in the logs ({} characters)", secret.len());
    }
}
