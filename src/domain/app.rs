//! Apps: the tenants. An app is one customer web application whose front ends receive
//! Dialpad events. Its identity is a UUID; its name is a human label with a few rules.
//! Pure domain: values here are valid once constructed.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::dialpad::ScreenPopTemplate;

/// The identity of an app (tenant). A UUID, so ids are unguessable and never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct AppId(Uuid);

impl AppId {
    /// Wraps an existing UUID (from storage or a freshly generated one).
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// Generates a new random id (UUID v4).
    pub fn generate() -> Self {
        Self(Uuid::new_v4())
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a string is not an [`AppId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("app id must be a UUID such as 6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10")]
pub struct InvalidAppId;

impl FromStr for AppId {
    type Err = InvalidAppId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim()).map(Self).map_err(|_| InvalidAppId)
    }
}

/// A validated app name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppName(String);

/// Why a string is not an [`AppName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAppName {
    #[error("name must not be empty")]
    Empty,
    #[error("name must be at most {max} characters", max = AppName::MAX_CHARS)]
    TooLong,
    #[error("name must not contain control characters")]
    ControlCharacter,
}

impl AppName {
    /// The longest name accepted, in characters (not bytes).
    pub const MAX_CHARS: usize = 100;

    /// Parses a name, trimming surrounding whitespace.
    pub fn parse(raw: &str) -> Result<Self, InvalidAppName> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(InvalidAppName::Empty);
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(InvalidAppName::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(InvalidAppName::ControlCharacter);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An app as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub id: AppId,
    pub name: AppName,
    /// An inactive app keeps its data but cannot be used: its keys, webhooks and streams
    /// answer 403 until it is reactivated.
    pub is_active: bool,
    /// Popped on the agent's Dialpad when an inbound call rings (filled from the call).
    pub screen_pop_url: Option<ScreenPopTemplate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl App {
    /// A new, active app.
    pub fn new(id: AppId, name: AppName, now: DateTime<Utc>) -> Self {
        Self { id, name, is_active: true, screen_pop_url: None, created_at: now, updated_at: now }
    }

    /// Applies a partial update; `updated_at` moves only when something changed.
    pub fn apply(&mut self, patch: &AppPatch, now: DateTime<Utc>) -> bool {
        let mut changed = false;
        if let Some(name) = &patch.name
            && *name != self.name
        {
            self.name = name.clone();
            changed = true;
        }
        if let Some(active) = patch.is_active
            && active != self.is_active
        {
            self.is_active = active;
            changed = true;
        }
        if let Some(template) = &patch.screen_pop_url
            && *template != self.screen_pop_url
        {
            self.screen_pop_url = template.clone();
            changed = true;
        }
        if changed {
            self.updated_at = now;
        }
        changed
    }
}

/// A partial update of an app: absent fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppPatch {
    pub name: Option<AppName>,
    pub is_active: Option<bool>,
    /// `Some(None)` removes the template.
    pub screen_pop_url: Option<Option<ScreenPopTemplate>>,
}

impl AppPatch {
    /// True when the patch would change nothing whatever the app.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.is_active.is_none() && self.screen_pop_url.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_id_parses_a_uuid_and_rejects_anything_else() {
        let id: AppId = "6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10".parse().unwrap();
        assert_eq!(id.to_string(), "6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10");
        for bad in ["", "not-a-uuid", "6f1c2a3e-9b1d-4c55-8a47", "123"] {
            assert_eq!(bad.parse::<AppId>(), Err(InvalidAppId), "input {bad:?}");
        }
    }

    #[test]
    fn app_name_is_trimmed_and_validated() {
        assert_eq!(AppName::parse("  Acme CRM ").unwrap().as_str(), "Acme CRM");
        let cases = [
            ("", InvalidAppName::Empty),
            ("   ", InvalidAppName::Empty),
            ("bad\u{7}name", InvalidAppName::ControlCharacter),
            ("line\nbreak", InvalidAppName::ControlCharacter),
        ];
        for (raw, want) in cases {
            assert_eq!(AppName::parse(raw), Err(want), "input {raw:?}");
        }
        assert_eq!(AppName::parse(&"é".repeat(100)).unwrap().as_str().chars().count(), 100);
        assert_eq!(AppName::parse(&"a".repeat(101)), Err(InvalidAppName::TooLong));
    }

    #[test]
    fn applying_a_patch_moves_updated_at_only_on_change() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let t1 = DateTime::from_timestamp(1_700_000_100, 0).unwrap();
        let mut app = App::new(AppId::generate(), AppName::parse("A").unwrap(), t0);

        let same = AppPatch { name: Some(AppName::parse("A").unwrap()), is_active: Some(true), screen_pop_url: None };
        assert!(!app.apply(&same, t1));
        assert_eq!(app.updated_at, t0);

        let off = AppPatch { is_active: Some(false), ..AppPatch::default() };
        assert!(app.apply(&off, t1));
        assert!(!app.is_active);
        assert_eq!(app.updated_at, t1);
    }
}
