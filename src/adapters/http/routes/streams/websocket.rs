//! GET /ws: the app's live event stream over WebSocket. Everything that can be refused is
//! refused before the upgrade, as plain JSON errors: a foreign Origin (403), missing or bad
//! credentials (401), an inactive app (403), a bad filter or `since` (400). What fails after
//! the upgrade closes the socket with 1011; credentials that end later close it with 4401
//! (key revoked or expired) or 4403 (app deactivated).
//!
//! Credentials: `api_key` in the query (browsers cannot set headers on a WebSocket; the old
//! server's contract), the `x-app-api-key` header, or a one-time `ticket`.

use salvo::http::header::ORIGIN;
use salvo::prelude::*;
use salvo::websocket::WebSocketUpgrade;

use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::middleware::api_key_auth::API_KEY_HEADER;
use crate::adapters::http::middleware::limits;
use crate::adapters::http::state::AppState;
use crate::adapters::ws::{self, socket_config};
use crate::app::realtime::Grant;
use crate::domain::call::EventSeq;
use crate::domain::stream::StreamFilter;
use crate::domain::user_mapping::AppUserId;

/// Live events of the app (WebSocket; see the README for the protocol).
#[endpoint(
    tags("streams"),
    parameters(
        ("api_key" = Option<String>, Query, description = "The app's API key (or use ticket, or the x-app-api-key header)"),
        ("ticket" = Option<String>, Query, description = "A one-time ticket from POST /api/ws-ticket"),
        ("since" = Option<i64>, Query, minimum = 0, description = "Last sequence number seen: replay everything after it"),
        ("types" = Option<String>, Query, min_length = 1, description = "Comma-separated event types or families (call, call.ringing, sms...)"),
        ("user" = Option<String>, Query, min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$", description = "Only this app user's events (through user mappings)"),
    ),
    status_codes(101, 400, 401, 403, 429, 503)
)]
pub async fn connect(req: &mut Request, depot: &mut Depot, res: &mut Response) -> Result<(), ApiError> {
    let state = AppState::from_depot(depot).clone();
    check_origin(req, state.allowed_origins.as_deref())?;
    let grant = authenticate(req, res, &state).await?;
    let app_id = grant.app_id;
    let since = extract::query(req, "since", |raw| match raw.parse::<i64>() {
        Ok(seq) if seq >= 0 => Ok(EventSeq::new(seq)),
        _ => Err("must be a sequence number (0 or more)"),
    })?;
    let mut filter = StreamFilter::default();
    if let Some(types) = extract::query(req, "types", |raw| StreamFilter::default().with_types(raw))? {
        filter = types;
    }
    if let Some(user) = extract::query(req, "user", AppUserId::parse)? {
        filter = state.realtime.for_user(app_id, filter, &user).await?;
    }

    let (realtime, connections) = (state.realtime.clone(), state.connections.clone());
    WebSocketUpgrade::with_config(socket_config())
        .upgrade(req, res, move |socket| {
            let tracked = connections.clone();
            tracked.track(async move {
                ws::serve(socket, realtime, connections, grant, since, filter).await;
            })
        })
        .await
        .map_err(|err| ApiError::bad_request(format!("Not a WebSocket handshake: {}.", err.brief)))
}

/// Refuses browsers on other sites (cross-site WebSocket hijacking). Clients that send no
/// Origin are not browsers and are let through.
fn check_origin(req: &Request, allowed: Option<&[String]>) -> Result<(), ApiError> {
    let (Some(allowed), Some(origin)) = (allowed, req.headers().get(ORIGIN)) else { return Ok(()) };
    let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            error: "Origin not allowed",
            message: "This origin may not open streams.".to_owned(),
        })
    }
}

/// The stream's grant from the access use case: a one-time `ticket`, or a key in the query
/// or the header.
async fn authenticate(req: &Request, res: &mut Response, state: &AppState) -> Result<Grant, ApiError> {
    let client = limits::client(state, req);
    let answer = match extract::query_text(req, "ticket")? {
        Some(ticket) => state.access.stream_ticket(client, &ticket).await,
        None => {
            let query_key = extract::query_text(req, "api_key")?;
            let header = || req.headers().get(API_KEY_HEADER).and_then(|v| v.to_str().ok());
            state.access.stream_key(client, query_key.as_deref().or_else(header)).await
        }
    };
    limits::admitted(res, answer)
}
