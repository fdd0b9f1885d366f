//! DELETE /internal/apps/{app_id}/api-key: revoke the key (and any in grace) everywhere.

use salvo::prelude::*;

use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::respond::NoContent;
use crate::adapters::http::state::AppState;

/// Revoke the app's API key; it stops working on every instance at once.
#[endpoint(
    tags("api keys"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    status_codes(204, 400, 401, 403, 404, 429, 503)
)]
pub async fn revoke_key(req: &mut Request, depot: &mut Depot) -> Result<NoContent, ApiError> {
    let app_id = extract::app_id(req)?;
    AppState::from_depot(depot).api_keys.revoke(app_id).await?;
    Ok(NoContent)
}
