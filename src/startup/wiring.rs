//! Wiring, one capability at a time: each is built from the backends and the
//! configuration, its background tasks started on one tracker that shutdown stops. Tests
//! build capabilities through the same functions (with their own backends and clock), so
//! what they exercise is what runs.

use std::sync::Arc;

use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Backends;
use crate::app::access::{Access, InternalSecret};
use crate::app::api_keys::{ApiKeys, AuthSettings, Authenticator, LastUsed, run_expiry_sweeper, run_last_used_writer};
use crate::app::apps::Apps;
use crate::app::freshness::{Freshness, apply_invalidations};
use crate::app::rate_limits::{RateLimitSettings, RateLimits};
use crate::app::realtime::{Credentials, Hubs, Publisher, Realtime, RealtimeSettings, Tickets, run_credential_checks};
use crate::app::user_mappings::UserMappings;
use crate::config::{Config, Environment};
use crate::domain::api_key::KeyEnvironment;
use crate::ports::Clock;
use crate::telemetry::{self, Metrics};

/// How often grace periods are checked for their end.
const EXPIRY_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

/// Background tasks: started by the capabilities, stopped together at shutdown.
#[derive(Clone, Default)]
pub struct Background {
    tasks: TaskTracker,
    stop: CancellationToken,
}

impl Background {
    /// Runs `task`, which must return once the token it is given is cancelled.
    pub fn spawn<F>(&self, task: impl FnOnce(CancellationToken) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task(self.stop.clone()));
    }

    /// Stops every task and waits for them.
    pub async fn stop(&self) {
        self.stop.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// What every capability is built from.
pub struct Wiring<'a> {
    pub config: &'a Config,
    pub backends: &'a Backends,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
    pub background: Background,
}

/// API keys, and the freshness every cache keyed by app shares.
#[derive(Clone)]
pub struct Keys {
    pub freshness: Freshness,
    pub api_keys: ApiKeys,
    pub authenticator: Authenticator,
    /// Open streams' credentials, checked again whenever their app changes.
    pub credentials: Credentials,
}

impl Wiring<'_> {
    /// Keys in the environment of this deployment: live keys in production only.
    fn key_environment(&self) -> KeyEnvironment {
        if self.config.environment == Environment::Production { KeyEnvironment::Live } else { KeyEnvironment::Test }
    }

    /// API keys: issue and revoke, authentication, the change notices of every instance
    /// (subscribed now, before the listener binds, so none falls in between), the checks of
    /// open streams' keys, the grace-period sweeper and the last-used writer.
    pub fn keys(&self) -> Keys {
        let (config, backends) = (self.config, self.backends);
        let freshness = Freshness::new(backends.key_invalidation.clone());
        let api_keys = ApiKeys::new(
            backends.api_keys.clone(),
            backends.apps.clone(),
            freshness.clone(),
            self.clock.clone(),
            self.key_environment(),
        );
        let (last_used, last_used_queue) = LastUsed::new();
        let authenticator = Authenticator::new(
            backends.api_keys.clone(),
            backends.apps.clone(),
            self.clock.clone(),
            &freshness,
            AuthSettings {
                valid_ttl: config.api_keys.cache_ttl,
                failure_ttl: config.api_keys.failure_cache_ttl,
                max_concurrent_verifications: config.api_keys.max_concurrent_verifications,
                environment: self.key_environment(),
            },
            last_used,
            telemetry::auth_metrics(&self.metrics),
        );
        let credentials =
            Credentials::new(backends.api_keys.clone(), backends.apps.clone(), self.clock.clone(), freshness.clone());
        let notices = backends.key_invalidation.subscribe();
        let (applied, recheck) = (freshness.clone(), credentials.clone());
        self.background.spawn(|stop| apply_invalidations(notices, applied, move |n| recheck.changed(n), stop));
        // Every cache time to live all open streams' keys are read again, as cached keys are.
        let checked = credentials.clone();
        self.background.spawn(|stop| run_credential_checks(checked, config.api_keys.cache_ttl, stop));
        let swept = api_keys.clone();
        self.background.spawn(|stop| run_expiry_sweeper(swept, EXPIRY_SWEEP_EVERY, stop));
        let repo = backends.api_keys.clone();
        self.background.spawn(|stop| run_last_used_writer(last_used_queue, repo, stop));
        Keys { freshness, api_keys, authenticator, credentials }
    }

    pub fn apps(&self, keys: &Keys) -> Apps {
        Apps::new(self.backends.apps.clone(), self.clock.clone(), keys.freshness.clone())
    }

    pub fn user_mappings(&self) -> UserMappings {
        UserMappings::new(self.backends.user_mappings.clone(), self.backends.apps.clone(), self.clock.clone())
    }

    /// Live streams: the hubs fed by the event bus, and the publisher that feeds it.
    pub fn realtime(&self, mappings: UserMappings, credentials: Credentials) -> (Realtime, Publisher) {
        let metrics = telemetry::realtime_metrics(&self.metrics);
        let publisher = Publisher::start(self.backends.event_bus.clone(), metrics.publish_dropped.clone());
        let hubs = Hubs::new(
            self.backends.event_bus.clone(),
            self.backends.events.clone(),
            self.background.stop.clone(),
            metrics.slow_cut.clone(),
        );
        let streams = &self.config.streams;
        let settings = RealtimeSettings {
            replay_limit: streams.replay_limit,
            queue_size: streams.send_queue_size,
            ping_interval: streams.ping_interval,
        };
        let tickets = Tickets::new(self.backends.sessions.clone());
        let realtime =
            Realtime::new(hubs, self.backends.events.clone(), mappings, tickets, credentials, settings, metrics);
        (realtime, publisher)
    }

    pub fn rate_limits(&self) -> RateLimits {
        let limits = &self.config.rate_limits;
        let settings = RateLimitSettings {
            per_app: limits.per_app,
            auth_failures: limits.auth_failures,
            oauth_failures: limits.oauth_failures,
            internal_per_client: limits.internal_per_client,
        };
        RateLimits::new(self.backends.rate_limiter.clone(), settings, telemetry::rate_limit_metrics(&self.metrics))
    }

    /// Who is let in: API keys, stream tickets and the internal secret, under the limits.
    pub fn access(&self, keys: &Keys, realtime: &Realtime, limits: RateLimits) -> Access {
        let internal = InternalSecret::new(&self.config.internal_api_secret.value);
        let (tickets, credentials) = (realtime.tickets.clone(), keys.credentials.clone());
        Access::new(keys.authenticator.clone(), tickets, credentials, limits, internal)
    }

    /// DIALPAD_WEBHOOK_SECRET, for the legacy route.
    pub fn legacy_webhook_secret(&self) -> Option<Vec<u8>> {
        self.config.dialpad.webhook_secret.as_ref().map(|s| s.expose_secret().as_bytes().to_vec())
    }
}
