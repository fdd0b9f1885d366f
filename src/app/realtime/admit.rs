//! Admitting a stream opened with a one-time ticket: the ticket is spent, then the key that
//! asked for it is checked as stored now, since it may have been revoked, or its app
//! deactivated, since the ticket was issued.

use super::Realtime;
use super::credentials::Grant;
use super::tickets::RedeemError;
use crate::domain::stream::{Ending, Standing};
use crate::ports::StoreError;

/// Why a ticket admits no stream.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// Malformed, unknown, expired or already used.
    #[error("invalid ticket")]
    InvalidTicket,
    /// The key that asked for the ticket, or its app, no longer stands.
    #[error("the ticket's credentials ended: {0:?}")]
    Ended(Ending),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Realtime {
    /// The grant a ticket carries, spending the ticket.
    pub async fn admit_ticket(&self, raw: &str) -> Result<Grant, AdmitError> {
        let mark = self.credentials.mark();
        let (app_id, key_id) = self.tickets.redeem(raw).await.map_err(|err| match err {
            RedeemError::Invalid => AdmitError::InvalidTicket,
            RedeemError::Store(err) => AdmitError::Store(err),
        })?;
        match self.credentials.check(app_id, &key_id).await? {
            Standing::Ended(why) => Err(AdmitError::Ended(why)),
            Standing::Good { until } => Ok(Grant::new(mark, app_id, key_id, until)),
        }
    }
}
