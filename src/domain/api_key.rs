//! Per-app API keys: the format, parsing with a checksum (garbage is refused before any I/O),
//! hashing at rest with argon2id, and the rules for when a stored key may be used.
//!
//! Format: `cti_<env>_<key id>_<secret><checksum>`, for example
//! `cti_live_3kTMd9QxLp2vWb7Z_<43 secret chars><6 checksum chars>`:
//! - `env` is `live` (production) or `test` (development, sandbox);
//! - the key id (16 base62 characters) is public: it is stored in clear and indexed, so
//!   a presented key is found with one lookup;
//! - the secret (43 base62 characters, 256 bits of entropy) is stored only as an argon2id hash;
//! - the checksum is the CRC32 of everything before it, in 6 base62 characters.
//!
//! Only `[A-Za-z0-9_]` appears, so a double-click selects the whole key, and secret scanners
//! can match `cti_(live|test)_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}`.

mod check;
mod format;
mod stored;

pub use check::{KeyCheck, Principal, Rejection};
pub(crate) use format::random_base62;
pub use format::{ApiKey, ApiKeyFormatError, KeyEnvironment, KeyHint, KeyId};
pub use stored::{AuditAction, AuditEvent, KeyState, StoredApiKey, hash_secret, verify_secret};
