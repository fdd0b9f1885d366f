//! PATCH /internal/apps/{app_id}/user-mappings/{dialpad_user_id}.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Deserialize;

use super::{MappingResponse, dialpad_user};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract::{self, double_option, json_body};
use crate::adapters::http::state::AppState;
use crate::domain::user_mapping::{AppUserId, UserMappingPatch, optional_text};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[salvo(schema(min_properties = 1))]
pub struct UpdateMappingRequest {
    #[salvo(schema(min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    app_user_id: Option<String>,
    /// null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[salvo(schema(max_length = 320, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    email: Option<Option<String>>,
    /// null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[salvo(schema(max_length = 320, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    display_name: Option<Option<String>>,
}

impl TryFrom<UpdateMappingRequest> for UserMappingPatch {
    type Error = ApiError;

    fn try_from(body: UpdateMappingRequest) -> Result<Self, ApiError> {
        let bad = |e: String| ApiError::bad_request(format!("{e}."));
        let text = |v: Option<Option<String>>, field| {
            v.map(|inner| optional_text(inner.as_deref(), field)).transpose().map_err(bad)
        };
        let patch = UserMappingPatch {
            app_user_id: body.app_user_id.map(|v| AppUserId::parse(&v)).transpose().map_err(|e| bad(e.to_string()))?,
            email: text(body.email, "email")?,
            display_name: text(body.display_name, "display_name")?,
        };
        if patch.is_empty() {
            return Err(ApiError::bad_request("Nothing to update: send app_user_id, email and/or display_name."));
        }
        Ok(patch)
    }
}

/// Update a user mapping.
#[endpoint(
    tags("user mappings"),
    parameters(
        ("app_id" = uuid::Uuid, Path, description = "The app's UUID"),
        ("dialpad_user_id" = i64, Path, minimum = 1, description = "The Dialpad user id"),
    ),
    request_body = UpdateMappingRequest,
    status_codes(200, 400, 401, 403, 404, 413, 415, 429, 503)
)]
pub async fn update_mapping(req: &mut Request, depot: &mut Depot) -> Result<Json<MappingResponse>, ApiError> {
    let (app_id, user) = (extract::app_id(req)?, dialpad_user(req)?);
    let patch = UserMappingPatch::try_from(json_body::<UpdateMappingRequest>(req).await?)?;
    Ok(Json(AppState::from_depot(depot).mappings.update(app_id, user, patch).await?.into()))
}
