//! Use cases: what the server does, written against ports only. One capability per module,
//! one use case per file; no HTTP, SQL or Redis here.

pub mod access;
pub mod api_keys;
pub mod apps;
pub mod dialpad;
pub mod freshness;
pub mod queries;
pub mod rate_limits;
pub mod readiness;
pub mod realtime;
pub mod user_mappings;
pub mod webhooks;
