//! The per-app route: POST /webhooks/dialpad/{app_id}, signed with one of the app's secrets.

use std::time::Instant;

use tracing::instrument;

use super::{IngestError, IngestOutcome, Webhooks};
use crate::domain::app::AppId;
use crate::domain::webhook::{SignatureError, Verified, verify};
use crate::ports::Appended;

impl Webhooks {
    /// Verifies and stores a webhook for `app_id`. Only a bad signature, an unknown app or an
    /// inactive app is refused; a verified event is stored whatever it contains.
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn ingest(
        &self,
        app_id: AppId,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<IngestOutcome, IngestError> {
        let started = Instant::now();
        self.metrics.received_per_app.increment(1);
        let result = self.ingest_for_app(app_id, body, signature).await;
        self.record(&result);
        self.metrics.ingest_seconds.record(started.elapsed().as_secs_f64());
        result
    }

    async fn ingest_for_app(
        &self,
        app_id: AppId,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<IngestOutcome, IngestError> {
        self.apps.cached_active(app_id).await?;
        let verified = self.verify_for_app(app_id, body, signature).await?;
        self.metrics.verified.increment(1);
        let incoming = self.prepare(&verified.payload);
        match self.writer.append(app_id, incoming).await? {
            Appended::Stored(event) => Ok(IngestOutcome::Stored(vec![event])),
            Appended::Duplicate => Ok(IngestOutcome::Duplicate),
        }
    }

    /// Verifies with the app's cached secrets; a mismatch reloads them once, in case a
    /// rotation happened on another instance.
    async fn verify_for_app(
        &self,
        app_id: AppId,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Verified, IngestError> {
        let now = self.clock.now();
        let cached = self.secrets.usable(app_id, false).await?;
        match verify(body, signature, &cached.valid_at(now)) {
            Err(SignatureError::Mismatch) => {
                let fresh = self.secrets.usable(app_id, true).await?;
                verify(body, signature, &fresh.valid_at(now)).map_err(IngestError::Signature)
            }
            other => other.map_err(IngestError::Signature),
        }
    }
}
