//! Voicemails: one per message, however Dialpad announces it (`voicemail`,
//! `voicemail_uploaded`, or a `recording_details` entry of type voicemail) and however many
//! times. A notice belongs to an existing voicemail when they share the call id, the
//! recording id or the link; without any of those (the old server stored a null call id),
//! when caller, callee and start time are all equal, so two messages from one caller a
//! minute apart stay two. A later `voicemail_uploaded` completes the earlier one.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::call::{CallId, EventSeq, fill};
use super::webhook::{CallEvent, CallState};

/// What one call event says about a voicemail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoicemailNotice {
    pub call_id: Option<CallId>,
    pub recording_id: Option<String>,
    pub link: Option<String>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub transcription: Option<String>,
    /// The Dialpad user whose voicemail box received it.
    pub target_id: Option<i64>,
    /// `voicemail_uploaded`: the recording exists.
    pub uploaded: bool,
}

impl VoicemailNotice {
    /// The voicemail a call event announces, if any.
    pub fn from_call_event(e: &CallEvent) -> Option<Self> {
        let recording = e.recording_details.iter().find(|r| r.recording_type.as_deref() == Some("voicemail"));
        let state = e.state.as_ref();
        let announced =
            matches!(state, Some(CallState::Voicemail | CallState::VoicemailUploaded)) || recording.is_some();
        if !announced {
            return None;
        }
        let inbound = e.direction.as_ref().is_none_or(|d| d.as_str() != "outbound");
        let (outside, inside) = (
            e.external_number.clone().or_else(|| e.contact.as_ref().and_then(|c| c.phone.clone())),
            e.internal_number.clone().or_else(|| e.target.as_ref().and_then(|t| t.phone.clone())),
        );
        let (caller, callee) = if inbound { (outside, inside) } else { (inside, outside) };
        Some(Self {
            call_id: e.call_id,
            recording_id: e.voicemail_recording_id.clone().or_else(|| recording.and_then(|r| r.id.clone())),
            link: e.voicemail_link.clone().or_else(|| recording.and_then(|r| r.url.clone())),
            caller,
            callee,
            started_at: e
                .date_started_ms
                .or_else(|| recording.and_then(|r| r.start_time_ms))
                .and_then(crate::domain::time::from_millis),
            duration_ms: recording.and_then(|r| r.duration_ms),
            transcription: e.transcription_text.clone(),
            target_id: e.target.as_ref().and_then(|t| t.id),
            uploaded: state == Some(&CallState::VoicemailUploaded),
        })
    }

    fn has_identity(&self) -> bool {
        self.call_id.is_some() || self.recording_id.is_some() || self.link.is_some()
    }
}

/// A stored voicemail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voicemail {
    pub id: Uuid,
    pub call_id: Option<CallId>,
    pub recording_id: Option<String>,
    pub link: Option<String>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub transcription: Option<String>,
    pub target_id: Option<i64>,
    pub uploaded: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_seq: EventSeq,
}

impl Voicemail {
    /// A new voicemail from its first notice.
    pub fn new(id: Uuid, n: &VoicemailNotice, seq: EventSeq, now: DateTime<Utc>) -> Self {
        let mut v = Self {
            id,
            call_id: None,
            recording_id: None,
            link: None,
            caller: None,
            callee: None,
            started_at: None,
            duration_ms: None,
            transcription: None,
            target_id: None,
            uploaded: false,
            created_at: now,
            updated_at: now,
            last_seq: seq,
        };
        v.merge(n, seq, now);
        v
    }

    /// Whether `n` is about this voicemail (see the module doc).
    pub fn matches(&self, n: &VoicemailNotice) -> bool {
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        if (self.call_id.is_some() && self.call_id == n.call_id)
            || same(&self.recording_id, &n.recording_id)
            || same(&self.link, &n.link)
        {
            return true;
        }
        let anonymous =
            !n.has_identity() && self.call_id.is_none() && self.recording_id.is_none() && self.link.is_none();
        anonymous
            && self.caller.is_some()
            && self.caller == n.caller
            && self.callee == n.callee
            && self.started_at.is_some()
            && self.started_at == n.started_at
    }

    /// Completes this voicemail with `n`: an upload's link, duration and transcription
    /// replace earlier ones; other fields only fill gaps.
    pub fn merge(&mut self, n: &VoicemailNotice, seq: EventSeq, now: DateTime<Utc>) {
        let upload = n.uploaded;
        fill(&mut self.call_id, &n.call_id, false);
        fill(&mut self.recording_id, &n.recording_id, false);
        fill(&mut self.link, &n.link, upload);
        fill(&mut self.caller, &n.caller, false);
        fill(&mut self.callee, &n.callee, false);
        fill(&mut self.started_at, &n.started_at, false);
        fill(&mut self.duration_ms, &n.duration_ms, upload);
        fill(&mut self.transcription, &n.transcription, upload);
        fill(&mut self.target_id, &n.target_id, false);
        self.uploaded |= upload;
        self.updated_at = now;
        self.last_seq = self.last_seq.max(seq);
    }

    /// The time listings sort by: when the message was left, else when it was first seen.
    pub fn sort_at(&self) -> DateTime<Utc> {
        self.started_at.unwrap_or(self.created_at)
    }
}

/// Folds `notice` into `known` (the app's voicemails it might belong to): merged into the
/// first that matches, else added as a new voicemail with `new_id`. Returns the index of the
/// voicemail it changed.
pub fn fold(
    known: &mut Vec<Voicemail>,
    notice: &VoicemailNotice,
    seq: EventSeq,
    now: DateTime<Utc>,
    new_id: Uuid,
) -> usize {
    match known.iter().position(|v| v.matches(notice)) {
        Some(i) => {
            known[i].merge(notice, seq, now);
            i
        }
        None => {
            known.push(Voicemail::new(new_id, notice, seq, now));
            known.len() - 1
        }
    }
}

#[cfg(test)]
mod tests;
