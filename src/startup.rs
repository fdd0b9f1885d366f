//! Wiring: picks adapters from the configuration, builds the use cases and the HTTP service,
//! binds the listener and owns shutdown. [`Application::build`] reports the bound port, so
//! tests bind port 0 and run many servers in one process.

pub mod backends;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use salvo::conn::{Acceptor, TcpListener};
use salvo::prelude::*;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use self::backends::Backends;
use crate::adapters::clock::SystemClock;
use crate::adapters::http::state::{AppState, Services};
use crate::adapters::http::{self, HttpSettings};
use crate::app::apps::Apps;
use crate::config::{Config, Environment};
use crate::ports::Clock;
use crate::telemetry::Metrics;

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server<salvo::conn::tcp::TcpAcceptor>,
    service: Service,
    shutdown: CancellationToken,
    shutdown_timeout: Duration,
    background: TaskTracker,
    background_stop: CancellationToken,
}

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
        let state = AppState::new(Services {
            apps: Apps::new(backends.apps.clone(), clock.clone()),
            probes: backends.probes.clone(),
            metrics: metrics.clone(),
            environment: config.environment,
            started_at: Instant::now(),
        });
        let service = http::service(
            state,
            HttpSettings {
                internal_api_secret: config.internal_api_secret.value.clone(),
                enforce_https: (config.environment == Environment::Production)
                    .then(|| config.http.trusted_proxies.clone()),
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

        let background = TaskTracker::new();
        let background_stop = CancellationToken::new();
        background.spawn(upkeep(metrics, background_stop.clone()));

        Ok(Self {
            port,
            server: Server::new(acceptor),
            service,
            shutdown: CancellationToken::new(),
            shutdown_timeout: config.http.shutdown_timeout,
            background,
            background_stop,
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
        handle.stop_graceful(self.shutdown_timeout);
        serving.await.context("server task failed")?.context("server failed while draining")?;
        self.background_stop.cancel();
        self.background.close();
        self.background.wait().await;
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
