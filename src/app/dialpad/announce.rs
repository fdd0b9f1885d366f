//! Connection changes on the app's live stream: a `connection` message carrying the new
//! status (`active`, `refresh_failed`, `reauth_required`, `disconnected`), stored through the
//! event writer like any event, so every instance's streams deliver it in order and a
//! stream resuming with `since=` gets it too. Announcing is best effort: the status itself
//! is always readable from the admin API.

use serde_json::json;
use uuid::Uuid;

use super::DialpadConnections;
use crate::domain::app::AppId;
use crate::domain::dialpad::{Connection, ConnectionStatus};
use crate::domain::webhook::{DialpadEvent, EventKind};
use crate::ports::IncomingEvent;

/// What a connection became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    Now(ConnectionStatus),
    Disconnected,
}

impl DialpadConnections {
    /// Announces that the app's connection became `change` (from `previous`, if it existed).
    pub(super) async fn announce(
        &self,
        app_id: AppId,
        change: Change,
        connection: &Connection,
        previous: Option<ConnectionStatus>,
    ) {
        let now = self.inner.clock.now();
        let status = match change {
            Change::Now(status) => status.as_str(),
            Change::Disconnected => "disconnected",
        };
        let payload = json!({
            "status": status,
            "previous_status": previous.map(|p| p.as_str()),
            "dialpad_company_id": connection.identity.company_id,
            "dialpad_user_id": connection.identity.user_id,
            "last_error": connection.last_error,
            "at": now,
        });
        let event = IncomingEvent {
            dedup_key: format!("connection:{}", Uuid::new_v4()),
            event: DialpadEvent { kind: EventKind::Connection, call: None, target_id: None, raw: payload },
            received_at: now,
        };
        if let Err(err) = self.inner.writer.append(app_id, event).await {
            tracing::warn!(
                app_id = %app_id,
                status,
                error = format!("{err:#}"),
                "the connection change could not be put on the app's stream"
            );
        }
    }
}
