//! Ports: the traits the use cases need from the outside world. Each method documents what
//! it returns and which errors it produces; every port has a memory adapter and a real one
//! that pass the same contract tests. Ports speak domain types only.

mod api_key_cache;
mod api_key_repository;
mod app_repository;
mod clock;
mod error;
mod health;
mod key_invalidation;

pub use api_key_cache::{ApiKeyCache, CachedCheck};
pub use api_key_repository::{ApiKeyRepository, CurrentKeys, Issued};
pub use app_repository::{AppCursor, AppRepository};
pub use clock::Clock;
pub use error::StoreError;
pub use health::HealthProbe;
pub use key_invalidation::{Invalidation, KeyInvalidation};
