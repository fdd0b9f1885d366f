//! Each app's Dialpad connection: connect links (link.rs), the OAuth flow with PKCE that any
//! instance can start (start.rs) and finish (callback.rs), tokens sealed at rest and
//! refreshed at about 80 % of their lifetime by exactly one instance at a time
//! (refresh.rs, refresher.rs), clean disconnects (disconnect.rs), the status the admin API
//! shows (status.rs), and status changes announced on the app's stream (announce.rs).
//! Through the connection the server acts for the app (act.rs): it provisions the webhook
//! and call subscription that deliver the app's events (provision.rs), starts calls and
//! pops screens for the app's users (actions.rs), and pops the app's page when an inbound
//! call rings (ring.rs).
//!
//! Exactly one instance rotates a connection's tokens: every rotation (and every replace or
//! delete) runs under a claim on the connection's row, read again once claimed, and its
//! write is fenced by that claim. A rotating refresh token used twice logs the account out.

mod act;
mod actions;
mod announce;
mod callback;
mod disconnect;
mod link;
mod provision;
mod refresh;
mod refresher;
mod ring;
mod start;
mod status;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use secrecy::SecretString;
use tokio::sync::Notify;

pub use self::act::ActError;
pub use self::actions::{ActionError, Agent};
pub use self::callback::{CallbackError, CallbackParams, Connected};
pub use self::disconnect::{DisconnectError, Disconnected, Revocation};
pub use self::link::{CONNECT_LINK_TTL, ConnectLink, LinkError};
pub use self::provision::{ProvisionError, Provisioned};
pub use self::refresher::run_refresher;
pub use self::start::{SESSION_TTL, StartError, Started};
use crate::app::apps::Apps;
use crate::app::rate_limits::RateLimits;
use crate::app::user_mappings::UserMappings;
use crate::app::webhooks::{EventWriter, WebhookSecrets};
use crate::domain::app::AppId;
use crate::domain::crypto::{NONCE_LEN, SealingKey};
use crate::domain::dialpad::{SealedToken, SessionCookie, TokenPurpose};
use crate::ports::{Claim, Clock, ConnectionRepository, DialpadApi, DialpadOAuth, SessionStore, StoreError};

/// How long a claim on a connection lasts: longer than anything done under it (a refresh and
/// a deauthorize, each bounded by the Dialpad client's timeout).
const CLAIM_TTL: Duration = Duration::from_secs(30);
/// How long a disconnect or reconnect waits for a running refresh to finish.
const CLAIM_PATIENCE: Duration = Duration::from_secs(15);

/// What an operator configures.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    /// Where browsers reach this server (the redirect URI's origin): connect links start here.
    pub public_origin: String,
    /// The scopes asked for, recorded when Dialpad does not say what it granted.
    pub scopes: Vec<String>,
    /// Accept the connect form without a ticket (the old server's behaviour).
    pub connect_without_ticket: bool,
    /// Where Dialpad reaches this server (PUBLIC_URL): provisioned webhooks post to
    /// `<public_url>/webhooks/dialpad/<app_id>`.
    pub public_url: String,
    /// The call states the provisioned subscription asks for.
    pub call_states: Vec<String>,
}

/// What the connections count.
#[derive(Clone)]
pub struct DialpadMetrics {
    /// Token rotations by this instance, by result: `ok`, `refused` (reauth required),
    /// `failed` (retried later).
    pub refreshes: std::sync::Arc<dyn Fn(&'static str) -> metrics::Counter + Send + Sync>,
    /// Connects completed on this instance.
    pub connected: metrics::Counter,
    /// Disconnects done on this instance.
    pub disconnected: metrics::Counter,
    /// Dialpad API requests by operation and outcome.
    pub api: std::sync::Arc<dyn Fn(&'static str, &'static str) -> metrics::Counter + Send + Sync>,
    /// Their latency, by operation.
    pub api_seconds: std::sync::Arc<dyn Fn(&'static str) -> metrics::Histogram + Send + Sync>,
    /// Screen pops on ringing, by outcome (popped, skipped, limited, failed).
    pub ring_pops: std::sync::Arc<dyn Fn(&'static str) -> metrics::Counter + Send + Sync>,
}

/// The Dialpad connection capability.
#[derive(Clone)]
pub struct DialpadConnections {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None`: no OAuth client configured; connecting is refused.
    oauth: Option<Arc<dyn DialpadOAuth>>,
    /// Configured with `oauth`.
    api: Option<Arc<dyn DialpadApi>>,
    repo: Arc<dyn ConnectionRepository>,
    sessions: Arc<dyn SessionStore>,
    apps: Apps,
    writer: EventWriter,
    secrets: WebhookSecrets,
    mappings: UserMappings,
    limits: RateLimits,
    key: SealingKey,
    cookie: SessionCookie,
    clock: Arc<dyn Clock>,
    settings: ConnectSettings,
    metrics: DialpadMetrics,
    /// Wakes this instance's refresher when a connection was made here.
    wake: Notify,
}

/// What the capability needs from the outside.
pub struct DialpadPorts {
    pub oauth: Option<Arc<dyn DialpadOAuth>>,
    pub api: Option<Arc<dyn DialpadApi>>,
    pub repo: Arc<dyn ConnectionRepository>,
    pub sessions: Arc<dyn SessionStore>,
    pub clock: Arc<dyn Clock>,
}

/// Its secrets: the key that seals Dialpad tokens at rest, and the one that signs the
/// connect flow's session cookie.
pub struct DialpadSecrets {
    pub sealing_key: SealingKey,
    pub session_secret: SecretString,
}

/// The other capabilities it works with.
pub struct DialpadPeers {
    pub apps: Apps,
    pub writer: EventWriter,
    pub secrets: WebhookSecrets,
    pub mappings: UserMappings,
    pub limits: RateLimits,
}

impl DialpadConnections {
    pub fn new(
        ports: DialpadPorts,
        peers: DialpadPeers,
        secrets: DialpadSecrets,
        settings: ConnectSettings,
        metrics: DialpadMetrics,
    ) -> Self {
        let DialpadPorts { oauth, api, repo, sessions, clock } = ports;
        let DialpadPeers { apps, writer, secrets: webhook_secrets, mappings, limits } = peers;
        let DialpadSecrets { sealing_key, session_secret } = secrets;
        Self {
            inner: Arc::new(Inner {
                oauth,
                api,
                repo,
                sessions,
                apps,
                writer,
                secrets: webhook_secrets,
                mappings,
                limits,
                key: sealing_key,
                cookie: SessionCookie::new(session_secret),
                clock,
                settings,
                metrics,
                wake: Notify::new(),
            }),
        }
    }

    fn oauth(&self) -> Option<&Arc<dyn DialpadOAuth>> {
        self.inner.oauth.as_ref()
    }

    /// Seals `token` for `app_id` under a fresh random nonce.
    fn seal(&self, app_id: AppId, purpose: TokenPurpose, token: &str) -> SealedToken {
        SealedToken::seal(&self.inner.key, nonce(), app_id, purpose, token)
    }

    /// Opens a stored token; a token that does not open (TOKEN_ENCRYPTION_KEY changed) is
    /// an unexpected store error.
    fn open(&self, app_id: AppId, purpose: TokenPurpose, token: &SealedToken) -> Result<SecretString, StoreError> {
        token.open(&self.inner.key, app_id, purpose).map(SecretString::from).map_err(|_| {
            StoreError::unexpected(anyhow::anyhow!(
                "a stored Dialpad token of app {app_id} does not decrypt: TOKEN_ENCRYPTION_KEY changed?"
            ))
        })
    }

    /// Claims the app's connection for `holder`, waiting up to [`CLAIM_PATIENCE`] for a
    /// claim held elsewhere (a refresh) to end.
    async fn claim_patiently(&self, app_id: AppId, holder: &str) -> Result<Claim, StoreError> {
        let give_up = tokio::time::Instant::now() + CLAIM_PATIENCE;
        loop {
            let now = self.inner.clock.now();
            match self.inner.repo.claim(app_id, holder, now, now + CLAIM_TTL).await? {
                Claim::Busy if tokio::time::Instant::now() < give_up => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                claim => return Ok(claim),
            }
        }
    }
}

/// A fresh random AES-GCM nonce (never repeats in practice: 96 random bits per seal).
fn nonce() -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    rand::Rng::fill(&mut OsRng.unwrap_err(), &mut nonce);
    nonce
}

/// A new claim holder: one attempt on one instance.
fn holder() -> String {
    URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}
