//! The old server's route: POST /webhooks/dialpad, signed with the global
//! DIALPAD_WEBHOOK_SECRET. The event's Dialpad target is looked up in the user mappings;
//! every active app that maps it gets the event, and an event no app claims is kept as
//! unrouted, never dropped.

use std::time::Instant;

use secrecy::ExposeSecret;
use tracing::instrument;

use super::{IngestError, IngestOutcome, Webhooks};
use crate::app::apps::AppLookupError;
use crate::domain::user_mapping::DialpadUserId;
use crate::domain::webhook::{SignatureError, verify};
use crate::ports::Appended;

impl Webhooks {
    #[instrument(skip_all)]
    pub async fn ingest_legacy(&self, body: &[u8], signature: Option<&str>) -> Result<IngestOutcome, IngestError> {
        let started = Instant::now();
        self.metrics.received_legacy.increment(1);
        let result = self.route_legacy(body, signature).await;
        self.record(&result);
        self.metrics.ingest_seconds.record(started.elapsed().as_secs_f64());
        result
    }

    async fn route_legacy(&self, body: &[u8], signature: Option<&str>) -> Result<IngestOutcome, IngestError> {
        let Some(secret) = &self.legacy_secret else {
            tracing::warn!("legacy webhook refused: DIALPAD_WEBHOOK_SECRET is not set");
            return Err(IngestError::Signature(SignatureError::Mismatch));
        };
        let verified = verify(body, signature, &[secret.expose_secret().as_slice()]).map_err(IngestError::Signature)?;
        self.metrics.verified.increment(1);
        let incoming = self.prepare(&verified.payload);

        let mut apps = Vec::new();
        if let Some(user) = incoming.event.target_id.and_then(|id| DialpadUserId::new(id).ok()) {
            for app_id in self.mappings.apps_for(user).await? {
                match self.apps.cached_active(app_id).await {
                    Ok(_) => apps.push(app_id),
                    Err(AppLookupError::NotFound | AppLookupError::Inactive) => {}
                    Err(AppLookupError::Store(err)) => return Err(IngestError::Store(err)),
                }
            }
        }
        if apps.is_empty() {
            let new = self.store.append_unrouted(&incoming).await?;
            tracing::info!(target_id = ?incoming.event.target_id, new, "webhook claimed by no app: kept as unrouted");
            return Ok(IngestOutcome::Unrouted { new });
        }
        // Queued together, so they share one transaction rather than committing in turn.
        let appends = apps.into_iter().map(|app_id| self.writer.append(app_id, incoming.clone()));
        let stored: Vec<_> = futures_util::future::try_join_all(appends)
            .await?
            .into_iter()
            .filter_map(|appended| match appended {
                Appended::Stored(event) => Some(event),
                Appended::Duplicate => None,
            })
            .collect();
        Ok(if stored.is_empty() { IngestOutcome::Duplicate } else { IngestOutcome::Stored(stored) })
    }
}
