//! Screen pop on ringing: when an inbound call's `ringing` event is stored for a Dialpad
//! user the app maps, and the app has a `screen_pop_url` template, that URL (filled from the
//! call) pops on the user's Dialpad. Once per call across every instance (a put-once marker
//! in the SessionStore, whichever instance stored the event first), after the commit and
//! off the webhook's answer. A failed pop is logged and counted, never retried: a retry
//! storm against Dialpad's 5-a-minute limit would only fail more.

use std::sync::Arc;
use std::time::Duration;

use super::DialpadConnections;
use crate::app::webhooks::AfterStored;
use crate::domain::dialpad::PopValues;
use crate::domain::webhook::{CallState, EventKind};
use crate::ports::{DialpadApi, StoredEvent};

/// How long a call is remembered as popped.
const POPPED_FOR: Duration = Duration::from_secs(24 * 3600);

impl AfterStored for DialpadConnections {
    fn stored(&self, events: &[StoredEvent]) {
        if self.inner.api.is_none() {
            return;
        }
        for event in events.iter().filter(|e| rings_inbound(e)) {
            let (this, event) = (self.clone(), event.clone());
            tokio::spawn(async move { this.pop_on_ring(&event).await });
        }
    }
}

/// An inbound call's `ringing` event for a Dialpad user.
fn rings_inbound(event: &StoredEvent) -> bool {
    event.kind == EventKind::Call
        && event.state == Some(CallState::Ringing)
        && event.call_id.is_some()
        && event.target_id.is_some()
        && event.payload["direction"].as_str() == Some("inbound")
}

impl DialpadConnections {
    async fn pop_on_ring(&self, event: &StoredEvent) {
        let outcome = self.try_pop_on_ring(event).await;
        (self.inner.metrics.ring_pops)(outcome).increment(1);
    }

    /// What became of the pop: `popped`, `skipped` (nothing to pop, or popped already),
    /// `limited` or `failed`.
    async fn try_pop_on_ring(&self, event: &StoredEvent) -> &'static str {
        let app_id = event.app_id;
        let (Some(call_id), Some(user)) = (event.call_id, event.target_id) else { return "skipped" };
        let Ok(app) = self.inner.apps.cached(app_id).await else { return "skipped" };
        let Some(template) = app.screen_pop_url else { return "skipped" };
        let Ok(mapping) = self.inner.mappings.get(app_id, user).await else { return "skipped" };
        let marker = format!("screen-pop:{app_id}:{call_id}");
        match self.inner.sessions.put_new(&marker, "1", POPPED_FOR).await {
            Ok(true) => {}
            Ok(false) => return "skipped",
            Err(err) => {
                tracing::warn!(app_id = %app_id, call_id = call_id.get(), error = %err, "screen pop skipped: cannot tell whether the call was popped");
                return "failed";
            }
        }
        let text = |key: &str| event.payload[key].as_str().map(str::to_owned);
        let values = PopValues {
            external_number: text("external_number"),
            internal_number: text("internal_number"),
            call_id: Some(call_id.get()),
            dialpad_user_id: Some(user.get()),
            app_user_id: Some(mapping.app_user_id.as_str().to_owned()),
            direction: text("direction"),
        };
        let url = match template.fill(&values) {
            Ok(url) => url,
            Err(err) => {
                tracing::warn!(app_id = %app_id, call_id = call_id.get(), error = %err, "screen pop skipped: the template did not give a URL");
                return "failed";
            }
        };
        if self.per_user("pops", user).await.is_err() {
            tracing::warn!(app_id = %app_id, call_id = call_id.get(), "screen pop skipped: the user had 5 in the last minute");
            return "limited";
        }
        let pop = move |api: Arc<dyn DialpadApi>, token| async move {
            api.screen_pop(&token, &user.to_string(), url.as_str()).await
        };
        match self.act(app_id, "screen_pop", 1, pop).await {
            Ok(_) => {
                tracing::info!(app_id = %app_id, call_id = call_id.get(), dialpad_user_id = %user, "screen popped for a ringing call");
                "popped"
            }
            Err(err) => {
                tracing::warn!(app_id = %app_id, call_id = call_id.get(), error = %err, "screen pop for a ringing call failed; not retried");
                "failed"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::{Value, json};

    use super::*;
    use crate::domain::app::AppId;
    use crate::domain::call::{CallId, EventSeq};
    use crate::domain::user_mapping::DialpadUserId;

    fn event(state: &str, direction: Value) -> StoredEvent {
        StoredEvent {
            app_id: AppId::generate(),
            seq: EventSeq::new(1),
            kind: EventKind::Call,
            call_id: Some(CallId::new(7)),
            state: Some(CallState::parse(state)),
            event_timestamp_ms: Some(1),
            target_id: DialpadUserId::new(5).ok(),
            payload: json!({ "direction": direction }),
            received_at: Utc::now(),
        }
    }

    #[test]
    fn only_inbound_ringing_calls_pop() {
        assert!(rings_inbound(&event("ringing", json!("inbound"))));
        assert!(!rings_inbound(&event("ringing", json!("outbound"))));
        assert!(!rings_inbound(&event("connected", json!("inbound"))));
        assert!(!rings_inbound(&StoredEvent { target_id: None, ..event("ringing", json!("inbound")) }));
    }
}
