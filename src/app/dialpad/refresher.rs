//! The refresher: one task per instance that sleeps until the soonest connection falls due
//! (as the store says, so whatever lifetimes Dialpad gives), refreshes what is due, and
//! sleeps again. Every instance runs one and races the others for each due connection; the
//! claims make each rotation happen once, and an instance that lost looks again shortly
//! ([`MIN_WAIT`]), so any instance can take over. A connect on this instance wakes it at
//! once; one made on another instance is seen at the next look, at most [`LOOK_AGAIN`]
//! later (and that instance refreshes it meanwhile).

use std::time::Duration;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::DialpadConnections;

/// The longest the refresher sleeps without reading the schedule again.
const LOOK_AGAIN: Duration = Duration::from_secs(5);
/// The shortest wait between two looks (a due connection being refreshed elsewhere is
/// looked at again this often until its claim ends).
const MIN_WAIT: Duration = Duration::from_millis(200);
/// The most random delay added to each wait.
const JITTER_MS: u64 = 100;
/// The wait after the store could not be read.
const STORE_RETRY: Duration = Duration::from_secs(2);
/// Connections refreshed per pass, and at once.
const BATCH: u32 = 64;
const AT_ONCE: usize = 8;

/// Runs this instance's refresher until `stop`.
pub async fn run_refresher(connections: DialpadConnections, stop: CancellationToken) {
    if connections.oauth().is_none() {
        return;
    }
    loop {
        let wait = match connections.refresh_due().await {
            Ok(wait) => wait,
            Err(err) => {
                tracing::warn!(error = format!("{err:#}"), "dialpad refresher cannot read connections; retrying");
                STORE_RETRY
            }
        };
        // Instances due at the same moment start a little apart, at random: whichever
        // comes first takes the rotation, so any of them can.
        let jitter = Duration::from_millis(rand::random_range(0..JITTER_MS));
        tokio::select! {
            () = tokio::time::sleep(wait + jitter) => {}
            () = connections.inner.wake.notified() => {}
            () = stop.cancelled() => return,
        }
    }
}

impl DialpadConnections {
    /// Refreshes every connection due now; how long until the next one may be.
    async fn refresh_due(&self) -> Result<Duration, crate::ports::StoreError> {
        loop {
            let due = self.inner.repo.due(self.inner.clock.now(), BATCH).await?;
            let full = due.len() == BATCH as usize;
            futures_util::stream::iter(due)
                .for_each_concurrent(AT_ONCE, |app_id| async move {
                    if let Err(err) = self.refresh_if_due(app_id).await {
                        tracing::warn!(app_id = %app_id, error = format!("{err:#}"), "dialpad refresh not done");
                    }
                })
                .await;
            if !full {
                break;
            }
        }
        let next = self.inner.repo.next_due().await?;
        let until_next = next.map_or(LOOK_AGAIN, |at| (at - self.inner.clock.now()).to_std().unwrap_or_default());
        Ok(until_next.clamp(MIN_WAIT, LOOK_AGAIN))
    }
}
