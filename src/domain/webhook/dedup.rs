//! The dedup key of an event: what makes a retry or a concurrent duplicate the same event.
//! A call event is identified by (call_id, state, event_timestamp); anything else by the
//! SHA-256 of its verified payload (a retry carries the same bytes).

use sha2::{Digest, Sha256};

use super::event::DialpadEvent;

/// The key under which an app stores this event once.
pub fn dedup_key(event: &DialpadEvent, payload: &[u8]) -> String {
    if let Some(call) = &event.call
        && let (Some(id), Some(state), Some(ts)) = (call.call_id, &call.state, call.event_timestamp_ms)
    {
        return format!("call:{id}:{}:{ts}", state.as_str());
    }
    format!("sha256:{}", hex::encode(Sha256::digest(payload)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::webhook::event::parse;

    #[test]
    fn call_events_dedup_on_call_state_and_time_and_the_rest_on_content() {
        let a = br#"{"call_id": 7, "state": "ringing", "event_timestamp": 100, "x": 1}"#;
        let same_event_other_bytes = br#"{"event_timestamp": 100, "state": "ringing", "call_id": "7"}"#;
        assert_eq!(dedup_key(&parse(a), a), "call:7:ringing:100");
        assert_eq!(dedup_key(&parse(same_event_other_bytes), same_event_other_bytes), "call:7:ringing:100");
        let later = br#"{"call_id": 7, "state": "ringing", "event_timestamp": 101}"#;
        assert_ne!(dedup_key(&parse(later), later), "call:7:ringing:100");

        let sms = br#"{"id": 1, "text": "hi"}"#;
        let key = dedup_key(&parse(sms), sms);
        assert!(key.starts_with("sha256:") && key.len() == 7 + 64, "{key}");
        let other = br#"{"id": 1, "text": "ho"}"#;
        assert_ne!(dedup_key(&parse(other), other), key);
    }
}
