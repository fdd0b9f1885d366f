//! /internal/apps/{app_id}/api-key: issue or rotate, status, audit, revoke. DTOs here.
//! Responses show hints and ids only, except the one issue response that carries the key.

mod audit;
mod issue;
mod revoke;
mod status;

pub use audit::key_audit;
use chrono::{DateTime, Utc};
pub use issue::issue_key;
pub use revoke::revoke_key;
use salvo::oapi::ToSchema;
use serde::{Deserialize, Serialize};
pub use status::key_status;

use crate::domain::api_key::StoredApiKey;

/// A key that was rotated out and still works until `expires_at`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviousKey {
    pub key_id: String,
    pub hint: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<StoredApiKey> for PreviousKey {
    fn from(key: StoredApiKey) -> Self {
        Self { key_id: key.key_id.to_string(), hint: key.hint.to_string(), expires_at: key.expires_at }
    }
}
