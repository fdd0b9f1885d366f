//! Finishing a connect (GET /auth/dialpad/callback, on any instance): the session named by
//! the cookie is taken once; only when it exists, Dialpad did not deny, and `state` matches
//! is the code sent to Dialpad (with the PKCE verifier). The grant must carry a refresh
//! token; `users/me` says who connected; the connection replaces the app's previous one,
//! whose tokens are then revoked at Dialpad.

use std::net::IpAddr;

use secrecy::SecretString;
use tracing::instrument;

use super::announce::Change;
use super::start::session_key;
use super::{DialpadConnections, holder};
use crate::app::apps::AppLookupError;
use crate::domain::app::AppId;
use crate::domain::dialpad::connection::lifetime;
use crate::domain::dialpad::{Connection, ConnectionStatus, DialpadIdentity, TokenPurpose};
use crate::ports::{DialpadError, DialpadOAuth, StoreError};

/// Dialpad's redirect back: `code` and `state`, or `error` (e.g. `access_denied`).
#[derive(Debug, Default)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// The app is connected.
#[derive(Debug)]
pub struct Connected {
    pub app_id: AppId,
    pub identity: DialpadIdentity,
    /// Whether a previous connection was replaced (and its tokens revoked).
    pub replaced: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("Dialpad OAuth is not configured")]
    NotConfigured,
    /// No cookie, a cookie this deployment did not sign, or a session that is unknown,
    /// already used, or expired.
    #[error("no connect in progress for this browser")]
    UnknownSession,
    #[error("the callback has no code or no state")]
    MissingParameters,
    #[error("state mismatch")]
    StateMismatch,
    /// Dialpad (or the user) denied the authorization; `error` is Dialpad's code.
    #[error("authorization denied: {error}")]
    Denied { error: String },
    #[error(transparent)]
    App(#[from] AppLookupError),
    /// Dialpad refused the code or answered outside the protocol.
    #[error("{0}")]
    ExchangeRefused(String),
    /// Dialpad granted no refresh token.
    #[error("no refresh token")]
    NoRefreshToken,
    /// Dialpad could not be reached (or is rate limiting).
    #[error("Dialpad unavailable")]
    DialpadUnavailable(#[source] DialpadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CallbackError {
    /// A failed step the caller caused (no or a forged session, a wrong state, missing
    /// parameters, an unknown or inactive app): it counts against the client's connect-flow
    /// allowance. A user who declines on Dialpad's page (`Denied`) made no mistake, and
    /// Dialpad's or the store's trouble is nobody's.
    pub fn is_callers_mistake(&self) -> bool {
        match self {
            Self::UnknownSession | Self::MissingParameters | Self::StateMismatch => true,
            Self::App(err) => err.is_callers_mistake(),
            Self::NotConfigured
            | Self::Denied { .. }
            | Self::ExchangeRefused(_)
            | Self::NoRefreshToken
            | Self::DialpadUnavailable(_)
            | Self::Store(_) => false,
        }
    }
}

impl From<DialpadError> for CallbackError {
    fn from(err: DialpadError) -> Self {
        match err {
            DialpadError::Refused { .. } | DialpadError::Unauthorized | DialpadError::Malformed(_) => {
                Self::ExchangeRefused(err.to_string())
            }
            DialpadError::RateLimited { .. } | DialpadError::Unavailable(_) => Self::DialpadUnavailable(err),
        }
    }
}

impl DialpadConnections {
    /// Finishes the connect the browser's session `cookie` started. `client` is only logged.
    #[instrument(skip_all, fields(app_id = tracing::field::Empty))]
    pub async fn finish(
        &self,
        cookie: Option<&str>,
        params: CallbackParams,
        client: Option<IpAddr>,
    ) -> Result<Connected, CallbackError> {
        let oauth = self.oauth().ok_or(CallbackError::NotConfigured)?.clone();
        let id = cookie.and_then(|c| self.inner.cookie.verify(c)).ok_or(CallbackError::UnknownSession)?;
        let key = session_key(&id);
        let stored = self.inner.sessions.take(&key).await?.ok_or(CallbackError::UnknownSession)?;
        let session = self.open_session(&key, &stored).ok_or(CallbackError::UnknownSession)?;
        let app_id = session.app_id;
        tracing::Span::current().record("app_id", tracing::field::display(app_id));
        if let Some(error) = params.error {
            let error: String = error.chars().take(100).collect();
            tracing::info!(error = %error, "dialpad authorization denied");
            return Err(CallbackError::Denied { error });
        }
        let present = |v: Option<String>| v.filter(|v| !v.is_empty());
        let (Some(code), Some(state)) = (present(params.code), present(params.state)) else {
            return Err(CallbackError::MissingParameters);
        };
        if !session.state_matches(&state) {
            let client = client.map(|ip| ip.to_string()).unwrap_or_default();
            tracing::warn!(client = %client, "dialpad callback state mismatch: possible CSRF or a stale browser tab");
            return Err(CallbackError::StateMismatch);
        }
        self.inner.apps.cached_active(app_id).await?;

        let grant = oauth.exchange_code(&code, &session.verifier()).await?;
        let Some(refresh_token) = grant.refresh_token else {
            revoke(oauth.as_ref(), &grant.access_token, app_id, "granted without a refresh token").await;
            return Err(CallbackError::NoRefreshToken);
        };
        let user = match oauth.me(&grant.access_token).await {
            Ok(user) => user,
            Err(err) => {
                revoke(oauth.as_ref(), &grant.access_token, app_id, "users/me failed").await;
                return Err(err.into());
            }
        };
        let lifetime = lifetime(grant.expires_in);
        let identity = DialpadIdentity { company_id: user.company_id, user_id: user.user_id, email: user.email };
        let connection = Connection::new(
            app_id,
            identity.clone(),
            grant.scopes.unwrap_or_else(|| self.inner.settings.scopes.clone()),
            self.seal(app_id, TokenPurpose::Access, secrecy::ExposeSecret::expose_secret(&grant.access_token)),
            self.seal(app_id, TokenPurpose::Refresh, secrecy::ExposeSecret::expose_secret(&refresh_token)),
            lifetime,
            self.inner.clock.now(),
        );
        // A refresh of the previous connection may be running: let it end, so the tokens
        // revoked below are its latest. After the wait the replace goes ahead regardless;
        // a late refresh's write is fenced out.
        self.claim_patiently(app_id, &holder()).await?;
        let replaced = match self.inner.repo.replace(&connection).await {
            Ok(replaced) => replaced,
            Err(err) => {
                revoke(oauth.as_ref(), &grant.access_token, app_id, "the connection could not be stored").await;
                return Err(err.into());
            }
        };
        self.inner.wake.notify_one();
        self.inner.metrics.connected.increment(1);
        tracing::info!(
            dialpad_company_id = %identity.company_id,
            lifetime_s = lifetime.as_secs(),
            replaced = replaced.is_some(),
            "dialpad token exchange succeeded: app connected"
        );
        self.announce(app_id, Change::Now(ConnectionStatus::Active), &connection, replaced.as_ref().map(|r| r.status))
            .await;
        if let Some(old) = &replaced {
            match self.open(app_id, TokenPurpose::Access, &old.access_token) {
                Ok(token) => {
                    // Another company's webhook would go on posting here: remove it first.
                    if old.identity.company_id != identity.company_id
                        && let Ok(api) = self.api()
                    {
                        self.deprovision(api.as_ref(), &token, app_id, &old.provisioning).await;
                    }
                    revoke(oauth.as_ref(), &token, app_id, "replaced by a new connect").await;
                }
                Err(err) => tracing::warn!(error = format!("{err:#}"), "the replaced tokens could not be revoked"),
            }
        }
        // Events start arriving once Dialpad has the webhook: set it up off the answer.
        let this = self.clone();
        tokio::spawn(async move {
            let _ = this.provision(app_id).await;
        });
        Ok(Connected { app_id, identity, replaced: replaced.is_some() })
    }
}

/// Revokes the grant of `access_token` at Dialpad, best effort (logged, never fails).
pub(super) async fn revoke(oauth: &dyn DialpadOAuth, access_token: &SecretString, app_id: AppId, why: &str) {
    match oauth.deauthorize(access_token).await {
        Ok(()) => tracing::info!(app_id = %app_id, why, "dialpad tokens revoked"),
        Err(err) => tracing::warn!(app_id = %app_id, why, error = format!("{err:#}"), "dialpad tokens not revoked"),
    }
}
