//! Wiring: picks adapters from the configuration, builds the use cases and the HTTP service,
//! binds the listener and owns shutdown. [`Application::build`] reports the bound port, so
//! tests bind port 0 and run many servers in one process.

pub mod backends;
pub mod listener;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use salvo::conn::{Acceptor, TcpListener};
use salvo::fuse::FuseConfig;
use salvo::prelude::*;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use self::backends::Backends;
use self::listener::{ClosableAcceptor, Closer};
use crate::adapters::clock::SystemClock;
use crate::adapters::dialpad::{DialpadSettings, HttpDialpad};
use crate::adapters::http::state::{AppState, Services};
use crate::adapters::http::{self, HttpSettings};
use crate::adapters::moka_cache::MokaKeyCache;
use crate::adapters::ws::Connections;
use crate::app::api_keys::{
    ApiKeys, Authenticator, Generations, KeyAnnouncer, LastUsed, apply_invalidations, run_expiry_sweeper,
    run_last_used_writer,
};
use crate::app::apps::Apps;
use crate::app::dialpad::{ConnectSettings, DialpadConnections, DialpadPeers, DialpadPorts, run_refresher};
use crate::app::queries::Queries;
use crate::app::rate_limits::{RateLimitSettings, RateLimits};
use crate::app::realtime::{Credentials, Hubs, Publisher, Realtime, RealtimeSettings, Tickets, run_credential_checks};
use crate::app::user_mappings::UserMappings;
use crate::app::webhooks::{EventWriter, WebhookSecrets, Webhooks};
use crate::config::{Config, Environment};
use crate::domain::api_key::KeyEnvironment;
use crate::domain::crypto::SealingKey;
use crate::ports::{ApiKeyCache, Clock, DialpadApi, DialpadOAuth};
use crate::telemetry::{self, Metrics};

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server<ClosableAcceptor>,
    /// Closes the listening socket when the drain starts.
    closer: Closer,
    /// Set when the drain starts: readiness answers 503 from then on.
    draining: Arc<AtomicBool>,
    service: Service,
    shutdown: CancellationToken,
    shutdown_timeout: Duration,
    background: TaskTracker,
    background_stop: CancellationToken,
    connections: Connections,
    backends: Backends,
}

/// Most API key checks cached at once (each entry is small: ids and a name).
const KEY_CACHE_CAPACITY: u64 = 100_000;
/// Writer tasks storing webhook events (each commits its own batches).
const EVENT_WRITERS: usize = 2;
/// A client has this long to send a request's head (slow-header attacks hold connections).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest pause between two parts of a request body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for WebSocket clients to answer their close 1001.
const WS_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// The most one request to Dialpad may take (well under a connection claim's 30 s).
const DIALPAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How often grace periods are checked for their end.
const EXPIRY_SWEEP_EVERY: Duration = Duration::from_secs(15);

impl Application {
    /// Connects the configured backends (running migrations if asked), wires the use cases
    /// and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let backends = Backends::connect(&config).await?;
        Self::build_with(config, backends).await
    }

    /// Like [`Application::build`] with backends already connected (tests share pools).
    pub async fn build_with(config: Config, backends: Backends) -> anyhow::Result<Self> {
        let metrics = Metrics::new();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let background = TaskTracker::new();
        let background_stop = CancellationToken::new();

        let generations = Arc::new(Generations::new());
        let announcer = KeyAnnouncer::new(backends.key_invalidation.clone(), generations.clone());
        let key_environment =
            if config.environment == Environment::Production { KeyEnvironment::Live } else { KeyEnvironment::Test };
        let api_keys = ApiKeys::new(
            backends.api_keys.clone(),
            backends.apps.clone(),
            announcer.clone(),
            clock.clone(),
            key_environment,
        );
        let key_cache: Arc<dyn ApiKeyCache> = Arc::new(MokaKeyCache::new(
            KEY_CACHE_CAPACITY,
            config.api_keys.cache_ttl,
            config.api_keys.failure_cache_ttl,
        ));
        let (last_used, last_used_queue) = LastUsed::new();
        let authenticator = Authenticator::new(
            backends.api_keys.clone(),
            backends.apps.clone(),
            key_cache.clone(),
            clock.clone(),
            generations.clone(),
            config.api_keys.max_concurrent_verifications,
            last_used,
            telemetry::auth_metrics(&metrics),
            key_environment,
        );
        let credentials =
            Credentials::new(backends.api_keys.clone(), backends.apps.clone(), clock.clone(), generations.clone());
        // Subscribed before the listener binds: no invalidation can fall in between.
        let notices = backends.key_invalidation.subscribe();
        let streams_recheck = credentials.clone();
        background.spawn(apply_invalidations(
            notices,
            generations,
            move |notice| streams_recheck.changed(notice),
            background_stop.clone(),
        ));
        // Every cache TTL all open streams' keys are read again, as cached keys are.
        background.spawn(run_credential_checks(
            credentials.clone(),
            config.api_keys.cache_ttl,
            background_stop.clone(),
        ));
        background.spawn(run_expiry_sweeper(api_keys.clone(), EXPIRY_SWEEP_EVERY, background_stop.clone()));
        background.spawn(run_last_used_writer(last_used_queue, backends.api_keys.clone(), background_stop.clone()));

        let apps = Apps::new(backends.apps.clone(), clock.clone(), announcer);
        let mappings = UserMappings::new(backends.user_mappings.clone(), backends.apps.clone(), clock.clone());
        let realtime_metrics = telemetry::realtime_metrics(&metrics);
        let publisher = Publisher::start(backends.event_bus.clone(), realtime_metrics.publish_dropped.clone());
        let realtime = Realtime::new(
            Hubs::new(
                backends.event_bus.clone(),
                backends.events.clone(),
                background_stop.clone(),
                realtime_metrics.slow_cut.clone(),
            ),
            backends.events.clone(),
            mappings.clone(),
            Tickets::new(backends.sessions.clone()),
            credentials,
            RealtimeSettings {
                replay_limit: config.streams.replay_limit,
                queue_size: config.streams.send_queue_size,
                ping_interval: config.streams.ping_interval,
            },
            realtime_metrics,
        );
        let connections = Connections::new();
        let writer = EventWriter::new(
            backends.events.clone(),
            EVENT_WRITERS,
            publisher,
            metrics.histogram("webhook_batch_size", &[]),
        );
        let sealing_key = SealingKey::new(config.token_encryption_key.bytes.expose_secret());
        let secrets = WebhookSecrets::new(
            backends.webhook_secrets.clone(),
            backends.apps.clone(),
            sealing_key.clone(),
            clock.clone(),
        );
        let rate_limits = RateLimits::new(
            backends.rate_limiter.clone(),
            RateLimitSettings {
                per_app: config.rate_limits.per_app,
                auth_failures: config.rate_limits.auth_failures,
                oauth_failures: config.rate_limits.oauth_failures,
                internal_per_client: config.rate_limits.internal_per_client,
            },
            telemetry::rate_limit_metrics(&metrics),
        );
        let peers = DialpadPeers {
            apps: apps.clone(),
            writer: writer.clone(),
            secrets: secrets.clone(),
            mappings: mappings.clone(),
            limits: rate_limits.clone(),
        };
        let dialpad = dialpad_connections(
            &config,
            &backends,
            peers,
            (sealing_key, clock.clone()),
            telemetry::dialpad_metrics(&metrics),
        )?;
        background.spawn(run_refresher(dialpad.clone(), background_stop.clone()));
        let webhooks = Webhooks::new(
            apps.clone(),
            backends.user_mappings.clone(),
            backends.events.clone(),
            writer,
            secrets,
            config.dialpad.webhook_secret.as_ref().map(|s| s.expose_secret().as_bytes().to_vec()),
            clock.clone(),
            telemetry::webhook_metrics(&metrics),
        )
        .after_stored(Arc::new(dialpad.clone()));

        let draining = Arc::new(AtomicBool::new(false));
        let state = AppState::new(Services {
            apps,
            api_keys,
            authenticator,
            webhooks,
            queries: Queries::new(backends.events.clone(), mappings.clone()),
            realtime,
            dialpad,
            secure_cookies: config.environment == Environment::Production,
            rate_limits,
            trusted_proxies: config.http.trusted_proxies.clone(),
            connections: connections.clone(),
            allowed_origins: config.streams.allowed_origins.clone(),
            mappings,
            webhook_max_body_bytes: config.webhook_max_body_bytes,
            probes: backends.probes.clone(),
            metrics: metrics.clone(),
            environment: config.environment,
            started_at: Instant::now(),
            draining: draining.clone(),
        });
        let service = http::service(
            state,
            HttpSettings {
                internal_api_secret: config.internal_api_secret.value.clone(),
                enforce_https: (config.environment == Environment::Production)
                    .then(|| config.http.trusted_proxies.clone()),
                console: config.console,
            },
        );

        let addr = SocketAddr::new(config.http.host, config.http.port);
        let acceptor = TcpListener::new(addr).try_bind().await.with_context(|| format!("cannot listen on {addr}"))?;
        let port = acceptor
            .holdings()
            .first()
            .and_then(|h| h.local_addr.clone().into_std())
            .map(|a| a.port())
            .context("listener has no local address")?;

        background.spawn(upkeep(metrics, background_stop.clone()));
        let (acceptor, closer) = ClosableAcceptor::new(acceptor);
        let fuses =
            FuseConfig::default().with_http1_header_timeout(HEADER_TIMEOUT).with_request_body_timeout(BODY_TIMEOUT);

        let mut server = Server::new(acceptor).fuse_config(fuses);
        server.http1_mut().max_headers(http::middleware::request_shape::HYPER_MAX_HEADERS);

        Ok(Self {
            port,
            server,
            closer,
            draining,
            service,
            shutdown: CancellationToken::new(),
            shutdown_timeout: config.http.shutdown_timeout,
            background,
            background_stop,
            connections,
            backends,
        })
    }

    /// The port the server is bound to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cancel this token to shut the server down gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled, then stops accepting, lets in-flight
    /// requests finish within the shutdown timeout, and stops background tasks.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let mut serving = tokio::spawn(self.server.try_serve(self.service));
        tokio::select! {
            result = &mut serving => {
                result.context("server task failed")?.context("server stopped")?;
                anyhow::bail!("server stopped before shutdown was requested");
            }
            () = self.shutdown.cancelled() => {}
        }
        tracing::info!(timeout_s = self.shutdown_timeout.as_secs(), "shutting down: draining in-flight requests");
        self.draining.store(true, Ordering::Release);
        handle.stop_graceful(self.shutdown_timeout);
        // New connections are refused from here on; accepted ones finish.
        if tokio::time::timeout(Duration::from_secs(2), self.closer.close()).await.is_err() {
            tracing::warn!("the listening socket could not be closed before the drain");
        }
        // Upgraded connections are not requests: salvo does not wait for them. Each gets a
        // close 1001 and a moment to answer it.
        self.connections.close_all(self.shutdown_timeout.min(WS_CLOSE_TIMEOUT)).await;
        serving.await.context("server task failed")?.context("server failed while draining")?;
        self.background_stop.cancel();
        self.background.close();
        self.background.wait().await;
        self.backends.close().await;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

/// The Dialpad connection capability: the HTTP OAuth client when CLIENT_ID and
/// CLIENT_SECRET are configured.
fn dialpad_connections(
    config: &Config,
    backends: &Backends,
    peers: DialpadPeers,
    (key, clock): (SealingKey, Arc<dyn Clock>),
    metrics: crate::app::dialpad::DialpadMetrics,
) -> anyhow::Result<DialpadConnections> {
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
        (key, config.session_secret.clone()),
        ConnectSettings {
            public_url: config.dialpad.public_url.clone().unwrap_or_else(|| public_origin.clone()),
            public_origin,
            scopes: config.dialpad.scopes.clone(),
            connect_without_ticket: config.dialpad.connect_without_ticket,
            call_states: config.dialpad.call_states.clone(),
        },
        metrics,
    ))
}

/// Periodic metrics housekeeping (histogram buffers), until stopped.
async fn upkeep(metrics: Metrics, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = tick.tick() => metrics.run_upkeep(),
            () = stop.cancelled() => return,
        }
    }
}
