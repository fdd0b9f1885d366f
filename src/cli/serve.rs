//! `cti-server serve`: run until SIGTERM or SIGINT, then shut down gracefully and exit 0.

use std::process::ExitCode;

use secrecy::ExposeSecret;

use crate::config::{Config, Environment};
use crate::startup::Application;
use crate::telemetry;

pub async fn run(config: Config) -> ExitCode {
    telemetry::init_logging(&config.log);
    warn_about_generated_secrets(&config);
    let environment = config.environment;
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "startup failed");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(port = app.port(), environment = %environment, version = env!("CARGO_PKG_VERSION"), "cti-server listening");
    let shutdown = app.shutdown_token();
    tokio::spawn(async move {
        wait_for_signal().await;
        shutdown.cancel();
    });
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "server failed");
            ExitCode::FAILURE
        }
    }
}

/// In development a missing INTERNAL_API_SECRET is generated. It is printed once, to
/// stderr and not through the logger, so log shipping never carries it.
fn warn_about_generated_secrets(config: &Config) {
    if config.internal_api_secret.generated {
        eprintln!(
            "\n  WARNING: INTERNAL_API_SECRET is not set; generated one for this run only:\n\n    {}\n\n  \
             Use it as `Authorization: Bearer <secret>` on /internal/*. Set INTERNAL_API_SECRET to keep one.\n",
            config.internal_api_secret.value.expose_secret()
        );
    }
    if config.token_encryption_key.generated {
        tracing::warn!(
            "TOKEN_ENCRYPTION_KEY is not set: using a temporary key; secrets encrypted now are unreadable after a restart"
        );
    }
    if config.environment != Environment::Development
        && config.rate_limits.auth_failures.is_some()
        && config.http.trusted_proxies.is_empty()
    {
        tracing::warn!(
            "TRUSTED_PROXIES is not set: behind a load balancer every client shares its address, and one client's wrong credentials (RATE_LIMIT_AUTH_FAILURES_PER_MINUTE) refuse them all"
        );
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}
