//! Whom an action is for, as the app's request names it: exactly one of `app_user_id` (the
//! app's own id, resolved through its user mappings) and `dialpad_user_id`.

use serde_json::Value;

use crate::adapters::http::error::ApiError;
use crate::app::dialpad::Agent;
use crate::domain::user_mapping::{AppUserId, DialpadUserId};

pub fn agent(app_user_id: Option<String>, dialpad_user_id: Option<Value>) -> Result<Agent, ApiError> {
    match (app_user_id, dialpad_user_id) {
        (Some(app_user), None) => {
            AppUserId::parse(&app_user).map(Agent::AppUser).map_err(|e| ApiError::bad_request(format!("{e}.")))
        }
        (None, Some(dialpad_user)) => DialpadUserId::from_json(&dialpad_user)
            .map(Agent::DialpadUser)
            .map_err(|e| ApiError::bad_request(format!("{e}."))),
        (Some(_), Some(_)) | (None, None) => {
            Err(ApiError::bad_request("Name the user with exactly one of app_user_id and dialpad_user_id."))
        }
    }
}
