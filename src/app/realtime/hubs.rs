//! The hubs of this instance, one per app with connected streams, each run by its own task.
//! A hub is created on its app's first connection (subscribe to the bus, then read the
//! store's last sequence number, so nothing falls in between) and closed once it has had no
//! member for a while. A closed hub refuses joins, and a stream that finds one joins the
//! app's next hub, so no stream ever waits on a hub that is going away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use metrics::Counter;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use super::hub::{Hub, Membership, Received};
use crate::domain::app::AppId;
use crate::domain::stream::StreamFilter;
use crate::ports::{BusMessage, EventBus, EventStore, StoreError};

/// How long a hub without members lives on (a reconnecting client finds it still there).
const IDLE_FOR: Duration = Duration::from_secs(30);
/// How soon a failed catch-up is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Why a stream could not join.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("the event bus is unavailable")]
    Bus(#[source] anyhow::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Hubs {
    inner: Arc<Inner>,
}

/// An app's place in the registry: its hub once created. Creating it (a bus subscription and
/// a store read) happens in the slot, outside the registry lock, so joins to other apps, and
/// to hubs that exist, never wait for it.
type Slot = Arc<OnceCell<Arc<Hub>>>;

struct Inner {
    hubs: Mutex<HashMap<AppId, Slot>>,
    bus: Arc<dyn EventBus>,
    store: Arc<dyn EventStore>,
    stop: CancellationToken,
    slow_cut: Counter,
}

impl Hubs {
    /// Hub tasks end when `stop` is cancelled.
    pub fn new(bus: Arc<dyn EventBus>, store: Arc<dyn EventStore>, stop: CancellationToken, slow_cut: Counter) -> Self {
        Self { inner: Arc::new(Inner { hubs: Default::default(), bus, store, stop, slow_cut }) }
    }

    /// Joins the app's hub, creating it if needed.
    pub async fn join(
        &self,
        app_id: AppId,
        filter: StreamFilter,
        queue_size: usize,
        max_behind: u64,
    ) -> Result<Membership, JoinError> {
        loop {
            let slot = self.inner.hubs.lock().expect("hubs poisoned").entry(app_id).or_default().clone();
            let hub = slot.get_or_try_init(|| self.create(app_id)).await?;
            if let Some(membership) = hub.join(filter.clone(), queue_size, max_behind) {
                return Ok(membership);
            }
            // It closed between the lookup and the join: the next round finds or makes a new one.
            self.forget(app_id, hub);
        }
    }

    /// Subscribes first, then reads the store: no event can fall in between.
    async fn create(&self, app_id: AppId) -> Result<Arc<Hub>, JoinError> {
        let bus = self.inner.bus.subscribe(app_id).await.map_err(JoinError::Bus)?;
        let last = self.inner.store.last_seq(app_id).await?;
        let hub = Hub::new(app_id, last, self.inner.slow_cut.clone());
        tokio::spawn(run(self.clone(), app_id, hub.clone(), bus));
        Ok(hub)
    }

    /// Closes the app's hub if it has no member, and forgets it; `true` when closed.
    fn remove_if_idle(&self, app_id: AppId, hub: &Arc<Hub>) -> bool {
        let closed = hub.close(true);
        if closed {
            self.forget(app_id, hub);
        }
        closed
    }

    /// Drops the app's slot if it holds this hub.
    fn forget(&self, app_id: AppId, hub: &Arc<Hub>) {
        let mut hubs = self.inner.hubs.lock().expect("hubs poisoned");
        if hubs.get(&app_id).and_then(|slot| slot.get()).is_some_and(|h| Arc::ptr_eq(h, hub)) {
            hubs.remove(&app_id);
        }
    }
}

/// A hub's task: bus events in, gaps filled from the store, until idle or stopped.
async fn run(hubs: Hubs, app_id: AppId, hub: Arc<Hub>, mut bus: BoxStream<'static, BusMessage>) {
    let store = hubs.inner.store.clone();
    let mut behind = false;
    let mut retry = tokio::time::interval(RETRY_AFTER);
    let mut idle_check = tokio::time::interval(IDLE_FOR);
    idle_check.reset();
    loop {
        let catch_up = tokio::select! {
            message = bus.next() => match message {
                Some(BusMessage::Event(event)) => hub.receive(&event) == Received::Gap,
                Some(BusMessage::Missed) => true,
                None => break,
            },
            _ = retry.tick(), if behind => true,
            _ = idle_check.tick() => {
                if hubs.remove_if_idle(app_id, &hub) {
                    return;
                }
                false
            }
            () = hubs.inner.stop.cancelled() => break,
        };
        if catch_up {
            behind = match hub.catch_up(store.as_ref()).await {
                Ok(()) => false,
                Err(err) => {
                    tracing::warn!(%app_id, error = %err, "live feed behind: cannot read missed events; retrying");
                    true
                }
            };
        }
    }
    hub.close(false);
    hubs.forget(app_id, &hub);
}
