//! /internal/apps: the admin API over apps. DTOs here; one handler per file.

mod create;
mod get;
mod list;
mod update;

use chrono::{DateTime, Utc};
pub use create::create_app;
pub use get::get_app;
pub use list::list_apps;
use salvo::oapi::ToSchema;
use serde::{Deserialize, Serialize};
pub use update::update_app;
use uuid::Uuid;

use crate::domain::app::App;

/// An app as the admin API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AppResponse {
    pub id: Uuid,
    pub name: String,
    pub is_active: bool,
    /// The screen pop template (null: none).
    pub screen_pop_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<App> for AppResponse {
    fn from(app: App) -> Self {
        Self {
            id: app.id.as_uuid(),
            name: app.name.to_string(),
            is_active: app.is_active,
            screen_pop_url: app.screen_pop_url.map(|t| t.to_string()),
            created_at: app.created_at,
            updated_at: app.updated_at,
        }
    }
}
