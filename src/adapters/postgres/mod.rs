//! Postgres adapters: the durable store shared by every instance. One pool per process,
//! migrations embedded in the binary, errors translated by SQLSTATE into the ports' cases.

mod api_key_repository;
mod app_repository;
mod connection_repository;
mod error;
mod event_store;
mod ids;
mod limit;
mod pool;
mod time;
mod user_mapping_repository;
mod webhook_secret_repository;

pub use api_key_repository::PgApiKeyRepository;
pub use app_repository::PgAppRepository;
pub use connection_repository::PgConnectionRepository;
pub use event_store::PgEventStore;
pub use limit::TimeLimit;
pub use pool::{PgHealthProbe, connect, migrate, pending_migrations};
pub use user_mapping_repository::PgUserMappingRepository;
pub use webhook_secret_repository::PgWebhookSecretRepository;
