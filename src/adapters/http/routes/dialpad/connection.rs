//! GET /internal/apps/{app_id}/dialpad/connection: the app's Dialpad connection (and what
//! was provisioned through it), never its tokens; 404 when the app has none.

use chrono::{DateTime, Utc};
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConnectionResponse {
    /// "active", "refresh_failed" (still retried) or "reauth_required" (connect again).
    pub status: String,
    pub dialpad_company_id: String,
    pub dialpad_user_id: String,
    pub email: Option<String>,
    pub scopes: Vec<String>,
    pub connected_at: DateTime<Utc>,
    pub access_token_expires_at: DateTime<Utc>,
    pub last_refreshed_at: Option<DateTime<Utc>>,
    /// Why the last refresh failed; null after a successful one.
    pub last_error: Option<String>,
    /// The Dialpad webhook delivering the app's events (null until provisioned).
    pub webhook_id: Option<String>,
    /// The call-event subscription on it.
    pub subscription_id: Option<String>,
    pub provisioned_at: Option<DateTime<Utc>>,
    /// Why the last provisioning failed and how to retry; null after a successful one.
    pub provision_error: Option<String>,
}

/// The app's Dialpad connection (status, who connected, token expiry; never a token).
#[endpoint(
    tags("dialpad"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn dialpad_connection(req: &mut Request, depot: &mut Depot) -> Result<Json<ConnectionResponse>, ApiError> {
    let app_id = extract::app_id(req)?;
    let connection = AppState::from_depot(depot)
        .dialpad
        .connection(app_id)
        .await?
        .ok_or_else(|| ApiError::not_found("This app has no Dialpad connection."))?;
    Ok(Json(ConnectionResponse {
        status: connection.status.as_str().to_owned(),
        dialpad_company_id: connection.identity.company_id,
        dialpad_user_id: connection.identity.user_id,
        email: connection.identity.email,
        scopes: connection.scopes,
        connected_at: connection.connected_at,
        access_token_expires_at: connection.access_token_expires_at,
        last_refreshed_at: connection.last_refreshed_at,
        last_error: connection.last_error,
        webhook_id: connection.provisioning.webhook_id,
        subscription_id: connection.provisioning.subscription_id,
        provisioned_at: connection.provisioning.provisioned_at,
        provision_error: connection.provisioning.error,
    }))
}
