//! EventBus in one process: a broadcast channel per app. A subscriber that falls more than
//! the channel's capacity behind hears `Missed` and recovers from the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use tokio::sync::broadcast;

use crate::adapters::broadcast::stream_of;
use crate::domain::app::AppId;
use crate::ports::{BusMessage, EventBus, StoredEvent};

/// Messages kept per app for subscribers that are behind.
const CAPACITY: usize = 4096;

#[derive(Default)]
pub struct InProcessEventBus {
    channels: Mutex<HashMap<AppId, broadcast::Sender<Arc<StoredEvent>>>>,
}

impl InProcessEventBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// The app's channel, if anyone ever subscribed to it.
    fn channel(&self, app: AppId) -> Option<broadcast::Sender<Arc<StoredEvent>>> {
        self.channels.lock().expect("bus poisoned").get(&app).cloned()
    }
}

#[async_trait]
impl EventBus for InProcessEventBus {
    async fn publish(&self, events: &[StoredEvent]) -> Result<(), anyhow::Error> {
        for event in events {
            // No subscriber is not an error: nobody is listening to this app (and nothing is
            // copied for it).
            if let Some(channel) = self.channel(event.app_id).filter(|c| c.receiver_count() > 0) {
                let _ = channel.send(Arc::new(event.clone()));
            }
        }
        Ok(())
    }

    async fn subscribe(&self, app: AppId) -> Result<BoxStream<'static, BusMessage>, anyhow::Error> {
        let rx = {
            let mut channels = self.channels.lock().expect("bus poisoned");
            channels.entry(app).or_insert_with(|| broadcast::channel(CAPACITY).0).subscribe()
        };
        Ok(stream_of(rx, BusMessage::Missed, |event| Some(BusMessage::Event(event))))
    }
}
