//! Port contract suites: each runs the same assertions over the memory adapter and the
//! real one, so both honour the documented contract.

mod api_key_repository;
mod app_repository;
mod connection_repository;
mod event_bus;
mod event_store;
mod key_invalidation;
mod rate_limiter;
mod session_store;
mod user_mapping_repository;
mod webhook_secret_repository;
