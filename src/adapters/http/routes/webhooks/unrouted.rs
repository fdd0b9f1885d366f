//! GET /internal/webhooks/unrouted: legacy-route events no app claimed, newest first.

use chrono::{DateTime, Utc};
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::adapters::http::cursor;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnroutedEventResponse {
    pub id: i64,
    pub kind: String,
    /// The event's Dialpad target (map it to an app user to route such events).
    pub dialpad_target_id: Option<i64>,
    pub received_at: DateTime<Utc>,
    pub data: Value,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnroutedPage {
    pub events: Vec<UnroutedEventResponse>,
    pub next_cursor: Option<String>,
}

/// Webhooks received on the legacy route that no app claimed.
#[endpoint(
    tags("webhooks"),
    parameters(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    status_codes(200, 400, 401, 403, 429, 503)
)]
pub async fn list_unrouted(req: &mut Request, depot: &mut Depot) -> Result<Json<UnroutedPage>, ApiError> {
    let limit = extract::page_limit(req)?;
    let before = match extract::cursor_param(req)? {
        Some(raw) => Some(cursor::part::<i64>(&cursor::decode(&raw, 1)?[0])?),
        None => None,
    };
    let page = AppState::from_depot(depot).webhooks.unrouted(limit, before).await?;
    let next_cursor =
        if page.has_more { page.items.last().map(|e| cursor::encode(&[&e.id.to_string()])) } else { None };
    Ok(Json(UnroutedPage {
        events: page
            .items
            .into_iter()
            .map(|e| UnroutedEventResponse {
                id: e.id,
                kind: e.kind.as_str().to_owned(),
                dialpad_target_id: e.target_id,
                received_at: e.received_at,
                data: e.payload,
            })
            .collect(),
        next_cursor,
    }))
}
