//! The call state machine: in order, out of order, late and duplicate states, post-call.

use proptest::prelude::*;

use super::*;

fn event(state: &str, ts: i64) -> CallEvent {
    CallEvent {
        call_id: Some(CallId::new(77)),
        state: Some(CallState::parse(state)),
        event_timestamp_ms: Some(ts),
        date_started_ms: Some(1_000),
        ..CallEvent::default()
    }
}

/// Folds events in the given order, as the store would (increasing sequence numbers).
fn fold(events: &[CallEvent]) -> CallRecord {
    let mut record = CallRecord::start(&events[0], EventSeq::new(1), 0).unwrap();
    for (i, e) in events.iter().enumerate().skip(1) {
        record.apply(e, EventSeq::new(i as i64 + 1), 0);
    }
    record
}

#[test]
fn a_call_in_order_ends_hung_up_with_its_times() {
    let connected = CallEvent { date_connected_ms: Some(3_000), ..event("connected", 3_000) };
    let hangup = CallEvent { date_ended_ms: Some(9_000), duration_ms: Some(6_000), ..event("hangup", 9_000) };
    let call = fold(&[event("ringing", 2_000), connected, hangup]);
    assert_eq!(
        (call.state.clone(), call.ended, call.event_count, call.last_seq.get()),
        (CallState::Hangup, true, 3, 3)
    );
    assert_eq!(call.connected_at.unwrap().timestamp_millis(), 3_000);
    assert_eq!(call.ended_at.unwrap().timestamp_millis(), 9_000);
    assert_eq!(call.duration_ms, Some(6_000));
    assert_eq!(call.started_at.timestamp_millis(), 1_000);
}

#[test]
fn a_late_ringing_never_reopens_an_ended_call() {
    let call = fold(&[event("connected", 3_000), event("hangup", 9_000), event("ringing", 2_000)]);
    assert_eq!((call.state, call.ended), (CallState::Hangup, true));
    let call = fold(&[event("hangup", 9_000), event("ringing", 12_000)]);
    assert_eq!(call.state, CallState::Hangup, "even with a later timestamp");
}

#[test]
fn within_a_phase_the_newest_event_wins() {
    assert_eq!(fold(&[event("connected", 3_000), event("hold", 4_000)]).state, CallState::Hold);
    assert_eq!(fold(&[event("hold", 4_000), event("connected", 3_000)]).state, CallState::Hold);
    assert_eq!(fold(&[event("hold", 4_000), event("connected", 5_000)]).state, CallState::Connected);
}

#[test]
fn post_call_states_mark_the_end_without_hiding_how_it_ended() {
    let call = fold(&[event("hangup", 9_000), event("transcription", 20_000)]);
    assert_eq!((call.state, call.ended), (CallState::Hangup, true));
    let call = fold(&[event("connected", 3_000), event("recap_summary", 30_000)]);
    assert_eq!((call.state, call.ended), (CallState::RecapSummary, true), "no hangup was ever delivered");
    let call = fold(&[event("voicemail", 9_000), event("voicemail_uploaded", 15_000)]);
    assert_eq!(call.state, CallState::Voicemail);
}

#[test]
fn unknown_states_fold_their_data_but_not_their_state() {
    let odd = CallEvent { external_number: Some("+1555".into()), ..event("teleported", 5_000) };
    let call = fold(&[event("ringing", 2_000), odd]);
    assert_eq!((call.state, call.external_number.as_deref()), (CallState::Ringing, Some("+1555")));
}

#[test]
fn older_events_only_fill_gaps() {
    let newer = CallEvent { external_number: Some("+new".into()), ..event("connected", 5_000) };
    let older = CallEvent {
        external_number: Some("+old".into()),
        internal_number: Some("+internal".into()),
        ..event("ringing", 2_000)
    };
    let call = fold(&[newer, older]);
    assert_eq!(call.external_number.as_deref(), Some("+new"));
    assert_eq!(call.internal_number.as_deref(), Some("+internal"));
}

#[test]
fn missing_times_fall_back_and_the_target_user_is_known() {
    let bare = CallEvent {
        call_id: Some(CallId::new(1)),
        target: Some(Party { id: Some(42), kind: Some("user".into()), ..Party::default() }),
        ..CallEvent::default()
    };
    let call = CallRecord::start(&bare, EventSeq::new(1), 5_000).unwrap();
    assert_eq!((call.started_at.timestamp_millis(), call.last_event_at_ms), (5_000, 5_000));
    assert_eq!(call.target_user_id(), Some(42));
    assert!(CallRecord::start(&CallEvent::default(), EventSeq::new(1), 0).is_none(), "no call id, no record");
    let office = CallEvent {
        target: Some(Party { id: Some(9), kind: Some("office".into()), ..Party::default() }),
        ..bare.clone()
    };
    assert_eq!(CallRecord::start(&office, EventSeq::new(1), 0).unwrap().target_user_id(), None);
}

proptest! {
    #[test]
    fn the_final_state_does_not_depend_on_delivery_order(order in Just(vec![0usize, 1, 2, 3, 4]).prop_shuffle()) {
        let events = [
            event("ringing", 2_000),
            event("connected", 3_000),
            event("hold", 4_000),
            event("connected", 5_000),
            event("hangup", 9_000),
        ];
        let shuffled: Vec<CallEvent> = order.iter().map(|&i| events[i].clone()).collect();
        let call = fold(&shuffled);
        prop_assert_eq!(call.state, CallState::Hangup);
        prop_assert!(call.ended);
        prop_assert_eq!(call.last_event_at_ms, 9_000);
        prop_assert_eq!(call.event_count, 5);
    }
}
