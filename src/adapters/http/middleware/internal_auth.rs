//! Guard of /internal/*: `Authorization: Bearer <INTERNAL_API_SECRET>`, let in (or not) by
//! the access use case. A missing or malformed header is 401, a wrong token 403 (the old
//! server's contract); the token is never logged. Admitted requests carry the RateLimit
//! headers of the per-address admin limit.

use salvo::http::header::AUTHORIZATION;
use salvo::prelude::*;

use super::limits;
use crate::adapters::http::state::AppState;

#[handler]
pub async fn require_internal_secret(req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
    let state = AppState::from_depot(depot);
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let answer = state.access.internal(limits::client(state, req), bearer).await;
    if let Err(err) = limits::admitted(res, answer) {
        res.render(err);
        ctrl.skip_rest();
    }
}
