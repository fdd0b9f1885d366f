//! Memory adapters: every port as a small honest in-process implementation (a map behind a
//! lock). They back the embedded default (`cargo run` with nothing configured) and the
//! tests, and pass the same contract suites as the real adapters.

mod api_key_repository;
mod app_repository;
mod clock;
mod connection_repository;
mod event_bus;
mod event_store;
mod key_invalidation;
mod rate_limiter;
mod session_store;
mod user_mapping_repository;
mod webhook_secret_repository;

pub use api_key_repository::MemoryApiKeyRepository;
pub use app_repository::MemoryAppRepository;
pub use clock::ManualClock;
pub use connection_repository::MemoryConnectionRepository;
pub use event_bus::InProcessEventBus;
pub use event_store::MemoryEventStore;
pub use key_invalidation::InProcessKeyInvalidation;
pub use rate_limiter::InProcessRateLimiter;
pub use session_store::MemorySessionStore;
pub use user_mapping_repository::MemoryUserMappingRepository;
pub use webhook_secret_repository::MemoryWebhookSecretRepository;
