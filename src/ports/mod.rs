//! Ports: the traits the use cases need from the outside world. Each method documents what
//! it returns and which errors it produces; every port has a memory adapter and a real one
//! that pass the same contract tests. Ports speak domain types only.

mod app_repository;
mod clock;
mod error;
mod health;

pub use app_repository::{AppCursor, AppRepository};
pub use clock::Clock;
pub use error::StoreError;
pub use health::HealthProbe;
