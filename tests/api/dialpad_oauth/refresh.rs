//! Refreshing: at about 80 % of whatever lifetime Dialpad gives, by exactly one instance per
//! rotation; `invalid_grant` ends it (`reauth_required`, announced on the stream); Dialpad
//! trouble is retried, and the status changes only once the access token has expired.

use std::time::Duration;

use serde_json::Value;

use super::{Browser, connected, with_dialpad};
use crate::fake_dialpad::FakeDialpad;
use crate::helpers::{Backend, TestApp, for_each_backend, json_of};

/// Polls `check` until it holds, failing after `patience`.
pub async fn until<F: AsyncFnMut() -> bool>(patience: Duration, what: &str, mut check: F) {
    let give_up = tokio::time::Instant::now() + patience;
    while !check().await {
        assert!(tokio::time::Instant::now() < give_up, "{what}: not within {patience:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status(app: &TestApp, app_id: &str) -> Value {
    app.connection(app_id, 200).await
}

for_each_backend!(every_refresh_token_is_used_exactly_once_whatever_the_instances);

/// Tokens living 2 s, refreshed for several lifetimes by one instance (memory) or by two
/// instances racing for every rotation (PostgreSQL and Redis). Dialpad takes 300 ms to
/// answer, so the instances' attempts overlap as they do in production.
async fn every_refresh_token_is_used_exactly_once_whatever_the_instances(backend: Backend) {
    let fake = FakeDialpad::start().await;
    fake.set(|b| {
        b.lifetime = Duration::from_secs(2);
        b.token_delay = Duration::from_millis(300);
    });
    let Some(a) = TestApp::spawn_tuned(backend, with_dialpad(&fake)).await else { return };
    let b = if backend == Backend::Real { Some(a.sibling_tuned(with_dialpad(&fake)).await) } else { None };
    let app_id = a.create_app("crm").await;
    json_of(Browser::connect(&a, b.as_ref().unwrap_or(&a), &app_id).await, 200).await;

    // Until every instance has done rotations of its own, racing the others for each one.
    let instances: Vec<&TestApp> = [Some(&a), b.as_ref()].into_iter().flatten().collect();
    let ok = "dialpad_token_refreshes_total{result=\"ok\"}";
    until(Duration::from_secs(40), "rotations by every instance", async || {
        assert_eq!(fake.seen().refresh_reuses, 0, "a refresh token was presented twice");
        let mut each = Vec::new();
        for instance in &instances {
            each.push(instance.metric(ok).await);
        }
        each.iter().all(|n| *n >= 1.0) && fake.seen().refreshes >= 5
    })
    .await;
    let seen = fake.seen();
    assert_eq!(seen.refresh_reuses, 0, "a refresh token was presented twice: {seen:?}");
    for instance in [Some(&a), b.as_ref()].into_iter().flatten() {
        let status = status(instance, &app_id).await;
        assert_eq!(status["status"], "active", "{status}");
        assert!(status["last_refreshed_at"].is_string() && status["last_error"].is_null(), "{status}");
    }
    assert!(!fake.live_access_tokens().is_empty(), "the connection holds a working access token");
}

for_each_backend!(a_refused_refresh_token_needs_a_new_connect_and_the_stream_says_so);

async fn a_refused_refresh_token_needs_a_new_connect_and_the_stream_says_so(backend: Backend) {
    let fake = FakeDialpad::start().await;
    fake.set(|b| b.lifetime = Duration::from_secs(2));
    let Some(app) = TestApp::spawn_tuned(backend, with_dialpad(&fake)).await else { return };
    let _pubsub = crate::infra::PUBSUB.read().await;
    let (app_id, _, key) = app.tenant("crm").await;
    let mut stream = app.ws(&format!("api_key={key}&types=connection")).await;
    assert_eq!(stream.next_json().await["type"], "hello");
    connected(&app, &app_id).await;
    let message = stream.next_json().await;
    assert_eq!((message["type"].as_str(), message["data"]["status"].as_str()), (Some("connection"), Some("active")));

    fake.set(|b| b.refuse_refresh = true);
    let message = stream.next_json().await;
    assert_eq!(message["type"], "connection");
    assert_eq!(message["data"]["status"], "reauth_required", "{message}");
    assert_eq!(message["data"]["previous_status"], "active");
    let shown = status(&app, &app_id).await;
    assert_eq!(shown["status"], "reauth_required");
    assert!(shown["last_error"].as_str().unwrap().contains("invalid_grant"), "{shown}");

    // Never tried again: two more lifetimes pass without a token request.
    let requests = fake.seen().token_requests.len();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(fake.seen().token_requests.len(), requests, "a refused refresh token is not retried");
    // Connecting again makes it active.
    connected(&app, &app_id).await;
    assert_eq!(status(&app, &app_id).await["status"], "active");
}

#[tokio::test]
async fn dialpad_trouble_is_retried_and_shown_only_once_the_token_has_expired() {
    let fake = FakeDialpad::start().await;
    fake.set(|b| b.lifetime = Duration::from_secs(5));
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    connected(&app, &app_id).await;
    fake.set(|b| b.token_failure = Some((503, None)));

    // The refresh at 4 s fails; the access token lives until 5 s: still active.
    until(Duration::from_secs(10), "a failed refresh", async || !status(&app, &app_id).await["last_error"].is_null())
        .await;
    let shown = status(&app, &app_id).await;
    assert_eq!(shown["status"], "active", "{shown}");
    assert!(shown["last_error"].as_str().unwrap().contains("503"), "{shown}");
    // Tried again at the expiry, failing: now it says so.
    until(Duration::from_secs(10), "refresh_failed", async || {
        status(&app, &app_id).await["status"] == "refresh_failed"
    })
    .await;
    // Dialpad is back: the next retry makes it active again.
    fake.set(|b| b.token_failure = None);
    until(Duration::from_secs(15), "active again", async || status(&app, &app_id).await["status"] == "active").await;
    let seen = fake.seen();
    assert_eq!((seen.refresh_reuses, seen.refreshes), (0, 1), "{seen:?}");
    assert!(status(&app, &app_id).await["last_error"].is_null());
}
