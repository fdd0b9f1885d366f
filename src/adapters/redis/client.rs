//! Connecting: the command pool and the subscriber, configured once. [`RedisClients::connect`]
//! insists on a connection (`cti-server check`, tests); [`RedisClients::start`] does not:
//! Redis holds nothing that is not also in PostgreSQL or short-lived, so an instance starts
//! while Redis is down, runs degraded, and the clients keep connecting in the background
//! (forever, with backoff), picking Redis up when it comes.

use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::*;
use fred::types::config::UnresponsiveConfig;

use super::RedisPubSub;
use crate::ports::HealthProbe;

/// Connected Redis clients and the key prefix of this deployment.
#[derive(Clone)]
pub struct RedisClients {
    pub pool: Pool,
    pub pubsub: RedisPubSub,
    pub prefix: String,
}

const POOL_SIZE: usize = 4;
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

fn builder(url: &str) -> Result<Builder, Error> {
    let mut config = Config::from_url(url)?;
    // A first connection that fails is retried under the reconnect policy, like any other.
    config.fail_fast = false;
    let mut builder = Builder::from_config(config);
    builder
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(5);
            c.internal_command_timeout = Duration::from_secs(5);
            c.unresponsive =
                UnresponsiveConfig { max_timeout: Some(Duration::from_secs(10)), interval: Duration::from_secs(2) };
        })
        .with_performance_config(|p| {
            p.default_command_timeout = COMMAND_TIMEOUT;
            // The subscriber's message channel: deep enough for bursts of published events.
            p.broadcast_channel_capacity = 4096;
        });
    Ok(builder)
}

impl RedisClients {
    /// Starts the pool and the subscriber connecting, and waits up to `patience` for them:
    /// the clients and whether they connected. Not connected yet, they go on trying in the
    /// background; commands meanwhile fail after their timeout, as during any outage.
    pub async fn start(url: &str, prefix: &str, patience: Duration) -> Result<(Self, bool), Error> {
        let builder = builder(url)?;
        let pool = builder.build_pool(POOL_SIZE)?;
        let subscriber = builder.build_subscriber_client()?;
        pool.connect_pool();
        let pubsub = RedisPubSub::start(subscriber);
        let connected = tokio::time::timeout(patience, async {
            pool.wait_for_connect().await?;
            pubsub.wait_for_connect().await
        })
        .await
        .is_ok_and(|connected| connected.is_ok());
        Ok((Self { pool, pubsub, prefix: prefix.to_owned() }, connected))
    }

    /// Connects the pool and the subscriber, or fails if Redis does not answer within
    /// `CONNECT_TIMEOUT`; once connected, the clients reconnect on their own.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, Error> {
        let (clients, connected) = Self::start(url, prefix, CONNECT_TIMEOUT).await?;
        if connected {
            Ok(clients)
        } else {
            clients.quit().await;
            Err(Error::new(ErrorKind::Timeout, format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())))
        }
    }

    /// Whether the command pool is connected now.
    pub fn is_connected(&self) -> bool {
        self.pool.is_connected()
    }

    /// `prefix` + `name`: every key and channel of this deployment.
    pub fn name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Closes the connections.
    pub async fn quit(&self) {
        self.pubsub.quit().await;
        let _ = self.pool.quit().await;
    }
}

/// Readiness: PING through the pool.
pub struct RedisHealthProbe {
    pool: Pool,
    /// The pub/sub connection, reconnecting on its own: streams cannot open without it.
    pubsub: Option<RedisPubSub>,
}

impl RedisHealthProbe {
    pub fn new(pool: Pool) -> Self {
        Self { pool, pubsub: None }
    }

    /// Also requires the pub/sub connection (live streams and change notices go through it).
    pub fn with_pubsub(self, pubsub: RedisPubSub) -> Self {
        Self { pubsub: Some(pubsub), ..self }
    }
}

#[async_trait]
impl HealthProbe for RedisHealthProbe {
    fn name(&self) -> &'static str {
        "redis"
    }

    /// Without Redis an instance still stores webhooks and serves the API (rate limits fail
    /// open, streams catch up from PostgreSQL): degraded, not down.
    fn required(&self) -> bool {
        false
    }

    async fn check(&self) -> Result<(), anyhow::Error> {
        anyhow::ensure!(self.pool.is_connected(), "not connected (reconnecting in the background)");
        let pubsub_up = self.pubsub.as_ref().is_none_or(RedisPubSub::is_connected);
        anyhow::ensure!(pubsub_up, "pub/sub not connected (reconnecting in the background)");
        let _: String = self.pool.ping(None).await?;
        Ok(())
    }
}
