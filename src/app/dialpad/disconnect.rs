//! Disconnecting (POST /auth/dialpad/disconnect/{app_id}): under the connection's claim, the
//! webhook and call subscription provisioned at Dialpad are deleted (best effort), its
//! tokens are revoked at Dialpad (refreshed first when the access token has expired, since
//! deauthorize takes an access token), then the connection is deleted. If Dialpad cannot be
//! reached the connection is still deleted here, and the answer says the revocation did not
//! happen. Nothing refreshes a deleted connection: the refresh claims and re-reads it first.

use secrecy::SecretString;
use tracing::instrument;

use super::announce::Change;
use super::{DialpadConnections, holder};
use crate::domain::app::AppId;
use crate::domain::dialpad::{Connection, ConnectionStatus, TokenPurpose};
use crate::ports::{Claim, DialpadError, DialpadOAuth, StoreError};

/// What became of the tokens at Dialpad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Dialpad revoked them.
    Revoked,
    /// Dialpad no longer accepted them: nothing left to revoke.
    AlreadyInvalid,
    /// They could not be revoked (why); they stay valid at Dialpad until they expire or
    /// the user removes the app there.
    Failed(String),
}

#[derive(Debug)]
pub struct Disconnected {
    pub revocation: Revocation,
}

#[derive(Debug, thiserror::Error)]
pub enum DisconnectError {
    #[error("the app has no Dialpad connection")]
    NotConnected,
    /// A refresh held the connection for longer than a disconnect waits.
    #[error("the connection is busy")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DialpadConnections {
    /// Revokes and deletes the app's connection.
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn disconnect(&self, app_id: AppId) -> Result<Disconnected, DisconnectError> {
        let holder = holder();
        let connection = match self.claim_patiently(app_id, &holder).await? {
            Claim::Taken(connection) => *connection,
            Claim::Absent => return Err(DisconnectError::NotConnected),
            Claim::Busy => return Err(DisconnectError::Busy),
        };
        let revocation = match self.oauth() {
            Some(oauth) => self.revoke_all(oauth.clone().as_ref(), connection.clone()).await,
            None => Revocation::Failed("Dialpad OAuth is not configured on this server".to_owned()),
        };
        match self.inner.repo.delete_claimed(app_id, &holder).await {
            Ok(true) => {}
            Ok(false) => return Err(DisconnectError::Busy),
            Err(err) => {
                let _ = self.inner.repo.release(app_id, &holder).await;
                return Err(err.into());
            }
        }
        match &revocation {
            Revocation::Failed(why) => {
                tracing::warn!(why = %why, "dialpad disconnected here; tokens NOT revoked at Dialpad")
            }
            done => tracing::info!(revocation = ?done, "dialpad disconnected"),
        }
        self.inner.metrics.disconnected.increment(1);
        self.announce(app_id, Change::Disconnected, &connection, Some(connection.status)).await;
        Ok(Disconnected { revocation })
    }

    /// Revokes the connection's grant at Dialpad, refreshing first if its access token expired.
    async fn revoke_all(&self, oauth: &dyn DialpadOAuth, mut connection: Connection) -> Revocation {
        let app_id = connection.app_id;
        if connection.status != ConnectionStatus::ReauthRequired && connection.access_expired(self.inner.clock.now()) {
            connection = self.rotate(oauth, connection).await;
            if connection.access_expired(self.inner.clock.now())
                && connection.status != ConnectionStatus::ReauthRequired
            {
                let why = connection.last_error.clone().unwrap_or_default();
                return Revocation::Failed(format!("the expired access token could not be refreshed: {why}"));
            }
        }
        if connection.status == ConnectionStatus::ReauthRequired {
            return Revocation::AlreadyInvalid;
        }
        let token: SecretString = match self.open(app_id, TokenPurpose::Access, &connection.access_token) {
            Ok(token) => token,
            Err(err) => return Revocation::Failed(format!("{err:#}")),
        };
        if let Ok(api) = self.api() {
            self.deprovision(api.as_ref(), &token, app_id, &connection.provisioning).await;
        }
        match oauth.deauthorize(&token).await {
            Ok(()) => Revocation::Revoked,
            Err(DialpadError::Unauthorized) => Revocation::AlreadyInvalid,
            Err(err) => Revocation::Failed(format!("{:#}", anyhow::Error::new(err))),
        }
    }
}
