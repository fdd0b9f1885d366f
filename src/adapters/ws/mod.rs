//! The WebSocket transport of live streams: one task per connection, writing the stream's
//! frames, pinging, and closing with the right code. What to send comes from
//! `app::realtime`; this module only speaks WebSocket. Memory per connection is kept small
//! (a 4 KiB read buffer instead of tungstenite's eager 128 KiB) because instances hold
//! thousands of idle connections.

mod connection;

use std::time::Duration;

pub use connection::serve;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TrackedFuture;

/// Largest message a client may send (clients only answer pings; anything big is abuse).
pub const MAX_CLIENT_MESSAGE: usize = 4 * 1024;

/// The socket settings of every stream connection.
pub fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1 << 20)
        .max_message_size(Some(MAX_CLIENT_MESSAGE))
        .max_frame_size(Some(MAX_CLIENT_MESSAGE))
}

/// Every open connection of this instance, so shutdown can close them (1001) and wait.
#[derive(Clone, Default)]
pub struct Connections {
    stop: CancellationToken,
    tracker: TaskTracker,
}

impl Connections {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `connection` as one of the tracked connections.
    pub fn track<F: Future<Output = ()>>(&self, connection: F) -> TrackedFuture<F> {
        self.tracker.track_future(connection)
    }

    /// Cancelled when the server shuts down.
    pub fn stopping(&self) -> &CancellationToken {
        &self.stop
    }

    /// Tells every connection to close with 1001 and waits for them, at most `timeout`.
    pub async fn close_all(&self, timeout: Duration) {
        self.stop.cancel();
        self.tracker.close();
        let open = self.tracker.len();
        if tokio::time::timeout(timeout, self.tracker.wait()).await.is_err() {
            tracing::warn!(open, still_open = self.tracker.len(), "websocket connections did not close in time");
        }
    }
}
