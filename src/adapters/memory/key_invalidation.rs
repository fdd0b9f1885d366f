//! KeyInvalidation in one process: a broadcast channel. A receiver that lags (missed
//! notices) gets `All`, so nothing stale survives.

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use tokio::sync::broadcast;

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

/// A broadcast receiver as a stream; a lag becomes `All`.
fn notices(rx: broadcast::Receiver<Invalidation>) -> BoxStream<'static, Invalidation> {
    stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(notice) => Some((notice, rx)),
            Err(broadcast::error::RecvError::Lagged(_)) => Some((Invalidation::All, rx)),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    })
    .boxed()
}

#[async_trait]
impl KeyInvalidation for InProcessKeyInvalidation {
    async fn publish(&self, app: AppId) -> Result<(), anyhow::Error> {
        // No receiver is not an error: nobody caches anything yet.
        let _ = self.tx.send(Invalidation::App(app));
        Ok(())
    }

    fn subscribe(&self) -> BoxStream<'static, Invalidation> {
        notices(self.tx.subscribe())
    }
}
