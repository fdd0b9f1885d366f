//! Webhook ingest: verify Dialpad's signature (per-app secrets, or the legacy global one),
//! parse tolerantly, store exactly once through the group-commit writer, and answer fast.
//! Also the per-app webhook secrets and the list of events no app claimed.

mod ingest;
mod legacy;
mod secrets;
mod unrouted;
mod writer;

use std::sync::Arc;

use metrics::{Counter, Histogram};
use secrecy::SecretBox;
pub use secrets::{IssuedSecret, SecretSet, WebhookSecretError, WebhookSecrets};
pub use writer::EventWriter;

use crate::app::apps::{AppLookupError, Apps};
use crate::domain::webhook::{EventKind, SignatureError, dedup_key, parse};
use crate::ports::{Clock, EventStore, IncomingEvent, StoreError, StoredEvent, UserMappingRepository};

/// What ingesting a webhook did.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestOutcome {
    /// New events, one per app that received it.
    Stored(Vec<StoredEvent>),
    /// Every app that should have it already had it.
    Duplicate,
    /// No app claims it (legacy route); kept as unrouted. `false` when kept before.
    Unrouted { new: bool },
}

/// Why a webhook was not ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("app not found")]
    AppNotFound,
    #[error("app is inactive")]
    AppInactive,
    #[error("invalid webhook signature: {0}")]
    Signature(SignatureError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AppLookupError> for IngestError {
    fn from(err: AppLookupError) -> Self {
        match err {
            AppLookupError::NotFound => Self::AppNotFound,
            AppLookupError::Inactive => Self::AppInactive,
            AppLookupError::Store(err) => Self::Store(err),
        }
    }
}

/// Acts on events once they are stored (after the commit), without delaying the webhook's
/// answer: implementations spawn what takes time.
pub trait AfterStored: Send + Sync {
    fn stored(&self, events: &[StoredEvent]);
}

/// Counters and timings of the ingest path, registered once by the wiring.
#[derive(Clone)]
pub struct WebhookMetrics {
    pub received_per_app: Counter,
    pub received_legacy: Counter,
    pub verified: Counter,
    /// Refusals by reason (signature error, unknown_app, inactive_app, storage_unavailable).
    pub rejected: Arc<dyn Fn(&str) -> Counter + Send + Sync>,
    /// Stored events by kind.
    pub stored: Arc<dyn Fn(EventKind) -> Counter + Send + Sync>,
    pub duplicates: Counter,
    pub unrouted: Counter,
    pub ingest_seconds: Histogram,
}

/// What the webhook capability needs from the outside.
pub struct WebhookPorts {
    pub mappings: Arc<dyn UserMappingRepository>,
    pub store: Arc<dyn EventStore>,
    pub clock: Arc<dyn Clock>,
}

/// The other capabilities it works with: the app directory, the writer that stores events,
/// and the apps' webhook secrets.
pub struct WebhookPeers {
    pub apps: Apps,
    pub writer: EventWriter,
    pub secrets: WebhookSecrets,
}

/// The webhook capability.
#[derive(Clone)]
pub struct Webhooks {
    apps: Apps,
    mappings: Arc<dyn UserMappingRepository>,
    store: Arc<dyn EventStore>,
    writer: EventWriter,
    secrets: WebhookSecrets,
    /// DIALPAD_WEBHOOK_SECRET: the legacy route's secret; `None` refuses that route.
    legacy_secret: Option<Arc<SecretBox<Vec<u8>>>>,
    clock: Arc<dyn Clock>,
    metrics: WebhookMetrics,
    /// What happens after events are stored (the screen pop on ringing).
    after_stored: Option<Arc<dyn AfterStored>>,
}

impl Webhooks {
    pub fn new(
        ports: WebhookPorts,
        peers: WebhookPeers,
        legacy_secret: Option<Vec<u8>>,
        metrics: WebhookMetrics,
    ) -> Self {
        let WebhookPorts { mappings, store, clock } = ports;
        let WebhookPeers { apps, writer, secrets } = peers;
        let legacy_secret = legacy_secret.map(|s| Arc::new(SecretBox::new(Box::new(s))));
        Self { apps, mappings, store, writer, secrets, legacy_secret, clock, metrics, after_stored: None }
    }

    /// Hands every batch of stored events to `after`.
    pub fn after_stored(mut self, after: Arc<dyn AfterStored>) -> Self {
        self.after_stored = Some(after);
        self
    }

    pub fn secrets(&self) -> &WebhookSecrets {
        &self.secrets
    }

    /// A verified payload, parsed and keyed for storage.
    fn prepare(&self, payload: &[u8]) -> IncomingEvent {
        let event = parse(payload);
        let dedup_key = dedup_key(&event, payload);
        IncomingEvent { dedup_key, event, received_at: self.clock.now() }
    }

    /// Counts an outcome once, whichever route it came from, and hands stored events on.
    fn record(&self, result: &Result<IngestOutcome, IngestError>) {
        match result {
            Ok(IngestOutcome::Stored(events)) => {
                for event in events {
                    (self.metrics.stored)(event.kind).increment(1);
                }
                if let Some(after) = &self.after_stored {
                    after.stored(events);
                }
            }
            Ok(IngestOutcome::Duplicate) => self.metrics.duplicates.increment(1),
            Ok(IngestOutcome::Unrouted { .. }) => self.metrics.unrouted.increment(1),
            Err(IngestError::Signature(reason)) => (self.metrics.rejected)(reason.as_str()).increment(1),
            Err(IngestError::AppNotFound) => (self.metrics.rejected)("unknown_app").increment(1),
            Err(IngestError::AppInactive) => (self.metrics.rejected)("inactive_app").increment(1),
            Err(IngestError::Store(_)) => (self.metrics.rejected)("storage_unavailable").increment(1),
        }
    }
}
