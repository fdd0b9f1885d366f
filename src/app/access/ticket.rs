//! Access with a one-time stream ticket: the ticket is spent, then the key that asked for it
//! is checked as stored now, since it may have been revoked, or its app deactivated, since
//! the ticket was issued.

use std::net::IpAddr;

use super::{Access, Admitted, Denied, Refused};
use crate::app::rate_limits::Allowance;
use crate::app::realtime::{Grant, RedeemError};
use crate::domain::stream::{Ending, Standing};

impl Access {
    /// Lets in a stream presenting `ticket` from `client`, spending the ticket.
    pub async fn stream_ticket(&self, client: Option<IpAddr>, ticket: &str) -> Result<Admitted<Grant>, Denied> {
        self.admit_client(Allowance::Credentials, client)?;
        let mark = self.credentials.mark();
        let (app_id, key_id) = match self.tickets.redeem(ticket).await {
            Ok(found) => found,
            // A ticket nobody issued (or one used already) counts as a wrong credential.
            Err(RedeemError::Invalid) => {
                return Err(self.failed(Allowance::Credentials, client, Refused::InvalidTicket).await);
            }
            Err(RedeemError::Store(err)) => return Err(Denied::Unavailable(err)),
        };
        let until = match self.credentials.check(app_id, &key_id).await? {
            Standing::Good { until } => until,
            Standing::Ended(Ending::KeyRevoked | Ending::KeyExpired) => {
                return Err(Denied::Refused(Refused::TicketKeyEnded));
            }
            Standing::Ended(Ending::AppInactive) => return Err(Denied::Refused(Refused::AppInactive)),
        };
        let standing = self.limits.app_request(app_id).await?;
        Ok(Admitted { who: Grant::new(mark, app_id, key_id, until), standing })
    }
}
