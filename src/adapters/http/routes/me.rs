//! GET /api/me: which app a key authenticates, so integrators can test a key.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::adapters::http::error::ApiError;
use crate::adapters::http::middleware::api_key_auth::principal;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    pub app_id: Uuid,
    pub app_name: String,
    pub key_id: String,
}

/// The app this API key belongs to.
#[endpoint(tags("app api"), status_codes(200, 401, 403, 429, 503))]
pub async fn me(depot: &mut Depot) -> Result<Json<MeResponse>, ApiError> {
    let who = principal(depot);
    Ok(Json(MeResponse {
        app_id: who.app_id.as_uuid(),
        app_name: who.app_name.to_string(),
        key_id: who.key_id.to_string(),
    }))
}
