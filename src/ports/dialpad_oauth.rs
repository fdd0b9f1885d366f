//! DialpadOAuth: Dialpad's authorization server and the two API calls the connection needs
//! (who connected; revoking tokens). The HTTP adapter speaks OAuth 2.0 with PKCE S256; the
//! errors say what the caller can do about a failure, not which HTTP status carried it.

use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;

/// A token endpoint's answer that passed protocol checks (an access token, a bearer type).
#[derive(Debug)]
pub struct TokenGrant {
    pub access_token: SecretString,
    /// Absent when Dialpad gave none (without `offline_access`).
    pub refresh_token: Option<SecretString>,
    /// `expires_in`, when Dialpad said.
    pub expires_in: Option<Duration>,
    /// The granted scopes, when Dialpad said.
    pub scopes: Option<Vec<String>>,
}

/// Who a token belongs to (GET /api/v2/users/me).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialpadUser {
    pub company_id: String,
    pub user_id: String,
    pub email: Option<String>,
}

/// Why a call to Dialpad did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum DialpadError {
    /// Dialpad answered with an OAuth error (`invalid_grant`, `invalid_client`...): the
    /// same request will not succeed. `error` is the OAuth error code.
    #[error("Dialpad refused the request: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused { error: String, description: Option<String> },
    /// Dialpad did not accept the access token (401).
    #[error("Dialpad did not accept the access token")]
    Unauthorized,
    /// Too many requests (429); wait at least `retry_after` when given.
    #[error("Dialpad is rate limiting requests")]
    RateLimited { retry_after: Option<Duration> },
    /// Not reachable, timed out, or a 5xx: retrying later may succeed.
    #[error("Dialpad is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// An answer that breaks the protocol (no access token, not a bearer token, not JSON,
    /// an unexpected status). Never holds a token.
    #[error("Dialpad answered unexpectedly: {0}")]
    Malformed(String),
}

#[async_trait]
pub trait DialpadOAuth: Send + Sync {
    /// The authorize URL a browser is sent to: code flow, this server's client id, redirect
    /// URI and scopes, `state`, and the S256 challenge of `verifier`.
    fn authorize_url(&self, state: &str, verifier: &SecretString) -> String;

    /// Exchanges an authorization code (with its PKCE verifier and the redirect URI).
    async fn exchange_code(&self, code: &str, verifier: &SecretString) -> Result<TokenGrant, DialpadError>;

    /// Trades a refresh token for a new grant. Dialpad rotates refresh tokens: the one sent
    /// must never be sent again once this returns a grant.
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, DialpadError>;

    /// The user (and company) an access token belongs to.
    async fn me(&self, access_token: &SecretString) -> Result<DialpadUser, DialpadError>;

    /// Revokes the tokens of the grant `access_token` belongs to.
    async fn deauthorize(&self, access_token: &SecretString) -> Result<(), DialpadError>;
}
