//! Access: where a request is let in. One use case takes the client's address and the
//! credential it presented (an app's API key, a one-time stream ticket, the internal bearer
//! secret) and answers admitted (who, and where it stands against its limit), refused (why)
//! or limited (retry after). The HTTP and WebSocket adapters only translate the answer.
//!
//! The order is the same for every credential: a client address over its allowance of
//! wrong credentials is refused before its credential is looked at; a wrong credential
//! counts against that allowance (a guess: garbage, or a key or ticket that never matched;
//! a revoked or expired key is a real one an integration forgot to replace, and does not
//! count); an admitted app's request counts against the app's quota, an admitted admin
//! request against the per-address admin limit. The failed steps of the Dialpad connect
//! flow have an allowance of their own.

mod api_key;
mod internal;
mod ticket;

use std::net::IpAddr;
use std::time::Duration;

pub use internal::InternalSecret;

use crate::app::api_keys::Authenticator;
use crate::app::rate_limits::{Allowance, RateLimits, Refusal, Standing};
use crate::app::realtime::{Credentials, Tickets};
use crate::domain::rate_limit::Quota;
use crate::ports::StoreError;

/// Who was let in, and where it stands against the limit its request counted against.
#[derive(Debug)]
pub struct Admitted<T> {
    pub who: T,
    /// `None` when that limit is off.
    pub standing: Option<Standing>,
}

/// Why a request is not let in.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error("refused: {0:?}")]
    Refused(Refused),
    /// Over a limit. `quota` is the limit's when the client may see it (an app's quota, the
    /// admin limit), `None` for an allowance of failures.
    #[error("limited for {retry_after:?}")]
    Limited { retry_after: Duration, quota: Option<Quota> },
    #[error(transparent)]
    Unavailable(#[from] StoreError),
}

/// What was wrong with the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No API key was presented.
    MissingKey,
    /// Malformed, unknown, wrong, revoked or expired: one answer for all.
    InvalidKey,
    /// The credential is good but its app is inactive.
    AppInactive,
    /// Malformed, unknown, expired or already used.
    InvalidTicket,
    /// The key that asked for the ticket was revoked or expired since.
    TicketKeyEnded,
    /// No bearer token.
    MissingBearer,
    /// A bearer token that is not the internal secret.
    WrongBearer,
}

impl From<Refusal> for Denied {
    fn from(refusal: Refusal) -> Self {
        Self::Limited { retry_after: refusal.retry_after, quota: Some(refusal.quota) }
    }
}

/// The access use case, wired once.
#[derive(Clone)]
pub struct Access {
    authenticator: Authenticator,
    tickets: Tickets,
    credentials: Credentials,
    limits: RateLimits,
    internal: InternalSecret,
}

impl Access {
    pub fn new(
        authenticator: Authenticator,
        tickets: Tickets,
        credentials: Credentials,
        limits: RateLimits,
        internal: InternalSecret,
    ) -> Self {
        Self { authenticator, tickets, credentials, limits, internal }
    }

    /// Refuses a client over its allowance of failures of this kind.
    fn admit_client(&self, allowance: Allowance, client: Option<IpAddr>) -> Result<(), Denied> {
        match self.limits.refused_for(allowance, client) {
            Some(retry_after) => Err(Denied::Limited { retry_after, quota: None }),
            None => Ok(()),
        }
    }

    /// Counts a failure of `client`: `why`, or the limit if that was one too many.
    async fn failed(&self, allowance: Allowance, client: Option<IpAddr>, why: Refused) -> Denied {
        match self.limits.failed(allowance, client).await {
            Some(retry_after) => Denied::Limited { retry_after, quota: None },
            None => Denied::Refused(why),
        }
    }

    /// A step of the Dialpad connect flow may begin unless `client` failed too often.
    pub fn connect_flow(&self, client: Option<IpAddr>) -> Result<(), Denied> {
        self.admit_client(Allowance::OAuth, client)
    }

    /// Counts a failed step of the connect flow; the wait if that was one too many.
    pub async fn connect_flow_failed(&self, client: Option<IpAddr>) -> Option<Duration> {
        self.limits.failed(Allowance::OAuth, client).await
    }
}
