//! Access to the admin API with the internal bearer secret. Both sides are hashed to
//! fixed-length digests and compared in constant time, so neither the content nor the
//! length of the secret leaks through timing.

use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Access, Admitted, Denied, Refused};
use crate::app::rate_limits::Allowance;

/// The digest of INTERNAL_API_SECRET.
#[derive(Clone)]
pub struct InternalSecret([u8; 32]);

impl InternalSecret {
    pub fn new(secret: &SecretString) -> Self {
        Self(Sha256::digest(secret.expose_secret().as_bytes()).into())
    }

    fn matches(&self, token: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        presented.ct_eq(&self.0).into()
    }
}

impl Access {
    /// Lets in an admin request presenting `bearer` from `client`, counting it against the
    /// per-address admin limit. A wrong token counts as a wrong credential.
    pub async fn internal(&self, client: Option<IpAddr>, bearer: Option<&str>) -> Result<Admitted<()>, Denied> {
        self.admit_client(Allowance::Credentials, client)?;
        let token = bearer.ok_or(Denied::Refused(Refused::MissingBearer))?;
        if !self.internal.matches(token) {
            return Err(self.failed(Allowance::Credentials, client, Refused::WrongBearer).await);
        }
        let standing = self.limits.internal_request(client).await?;
        Ok(Admitted { who: (), standing })
    }
}
