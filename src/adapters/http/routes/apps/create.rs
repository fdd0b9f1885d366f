//! POST /internal/apps: create an app.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Deserialize;

use super::AppResponse;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract::json_body;
use crate::adapters::http::respond::Created;
use crate::adapters::http::state::AppState;
use crate::domain::app::AppName;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAppRequest {
    /// 1 to 100 characters, no control characters; surrounding spaces are trimmed.
    #[salvo(schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    ))]
    name: String,
}

/// Create an app (active).
#[endpoint(
    tags("apps"),
    request_body = CreateAppRequest,
    status_codes(201, 400, 401, 403, 413, 415, 429, 503)
)]
pub async fn create_app(req: &mut Request, depot: &mut Depot) -> Result<Created<AppResponse>, ApiError> {
    let body: CreateAppRequest = json_body(req).await?;
    let name = AppName::parse(&body.name).map_err(|e| ApiError::bad_request(format!("name: {e}.")))?;
    let app = AppState::from_depot(depot).apps.create(name).await?;
    Ok(Created(app.into()))
}
