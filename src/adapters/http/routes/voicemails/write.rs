//! The voicemails bodies written by hand (see `json::out`) straight from the domain values:
//! the same bytes as their response types' `Serialize` (`VoicemailResponse`,
//! `VoicemailList`), which the tests below and tests/api/read_bodies.rs hold them to.

use uuid::Uuid;

use super::VoicemailResponse;
use super::list::{VoicemailList, VoicemailPage};
use crate::adapters::http::json::{JsonBody, JsonOut, WriteJson, key};
use crate::domain::call::CallId;
use crate::domain::voicemail::Voicemail;

/// A page of voicemails, documented as [`VoicemailList`].
pub type VoicemailPageBody = JsonBody<VoicemailPage, VoicemailList>;
/// One voicemail, documented as [`VoicemailResponse`].
pub type VoicemailBody = JsonBody<Voicemail, VoicemailResponse>;

/// Written as a [`VoicemailResponse`].
impl WriteJson for Voicemail {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.str(key!("id"), self.id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
            f.opt_int(key!("call_id"), self.call_id.map(CallId::get));
            f.opt_str(key!("recording_id"), self.recording_id.as_deref());
            f.opt_str(key!("link"), self.link.as_deref());
            f.opt_str(key!("caller"), self.caller.as_deref());
            f.opt_str(key!("callee"), self.callee.as_deref());
            f.opt_time(key!("started_at"), self.started_at.as_ref());
            f.opt_int(key!("duration_ms"), self.duration_ms);
            f.opt_str(key!("transcription"), self.transcription.as_deref());
            f.opt_int(key!("dialpad_user_id"), self.target_id);
            f.bool(key!("uploaded"), self.uploaded);
            f.time(key!("created_at"), &self.created_at);
            f.time(key!("updated_at"), &self.updated_at);
        });
    }
}

/// Written as a [`VoicemailList`].
impl WriteJson for VoicemailPage {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.list(key!("voicemails"), &self.voicemails);
            f.opt_str(key!("next_cursor"), self.next_cursor.as_deref());
        });
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use proptest::prelude::*;

    use super::*;
    use crate::domain::call::EventSeq;

    proptest! {
        #[test]
        fn a_voicemails_page_is_written_as_serde_writes_it(text in any::<String>(), n in any::<i64>(), some in any::<bool>(), nanos in 0u32..1_000_000_000) {
            let at = DateTime::from_timestamp(1_750_000_000, nanos).unwrap();
            let voicemail = Voicemail {
                id: Uuid::from_u64_pair(n as u64, !n as u64),
                call_id: some.then_some(CallId::new(n)),
                recording_id: Some(text.clone()),
                link: (!some).then(|| text.clone()),
                caller: Some(text.clone()),
                callee: (!some).then(|| format!("{text}-callee")),
                started_at: some.then_some(at),
                duration_ms: Some(n),
                transcription: Some(format!("{text}\n\"{text}\"")),
                target_id: some.then_some(n),
                uploaded: some,
                created_at: at,
                updated_at: at + chrono::Duration::milliseconds(1),
                last_seq: EventSeq::new(n),
            };
            let next_cursor = some.then(|| text.clone());
            let documented = VoicemailList { voicemails: vec![voicemail.clone().into()], next_cursor: next_cursor.clone() };
            let mut out = JsonOut::with_capacity(0);
            VoicemailPage { voicemails: vec![voicemail], next_cursor }.write_json(&mut out);
            prop_assert_eq!(String::from_utf8(out.into_bytes()).unwrap(), serde_json::to_string(&documented).unwrap());
        }
    }
}
