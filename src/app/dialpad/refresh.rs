//! One token rotation. The connection is claimed first and read again as claimed: if another
//! instance refreshed it meanwhile, nothing is sent. Dialpad's answer becomes the new state
//! in one fenced write (the new refresh token with the new access token). `invalid_grant`
//! ends the retries (`reauth_required`); an answer without a refresh token keeps the old
//! one and says so (`refresh_failed`); unreachable, 5xx and 429 are retried with backoff.

use secrecy::ExposeSecret;
use tracing::instrument;

use super::announce::Change;
use super::{DialpadConnections, holder};
use crate::domain::app::AppId;
use crate::domain::dialpad::connection::lifetime;
use crate::domain::dialpad::{Connection, TokenPurpose};
use crate::ports::{Claim, DialpadError, StoreError};

impl DialpadConnections {
    /// Refreshes the app's connection if it is (still) due. Another instance holding it, or
    /// no connection, is not an error.
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn refresh_if_due(&self, app_id: AppId) -> Result<(), StoreError> {
        let Some(oauth) = self.oauth() else { return Ok(()) };
        let holder = holder();
        let now = self.inner.clock.now();
        let Claim::Taken(connection) = self.inner.repo.claim(app_id, &holder, now, now + super::CLAIM_TTL).await?
        else {
            return Ok(());
        };
        if !connection.is_due(now) {
            // Refreshed elsewhere between the listing and the claim.
            return self.inner.repo.release(app_id, &holder).await;
        }
        let before = connection.status;
        let after = self.rotate(oauth.as_ref(), *connection).await;
        if !self.save_rotated(&after, &holder).await? {
            tracing::error!("the refreshed tokens could not be saved: the claim ran out while Dialpad answered");
            return Ok(());
        }
        if after.status != before {
            self.announce(app_id, Change::Now(after.status), &after, Some(before)).await;
        }
        Ok(())
    }

    /// Saves a rotation's result under `holder`'s claim. Dialpad has already rotated the
    /// refresh token, so the new one must not be lost to a store outage: the save is tried
    /// again while the claim lasts. `false`: the claim was lost.
    async fn save_rotated(&self, connection: &Connection, holder: &str) -> Result<bool, StoreError> {
        let give_up = tokio::time::Instant::now() + super::CLAIM_TTL - std::time::Duration::from_secs(5);
        loop {
            match self.inner.repo.save_claimed(connection, holder).await {
                Err(StoreError::Unavailable(err)) if tokio::time::Instant::now() < give_up => {
                    tracing::warn!(error = format!("{err:#}"), "saving refreshed dialpad tokens failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                saved => return saved,
            }
        }
    }

    /// Sends the connection's refresh token to Dialpad (the caller holds the claim) and
    /// returns the connection as Dialpad's answer leaves it.
    pub(super) async fn rotate(
        &self,
        oauth: &dyn crate::ports::DialpadOAuth,
        mut connection: Connection,
    ) -> Connection {
        let app_id = connection.app_id;
        let refresh_token = match self.open(app_id, TokenPurpose::Refresh, &connection.refresh_token) {
            Ok(token) => token,
            Err(err) => {
                tracing::error!(error = format!("{err:#}"), "dialpad token refresh impossible");
                connection.refresh_refused(
                    "The stored tokens cannot be decrypted (TOKEN_ENCRYPTION_KEY changed?); connect the app again"
                        .to_owned(),
                );
                return connection;
            }
        };
        let answer = oauth.refresh(&refresh_token).await;
        let now = self.inner.clock.now();
        match answer {
            Ok(grant) => {
                let lifetime = lifetime(grant.expires_in);
                let access = self.seal(app_id, TokenPurpose::Access, grant.access_token.expose_secret());
                let refresh = grant.refresh_token.map(|t| self.seal(app_id, TokenPurpose::Refresh, t.expose_secret()));
                let rotated = refresh.is_some();
                connection.refreshed(access, refresh, lifetime, now);
                (self.inner.metrics.refreshes)("ok").increment(1);
                if rotated {
                    tracing::info!(lifetime_s = lifetime.as_secs(), "dialpad tokens refreshed");
                } else {
                    tracing::warn!(
                        lifetime_s = lifetime.as_secs(),
                        "dialpad refresh answered without a refresh token; keeping the previous one"
                    );
                }
            }
            Err(DialpadError::Refused { error, description }) if error == "invalid_grant" => {
                let reason = format!(
                    "Dialpad refused the refresh token (invalid_grant{}); connect the app again",
                    description.map(|d| format!(": {}", d.chars().take(200).collect::<String>())).unwrap_or_default()
                );
                tracing::warn!(reason = %reason, "dialpad token refresh failed: reauthorization required");
                (self.inner.metrics.refreshes)("refused").increment(1);
                connection.refresh_refused(reason);
            }
            Err(err) => {
                let retry_after = match &err {
                    DialpadError::RateLimited { retry_after } => *retry_after,
                    _ => None,
                };
                // The cause chain, e.g. "Dialpad is unavailable: cannot reach Dialpad: ...".
                let reason = format!("{:#}", anyhow::Error::new(err));
                connection.refresh_failed(reason.clone(), retry_after, now);
                (self.inner.metrics.refreshes)("failed").increment(1);
                tracing::warn!(
                    reason = %reason,
                    status = %connection.status,
                    retry_in_s = connection.next_refresh_at.map(|at| (at - now).num_seconds()),
                    "dialpad token refresh failed; will retry"
                );
            }
        }
        connection
    }
}
