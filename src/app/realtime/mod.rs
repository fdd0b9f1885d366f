//! Live event streams: every event stored for an app, on any instance, reaches every
//! connected front end of that app on every instance, in sequence order, and a front end
//! that reconnects with the last sequence number it saw gets exactly what it missed.
//!
//! Postgres is the source of truth and the bus the fast path: a stream starts from the
//! store (replay), continues from this instance's hub for the app (live), and the hub fills
//! any gap it sees from the store. A stream lasts only as long as the key that opened it
//! stands (credentials.rs). The transport (WebSocket) lives in the adapters; this
//! module decides what is sent and in which order.

mod checks;
mod credentials;
mod hub;
mod hubs;
pub mod messages;
mod open;
mod publish;
mod tickets;

use std::sync::Arc;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram};

pub use self::checks::run_credential_checks;
pub use self::credentials::{Credential, Credentials, Grant};
pub use self::hub::Membership;
pub use self::hubs::{Hubs, JoinError};
pub use self::open::{OpenError, Start, Stream};
pub use self::publish::Publisher;
pub use self::tickets::{RedeemError, TICKET_TTL, Tickets};
use crate::app::user_mappings::UserMappings;
use crate::ports::EventStore;

/// What an operator tunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealtimeSettings {
    /// The most stored events a resume replays; beyond, the client gets a reset.
    pub replay_limit: u32,
    /// Frames waiting per connection before it is cut as too slow.
    pub queue_size: usize,
    /// How often each connection is pinged; two unanswered pings close it.
    pub ping_interval: Duration,
}

/// What the streams count and time.
#[derive(Clone)]
pub struct RealtimeMetrics {
    pub open: Gauge,
    pub sent: Counter,
    pub slow_cut: Counter,
    pub heartbeat_timeouts: Counter,
    pub publish_dropped: Counter,
    /// Streams ended because their key was revoked or expired, or their app deactivated.
    pub credentials_ended: Counter,
    /// From webhook receipt to the frame written to the client.
    pub delivery_seconds: Histogram,
}

/// The live streams capability.
#[derive(Clone)]
pub struct Realtime {
    hubs: Hubs,
    store: Arc<dyn EventStore>,
    mappings: UserMappings,
    pub tickets: Tickets,
    pub credentials: Credentials,
    pub settings: RealtimeSettings,
    pub metrics: RealtimeMetrics,
}

impl Realtime {
    pub fn new(
        hubs: Hubs,
        store: Arc<dyn EventStore>,
        mappings: UserMappings,
        tickets: Tickets,
        credentials: Credentials,
        settings: RealtimeSettings,
        metrics: RealtimeMetrics,
    ) -> Self {
        Self { hubs, store, mappings, tickets, credentials, settings, metrics }
    }
}
