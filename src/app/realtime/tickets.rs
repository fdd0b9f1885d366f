//! One-time WebSocket tickets: issued to an authenticated app (POST /api/ws-ticket), kept in
//! the SessionStore for a short time under their hash with the app and the key that asked
//! for them, and taken (deleted) by the first connection that presents them, on whichever
//! instance. Whether that key still stands is checked when the stream is admitted.

use std::sync::Arc;
use std::time::Duration;

use rand::TryRngCore;
use rand::rngs::OsRng;

use crate::domain::api_key::KeyId;
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
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Tickets {
    sessions: Arc<dyn SessionStore>,
}

fn key(ticket: &Ticket) -> String {
    format!("ws-ticket:{}", ticket.storage_key())
}

impl Tickets {
    pub fn new(sessions: Arc<dyn SessionStore>) -> Self {
        Self { sessions }
    }

    /// A new ticket for `app_id`, asked for with `key_id`, valid for [`TICKET_TTL`], usable once.
    pub async fn issue(&self, app_id: AppId, key_id: &KeyId) -> Result<Ticket, StoreError> {
        let ticket = Ticket::generate(&mut OsRng.unwrap_err());
        self.sessions.put(&key(&ticket), &format!("{app_id} {key_id}"), TICKET_TTL).await?;
        Ok(ticket)
    }

    /// The app a ticket was issued to and the key that asked for it, consuming the ticket.
    pub async fn redeem(&self, raw: &str) -> Result<(AppId, KeyId), RedeemError> {
        let ticket = Ticket::parse(raw).map_err(|_| RedeemError::Invalid)?;
        let value = self.sessions.take(&key(&ticket)).await?.ok_or(RedeemError::Invalid)?;
        let unreadable = || StoreError::unexpected(anyhow::anyhow!("a ticket holds no app and key id"));
        let (app_id, key_id) = value.split_once(' ').ok_or_else(unreadable)?;
        Ok((app_id.parse().map_err(|_| unreadable())?, KeyId::parse(key_id).map_err(|_| unreadable())?))
    }
}
