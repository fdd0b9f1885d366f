//! GET /api/calls: filters state, direction, user, since, until; keyset pagination.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use super::CallResponse;
use super::write::CallPageBody;
use crate::adapters::http::cursor;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::json::JsonBody;
use crate::adapters::http::middleware::api_key_auth::principal;
use crate::adapters::http::state::AppState;
use crate::app::queries::CallQuery;
use crate::domain::call::CallRecord;
use crate::domain::user_mapping::AppUserId;
use crate::domain::webhook::{CallState, Direction};
use crate::ports::CallCursor;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CallList {
    pub calls: Vec<CallResponse>,
    pub next_cursor: Option<String>,
}

/// What a [`CallList`] is written from.
pub struct CallPage {
    pub calls: Vec<CallRecord>,
    pub next_cursor: Option<String>,
}

fn decode(raw: &str) -> Result<CallCursor, ApiError> {
    let parts = cursor::decode(raw, 2)?;
    let started_at = cursor::time(&parts[0])?;
    Ok(CallCursor { started_at, call_id: cursor::part(&parts[1])? })
}

pub(crate) fn direction(raw: &str) -> Result<Direction, &'static str> {
    match Direction::parse(raw) {
        Direction::Other(_) => Err("must be inbound or outbound"),
        known => Ok(known),
    }
}

/// The app's calls, newest first.
#[endpoint(
    tags("app api"),
    parameters(
        ("state" = Option<String>, Query, min_length = 1, description = "Only calls in this state (e.g. connected, hangup)"),
        ("direction" = Option<String>, Query, pattern = "^(inbound|outbound)$", description = "inbound or outbound"),
        ("user" = Option<String>, Query, min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$", description = "Only this app user's calls (through user mappings)"),
        ("since" = Option<String>, Query, description = "Started at or after (RFC 3339 or epoch ms)"),
        ("until" = Option<String>, Query, description = "Started before (RFC 3339 or epoch ms)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    status_codes(200, 400, 401, 403, 429, 503)
)]
pub async fn list_calls(req: &mut Request, depot: &mut Depot) -> Result<CallPageBody, ApiError> {
    let query = CallQuery {
        state: extract::query(req, "state", |s| {
            if s.is_empty() { Err("must be a call state") } else { Ok(CallState::parse(s)) }
        })?,
        direction: extract::query(req, "direction", direction)?,
        user: extract::query(req, "user", AppUserId::parse)?,
        since: extract::query_time(req, "since")?,
        until: extract::query_time(req, "until")?,
    };
    let limit = extract::page_limit(req)?;
    let after = extract::cursor_param(req)?.map(|c| decode(&c)).transpose()?;
    let app_id = principal(depot).app_id;
    let page = AppState::from_depot(depot).queries.calls(app_id, query, limit, after).await?;
    let next_cursor = if page.has_more {
        page.items
            .last()
            .map(|c| cursor::encode(&[&c.started_at.timestamp_micros().to_string(), &c.call_id.to_string()]))
    } else {
        None
    };
    let capacity = 128 + page.items.len() * 900;
    Ok(JsonBody::new(CallPage { calls: page.items, next_cursor }, capacity))
}
