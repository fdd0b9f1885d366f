//! Acting on Dialpad for an app: the access token from its connection (an expired one is
//! refreshed first, under the connection's claim, as the refresher does), the company's
//! budget of requests shared by every instance (Dialpad allows 20 a second per company),
//! then the call, counted and timed. A 401 means Dialpad no longer accepts the token: the
//! connection becomes `reauth_required`, and the stream says so.

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::announce::Change;
use super::{DialpadConnections, holder};
use crate::domain::app::AppId;
use crate::domain::dialpad::{Connection, ConnectionStatus, TokenPurpose};
use crate::domain::rate_limit::Quota;
use crate::ports::{Claim, DialpadApi, DialpadError, StoreError};

/// The company's budget: Dialpad allows 20 requests a second per company. A burst of 6 (the
/// most one action costs) on top of 12 a second keeps any one-second window at 18 or
/// fewer, however Dialpad counts its seconds, with room for requests delayed on the way.
const COMPANY_BURST: u32 = 6;
const COMPANY_PER_MINUTE: u32 = 12 * 60;
/// How long a request waits for the company's budget before giving up.
const BUDGET_PATIENCE: Duration = Duration::from_secs(3);

/// Why an action on Dialpad did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("Dialpad OAuth is not configured")]
    NotConfigured,
    #[error("the app is not connected to Dialpad")]
    NotConnected,
    /// Dialpad refuses the connection's tokens: connect again.
    #[error("the app's Dialpad connection needs a new connect: {0}")]
    ReauthRequired(String),
    #[error(transparent)]
    Dialpad(DialpadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DialpadConnections {
    /// The Dialpad API, when configured.
    pub(super) fn api(&self) -> Result<&Arc<dyn DialpadApi>, ActError> {
        self.inner.api.as_ref().ok_or(ActError::NotConfigured)
    }

    /// Runs `call` on Dialpad for the app, with its access token, within its company's
    /// budget (`cost` requests of it). `operation` names it in metrics.
    pub(super) async fn act<T, F, Fut>(
        &self,
        app_id: AppId,
        operation: &'static str,
        cost: u32,
        call: F,
    ) -> Result<T, ActError>
    where
        F: FnOnce(Arc<dyn DialpadApi>, SecretString) -> Fut,
        Fut: Future<Output = Result<T, DialpadError>> + Send,
    {
        let api = self.api()?.clone();
        let (connection, token) = self.access_token(app_id).await?;
        self.budget(&connection.identity.company_id, cost).await?;
        let started = Instant::now();
        let result = call(api, token).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(DialpadError::Refused { .. }) => "refused",
            Err(DialpadError::Unauthorized) => "unauthorized",
            Err(DialpadError::RateLimited { .. }) => "rate_limited",
            Err(DialpadError::Unavailable(_)) => "unavailable",
            Err(DialpadError::Malformed(_)) => "malformed",
        };
        (self.inner.metrics.api)(operation, outcome).increment(1);
        (self.inner.metrics.api_seconds)(operation).record(started.elapsed().as_secs_f64());
        match result {
            Ok(value) => Ok(value),
            Err(DialpadError::Unauthorized) => {
                let why = "Dialpad no longer accepts the access token (401); connect the app again";
                self.require_reauth(app_id, why).await;
                Err(ActError::ReauthRequired(why.to_owned()))
            }
            Err(err) => Err(ActError::Dialpad(err)),
        }
    }

    /// Waits for `cost` requests of the company's budget (every instance shares it).
    async fn budget(&self, company_id: &str, cost: u32) -> Result<(), ActError> {
        let quota = Quota::per_minute(COMPANY_PER_MINUTE, COMPANY_BURST).expect("a budget");
        let subject = format!("dialpad-company:{company_id}");
        let give_up = tokio::time::Instant::now() + BUDGET_PATIENCE;
        loop {
            match self.inner.limits.take(&subject, quota, cost).await {
                Ok(()) => return Ok(()),
                Err(wait) if tokio::time::Instant::now() + wait < give_up => tokio::time::sleep(wait).await,
                Err(wait) => return Err(ActError::Dialpad(DialpadError::RateLimited { retry_after: Some(wait) })),
            }
        }
    }

    /// The app's connection and a usable access token, refreshing an expired one first.
    async fn access_token(&self, app_id: AppId) -> Result<(Connection, SecretString), ActError> {
        let connection = self.inner.repo.get(app_id).await?.ok_or(ActError::NotConnected)?;
        let connection = if connection.access_expired(self.inner.clock.now()) {
            self.refresh_now(app_id).await?
        } else {
            connection
        };
        if connection.status == ConnectionStatus::ReauthRequired {
            return Err(ActError::ReauthRequired(connection.last_error.clone().unwrap_or_default()));
        }
        let token = self.open(app_id, TokenPurpose::Access, &connection.access_token)?;
        Ok((connection, token))
    }

    /// Refreshes the connection now, under its claim (re-read once claimed: another
    /// instance may just have done it).
    async fn refresh_now(&self, app_id: AppId) -> Result<Connection, ActError> {
        let oauth = self.oauth().ok_or(ActError::NotConfigured)?.clone();
        let holder = holder();
        let connection = match self.claim_patiently(app_id, &holder).await? {
            Claim::Taken(connection) => *connection,
            Claim::Absent => return Err(ActError::NotConnected),
            Claim::Busy => {
                return Err(ActError::Dialpad(DialpadError::Unavailable(anyhow::anyhow!("the connection is busy"))));
            }
        };
        if !connection.access_expired(self.inner.clock.now()) || connection.status == ConnectionStatus::ReauthRequired {
            self.inner.repo.release(app_id, &holder).await?;
            return Ok(connection);
        }
        let before = connection.status;
        let after = self.rotate(oauth.as_ref(), connection).await;
        self.inner.repo.save_claimed(&after, &holder).await?;
        if after.status != before {
            self.announce(app_id, Change::Now(after.status), &after, Some(before)).await;
        }
        if after.access_expired(self.inner.clock.now()) && after.status != ConnectionStatus::ReauthRequired {
            let why = after.last_error.clone().unwrap_or_default();
            return Err(ActError::Dialpad(DialpadError::Unavailable(anyhow::anyhow!(
                "the expired access token could not be refreshed: {why}"
            ))));
        }
        Ok(after)
    }

    /// Marks the connection `reauth_required` (Dialpad refused its token) and says so.
    async fn require_reauth(&self, app_id: AppId, why: &str) {
        let holder = holder();
        let Ok(Claim::Taken(connection)) = self.claim_patiently(app_id, &holder).await else { return };
        let mut connection = *connection;
        let before = connection.status;
        connection.refresh_refused(why.to_owned());
        if matches!(self.inner.repo.save_claimed(&connection, &holder).await, Ok(true)) && before != connection.status {
            tracing::warn!(app_id = %app_id, "dialpad refused the access token: reauthorization required");
            self.announce(app_id, Change::Now(connection.status), &connection, Some(before)).await;
        }
    }
}
