//! Backend selection from configuration, out of a closed set: Postgres when a database is
//! configured, memory otherwise; Redis when REDIS_URL is set, in-process otherwise.
//! Connecting here, once, keeps pools out of globals.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

use crate::adapters::clock::SystemClock;
use crate::adapters::memory::{
    InProcessEventBus, InProcessKeyInvalidation, InProcessRateLimiter, MemoryApiKeyRepository, MemoryAppRepository,
    MemoryConnectionRepository, MemoryEventStore, MemorySessionStore, MemoryUserMappingRepository,
    MemoryWebhookSecretRepository,
};
use crate::adapters::postgres::{
    self, PgApiKeyRepository, PgAppRepository, PgConnectionRepository, PgEventStore, PgHealthProbe,
    PgUserMappingRepository, PgWebhookSecretRepository,
};
use crate::adapters::redis::{
    RedisClients, RedisEventBus, RedisHealthProbe, RedisKeyInvalidation, RedisRateLimiter, RedisSessionStore,
};
use crate::config::{Config, DatabaseConfig, DatabaseTarget, RedisConfig};
use crate::ports::{
    ApiKeyRepository, AppRepository, ConnectionRepository, EventBus, EventStore, HealthProbe, KeyInvalidation,
    RateLimiter, SessionStore, UserMappingRepository, WebhookSecretRepository,
};

/// The connected adapters behind every port.
#[derive(Clone)]
pub struct Backends {
    pub apps: Arc<dyn AppRepository>,
    pub api_keys: Arc<dyn ApiKeyRepository>,
    pub events: Arc<dyn EventStore>,
    pub user_mappings: Arc<dyn UserMappingRepository>,
    pub webhook_secrets: Arc<dyn WebhookSecretRepository>,
    pub connections: Arc<dyn ConnectionRepository>,
    pub key_invalidation: Arc<dyn KeyInvalidation>,
    pub event_bus: Arc<dyn EventBus>,
    pub sessions: Arc<dyn SessionStore>,
    pub rate_limiter: Arc<dyn RateLimiter>,
    pub probes: Vec<Arc<dyn HealthProbe>>,
    pub postgres: Option<PgPool>,
    pub redis: Option<RedisClients>,
}

impl Backends {
    /// Memory adapters for every port: the embedded default.
    pub fn memory() -> Self {
        Self {
            apps: Arc::new(MemoryAppRepository::new()),
            api_keys: Arc::new(MemoryApiKeyRepository::new()),
            events: Arc::new(MemoryEventStore::new()),
            user_mappings: Arc::new(MemoryUserMappingRepository::new()),
            webhook_secrets: Arc::new(MemoryWebhookSecretRepository::new()),
            connections: Arc::new(MemoryConnectionRepository::new()),
            key_invalidation: Arc::new(InProcessKeyInvalidation::new()),
            event_bus: Arc::new(InProcessEventBus::new()),
            sessions: Arc::new(MemorySessionStore::new()),
            rate_limiter: Arc::new(InProcessRateLimiter::new(Arc::new(SystemClock))),
            probes: Vec::new(),
            postgres: None,
            redis: None,
        }
    }

    /// Replaces the storage ports with Postgres adapters over `pool`.
    pub fn with_postgres(mut self, pool: PgPool) -> Self {
        self.apps = Arc::new(PgAppRepository::new(pool.clone()));
        self.api_keys = Arc::new(PgApiKeyRepository::new(pool.clone()));
        self.events = Arc::new(PgEventStore::new(pool.clone()));
        self.user_mappings = Arc::new(PgUserMappingRepository::new(pool.clone()));
        self.webhook_secrets = Arc::new(PgWebhookSecretRepository::new(pool.clone()));
        self.connections = Arc::new(PgConnectionRepository::new(pool.clone()));
        self.probes.push(Arc::new(PgHealthProbe(pool.clone())));
        self.postgres = Some(pool);
        self
    }

    /// Replaces the cross-instance ports with Redis adapters (connected or not yet).
    pub async fn with_redis(mut self, redis: RedisClients) -> anyhow::Result<Self> {
        self.key_invalidation = Arc::new(RedisKeyInvalidation::start(redis.clone()).await);
        self.event_bus = Arc::new(RedisEventBus::new(redis.clone()));
        self.sessions = Arc::new(RedisSessionStore::new(redis.clone()));
        self.rate_limiter = Arc::new(RedisRateLimiter::new(redis.clone()));
        self.probes.push(Arc::new(RedisHealthProbe::new(redis.pool.clone()).with_pubsub(redis.pubsub.clone())));
        self.redis = Some(redis);
        Ok(self)
    }

    /// Connects what the configuration selects, running migrations when asked.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let mut backends = Self::memory();
        match &config.database {
            Some(database) => {
                let pool = connect_postgres(database).await?;
                if config.run_migrations {
                    postgres::migrate(&pool).await.context("database migrations failed")?;
                }
                backends = backends.with_postgres(pool);
            }
            None => tracing::warn!("no database configured: storing everything in memory (lost on restart)"),
        }
        if let Some(redis) = &config.redis {
            backends = backends.with_redis(start_redis(redis).await?).await?;
        }
        Ok(backends)
    }

    /// Closes pools and connections (after the server and background tasks stopped).
    pub async fn close(&self) {
        if let Some(redis) = &self.redis {
            redis.quit().await;
        }
        if let Some(pool) = &self.postgres {
            pool.close().await;
        }
    }
}

/// sqlx connect options from either DATABASE_URL or the DB_* parts.
pub fn connect_options(target: &DatabaseTarget) -> anyhow::Result<PgConnectOptions> {
    Ok(match target {
        DatabaseTarget::Url(url) => PgConnectOptions::from_str(url.expose_secret())
            .map_err(|_| anyhow::anyhow!("DATABASE_URL is not a valid PostgreSQL URL"))?,
        DatabaseTarget::Parts { host, port, user, password, name } => {
            let options = PgConnectOptions::new().host(host).port(*port).username(user).database(name);
            match password {
                Some(p) => options.password(p.expose_secret()),
                None => options,
            }
        }
    })
}

/// Opens the pool and checks one connection, so a wrong address fails at startup.
pub async fn connect_postgres(database: &DatabaseConfig) -> anyhow::Result<PgPool> {
    let options = connect_options(&database.target)?;
    let described = format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or(""));
    postgres::connect(options, database.max_connections, Duration::from_secs(5))
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {described}"))
}

/// How long `serve` waits for Redis before starting without it.
const REDIS_PATIENCE: Duration = Duration::from_secs(3);

/// Starts the Redis clients for `serve`: connected if Redis answers within a few seconds,
/// else connecting in the background while the instance runs degraded (said once, here).
pub async fn start_redis(redis: &RedisConfig) -> anyhow::Result<RedisClients> {
    let (clients, connected) = RedisClients::start(redis.url.expose_secret(), &redis.key_prefix, REDIS_PATIENCE)
        .await
        .map_err(|err| anyhow::anyhow!("cannot use REDIS_URL: {}", err.details()))?;
    if !connected {
        tracing::warn!(
            "Redis is unreachable: starting without it and connecting in the background; until it answers, webhooks and the API work (rate limits are not enforced) while stream tickets, new live streams and Dialpad connects are refused with 503"
        );
    }
    Ok(clients)
}

/// Connects the Redis clients. The error never contains the URL (it may hold a password).
pub async fn connect_redis(redis: &RedisConfig) -> anyhow::Result<RedisClients> {
    RedisClients::connect(redis.url.expose_secret(), &redis.key_prefix)
        .await
        .map_err(|err| anyhow::anyhow!("cannot connect to Redis: {}", err.details()))
}
