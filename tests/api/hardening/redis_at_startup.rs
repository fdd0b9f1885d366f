//! An instance starts and takes webhooks while Redis is down, and picks Redis up when it
//! comes, without a restart: then a revocation made on another instance reaches it, and its
//! streams hear what other instances store.

use std::time::Duration;

use reqwest::Method;

use crate::dialpad::{call_event, jws};
use crate::dialpad_oauth::refresh::until;
use crate::fault_proxy::FaultProxy;
use crate::helpers::{TestApp, json_of, test_settings};
use crate::infra::Infra;

#[tokio::test]
async fn an_instance_starts_without_redis_and_picks_it_up_later() {
    let _pubsub = crate::infra::PUBSUB.read().await;
    let Some(infra) = Infra::create().await else { return };
    let (redis, redis_url) = FaultProxy::for_url(&infra.redis.url).await;
    redis.refuse();
    let mut settings = test_settings();
    settings.redis_url = Some(redis_url);
    let a = TestApp::spawn_with(settings, Some(infra)).await;

    assert_eq!(a.request(Method::GET, "/health").send().await.unwrap().status(), 200);
    let ready = json_of(a.request(Method::GET, "/health/ready").send().await.unwrap(), 200).await;
    assert_eq!(ready["status"], "degraded", "{ready}");
    let (app_id, secret, key) = a.tenant("no-redis").await;
    let stored = a.post_webhook(&app_id, jws(&call_event(31, "ringing", 1731624040000), &secret)).await;
    assert_eq!(json_of(stored, 200).await["status"], "ok");
    assert_eq!(a.api(&key, "/api/calls/31", 200).await["state"], "ringing");
    let ticket = a.request(Method::POST, "/api/ws-ticket").header("x-app-api-key", &key).send().await.unwrap();
    assert_eq!(ticket.status(), 503, "stream tickets need Redis");

    redis.pass();
    until(Duration::from_secs(20), "Redis picked up", async || {
        let ready = a.request(Method::GET, "/health/ready").send().await.unwrap().json::<serde_json::Value>().await;
        ready.is_ok_and(|r| r["status"] == "ready")
    })
    .await;
    let b = a.sibling().await;
    let mut stream = a.ws(&format!("api_key={key}")).await;
    assert_eq!(stream.next_json().await["type"], "hello");
    let from_b = b.post_webhook(&app_id, jws(&call_event(32, "ringing", 1731624041000), &secret)).await;
    assert_eq!(from_b.status(), 200);
    assert_eq!(stream.next_json().await["call_id"], 32, "an event stored by another instance");

    assert_eq!(a.me_status(&key).await, 200, "cached on A");
    let revoked = b.internal(Method::DELETE, &format!("/internal/apps/{app_id}/api-key")).send().await.unwrap();
    assert_eq!(revoked.status(), 204);
    until(Duration::from_secs(5), "the revocation reaches A", async || a.me_status(&key).await == 401).await;
}
