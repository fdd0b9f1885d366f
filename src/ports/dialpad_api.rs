//! DialpadApi: acting on an app's Dialpad account with its access token: the webhook and the
//! call subscription that deliver its events, click-to-call, screen pop. Ids are Dialpad's
//! int64 ids (numbers or strings on the wire), kept as text. Errors are [`DialpadError`]s;
//! the adapter retries only what is safe to repeat (reads, deletes, updates).

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::Value;

use super::DialpadError;

/// A Dialpad webhook: where Dialpad posts events, signed with its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialpadWebhook {
    pub id: String,
    pub hook_url: String,
}

/// A call event subscription: which call states go to which webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSubscription {
    pub id: String,
    /// The webhook it delivers to, if it delivers to a webhook.
    pub webhook_id: Option<String>,
    pub call_states: Vec<String>,
    pub enabled: bool,
}

#[async_trait]
pub trait DialpadApi: Send + Sync {
    /// Every webhook of the company (all pages).
    async fn webhooks(&self, token: &SecretString) -> Result<Vec<DialpadWebhook>, DialpadError>;

    /// Creates a webhook posting to `hook_url`, signing with `secret` (HS256 JWTs).
    async fn create_webhook(
        &self,
        token: &SecretString,
        hook_url: &str,
        secret: &SecretString,
    ) -> Result<DialpadWebhook, DialpadError>;

    /// Sets a webhook's URL and signing secret.
    async fn update_webhook(
        &self,
        token: &SecretString,
        id: &str,
        hook_url: &str,
        secret: &SecretString,
    ) -> Result<DialpadWebhook, DialpadError>;

    async fn delete_webhook(&self, token: &SecretString, id: &str) -> Result<(), DialpadError>;

    /// Every call event subscription of the company (all pages).
    async fn call_subscriptions(&self, token: &SecretString) -> Result<Vec<CallSubscription>, DialpadError>;

    /// Subscribes `webhook_id` to `call_states`, enabled, for the whole company.
    async fn create_call_subscription(
        &self,
        token: &SecretString,
        webhook_id: &str,
        call_states: &[String],
    ) -> Result<CallSubscription, DialpadError>;

    /// Sets a subscription's webhook and states, and enables it.
    async fn update_call_subscription(
        &self,
        token: &SecretString,
        id: &str,
        webhook_id: &str,
        call_states: &[String],
    ) -> Result<CallSubscription, DialpadError>;

    async fn delete_call_subscription(&self, token: &SecretString, id: &str) -> Result<(), DialpadError>;

    /// Makes the user's Dialpad app call `phone_number` (E.164); Dialpad's answer.
    async fn initiate_call(
        &self,
        token: &SecretString,
        user_id: &str,
        phone_number: &str,
        custom_data: Option<&str>,
    ) -> Result<Value, DialpadError>;

    /// Pops `url` on the user's Dialpad; Dialpad's answer.
    async fn screen_pop(&self, token: &SecretString, user_id: &str, url: &str) -> Result<Value, DialpadError>;
}
