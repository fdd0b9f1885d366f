//! POST /api/ws-ticket: a ticket for GET /ws?ticket=..., valid for 30 seconds, usable once,
//! on any instance. The app's backend calls this with its API key and hands the ticket to
//! the browser.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use crate::adapters::http::error::ApiError;
use crate::adapters::http::middleware::api_key_auth::principal;
use crate::adapters::http::respond::ShownOnce;
use crate::adapters::http::state::AppState;
use crate::app::realtime::TICKET_TTL;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketResponse {
    /// Pass as `ticket` to GET /ws.
    pub ticket: String,
    /// Seconds the ticket stays valid.
    pub expires_in: u64,
}

/// A one-time WebSocket ticket for this key's app.
#[endpoint(tags("app api"), status_codes(201, 401, 403, 429, 503))]
pub async fn issue_ticket(depot: &mut Depot) -> Result<ShownOnce<TicketResponse>, ApiError> {
    let principal = principal(depot);
    let (app_id, key_id) = (principal.app_id, principal.key_id.clone());
    let ticket = AppState::from_depot(depot).realtime.tickets.issue(app_id, &key_id).await?;
    Ok(ShownOnce(TicketResponse { ticket: ticket.reveal().to_owned(), expires_in: TICKET_TTL.as_secs() }))
}
