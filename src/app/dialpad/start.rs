//! Starting a connect (GET /auth/dialpad/connect): the connect ticket is spent, an OAuth
//! session (app, `state`, PKCE verifier) is kept in the SessionStore for [`SESSION_TTL`]
//! under its id's hash, sealed, and the browser gets a signed cookie naming it and the
//! authorize URL. Any instance can finish the flow.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use tracing::instrument;

use super::link::ticket_key;
use super::{DialpadConnections, nonce};
use crate::app::apps::AppLookupError;
use crate::domain::app::AppId;
use crate::domain::crypto::NONCE_LEN;
use crate::domain::dialpad::{ConnectTicket, OAuthSession, SessionId};
use crate::ports::StoreError;

/// How long a started connect can be finished.
pub const SESSION_TTL: Duration = Duration::from_secs(900);

/// Where to send the browser, and the cookie value that names its session.
#[derive(Debug)]
pub struct Started {
    pub authorize_url: String,
    pub cookie: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("Dialpad OAuth is not configured")]
    NotConfigured,
    #[error(transparent)]
    App(#[from] AppLookupError),
    /// No ticket, and the ticketless form is not allowed.
    #[error("a connect ticket is required")]
    TicketRequired,
    /// Malformed, unknown, used, expired, or for another app.
    #[error("invalid connect ticket")]
    InvalidTicket,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl StartError {
    /// A failed step the caller caused (an unknown or inactive app, a missing or bad
    /// ticket): it counts against the client's connect-flow allowance, as guessing would.
    pub fn is_callers_mistake(&self) -> bool {
        match self {
            Self::App(err) => err.is_callers_mistake(),
            Self::TicketRequired | Self::InvalidTicket => true,
            Self::NotConfigured | Self::Store(_) => false,
        }
    }
}

/// The store key of an OAuth session (its id's hash only).
pub(super) fn session_key(id: &SessionId) -> String {
    format!("oauth-session:{}", id.storage_key())
}

impl DialpadConnections {
    /// Spends `ticket` (when given) and starts the OAuth flow for `app_id`.
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn start(&self, app_id: AppId, ticket: Option<&str>) -> Result<Started, StartError> {
        let oauth = self.oauth().ok_or(StartError::NotConfigured)?;
        self.inner.apps.cached_active(app_id).await?;
        match ticket {
            Some(raw) => {
                let ticket = ConnectTicket::parse(raw).map_err(|_| StartError::InvalidTicket)?;
                let issued_for = self.inner.sessions.take(&ticket_key(&ticket)).await?;
                if issued_for != Some(app_id.to_string()) {
                    return Err(StartError::InvalidTicket);
                }
            }
            None if self.inner.settings.connect_without_ticket => {}
            None => return Err(StartError::TicketRequired),
        }
        let mut rng = OsRng.unwrap_err();
        let session = OAuthSession::generate(app_id, &mut rng);
        let id = SessionId::generate(&mut rng);
        let key = session_key(&id);
        let sealed = self.seal_session(&key, &session);
        self.inner.sessions.put(&key, &sealed, SESSION_TTL).await?;
        tracing::info!("dialpad connect started");
        Ok(Started {
            authorize_url: oauth.authorize_url(session.state(), &session.verifier()),
            cookie: self.inner.cookie.sign(&id),
        })
    }

    /// A session as stored: base64url of the nonce and the AES-GCM ciphertext of its JSON,
    /// bound to its store key (the verifier never sits in the store in clear).
    fn seal_session(&self, key: &str, session: &OAuthSession) -> String {
        let nonce = nonce();
        let json = serde_json::to_vec(session).expect("a session serializes");
        let sealed = self.inner.key.seal(&nonce, key.as_bytes(), &json);
        URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat())
    }

    /// A stored session back, or `None` if it does not open.
    pub(super) fn open_session(&self, key: &str, stored: &str) -> Option<OAuthSession> {
        let bytes = URL_SAFE_NO_PAD.decode(stored).ok()?;
        let (nonce, sealed) = bytes.split_at_checked(NONCE_LEN)?;
        let json = self.inner.key.open(nonce.try_into().ok()?, key.as_bytes(), sealed).ok()?;
        serde_json::from_slice(&json).ok()
    }
}
