//! Postgres adapters: the durable store shared by every instance. One pool per process,
//! migrations embedded in the binary, errors translated by SQLSTATE into the ports' cases.

mod api_key_repository;
mod app_repository;
mod error;
mod pool;

pub use api_key_repository::PgApiKeyRepository;
pub use app_repository::PgAppRepository;
pub use pool::{PgHealthProbe, connect, migrate, pending_migrations};
