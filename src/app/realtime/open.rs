//! Opening a stream: resolve its filter, join the app's hub, read the store's last sequence
//! number (`head`), then decide from `since` what to replay. Joining first means every event
//! after the hub's position comes through the hub; the store has every event up to `head`;
//! live events up to `head` are skipped. Replay and live meet with no gap and no overlap.
//!
//! A stream the hub marked *behind* (its queue filled during a catch-up) empties its queue,
//! then reads what follows from the store, a page at a time as the client takes it, and
//! rejoins the hub once it has read as far as the hub has dispatched. Events it gets twice
//! (from the store and the hub) are dropped by sequence number. The hub cuts a stream that
//! falls more than the replay limit behind: it could not keep up with the live rate.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;
use tokio_util::sync::CancellationToken;

use super::hub::Rejoin;
use super::hubs::JoinError;
use super::messages::{self, Frame};
use super::{Membership, Realtime};
use crate::domain::app::AppId;
use crate::domain::call::EventSeq;
use crate::domain::stream::{Resume, StreamFilter, resume};
use crate::domain::user_mapping::AppUserId;
use crate::ports::{EventStore, StoreError};

/// Events a behind stream reads from the store at a time.
const BEHIND_PAGE: u32 = 256;
/// The wait before reading the store again after it failed.
const BEHIND_RETRY: Duration = Duration::from_secs(1);

/// Why a stream could not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Join(#[from] JoinError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a stream sends before going live.
#[derive(Debug)]
pub enum Start {
    /// Stored events to send first (already filtered), possibly none.
    Replay(Vec<Arc<Frame>>),
    /// A reset message: `since` could not be replayed.
    Reset(String),
}

/// An open stream: the hello, what to send before going live, then [`Stream::next`].
pub struct Stream {
    pub hello: String,
    pub start: Start,
    membership: Membership,
    /// The last sequence number handed out (or replayed): anything at or below is a repeat.
    position: EventSeq,
    /// While behind: what the store gave, and how far it was read.
    catch_up: CatchUp,
}

struct CatchUp {
    store: Arc<dyn EventStore>,
    app_id: AppId,
    filter: StreamFilter,
    frames: VecDeque<Arc<Frame>>,
    read_through: EventSeq,
}

impl Stream {
    /// The next frame, in sequence order; `None` when the feed stopped. Cancel-safe: a
    /// cancelled call loses nothing.
    pub async fn next(&mut self) -> Option<Arc<Frame>> {
        loop {
            if let Some(frame) = self.catch_up.frames.pop_front() {
                if frame.seq > self.position {
                    self.position = frame.seq;
                    return Some(frame);
                }
                continue;
            }
            let frame = if self.membership.behind.is_set() {
                match self.membership.frames.try_recv() {
                    Ok(frame) => frame,
                    Err(TryRecvError::Disconnected) => return None,
                    Err(TryRecvError::Empty) => {
                        self.read_behind().await?;
                        continue;
                    }
                }
            } else {
                tokio::select! {
                    frame = self.membership.frames.recv() => frame?,
                    () = self.membership.behind.notified() => continue,
                }
            };
            if frame.seq > self.position {
                self.position = frame.seq;
                return Some(frame);
            }
        }
    }

    /// One step of catching up from the store: rejoin the hub if the store has been read as
    /// far as the hub went, else read the next page. `None` when the hub is gone.
    async fn read_behind(&mut self) -> Option<()> {
        let c = &mut self.catch_up;
        let read_through = c.read_through.max(self.position);
        match self.membership.rejoin(read_through) {
            Rejoin::Live => return Some(()),
            Rejoin::Gone => return None,
            Rejoin::Behind(_) => {}
        }
        match c.store.events_after(c.app_id, read_through, BEHIND_PAGE).await {
            Ok(events) => {
                c.read_through = events.last().map_or(read_through, |e| e.seq);
                self.membership.progress(c.read_through);
                let frames = events.iter().map(Frame::of).filter(|f| c.filter.matches(&f.event_type, f.target_id));
                c.frames.extend(frames);
            }
            Err(err) => {
                tracing::warn!(app_id = %c.app_id, error = %err, "a stream behind cannot read the store; retrying");
                tokio::time::sleep(BEHIND_RETRY).await;
            }
        }
        Some(())
    }

    /// Cancelled when the hub cut this stream for not keeping up.
    pub fn cut(&self) -> &CancellationToken {
        &self.membership.cut
    }
}

impl Realtime {
    /// Narrows `filter` to one app user's events, through the app's user mappings (a user
    /// without mappings gets nothing, as in the query API).
    pub async fn for_user(
        &self,
        app_id: AppId,
        filter: StreamFilter,
        user: &AppUserId,
    ) -> Result<StreamFilter, StoreError> {
        let targets = self.mappings.resolve(app_id, user).await?;
        Ok(filter.with_targets(targets.iter().map(|t| t.get())))
    }

    /// Opens a stream of the app's events after `since` (or from now).
    pub async fn open(
        &self,
        app_id: AppId,
        since: Option<EventSeq>,
        filter: StreamFilter,
    ) -> Result<Stream, OpenError> {
        // Further behind than a resume would replay: that client cannot keep up.
        let max_behind = u64::from(self.settings.replay_limit).max(self.settings.queue_size as u64);
        let membership = self.hubs.join(app_id, filter.clone(), self.settings.queue_size, max_behind).await?;
        // Read after joining: the store holds at least what the hub dispatched, and the hub
        // will dispatch everything after it; `head` is where replay ends and live begins.
        let head = self.store.last_seq(app_id).await?.max(membership.live_from);
        let start = match resume(since, head, self.settings.replay_limit) {
            Resume::Live => Start::Replay(Vec::new()),
            Resume::Reset => Start::Reset(messages::reset(head)),
            Resume::Replay { after } => {
                let count = u32::try_from(head.since(after)).unwrap_or(u32::MAX);
                let events = self.store.events_after(app_id, after, count).await?;
                let frames = events
                    .iter()
                    .filter(|e| e.seq <= head)
                    .map(Frame::of)
                    .filter(|f| filter.matches(&f.event_type, f.target_id))
                    .collect();
                Start::Replay(frames)
            }
        };
        let catch_up =
            CatchUp { store: self.store.clone(), app_id, filter, frames: VecDeque::new(), read_through: head };
        Ok(Stream { hello: messages::hello(app_id, head), start, membership, position: head, catch_up })
    }
}
