//! Provisioning: a connect leaves Dialpad with exactly one webhook of ours (posting to the
//! app's route, signing with the app's secret) and one call subscription on it; running it
//! again converges, repairs what was changed by hand and keeps the previous secret working;
//! a user who is no admin connects but is told what to do; disconnect deletes both.

use std::collections::BTreeSet;

use super::{hook_url, instances, provisioned, settled};
use crate::dialpad::{call_event, jws};
use crate::dialpad_oauth::{connected, with_dialpad};
use crate::fake_dialpad::FakeDialpad;
use crate::helpers::{Backend, TestApp, assert_error, for_each_backend, json_of};

/// The call states a CTI needs (DIALPAD_CALL_STATES' default).
const DEFAULT_STATES: [&str; 12] = [
    "calling",
    "ringing",
    "queued",
    "connected",
    "hold",
    "merged",
    "hangup",
    "missed",
    "voicemail",
    "voicemail_uploaded",
    "recording",
    "call_transcription",
];

fn set(states: &[String]) -> BTreeSet<&str> {
    states.iter().map(String::as_str).collect()
}

for_each_backend!(connect_provisions_one_webhook_and_one_subscription_and_provisioning_converges);

async fn connect_provisions_one_webhook_and_one_subscription_and_provisioning_converges(backend: Backend) {
    let fake = FakeDialpad::start().await;
    let Some((a, b)) = instances(backend, &fake).await else { return };
    let b = b.as_ref().unwrap_or(&a);
    let (app_id, key, status) = provisioned(&a, "crm").await;

    let webhooks = fake.webhooks();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    assert_eq!(webhooks[0].hook_url, hook_url(&app_id));
    let first_secret = webhooks[0].secret.clone().expect("events are signed");
    let subscriptions = fake.subscriptions();
    assert_eq!(subscriptions.len(), 1, "{subscriptions:?}");
    assert_eq!(subscriptions[0].webhook_id, webhooks[0].id);
    assert!(subscriptions[0].enabled);
    assert_eq!(set(&subscriptions[0].call_states), DEFAULT_STATES.into_iter().collect());
    assert_eq!(status["webhook_id"], webhooks[0].id.as_str());
    assert_eq!(status["subscription_id"], subscriptions[0].id.as_str());
    assert!(status["provisioned_at"].is_string() && status["provision_error"].is_null(), "{status}");
    assert!(!status.to_string().contains(&first_secret), "the status never shows the webhook secret");

    // What Dialpad now sends, signed with the secret it was given, is stored.
    assert_eq!(fake.deliver(&call_event(801, "ringing", 1), &a.address).await, [200]);
    assert_eq!(a.api(&key, "/api/calls/801", 200).await["call_id"], 801);

    // Changed by hand in Dialpad: the subscription disabled and narrowed, our webhook copied,
    // and a webhook of someone else's added.
    fake.tamper_subscription(&subscriptions[0].id, |s| {
        s.enabled = false;
        s.call_states = vec!["hangup".into()];
    });
    fake.add_webhook(&hook_url(&app_id), "a-copy-made-by-hand");
    let foreign = fake.add_webhook("https://elsewhere.example.com/hook", "theirs");

    let body = json_of(b.provision(&app_id).await, 200).await;
    assert_eq!(body["webhook_id"], webhooks[0].id.as_str(), "the same webhook, updated");
    assert_eq!(body["subscription_id"], subscriptions[0].id.as_str(), "the same subscription, repaired");
    let after = fake.webhooks();
    let ours: Vec<_> = after.iter().filter(|w| w.hook_url == hook_url(&app_id)).collect();
    assert_eq!(ours.len(), 1, "the copy is deleted: {after:?}");
    assert!(after.iter().any(|w| w.id == foreign), "another integration's webhook is left alone");
    let repaired = fake.subscriptions();
    assert_eq!(repaired.len(), 1);
    assert!(repaired[0].enabled);
    assert_eq!(set(&repaired[0].call_states), DEFAULT_STATES.into_iter().collect());

    // The secret rotated; what Dialpad signed with the previous one still verifies.
    let second_secret = ours[0].secret.clone().unwrap();
    assert_ne!(second_secret, first_secret);
    assert_eq!(a.post_webhook(&app_id, jws(&call_event(802, "ringing", 1), &first_secret)).await.status(), 200);
    assert_eq!(fake.deliver(&call_event(803, "ringing", 1), &b.address).await, [200]);

    // Once more: nothing new.
    json_of(a.provision(&app_id).await, 200).await;
    assert_eq!(fake.webhooks().len(), 2, "ours and the foreign one");
    assert_eq!(fake.subscriptions().len(), 1);

    // The server moved (PUBLIC_URL changed): the recorded webhook follows it.
    if backend == Backend::Real {
        let moved = a
            .sibling_tuned(|s| {
                with_dialpad(&fake)(s);
                s.public_url = Some("https://cti-new.example.test".into());
            })
            .await;
        let body = json_of(moved.provision(&app_id).await, 200).await;
        assert_eq!(body["webhook_id"], webhooks[0].id.as_str());
        let after = fake.webhooks();
        assert_eq!(after.len(), 2, "{after:?}");
        assert!(after.iter().any(|w| w.hook_url == format!("https://cti-new.example.test/webhooks/dialpad/{app_id}")));
    }
}

for_each_backend!(disconnect_deletes_the_webhook_and_subscription_before_revoking);

async fn disconnect_deletes_the_webhook_and_subscription_before_revoking(backend: Backend) {
    let fake = FakeDialpad::start().await;
    let Some((a, b)) = instances(backend, &fake).await else { return };
    let (app_id, _key, _) = provisioned(&a, "crm").await;
    let foreign = fake.add_webhook("https://elsewhere.example.com/hook", "theirs");
    fake.add_webhook(&hook_url(&app_id), "a-copy-made-by-hand");

    let body = json_of(b.as_ref().unwrap_or(&a).disconnect(&app_id).await, 200).await;
    assert_eq!(body["dialpad_revocation"], "revoked", "{body}");
    let left: Vec<String> = fake.webhooks().into_iter().map(|w| w.id).collect();
    assert_eq!(left, [foreign], "ours (the copy too) are deleted, the foreign one is left");
    assert!(fake.subscriptions().is_empty());
    assert_eq!(fake.seen().deauthorized, 1);
}

#[tokio::test]
async fn a_user_who_is_no_admin_connects_and_is_told_how_to_provision() {
    let fake = FakeDialpad::start().await;
    fake.set(|b| b.not_admin = true);
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    connected(&app, &app_id).await;

    let status = settled(&app, &app_id).await;
    assert_eq!(status["status"], "active", "the connection is kept: {status}");
    assert!(status["webhook_id"].is_null());
    let error = status["provision_error"].as_str().unwrap();
    assert!(error.contains("company admin"), "{error}");
    assert!(error.contains(&format!("POST /internal/apps/{app_id}/dialpad/provision")), "{error}");

    let refused = assert_error(app.provision(&app_id).await, 502, "Bad gateway").await;
    assert!(refused["message"].as_str().unwrap().contains("company admin"), "{refused}");

    fake.set(|b| b.not_admin = false);
    let done = json_of(app.provision(&app_id).await, 200).await;
    let status = app.connection(&app_id, 200).await;
    assert_eq!(status["webhook_id"], done["webhook_id"]);
    assert!(status["provision_error"].is_null(), "a success clears the error: {status}");
    assert_eq!(fake.webhooks().len(), 1);
}

#[tokio::test]
async fn provisioning_an_app_that_is_not_connected_is_409() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let app_id = app.create_app("crm").await;
    let body = assert_error(app.provision(&app_id).await, 409, "Conflict").await;
    assert!(body["message"].as_str().unwrap().contains("not connected"), "{body}");
    assert!(fake.api_seen().requests.is_empty());
}
