//! The domain: pure types and rules of the CTI server. No I/O, no async runtime, no clock
//! reads (callers pass the time in), no framework types. Everything here is unit-testable
//! on its own and is the vocabulary every other layer speaks.

pub mod api_key;
pub mod app;
pub mod call;
pub mod crypto;
pub mod dialpad;
pub mod pagination;
pub mod rate_limit;
pub mod stream;
pub mod time;
pub mod token;
pub mod user_mapping;
pub mod voicemail;
pub mod webhook;
pub mod webhook_secret;
