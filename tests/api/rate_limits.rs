//! Rate limits over HTTP: an app over its quota gets 429 with Retry-After (other apps and
//! webhooks unaffected); a client that keeps presenting wrong credentials is turned away,
//! even with a right one, while other clients are not; two instances share one quota.

use reqwest::Method;
use reqwest::header::RETRY_AFTER;

use crate::dialpad::{call_event, jws};
use crate::helpers::{Backend, TestApp, for_each_backend, json_of};

for_each_backend!(
    an_app_over_its_quota_gets_429_with_retry_after,
    a_client_that_keeps_presenting_wrong_credentials_is_turned_away,
    limited_answers_carry_the_rate_limit_headers,
    the_admin_api_is_limited_per_client_address,
);

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers().get(name).unwrap_or_else(|| panic!("no {name}")).to_str().unwrap().to_owned()
}

/// The old server's clients read RateLimit-Limit, -Remaining and -Reset (express-rate-limit's
/// standard headers); the IETF draft's RateLimit-Policy and RateLimit come along.
async fn limited_answers_carry_the_rate_limit_headers(backend: Backend) {
    let tune = |s: &mut cti_server::config::Settings| {
        s.rate_limit_app_per_minute = "60".into();
        s.rate_limit_app_burst = "3".into();
    };
    let Some(app) = TestApp::spawn_tuned(backend, tune).await else { return };
    let (_, _, key) = app.tenant("Headers").await;
    let first = me(&app, &key, "192.0.2.1").await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "ratelimit-limit"), "60");
    assert_eq!(header(&first, "ratelimit-remaining"), "2");
    assert_eq!(header(&first, "ratelimit-reset"), "1");
    assert_eq!(header(&first, "ratelimit-policy"), "60;w=60;burst=3");
    assert_eq!(header(&first, "ratelimit"), "limit=60, remaining=2, reset=1");
    me(&app, &key, "192.0.2.1").await;
    me(&app, &key, "192.0.2.1").await;
    let refused = me(&app, &key, "192.0.2.1").await;
    assert_eq!(refused.status(), 429);
    assert_eq!(header(&refused, "ratelimit-remaining"), "0");
    assert_eq!(header(&refused, "ratelimit-reset"), header(&refused, "retry-after"));
}

/// The old server limited /internal/* to 100 requests a minute per address; so does this
/// one (RATE_LIMIT_INTERNAL_PER_MINUTE), across instances, with the same headers.
async fn the_admin_api_is_limited_per_client_address(backend: Backend) {
    let tune = |s: &mut cti_server::config::Settings| {
        s.rate_limit_internal_per_minute = "3".into();
        s.trusted_proxies = Some("127.0.0.1/32".into());
    };
    let Some(app) = TestApp::spawn_tuned(backend, tune).await else { return };
    let list =
        |client: &'static str| app.internal(Method::GET, "/internal/apps").header("x-forwarded-for", client).send();
    for left in ["2", "1", "0"] {
        let res = list("198.51.100.4").await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "ratelimit-remaining"), left);
        assert_eq!(header(&res, "ratelimit-policy"), "3;w=60;burst=3");
    }
    let wait = retry_after(list("198.51.100.4").await.unwrap()).await;
    assert!((1..=20).contains(&wait), "{wait}");
    assert_eq!(list("198.51.100.5").await.unwrap().status(), 200, "another address has its own allowance");
    assert!(app.metric(r#"rate_limited_total{limit="internal"}"#).await >= 1.0);
}

/// Seconds in a 429's Retry-After; panics if the answer is not a well-formed 429.
async fn retry_after(res: reqwest::Response) -> u64 {
    let wait = res.headers().get(RETRY_AFTER).expect("Retry-After").to_str().unwrap().parse().unwrap();
    assert_eq!(json_of(res, 429).await["error"], "Too many requests");
    wait
}

async fn me(app: &TestApp, key: &str, client: &str) -> reqwest::Response {
    let req = app.request(Method::GET, "/api/me").header("x-app-api-key", key);
    req.header("x-forwarded-for", client).send().await.unwrap()
}

async fn an_app_over_its_quota_gets_429_with_retry_after(backend: Backend) {
    let tune = |s: &mut cti_server::config::Settings| {
        s.rate_limit_app_per_minute = "1".into();
        s.rate_limit_app_burst = "3".into();
    };
    let Some(app) = TestApp::spawn_tuned(backend, tune).await else { return };
    let (id, secret, key) = app.tenant("Busy").await;
    let (_, _, other_key) = app.tenant("Calm").await;
    for _ in 0..3 {
        assert_eq!(app.me_status(&key).await, 200);
    }
    let wait = retry_after(me(&app, &key, "192.0.2.1").await).await;
    assert!((1..=60).contains(&wait), "retry after {wait} s");
    assert_eq!(app.me_status(&other_key).await, 200, "each app has its own quota");
    let (status, body) = app.ws_with(&format!("api_key={key}"), &[]).await.err().expect("refused before the upgrade");
    assert_eq!((status, body["error"].as_str()), (429, Some("Too many requests")));

    // Webhooks are never limited: Dialpad would drop the event on a 4xx.
    for ts in 1..=5 {
        let res = app.post_webhook(&id, jws(&call_event(1, "ringing", ts * 1_000), &secret)).await;
        assert_eq!(json_of(res, 200).await["status"], "ok");
    }
    assert!(app.metric(r#"rate_limited_total{limit="app"}"#).await >= 2.0);
}

async fn a_client_that_keeps_presenting_wrong_credentials_is_turned_away(backend: Backend) {
    let tune = |s: &mut cti_server::config::Settings| {
        s.rate_limit_auth_failures_per_minute = "3".into();
        // The test client is the proxy: X-Forwarded-For names the client.
        s.trusted_proxies = Some("127.0.0.1/32".into());
    };
    let Some(app) = TestApp::spawn_tuned(backend, tune).await else { return };
    let (_, _, key) = app.tenant("Target").await;
    let attacker = "203.0.113.7";
    let wrong = key.replace(&key[9..25], "0000000000000000");
    for guess in [wrong.as_str(), "cti_test_nonsense", wrong.as_str()] {
        assert_eq!(me(&app, guess, attacker).await.status(), 401);
    }
    retry_after(me(&app, &wrong, attacker).await).await;
    retry_after(me(&app, &key, attacker).await).await;
    let internal = app.internal(Method::GET, "/internal/apps").header("x-forwarded-for", attacker);
    retry_after(internal.send().await.unwrap()).await;

    assert_eq!(me(&app, &key, "198.51.100.1").await.status(), 200, "another client is not affected");
    let res = app.request(Method::GET, "/internal/apps").header("authorization", "Bearer wrong").send().await.unwrap();
    assert_eq!(res.status(), 403, "the proxy's own address is not the client");
    assert!(app.metric(r#"rate_limited_total{limit="client"}"#).await >= 3.0);
}

#[tokio::test]
async fn two_instances_share_an_apps_quota() {
    let tune = |s: &mut cti_server::config::Settings| {
        s.rate_limit_app_per_minute = "1".into();
        s.rate_limit_app_burst = "3".into();
    };
    let Some(one) = TestApp::spawn_tuned(Backend::Real, tune).await else { return };
    let two = one.sibling_tuned(tune).await;
    let (_, _, key) = one.tenant("Shared").await;
    assert_eq!(one.me_status(&key).await, 200);
    assert_eq!(two.me_status(&key).await, 200);
    assert_eq!(one.me_status(&key).await, 200);
    assert_eq!(two.me_status(&key).await, 429, "the third request used the quota both share");
    assert_eq!(one.me_status(&key).await, 429);
}
