//! Port contract suites: each runs the same assertions over the memory adapter and the
//! real one, so both honour the documented contract.

mod api_key_repository;
mod app_repository;
mod key_invalidation;
