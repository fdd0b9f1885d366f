//! What Dialpad sends, made by independent code: JWS tokens from the jsonwebtoken crate and
//! the old server's hex HMAC from the hmac crate. Plus helpers to post them.

use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, json_of};

/// A compact JWS of `claims` signed HS256 with `secret`, as Dialpad sends it.
pub fn jws(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// The hex HMAC-SHA256 of `body` (the old server's x-dialpad-signature).
pub fn hex_signature(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A call event in Dialpad's shape.
pub fn call_event(call_id: i64, state: &str, ts: i64) -> Value {
    json!({
        "call_id": call_id, "master_call_id": null, "state": state, "direction": "inbound",
        "external_number": "+15105550100", "internal_number": "+15105550199",
        "date_started": 1731624039404i64, "event_timestamp": ts,
        "target": {"id": 5527348325810176i64, "type": "user", "name": "Agent", "phone": "+15105550199"},
        "contact": {"id": 6131436978913280i64, "type": "local", "name": "Caller", "phone": "+15105550100"},
        "recording_details": [], "voicemail_link": null
    })
}

impl TestApp {
    /// Generates (or rotates) the app's webhook secret; returns it.
    pub async fn webhook_secret(&self, app_id: &str, previous_valid_seconds: i64) -> String {
        let res = self
            .internal(Method::POST, &format!("/internal/apps/{app_id}/webhook-secret"))
            .json(&json!({ "previous_valid_seconds": previous_valid_seconds }))
            .send()
            .await
            .unwrap();
        json_of(res, 201).await["secret"].as_str().unwrap().to_owned()
    }

    /// POSTs a raw body to the app's webhook route.
    pub async fn post_webhook(&self, app_id: &str, body: impl Into<reqwest::Body>) -> Response {
        self.request(Method::POST, &format!("/webhooks/dialpad/{app_id}")).body(body).send().await.unwrap()
    }

    /// An app with a webhook secret and an API key: (app id, secret, key).
    pub async fn tenant(&self, name: &str) -> (String, String, String) {
        let app = self.create_app(name).await;
        let secret = self.webhook_secret(&app, 0).await;
        let key = self.issue_key(&app, 0).await;
        (app, secret, key)
    }

    /// GET on the app API with `key`; the JSON body, asserting `status`.
    pub async fn api(&self, key: &str, path: &str, status: u16) -> Value {
        let res = self.request(Method::GET, path).header("x-app-api-key", key).send().await.unwrap();
        json_of(res, status).await
    }
}
