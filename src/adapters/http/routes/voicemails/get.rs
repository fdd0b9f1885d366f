//! GET /api/voicemails/{id}: another app's voicemail is 404.

use salvo::prelude::*;
use uuid::Uuid;

use super::write::VoicemailBody;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::json::JsonBody;
use crate::adapters::http::middleware::api_key_auth::principal;
use crate::adapters::http::state::AppState;

/// One of the app's voicemails.
#[endpoint(
    tags("app api"),
    parameters(("id" = uuid::Uuid, Path, description = "The voicemail's UUID")),
    status_codes(200, 400, 401, 403, 404, 429, 503)
)]
pub async fn get_voicemail(req: &mut Request, depot: &mut Depot) -> Result<VoicemailBody, ApiError> {
    let id = extract::path_param::<Uuid>(req, "id")?;
    let app_id = principal(depot).app_id;
    let voicemail = AppState::from_depot(depot).queries.voicemail(app_id, id).await?;
    Ok(JsonBody::new(voicemail, 1024))
}
