//! GET /internal/apps/{app_id}/user-mappings.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use super::MappingResponse;
use crate::adapters::http::cursor;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;
use crate::domain::user_mapping::DialpadUserId;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MappingList {
    pub mappings: Vec<MappingResponse>,
    pub next_cursor: Option<String>,
}

/// The app's user mappings, by Dialpad user id.
#[endpoint(
    tags("user mappings"),
    parameters(
        ("app_id" = uuid::Uuid, Path, description = "The app's UUID"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn list_mappings(req: &mut Request, depot: &mut Depot) -> Result<Json<MappingList>, ApiError> {
    let app_id = extract::app_id(req)?;
    let limit = extract::page_limit(req)?;
    let after = match extract::cursor_param(req)? {
        Some(raw) => Some(cursor::part::<DialpadUserId>(&cursor::decode(&raw, 1)?[0])?),
        None => None,
    };
    let page = AppState::from_depot(depot).mappings.list(app_id, limit, after).await?;
    let next_cursor =
        if page.has_more { page.items.last().map(|m| cursor::encode(&[&m.dialpad_user_id.to_string()])) } else { None };
    Ok(Json(MappingList { mappings: page.items.into_iter().map(MappingResponse::from).collect(), next_cursor }))
}
