//! POST /webhooks/dialpad/{app_id} and POST /webhooks/dialpad. The raw body is read whatever
//! the Content-Type (Dialpad's is not documented). 200 `{"status":"ok"}` when stored or kept,
//! 200 `{"status":"duplicate"}` for a repeat, 401 for a missing or bad signature, 413 over
//! the size limit, 503 when storage is unavailable (Dialpad retries a 5xx, never a 4xx).

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::state::AppState;
use crate::app::webhooks::IngestOutcome;

/// The old server's signature header (HMAC-SHA256 of the raw body, hex).
pub const SIGNATURE_HEADER: &str = "x-dialpad-signature";

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookAck {
    /// "ok" (stored) or "duplicate" (already stored).
    pub status: String,
}

async fn body(req: &mut Request, max: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = format!("Webhook bodies are limited to {max} bytes.");
    extract::body_bytes(req, max, &too_large).await.map(<[u8]>::to_vec)
}

fn signature(req: &Request) -> Option<String> {
    req.headers().get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn ack(outcome: IngestOutcome) -> Json<WebhookAck> {
    let status = match outcome {
        IngestOutcome::Stored(_) | IngestOutcome::Unrouted { .. } => "ok",
        IngestOutcome::Duplicate => "duplicate",
    };
    Json(WebhookAck { status: status.to_owned() })
}

/// Receive a Dialpad webhook for one app (signed with one of the app's webhook secrets).
#[endpoint(
    tags("webhooks"),
    parameters(("app_id" = uuid::Uuid, Path, description = "The app's UUID")),
    request_body(content = String, content_type = "application/jwt", description = "A compact JWS signed HS256 (what Dialpad sends), or JSON with x-dialpad-signature"),
    status_codes(200, 400, 401, 403, 404, 413, 503)
)]
pub async fn receive_for_app(req: &mut Request, depot: &mut Depot) -> Result<Json<WebhookAck>, ApiError> {
    let app_id = extract::app_id(req)?;
    let state = AppState::from_depot(depot);
    let body = body(req, state.webhook_max_body_bytes).await?;
    let outcome = state.webhooks.ingest(app_id, &body, signature(req).as_deref()).await?;
    Ok(ack(outcome))
}

/// Receive a Dialpad webhook on the old server's route (global DIALPAD_WEBHOOK_SECRET; the
/// app is found through user mappings).
#[endpoint(
    tags("webhooks"),
    request_body(content = String, content_type = "application/jwt", description = "A compact JWS signed HS256, or JSON with x-dialpad-signature"),
    status_codes(200, 400, 401, 413, 503)
)]
pub async fn receive_legacy(req: &mut Request, depot: &mut Depot) -> Result<Json<WebhookAck>, ApiError> {
    let state = AppState::from_depot(depot);
    let body = body(req, state.webhook_max_body_bytes).await?;
    let outcome = state.webhooks.ingest_legacy(&body, signature(req).as_deref()).await?;
    Ok(ack(outcome))
}
