//! Disconnecting revokes at Dialpad and forgets the connection (refreshing an expired access
//! token first); Dialpad down still disconnects here and says the revocation did not
//! happen. Reconnecting replaces the connection and revokes the grant it replaced.

use std::time::Duration;

use reqwest::Method;

use super::refresh::until;
use super::{Browser, connected, with_dialpad};
use crate::fake_dialpad::FakeDialpad;
use crate::helpers::{Backend, TestApp, assert_error, for_each_backend, json_of};

impl TestApp {
    pub async fn disconnect(&self, app_id: &str) -> reqwest::Response {
        self.internal(Method::POST, &format!("/auth/dialpad/disconnect/{app_id}")).send().await.unwrap()
    }
}

for_each_backend!(disconnect_revokes_at_dialpad_and_nothing_refreshes_it_again);

async fn disconnect_revokes_at_dialpad_and_nothing_refreshes_it_again(backend: Backend) {
    let fake = FakeDialpad::start().await;
    fake.set(|b| b.lifetime = Duration::from_secs(2));
    let Some(a) = TestApp::spawn_tuned(backend, with_dialpad(&fake)).await else { return };
    let b = if backend == Backend::Real { Some(a.sibling_tuned(with_dialpad(&fake)).await) } else { None };
    let app_id = a.create_app("crm").await;
    connected(&a, &app_id).await;
    assert!(!fake.live_access_tokens().is_empty());

    let body = json_of(b.as_ref().unwrap_or(&a).disconnect(&app_id).await, 200).await;
    assert_eq!(body["disconnected"], true);
    assert_eq!(body["dialpad_revocation"], "revoked", "{body}");
    assert_eq!(fake.seen().deauthorized, 1);
    assert!(fake.live_access_tokens().is_empty(), "every token of the grant is revoked");
    for instance in [Some(&a), b.as_ref()].into_iter().flatten() {
        instance.connection(&app_id, 404).await;
    }
    assert_error(a.disconnect(&app_id).await, 404, "Not found").await;

    let requests = fake.seen().token_requests.len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fake.seen().token_requests.len(), requests, "no refresh after a disconnect");
    assert_eq!(fake.seen().refresh_reuses, 0);
}

#[tokio::test]
async fn disconnect_with_dialpad_down_still_disconnects_and_says_so() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    connected(&app, &app_id).await;
    fake.stop();
    let body = json_of(app.disconnect(&app_id).await, 200).await;
    assert_eq!(body["dialpad_revocation"], "failed", "{body}");
    assert!(body["message"].as_str().unwrap().contains("NOT revoked"), "{body}");
    app.connection(&app_id, 404).await;
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_before_it_is_revoked() {
    let fake = FakeDialpad::start().await;
    fake.set(|b| b.lifetime = Duration::from_secs(2));
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    connected(&app, &app_id).await;
    fake.set(|b| b.token_failure = Some((503, None)));
    until(Duration::from_secs(10), "the access token expired", async || {
        app.connection(&app_id, 200).await["status"] == "refresh_failed"
    })
    .await;
    assert!(fake.live_access_tokens().is_empty());
    fake.set(|b| b.token_failure = None);
    let body = json_of(app.disconnect(&app_id).await, 200).await;
    assert_eq!(body["dialpad_revocation"], "revoked", "{body}");
    let seen = fake.seen();
    assert_eq!((seen.refreshes, seen.deauthorized, seen.refresh_reuses), (1, 1, 0), "{seen:?}");
    assert!(fake.live_access_tokens().is_empty());
}

#[tokio::test]
async fn disconnect_is_for_admins_and_checks_its_input() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    let path = format!("/auth/dialpad/disconnect/{app_id}");
    assert_eq!(app.request(Method::POST, &path).send().await.unwrap().status(), 401);
    let wrong = app.request(Method::POST, &path).bearer_auth("wrong-secret").send().await.unwrap();
    assert_eq!(wrong.status(), 403);
    assert_error(app.disconnect("not-a-uuid").await, 400, "Bad request").await;
    assert_error(app.disconnect(&app_id).await, 404, "Not found").await;
}

#[tokio::test]
async fn reconnecting_replaces_the_connection_and_revokes_the_old_grant() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    connected(&app, &app_id).await;
    let first_grant = fake.live_access_tokens();
    let body = json_of(Browser::connect(&app, &app, &app_id).await, 200).await;
    assert_eq!(body["replaced_previous"], true);
    assert_eq!(fake.seen().deauthorized, 1);
    assert!(first_grant.iter().all(|t| !fake.accepts(t)), "the replaced grant is revoked");
    assert_eq!(fake.live_access_tokens().len(), 1, "the new grant works");
    assert_eq!(app.connection(&app_id, 200).await["status"], "active");
}
