//! GET /auth/dialpad/connect?app_id=&ticket=: where a connect link leads. Spends the ticket,
//! starts the OAuth session, sets the session cookie and redirects the browser to Dialpad.
//! Every refusal here counts against the client's allowance of failed connect attempts.

use salvo::http::cookie::time::Duration;
use salvo::http::cookie::{Cookie, SameSite};
use salvo::prelude::*;

use super::{COOKIE_PATH, SESSION_COOKIE};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::middleware::limits;
use crate::adapters::http::respond::Found;
use crate::adapters::http::state::AppState;
use crate::app::dialpad::SESSION_TTL;
use crate::domain::app::AppId;

/// Start connecting an app's Dialpad account (where a connect link leads): redirects to Dialpad.
#[endpoint(
    tags("dialpad"),
    parameters(
        ("app_id" = uuid::Uuid, Query, description = "The app's UUID"),
        ("ticket" = String, Query, description = "The connect link's one-time ticket"),
    ),
    status_codes(302, 400, 401, 403, 404, 429, 503)
)]
pub async fn start_dialpad_connect(
    req: &mut Request,
    depot: &mut Depot,
    res: &mut Response,
) -> Result<Found, ApiError> {
    let state = AppState::from_depot(depot).clone();
    let client = limits::admit_oauth_client(&state, req)?;
    let input = || -> Result<_, ApiError> {
        let app_id = extract::query(req, "app_id", |raw| raw.parse::<AppId>())?
            .ok_or_else(|| ApiError::bad_request("Query parameter app_id is required."))?;
        Ok((app_id, extract::query_text(req, "ticket")?))
    };
    // Malformed input is the caller's mistake, and counts like one the use case finds.
    let (app_id, ticket) = match input() {
        Ok(input) => input,
        Err(err) => return Err(limits::oauth_failure(&state, client, err).await),
    };
    let started = match state.dialpad.start(app_id, ticket.as_deref()).await {
        Ok(started) => started,
        Err(err) if err.is_callers_mistake() => return Err(limits::oauth_failure(&state, client, err.into()).await),
        Err(err) => return Err(err.into()),
    };
    let cookie = Cookie::build((SESSION_COOKIE, started.cookie))
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies)
        .max_age(Duration::seconds(SESSION_TTL.as_secs() as i64))
        .build();
    res.add_cookie(cookie);
    Ok(Found(started.authorize_url))
}
