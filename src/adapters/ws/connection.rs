//! One stream connection: hello, the replay (or a reset), then live frames until the client
//! leaves, stops answering pings, falls too far behind, the feed stops, its credentials end,
//! or the server shuts down. Every way out has its close code:
//!
//! | why | code |
//! |---|---|
//! | server shutting down | 1001 going away |
//! | client too slow (its queue filled up) | 1008 policy violation |
//! | the stream could not start, or the feed stopped | 1011 internal error |
//! | the API key was revoked, rotated out or its grace ended | 4401 |
//! | the app was deactivated | 4403 |
//! | two pings unanswered | none: the peer is gone, the socket is dropped |

use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use salvo::websocket::{Message, WebSocket};
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::Connections;
use crate::app::realtime::messages::Frame;
use crate::app::realtime::{Credential, Grant, Realtime, Start, Stream};
use crate::domain::call::EventSeq;
use crate::domain::stream::{Ending, StreamFilter};

/// How long a close handshake may take before the socket is dropped anyway.
const CLOSE_WITHIN: Duration = Duration::from_secs(2);

/// Why a connection ended: decides the close code, and is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloseReason {
    ClientLeft,
    ShuttingDown,
    TooSlow,
    HeartbeatMissed,
    SetupFailed,
    FeedStopped,
    CredentialsEnded(Ending),
}

/// Serves one upgraded connection to its end.
pub async fn serve(
    mut socket: WebSocket,
    realtime: Realtime,
    connections: Connections,
    grant: Grant,
    since: Option<EventSeq>,
    filter: StreamFilter,
) {
    let app_id = grant.app_id;
    realtime.metrics.open.increment(1.0);
    // Watched before the stream opens: a revocation from now on ends it.
    let credential = realtime.credentials.watch(&grant);
    let reason = match realtime.open(app_id, since, filter).await {
        Ok(stream) => run(&mut socket, stream, credential, &realtime, &connections).await,
        Err(err) => {
            tracing::warn!(%app_id, error = format!("{err:#}"), "websocket stream could not start");
            CloseReason::SetupFailed
        }
    };
    realtime.metrics.open.decrement(1.0);
    match reason {
        CloseReason::ShuttingDown => close(&mut socket, 1001, "server shutting down").await,
        CloseReason::TooSlow => close(&mut socket, 1008, "too slow: resume with since").await,
        CloseReason::SetupFailed | CloseReason::FeedStopped => close(&mut socket, 1011, "internal error").await,
        CloseReason::CredentialsEnded(why) => {
            realtime.metrics.credentials_ended.increment(1);
            match why {
                Ending::KeyRevoked => close(&mut socket, 4401, "API key revoked").await,
                Ending::KeyExpired => close(&mut socket, 4401, "API key expired").await,
                Ending::AppInactive => close(&mut socket, 4403, "app inactive").await,
            }
        }
        CloseReason::ClientLeft | CloseReason::HeartbeatMissed => {}
    }
    tracing::debug!(%app_id, ?reason, "websocket closed");
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let _ = tokio::time::timeout(CLOSE_WITHIN, async {
        socket.send(Message::close_with(code, reason)).await?;
        // Wait for the client's close reply, so the close is orderly.
        while let Some(Ok(message)) = socket.next().await {
            if message.is_close() {
                break;
            }
        }
        Ok::<_, salvo::Error>(())
    })
    .await;
}

/// A frame's text as a message payload, sharing its bytes (no copy per connection).
fn text(frame: &Frame) -> Utf8Bytes {
    Utf8Bytes::try_from(frame.text.clone()).expect("frames are serialized JSON, hence UTF-8")
}

/// The connection's life after a successful open.
async fn run(
    socket: &mut WebSocket,
    mut stream: Stream,
    mut credential: Credential,
    realtime: &Realtime,
    connections: &Connections,
) -> CloseReason {
    // Created once and polled by reference: a fresh `cancelled()` per message would register
    // and unregister a waiter on the token shared by every connection, under its lock.
    let stopping = connections.stopping().clone().cancelled_owned();
    let cut = stream.cut().clone().cancelled_owned();
    let ended = credential.ended();
    tokio::pin!(stopping, cut, ended);
    // A send blocks while the client does not read; shutdown and cuts must still win.
    macro_rules! send {
        ($text:expr) => {
            tokio::select! {
                biased;
                () = &mut stopping => return CloseReason::ShuttingDown,
                () = &mut cut => return CloseReason::TooSlow,
                why = &mut ended => return CloseReason::CredentialsEnded(why),
                sent = socket.send(Message::text($text)) => if sent.is_err() { return CloseReason::ClientLeft },
            }
        };
    }

    send!(stream.hello.clone());
    match std::mem::replace(&mut stream.start, Start::Replay(Vec::new())) {
        Start::Reset(message) => send!(message),
        Start::Replay(frames) => {
            for frame in frames {
                send!(text(&frame));
                realtime.metrics.sent.increment(1);
            }
        }
    }

    let mut ping = tokio::time::interval(realtime.settings.ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ping.reset();
    let mut unanswered = 0u32;
    loop {
        tokio::select! {
            biased;
            () = &mut stopping => return CloseReason::ShuttingDown,
            () = &mut cut => return CloseReason::TooSlow,
            why = &mut ended => return CloseReason::CredentialsEnded(why),
            incoming = socket.next() => match incoming {
                Some(Ok(message)) if message.is_close() => return CloseReason::ClientLeft,
                Some(Ok(_)) => unanswered = 0,
                Some(Err(_)) | None => return CloseReason::ClientLeft,
            },
            frame = stream.next() => {
                let Some(frame) = frame else { return CloseReason::FeedStopped };
                send!(text(&frame));
                realtime.metrics.sent.increment(1);
                let delay = (Utc::now() - frame.received_at).to_std().unwrap_or_default();
                realtime.metrics.delivery_seconds.record(delay.as_secs_f64());
            }
            _ = ping.tick() => {
                if unanswered >= 2 {
                    realtime.metrics.heartbeat_timeouts.increment(1);
                    return CloseReason::HeartbeatMissed;
                }
                unanswered += 1;
                let sent = tokio::select! {
                    biased;
                    () = &mut stopping => return CloseReason::ShuttingDown,
                    () = &mut cut => return CloseReason::TooSlow,
                    why = &mut ended => return CloseReason::CredentialsEnded(why),
                    sent = socket.send(Message::ping(Vec::new())) => sent,
                };
                if sent.is_err() {
                    return CloseReason::ClientLeft;
                }
            }
        }
    }
}
