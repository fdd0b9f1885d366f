//! POST /auth/dialpad/disconnect/{app_id} (admin; the old server's route): revokes the
//! connection's tokens at Dialpad and deletes it. When Dialpad cannot be reached the
//! connection is deleted all the same and the answer says the revocation did not happen.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;
use crate::app::dialpad::Revocation;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DisconnectResponse {
    pub app_id: String,
    /// Always true: the connection is gone from this server.
    pub disconnected: bool,
    /// What happened at Dialpad: "revoked", "already_invalid" (nothing left to revoke) or
    /// "failed" (the tokens may stay valid at Dialpad until they expire).
    pub dialpad_revocation: String,
    pub message: String,
}

/// Disconnect the app's Dialpad account: revoke its tokens at Dialpad, then forget them.
#[endpoint(
    tags("dialpad"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn disconnect_dialpad(req: &mut Request, depot: &mut Depot) -> Result<Json<DisconnectResponse>, ApiError> {
    let app_id = extract::app_id(req)?;
    let disconnected = AppState::from_depot(depot).dialpad.disconnect(app_id).await?;
    let (revocation, message) = match disconnected.revocation {
        Revocation::Revoked => ("revoked", "Disconnected; Dialpad revoked the tokens.".to_owned()),
        Revocation::AlreadyInvalid => (
            "already_invalid",
            "Disconnected; Dialpad no longer accepted the tokens, so there was nothing to revoke.".to_owned(),
        ),
        Revocation::Failed(why) => (
            "failed",
            format!(
                "Disconnected here, but the tokens were NOT revoked at Dialpad ({why}); they stay valid there \
                 until they expire or the app is removed in Dialpad's settings."
            ),
        ),
    };
    Ok(Json(DisconnectResponse {
        app_id: app_id.to_string(),
        disconnected: true,
        dialpad_revocation: revocation.to_owned(),
        message,
    }))
}
