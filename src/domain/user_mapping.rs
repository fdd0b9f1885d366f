//! User mappings: which of an app's users a Dialpad user is. They route legacy webhooks to
//! apps and filter calls and streams by agent.

use std::fmt;

use chrono::{DateTime, Utc};

use super::app::AppId;

/// A Dialpad user id: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DialpadUserId(i64);

/// Why a value is not a Dialpad user id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dialpad_user_id must be a positive integer")]
pub struct InvalidDialpadUserId;

impl DialpadUserId {
    pub fn new(id: i64) -> Result<Self, InvalidDialpadUserId> {
        if id > 0 { Ok(Self(id)) } else { Err(InvalidDialpadUserId) }
    }

    /// From a JSON value: an integer, or a string of digits (Dialpad's REST API writes ids
    /// as strings). Floats, other strings and other types are refused.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, InvalidDialpadUserId> {
        let id = match value {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
            _ => None,
        };
        id.ok_or(InvalidDialpadUserId).and_then(Self::new)
    }

    pub fn get(&self) -> i64 {
        self.0
    }
}

impl fmt::Display for DialpadUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for DialpadUserId {
    type Err = InvalidDialpadUserId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_json(&serde_json::Value::String(s.to_owned()))
    }
}

/// The app's own id for a user: 1 to 255 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppUserId(String);

/// Why a string is not an [`AppUserId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("app_user_id must be 1 to 255 characters without control characters")]
pub struct InvalidAppUserId;

impl AppUserId {
    pub fn parse(raw: &str) -> Result<Self, InvalidAppUserId> {
        let ok = !raw.is_empty() && raw.chars().count() <= 255 && !raw.chars().any(char::is_control);
        if ok { Ok(Self(raw.to_owned())) } else { Err(InvalidAppUserId) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional free-text field (email, display name): at most 320 characters, no control
/// characters; empty means absent.
pub fn optional_text(raw: Option<&str>, field: &str) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > 320 || v.chars().any(char::is_control) => {
            Err(format!("{field} must be at most 320 characters without control characters"))
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// One mapping, unique per (app, Dialpad user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMapping {
    pub app_id: AppId,
    pub dialpad_user_id: DialpadUserId,
    pub app_user_id: AppUserId,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change to a mapping: absent fields stay; `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserMappingPatch {
    pub app_user_id: Option<AppUserId>,
    pub email: Option<Option<String>>,
    pub display_name: Option<Option<String>>,
}

impl UserMappingPatch {
    pub fn is_empty(&self) -> bool {
        self.app_user_id.is_none() && self.email.is_none() && self.display_name.is_none()
    }
}

impl UserMapping {
    pub fn apply(&mut self, patch: &UserMappingPatch, now: DateTime<Utc>) {
        if let Some(id) = &patch.app_user_id {
            self.app_user_id = id.clone();
        }
        if let Some(email) = &patch.email {
            self.email.clone_from(email);
        }
        if let Some(name) = &patch.display_name {
            self.display_name.clone_from(name);
        }
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dialpad_user_ids_are_positive_integers_as_numbers_or_digit_strings() {
        assert_eq!(DialpadUserId::from_json(&json!(5527348325810176_i64)).unwrap().get(), 5527348325810176);
        assert_eq!(DialpadUserId::from_json(&json!("5527348325810176")).unwrap().get(), 5527348325810176);
        for bad in [
            json!(1.5),
            json!("12a"),
            json!(""),
            json!(0),
            json!(-3),
            json!(null),
            json!(true),
            json!("-3"),
            json!("99999999999999999999"),
        ] {
            assert_eq!(DialpadUserId::from_json(&bad), Err(InvalidDialpadUserId), "input {bad}");
        }
    }

    #[test]
    fn app_user_ids_and_optional_texts_are_checked() {
        assert!(AppUserId::parse("agent-7").is_ok());
        assert!(
            AppUserId::parse("").is_err()
                && AppUserId::parse("a\nb").is_err()
                && AppUserId::parse(&"x".repeat(256)).is_err()
        );
        assert_eq!(optional_text(Some("  "), "email"), Ok(None));
        assert_eq!(optional_text(Some(" a@b.c "), "email"), Ok(Some("a@b.c".into())));
        assert!(optional_text(Some("a\u{0}"), "email").is_err());
    }
}
