//! Opening a stream: resolve its filter, join the app's hub, read the store's last sequence
//! number (`head`), then decide from `since` what to replay. Joining first means every event
//! after the hub's position comes through the hub; the store has every event up to `head`;
//! live events up to `head` are skipped. Replay and live meet with no gap and no overlap.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::hubs::JoinError;
use super::messages::{self, Frame};
use super::{Membership, Realtime};
use crate::domain::app::AppId;
use crate::domain::call::EventSeq;
use crate::domain::stream::{Resume, StreamFilter, resume};
use crate::domain::user_mapping::AppUserId;
use crate::ports::StoreError;

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
    skip_through: EventSeq,
}

impl Stream {
    /// The next live frame, in sequence order; `None` when the feed stopped.
    pub async fn next(&mut self) -> Option<Arc<Frame>> {
        loop {
            let frame = self.membership.frames.recv().await?;
            if frame.seq > self.skip_through {
                return Some(frame);
            }
        }
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
        let membership = self.hubs.join(app_id, filter.clone(), self.settings.queue_size).await?;
        // Read after joining: the store holds at least what the hub dispatched, and the hub
        // will dispatch everything after it; `head` is where replay ends and live begins.
        let head = self.store.last_seq(app_id).await?.max(membership.live_from);
        let start = match resume(since, head, self.settings.replay_limit) {
            Resume::Live => Start::Replay(Vec::new()),
            Resume::Reset => Start::Reset(messages::reset(head)),
            Resume::Replay { after } => {
                let count = u32::try_from(head - after).unwrap_or(u32::MAX);
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
        Ok(Stream { hello: messages::hello(app_id, head), start, membership, skip_through: head })
    }
}
