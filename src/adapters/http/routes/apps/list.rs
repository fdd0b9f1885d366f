//! GET /internal/apps: apps oldest first, paginated with an opaque cursor.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use super::AppResponse;
use crate::adapters::http::cursor;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;
use crate::domain::app::AppId;
use crate::ports::AppCursor;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AppList {
    pub apps: Vec<AppResponse>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn encode(c: AppCursor) -> String {
    cursor::encode(&[&c.created_at.timestamp_micros().to_string(), &c.id.to_string()])
}

fn decode(raw: &str) -> Result<AppCursor, ApiError> {
    let parts = cursor::decode(raw, 2)?;
    Ok(AppCursor { created_at: cursor::time(&parts[0])?, id: cursor::part::<AppId>(&parts[1])? })
}

/// List apps, oldest first.
#[endpoint(
    tags("apps"),
    parameters(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    status_codes(200, 400, 401, 403, 429, 503)
)]
pub async fn list_apps(req: &mut Request, depot: &mut Depot) -> Result<Json<AppList>, ApiError> {
    let limit = extract::page_limit(req)?;
    let after = extract::cursor_param(req)?.map(|c| decode(&c)).transpose()?;
    let page = AppState::from_depot(depot).apps.list(limit, after).await?;
    let next_cursor = if page.has_more { page.items.last().map(|a| encode(a.into())) } else { None };
    Ok(Json(AppList { apps: page.items.into_iter().map(AppResponse::from).collect(), next_cursor }))
}
