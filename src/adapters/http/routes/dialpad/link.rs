//! Connect links: POST /internal/apps/{app_id}/dialpad/connect-link (admin) and
//! POST /api/dialpad/connect-link (the app's own key, so its back end can hand the link to
//! its admin user). The URL holds a one-time ticket: shown once, never cached.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::middleware::api_key_auth::principal;
use crate::adapters::http::respond::ShownOnce;
use crate::adapters::http::state::AppState;
use crate::app::dialpad::ConnectLink;
use crate::domain::app::AppId;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConnectLinkResponse {
    /// Open this in a browser to connect the app's Dialpad account; works once, on any instance.
    pub url: String,
    /// Seconds the link stays valid.
    pub expires_in: u64,
}

impl From<ConnectLink> for ConnectLinkResponse {
    fn from(link: ConnectLink) -> Self {
        Self { url: link.url, expires_in: link.expires_in.as_secs() }
    }
}

async fn link(depot: &Depot, app_id: AppId) -> Result<ShownOnce<ConnectLinkResponse>, ApiError> {
    let link = AppState::from_depot(depot).dialpad.connect_link(app_id).await?;
    Ok(ShownOnce(link.into()))
}

/// A one-time link that connects this app's Dialpad account (admin).
#[endpoint(
    tags("dialpad"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    status_codes(201, 400, 401, 403, 404, 429, 503)
)]
pub async fn create_connect_link(
    req: &mut Request,
    depot: &mut Depot,
) -> Result<ShownOnce<ConnectLinkResponse>, ApiError> {
    link(depot, extract::app_id(req)?).await
}

/// A one-time link that connects the key's app's Dialpad account.
#[endpoint(tags("app api"), status_codes(201, 401, 403, 429, 503))]
pub async fn create_app_connect_link(depot: &mut Depot) -> Result<ShownOnce<ConnectLinkResponse>, ApiError> {
    let app_id = principal(depot).app_id;
    link(depot, app_id).await
}
