//! EventStore in memory: per-app logs behind one mutex, so an append is atomic and appends
//! serialize exactly as the Postgres transactions do. Folding into calls and voicemails uses
//! the same domain functions as the Postgres adapter.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use uuid::Uuid;

use crate::domain::app::AppId;
use crate::domain::call::{self, CallId, CallRecord, EventSeq};
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::user_mapping::DialpadUserId;
use crate::domain::voicemail::{self, Voicemail, VoicemailNotice};
use crate::ports::{
    Appended, CallCursor, CallDetail, CallFilter, EventStore, IncomingEvent, MAX_CALL_EVENTS, PayloadJson, StoreError,
    StoredEvent, UnroutedEvent, VoicemailCursor, VoicemailFilter,
};

#[derive(Default)]
pub struct MemoryEventStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    apps: HashMap<AppId, AppLog>,
    unrouted: Vec<UnroutedEvent>,
    unrouted_keys: HashSet<String>,
}

#[derive(Default)]
struct AppLog {
    events: Vec<StoredEvent>,
    dedup: HashSet<String>,
    calls: HashMap<CallId, CallRecord>,
    voicemails: Vec<Voicemail>,
}

impl MemoryEventStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("event store poisoned")
    }
}

fn in_range<T: PartialOrd>(value: T, since: Option<T>, until: Option<T>) -> bool {
    since.is_none_or(|s| value >= s) && until.is_none_or(|u| value < u)
}

fn targets(filter: &Option<Vec<DialpadUserId>>, target: Option<i64>) -> bool {
    filter.as_ref().is_none_or(|users| target.is_some_and(|t| users.iter().any(|u| u.get() == t)))
}

#[async_trait]
impl EventStore for MemoryEventStore {
    async fn append(&self, batch: &[(AppId, IncomingEvent)]) -> Result<Vec<Appended>, StoreError> {
        let mut state = self.lock();
        let mut results = Vec::with_capacity(batch.len());
        for (app_id, incoming) in batch {
            let app_id = *app_id;
            let log = state.apps.entry(app_id).or_default();
            if !log.dedup.insert(incoming.dedup_key.clone()) {
                results.push(Appended::Duplicate);
                continue;
            }
            let seq = EventSeq::new(log.events.len() as i64 + 1);
            let event = incoming.stored(app_id, seq);
            let received_ms = incoming.received_at.timestamp_millis();
            if let Some(call) = &incoming.event.call {
                if let Some(id) = call.call_id {
                    call::fold(&mut log.calls, id, call, seq, received_ms);
                }
                if let Some(notice) = VoicemailNotice::from_call_event(call) {
                    voicemail::fold(&mut log.voicemails, &notice, seq, incoming.received_at, Uuid::new_v4());
                }
            }
            log.events.push(event.clone());
            results.push(Appended::Stored(event));
        }
        Ok(results)
    }

    async fn append_unrouted(&self, incoming: &IncomingEvent) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.unrouted_keys.insert(incoming.dedup_key.clone()) {
            return Ok(false);
        }
        let id = state.unrouted.len() as i64 + 1;
        state.unrouted.push(UnroutedEvent {
            id,
            kind: incoming.event.kind,
            target_id: incoming.event.target_id,
            payload: incoming.event.raw.clone(),
            received_at: incoming.received_at,
        });
        Ok(true)
    }

    async fn unrouted(&self, limit: PageLimit, before: Option<i64>) -> Result<Page<UnroutedEvent>, StoreError> {
        let state = self.lock();
        let rows = state
            .unrouted
            .iter()
            .rev()
            .filter(|e| before.is_none_or(|b| e.id < b))
            .take(limit.probe() as usize)
            .cloned()
            .collect();
        Ok(Page::from_probe(rows, limit))
    }

    async fn events_after(&self, app_id: AppId, after: EventSeq, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let state = self.lock();
        let Some(log) = state.apps.get(&app_id) else { return Ok(Vec::new()) };
        let start = usize::try_from(after.get().max(0)).unwrap_or(usize::MAX).min(log.events.len());
        Ok(log.events[start..].iter().take(limit as usize).cloned().collect())
    }

    async fn last_seq(&self, app_id: AppId) -> Result<EventSeq, StoreError> {
        Ok(self.lock().apps.get(&app_id).map_or(EventSeq::ZERO, |log| EventSeq::new(log.events.len() as i64)))
    }

    async fn calls(
        &self,
        app_id: AppId,
        filter: &CallFilter,
        limit: PageLimit,
        after: Option<CallCursor>,
    ) -> Result<Page<CallRecord>, StoreError> {
        let state = self.lock();
        let Some(log) = state.apps.get(&app_id) else { return Ok(Page { items: Vec::new(), has_more: false }) };
        let mut rows: Vec<CallRecord> = log
            .calls
            .values()
            .filter(|c| filter.state.as_ref().is_none_or(|s| *s == c.state))
            .filter(|c| filter.direction.as_ref().is_none_or(|d| Some(d) == c.direction.as_ref()))
            .filter(|c| targets(&filter.target_users, c.target_user_id()))
            .filter(|c| in_range(c.started_at, filter.since, filter.until))
            .filter(|c| after.is_none_or(|a| (c.started_at, c.call_id) < (a.started_at, a.call_id)))
            .cloned()
            .collect();
        rows.sort_by_key(|c| std::cmp::Reverse((c.started_at, c.call_id)));
        rows.truncate(limit.probe() as usize);
        Ok(Page::from_probe(rows, limit))
    }

    async fn call(&self, app_id: AppId, call_id: CallId) -> Result<Option<CallDetail>, StoreError> {
        let state = self.lock();
        let Some(log) = state.apps.get(&app_id) else { return Ok(None) };
        let Some(call) = log.calls.get(&call_id) else { return Ok(None) };
        let events = log
            .events
            .iter()
            .filter(|e| e.call_id == Some(call_id))
            .take(MAX_CALL_EVENTS as usize)
            .map(|e| e.clone().map_payload(|payload| PayloadJson::of(&payload)))
            .collect();
        Ok(Some(CallDetail { call: call.clone(), events }))
    }

    async fn voicemails(
        &self,
        app_id: AppId,
        filter: &VoicemailFilter,
        limit: PageLimit,
        after: Option<VoicemailCursor>,
    ) -> Result<Page<Voicemail>, StoreError> {
        let state = self.lock();
        let Some(log) = state.apps.get(&app_id) else { return Ok(Page { items: Vec::new(), has_more: false }) };
        let mut rows: Vec<Voicemail> = log
            .voicemails
            .iter()
            .filter(|v| targets(&filter.target_users, v.target_id))
            .filter(|v| in_range(v.sort_at(), filter.since, filter.until))
            .filter(|v| after.is_none_or(|a| (v.sort_at(), v.id) < (a.sort_at, a.id)))
            .cloned()
            .collect();
        rows.sort_by_key(|v| std::cmp::Reverse((v.sort_at(), v.id)));
        rows.truncate(limit.probe() as usize);
        Ok(Page::from_probe(rows, limit))
    }

    async fn voicemail(&self, app_id: AppId, id: Uuid) -> Result<Option<Voicemail>, StoreError> {
        Ok(self.lock().apps.get(&app_id).and_then(|log| log.voicemails.iter().find(|v| v.id == id).cloned()))
    }
}
