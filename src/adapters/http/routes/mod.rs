//! Route handlers, one per file, grouped by area. Each parses its input into domain types,
//! calls one use case and maps the result; no SQL, Redis or business rules here.

pub mod api_keys;
pub mod apps;
pub mod calls;
pub mod dialpad;
pub mod health;
pub mod me;
pub mod metrics;
pub mod ready;
pub mod streams;
pub mod user_mappings;
pub mod voicemails;
pub mod webhooks;
