//! Failed attempts on /auth/dialpad/* count per client address (the old server's limit: 10
//! per 15 minutes, failures the caller caused only); over it, 429 with Retry-After there, and
//! only there.

use reqwest::Method;

use super::{Browser, with_dialpad};
use crate::fake_dialpad::FakeDialpad;
use crate::helpers::{Backend, TestApp, assert_error, for_each_backend, json_of};

for_each_backend!(too_many_failed_connects_are_refused_but_completed_ones_never_count);

async fn too_many_failed_connects_are_refused_but_completed_ones_never_count(backend: Backend) {
    let fake = FakeDialpad::start().await;
    let Some(app) = TestApp::spawn_tuned(backend, |s| {
        with_dialpad(&fake)(s);
        s.rate_limit_oauth_failures_per_15_minutes = "3".into();
    })
    .await
    else {
        return;
    };
    let (app_id, _, key) = app.tenant("crm").await;
    for _ in 0..5 {
        json_of(Browser::connect(&app, &app, &app_id).await, 200).await;
    }
    // A user who declines on Dialpad's page made no mistake: declines never count.
    fake.set(|b| b.deny = true);
    for _ in 0..4 {
        let mut browser = Browser::default();
        let started = browser.open(&app.address, &app.connect_link(&app_id).await).await;
        let back = browser.authorize(started).await;
        assert_error(browser.callback(&app.address, &back).await, 400, "Bad request").await;
    }
    fake.set(|b| b.deny = false);
    let bad = format!("/auth/dialpad/connect?app_id={app_id}&ticket=dct_{}", "x".repeat(43));
    for attempt in 1..=3 {
        let res = app.request(Method::GET, &bad).send().await.unwrap();
        assert_eq!(res.status(), 401, "attempt {attempt}");
    }
    let res = app.request(Method::GET, "/auth/dialpad/callback?code=c&state=s").send().await.unwrap();
    assert_eq!(res.status(), 429, "the fourth failure is one too many");
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");

    let mut browser = Browser::default();
    let refused = browser.open(&app.address, &app.connect_link(&app_id).await).await;
    assert_error(refused, 429, "Too many requests").await;
    assert_eq!(app.me_status(&key).await, 200, "the app API is another allowance");
}
