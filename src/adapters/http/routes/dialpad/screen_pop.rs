//! POST /api/dialpad/screen-pop: open a URL on one of the app's users' Dialpad (a CRM
//! record, a ticket), for calls the app knows about that Dialpad did not ring.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::agent::agent;
use super::calls::ActionResponse;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract::json_body;
use crate::adapters::http::middleware::api_key_auth::principal;
use crate::adapters::http::respond::Accepted;
use crate::adapters::http::state::AppState;
use crate::domain::dialpad::ScreenPopUrl;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenPopRequest {
    /// The app's id for the user (resolved through the app's user mappings). Give this or
    /// dialpad_user_id, not both.
    #[salvo(schema(min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    app_user_id: Option<String>,
    /// The Dialpad user: one the app maps (a positive integer, or a string of digits).
    #[salvo(schema(value_type = Option<i64>, minimum = 1))]
    dialpad_user_id: Option<Value>,
    /// What to open: http, https or a custom scheme (crm://...); no user name or password.
    #[salvo(schema(min_length = 1, max_length = 2048))]
    url: String,
}

/// Pop a URL on a user's Dialpad. At most 5 a minute per Dialpad user.
#[endpoint(tags("app api"), request_body = ScreenPopRequest, status_codes(202, 400, 401, 403, 404, 409, 413, 415, 429, 502, 503))]
pub async fn pop_screen(req: &mut Request, depot: &mut Depot) -> Result<Accepted<ActionResponse>, ApiError> {
    let app_id = principal(depot).app_id;
    let body: ScreenPopRequest = json_body(req).await?;
    let agent = agent(body.app_user_id, body.dialpad_user_id)?;
    let url = ScreenPopUrl::parse(&body.url).map_err(|e| ApiError::bad_request(format!("{e}.")))?;
    let (user, answer) = AppState::from_depot(depot).dialpad.screen_pop(app_id, agent, url).await?;
    Ok(Accepted(ActionResponse { dialpad_user_id: user.to_string(), dialpad: answer }))
}
