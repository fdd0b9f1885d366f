//! Tolerant parsing, table-driven, and as a property: nothing makes it fail.

use proptest::prelude::*;

use super::*;
use crate::domain::call::CallId;
use crate::domain::webhook::call_state::Phase;

/// The reconstructed example payload of dialpad-facts.md.
const EXAMPLE: &str = r#"{"call_id": 6421977457180672, "master_call_id": null, "entry_point_call_id": null,
 "operator_call_id": null, "state": "connected", "direction": "inbound", "external_number": "+15105550100",
 "internal_number": "+15105550199", "date_started": 1731624039404, "date_rang": 1731624039800,
 "date_connected": 1731624045000, "date_ended": null, "duration": 0, "total_duration": 5600.5,
 "event_timestamp": 1731624045100,
 "target": {"id": 5527348325810176, "type": "user", "name": "Agent", "phone": "+15105550199",
            "email": "agent@example.com", "office_id": 5527348325810000},
 "contact": {"id": 6131436978913280, "type": "local", "name": "Caller", "phone": "+15105550100", "email": ""},
 "entry_point_target": {}, "proxy_target": {}, "group_id": "Office:5527348325810000", "is_transferred": false,
 "was_recorded": false, "labels": [], "recording_details": [], "voicemail_link": null, "transcription_text": null,
 "some_future_field": {"nested": true}}"#;

#[test]
fn the_documented_example_parses_into_its_fields_and_keeps_the_rest() {
    let event = parse(EXAMPLE.as_bytes());
    assert_eq!(event.kind, EventKind::Call);
    assert_eq!(event.target_id, Some(5527348325810176));
    let call = event.call.unwrap();
    assert_eq!(call.call_id, Some(CallId::new(6421977457180672)));
    assert_eq!(call.state, Some(CallState::Connected));
    assert_eq!(call.direction, Some(Direction::Inbound));
    assert_eq!(call.date_connected_ms, Some(1731624045000));
    assert_eq!(call.date_ended_ms, None);
    assert_eq!(call.target.as_ref().unwrap().email.as_deref(), Some("agent@example.com"));
    assert_eq!(call.contact.unwrap().email, None, "an empty string is absent");
    assert_eq!(event.raw["some_future_field"]["nested"], true);
}

#[test]
fn ids_as_strings_and_odd_types_are_tolerated() {
    let event = parse(
        br#"{"call_id": "1002", "state": "ringing", "event_timestamp": 1.7e12, "duration": "x",
        "target": {"id": "42", "type": "user"}, "direction": 7, "recording_details": "not a list"}"#,
    );
    let call = event.call.unwrap();
    assert_eq!(call.call_id, Some(CallId::new(1002)));
    assert_eq!(call.event_timestamp_ms, Some(1_700_000_000_000));
    assert_eq!(call.duration_ms, None);
    assert_eq!(call.direction, Some(Direction::Other("7".into())));
    assert_eq!(event.target_id, Some(42));
    assert!(call.recording_details.is_empty());
}

#[test]
fn kinds_are_told_apart() {
    let cases: &[(&str, EventKind)] = &[
        (r#"{"call_id": 1, "state": "hangup"}"#, EventKind::Call),
        (
            r#"{"id": 9, "direction": "inbound", "from_number": "+1", "to_number": ["+2"], "text": "hi"}"#,
            EventKind::Sms,
        ),
        (r#"{"on_duty_status": "available", "target": {"id": 3}}"#, EventKind::AgentStatus),
        (r#"{"event": "Created", "contact": {"id": "c1"}}"#, EventKind::Contact),
        (r#"{"hello": "world"}"#, EventKind::Unknown),
        (r#"[1, 2, 3]"#, EventKind::Unknown),
        ("not json at all", EventKind::Unknown),
        (r#"{"call_id": null, "state": "voicemail"}"#, EventKind::Call),
        (r#"{"state": "teleported"}"#, EventKind::Unknown),
    ];
    for (payload, kind) in cases {
        assert_eq!(parse(payload.as_bytes()).kind, *kind, "payload {payload}");
    }
    assert_eq!(parse(b"not json at all").raw["_raw"], "not json at all", "kept as text");
    for kind in [
        EventKind::Call,
        EventKind::Sms,
        EventKind::AgentStatus,
        EventKind::Contact,
        EventKind::Unknown,
        EventKind::Connection,
    ] {
        assert_eq!(EventKind::parse(kind.as_str()), kind);
    }
}

#[test]
fn unknown_states_are_kept() {
    let call = parse(br#"{"call_id": 5, "state": "holographic"}"#).call.unwrap();
    let state = call.state.unwrap();
    assert_eq!((state.as_str(), state.phase()), ("holographic", Phase::Unknown));
}

proptest! {
    #[test]
    fn parsing_never_fails(payload in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse(&payload);
    }

    #[test]
    fn any_json_object_with_a_call_id_is_a_call(id in any::<i64>(), extra in "[a-z]{1,8}", value in any::<i32>()) {
        let payload = serde_json::json!({ "call_id": id, extra: value });
        let event = parse(payload.to_string().as_bytes());
        prop_assert_eq!(event.kind, EventKind::Call);
        prop_assert_eq!(event.call.unwrap().call_id, Some(CallId::new(id)));
    }
}
