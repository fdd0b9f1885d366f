//! GET /api/voicemails: filters user, since, until; keyset pagination.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use super::VoicemailResponse;
use super::write::VoicemailPageBody;
use crate::adapters::http::cursor;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::json::JsonBody;
use crate::adapters::http::middleware::api_key_auth::principal;
use crate::adapters::http::state::AppState;
use crate::app::queries::VoicemailQuery;
use crate::domain::user_mapping::AppUserId;
use crate::domain::voicemail::Voicemail;
use crate::ports::VoicemailCursor;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VoicemailList {
    pub voicemails: Vec<VoicemailResponse>,
    pub next_cursor: Option<String>,
}

/// What a [`VoicemailList`] is written from.
pub struct VoicemailPage {
    pub voicemails: Vec<Voicemail>,
    pub next_cursor: Option<String>,
}

fn decode(raw: &str) -> Result<VoicemailCursor, ApiError> {
    let parts = cursor::decode(raw, 2)?;
    let sort_at = cursor::time(&parts[0])?;
    Ok(VoicemailCursor { sort_at, id: cursor::part(&parts[1])? })
}

/// The app's voicemails, newest first.
#[endpoint(
    tags("app api"),
    parameters(
        ("user" = Option<String>, Query, min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$", description = "Only this app user's voicemails (through user mappings)"),
        ("since" = Option<String>, Query, description = "Left at or after (RFC 3339 or epoch ms)"),
        ("until" = Option<String>, Query, description = "Left before (RFC 3339 or epoch ms)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    status_codes(200, 400, 401, 403, 429, 503)
)]
pub async fn list_voicemails(req: &mut Request, depot: &mut Depot) -> Result<VoicemailPageBody, ApiError> {
    let query = VoicemailQuery {
        user: extract::query(req, "user", AppUserId::parse)?,
        since: extract::query_time(req, "since")?,
        until: extract::query_time(req, "until")?,
    };
    let limit = extract::page_limit(req)?;
    let after = extract::cursor_param(req)?.map(|c| decode(&c)).transpose()?;
    let app_id = principal(depot).app_id;
    let page = AppState::from_depot(depot).queries.voicemails(app_id, query, limit, after).await?;
    let next_cursor = if page.has_more {
        page.items.last().map(|v| cursor::encode(&[&v.sort_at().timestamp_micros().to_string(), &v.id.to_string()]))
    } else {
        None
    };
    let capacity = 128 + page.items.len() * 700;
    Ok(JsonBody::new(VoicemailPage { voicemails: page.items, next_cursor }, capacity))
}
