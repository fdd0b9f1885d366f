//! GET /internal/apps/{app_id}: one app.

use salvo::prelude::*;

use super::AppResponse;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;

/// Get an app.
#[endpoint(
    tags("apps"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn get_app(req: &mut Request, depot: &mut Depot) -> Result<Json<AppResponse>, ApiError> {
    let id = extract::app_id(req)?;
    let app = AppState::from_depot(depot).apps.get(id).await?;
    Ok(Json(app.into()))
}
