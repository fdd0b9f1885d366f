//! The Dialpad REST calls a connection makes for its app (webhooks, call subscriptions,
//! click-to-call, screen pop), with the connection's bearer token. Reads, updates and deletes
//! are safe to repeat and are retried on 5xx and network errors (three tries, backing off);
//! creates, calls and pops are not, so a request Dialpad may have acted on is never sent
//! twice. A 429 is answered with its Retry-After; a 401 says the token is no longer accepted.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::transport::{self, TransportError};
use super::{HttpDialpad, api_error, id_text};
use crate::ports::{CallSubscription, DialpadApi, DialpadError, DialpadWebhook};

/// Tries of a request that is safe to repeat.
const SAFE_TRIES: u32 = 3;
const FIRST_RETRY: Duration = Duration::from_millis(200);
/// The most list pages read (100 items a page on Dialpad's side).
const MAX_PAGES: usize = 50;

impl HttpDialpad {
    /// Sends a JSON request and reads Dialpad's JSON answer (`null` when there is none).
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &SecretString,
        body: Option<&Value>,
    ) -> Result<Value, DialpadError> {
        let safe = matches!(method, Method::GET | Method::PATCH | Method::DELETE);
        let tries = if safe { SAFE_TRIES } else { 1 };
        let mut wait = FIRST_RETRY;
        let mut attempt = 1;
        loop {
            match self.call_once(method.clone(), path, token, body).await {
                Err(DialpadError::Unavailable(_)) if attempt < tries => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn call_once(
        &self,
        method: Method,
        path: &str,
        token: &SecretString,
        body: Option<&Value>,
    ) -> Result<Value, DialpadError> {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token.expose_secret());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|err| api_error(TransportError::Unreachable(err)))?;
        let response = transport::retryable(response).map_err(api_error)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|err| api_error(TransportError::Unreachable(err)))?;
        match status {
            200..=299 if text.trim().is_empty() => Ok(Value::Null),
            200..=299 => serde_json::from_str(&text).map_err(|_| DialpadError::Malformed(format!("{path}: not JSON"))),
            401 => Err(DialpadError::Unauthorized),
            _ => Err(refused(status, &text)),
        }
    }

    /// Every item of a paged list (`items`, `cursor`).
    async fn list(&self, path: &str, token: &SecretString) -> Result<Vec<Value>, DialpadError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page_path = match &cursor {
                Some(c) => {
                    format!("{path}?cursor={}", url::form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>())
                }
                None => path.to_owned(),
            };
            let page = self.call(Method::GET, &page_path, token, None).await?;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            cursor = page["cursor"].as_str().filter(|c| !c.is_empty()).map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        Ok(items)
    }
}

/// A 4xx other than 401: Dialpad's own words when it gave some (`error.message`, `message`).
fn refused(status: u16, body: &str) -> DialpadError {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let said =
        json["error"]["message"].as_str().or_else(|| json["message"].as_str()).or_else(|| json["error"].as_str());
    DialpadError::Refused { error: format!("http_{status}"), description: said.map(|m| m.chars().take(300).collect()) }
}

fn webhook(value: &Value) -> Result<DialpadWebhook, DialpadError> {
    Ok(DialpadWebhook {
        id: id_text(&value["id"]).ok_or_else(|| DialpadError::Malformed("a webhook without an id".into()))?,
        hook_url: value["hook_url"].as_str().unwrap_or_default().to_owned(),
    })
}

fn subscription(value: &Value) -> Result<CallSubscription, DialpadError> {
    Ok(CallSubscription {
        id: id_text(&value["id"]).ok_or_else(|| DialpadError::Malformed("a subscription without an id".into()))?,
        webhook_id: id_text(&value["webhook"]["id"]),
        call_states: value["call_states"]
            .as_array()
            .map(|states| states.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        enabled: value["enabled"].as_bool().unwrap_or(true),
    })
}

/// The body that creates or updates the app's webhook.
fn webhook_body(hook_url: &str, secret: &SecretString) -> Value {
    json!({ "hook_url": hook_url, "secret": secret.expose_secret() })
}

/// The body that creates or updates the call subscription of `webhook_id`.
fn subscription_body(webhook_id: &str, call_states: &[String]) -> Value {
    json!({ "endpoint_id": id_value(webhook_id), "call_states": call_states, "enabled": true })
}

/// An id as Dialpad takes it in a body: a number when it is one.
fn id_value(id: &str) -> Value {
    id.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(id))
}

#[async_trait]
impl DialpadApi for HttpDialpad {
    async fn webhooks(&self, token: &SecretString) -> Result<Vec<DialpadWebhook>, DialpadError> {
        self.list("/api/v2/webhooks", token).await?.iter().map(webhook).collect()
    }

    async fn create_webhook(
        &self,
        token: &SecretString,
        hook_url: &str,
        secret: &SecretString,
    ) -> Result<DialpadWebhook, DialpadError> {
        let body = webhook_body(hook_url, secret);
        webhook(&self.call(Method::POST, "/api/v2/webhooks", token, Some(&body)).await?)
    }

    async fn update_webhook(
        &self,
        token: &SecretString,
        id: &str,
        hook_url: &str,
        secret: &SecretString,
    ) -> Result<DialpadWebhook, DialpadError> {
        let body = webhook_body(hook_url, secret);
        webhook(&self.call(Method::PATCH, &format!("/api/v2/webhooks/{id}"), token, Some(&body)).await?)
    }

    async fn delete_webhook(&self, token: &SecretString, id: &str) -> Result<(), DialpadError> {
        self.call(Method::DELETE, &format!("/api/v2/webhooks/{id}"), token, None).await.map(drop)
    }

    async fn call_subscriptions(&self, token: &SecretString) -> Result<Vec<CallSubscription>, DialpadError> {
        self.list("/api/v2/subscriptions/call", token).await?.iter().map(subscription).collect()
    }

    async fn create_call_subscription(
        &self,
        token: &SecretString,
        webhook_id: &str,
        call_states: &[String],
    ) -> Result<CallSubscription, DialpadError> {
        let body = subscription_body(webhook_id, call_states);
        subscription(&self.call(Method::POST, "/api/v2/subscriptions/call", token, Some(&body)).await?)
    }

    async fn update_call_subscription(
        &self,
        token: &SecretString,
        id: &str,
        webhook_id: &str,
        call_states: &[String],
    ) -> Result<CallSubscription, DialpadError> {
        let body = subscription_body(webhook_id, call_states);
        subscription(&self.call(Method::PATCH, &format!("/api/v2/subscriptions/call/{id}"), token, Some(&body)).await?)
    }

    async fn delete_call_subscription(&self, token: &SecretString, id: &str) -> Result<(), DialpadError> {
        self.call(Method::DELETE, &format!("/api/v2/subscriptions/call/{id}"), token, None).await.map(drop)
    }

    async fn initiate_call(
        &self,
        token: &SecretString,
        user_id: &str,
        phone_number: &str,
        custom_data: Option<&str>,
    ) -> Result<Value, DialpadError> {
        let mut body = json!({ "phone_number": phone_number });
        if let Some(data) = custom_data {
            body["custom_data"] = json!(data);
        }
        self.call(Method::POST, &format!("/api/v2/users/{user_id}/initiate_call"), token, Some(&body)).await
    }

    async fn screen_pop(&self, token: &SecretString, user_id: &str, url: &str) -> Result<Value, DialpadError> {
        let body = json!({ "screen_pop_uri": url });
        self.call(Method::POST, &format!("/api/v2/users/{user_id}/screenpop"), token, Some(&body)).await
    }
}
