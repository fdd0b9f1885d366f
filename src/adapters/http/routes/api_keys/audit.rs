//! GET /internal/apps/{app_id}/api-key/audit: generated / rotated / revoked / expired, newest first.

use chrono::{DateTime, Utc};
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use crate::adapters::http::cursor;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;
use crate::domain::api_key::AuditEvent;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEventResponse {
    /// generated, rotated, revoked or expired.
    pub action: String,
    pub key_id: String,
    pub hint: String,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEventResponse>,
    /// Pass as `cursor` for older events; null on the last page.
    pub next_cursor: Option<String>,
}

impl From<AuditEvent> for AuditEventResponse {
    fn from(e: AuditEvent) -> Self {
        Self {
            action: e.action.to_string(),
            key_id: e.key_id.to_string(),
            hint: e.hint.to_string(),
            occurred_at: e.occurred_at,
        }
    }
}

/// The app's API key audit trail, newest first.
#[endpoint(
    tags("api keys"),
    parameters(
        ("app_id" = uuid::Uuid, Path, description = "The app's UUID"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn key_audit(req: &mut Request, depot: &mut Depot) -> Result<Json<AuditPage>, ApiError> {
    let app_id = extract::app_id(req)?;
    let limit = extract::page_limit(req)?;
    let before = match extract::cursor_param(req)? {
        Some(raw) => Some(cursor::part::<i64>(&cursor::decode(&raw, 1)?[0])?),
        None => None,
    };
    let page = AppState::from_depot(depot).api_keys.audit(app_id, limit, before).await?;
    let next_cursor =
        if page.has_more { page.items.last().map(|e| cursor::encode(&[&e.id.to_string()])) } else { None };
    Ok(Json(AuditPage { events: page.items.into_iter().map(AuditEventResponse::from).collect(), next_cursor }))
}
