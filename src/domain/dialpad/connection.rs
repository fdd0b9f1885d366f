//! An app's stored Dialpad connection and how it moves: connected, refreshed at about 80 %
//! of each access token's lifetime, retried with backoff while Dialpad cannot answer, and
//! given up on only when Dialpad refuses the refresh token (`reauth_required`). Tokens are
//! kept sealed (AES-256-GCM) with the app id and the token's purpose as associated data, so
//! a row copied to another app, or an access token swapped with a refresh token, does not
//! open. Pure: the caller passes the time and the nonces in.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::app::AppId;
use crate::domain::crypto::{NONCE_LEN, OpenError, SealingKey};

/// How far into an access token's lifetime it is refreshed.
const REFRESH_AT_PERCENT: u32 = 80;
/// The soonest a refresh is scheduled after the previous one (a lifetime of 0 must not spin).
const MIN_REFRESH_DELAY: Duration = Duration::from_secs(1);
/// The lifetime assumed when Dialpad does not say (`expires_in` absent).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// First retry delay after a failed refresh; doubles per failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// Tokens usable and refreshed on time.
    Active,
    /// The last refresh did not give a usable pair (Dialpad unreachable past the access
    /// token's expiry, or no refresh token in the answer); still retried.
    RefreshFailed,
    /// Dialpad refused the refresh token: only connecting again helps. Never retried.
    ReauthRequired,
}

impl ConnectionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::RefreshFailed => "refresh_failed",
            Self::ReauthRequired => "reauth_required",
        }
    }

    /// The stored form back; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "refresh_failed" => Some(Self::RefreshFailed),
            "reauth_required" => Some(Self::ReauthRequired),
            _ => None,
        }
    }
}

impl fmt::Display for ConnectionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who connected: Dialpad's ids (numbers or strings on the wire, kept as text) and email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialpadIdentity {
    pub company_id: String,
    pub user_id: String,
    pub email: Option<String>,
}

/// Which token a ciphertext holds; part of its associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    Access,
    Refresh,
}

impl TokenPurpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Access => b"dialpad-access-token",
            Self::Refresh => b"dialpad-refresh-token",
        }
    }
}

/// A token as stored: nonce and AES-256-GCM ciphertext. `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedToken {
    pub nonce: [u8; NONCE_LEN],
    pub ciphertext: Vec<u8>,
}

impl SealedToken {
    /// Seals `token` for `app_id` and `purpose` under a nonce never used before with `key`.
    pub fn seal(key: &SealingKey, nonce: [u8; NONCE_LEN], app_id: AppId, purpose: TokenPurpose, token: &str) -> Self {
        Self { nonce, ciphertext: key.seal(&nonce, &associated_data(app_id, purpose), token.as_bytes()) }
    }

    /// The token, if this ciphertext was sealed with `key` for this app and purpose.
    pub fn open(&self, key: &SealingKey, app_id: AppId, purpose: TokenPurpose) -> Result<String, OpenError> {
        let plain = key.open(&self.nonce, &associated_data(app_id, purpose), &self.ciphertext)?;
        String::from_utf8(plain).map_err(|_| OpenError)
    }
}

impl fmt::Debug for SealedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedToken([SEALED])")
    }
}

fn associated_data(app_id: AppId, purpose: TokenPurpose) -> Vec<u8> {
    [app_id.as_uuid().as_bytes().as_slice(), purpose.label()].concat()
}

/// What the server set up at Dialpad for the app: the webhook that delivers its events and
/// the call subscription on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provisioning {
    pub webhook_id: Option<String>,
    pub subscription_id: Option<String>,
    pub provisioned_at: Option<DateTime<Utc>>,
    /// Why the last provisioning failed, and how to retry; cleared by a successful one.
    pub error: Option<String>,
}

/// An app's connection to its Dialpad account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub app_id: AppId,
    pub identity: DialpadIdentity,
    /// What Dialpad granted (or, when it did not say, what was asked for).
    pub scopes: Vec<String>,
    pub connected_at: DateTime<Utc>,
    pub access_token: SealedToken,
    pub refresh_token: SealedToken,
    pub access_token_expires_at: DateTime<Utc>,
    pub last_refreshed_at: Option<DateTime<Utc>>,
    pub status: ConnectionStatus,
    /// Why the last refresh failed; cleared by a successful one.
    pub last_error: Option<String>,
    /// When the next refresh is due; `None`: never (reauth required).
    pub next_refresh_at: Option<DateTime<Utc>>,
    /// Failed refreshes in a row (the backoff).
    pub refresh_failures: u32,
    /// Written on its own (a refresh never touches it); empty for a new connection.
    pub provisioning: Provisioning,
}

/// The message kept when Dialpad answers a grant without a refresh token.
pub const NO_REFRESH_TOKEN: &str =
    "Dialpad gave no refresh token: the offline_access scope may not be approved for this OAuth app";

impl Connection {
    /// A new connection from a code exchange at `now`; `lifetime` is the access token's.
    pub fn new(
        app_id: AppId,
        identity: DialpadIdentity,
        scopes: Vec<String>,
        access_token: SealedToken,
        refresh_token: SealedToken,
        lifetime: Duration,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            app_id,
            identity,
            scopes,
            connected_at: now,
            access_token,
            refresh_token,
            access_token_expires_at: now + lifetime,
            last_refreshed_at: None,
            status: ConnectionStatus::Active,
            last_error: None,
            next_refresh_at: Some(refresh_due(now, lifetime)),
            refresh_failures: 0,
            provisioning: Provisioning::default(),
        }
    }

    /// Whether a refresh is due at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.next_refresh_at.is_some_and(|due| due <= now)
    }

    /// Whether the access token has expired at `now`.
    pub fn access_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.access_token_expires_at
    }

    /// Dialpad answered a refresh with a new pair (or, `refresh: None`, an access token
    /// alone: kept, with the old refresh token, and the connection marked `refresh_failed`).
    pub fn refreshed(
        &mut self,
        access: SealedToken,
        refresh: Option<SealedToken>,
        lifetime: Duration,
        now: DateTime<Utc>,
    ) {
        self.access_token = access;
        self.access_token_expires_at = now + lifetime;
        self.last_refreshed_at = Some(now);
        self.next_refresh_at = Some(refresh_due(now, lifetime));
        match refresh {
            Some(refresh) => {
                self.refresh_token = refresh;
                self.status = ConnectionStatus::Active;
                self.last_error = None;
                self.refresh_failures = 0;
            }
            None => {
                self.status = ConnectionStatus::RefreshFailed;
                self.last_error = Some(NO_REFRESH_TOKEN.to_owned());
            }
        }
    }

    /// Dialpad refused the refresh token (`invalid_grant`): nothing but a new connect helps.
    pub fn refresh_refused(&mut self, reason: String) {
        self.status = ConnectionStatus::ReauthRequired;
        self.last_error = Some(reason);
        self.next_refresh_at = None;
    }

    /// A refresh that may succeed later failed (Dialpad unreachable, 5xx, 429). The next
    /// try backs off (at least `retry_after`), but comes no later than the access token's
    /// expiry; the status changes only once the access token has actually expired.
    pub fn refresh_failed(&mut self, reason: String, retry_after: Option<Duration>, now: DateTime<Utc>) {
        self.refresh_failures = self.refresh_failures.saturating_add(1);
        self.last_error = Some(reason);
        let wait = backoff(self.refresh_failures).max(retry_after.unwrap_or_default());
        let mut next = now + wait;
        if self.access_expired(now) {
            self.status = ConnectionStatus::RefreshFailed;
        } else {
            next = next.min(self.access_token_expires_at);
        }
        self.next_refresh_at = Some(next);
    }
}

/// The longest lifetime believed: a larger `expires_in` is read as this (and cannot overflow
/// a date).
const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

/// An access token's lifetime from Dialpad's `expires_in`: [`DEFAULT_LIFETIME`] when absent,
/// at most a year.
pub fn lifetime(expires_in: Option<Duration>) -> Duration {
    expires_in.unwrap_or(DEFAULT_LIFETIME).min(MAX_LIFETIME)
}

/// When a token obtained at `now` for `lifetime` should be refreshed.
pub fn refresh_due(now: DateTime<Utc>, lifetime: Duration) -> DateTime<Utc> {
    now + (lifetime * REFRESH_AT_PERCENT / 100).max(MIN_REFRESH_DELAY)
}

/// The wait before the next try after `failures` failed refreshes in a row (at least one).
pub fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    (FIRST_BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests;
