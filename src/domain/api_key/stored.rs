//! A key as stored: its argon2id hash, its lifecycle state, and the rule that decides whether
//! it may authenticate at a given time. Also the audit trail's vocabulary.

use std::fmt;
use std::str::FromStr;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};

use super::{KeyHint, KeyId};
use crate::domain::app::AppId;

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// The app's current key.
    Active,
    /// Rotated out but still accepted until `expires_at` (a grace period for clients).
    Grace,
    /// Revoked by an admin or rotated out without grace. Never accepted again.
    Revoked,
    /// Its grace period ended. Never accepted again.
    Expired,
}

impl KeyState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Grace => "grace",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }
}

impl FromStr for KeyState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "active" => Ok(Self::Active),
            "grace" => Ok(Self::Grace),
            "revoked" => Ok(Self::Revoked),
            "expired" => Ok(Self::Expired),
            other => Err(format!("unknown key state {other:?}")),
        }
    }
}

/// A key as stored. The secret itself is never stored, only its argon2id PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApiKey {
    pub key_id: KeyId,
    pub app_id: AppId,
    pub secret_hash: String,
    pub hint: KeyHint,
    pub state: KeyState,
    pub created_at: DateTime<Utc>,
    /// End of the grace period (state `Grace`, or `Expired` afterwards).
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl StoredApiKey {
    /// Whether the key may authenticate at `now`: active, or in grace and not yet expired.
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            KeyState::Active => true,
            KeyState::Grace => self.expires_at.is_some_and(|end| now < end),
            KeyState::Revoked | KeyState::Expired => false,
        }
    }

    /// Until when a successful check of this key stays true, if bounded.
    pub fn usable_until(&self) -> Option<DateTime<Utc>> {
        match self.state {
            KeyState::Grace => self.expires_at,
            _ => None,
        }
    }
}

/// What happened to a key, as recorded in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// The app's first key.
    Generated,
    /// A new key replaced the previous one.
    Rotated,
    /// An admin revoked the key, or a rotation without grace retired it.
    Revoked,
    /// The grace period of a rotated-out key ended.
    Expired,
}

impl AuditAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Generated => "generated",
            Self::Rotated => "rotated",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "generated" => Ok(Self::Generated),
            "rotated" => Ok(Self::Rotated),
            "revoked" => Ok(Self::Revoked),
            "expired" => Ok(Self::Expired),
            other => Err(format!("unknown audit action {other:?}")),
        }
    }
}

/// One line of a key's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Increasing with time; the pagination position.
    pub id: i64,
    pub app_id: AppId,
    pub key_id: KeyId,
    pub hint: KeyHint,
    pub action: AuditAction,
    pub occurred_at: DateTime<Utc>,
}

/// The argon2id PHC string of a secret (default parameters: m=19 MiB, t=2, p=1, random salt).
/// CPU-bound for tens of milliseconds: callers run it off the async threads.
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(Argon2::default().hash_password(secret.as_bytes())?.to_string())
}

/// Whether `secret` matches the PHC string, in constant time with respect to the secret.
/// A malformed PHC string does not match. CPU-bound like [`hash_secret`].
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    Argon2::default().verify_password(secret.as_bytes(), phc).is_ok()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn stored(state: KeyState, expires_at: Option<DateTime<Utc>>) -> StoredApiKey {
        StoredApiKey {
            key_id: KeyId::parse("0123456789abcdef").unwrap(),
            app_id: AppId::generate(),
            secret_hash: String::new(),
            hint: KeyHint::from_stored("cti_live...abcd".into()),
            state,
            created_at: DateTime::from_timestamp(0, 0).unwrap(),
            expires_at,
            revoked_at: None,
            last_used_at: None,
        }
    }

    #[test]
    fn usability_follows_state_and_grace_end() {
        let now = DateTime::from_timestamp(1_000, 0).unwrap();
        let later = now + Duration::seconds(60);
        assert!(stored(KeyState::Active, None).is_usable_at(now));
        assert!(stored(KeyState::Grace, Some(later)).is_usable_at(now));
        assert!(!stored(KeyState::Grace, Some(later)).is_usable_at(later));
        assert!(!stored(KeyState::Grace, None).is_usable_at(now));
        assert!(!stored(KeyState::Revoked, None).is_usable_at(now));
        assert!(!stored(KeyState::Expired, Some(later)).is_usable_at(now));
    }

    #[test]
    fn hashes_are_argon2id_and_verify_only_the_right_secret() {
        let phc = hash_secret("right secret").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_secret("right secret", &phc));
        assert!(!verify_secret("wrong secret", &phc));
        assert!(!verify_secret("right secret", "not a phc string"));
        assert_ne!(hash_secret("right secret").unwrap(), phc, "salted");
    }

    #[test]
    fn states_and_actions_round_trip_through_text() {
        for state in [KeyState::Active, KeyState::Grace, KeyState::Revoked, KeyState::Expired] {
            assert_eq!(state.as_str().parse::<KeyState>().unwrap(), state);
        }
        for action in [AuditAction::Generated, AuditAction::Rotated, AuditAction::Revoked, AuditAction::Expired] {
            assert_eq!(action.as_str().parse::<AuditAction>().unwrap(), action);
        }
    }
}
