//! /internal/apps/{app_id}/webhook-secret: generate or rotate (shown once), and list hints.

use chrono::{DateTime, Utc};
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract::{self, optional_json_body};
use crate::adapters::http::respond::{SHOWN_ONCE_WARNING, ShownOnce};
use crate::adapters::http::state::AppState;

const DEFAULT_OVERLAP_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretRequest {
    /// Seconds the previous secrets stay valid (0 to 2592000; default 86400), so Dialpad's
    /// subscription can be updated without losing events.
    #[salvo(schema(minimum = 0, maximum = 2592000))]
    previous_valid_seconds: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedSecretResponse {
    pub id: Uuid,
    /// Give this to Dialpad as the webhook's secret. Shown this once.
    pub secret: String,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    /// When the previous secrets stop being accepted.
    pub previous_secrets_expire_at: DateTime<Utc>,
    pub warning: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecretInfo {
    pub id: Uuid,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    /// null while current.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether webhooks signed with it are accepted now.
    pub valid: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecretList {
    pub secrets: Vec<SecretInfo>,
}

/// Generate the app's webhook secret, or rotate it (the previous ones stay valid for a while).
#[endpoint(
    tags("webhooks"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    request_body(content = Option<RotateSecretRequest>, description = "Optional"),
    status_codes(201, 400, 401, 403, 404, 413, 415, 429, 503)
)]
pub async fn issue_webhook_secret(
    req: &mut Request,
    depot: &mut Depot,
) -> Result<ShownOnce<IssuedSecretResponse>, ApiError> {
    let app_id = extract::app_id(req)?;
    let body: RotateSecretRequest = optional_json_body(req).await?;
    let overlap =
        extract::overlap("previous_valid_seconds", body.previous_valid_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS))?;
    let issued = AppState::from_depot(depot).webhooks.secrets().rotate(app_id, overlap).await?;
    Ok(ShownOnce(IssuedSecretResponse {
        id: issued.id,
        secret: issued.secret,
        hint: issued.hint,
        created_at: issued.created_at,
        previous_secrets_expire_at: issued.previous_expire_at,
        warning: SHOWN_ONCE_WARNING.to_owned(),
    }))
}

/// The app's webhook secrets (hints only), newest first.
#[endpoint(
    tags("webhooks"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn list_webhook_secrets(req: &mut Request, depot: &mut Depot) -> Result<Json<SecretList>, ApiError> {
    let app_id = extract::app_id(req)?;
    let secrets = AppState::from_depot(depot).webhooks.secrets().list(app_id).await?;
    Ok(Json(SecretList {
        secrets: secrets
            .into_iter()
            .map(|(s, valid)| SecretInfo {
                valid,
                id: s.id,
                hint: s.hint,
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect(),
    }))
}
