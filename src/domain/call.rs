//! Calls: one record per Dialpad call leg, folded from its events in any order. The state
//! machine moves only forward through phases (setup, live, ended, post-call), so a `ringing`
//! delivered late after `hangup` never reopens an ended call; within a phase the newest
//! event wins. An event newer than every one folded so far sets the other fields; an older
//! one only fills fields still empty.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;

use chrono::{DateTime, Utc};

use super::webhook::{CallEvent, CallState, Direction, Party, Phase};

/// Dialpad's id of a call leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CallId(i64);

impl CallId {
    pub const fn new(id: i64) -> Self {
        Self(id)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

impl std::str::FromStr for CallId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The per-app sequence number of a stored event: gap-free, in commit order, from 1 (0 is
/// "before the first event").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct EventSeq(i64);

impl EventSeq {
    /// Before the app's first event.
    pub const ZERO: Self = Self(0);

    pub const fn new(seq: i64) -> Self {
        Self(seq)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// The number after this one.
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }

    /// How many numbers follow `earlier` up to this one (0 if it is not earlier).
    pub fn since(self, earlier: Self) -> u64 {
        u64::try_from(self.0 - earlier.0).unwrap_or(0)
    }
}

impl std::fmt::Display for EventSeq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A call as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub call_id: CallId,
    /// The call's lifecycle state (see the module doc).
    pub state: CallState,
    /// Event time (ms) of the event that set `state`.
    pub state_at_ms: i64,
    pub ended: bool,
    pub direction: Option<Direction>,
    pub external_number: Option<String>,
    pub internal_number: Option<String>,
    pub target: Option<Party>,
    pub contact: Option<Party>,
    pub master_call_id: Option<CallId>,
    pub entry_point_call_id: Option<CallId>,
    pub operator_call_id: Option<CallId>,
    /// When the call began: `date_started`, else the first event seen.
    pub started_at: DateTime<Utc>,
    pub rang_at: Option<DateTime<Utc>>,
    pub connected_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub was_recorded: Option<bool>,
    /// Newest event time (ms) folded in.
    pub last_event_at_ms: i64,
    pub event_count: i64,
    /// Sequence number of the last event folded in.
    pub last_seq: EventSeq,
}

/// An event time, if it is one the server can keep (see `domain::time`).
fn at(ms: i64) -> Option<DateTime<Utc>> {
    crate::domain::time::from_millis(ms)
}

impl CallRecord {
    /// The record of a call from its first event; `None` without a call id.
    /// `received_ms` stands in for missing event times.
    pub fn start(event: &CallEvent, seq: EventSeq, received_ms: i64) -> Option<Self> {
        let call_id = event.call_id?;
        let ts = event.event_timestamp_ms.unwrap_or(received_ms);
        let state = event.state.clone().unwrap_or_else(|| CallState::Other("unknown".to_owned()));
        let mut record = Self {
            call_id,
            ended: state.phase() >= Phase::Ended,
            state,
            state_at_ms: ts,
            direction: None,
            external_number: None,
            internal_number: None,
            target: None,
            contact: None,
            master_call_id: None,
            entry_point_call_id: None,
            operator_call_id: None,
            started_at: event
                .date_started_ms
                .and_then(at)
                .or_else(|| at(ts))
                .or_else(|| at(received_ms))
                .unwrap_or(DateTime::UNIX_EPOCH),
            rang_at: None,
            connected_at: None,
            ended_at: None,
            duration_ms: None,
            was_recorded: None,
            last_event_at_ms: ts,
            event_count: 0,
            last_seq: seq,
        };
        record.fold_fields(event, ts, true);
        record.event_count = 1;
        Some(record)
    }

    /// Folds a later-stored event (whatever its event time) into the record.
    pub fn apply(&mut self, event: &CallEvent, seq: EventSeq, received_ms: i64) {
        let ts = event.event_timestamp_ms.unwrap_or(received_ms);
        if let Some(state) = &event.state {
            self.advance(state, ts);
        }
        let newest = ts >= self.last_event_at_ms;
        self.fold_fields(event, ts, newest);
        self.last_event_at_ms = self.last_event_at_ms.max(ts);
        self.event_count += 1;
        self.last_seq = self.last_seq.max(seq);
    }

    /// The state machine: forward through phases; within a phase, the newest event.
    /// Post-call states (transcripts, surveys) mark the call ended without hiding how it
    /// ended, unless no end was seen at all.
    fn advance(&mut self, state: &CallState, ts: i64) {
        let (current, incoming) = (self.state.phase(), state.phase());
        let moves = match incoming {
            Phase::Unknown => false,
            Phase::PostCall => current < Phase::Ended || (current == Phase::PostCall && ts >= self.state_at_ms),
            _ => incoming > current || (incoming == current && ts >= self.state_at_ms),
        };
        if moves {
            self.state = state.clone();
            self.state_at_ms = ts;
        }
        if incoming >= Phase::Ended {
            self.ended = true;
            if self.ended_at.is_none() && incoming == Phase::Ended {
                self.ended_at = at(ts);
            }
        }
    }

    /// Takes the event's values: all of them if it is the newest, else only where the record
    /// has none yet.
    fn fold_fields(&mut self, e: &CallEvent, ts: i64, newest: bool) {
        fill(&mut self.direction, &e.direction, newest);
        fill(&mut self.external_number, &e.external_number, newest);
        fill(&mut self.internal_number, &e.internal_number, newest);
        fill(&mut self.target, &e.target, newest);
        fill(&mut self.contact, &e.contact, newest);
        fill(&mut self.master_call_id, &e.master_call_id, newest);
        fill(&mut self.entry_point_call_id, &e.entry_point_call_id, newest);
        fill(&mut self.operator_call_id, &e.operator_call_id, newest);
        fill(&mut self.rang_at, &e.date_rang_ms.and_then(at), newest);
        fill(&mut self.connected_at, &e.date_connected_ms.and_then(at), newest);
        fill(&mut self.ended_at, &e.date_ended_ms.and_then(at), newest);
        fill(&mut self.was_recorded, &e.was_recorded, newest);
        if let Some(duration) = e.duration_ms.filter(|d| *d > 0) {
            fill(&mut self.duration_ms, &Some(duration), newest);
        }
        if let Some(started) = e.date_started_ms.and_then(at) {
            self.started_at = started;
        } else if ts < self.last_event_at_ms
            && let Some(earlier) = at(ts).filter(|t| *t < self.started_at)
        {
            // No date_started anywhere yet: the earliest event stands in for it.
            self.started_at = earlier;
        }
    }

    /// The Dialpad user on the Dialpad side of the call, when the target is a user.
    pub fn target_user_id(&self) -> Option<i64> {
        self.target.as_ref().filter(|t| t.kind.as_deref().is_none_or(|k| k == "user")).and_then(|t| t.id)
    }
}

#[cfg(test)]
mod tests;

/// Copies `value` into `slot` when it has one and either `replace` is asked or `slot` is
/// still empty: how records take what later events tell them.
pub(crate) fn fill<T: Clone>(slot: &mut Option<T>, value: &Option<T>, replace: bool) {
    if value.is_some() && (replace || slot.is_none()) {
        slot.clone_from(value);
    }
}

/// Folds one call event into its app's calls: applied to the call it names, or starting it.
pub fn fold<K: Eq + Hash>(
    calls: &mut HashMap<K, CallRecord>,
    key: K,
    event: &CallEvent,
    seq: EventSeq,
    received_ms: i64,
) {
    match calls.entry(key) {
        Entry::Occupied(mut call) => call.get_mut().apply(event, seq, received_ms),
        Entry::Vacant(slot) => {
            if let Some(record) = CallRecord::start(event, seq, received_ms) {
                slot.insert(record);
            }
        }
    }
}
