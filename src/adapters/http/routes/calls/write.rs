//! The calls bodies written by hand (see `json::out`): the same bytes as their `Serialize`,
//! which the tests below and tests/api/read_bodies.rs hold them to.

use super::get::CallDetailResponse;
use super::list::CallList;
use super::{CallResponse, EventResponse, PartyResponse};
use crate::adapters::http::json::{Fields, JsonOut, WriteJson};

impl WriteJson for PartyResponse {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.opt_int("id", self.id);
            f.opt_str("type", self.kind.as_deref());
            f.opt_str("name", self.name.as_deref());
            f.opt_str("phone", self.phone.as_deref());
            f.opt_str("email", self.email.as_deref());
        });
    }
}

fn call_fields(c: &CallResponse, f: &mut Fields<'_>) {
    f.int("call_id", c.call_id);
    f.str("state", &c.state);
    f.bool("ended", c.ended);
    f.opt_str("direction", c.direction.as_deref());
    f.opt_str("external_number", c.external_number.as_deref());
    f.opt_str("internal_number", c.internal_number.as_deref());
    f.opt("target", c.target.as_ref());
    f.opt("contact", c.contact.as_ref());
    f.opt_int("master_call_id", c.master_call_id);
    f.opt_int("entry_point_call_id", c.entry_point_call_id);
    f.opt_int("operator_call_id", c.operator_call_id);
    f.time("started_at", &c.started_at);
    f.opt_time("rang_at", c.rang_at.as_ref());
    f.opt_time("connected_at", c.connected_at.as_ref());
    f.opt_time("ended_at", c.ended_at.as_ref());
    f.opt_int("duration_ms", c.duration_ms);
    f.opt_bool("was_recorded", c.was_recorded);
    f.opt_time("last_event_at", c.last_event_at.as_ref());
    f.int("event_count", c.event_count);
    f.int("last_seq", c.last_seq);
}

impl WriteJson for CallResponse {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| call_fields(self, f));
    }
}

impl WriteJson for EventResponse {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.int("seq", self.seq);
            f.str("kind", &self.kind);
            f.opt_int("call_id", self.call_id);
            f.opt_str("state", self.state.as_deref());
            f.opt_int("event_timestamp", self.event_timestamp);
            f.time("received_at", &self.received_at);
            let out = f.key("data");
            if !out.canonical(self.data.0.as_str()) {
                // Stored payloads are JSON (jsonb's text or serde_json's); should one not
                // be, the body still is.
                tracing::error!(seq = self.seq, "a stored payload is not JSON; written as null");
                out.null();
            }
        });
    }
}

impl WriteJson for CallList {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            f.list("calls", &self.calls);
            f.opt_str("next_cursor", self.next_cursor.as_deref());
        });
    }
}

impl WriteJson for CallDetailResponse {
    fn write_json(&self, out: &mut JsonOut) {
        out.object(|f| {
            call_fields(&self.call, f);
            f.list("events", &self.events);
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
    use crate::adapters::http::routes::calls::EventData;
    use crate::ports::PayloadJson;

    fn same_as_serde(value: &(impl WriteJson + Serialize)) {
        let mut out = JsonOut::with_capacity(0);
        value.write_json(&mut out);
        assert_eq!(String::from_utf8(out.into_bytes()).unwrap(), serde_json::to_string(value).unwrap());
    }

    fn time(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    fn party(text: &str, id: Option<i64>) -> PartyResponse {
        PartyResponse {
            id,
            kind: Some("user".into()),
            name: Some(text.into()),
            phone: None,
            email: Some(format!("{text}@x")),
        }
    }

    fn call(text: &str, n: i64, some: bool) -> CallResponse {
        let opt = |v: i64| some.then_some(v);
        CallResponse {
            call_id: n,
            state: text.into(),
            ended: some,
            direction: some.then(|| text.to_owned()),
            external_number: Some(text.into()),
            internal_number: None,
            target: some.then(|| party(text, opt(n))),
            contact: (!some).then(|| party(text, None)),
            master_call_id: opt(n + 1),
            entry_point_call_id: opt(-n),
            operator_call_id: None,
            started_at: time(n.rem_euclid(253_402_300_799_999)),
            rang_at: some.then(|| time(1_750_000_000_123)),
            connected_at: some.then(|| time(1_750_000_001_000)),
            ended_at: None,
            duration_ms: opt(n),
            was_recorded: some.then_some(n % 2 == 0),
            last_event_at: Some(time(1_750_000_002_000)),
            event_count: n,
            last_seq: n,
        }
    }

    proptest! {
        #[test]
        fn a_calls_page_and_a_call_are_written_as_serde_writes_them(text in any::<String>(), n in any::<i64>(), some in any::<bool>()) {
            let page = CallList { calls: vec![call(&text, n, some), call("b", 2, !some)], next_cursor: some.then(|| text.clone()) };
            same_as_serde(&page);
            same_as_serde(&CallList { calls: Vec::new(), next_cursor: None });
            let event = EventResponse {
                seq: n,
                kind: text.clone(),
                call_id: some.then_some(n),
                state: (!some).then(|| text.clone()),
                event_timestamp: Some(n),
                received_at: time(1_750_000_000_001),
                data: EventData(PayloadJson::of(&json!({"text": text, "n": n, "nested": [1.5, null, {"z": true, "a": "\u{1}"}]}))),
            };
            same_as_serde(&CallDetailResponse { call: call(&text, n, some), events: vec![event] });
        }
    }
}
