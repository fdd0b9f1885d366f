//! The calls bodies written by hand (see `json::out`) straight from the domain values: the
//! same bytes as their response types' `Serialize` (`CallResponse`, `EventResponse`, ...),
//! which the tests below and tests/api/read_bodies.rs hold them to.

use chrono::DateTime;

use super::get::CallDetailResponse;
use super::list::{CallList, CallPage};
use crate::adapters::http::json::{Fields, JsonBody, JsonOut, WriteJson, key};
use crate::domain::call::{CallId, CallRecord};
use crate::domain::webhook::Party;
use crate::ports::{CallDetail, PayloadJson, StoredEvent};

/// A page of calls, documented as [`CallList`].
pub type CallPageBody = JsonBody<CallPage, CallList>;
/// A call and its events, documented as [`CallDetailResponse`].
pub type CallDetailBody = JsonBody<CallDetail, CallDetailResponse>;

impl WriteJson for Party {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.opt_int(key!("id"), self.id);
            f.opt_str(key!("type"), self.kind.as_deref());
            f.opt_str(key!("name"), self.name.as_deref());
            f.opt_str(key!("phone"), self.phone.as_deref());
            f.opt_str(key!("email"), self.email.as_deref());
        });
    }
}

/// The fields of a [`super::CallResponse`].
fn call_fields(c: &CallRecord, f: &mut Fields<'_>) {
    f.int(key!("call_id"), c.call_id.get());
    f.str(key!("state"), c.state.as_str());
    f.bool(key!("ended"), c.ended);
    f.opt_str(key!("direction"), c.direction.as_ref().map(|d| d.as_str()));
    f.opt_str(key!("external_number"), c.external_number.as_deref());
    f.opt_str(key!("internal_number"), c.internal_number.as_deref());
    f.opt(key!("target"), c.target.as_ref());
    f.opt(key!("contact"), c.contact.as_ref());
    f.opt_int(key!("master_call_id"), c.master_call_id.map(CallId::get));
    f.opt_int(key!("entry_point_call_id"), c.entry_point_call_id.map(CallId::get));
    f.opt_int(key!("operator_call_id"), c.operator_call_id.map(CallId::get));
    f.time(key!("started_at"), &c.started_at);
    f.opt_time(key!("rang_at"), c.rang_at.as_ref());
    f.opt_time(key!("connected_at"), c.connected_at.as_ref());
    f.opt_time(key!("ended_at"), c.ended_at.as_ref());
    f.opt_int(key!("duration_ms"), c.duration_ms);
    f.opt_bool(key!("was_recorded"), c.was_recorded);
    f.opt_time(key!("last_event_at"), DateTime::from_timestamp_millis(c.last_event_at_ms).as_ref());
    f.int(key!("event_count"), c.event_count);
    f.int(key!("last_seq"), c.last_seq.get());
}

impl WriteJson for CallRecord {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| call_fields(self, f));
    }
}

/// Written as an [`super::EventResponse`].
impl WriteJson for StoredEvent<PayloadJson> {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.int(key!("seq"), self.seq.get());
            f.str(key!("kind"), self.kind.as_str());
            f.opt_int(key!("call_id"), self.call_id.map(CallId::get));
            f.opt_str(key!("state"), self.state.as_ref().map(|s| s.as_str()));
            f.opt_int(key!("event_timestamp"), self.event_timestamp_ms);
            f.time(key!("received_at"), &self.received_at);
            let out = f.key(key!("data"));
            if !out.canonical(self.payload.as_str()) {
                // Stored payloads are JSON (jsonb's text or serde_json's); should one not
                // be, the body still is.
                tracing::error!(seq = self.seq.get(), "a stored payload is not JSON; written as null");
                out.null();
            }
        });
    }
}

/// Written as a [`CallList`].
impl WriteJson for CallPage {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.list(key!("calls"), &self.calls);
            f.opt_str(key!("next_cursor"), self.next_cursor.as_deref());
        });
    }
}

/// Written as a [`CallDetailResponse`].
impl WriteJson for CallDetail {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            call_fields(&self.call, f);
            f.list(key!("events"), &self.events);
        });
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;
    use serde::Serialize;
    use serde_json::json;

    use super::*;
    use crate::adapters::http::routes::calls::{CallResponse, EventResponse};
    use crate::domain::call::EventSeq;
    use crate::domain::webhook::{CallState, Direction, EventKind};

    /// What the writer writes for `value` is what serde writes for its response type.
    fn same_as_serde(value: &impl WriteJson, response: &impl Serialize) {
        let mut out = JsonOut::with_capacity(0);
        value.write_json(&mut out);
        assert_eq!(String::from_utf8(out.into_bytes()).unwrap(), serde_json::to_string(response).unwrap());
    }

    fn time(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    fn party(text: &str, id: Option<i64>) -> Party {
        let phone = id.map(|_| format!("+1{text}"));
        Party { id, kind: Some("user".into()), name: Some(text.into()), phone, email: Some(format!("{text}@x")) }
    }

    fn call(text: &str, n: i64, some: bool) -> CallRecord {
        let opt = |v: i64| some.then_some(v);
        CallRecord {
            call_id: CallId::new(n),
            state: CallState::parse(text),
            state_at_ms: n,
            ended: some,
            direction: some.then(|| Direction::parse(text)),
            external_number: Some(text.into()),
            internal_number: (!some).then(|| format!("{text}-internal")),
            target: some.then(|| party(text, opt(n))),
            contact: (!some).then(|| party(text, None)),
            master_call_id: opt(n.wrapping_add(1)).map(CallId::new),
            entry_point_call_id: opt(n.wrapping_neg()).map(CallId::new),
            operator_call_id: (!some).then_some(CallId::new(n ^ 1)),
            started_at: time(n.rem_euclid(253_402_300_799_999)),
            rang_at: some.then(|| time(1_750_000_000_123)),
            connected_at: some.then(|| time(1_750_000_001_000)),
            ended_at: (!some).then(|| time(1_750_000_003_000)),
            duration_ms: opt(n),
            was_recorded: some.then_some(n % 2 == 0),
            // Any millisecond count, some of them beyond what a timestamp can hold (null).
            last_event_at_ms: n,
            event_count: n,
            last_seq: EventSeq::new(n),
        }
    }

    fn page(calls: Vec<CallRecord>, next_cursor: Option<String>) -> (CallPage, CallList) {
        let list = CallList {
            calls: calls.iter().cloned().map(CallResponse::from).collect(),
            next_cursor: next_cursor.clone(),
        };
        (CallPage { calls, next_cursor }, list)
    }

    proptest! {
        #[test]
        fn a_calls_page_and_a_call_are_written_as_serde_writes_them(text in any::<String>(), n in any::<i64>(), some in any::<bool>()) {
            let (written, documented) = page(vec![call(&text, n, some), call("b", 2, !some)], some.then(|| text.clone()));
            same_as_serde(&written, &documented);
            let (written, documented) = page(Vec::new(), None);
            same_as_serde(&written, &documented);
            let event = StoredEvent {
                app_id: crate::domain::app::AppId::generate(),
                target_id: None,
                seq: EventSeq::new(n),
                kind: EventKind::parse(&text),
                call_id: some.then_some(CallId::new(n)),
                state: (!some).then(|| CallState::parse(&text)),
                event_timestamp_ms: Some(n),
                received_at: time(1_750_000_000_001),
                payload: PayloadJson::of(&json!({"text": text, "n": n, "nested": [1.5, null, {"z": true, "a": "\u{1}"}]})),
            };
            let detail = CallDetail { call: call(&text, n, some), events: vec![event.clone()] };
            let documented = CallDetailResponse { call: detail.call.clone().into(), events: vec![EventResponse::from(event)] };
            same_as_serde(&detail, &documented);
        }
    }
}
