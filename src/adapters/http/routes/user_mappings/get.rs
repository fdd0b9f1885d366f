//! GET /internal/apps/{app_id}/user-mappings/{dialpad_user_id}.

use salvo::prelude::*;

use super::{MappingResponse, dialpad_user};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;

/// One user mapping.
#[endpoint(
    tags("user mappings"),
    parameters(
        ("app_id" = uuid::Uuid, Path, description = "The app's UUID"),
        ("dialpad_user_id" = i64, Path, minimum = 1, description = "The Dialpad user id"),
    ),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn get_mapping(req: &mut Request, depot: &mut Depot) -> Result<Json<MappingResponse>, ApiError> {
    let (app_id, user) = (extract::app_id(req)?, dialpad_user(req)?);
    Ok(Json(AppState::from_depot(depot).mappings.get(app_id, user).await?.into()))
}
