//! Access with an app's API key (every /api request, and streams opened with a key).

use std::net::IpAddr;
use std::sync::Arc;

use super::{Access, Admitted, Denied, Refused};
use crate::app::api_keys::AuthError;
use crate::app::rate_limits::Allowance;
use crate::app::realtime::Grant;
use crate::domain::api_key::{Principal, Rejection};

impl Access {
    /// Lets in a request presenting `key` from `client`, counting it against its app's quota.
    pub async fn api_key(&self, client: Option<IpAddr>, key: Option<&str>) -> Result<Admitted<Arc<Principal>>, Denied> {
        self.admit_client(Allowance::Credentials, client)?;
        let principal = match self.authenticator.authenticate(key).await {
            Ok(principal) => principal,
            Err(AuthError::Missing) => return Err(Denied::Refused(Refused::MissingKey)),
            // A guess: garbage, or a key that never matched.
            Err(AuthError::Malformed(_) | AuthError::Rejected(Rejection::Unknown | Rejection::Mismatch)) => {
                return Err(self.failed(Allowance::Credentials, client, Refused::InvalidKey).await);
            }
            Err(AuthError::Rejected(Rejection::Revoked | Rejection::Expired)) => {
                return Err(Denied::Refused(Refused::InvalidKey));
            }
            Err(AuthError::Inactive(_)) => return Err(Denied::Refused(Refused::AppInactive)),
            Err(AuthError::Store(err)) => return Err(Denied::Unavailable(err)),
        };
        let standing = self.limits.app_request(principal.app_id).await?;
        Ok(Admitted { who: principal, standing })
    }

    /// Lets in a stream opened with `key`: a grant whose mark was taken before the key was
    /// checked, so a change between the check and the stream's registration is not missed.
    pub async fn stream_key(&self, client: Option<IpAddr>, key: Option<&str>) -> Result<Admitted<Grant>, Denied> {
        let mark = self.credentials.mark();
        let admitted = self.api_key(client, key).await?;
        Ok(Admitted { who: Grant::authenticated(mark, &admitted.who), standing: admitted.standing })
    }
}
