//! Acting on Dialpad through the connection, end to end against the fake Dialpad: the
//! webhook and call subscription provisioned on connect (provision.rs), click-to-call and
//! screen pop for the app's users (calls.rs), and the app's page popped when an inbound
//! call rings, once per call whichever instances the event's retries reach (ring.rs).

mod calls;
mod provision;
mod ring;

use std::time::Duration;

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::dialpad_oauth::refresh::until;
use crate::dialpad_oauth::{connected, with_dialpad};
use crate::fake_dialpad::FakeDialpad;
use crate::helpers::{Backend, TestApp, json_of};

/// Where every provisioned webhook posts: PUBLIC_URL defaults to the redirect URI's origin.
pub fn hook_url(app_id: &str) -> String {
    format!("http://cti.example.test/webhooks/dialpad/{app_id}")
}

/// A connected app, provisioned, with an API key: (app id, key, connection status).
pub async fn provisioned(app: &TestApp, name: &str) -> (String, String, Value) {
    let app_id = app.create_app(name).await;
    let key = app.issue_key(&app_id, 0).await;
    connected(app, &app_id).await;
    let status = settled(app, &app_id).await;
    assert!(status["webhook_id"].is_string(), "provisioned after the connect: {status}");
    (app_id, key, status)
}

/// A memory instance that is a client of `fake`, with an app "crm" connected and
/// provisioned whose user "agent-7" is Dialpad's USER_ID: (instance, app id, key).
pub async fn crm_with_agent(fake: &FakeDialpad) -> (TestApp, String, String) {
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(fake)).await.unwrap();
    let (app_id, key, _) = provisioned(&app, "crm").await;
    app.map_user(&app_id, crate::fake_dialpad::USER_ID, "agent-7").await;
    (app, app_id, key)
}

/// The connection once the provisioning started by the connect has finished (either way).
pub async fn settled(app: &TestApp, app_id: &str) -> Value {
    until(Duration::from_secs(10), "provisioning finishes", async || {
        let status = app.connection(app_id, 200).await;
        !status["webhook_id"].is_null() || !status["provision_error"].is_null()
    })
    .await;
    app.connection(app_id, 200).await
}

/// Two instances on the real backend (one on memory), each a client of `fake`.
pub async fn instances(backend: Backend, fake: &FakeDialpad) -> Option<(TestApp, Option<TestApp>)> {
    let a = TestApp::spawn_tuned(backend, with_dialpad(fake)).await?;
    let b = if backend == Backend::Real { Some(a.sibling_tuned(with_dialpad(fake)).await) } else { None };
    Some((a, b))
}

impl TestApp {
    /// Maps Dialpad user `dialpad_user_id` to `app_user_id` for the app.
    pub async fn map_user(&self, app_id: &str, dialpad_user_id: i64, app_user_id: &str) {
        let res = self
            .internal(Method::POST, &format!("/internal/apps/{app_id}/user-mappings"))
            .json(&json!({ "dialpad_user_id": dialpad_user_id, "app_user_id": app_user_id }))
            .send()
            .await
            .unwrap();
        json_of(res, 201).await;
    }

    /// POSTs `body` to the app API at `path` with `key`.
    pub async fn act(&self, key: &str, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path).header("x-app-api-key", key).json(body).send().await.unwrap()
    }

    pub async fn provision(&self, app_id: &str) -> Response {
        self.internal(Method::POST, &format!("/internal/apps/{app_id}/dialpad/provision")).send().await.unwrap()
    }
}
