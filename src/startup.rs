//! Wiring: picks adapters from the configuration, builds the use cases and the HTTP service,
//! binds the listener and owns shutdown. [`Application::build`] reports the bound port, so
//! tests bind port 0 and run many servers in one process.

pub mod backends;
pub mod ingest;
pub mod listener;
pub mod wiring;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use salvo::conn::{Acceptor, TcpListener};
use salvo::fuse::FuseConfig;
use salvo::prelude::*;
use tokio_util::sync::CancellationToken;

pub use self::backends::Backends;
use self::ingest::IngestPeers;
use self::listener::{ClosableAcceptor, Closer};
use self::wiring::{Background, Wiring};
use crate::adapters::clock::SystemClock;
use crate::adapters::http::state::{AppState, Services};
use crate::adapters::http::{self, HttpSettings};
use crate::adapters::ws::Connections;
use crate::app::queries::Queries;
use crate::config::{Config, Environment};
use crate::telemetry::Metrics;

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
    background: Background,
    connections: Connections,
    backends: Backends,
}

/// A client has this long to send a request's head (slow-header attacks hold connections).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest pause between two parts of a request body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for WebSocket clients to answer their close 1001.
const WS_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

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
        let wiring = Wiring {
            config: &config,
            backends: &backends,
            clock: Arc::new(SystemClock),
            metrics: metrics.clone(),
            background: Background::default(),
        };
        let keys = wiring.keys();
        let apps = wiring.apps(&keys);
        let mappings = wiring.user_mappings();
        let (realtime, publisher) = wiring.realtime(mappings.clone(), keys.credentials.clone());
        let limits = wiring.rate_limits();
        let peers = IngestPeers { apps: apps.clone(), mappings: mappings.clone(), publisher, limits: limits.clone() };
        let (webhooks, dialpad) = wiring.ingest(&keys, peers)?;
        let access = wiring.access(&keys, &realtime, limits);
        let background = wiring.background.clone();
        background.spawn(|stop| upkeep(metrics.clone(), stop));

        let connections = Connections::new();
        let draining = Arc::new(AtomicBool::new(false));
        let state = AppState::new(Services {
            apps,
            api_keys: keys.api_keys,
            access,
            webhooks,
            queries: Queries::new(backends.events.clone(), mappings.clone()),
            realtime,
            dialpad,
            secure_cookies: config.environment == Environment::Production,
            trusted_proxies: config.http.trusted_proxies.clone(),
            connections: connections.clone(),
            allowed_origins: config.streams.allowed_origins.clone(),
            mappings,
            webhook_max_body_bytes: config.webhook_max_body_bytes,
            probes: backends.probes.clone(),
            metrics,
            environment: config.environment,
            started_at: Instant::now(),
            draining: draining.clone(),
        });
        let service = http::service(
            state,
            HttpSettings {
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
        self.background.stop().await;
        self.backends.close().await;
        tracing::info!("shutdown complete");
        Ok(())
    }
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
