//! One-time WebSocket tickets: issued to an authenticated app (POST /api/ws-ticket), kept in
//! the SessionStore for a short time under their hash, and taken (deleted) by the first
//! connection that presents them, on whichever instance. Redeeming checks the app again: it
//! may have been deactivated since the ticket was issued.

use std::sync::Arc;
use std::time::Duration;

use rand::TryRngCore;
use rand::rngs::OsRng;

use crate::app::apps::{AppLookupError, Apps};
use crate::domain::app::AppId;
use crate::domain::stream::Ticket;
use crate::ports::{SessionStore, StoreError};

/// How long a ticket can be used.
pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// Why a ticket opens nothing.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    /// Malformed, unknown, expired or already used.
    #[error("invalid ticket")]
    Invalid,
    /// The app it was issued to is gone or inactive.
    #[error(transparent)]
    App(#[from] AppLookupError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Tickets {
    sessions: Arc<dyn SessionStore>,
    apps: Apps,
}

fn key(ticket: &Ticket) -> String {
    format!("ws-ticket:{}", ticket.storage_key())
}

impl Tickets {
    pub fn new(sessions: Arc<dyn SessionStore>, apps: Apps) -> Self {
        Self { sessions, apps }
    }

    /// A new ticket for `app_id`, valid for [`TICKET_TTL`], usable once.
    pub async fn issue(&self, app_id: AppId) -> Result<Ticket, StoreError> {
        let ticket = Ticket::generate(&mut OsRng.unwrap_err());
        self.sessions.put(&key(&ticket), &app_id.to_string(), TICKET_TTL).await?;
        Ok(ticket)
    }

    /// The active app a ticket was issued to, consuming the ticket.
    pub async fn redeem(&self, raw: &str) -> Result<AppId, RedeemError> {
        let ticket = Ticket::parse(raw).map_err(|_| RedeemError::Invalid)?;
        let value = self.sessions.take(&key(&ticket)).await?.ok_or(RedeemError::Invalid)?;
        let app_id = value.parse().map_err(|_| StoreError::unexpected(anyhow::anyhow!("ticket holds no app id")))?;
        Ok(self.apps.cached_active(app_id).await?.id)
    }
}
