//! POST /internal/apps/{app_id}/api-key: generate the first key or rotate.

use chrono::{DateTime, Utc};
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use super::PreviousKey;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract::{self, optional_json_body};
use crate::adapters::http::respond::{SHOWN_ONCE_WARNING, ShownOnce};
use crate::adapters::http::state::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueKeyRequest {
    /// Seconds the previous key stays valid after a rotation (0 to 2592000; default 0: it
    /// stops working at once).
    #[salvo(schema(minimum = 0, maximum = 2592000))]
    grace_seconds: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedKeyResponse {
    /// The whole key. Shown this once; only a hash is stored.
    pub api_key: String,
    pub key_id: String,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    pub warning: String,
    /// The rotated-out key, when a grace period keeps it valid.
    pub previous_key: Option<PreviousKey>,
}

/// Generate the app's first API key, or rotate it.
#[endpoint(
    tags("api keys"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    request_body(content = Option<IssueKeyRequest>, description = "Optional"),
    status_codes(201, 400, 401, 403, 404, 413, 415, 429, 503)
)]
pub async fn issue_key(req: &mut Request, depot: &mut Depot) -> Result<ShownOnce<IssuedKeyResponse>, ApiError> {
    let app_id = extract::app_id(req)?;
    let body: IssueKeyRequest = optional_json_body(req).await?;
    let grace = extract::overlap("grace_seconds", body.grace_seconds.unwrap_or(0))?;
    let issued = AppState::from_depot(depot).api_keys.issue(app_id, grace).await?;
    Ok(ShownOnce(IssuedKeyResponse {
        api_key: issued.key.expose().to_owned(),
        key_id: issued.stored.key_id.to_string(),
        hint: issued.stored.hint.to_string(),
        created_at: issued.stored.created_at,
        warning: SHOWN_ONCE_WARNING.to_owned(),
        previous_key: issued.previous.map(PreviousKey::from),
    }))
}
