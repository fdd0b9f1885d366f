//! Redis adapters (fred): the shared, fast, non-durable side of a multi-instance deployment.
//! One command pool and one subscriber connection per process, both reconnecting forever
//! with exponential backoff, with command timeouts so a stalled Redis answers an error
//! instead of hanging requests. Every key and channel carries the configured prefix.

mod client;
mod event_bus;
mod key_invalidation;
mod pubsub;
mod rate_limiter;
mod session_store;

pub use client::{RedisClients, RedisHealthProbe};
pub use event_bus::RedisEventBus;
pub use key_invalidation::RedisKeyInvalidation;
pub use pubsub::{Delivery, RedisPubSub};
pub use rate_limiter::RedisRateLimiter;
pub use session_store::RedisSessionStore;
