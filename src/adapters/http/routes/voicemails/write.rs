//! The voicemails bodies written by hand (see `json::out`): the same bytes as their
//! `Serialize`, which the tests below and tests/api/read_bodies.rs hold them to.

use uuid::Uuid;

use super::VoicemailResponse;
use super::list::VoicemailList;
use crate::adapters::http::json::{JsonOut, WriteJson};

impl WriteJson for VoicemailResponse {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.str("id", self.id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
            f.opt_int("call_id", self.call_id);
            f.opt_str("recording_id", self.recording_id.as_deref());
            f.opt_str("link", self.link.as_deref());
            f.opt_str("caller", self.caller.as_deref());
            f.opt_str("callee", self.callee.as_deref());
            f.opt_time("started_at", self.started_at.as_ref());
            f.opt_int("duration_ms", self.duration_ms);
            f.opt_str("transcription", self.transcription.as_deref());
            f.opt_int("dialpad_user_id", self.dialpad_user_id);
            f.bool("uploaded", self.uploaded);
            f.time("created_at", &self.created_at);
            f.time("updated_at", &self.updated_at);
        });
    }
}

impl WriteJson for VoicemailList {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.list("voicemails", &self.voicemails);
            f.opt_str("next_cursor", self.next_cursor.as_deref());
        });
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn a_voicemails_page_is_written_as_serde_writes_it(text in any::<String>(), n in any::<i64>(), some in any::<bool>(), nanos in 0u32..1_000_000_000) {
            let at = DateTime::from_timestamp(1_750_000_000, nanos).unwrap();
            let voicemail = VoicemailResponse {
                id: Uuid::from_u64_pair(n as u64, !n as u64),
                call_id: some.then_some(n),
                recording_id: Some(text.clone()),
                link: (!some).then(|| text.clone()),
                caller: Some(text.clone()),
                callee: None,
                started_at: some.then_some(at),
                duration_ms: Some(n),
                transcription: Some(format!("{text}\n\"{text}\"")),
                dialpad_user_id: some.then_some(n),
                uploaded: some,
                created_at: at,
                updated_at: at,
            };
            let page = VoicemailList { voicemails: vec![voicemail], next_cursor: some.then(|| text.clone()) };
            let mut out = JsonOut::with_capacity(0);
            page.write_json(&mut out);
            prop_assert_eq!(String::from_utf8(out.into_bytes()).unwrap(), serde_json::to_string(&page).unwrap());
        }
    }
}
