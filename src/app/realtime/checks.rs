//! The one task that checks open streams' keys against storage: an app's keys after each
//! notice about it (notices that arrive together make one check), everything every
//! `sweep_every` (so a notice lost to a failed Redis publish cannot keep a revoked key's
//! stream open for longer than that, as the key cache's TTL bounds a cached key), and, while
//! storage cannot answer, the apps that failed again with backoff for as long as they have
//! open streams.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::credentials::Credentials;
use crate::domain::app::AppId;
use crate::ports::Invalidation;

/// Apps checked at once.
const CONCURRENT_CHECKS: usize = 8;
const RETRY_FROM: Duration = Duration::from_secs(1);
const RETRY_UP_TO: Duration = Duration::from_secs(30);

/// Runs until `stop`.
pub async fn run_credential_checks(credentials: Credentials, sweep_every: Duration, stop: CancellationToken) {
    let mut sweep = tokio::time::interval(sweep_every);
    sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
    sweep.reset();
    let mut failed: HashSet<AppId> = HashSet::new();
    let mut retry_at: Option<Instant> = None;
    let mut backoff = RETRY_FROM;
    loop {
        let due = credentials.take_due();
        let failures: Vec<AppId> = futures_util::stream::iter(due)
            .map(|check| {
                let credentials = &credentials;
                async move {
                    let result = credentials.run_check(&check).await;
                    result.err().map(|err| {
                        tracing::warn!(app_id = %check.app_id, error = %err, "cannot check open streams' keys; retrying");
                        check.app_id
                    })
                }
            })
            .buffer_unordered(CONCURRENT_CHECKS)
            .filter_map(std::future::ready)
            .collect()
            .await;
        if failures.is_empty() && failed.is_empty() {
            backoff = RETRY_FROM;
        }
        if !failures.is_empty() {
            failed.extend(failures);
            retry_at.get_or_insert_with(|| Instant::now() + backoff);
        }
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            () = credentials.woken() => {}
            _ = sweep.tick() => credentials.changed(Invalidation::All),
            () = tokio::time::sleep_until(retry_at.unwrap_or_else(Instant::now)), if retry_at.is_some() => {
                for app in failed.drain() {
                    credentials.changed(Invalidation::App(app));
                }
                retry_at = None;
                backoff = (backoff * 2).min(RETRY_UP_TO);
            }
        }
    }
}
