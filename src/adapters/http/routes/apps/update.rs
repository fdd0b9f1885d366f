//! PATCH /internal/apps/{app_id}: rename, activate or deactivate an app.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Deserialize;

use super::AppResponse;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract::{self, json_body};
use crate::adapters::http::state::AppState;
use crate::domain::app::{AppName, AppPatch};

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
}

impl TryFrom<UpdateAppRequest> for AppPatch {
    type Error = ApiError;

    fn try_from(body: UpdateAppRequest) -> Result<Self, ApiError> {
        let name = body
            .name
            .map(|n| AppName::parse(&n))
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("name: {e}.")))?;
        let patch = AppPatch { name, is_active: body.is_active };
        if patch.is_empty() {
            return Err(ApiError::bad_request("Nothing to update: send name and/or is_active."));
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
