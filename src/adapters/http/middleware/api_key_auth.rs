//! Guard of /api/*: the app's key in `x-app-api-key`. Missing, malformed, unknown, wrong,
//! revoked or expired keys are 401 with one message that never echoes the key; an inactive
//! app is 403; over a rate limit, 429. On success the app's [`Principal`] is in the depot
//! for the handler.

use std::sync::Arc;

use salvo::prelude::*;

use super::limits;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::state::AppState;
use crate::app::api_keys::AuthError;
use crate::domain::api_key::{Principal, Rejection};

pub const API_KEY_HEADER: &str = "x-app-api-key";

#[handler]
pub async fn require_api_key(req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
    let presented = req.headers().get(API_KEY_HEADER).and_then(|v| v.to_str().ok());
    let result = authenticate(AppState::from_depot(depot), req, res, presented).await;
    match result {
        Ok(principal) => {
            tracing::Span::current().record("app_id", tracing::field::display(principal.app_id));
            depot.insert_typed(principal);
        }
        Err(err) => {
            res.render(err);
            ctrl.skip_rest();
        }
    }
}

/// Authenticates `presented` under the rate limits (also used by GET /ws).
pub async fn authenticate(
    state: &AppState,
    req: &Request,
    res: &mut Response,
    presented: Option<&str>,
) -> Result<Arc<Principal>, ApiError> {
    let client = limits::admit_client(state, req)?;
    match state.authenticator.authenticate(presented).await {
        Ok(principal) => {
            limits::app_request(state, res, principal.app_id).await?;
            Ok(principal)
        }
        // A guess: garbage, or a key that never matched. A revoked or expired key is a real
        // one that an integration forgot to replace, not a guess: it does not count.
        Err(err @ (AuthError::Malformed(_) | AuthError::Rejected(Rejection::Unknown | Rejection::Mismatch))) => {
            Err(limits::wrong_credentials(state, client, err.into()).await)
        }
        Err(err) => Err(err.into()),
    }
}

/// The authenticated app of this request. Only handlers behind [`require_api_key`] call it.
pub fn principal(depot: &Depot) -> &Principal {
    depot.get_typed::<Arc<Principal>>().expect("require_api_key runs before /api handlers")
}
