//! /api/voicemails: the key's own app's voicemails, newest first, and one voicemail.

mod get;
mod list;
mod write;

use chrono::{DateTime, Utc};
pub use get::get_voicemail;
pub use list::list_voicemails;
use salvo::oapi::ToSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::adapters::http::json;
use crate::domain::call::CallId;
use crate::domain::voicemail::Voicemail;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VoicemailResponse {
    pub id: Uuid,
    pub call_id: Option<i64>,
    pub recording_id: Option<String>,
    /// Where to play it (Dialpad's link).
    pub link: Option<String>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    #[serde(serialize_with = "json::optional_timestamp")]
    pub started_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub transcription: Option<String>,
    /// The Dialpad user whose voicemail box received it.
    pub dialpad_user_id: Option<i64>,
    /// Dialpad confirmed the recording (voicemail_uploaded).
    pub uploaded: bool,
    #[serde(serialize_with = "json::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "json::timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// The documented form of a voicemail; the routes write it directly (write.rs), and the
/// tests hold that to this conversion's `Serialize`.
impl From<Voicemail> for VoicemailResponse {
    fn from(v: Voicemail) -> Self {
        Self {
            id: v.id,
            call_id: v.call_id.map(CallId::get),
            recording_id: v.recording_id,
            link: v.link,
            caller: v.caller,
            callee: v.callee,
            started_at: v.started_at,
            duration_ms: v.duration_ms,
            transcription: v.transcription,
            dialpad_user_id: v.target_id,
            uploaded: v.uploaded,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}
