//! POST /api/dialpad/calls: click-to-call. The app's back end asks Dialpad to start a call
//! from one of its users' Dialpad to a number; Dialpad rings the user's device first.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::agent::agent;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract::json_body;
use crate::adapters::http::middleware::api_key_auth::principal;
use crate::adapters::http::respond::Accepted;
use crate::adapters::http::state::AppState;
use crate::domain::dialpad::E164;

/// The longest `custom_data` accepted.
const MAX_CUSTOM_DATA: usize = 2048;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartCallRequest {
    /// The app's id for the user who calls (resolved through the app's user mappings).
    /// Give this or dialpad_user_id, not both.
    #[salvo(schema(min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    app_user_id: Option<String>,
    /// The Dialpad user who calls: one the app maps (a positive integer, or a string of digits).
    #[salvo(schema(value_type = Option<i64>, minimum = 1))]
    dialpad_user_id: Option<Value>,
    /// The number to call, E.164 (e.g. +15105550100).
    #[salvo(schema(pattern = r"^\+[1-9][0-9]{1,14}$"))]
    phone_number: String,
    /// Passed to Dialpad, which echoes it in the call's events; the stream message then
    /// carries it as `custom_data`, so the front end can match the call it started.
    #[salvo(schema(max_length = 2048))]
    custom_data: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActionResponse {
    /// The Dialpad user the request was made for.
    pub dialpad_user_id: String,
    /// What Dialpad answered (for a call: the device that rings first).
    #[salvo(schema(value_type = Object))]
    pub dialpad: Value,
}

/// Start a call from a user's Dialpad (click-to-call). At most 5 a minute per Dialpad user.
#[endpoint(tags("app api"), request_body = StartCallRequest, status_codes(202, 400, 401, 403, 404, 409, 413, 415, 429, 502, 503))]
pub async fn start_call(req: &mut Request, depot: &mut Depot) -> Result<Accepted<ActionResponse>, ApiError> {
    let app_id = principal(depot).app_id;
    let body: StartCallRequest = json_body(req).await?;
    let agent = agent(body.app_user_id, body.dialpad_user_id)?;
    let phone_number = E164::parse(&body.phone_number).map_err(|e| ApiError::bad_request(format!("{e}.")))?;
    if body.custom_data.as_ref().is_some_and(|data| data.chars().count() > MAX_CUSTOM_DATA) {
        return Err(ApiError::bad_request(format!("custom_data must be at most {MAX_CUSTOM_DATA} characters.")));
    }
    let (user, answer) =
        AppState::from_depot(depot).dialpad.call(app_id, agent, phone_number, body.custom_data).await?;
    Ok(Accepted(ActionResponse { dialpad_user_id: user.to_string(), dialpad: answer }))
}
