//! POST /internal/apps/{app_id}/user-mappings.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::MappingResponse;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract::{self, json_body};
use crate::adapters::http::respond::Created;
use crate::adapters::http::state::AppState;
use crate::app::user_mappings::NewMapping;
use crate::domain::user_mapping::{AppUserId, DialpadUserId, optional_text};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMappingRequest {
    /// The Dialpad user id: a positive integer (a string of digits is accepted).
    #[salvo(schema(value_type = i64, minimum = 1))]
    dialpad_user_id: Value,
    /// The app's own id for this user (1 to 255 characters).
    #[salvo(schema(min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    app_user_id: String,
    #[salvo(schema(max_length = 320, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    email: Option<String>,
    #[salvo(schema(max_length = 320, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$"))]
    display_name: Option<String>,
}

impl TryFrom<CreateMappingRequest> for NewMapping {
    type Error = ApiError;

    fn try_from(body: CreateMappingRequest) -> Result<Self, ApiError> {
        let bad = |e: String| ApiError::bad_request(format!("{e}."));
        Ok(NewMapping {
            dialpad_user_id: DialpadUserId::from_json(&body.dialpad_user_id).map_err(|e| bad(e.to_string()))?,
            app_user_id: AppUserId::parse(&body.app_user_id).map_err(|e| bad(e.to_string()))?,
            email: optional_text(body.email.as_deref(), "email").map_err(bad)?,
            display_name: optional_text(body.display_name.as_deref(), "display_name").map_err(bad)?,
        })
    }
}

/// Map a Dialpad user to one of the app's users (409 if already mapped).
#[endpoint(
    tags("user mappings"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    request_body = CreateMappingRequest,
    status_codes(201, 400, 401, 403, 404, 409, 413, 415, 429, 503)
)]
pub async fn create_mapping(req: &mut Request, depot: &mut Depot) -> Result<Created<MappingResponse>, ApiError> {
    let app_id = extract::app_id(req)?;
    let new = NewMapping::try_from(json_body::<CreateMappingRequest>(req).await?)?;
    let mapping = AppState::from_depot(depot).mappings.create(app_id, new).await?;
    Ok(Created(mapping.into()))
}
