//! PATCH /internal/apps/{app_id}: rename, activate or deactivate an app.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Deserialize;

use super::AppResponse;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract::double_option;
use crate::adapters::http::extract::{self, json_body};
use crate::adapters::http::state::AppState;
use crate::domain::app::{AppName, AppPatch};
use crate::domain::dialpad::ScreenPopTemplate;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[salvo(schema(min_properties = 1))]
pub struct UpdateAppRequest {
    /// New name (1 to 100 characters).
    #[salvo(schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    ))]
    name: Option<String>,
    /// false deactivates the app: its keys, webhooks and streams answer 403.
    is_active: Option<bool>,
    /// Popped on the agent's Dialpad when an inbound call rings for a mapped user, e.g.
    /// `https://crm.example.com/lookup?phone={external_number}&call={call_id}`. Placeholders:
    /// external_number, internal_number, call_id, dialpad_user_id, app_user_id, direction
    /// (URL-encoded). null removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[salvo(schema(max_length = 2048))]
    screen_pop_url: Option<Option<String>>,
}

impl TryFrom<UpdateAppRequest> for AppPatch {
    type Error = ApiError;

    fn try_from(body: UpdateAppRequest) -> Result<Self, ApiError> {
        let name = body
            .name
            .map(|n| AppName::parse(&n))
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("name: {e}.")))?;
        let screen_pop_url = body
            .screen_pop_url
            .map(|t| t.map(|t| ScreenPopTemplate::parse(&t)).transpose())
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("{e}.")))?;
        let patch = AppPatch { name, is_active: body.is_active, screen_pop_url };
        if patch.is_empty() {
            return Err(ApiError::bad_request("Nothing to update: send name, is_active and/or screen_pop_url."));
        }
        Ok(patch)
    }
}

/// Update an app's name or active flag.
#[endpoint(
    tags("apps"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    request_body = UpdateAppRequest,
    status_codes(200, 400, 401, 403, 404, 413, 415, 429, 503)
)]
pub async fn update_app(req: &mut Request, depot: &mut Depot) -> Result<Json<AppResponse>, ApiError> {
    let id = extract::app_id(req)?;
    let patch = AppPatch::try_from(json_body::<UpdateAppRequest>(req).await?)?;
    let app = AppState::from_depot(depot).apps.update(id, patch).await?;
    Ok(Json(app.into()))
}
