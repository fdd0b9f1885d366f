//! Ports: the traits the use cases need from the outside world. Each method documents what
//! it returns and which errors it produces; every port has a memory adapter and a real one
//! that pass the same contract tests. Ports speak domain types only.

mod api_key_repository;
mod app_repository;
mod clock;
mod connection_repository;
mod dialpad_api;
mod dialpad_oauth;
mod error;
mod event_bus;
mod event_store;
mod health;
mod key_invalidation;
mod rate_limiter;
mod session_store;
mod user_mapping_repository;
mod webhook_secret_repository;

pub use api_key_repository::{ApiKeyRepository, CurrentKeys, Issued};
pub use app_repository::{AppCursor, AppRepository};
pub use clock::Clock;
pub use connection_repository::{Claim, ConnectionRepository};
pub use dialpad_api::{CallSubscription, DialpadApi, DialpadWebhook};
pub use dialpad_oauth::{DialpadError, DialpadOAuth, DialpadUser, TokenGrant};
pub use error::StoreError;
pub use event_bus::{BusMessage, EventBus};
pub use event_store::{
    Appended, CallCursor, CallDetail, CallFilter, EventStore, IncomingEvent, MAX_CALL_EVENTS, PayloadJson, StoredEvent,
    UnroutedEvent, VoicemailCursor, VoicemailFilter,
};
pub use health::HealthProbe;
pub use key_invalidation::{Invalidation, KeyInvalidation};
pub use rate_limiter::RateLimiter;
pub use session_store::SessionStore;
pub use user_mapping_repository::{InsertMappingError, UserMappingRepository};
pub use webhook_secret_repository::{MAX_LISTED_SECRETS, WebhookSecretRepository};
