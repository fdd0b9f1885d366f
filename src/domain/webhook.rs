//! Webhooks from Dialpad: signature verification, tolerant parsing, call states and the
//! dedup key. Pure functions over bytes and JSON values.

pub mod call_state;
pub mod dedup;
pub mod event;
pub mod signature;

pub use call_state::{CallState, Direction, Phase};
pub use dedup::dedup_key;
pub use event::{CallEvent, DialpadEvent, EventKind, Party, RecordingDetail, parse};
pub use signature::{Scheme, SignatureError, Verified, verify};
