//! The outcome of checking a presented key against storage, as the cache keeps it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::KeyId;
use crate::domain::app::{AppId, AppName};

/// Who a valid key authenticates: the app, for the rest of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub app_id: AppId,
    pub app_name: AppName,
    pub key_id: KeyId,
    /// End of the key's grace period, when it was rotated out with one.
    pub usable_until: Option<DateTime<Utc>>,
}

impl Principal {
    /// Whether the key still authenticates at `now` (a grace period may have ended since
    /// the check was cached).
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        self.usable_until.is_none_or(|end| now < end)
    }
}

/// Why a well-formed key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// No key has this id (or its app no longer exists).
    Unknown,
    /// The key id exists but the secret is wrong.
    Mismatch,
    Revoked,
    Expired,
}

impl Rejection {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Mismatch => "mismatch",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }
}

/// The result of checking one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// Shared, so every cached hit hands out the same principal without copying it.
    Valid(Arc<Principal>),
    /// The key is right but its app is inactive (403, not 401).
    Inactive(AppId),
    Rejected(Rejection),
}

impl KeyCheck {
    /// The app this outcome depends on: a change to that app's keys or state may change it.
    /// Rejections do not depend on any app: a wrong, revoked or expired key never becomes valid.
    pub fn depends_on(&self) -> Option<AppId> {
        match self {
            Self::Valid(p) => Some(p.app_id),
            Self::Inactive(app) => Some(*app),
            Self::Rejected(_) => None,
        }
    }

    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid(_))
    }
}
