//! Announcing stored events on the bus, off the ingest path: the writers hand over what
//! they committed and return at once; one task publishes in batches. A lost announcement
//! delays delivery, never loses it: hubs notice the sequence gap at the app's next event
//! (or on reconnect) and read the store.

use std::sync::Arc;

use metrics::Counter;
use tokio::sync::mpsc;

use crate::ports::{EventBus, StoredEvent};

/// Stored events waiting to be announced; beyond this they are dropped (and recovered).
const BACKLOG: usize = 16_384;
/// Events per publish call.
const BATCH: usize = 256;

#[derive(Clone)]
pub struct Publisher {
    queue: mpsc::Sender<StoredEvent>,
    dropped: Counter,
}

impl Publisher {
    /// Starts the publishing task; it ends when every handle is dropped.
    pub fn start(bus: Arc<dyn EventBus>, dropped: Counter) -> Self {
        let (queue, rx) = mpsc::channel(BACKLOG);
        tokio::spawn(publish(bus, rx, dropped.clone()));
        Self { queue, dropped }
    }

    /// Queues committed events for announcement, never waiting.
    pub fn announce(&self, events: impl IntoIterator<Item = StoredEvent>) {
        for event in events {
            if self.queue.try_send(event).is_err() {
                self.dropped.increment(1);
            }
        }
    }
}

async fn publish(bus: Arc<dyn EventBus>, mut queue: mpsc::Receiver<StoredEvent>, dropped: Counter) {
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        if let Err(err) = bus.publish(&batch).await {
            dropped.increment(batch.len() as u64);
            tracing::warn!(
                error = format!("{err:#}"),
                events = batch.len(),
                "publishing events failed; streams will catch up from the store"
            );
        }
        batch.clear();
    }
}
