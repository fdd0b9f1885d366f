//! Wiring of ingest: the event writer, webhook secrets, the Dialpad connection (the HTTP
//! OAuth and API client when CLIENT_ID and CLIENT_SECRET are configured) and the webhook
//! routes, which hand stored events to the Dialpad connection (the screen pop).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;

use super::wiring::{Keys, Wiring};
use crate::adapters::dialpad::{DialpadSettings, HttpDialpad};
use crate::app::apps::Apps;
use crate::app::dialpad::{
    ConnectSettings, DialpadConnections, DialpadPeers, DialpadPorts, DialpadSecrets, run_refresher,
};
use crate::app::rate_limits::RateLimits;
use crate::app::realtime::Publisher;
use crate::app::user_mappings::UserMappings;
use crate::app::webhooks::{EventWriter, WebhookPeers, WebhookPorts, WebhookSecrets, Webhooks};
use crate::domain::crypto::SealingKey;
use crate::ports::{DialpadApi, DialpadOAuth};
use crate::telemetry;

/// Writer tasks storing webhook events (each commits its own batches).
const EVENT_WRITERS: usize = 2;
/// The most one request to Dialpad may take (well under a connection claim's 30 s).
const DIALPAD_TIMEOUT: Duration = Duration::from_secs(10);

/// What ingest is built on.
pub struct IngestPeers {
    pub apps: Apps,
    pub mappings: UserMappings,
    pub publisher: Publisher,
    pub limits: RateLimits,
}

impl Wiring<'_> {
    /// The webhook routes and the Dialpad connection, with its token refresher.
    pub fn ingest(&self, keys: &Keys, peers: IngestPeers) -> anyhow::Result<(Webhooks, DialpadConnections)> {
        let IngestPeers { apps, mappings, publisher, limits } = peers;
        let backends = self.backends;
        let writer = EventWriter::new(
            backends.events.clone(),
            EVENT_WRITERS,
            publisher,
            self.metrics.histogram("webhook_batch_size", &[]),
        );
        let sealing_key = SealingKey::new(self.config.token_encryption_key.bytes.expose_secret());
        let secrets = WebhookSecrets::new(
            backends.webhook_secrets.clone(),
            backends.apps.clone(),
            sealing_key.clone(),
            self.clock.clone(),
            keys.freshness.clone(),
        );
        let peers = DialpadPeers {
            apps: apps.clone(),
            writer: writer.clone(),
            secrets: secrets.clone(),
            mappings: mappings.clone(),
            limits,
        };
        let dialpad = self.dialpad(peers, sealing_key)?;
        let refreshed = dialpad.clone();
        self.background.spawn(|stop| run_refresher(refreshed, stop));
        let webhooks = Webhooks::new(
            WebhookPorts {
                mappings: backends.user_mappings.clone(),
                store: backends.events.clone(),
                clock: self.clock.clone(),
            },
            WebhookPeers { apps, writer, secrets },
            self.legacy_webhook_secret(),
            telemetry::webhook_metrics(&self.metrics),
        )
        .after_stored(Arc::new(dialpad.clone()));
        Ok((webhooks, dialpad))
    }

    /// The Dialpad connection capability.
    fn dialpad(&self, peers: DialpadPeers, key: SealingKey) -> anyhow::Result<DialpadConnections> {
        let (config, backends, clock) = (self.config, self.backends, self.clock.clone());
        let oauth = config.dialpad.oauth.as_ref();
        let client = match oauth {
            Some(oauth) => {
                let settings = DialpadSettings {
                    base_url: config.dialpad.base_url.clone(),
                    client_id: oauth.client_id.clone(),
                    client_secret: oauth.client_secret.clone(),
                    redirect_uri: oauth.redirect_uri.clone(),
                    scopes: config.dialpad.scopes.clone(),
                    timeout: DIALPAD_TIMEOUT,
                };
                Some(Arc::new(HttpDialpad::new(settings).context("the Dialpad OAuth client")?))
            }
            None => None,
        };
        let api = client.clone().map(|c| c as Arc<dyn DialpadApi>);
        let client = client.map(|c| c as Arc<dyn DialpadOAuth>);
        if config.dialpad.connect_without_ticket {
            tracing::warn!(
                "DIALPAD_CONNECT_WITHOUT_TICKET is on: anyone who knows an app's id can connect a Dialpad account to it; use connect links instead"
            );
        }
        let public_origin = oauth.map(|o| o.public_origin()).unwrap_or_default();
        Ok(DialpadConnections::new(
            DialpadPorts {
                oauth: client,
                api,
                repo: backends.connections.clone(),
                sessions: backends.sessions.clone(),
                clock,
            },
            peers,
            DialpadSecrets { sealing_key: key, session_secret: config.session_secret.clone() },
            ConnectSettings {
                public_url: config.dialpad.public_url.clone().unwrap_or_else(|| public_origin.clone()),
                public_origin,
                scopes: config.dialpad.scopes.clone(),
                connect_without_ticket: config.dialpad.connect_without_ticket,
                call_states: config.dialpad.call_states.clone(),
            },
            telemetry::dialpad_metrics(&self.metrics),
        ))
    }
}
