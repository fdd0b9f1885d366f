//! Guard of /api/*: the app's key in `x-app-api-key`, let in (or not) by the access use
//! case. Missing, malformed, unknown, wrong, revoked or expired keys are 401 with one
//! message that never echoes the key; an inactive app is 403; over a rate limit, 429. On
//! success the app's [`Principal`] is in the depot for the handler.

use std::sync::Arc;

use salvo::prelude::*;

use super::limits;
use crate::adapters::http::state::AppState;
use crate::domain::api_key::Principal;

pub const API_KEY_HEADER: &str = "x-app-api-key";

#[handler]
pub async fn require_api_key(req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
    let state = AppState::from_depot(depot);
    let key = req.headers().get(API_KEY_HEADER).and_then(|v| v.to_str().ok());
    let answer = state.access.api_key(limits::client(state, req), key).await;
    match limits::admitted(res, answer) {
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

/// The authenticated app of this request. Only handlers behind [`require_api_key`] call it.
pub fn principal(depot: &Depot) -> &Principal {
    depot.get_typed::<Arc<Principal>>().expect("require_api_key runs before /api handlers")
}
