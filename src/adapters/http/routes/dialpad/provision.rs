//! POST /internal/apps/{app_id}/dialpad/provision: (re)creates the app's webhook and call
//! subscription at Dialpad. The server does this itself after each connect; this is for
//! retrying after a failure (say, the connecting user was not a company admin) or repairing
//! a subscription someone disabled. Safe to repeat.

use chrono::{DateTime, Utc};
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProvisionResponse {
    /// The Dialpad webhook posting the app's events to this server.
    pub webhook_id: String,
    /// The call-event subscription on that webhook.
    pub subscription_id: String,
    pub provisioned_at: DateTime<Utc>,
}

/// Provision the app's Dialpad webhook and call subscription (idempotent).
#[endpoint(
    tags("dialpad"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    status_codes(200, 400, 401, 403, 409, 429, 502, 503)
)]
pub async fn provision_dialpad(req: &mut Request, depot: &mut Depot) -> Result<Json<ProvisionResponse>, ApiError> {
    let app_id = extract::app_id(req)?;
    let done = AppState::from_depot(depot).dialpad.provision(app_id).await?;
    Ok(Json(ProvisionResponse {
        webhook_id: done.webhook_id,
        subscription_id: done.subscription_id,
        provisioned_at: done.at,
    }))
}
