//! Dialpad failing the exchange: unreachable or overloaded is 503 (start again later),
//! refusing or answering outside the protocol is 502; nothing is connected either way, and
//! a grant that cannot be kept is revoked rather than left behind.

use super::{Browser, with_dialpad};
use crate::fake_dialpad::FakeDialpad;
use crate::helpers::{Backend, TestApp, assert_error};

/// Starts a connect and lets `break_it` change the fake before the callback: its answer.
async fn callback_after(break_it: impl FnOnce(&FakeDialpad)) -> (reqwest::Response, FakeDialpad, TestApp, String) {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    let mut browser = Browser::default();
    let started = browser.open(&app.address, &app.connect_link(&app_id).await).await;
    let back = browser.authorize(started).await;
    break_it(&fake);
    let res = browser.callback(&app.address, &back).await;
    (res, fake, app, app_id)
}

#[tokio::test]
async fn dialpad_unreachable_at_the_exchange_is_503() {
    let (res, _fake, app, app_id) = callback_after(FakeDialpad::stop).await;
    let body = assert_error(res, 503, "Service unavailable").await;
    assert!(body["message"].as_str().unwrap().contains("Dialpad could not be reached"), "{body}");
    app.connection(&app_id, 404).await;
}

#[tokio::test]
async fn dialpad_overloaded_at_the_exchange_is_503() {
    for failure in [(503, None), (429, Some(30))] {
        let (res, _fake, app, app_id) = callback_after(|f| f.set(|b| b.token_failure = Some(failure))).await;
        assert_error(res, 503, "Service unavailable").await;
        app.connection(&app_id, 404).await;
    }
}

#[tokio::test]
async fn dialpad_refusing_the_code_is_502() {
    let (res, _fake, app, app_id) = callback_after(|f| f.set(|b| b.refuse_codes = true)).await;
    let body = assert_error(res, 502, "Bad gateway").await;
    assert!(body["message"].as_str().unwrap().contains("invalid_grant"), "{body}");
    app.connection(&app_id, 404).await;
}

#[tokio::test]
async fn a_grant_without_a_refresh_token_is_refused_and_revoked() {
    let (res, fake, app, app_id) = callback_after(|f| f.set(|b| b.omit_refresh_token = true)).await;
    let body = assert_error(res, 502, "Bad gateway").await;
    assert!(body["message"].as_str().unwrap().contains("offline_access"), "{body}");
    app.connection(&app_id, 404).await;
    assert_eq!(fake.seen().deauthorized, 1, "the access token it could not keep fresh is revoked");
    assert!(fake.live_access_tokens().is_empty());
}

#[tokio::test]
async fn a_token_that_is_not_a_bearer_token_is_refused() {
    let (res, _fake, app, app_id) = callback_after(|f| f.set(|b| b.token_type = "mac".into())).await;
    let body = assert_error(res, 502, "Bad gateway").await;
    assert!(body["message"].as_str().unwrap().contains("bearer"), "{body}");
    app.connection(&app_id, 404).await;
}

#[tokio::test]
async fn the_token_type_is_read_in_any_case() {
    for token_type in ["bearer", "BEARER", "Bearer"] {
        let (res, _fake, app, app_id) = callback_after(|f| f.set(|b| b.token_type = token_type.into())).await;
        assert_eq!(res.status(), 200, "{token_type}");
        assert_eq!(app.connection(&app_id, 200).await["status"], "active");
    }
}
