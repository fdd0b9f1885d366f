//! Voicemail identity and completion.

use super::*;
use crate::domain::call::{CallId, EventSeq};
use crate::domain::webhook::{Party, RecordingDetail, parse};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap()
}

fn notice(payload: &str) -> VoicemailNotice {
    VoicemailNotice::from_call_event(&parse(payload.as_bytes()).call.unwrap()).expect("a voicemail")
}

#[test]
fn voicemail_events_and_recording_details_announce_a_voicemail() {
    let v = notice(
        r#"{"call_id": 5, "state": "voicemail", "direction": "inbound", "external_number": "+1caller",
        "internal_number": "+1agent", "date_started": 1700000000000, "voicemail_link": "https://dp/v/1",
        "target": {"id": 42, "type": "user"}}"#,
    );
    assert_eq!(
        (v.call_id.map(CallId::get), v.caller.as_deref(), v.callee.as_deref()),
        (Some(5), Some("+1caller"), Some("+1agent"))
    );
    assert_eq!((v.link.as_deref(), v.target_id, v.uploaded), (Some("https://dp/v/1"), Some(42), false));

    let from_recording = notice(
        r#"{"call_id": null, "state": "hangup", "recording_details": [
        {"id": "rec-9", "url": "https://dp/r/9", "duration": 12000, "start_time": 1700000001000, "recording_type": "voicemail"}]}"#,
    );
    assert_eq!(from_recording.recording_id.as_deref(), Some("rec-9"));
    assert_eq!(from_recording.duration_ms, Some(12_000));

    let plain =
        parse(br#"{"call_id": 5, "state": "hangup", "recording_details": [{"recording_type": "callrecording"}]}"#);
    assert!(VoicemailNotice::from_call_event(&plain.call.unwrap()).is_none());
}

#[test]
fn a_later_upload_completes_the_first_notice() {
    let first = notice(r#"{"call_id": 5, "state": "voicemail", "voicemail_link": "https://dp/v/1"}"#);
    let upload = notice(
        r#"{"call_id": 5, "state": "voicemail_uploaded", "voicemail_link": "https://dp/v/1-final",
        "transcription_text": "call me back", "recording_details": [{"id": "r1", "duration": 9000, "recording_type": "voicemail"}]}"#,
    );
    let mut v = Voicemail::new(Uuid::nil(), &first, EventSeq::new(1), now());
    assert!(v.matches(&upload));
    v.merge(&upload, EventSeq::new(2), now());
    assert_eq!(v.link.as_deref(), Some("https://dp/v/1-final"));
    assert_eq!(
        (v.transcription.as_deref(), v.duration_ms, v.uploaded, v.last_seq.get()),
        (Some("call me back"), Some(9_000), true, 2)
    );
}

#[test]
fn identity_without_a_call_id() {
    let base = VoicemailNotice {
        caller: Some("+1caller".into()),
        callee: Some("+1agent".into()),
        started_at: Some(now()),
        ..VoicemailNotice::default()
    };
    let v = Voicemail::new(Uuid::nil(), &base, EventSeq::new(1), now());
    assert!(v.matches(&base.clone()), "same caller, callee and time: the same message");
    let a_minute_later = VoicemailNotice { started_at: Some(now() + chrono::Duration::minutes(1)), ..base.clone() };
    assert!(!v.matches(&a_minute_later), "a minute apart: another message");

    let by_recording = VoicemailNotice { recording_id: Some("r1".into()), ..VoicemailNotice::default() };
    let with_recording = Voicemail::new(Uuid::nil(), &by_recording, EventSeq::new(1), now());
    assert!(with_recording.matches(&VoicemailNotice {
        recording_id: Some("r1".into()),
        caller: Some("x".into()),
        ..VoicemailNotice::default()
    }));
    assert!(
        !with_recording.matches(&VoicemailNotice { recording_id: Some("r2".into()), ..VoicemailNotice::default() })
    );
    assert!(!with_recording.matches(&base), "an identified voicemail is not matched by parties alone");
}

#[test]
fn outbound_calls_swap_caller_and_callee() {
    let e = CallEvent {
        call_id: Some(CallId::new(1)),
        state: Some(CallState::Voicemail),
        direction: Some(crate::domain::webhook::Direction::Outbound),
        contact: Some(Party { phone: Some("+1other".into()), ..Party::default() }),
        target: Some(Party { phone: Some("+1agent".into()), ..Party::default() }),
        recording_details: vec![RecordingDetail::default()],
        ..CallEvent::default()
    };
    let n = VoicemailNotice::from_call_event(&e).unwrap();
    assert_eq!((n.caller.as_deref(), n.callee.as_deref()), (Some("+1agent"), Some("+1other")));
}
