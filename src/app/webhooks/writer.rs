//! Group commit for event appends. Each app has at most one writer task per instance; the
//! events that arrive for that app while a transaction commits are written together by the
//! next one. One busy app then costs a few round trips per batch, not per event, and its
//! appends still serialize in the store (sequence numbers stay gap-free and in commit
//! order). Idle writers exit; a burst starts one again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics::Histogram;
use tokio::sync::{mpsc, oneshot};

use crate::domain::app::AppId;
use crate::ports::{Appended, EventStore, IncomingEvent, StoreError};

/// How many events one transaction takes at most.
const MAX_BATCH: usize = 256;
/// Events waiting per app before senders wait (backpressure).
const QUEUE: usize = 4096;
/// How long an idle writer stays.
const IDLE: Duration = Duration::from_secs(30);

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

struct Job {
    event: IncomingEvent,
    reply: Reply,
}

#[derive(Clone)]
pub struct EventWriter {
    store: Arc<dyn EventStore>,
    queues: Arc<Mutex<HashMap<AppId, mpsc::Sender<Job>>>>,
    batch_sizes: Histogram,
}

impl EventWriter {
    pub fn new(store: Arc<dyn EventStore>, batch_sizes: Histogram) -> Self {
        Self { store, queues: Arc::default(), batch_sizes }
    }

    /// Appends one event for `app_id`, together with whatever else is queued for that app.
    pub async fn append(&self, app_id: AppId, event: IncomingEvent) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { event, reply };
        loop {
            let queue = self.queue(app_id);
            match queue.send(job).await {
                Ok(()) => break,
                // That writer just went idle and closed: start another.
                Err(mpsc::error::SendError(returned)) => {
                    self.forget(app_id, &queue);
                    job = returned;
                }
            }
        }
        answer.await.map_err(|_| StoreError::unexpected(anyhow::anyhow!("event writer stopped before answering")))?
    }

    fn queue(&self, app_id: AppId) -> mpsc::Sender<Job> {
        let mut queues = self.queues.lock().expect("writer queues poisoned");
        if let Some(queue) = queues.get(&app_id).filter(|q| !q.is_closed()) {
            return queue.clone();
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        queues.insert(app_id, tx.clone());
        tokio::spawn(self.clone().write(app_id, rx));
        tx
    }

    fn forget(&self, app_id: AppId, closed: &mpsc::Sender<Job>) {
        let mut queues = self.queues.lock().expect("writer queues poisoned");
        if queues.get(&app_id).is_some_and(|q| q.same_channel(closed)) {
            queues.remove(&app_id);
        }
    }

    /// The writer of one app: takes what is queued, up to [`MAX_BATCH`], and writes it.
    async fn write(self, app_id: AppId, mut rx: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            match tokio::time::timeout(IDLE, rx.recv_many(&mut batch, MAX_BATCH)).await {
                Ok(0) => return,
                Ok(_) => self.flush(app_id, &mut batch).await,
                Err(_idle) => {
                    // Refuse new jobs, then finish any that slipped in before the close.
                    rx.close();
                    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                        self.flush(app_id, &mut batch).await;
                    }
                    return;
                }
            }
        }
    }

    async fn flush(&self, app_id: AppId, batch: &mut Vec<Job>) {
        self.batch_sizes.record(batch.len() as f64);
        let events: Vec<IncomingEvent> = batch.iter().map(|job| job.event.clone()).collect();
        match self.store.append(app_id, &events).await {
            Ok(results) => {
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
            }
            // One bad event must not fail its neighbours: retry them one by one.
            Err(StoreError::Unexpected(cause)) if batch.len() > 1 => {
                tracing::warn!(app_id = %app_id, error = format!("{cause:#}"), "batch append failed; retrying events one by one");
                for job in batch.drain(..) {
                    let result = self.store.append(app_id, std::slice::from_ref(&job.event)).await;
                    let _ = job.reply.send(result.map(|mut r| r.remove(0)));
                }
            }
            Err(err) => {
                let message = format!("{err:#}");
                let unavailable = matches!(err, StoreError::Unavailable(_));
                for job in batch.drain(..) {
                    let copy = anyhow::anyhow!("{message}");
                    let _ = job.reply.send(Err(if unavailable {
                        StoreError::Unavailable(copy)
                    } else {
                        StoreError::Unexpected(copy)
                    }));
                }
            }
        }
    }
}
