//! Whether an open stream's credentials still stand. A stream is opened with an API key
//! (directly, or through a ticket that key obtained) and lives only as long as that key may
//! authenticate and its app is active: revoking or rotating the key out, the end of its
//! grace period, or deactivating the app ends every stream it opened, on every instance.

use chrono::{DateTime, Utc};

use crate::domain::api_key::{KeyState, StoredApiKey};
use crate::domain::app::AppId;

/// Why a stream's credentials no longer stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The key was revoked, rotated out without grace, or deleted.
    KeyRevoked,
    /// The key's grace period after a rotation ended.
    KeyExpired,
    /// The app was deactivated (or deleted).
    AppInactive,
}

/// A stream's credentials, as last checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Good until the given time (a key in its grace period), or until further notice.
    Good {
        until: Option<DateTime<Utc>>,
    },
    Ended(Ending),
}

impl Standing {
    /// The standing of a stream of `app` opened with `key` (as stored now, if it still
    /// exists), given whether the app is active (`None`: the app is gone), at `now`.
    pub fn of(app: AppId, key: Option<&StoredApiKey>, app_active: Option<bool>, now: DateTime<Utc>) -> Self {
        let Some(key) = key.filter(|k| k.app_id == app) else {
            return Self::Ended(Ending::KeyRevoked);
        };
        if !key.is_usable_at(now) {
            return Self::Ended(match key.state {
                KeyState::Revoked => Ending::KeyRevoked,
                KeyState::Active | KeyState::Grace | KeyState::Expired => Ending::KeyExpired,
            });
        }
        if app_active != Some(true) {
            return Self::Ended(Ending::AppInactive);
        }
        Self::Good { until: key.usable_until() }
    }

    /// Combines this standing with a later check of it. Checks may finish out of order, and
    /// a key only ever moves towards its end, so the nearer end wins: an ended stream stays
    /// ended, and of two deadlines the earlier one holds.
    pub fn then(self, later: Self) -> Self {
        match (self, later) {
            (Self::Ended(why), _) | (_, Self::Ended(why)) => Self::Ended(why),
            (Self::Good { until: a }, Self::Good { until: b }) => Self::Good {
                until: match (a, b) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::api_key::{KeyHint, KeyId};

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 0).unwrap()
    }

    fn key(app: AppId, state: KeyState, expires_at: Option<DateTime<Utc>>) -> StoredApiKey {
        StoredApiKey {
            key_id: KeyId::parse("0123456789abcdef").unwrap(),
            app_id: app,
            secret_hash: String::new(),
            hint: KeyHint::from_stored("cti_test...abcd".into()),
            state,
            created_at: now(),
            expires_at,
            revoked_at: None,
            last_used_at: None,
        }
    }

    #[test]
    fn a_usable_key_of_an_active_app_stands_until_its_grace_ends() {
        let app = AppId::generate();
        let active = key(app, KeyState::Active, None);
        assert_eq!(Standing::of(app, Some(&active), Some(true), now()), Standing::Good { until: None });
        let end = now() + Duration::seconds(30);
        let grace = key(app, KeyState::Grace, Some(end));
        assert_eq!(Standing::of(app, Some(&grace), Some(true), now()), Standing::Good { until: Some(end) });
        assert_eq!(Standing::of(app, Some(&grace), Some(true), end), Standing::Ended(Ending::KeyExpired));
    }

    #[test]
    fn revoked_missing_or_foreign_keys_and_inactive_apps_end_the_stream() {
        let app = AppId::generate();
        let revoked = key(app, KeyState::Revoked, None);
        assert_eq!(Standing::of(app, Some(&revoked), Some(true), now()), Standing::Ended(Ending::KeyRevoked));
        let expired = key(app, KeyState::Expired, Some(now()));
        assert_eq!(Standing::of(app, Some(&expired), Some(true), now()), Standing::Ended(Ending::KeyExpired));
        assert_eq!(Standing::of(app, None, Some(true), now()), Standing::Ended(Ending::KeyRevoked));
        let foreign = key(AppId::generate(), KeyState::Active, None);
        assert_eq!(Standing::of(app, Some(&foreign), Some(true), now()), Standing::Ended(Ending::KeyRevoked));
        let active = key(app, KeyState::Active, None);
        assert_eq!(Standing::of(app, Some(&active), Some(false), now()), Standing::Ended(Ending::AppInactive));
        assert_eq!(Standing::of(app, Some(&active), None, now()), Standing::Ended(Ending::AppInactive));
    }

    #[test]
    fn an_ended_stream_stays_ended_and_the_nearer_deadline_holds() {
        let (soon, later) = (now(), now() + Duration::hours(1));
        let ended = Standing::Ended(Ending::KeyRevoked);
        assert_eq!(ended.then(Standing::Good { until: None }), ended, "a late, older check changes nothing");
        assert_eq!(Standing::Good { until: None }.then(ended), ended);
        let good = |until| Standing::Good { until };
        assert_eq!(good(None).then(good(Some(later))), good(Some(later)));
        assert_eq!(good(Some(soon)).then(good(None)), good(Some(soon)));
        assert_eq!(good(Some(later)).then(good(Some(soon))), good(Some(soon)));
    }
}
