//! One app's live feed on this instance: a single bus subscription whose events are put in
//! sequence order, gap-free, and handed to each of the app's connected streams.
//!
//! The hub keeps the last sequence number it dispatched. An event right after it is
//! dispatched; an older one is a duplicate and dropped; a newer one means events are missing
//! (published by another instance and still on their way, or lost in a Redis blip), and the
//! hub reads them from the store first. Sequence numbers are given under a per-app lock and
//! published after commit, so an event seen on the bus proves every earlier one is stored.
//!
//! Each stream has a bounded queue and dispatch never waits, so one slow client never slows
//! the others or makes memory grow. A queue that fills (hundreds of events handed over at
//! once after a Redis outage, when the hub catches up or the bus delivers what it held)
//! marks its stream *behind*: the hub stops pushing to it, and the stream reads what it
//! missed from the store at its own pace, then rejoins (see `open.rs`). Only a stream that
//! falls further behind than it may (the replay limit) is cut, its connection closed with
//! 1008: that client cannot keep up with the live rate.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::Counter;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use super::messages::Frame;
use crate::domain::app::AppId;
use crate::domain::call::EventSeq;
use crate::domain::stream::StreamFilter;
use crate::ports::{EventStore, StoreError, StoredEvent};

/// Events read from the store per round trip when filling a gap.
const CATCH_UP_PAGE: u32 = 500;

pub(super) struct Hub {
    app_id: AppId,
    state: Mutex<HubState>,
    slow_cut: Counter,
}

struct HubState {
    /// The last sequence number dispatched: every member has been given all events up to it.
    last: EventSeq,
    members: HashMap<u64, Member>,
    next_id: u64,
    /// The hub's task has ended (idle or stopped): nobody may join any more.
    closed: bool,
}

struct Member {
    filter: StreamFilter,
    queue: mpsc::Sender<Arc<Frame>>,
    cut: CancellationToken,
    behind: Arc<Behind>,
    /// How far behind the hub the member may fall before it is cut.
    max_behind: i64,
}

/// Set by the hub when a member's queue filled: the member reads the store itself until
/// it rejoins, saying how far it has read.
#[derive(Default)]
pub struct Behind {
    flag: AtomicBool,
    notify: Notify,
    /// The last sequence number the member has (read from the store, or had queued).
    position: AtomicI64,
}

impl Behind {
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Completes once the hub marks the member behind (at once if it already did).
    pub async fn notified(&self) {
        self.notify.notified().await;
    }

    fn set(&self, position: EventSeq) {
        self.position.store(position.get(), Ordering::Release);
        self.flag.store(true, Ordering::Release);
        self.notify.notify_one();
    }
}

/// A stream's place in a hub: its queue of frames after `live_from`, the token cancelled
/// when the hub cuts it for being too slow, and whether it is behind. Dropping it leaves
/// the hub.
pub struct Membership {
    hub: Arc<Hub>,
    id: u64,
    pub live_from: EventSeq,
    pub frames: mpsc::Receiver<Arc<Frame>>,
    pub cut: CancellationToken,
    pub behind: Arc<Behind>,
}

/// Where a member stands when it asks to rejoin the live feed.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejoin {
    /// Live again: every event after what it read will be pushed to it.
    Live,
    /// The hub is further: read the store up to at least this sequence number first.
    Behind(EventSeq),
    /// The hub closed.
    Gone,
}

impl Membership {
    /// Rejoins the live feed once the member has read the store through `read_through`.
    pub fn rejoin(&self, read_through: EventSeq) -> Rejoin {
        let state = self.hub.state.lock().expect("hub poisoned");
        let Some(member) = state.members.get(&self.id) else { return Rejoin::Gone };
        if state.last <= read_through {
            member.behind.flag.store(false, Ordering::Release);
            Rejoin::Live
        } else {
            Rejoin::Behind(state.last)
        }
    }

    /// Records how far a member behind has read the store.
    pub fn progress(&self, read_through: EventSeq) {
        self.behind.position.fetch_max(read_through.get(), Ordering::AcqRel);
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.hub.state.lock().expect("hub poisoned").members.remove(&self.id);
    }
}

/// What a bus event did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Received {
    Dispatched,
    Duplicate,
    /// Events before it are missing: catch up from the store.
    Gap,
}

impl Hub {
    pub(super) fn new(app_id: AppId, last: EventSeq, slow_cut: Counter) -> Arc<Self> {
        Arc::new(Self {
            app_id,
            state: Mutex::new(HubState { last, members: HashMap::new(), next_id: 0, closed: false }),
            slow_cut,
        })
    }

    /// Joins: every event after the returned `live_from` will be in the queue, in order.
    /// `None` when the hub has closed (join the app's next hub instead).
    /// A member more than `max_behind` events behind is cut.
    pub(super) fn join(
        self: &Arc<Self>,
        filter: StreamFilter,
        queue_size: usize,
        max_behind: u64,
    ) -> Option<Membership> {
        let mut state = self.state.lock().expect("hub poisoned");
        if state.closed {
            return None;
        }
        let (queue, frames) = mpsc::channel(queue_size.max(1));
        let cut = CancellationToken::new();
        let behind = Arc::new(Behind::default());
        let id = state.next_id;
        state.next_id += 1;
        let max_behind = i64::try_from(max_behind).unwrap_or(i64::MAX);
        state.members.insert(id, Member { filter, queue, cut: cut.clone(), behind: behind.clone(), max_behind });
        Some(Membership { hub: self.clone(), id, live_from: state.last, frames, cut, behind })
    }

    /// Closes the hub; `idle_only`: only if it has no member. Members' queues end (their
    /// streams then close). `true` when closed.
    pub(super) fn close(&self, idle_only: bool) -> bool {
        let mut state = self.state.lock().expect("hub poisoned");
        if idle_only && !state.members.is_empty() {
            return false;
        }
        state.closed = true;
        state.members.clear();
        true
    }

    /// Takes one event from the bus.
    pub(super) fn receive(&self, event: &StoredEvent) -> Received {
        let mut state = self.state.lock().expect("hub poisoned");
        if event.seq <= state.last {
            return Received::Duplicate;
        }
        if event.seq > state.last.next() {
            return Received::Gap;
        }
        self.dispatch(&mut state, event);
        Received::Dispatched
    }

    /// Reads from the store everything after the last dispatched event and dispatches it.
    /// Only the hub's own task calls this (and `receive`), so `last` cannot move meanwhile.
    pub(super) async fn catch_up(&self, store: &dyn EventStore) -> Result<(), StoreError> {
        loop {
            let last = self.state.lock().expect("hub poisoned").last;
            let events = store.events_after(self.app_id, last, CATCH_UP_PAGE).await?;
            let full_page = events.len() == CATCH_UP_PAGE as usize;
            let mut state = self.state.lock().expect("hub poisoned");
            for event in &events {
                if event.seq == state.last.next() {
                    self.dispatch(&mut state, event);
                }
            }
            // A short page is the end; a full one without progress would be a broken store.
            if !full_page || state.last == last {
                return Ok(());
            }
        }
    }

    /// Hands `event` to every member that wants it. A full queue marks the member behind; a
    /// member further behind than it may be is cut.
    fn dispatch(&self, state: &mut HubState, event: &StoredEvent) {
        state.last = event.seq;
        if state.members.is_empty() {
            return;
        }
        let frame = Frame::of(event);
        let last = state.last;
        state.members.retain(|_, member| {
            if member.behind.is_set() {
                if last.get().saturating_sub(member.behind.position.load(Ordering::Acquire)) <= member.max_behind {
                    return true;
                }
                self.slow_cut.increment(1);
                member.cut.cancel();
                return false;
            }
            if !member.filter.matches(&frame.event_type, frame.target_id) {
                return true;
            }
            match member.queue.try_send(frame.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    member.behind.set(EventSeq::new(event.seq.get() - 1));
                    true
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
    }
}
