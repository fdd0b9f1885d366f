//! Provisioning: making Dialpad deliver the app's call events to this server, with no hand
//! setup. The app's webhook secret is rotated (the previous one stays valid a day, so events
//! in flight still verify), then the company gets exactly one webhook of ours (found by its
//! `hook_url`, `<PUBLIC_URL>/webhooks/dialpad/<app_id>`; created, or updated with the new
//! secret; extras deleted) and exactly one call subscription on it (created, or fixed if it
//! was disabled or changed). Running it again converges to the same state. What was set up,
//! or why it failed and how to retry, is recorded on the connection.

use std::sync::Arc;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use secrecy::SecretString;

use super::DialpadConnections;
use super::act::ActError;
use crate::app::webhooks::WebhookSecretError;
use crate::domain::app::AppId;
use crate::domain::dialpad::Provisioning;
use crate::ports::{DialpadApi, DialpadError};

/// How long the previous webhook secret keeps working after provisioning rotates it.
const PREVIOUS_SECRET_VALID_FOR: ChronoDuration = ChronoDuration::hours(24);
/// Dialpad requests one provisioning makes, as a rule (two lists, an update or create of
/// each; more only when it deletes copies someone made).
const PROVISION_COST: u32 = 6;

/// What provisioning set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    pub webhook_id: String,
    pub subscription_id: String,
    pub at: DateTime<Utc>,
}

/// Provisioning did not complete: why, and what to do (also recorded on the connection).
#[derive(Debug, thiserror::Error)]
#[error("{advice}")]
pub struct ProvisionError {
    /// What failed and how to retry, for the operator.
    pub advice: String,
    #[source]
    pub cause: ActError,
}

impl DialpadConnections {
    /// Provisions the app's webhook and call subscription at Dialpad; what it set up.
    #[tracing::instrument(skip_all, fields(app_id = %app_id))]
    pub async fn provision(&self, app_id: AppId) -> Result<Provisioned, ProvisionError> {
        let fail = |cause: ActError| ProvisionError { advice: failure(app_id, &cause), cause };
        let previous = match self.inner.repo.get(app_id).await {
            Ok(Some(connection)) => connection.provisioning,
            Ok(None) => return Err(fail(ActError::NotConnected)),
            Err(err) => return Err(fail(err.into())),
        };
        let hook_url = self.hook_url(app_id);
        let secret = match self.inner.secrets.rotate(app_id, PREVIOUS_SECRET_VALID_FOR).await {
            Ok(issued) => SecretString::from(issued.secret),
            Err(WebhookSecretError::AppNotFound) => return Err(fail(ActError::NotConnected)),
            Err(WebhookSecretError::Store(err)) => return Err(fail(err.into())),
        };
        let states = self.inner.settings.call_states.clone();
        let set_up = {
            let (hook_url, previous) = (hook_url.clone(), previous.clone());
            move |api: Arc<dyn DialpadApi>, token| async move {
                set_up(api.as_ref(), &token, &previous, &hook_url, &secret, &states).await
            }
        };
        let result = self.act(app_id, "provision", PROVISION_COST, set_up).await;
        let now = self.inner.clock.now();
        let recorded = match &result {
            Ok((webhook_id, subscription_id)) => Provisioning {
                webhook_id: Some(webhook_id.clone()),
                subscription_id: Some(subscription_id.clone()),
                provisioned_at: Some(now),
                error: None,
            },
            Err(err) => Provisioning { error: Some(failure(app_id, err)), ..previous },
        };
        self.inner.repo.record_provisioning(app_id, &recorded).await.map_err(|err| fail(err.into()))?;
        match result {
            Ok((webhook_id, subscription_id)) => {
                tracing::info!(hook_url = %hook_url, "dialpad webhook and call subscription provisioned");
                Ok(Provisioned { webhook_id, subscription_id, at: now })
            }
            Err(err) => {
                tracing::warn!(error = %recorded.error.as_deref().unwrap_or_default(), "dialpad provisioning failed");
                Err(fail(err))
            }
        }
    }

    /// Deletes the app's call subscriptions and webhooks at Dialpad (before its tokens are
    /// revoked): the recorded ones, and any other posting to the app's route (one made while
    /// a disconnect raced a provisioning, or by hand). Best effort, logged.
    pub(super) async fn deprovision(
        &self,
        api: &dyn DialpadApi,
        token: &SecretString,
        app_id: AppId,
        provisioning: &Provisioning,
    ) {
        match tear_down(api, token, &self.hook_url(app_id), provisioning).await {
            Ok((0, 0)) => {}
            Ok((webhooks, subscriptions)) => {
                tracing::info!(app_id = %app_id, webhooks, subscriptions, "dialpad webhook and call subscription deleted")
            }
            Err(err) => tracing::warn!(
                app_id = %app_id,
                error = %err,
                "the dialpad webhook and call subscription could not all be deleted"
            ),
        }
    }

    /// Where the app's provisioned webhook posts.
    fn hook_url(&self, app_id: AppId) -> String {
        format!("{}/webhooks/dialpad/{app_id}", self.inner.settings.public_url)
    }
}

/// One webhook of ours posting to `hook_url` with `secret`, one enabled subscription on it
/// for `states`: their ids. `previous` is what the last provisioning recorded.
async fn set_up(
    api: &dyn DialpadApi,
    token: &SecretString,
    previous: &Provisioning,
    hook_url: &str,
    secret: &SecretString,
    states: &[String],
) -> Result<(String, String), DialpadError> {
    // Ours: posting to the app's route, or the one recorded (PUBLIC_URL may have changed).
    let recorded = previous.webhook_id.as_deref();
    let mut ours =
        api.webhooks(token).await?.into_iter().filter(|w| w.hook_url == hook_url || Some(w.id.as_str()) == recorded);
    let webhook = match ours.next() {
        Some(existing) => api.update_webhook(token, &existing.id, hook_url, secret).await?,
        None => api.create_webhook(token, hook_url, secret).await?,
    };
    for extra in ours {
        api.delete_webhook(token, &extra.id).await?;
    }
    let subscriptions = api.call_subscriptions(token).await?;
    let mut ours = subscriptions.into_iter().filter(|s| s.webhook_id.as_deref() == Some(webhook.id.as_str()));
    let subscription = match ours.next() {
        Some(existing) if existing.enabled && same_states(&existing.call_states, states) => existing,
        Some(existing) => api.update_call_subscription(token, &existing.id, &webhook.id, states).await?,
        None => api.create_call_subscription(token, &webhook.id, states).await?,
    };
    for extra in ours {
        api.delete_call_subscription(token, &extra.id).await?;
    }
    Ok((webhook.id, subscription.id))
}

/// Deletes the subscriptions on our webhooks, then the webhooks: how many of each.
async fn tear_down(
    api: &dyn DialpadApi,
    token: &SecretString,
    hook_url: &str,
    provisioning: &Provisioning,
) -> Result<(usize, usize), DialpadError> {
    let mut webhooks: Vec<String> =
        api.webhooks(token).await?.into_iter().filter(|w| w.hook_url == hook_url).map(|w| w.id).collect();
    if let Some(recorded) = &provisioning.webhook_id
        && !webhooks.contains(recorded)
    {
        webhooks.push(recorded.clone());
    }
    let subscriptions: Vec<String> = api
        .call_subscriptions(token)
        .await?
        .into_iter()
        .filter(|s| {
            s.webhook_id.as_ref().is_some_and(|w| webhooks.contains(w))
                || provisioning.subscription_id.as_ref() == Some(&s.id)
        })
        .map(|s| s.id)
        .collect();
    for id in &subscriptions {
        already_gone_is_fine(api.delete_call_subscription(token, id).await)?;
    }
    for id in &webhooks {
        already_gone_is_fine(api.delete_webhook(token, id).await)?;
    }
    Ok((webhooks.len(), subscriptions.len()))
}

/// A delete Dialpad answers 404 to is done.
fn already_gone_is_fine(result: Result<(), DialpadError>) -> Result<(), DialpadError> {
    match result {
        Err(DialpadError::Refused { error, .. }) if error == "http_404" => Ok(()),
        other => other,
    }
}

fn same_states(have: &[String], want: &[String]) -> bool {
    let mut have = have.to_vec();
    let mut want = want.to_vec();
    have.sort();
    want.sort();
    have == want
}

/// What to record when provisioning failed: what went wrong and how to retry.
fn failure(app_id: AppId, err: &ActError) -> String {
    let retry = format!("retry with POST /internal/apps/{app_id}/dialpad/provision");
    match err {
        ActError::Dialpad(DialpadError::Refused { error, description }) if error == "http_403" => format!(
            "Dialpad refused ({}): the user who connected may not be a company admin; connect with an admin, then {retry}",
            description.as_deref().unwrap_or("forbidden")
        ),
        ActError::NotConnected => format!(
            "the app is not connected to Dialpad: connect it (POST /internal/apps/{app_id}/dialpad/connect-link), \
             which provisions by itself"
        ),
        ActError::ReauthRequired(why) => format!("{why}; connecting again provisions by itself"),
        err => format!("{err}; {retry}"),
    }
}
