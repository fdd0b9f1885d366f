//! Grace expiry: rotated-out keys stop working at their `expires_at` by the cached check's
//! own bound; this sweeper records the `expired` audit event and tells every instance.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::ApiKeys;
use crate::ports::StoreError;

impl ApiKeys {
    /// Expires every grace key that is due; returns how many.
    pub async fn expire_due(&self) -> Result<usize, StoreError> {
        let expired = self.keys.expire_due(self.clock.now()).await?;
        for key in &expired {
            tracing::info!(app_id = %key.app_id, key_id = %key.key_id, "api key grace period ended");
            self.freshness.app_changed(key.app_id).await;
        }
        Ok(expired.len())
    }
}

/// Runs [`ApiKeys::expire_due`] every `every` until `stop`.
pub async fn run_expiry_sweeper(keys: ApiKeys, every: Duration, stop: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(err) = keys.expire_due().await {
                    tracing::warn!(error = format!("{err:#}"), "api key expiry sweep failed");
                }
            }
            () = stop.cancelled() => return,
        }
    }
}
