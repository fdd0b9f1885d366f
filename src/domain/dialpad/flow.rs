//! The browser side of connecting: a one-time connect ticket (the link an admin is given),
//! then an OAuth session (app, `state`, PKCE verifier) kept server-side and named by a
//! cookie signed with SESSION_SECRET. The session id is itself a 256-bit one-time token;
//! the signature binds the cookie to this deployment, and the session is taken once.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rand::CryptoRng;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::domain::app::AppId;
use crate::domain::token::{OneTimeToken, TokenKind};

/// The kind of a connect ticket: `dct_...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectTicketKind;

impl TokenKind for ConnectTicketKind {
    const PREFIX: &'static str = "dct_";
}

/// A one-time connect ticket: opens GET /auth/dialpad/connect for one app, once.
pub type ConnectTicket = OneTimeToken<ConnectTicketKind>;

/// The kind of an OAuth session id: `dps_...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionKind;

impl TokenKind for SessionKind {
    const PREFIX: &'static str = "dps_";
}

/// The id of an OAuth session, carried by the browser's cookie.
pub type SessionId = OneTimeToken<SessionKind>;

/// An OAuth flow in progress: which app, the `state` Dialpad must hand back, and the PKCE
/// verifier only this server knows. `Debug` shows the app only.
#[derive(Clone, Serialize, Deserialize)]
pub struct OAuthSession {
    pub app_id: AppId,
    state: String,
    verifier: String,
}

impl OAuthSession {
    /// A new session for `app_id`: 256 random bits of `state`, and a 43-character verifier
    /// (32 random bytes, base64url, as RFC 7636 recommends).
    pub fn generate(app_id: AppId, rng: &mut impl CryptoRng) -> Self {
        Self { app_id, state: random_b64(rng), verifier: random_b64(rng) }
    }

    pub fn state(&self) -> &str {
        &self.state
    }

    /// The PKCE code verifier, sent only to Dialpad's token endpoint.
    pub fn verifier(&self) -> SecretString {
        SecretString::from(self.verifier.clone())
    }

    /// Whether `presented` is this session's state, compared in constant time.
    pub fn state_matches(&self, presented: &str) -> bool {
        bool::from(self.state.as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthSession").field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

fn random_b64(rng: &mut impl CryptoRng) -> String {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs and checks the session cookie's value: `<session id>.<base64url HMAC-SHA256>`.
#[derive(Clone)]
pub struct SessionCookie {
    key: SecretString,
}

impl SessionCookie {
    pub fn new(secret: SecretString) -> Self {
        Self { key: secret }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes()).expect("HMAC takes a key of any length")
    }

    /// The cookie value naming `id`.
    pub fn sign(&self, id: &SessionId) -> String {
        let tag = self.mac().chain_update(id.reveal().as_bytes()).finalize().into_bytes();
        format!("{}.{}", id.reveal(), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The session id a cookie value names, if this deployment signed it (constant time).
    pub fn verify(&self, value: &str) -> Option<SessionId> {
        let (id, tag) = value.split_once('.')?;
        let id = SessionId::parse(id).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac().chain_update(id.reveal().as_bytes()).verify_slice(&tag).ok()?;
        Some(id)
    }
}

impl fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionCookie([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie() -> SessionCookie {
        SessionCookie::new(SecretString::from("session-secret-0123456789abcdef0123"))
    }

    #[test]
    fn a_signed_cookie_names_its_session_and_nothing_else_does() {
        let id = SessionId::generate(&mut rand::rng());
        let value = cookie().sign(&id);
        assert_eq!(cookie().verify(&value), Some(id.clone()));

        let other_deployment = SessionCookie::new(SecretString::from("another-secret-0123456789abcdef01"));
        assert_eq!(other_deployment.verify(&value), None, "signed elsewhere");
        let another_id = SessionId::generate(&mut rand::rng());
        let (_, tag) = value.split_once('.').unwrap();
        for forged in [
            format!("{}.{tag}", another_id.reveal()),
            id.reveal().to_owned(),
            format!("{}.", id.reveal()),
            format!("{}.AAAA", id.reveal()),
            String::new(),
            format!("{value}x"),
        ] {
            assert_eq!(cookie().verify(&forged), None, "{forged:?}");
        }
    }

    #[test]
    fn sessions_carry_enough_randomness_and_compare_state_exactly() {
        let mut rng = rand::rng();
        let app = AppId::generate();
        let a = OAuthSession::generate(app, &mut rng);
        let b = OAuthSession::generate(app, &mut rng);
        assert_eq!(a.state().len(), 43, "256 bits");
        assert_eq!(a.verifier().expose_secret().len(), 43, "RFC 7636: 43 to 128 characters");
        assert_ne!(a.state(), b.state());
        assert_ne!(a.verifier().expose_secret(), b.verifier().expose_secret());
        assert!(a.state_matches(a.state()));
        assert!(!a.state_matches(b.state()));
        assert!(!a.state_matches(""));
        assert!(!a.state_matches(&a.state()[1..]));
        let shown = format!("{a:?}");
        assert!(!shown.contains(a.state()) && !shown.contains(a.verifier().expose_secret()));
    }

    #[test]
    fn connect_tickets_and_session_ids_are_distinct_kinds() {
        let ticket = ConnectTicket::generate(&mut rand::rng());
        assert!(ticket.reveal().starts_with("dct_"));
        assert!(SessionId::parse(ticket.reveal()).is_err());
    }
}
