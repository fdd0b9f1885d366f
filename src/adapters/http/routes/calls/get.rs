//! GET /api/calls/{call_id}: one call with its events in sequence order. Another app's call
//! is 404, exactly like a call that does not exist.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use super::write::CallDetailBody;
use super::{CallResponse, EventResponse};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::json::JsonBody;
use crate::adapters::http::middleware::api_key_auth::principal;
use crate::adapters::http::state::AppState;
use crate::domain::call::CallId;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CallDetailResponse {
    #[serde(flatten)]
    pub call: CallResponse,
    pub events: Vec<EventResponse>,
}

/// One of the app's calls with its events.
#[endpoint(
    tags("app api"),
    parameters(("call_id" = i64, Path, description = "Dialpad's call id")),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn get_call(req: &mut Request, depot: &mut Depot) -> Result<CallDetailBody, ApiError> {
    let call_id = CallId::new(extract::path_param::<i64>(req, "call_id")?);
    let app_id = principal(depot).app_id;
    let detail = AppState::from_depot(depot).queries.call(app_id, call_id).await?;
    // The call's fields, and each event's payload plus its own fields.
    let capacity = 1024 + detail.events.iter().map(|e| e.payload.as_str().len() + 256).sum::<usize>();
    Ok(JsonBody::new(detail, capacity))
}
