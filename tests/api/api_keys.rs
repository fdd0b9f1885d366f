//! Per-app API keys over HTTP: the whole lifecycle, the error contract, the cache's cost,
//! and revocation across instances.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_error, for_each_backend, json_of};

for_each_backend!(
    a_key_lives_through_generation_rotation_with_grace_and_revocation,
    the_audit_trail_lists_events_newest_first_in_pages,
    bad_keys_are_401_without_echo_and_inactive_apps_403,
    admin_errors_follow_the_contract,
    last_used_at_is_recorded_off_the_request_path,
    a_hundred_concurrent_first_requests_cost_one_argon2,
);

async fn a_key_lives_through_generation_rotation_with_grace_and_revocation(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_app("Acme").await;
    let base = format!("/internal/apps/{id}/api-key");

    let status = json_of(app.internal(Method::GET, &format!("{base}/status")).send().await.unwrap(), 200).await;
    assert_eq!(status["has_key"], false);

    let res = app.internal(Method::POST, &base).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let issued = json_of(res, 201).await;
    let first = issued["api_key"].as_str().unwrap().to_owned();
    assert!(first.starts_with("cti_test_"), "{first}");
    assert_eq!(issued["warning"], "Store this immediately - it will never be shown again");
    assert_eq!(issued["hint"], format!("{}...{}", &first[..8], &first[first.len() - 4..]));
    assert!(issued["previous_key"].is_null());

    let me = app.request(Method::GET, "/api/me").header("x-app-api-key", &first).send().await.unwrap();
    let me = json_of(me, 200).await;
    assert_eq!((me["app_id"].as_str(), me["app_name"].as_str()), (Some(id.as_str()), Some("Acme")));
    assert_eq!(me["key_id"], issued["key_id"]);

    let status = json_of(app.internal(Method::GET, &format!("{base}/status")).send().await.unwrap(), 200).await;
    assert_eq!((status["has_key"].as_bool(), &status["key_id"]), (Some(true), &issued["key_id"]));
    let shown = status.to_string();
    assert!(!shown.contains(&first[26..69]) && !shown.contains("argon2"), "status shows a secret: {shown}");

    // Rotation with grace: both keys work, the status says until when.
    let second = app.issue_key(&id, 3600).await;
    assert_eq!((app.me_status(&first).await, app.me_status(&second).await), (200, 200));
    let status = json_of(app.internal(Method::GET, &format!("{base}/status")).send().await.unwrap(), 200).await;
    assert!(status["previous_key"]["expires_at"].is_string(), "{status}");

    // Rotation without grace: only the newest key works.
    let third = app.issue_key(&id, 0).await;
    assert_eq!(
        (app.me_status(&first).await, app.me_status(&second).await, app.me_status(&third).await),
        (401, 401, 200)
    );

    let res = app.internal(Method::DELETE, &base).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.me_status(&third).await, 401);
    assert_error(app.internal(Method::DELETE, &base).send().await.unwrap(), 404, "Not found").await;
    let status = json_of(app.internal(Method::GET, &format!("{base}/status")).send().await.unwrap(), 200).await;
    assert_eq!(status["has_key"], false);
}

async fn the_audit_trail_lists_events_newest_first_in_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_app("Audited").await;
    app.issue_key(&id, 0).await;
    app.issue_key(&id, 0).await;
    app.internal(Method::DELETE, &format!("/internal/apps/{id}/api-key")).send().await.unwrap();

    let mut actions = Vec::new();
    let mut path = format!("/internal/apps/{id}/api-key/audit?limit=2");
    loop {
        let page = json_of(app.internal(Method::GET, &path).send().await.unwrap(), 200).await;
        for event in page["events"].as_array().unwrap() {
            assert!(event["hint"].as_str().unwrap().starts_with("cti_test"), "{event}");
            actions.push(event["action"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/internal/apps/{id}/api-key/audit?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(actions, ["revoked", "rotated", "revoked", "generated"]);
}

async fn bad_keys_are_401_without_echo_and_inactive_apps_403(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_app("Guarded").await;
    let key = app.issue_key(&id, 0).await;

    let res = app.request(Method::GET, "/api/me").send().await.unwrap();
    assert_error(res, 401, "Missing API key").await;

    let last = key.chars().last().unwrap();
    let typo = format!("{}{}", &key[..key.len() - 1], if last == 'a' { 'b' } else { 'a' });
    let unknown = key.replacen(&key[9..25], "0000000000000000", 1);
    for (case, bad) in [("garbage", "hello"), ("typo", typo.as_str()), ("unknown id", unknown.as_str())] {
        let res = app.request(Method::GET, "/api/me").header("x-app-api-key", bad).send().await.unwrap();
        let body = assert_error(res, 401, "Invalid API key").await;
        assert!(!body.to_string().contains(bad), "case {case}: key echoed in {body}");
    }

    app.internal(Method::PATCH, &format!("/internal/apps/{id}"))
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    let res = app.request(Method::GET, "/api/me").header("x-app-api-key", &key).send().await.unwrap();
    assert_error(res, 403, "App inactive").await;
}

async fn admin_errors_follow_the_contract(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let unknown = "/internal/apps/6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10/api-key";
    for (method, path) in [
        (Method::POST, unknown.to_owned()),
        (Method::GET, format!("{unknown}/status")),
        (Method::GET, format!("{unknown}/audit")),
        (Method::DELETE, unknown.to_owned()),
    ] {
        assert_error(app.internal(method.clone(), &path).send().await.unwrap(), 404, "Not found").await;
        let malformed = path.replace("6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10", "nope");
        assert_error(app.internal(method, &malformed).send().await.unwrap(), 400, "Bad request").await;
    }
    let id = app.create_app("Strict").await;
    let base = format!("/internal/apps/{id}/api-key");
    for body in [json!({"grace_seconds": -1}), json!({"grace_seconds": 2_592_001}), json!({"grace": 5})] {
        let res = app.internal(Method::POST, &base).json(&body).send().await.unwrap();
        assert_error(res, 400, "Bad request").await;
    }
    app.internal(Method::PATCH, &format!("/internal/apps/{id}"))
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_error(app.internal(Method::POST, &base).send().await.unwrap(), 403, "App inactive").await;
    let res = app.request(Method::POST, &base).send().await.unwrap();
    assert_error(res, 401, "Missing or invalid Authorization header").await;
}

async fn last_used_at_is_recorded_off_the_request_path(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_app("Used").await;
    let key = app.issue_key(&id, 0).await;
    assert_eq!(app.me_status(&key).await, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = app.internal(Method::GET, &format!("/internal/apps/{id}/api-key/status")).send().await.unwrap();
        if json_of(status, 200).await["last_used_at"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "last_used_at never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_hundred_concurrent_first_requests_cost_one_argon2(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_app("Busy").await;
    let key = app.issue_key(&id, 0).await;
    let requests = (0..100).map(|_| app.me_status(&key));
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(app.metric("api_key_argon2_verifications_total").await, 1.0);
    assert_eq!(app.metric(r#"api_key_auth_total{outcome="ok"}"#).await, 100.0);
    // Misses may be two: the rotation's own notice can come back through Redis after the
    // first load began, which stales that load. The reload reads storage, not argon2.
    let misses = app.metric(r#"api_key_cache_total{result="miss"}"#).await;
    assert!((1.0..=2.0).contains(&misses), "{misses} misses");
}

/// Polls `instance` until `key` gets `want`, for at most `within`; the time it took.
async fn until_status(instance: &TestApp, key: &str, want: u16, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let got = instance.me_status(key).await;
        if got == want {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "still {got}, not {want}, after {within:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_rotated_or_revoked_key_is_rejected_on_every_instance_within_a_second() {
    let Some(a) = TestApp::spawn(Backend::Real).await else { return };
    let _delivery = crate::infra::PUBSUB.read().await;
    let b = a.sibling().await;
    let id = a.create_app("Shared").await;

    let first = a.issue_key(&id, 0).await;
    assert_eq!(b.me_status(&first).await, 200, "b has verified and cached the key");
    let second = a.issue_key(&id, 0).await;
    until_status(&b, &first, 401, Duration::from_secs(1)).await;
    assert_eq!(b.me_status(&second).await, 200);

    a.internal(Method::PATCH, &format!("/internal/apps/{id}")).json(&json!({"is_active": false})).send().await.unwrap();
    until_status(&b, &second, 403, Duration::from_secs(1)).await;
    a.internal(Method::PATCH, &format!("/internal/apps/{id}")).json(&json!({"is_active": true})).send().await.unwrap();
    until_status(&b, &second, 200, Duration::from_secs(1)).await;

    b.internal(Method::DELETE, &format!("/internal/apps/{id}/api-key")).send().await.unwrap();
    until_status(&a, &second, 401, Duration::from_secs(1)).await;
}
