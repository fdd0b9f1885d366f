//! Connect links: a one-time ticket for one app, valid for [`CONNECT_LINK_TTL`] on any
//! instance, in a URL on this server that starts the Dialpad OAuth flow. Only an admin
//! (internal API) or the app itself (its API key) can have one made, so nobody connects a
//! Dialpad account to an app by guessing its id.

use std::time::Duration;

use rand::TryRngCore;
use rand::rngs::OsRng;
use tracing::instrument;

use super::DialpadConnections;
use crate::app::apps::AppLookupError;
use crate::domain::app::AppId;
use crate::domain::dialpad::ConnectTicket;
use crate::ports::StoreError;

/// How long a connect link works.
pub const CONNECT_LINK_TTL: Duration = Duration::from_secs(600);

/// A link to hand to the person who connects the app's Dialpad account.
#[derive(Debug)]
pub struct ConnectLink {
    pub url: String,
    pub expires_in: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("Dialpad OAuth is not configured")]
    NotConfigured,
    #[error(transparent)]
    App(#[from] AppLookupError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The store key of a connect ticket (its hash only).
pub(super) fn ticket_key(ticket: &ConnectTicket) -> String {
    format!("connect-ticket:{}", ticket.storage_key())
}

impl DialpadConnections {
    /// A new connect link for an existing, active app.
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn connect_link(&self, app_id: AppId) -> Result<ConnectLink, LinkError> {
        self.oauth().ok_or(LinkError::NotConfigured)?;
        self.inner.apps.cached_active(app_id).await?;
        let ticket = ConnectTicket::generate(&mut OsRng.unwrap_err());
        self.inner.sessions.put(&ticket_key(&ticket), &app_id.to_string(), CONNECT_LINK_TTL).await?;
        let url = format!(
            "{}/auth/dialpad/connect?app_id={app_id}&ticket={}",
            self.inner.settings.public_origin,
            ticket.reveal()
        );
        Ok(ConnectLink { url, expires_in: CONNECT_LINK_TTL })
    }
}
