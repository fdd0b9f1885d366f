//! /internal/apps/{app_id}/user-mappings: which app user each Dialpad user is. DTOs here.

mod create;
mod delete;
mod get;
mod list;
mod update;

use chrono::{DateTime, Utc};
pub use create::create_mapping;
pub use delete::delete_mapping;
pub use get::get_mapping;
pub use list::list_mappings;
use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};
pub use update::update_mapping;

use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::domain::user_mapping::{DialpadUserId, UserMapping};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MappingResponse {
    pub dialpad_user_id: i64,
    pub app_user_id: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserMapping> for MappingResponse {
    fn from(m: UserMapping) -> Self {
        Self {
            dialpad_user_id: m.dialpad_user_id.get(),
            app_user_id: m.app_user_id.as_str().to_owned(),
            email: m.email,
            display_name: m.display_name,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The `{dialpad_user_id}` path parameter; anything but a positive integer is 400.
fn dialpad_user(req: &Request) -> Result<DialpadUserId, ApiError> {
    extract::path_param(req, "dialpad_user_id")
}
