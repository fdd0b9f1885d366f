//! Connecting: connect links, the PKCE flow across instances, and every way a connect or a
//! callback is refused (JSON errors, and the code never reaching Dialpad).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::json;
use sha2::Sha256;

use super::{Browser, REDIRECT_URI, on, with_dialpad};
use crate::fake_dialpad::{self, FakeDialpad};
use crate::helpers::{Backend, TestApp, assert_error, for_each_backend, json_of};

for_each_backend!(a_connect_started_on_one_instance_finishes_on_any_other);

/// Memory: one instance does both halves. PostgreSQL and Redis: the callback lands on a
/// second instance, which has never seen the session.
async fn a_connect_started_on_one_instance_finishes_on_any_other(backend: Backend) {
    let fake = FakeDialpad::start().await;
    let Some(a) = TestApp::spawn_tuned(backend, with_dialpad(&fake)).await else { return };
    let b = if backend == Backend::Real { Some(a.sibling_tuned(with_dialpad(&fake)).await) } else { None };
    let finisher = b.as_ref().unwrap_or(&a);
    let app_id = a.create_app("crm").await;

    let res = Browser::connect(&a, finisher, &app_id).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body = json_of(res, 200).await;
    assert_eq!(body["status"], "connected");
    assert_eq!(body["app_id"], app_id.as_str());
    assert_eq!(body["dialpad_company_id"], fake_dialpad::COMPANY_ID);
    assert_eq!(body["dialpad_user_id"], fake_dialpad::USER_ID.to_string(), "a numeric id, as text");
    assert_eq!(body["email"], fake_dialpad::EMAIL);

    for instance in [Some(&a), b.as_ref()].into_iter().flatten() {
        let status = instance.connection(&app_id, 200).await;
        assert_eq!(status["status"], "active", "{status}");
        assert_eq!(status["dialpad_company_id"], fake_dialpad::COMPANY_ID);
        assert_eq!(status["email"], fake_dialpad::EMAIL);
        assert_eq!(status["scopes"], json!(["calls:list", "recordings_export", "offline_access"]));
        assert!(status["last_refreshed_at"].is_null() && status["last_error"].is_null(), "{status}");
        assert!(status["access_token_expires_at"].is_string());
        let text = status.to_string();
        for secret in fake.issued() {
            assert!(!text.contains(&secret), "the status shows a token or code");
        }
    }

    let seen = fake.seen();
    let authorize = &seen.authorize[0];
    assert_eq!(authorize["response_type"], "code");
    assert_eq!(authorize["client_id"], fake_dialpad::CLIENT_ID);
    assert_eq!(authorize["code_challenge_method"], "S256");
    assert_eq!(authorize["scope"], "calls:list recordings_export offline_access");
    assert!(authorize["state"].len() >= 22, "at least 128 bits of state");
    assert_eq!(authorize["redirect_uri"], REDIRECT_URI);
    let exchange = &seen.token_requests[0];
    assert_eq!(exchange["grant_type"], "authorization_code");
    assert_eq!(exchange["redirect_uri"], REDIRECT_URI, "the same redirect URI, byte for byte");
    assert_eq!(exchange["code_verifier"].len(), 43);
    assert_eq!((seen.exchanges, seen.me), (1, 1));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_short_lived() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    let link = app.connect_link(&app_id).await;
    assert!(link.starts_with("http://cti.example.test/auth/dialpad/connect?app_id="), "{link}");
    let res = app.client.get(on(&app.address, &link)).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert!(res.headers()["location"].to_str().unwrap().starts_with(&format!("{}/oauth2/authorize?", fake.base_url)));
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("cti_dialpad_session=dps_"), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/auth/dialpad", "Max-Age=900"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "development serves http");
}

#[tokio::test]
async fn every_bad_connect_request_is_refused_and_nothing_starts() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, |s| {
        with_dialpad(&fake)(s);
        s.rate_limit_oauth_failures_per_15_minutes = "0".into();
    })
    .await
    .unwrap();
    let (app_id, other) = (app.create_app("crm").await, app.create_app("other").await);
    let inactive = app.create_app("gone").await;
    let link = app.connect_link(&app_id).await;
    let inactive_link = app.connect_link(&inactive).await;
    app.internal(Method::PATCH, &format!("/internal/apps/{inactive}"))
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    let ticket = url::Url::parse(&link).unwrap().query_pairs().find(|(k, _)| k == "ticket").unwrap().1.into_owned();
    let connect = |query: String| app.request(Method::GET, &format!("/auth/dialpad/connect?{query}")).send();

    let body = assert_error(connect(format!("app_id={app_id}")).await.unwrap(), 401, "Connect ticket required").await;
    assert!(body["message"].as_str().unwrap().contains("/dialpad/connect-link"), "{body}");
    assert_error(connect(format!("app_id=not-a-uuid&ticket={ticket}")).await.unwrap(), 400, "Bad request").await;
    let unknown = uuid::Uuid::new_v4();
    assert_error(connect(format!("app_id={unknown}&ticket={ticket}")).await.unwrap(), 404, "Not found").await;
    let inactive_query = url::Url::parse(&inactive_link).unwrap().query().unwrap().to_owned();
    assert_error(connect(inactive_query).await.unwrap(), 403, "App inactive").await;
    assert_error(connect(format!("app_id={app_id}&ticket=dct_garbage")).await.unwrap(), 401, "Invalid connect ticket")
        .await;
    assert_error(connect(format!("app_id={other}&ticket={ticket}")).await.unwrap(), 401, "Invalid connect ticket")
        .await;
    // The ticket was spent by the attempt for the other app: it never works again.
    assert_error(connect(format!("app_id={app_id}&ticket={ticket}")).await.unwrap(), 401, "Invalid connect ticket")
        .await;

    let fresh = app.connect_link(&app_id).await;
    assert_eq!(Browser::default().open(&app.address, &fresh).await.status(), 302);
    assert_error(Browser::default().open(&app.address, &fresh).await, 401, "Invalid connect ticket").await;
    assert!(fake.seen().authorize.is_empty(), "the refused requests sent nobody to Dialpad");
}

#[tokio::test]
async fn callbacks_that_do_not_match_their_session_never_send_the_code() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, |s| {
        with_dialpad(&fake)(s);
        s.rate_limit_oauth_failures_per_15_minutes = "0".into();
    })
    .await
    .unwrap();
    let app_id = app.create_app("crm").await;
    let start = async || {
        let mut browser = Browser::default();
        let started = browser.open(&app.address, &app.connect_link(&app_id).await).await;
        let back = browser.authorize(started).await;
        (browser, back)
    };

    let (browser, back) = start().await;
    assert_error(Browser::default().callback(&app.address, &back).await, 400, "Bad request").await;
    // The real session id, signed with another secret: refused, and the session untouched.
    let id = browser.cookie.as_deref().unwrap().split_once('=').unwrap().1.split('.').next().unwrap().to_owned();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"not-this-deployment's-secret").unwrap();
    mac.update(id.as_bytes());
    let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let forged = Browser { cookie: Some(format!("cti_dialpad_session={id}.{tag}")), ..Browser::default() };
    assert_error(forged.callback(&app.address, &back).await, 400, "Bad request").await;
    json_of(browser.callback(&app.address, &back).await, 200).await;
    let exchanged = fake.seen().token_requests.len();

    let (browser, back) = start().await;
    let mut tampered = url::Url::parse(&back).unwrap();
    let pairs: Vec<(String, String)> = tampered.query_pairs().into_owned().collect();
    tampered.query_pairs_mut().clear();
    for (k, v) in pairs {
        tampered.query_pairs_mut().append_pair(&k, if k == "state" { "tampered" } else { &v });
    }
    assert_error(browser.callback(&app.address, tampered.as_str()).await, 400, "Bad request").await;
    assert_error(browser.callback(&app.address, &back).await, 400, "Bad request").await;

    let (browser, back) = start().await;
    let without_code = back.split('?').next().unwrap().to_owned() + "?state=x";
    assert_error(browser.callback(&app.address, &without_code).await, 400, "Bad request").await;

    fake.set(|b| b.deny = true);
    let (browser, back) = start().await;
    let body = assert_error(browser.callback(&app.address, &back).await, 400, "Bad request").await;
    assert!(body["message"].as_str().unwrap().contains("access_denied"), "{body}");
    fake.set(|b| b.deny = false);
    assert_eq!(fake.seen().token_requests.len(), exchanged, "no code reached Dialpad");

    let (browser, back) = start().await;
    json_of(browser.callback(&app.address, &back).await, 200).await;
    assert_error(browser.callback(&app.address, &back).await, 400, "Bad request").await;
    assert_eq!(fake.seen().token_requests.len(), exchanged + 1, "a replayed callback sends nothing");
    assert_eq!(app.connection(&app_id, 200).await["status"], "active");
}

#[tokio::test]
async fn an_app_can_ask_for_its_own_connect_link() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let (app_id, _, key) = app.tenant("crm").await;
    let res =
        app.request(Method::POST, "/api/dialpad/connect-link").header("x-app-api-key", &key).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let link = json_of(res, 201).await["url"].as_str().unwrap().to_owned();
    assert!(link.contains(&format!("app_id={app_id}&ticket=dct_")), "{link}");
    let mut browser = Browser::default();
    let started = browser.open(&app.address, &link).await;
    let back = browser.authorize(started).await;
    json_of(browser.callback(&app.address, &back).await, 200).await;
    let res = app.request(Method::POST, "/api/dialpad/connect-link").send().await.unwrap();
    assert_error(res, 401, "Missing API key").await;
}

#[tokio::test]
async fn the_old_ticketless_connect_works_only_when_turned_on() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, |s| {
        with_dialpad(&fake)(s);
        s.dialpad_connect_without_ticket = "true".into();
    })
    .await
    .unwrap();
    let app_id = app.create_app("crm").await;
    let mut browser = Browser::default();
    let started = browser.open(&app.address, &format!("http://x/auth/dialpad/connect?app_id={app_id}")).await;
    let back = browser.authorize(started).await;
    json_of(browser.callback(&app.address, &back).await, 200).await;
}

#[tokio::test]
async fn without_an_oauth_client_connecting_says_what_to_configure() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let app_id = app.create_app("crm").await;
    let res =
        app.internal(Method::POST, &format!("/internal/apps/{app_id}/dialpad/connect-link")).send().await.unwrap();
    let body = assert_error(res, 503, "Service unavailable").await;
    assert!(body["message"].as_str().unwrap().contains("CLIENT_ID"), "{body}");
    app.connection(&app_id, 404).await;
}

#[tokio::test]
async fn the_callback_page_is_for_people() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    let mut browser = Browser::default();
    let started = browser.open(&app.address, &app.connect_link(&app_id).await).await;
    let back = browser.authorize(started).await;
    let res = app.client.get(on(&app.address, &back)).header("cookie", browser.cookie.unwrap()).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let cleared = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cleared.starts_with("cti_dialpad_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    let page = res.text().await.unwrap();
    assert!(page.contains("Dialpad connected") && page.contains(&app_id), "{page}");
}
