//! Group commit for event appends. A few long-lived writer tasks per instance share one
//! queue: each takes whatever events are waiting (for any app) and stores them in one
//! transaction; events that arrive meanwhile go to the next free writer. A busy instance
//! then costs a few round trips per batch, not per event; with two writers, one batch is
//! written while the previous one commits. The store still serializes each app's appends,
//! so sequence numbers stay gap-free and in commit order (not always arrival order, which
//! Dialpad does not guarantee either).

use std::sync::Arc;

use metrics::Histogram;
use tokio::sync::{mpsc, oneshot};

use crate::app::realtime::Publisher;
use crate::domain::app::AppId;
use crate::ports::{Appended, EventStore, IncomingEvent, StoreError, StoredEvent};

/// How many events one transaction takes at most.
const MAX_BATCH: usize = 512;
/// Events waiting per writer before senders wait (backpressure).
const QUEUE: usize = 8192;

struct Job {
    app_id: AppId,
    event: IncomingEvent,
    reply: oneshot::Sender<Result<Appended, StoreError>>,
}

#[derive(Clone)]
pub struct EventWriter {
    queue: mpsc::Sender<Job>,
}

type SharedQueue = Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>;

impl EventWriter {
    /// Starts `writers` writer tasks (at least one) appending to `store` and announcing what
    /// they stored through `publisher`; they stop when the last clone of this handle is dropped.
    pub fn new(store: Arc<dyn EventStore>, writers: usize, publisher: Publisher, batch_sizes: Histogram) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        let rx: SharedQueue = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..writers.max(1) {
            tokio::spawn(write(store.clone(), rx.clone(), publisher.clone(), batch_sizes.clone()));
        }
        Self { queue }
    }

    /// Appends one event for `app_id`, in the next transaction of the next free writer.
    pub async fn append(&self, app_id: AppId, event: IncomingEvent) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::unexpected(anyhow::anyhow!("event writer stopped"));
        self.queue.send(Job { app_id, event, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// One writer: takes what is queued, up to [`MAX_BATCH`], and stores it.
async fn write(store: Arc<dyn EventStore>, queue: SharedQueue, publisher: Publisher, batch_sizes: Histogram) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        if queue.lock().await.recv_many(&mut jobs, MAX_BATCH).await == 0 {
            return;
        }
        batch_sizes.record(jobs.len() as f64);
        // The events move into the batch; only the reply channels stay behind.
        let (batch, replies): (Vec<(AppId, IncomingEvent)>, Vec<_>) =
            jobs.drain(..).map(|job| ((job.app_id, job.event), job.reply)).unzip();
        match store.append(&batch).await {
            Ok(results) => {
                publisher.announce(stored(&results));
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            // One bad event must not fail its neighbours: retry them one by one.
            Err(StoreError::Unexpected(cause)) if batch.len() > 1 => {
                tracing::warn!(error = format!("{cause:#}"), "batch append failed; retrying events one by one");
                for (reply, single) in replies.into_iter().zip(&batch) {
                    let result = store.append(std::slice::from_ref(single)).await;
                    if let Ok(results) = &result {
                        publisher.announce(stored(results));
                    }
                    let _ = reply.send(result.map(|mut r| r.remove(0)));
                }
            }
            Err(err) => {
                // Each request of the batch gets the failure, with its whole cause chain.
                let err = std::sync::Arc::new(err);
                for reply in replies {
                    let _ = reply.send(Err(StoreError::shared(err.clone())));
                }
            }
        }
    }
}

/// The events of `results` that were stored (not duplicates).
fn stored(results: &[Appended]) -> impl Iterator<Item = StoredEvent> + '_ {
    results.iter().filter_map(|r| match r {
        Appended::Stored(event) => Some(event.clone()),
        Appended::Duplicate => None,
    })
}
