//! Guard of /internal/*: `Authorization: Bearer <INTERNAL_API_SECRET>`. Missing or
//! malformed header is 401, a wrong token 403 (the old server's contract). Both sides are
//! hashed to fixed-length digests and compared in constant time, so neither the content
//! nor the length of the secret leaks through timing. The token is never logged. A wrong
//! token counts against the client's allowance of wrong credentials (then 429); every
//! admitted request counts against the per-address admin limit (the old server's 100 a
//! minute on /internal/*), with the RateLimit headers.

use salvo::http::header::AUTHORIZATION;
use salvo::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::limits;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::state::AppState;

pub struct InternalAuth {
    expected: [u8; 32],
}

impl InternalAuth {
    pub fn new(secret: &SecretString) -> Self {
        Self { expected: Sha256::digest(secret.expose_secret().as_bytes()).into() }
    }

    fn check(&self, req: &Request) -> Result<(), ApiError> {
        let token = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Unauthorized {
                error: "Missing or invalid Authorization header",
                message: "Send Authorization: Bearer <INTERNAL_API_SECRET>.".to_owned(),
            })?;
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if bool::from(presented.ct_eq(&self.expected)) {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                error: "Invalid authentication token",
                message: "The bearer token is not the internal API secret.".to_owned(),
            })
        }
    }
}

#[async_trait]
impl Handler for InternalAuth {
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
        let state = AppState::from_depot(depot).clone();
        let checked = match limits::admit_client(&state, req) {
            Ok(client) => match self.check(req) {
                Err(err @ ApiError::Forbidden { .. }) => Err(limits::wrong_credentials(&state, client, err).await),
                Ok(()) => limits::internal_request(&state, res, client).await,
                Err(err) => Err(err),
            },
            Err(refused) => Err(refused),
        };
        match checked {
            Ok(()) => {
                ctrl.call_next(req, depot, res).await;
            }
            Err(err) => {
                res.render(err);
                ctrl.skip_rest();
            }
        }
    }
}
