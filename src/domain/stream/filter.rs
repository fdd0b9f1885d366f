//! What a stream delivers. An event's type is `call.<state>` for call events that carry a
//! state (`call.ringing`, `call.hangup`...), otherwise its kind (`sms`, `agent_status`,
//! `contact`, `call`, `unknown`, `connection`). A `types` filter entry matches a type exactly,
//! or names a family: `call` matches every `call.*` type. A user filter keeps the events
//! whose Dialpad target is one of that app user's Dialpad users, and app-wide events.

use std::collections::HashSet;

use crate::domain::webhook::EventKind;

/// The type of an event on the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventType(String);

impl EventType {
    pub fn of(kind: EventKind, state: Option<&str>) -> Self {
        match (kind, state) {
            (EventKind::Call, Some(state)) if !state.is_empty() => Self(format!("call.{state}")),
            _ => Self(kind.as_str().to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the event concerns the whole app rather than one of its users (a change of
    /// its Dialpad connection): such events pass a user filter.
    pub fn is_app_wide(&self) -> bool {
        self.0 == EventKind::Connection.as_str()
    }

    /// The family: what comes before the first dot.
    fn family(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }
}

/// A `types` value that cannot be a filter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypesError {
    #[error("types must list at least one event type")]
    Empty,
    #[error("types has at most {0} entries")]
    TooMany(usize),
    #[error("an event type is lowercase letters, digits, '_' and '.', at most 64 characters")]
    Invalid,
}

/// The most entries one `types` filter may have.
const MAX_TYPES: usize = 32;

/// What one stream delivers; the default delivers everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamFilter {
    types: Option<HashSet<String>>,
    targets: Option<HashSet<i64>>,
}

impl StreamFilter {
    /// Parses a comma-separated `types` value (`call.ringing,call.hangup,sms`).
    pub fn with_types(mut self, raw: &str) -> Result<Self, TypesError> {
        let entries: HashSet<String> =
            raw.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
        if entries.is_empty() {
            return Err(TypesError::Empty);
        }
        if entries.len() > MAX_TYPES {
            return Err(TypesError::TooMany(MAX_TYPES));
        }
        let valid = |t: &String| {
            t.len() <= 64 && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
        };
        if !entries.iter().all(valid) {
            return Err(TypesError::Invalid);
        }
        self.types = Some(entries);
        Ok(self)
    }

    /// Keeps only events whose Dialpad target is one of `targets` (none: nothing passes).
    pub fn with_targets(mut self, targets: impl IntoIterator<Item = i64>) -> Self {
        self.targets = Some(targets.into_iter().collect());
        self
    }

    pub fn matches(&self, event_type: &EventType, target_id: Option<i64>) -> bool {
        let type_ok = self
            .types
            .as_ref()
            .is_none_or(|types| types.contains(event_type.as_str()) || types.contains(event_type.family()));
        let target_ok = event_type.is_app_wide()
            || self.targets.as_ref().is_none_or(|targets| target_id.is_some_and(|t| targets.contains(&t)));
        type_ok && target_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(kind: EventKind, state: Option<&str>) -> EventType {
        EventType::of(kind, state)
    }

    #[test]
    fn call_events_are_typed_by_state_and_others_by_kind() {
        assert_eq!(ty(EventKind::Call, Some("ringing")).as_str(), "call.ringing");
        assert_eq!(ty(EventKind::Call, None).as_str(), "call");
        assert_eq!(ty(EventKind::Call, Some("")).as_str(), "call");
        assert_eq!(ty(EventKind::Sms, Some("ignored")).as_str(), "sms");
        assert_eq!(ty(EventKind::AgentStatus, None).as_str(), "agent_status");
    }

    #[test]
    fn the_default_filter_passes_everything() {
        let all = StreamFilter::default();
        assert!(all.matches(&ty(EventKind::Unknown, None), None));
        assert!(all.matches(&ty(EventKind::Call, Some("hangup")), Some(7)));
    }

    #[test]
    fn types_match_exactly_or_by_family() {
        let filter = StreamFilter::default().with_types("call.ringing, sms").unwrap();
        assert!(filter.matches(&ty(EventKind::Call, Some("ringing")), None));
        assert!(filter.matches(&ty(EventKind::Sms, None), None));
        assert!(!filter.matches(&ty(EventKind::Call, Some("hangup")), None));
        assert!(!filter.matches(&ty(EventKind::Call, None), None));

        let calls = StreamFilter::default().with_types("call").unwrap();
        assert!(calls.matches(&ty(EventKind::Call, Some("hangup")), None));
        assert!(calls.matches(&ty(EventKind::Call, None), None));
        assert!(!calls.matches(&ty(EventKind::Contact, None), None));
    }

    #[test]
    fn bad_types_are_refused() {
        assert_eq!(StreamFilter::default().with_types(" , ").unwrap_err(), TypesError::Empty);
        assert_eq!(StreamFilter::default().with_types("Call").unwrap_err(), TypesError::Invalid);
        assert_eq!(StreamFilter::default().with_types("call;drop").unwrap_err(), TypesError::Invalid);
        let many = (0..33).map(|i| format!("t{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(StreamFilter::default().with_types(&many).unwrap_err(), TypesError::TooMany(32));
    }

    #[test]
    fn targets_keep_only_their_users_events() {
        let filter = StreamFilter::default().with_targets([7, 9]);
        assert!(filter.matches(&ty(EventKind::Call, Some("ringing")), Some(7)));
        assert!(!filter.matches(&ty(EventKind::Call, Some("ringing")), Some(8)));
        assert!(filter.matches(&ty(EventKind::Connection, None), None), "app-wide events reach every user's stream");
        assert!(!filter.matches(&ty(EventKind::Call, Some("ringing")), None));
        let nobody = StreamFilter::default().with_targets([]);
        assert!(!nobody.matches(&ty(EventKind::Call, Some("ringing")), Some(7)));
    }
}
