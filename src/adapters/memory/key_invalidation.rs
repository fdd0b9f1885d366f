//! KeyInvalidation in one process: a broadcast channel. A receiver that lags (missed
//! notices) gets `All`, so nothing stale survives.

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use tokio::sync::broadcast;

use crate::adapters::broadcast::stream_of;
use crate::domain::app::AppId;
use crate::ports::{Invalidation, KeyInvalidation};

pub struct InProcessKeyInvalidation {
    tx: broadcast::Sender<Invalidation>,
}

impl Default for InProcessKeyInvalidation {
    fn default() -> Self {
        Self { tx: broadcast::channel(1024).0 }
    }
}

impl InProcessKeyInvalidation {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl KeyInvalidation for InProcessKeyInvalidation {
    async fn publish(&self, app: AppId) -> Result<(), anyhow::Error> {
        // No receiver is not an error: nobody caches anything yet.
        let _ = self.tx.send(Invalidation::App(app));
        Ok(())
    }

    fn subscribe(&self) -> BoxStream<'static, Invalidation> {
        // A lag becomes `All`.
        stream_of(self.tx.subscribe(), Invalidation::All, Some)
    }
}
