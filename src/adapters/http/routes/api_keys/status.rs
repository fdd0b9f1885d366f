//! GET /internal/apps/{app_id}/api-key/status.

use chrono::{DateTime, Utc};
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use super::PreviousKey;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyStatusResponse {
    pub has_key: bool,
    pub key_id: Option<String>,
    pub hint: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The rotated-out key still valid, and until when.
    pub previous_key: Option<PreviousKey>,
}

/// The app's API key status (never the key or its hash).
#[endpoint(
    tags("api keys"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn key_status(req: &mut Request, depot: &mut Depot) -> Result<Json<KeyStatusResponse>, ApiError> {
    let app_id = extract::app_id(req)?;
    let current = AppState::from_depot(depot).api_keys.status(app_id).await?;
    let active = current.active.as_ref();
    Ok(Json(KeyStatusResponse {
        has_key: active.is_some(),
        key_id: active.map(|k| k.key_id.to_string()),
        hint: active.map(|k| k.hint.to_string()),
        created_at: active.map(|k| k.created_at),
        last_used_at: active.and_then(|k| k.last_used_at),
        previous_key: current.grace.map(PreviousKey::from),
    }))
}
