//! last_used_at, off the request path: a successful authentication notes the key at most
//! once a minute per key on this instance; a background writer stores it. A full queue drops
//! the note rather than slowing a request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::domain::api_key::KeyId;
use crate::ports::ApiKeyRepository;

const EVERY: Duration = Duration::seconds(60);
const QUEUE: usize = 1024;

#[derive(Clone)]
pub struct LastUsed {
    noted: Arc<Mutex<HashMap<KeyId, DateTime<Utc>>>>,
    queue: mpsc::Sender<(KeyId, DateTime<Utc>)>,
}

impl LastUsed {
    /// The tracker and the receiving end for [`run_last_used_writer`].
    pub fn new() -> (Self, mpsc::Receiver<(KeyId, DateTime<Utc>)>) {
        let (queue, rx) = mpsc::channel(QUEUE);
        (Self { noted: Arc::default(), queue }, rx)
    }

    /// Notes a use of `key_id` at `now` unless one was noted within the last minute.
    pub fn note(&self, key_id: &KeyId, now: DateTime<Utc>) {
        let mut noted = self.noted.lock().expect("last-used map poisoned");
        if noted.get(key_id).is_some_and(|&at| now - at < EVERY) {
            return;
        }
        if noted.len() >= 10_000 {
            noted.retain(|_, at| now - *at < EVERY);
        }
        noted.insert(key_id.clone(), now);
        let _ = self.queue.try_send((key_id.clone(), now));
    }
}

/// Writes noted uses until `stop`, then writes what is still queued.
pub async fn run_last_used_writer(
    mut rx: mpsc::Receiver<(KeyId, DateTime<Utc>)>,
    keys: Arc<dyn ApiKeyRepository>,
    stop: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            next = rx.recv() => next,
            () = stop.cancelled() => {
                rx.close();
                rx.recv().await
            }
        };
        let Some((key_id, at)) = next else { return };
        if let Err(err) = keys.record_last_used(&key_id, at).await {
            tracing::debug!(key_id = %key_id, error = format!("{err:#}"), "last_used_at not recorded");
        }
    }
}
