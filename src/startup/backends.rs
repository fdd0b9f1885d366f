//! Backend selection from configuration, out of a closed set: Postgres when a database is
//! configured, memory otherwise. Connecting here, once, keeps pools out of globals.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

use crate::adapters::memory::MemoryAppRepository;
use crate::adapters::postgres::{self, PgAppRepository, PgHealthProbe};
use crate::config::{Config, DatabaseConfig, DatabaseTarget};
use crate::ports::{AppRepository, HealthProbe};

/// The connected adapters behind every port.
#[derive(Clone)]
pub struct Backends {
    pub apps: Arc<dyn AppRepository>,
    pub probes: Vec<Arc<dyn HealthProbe>>,
    pub postgres: Option<PgPool>,
}

impl Backends {
    /// Memory adapters for every port: the embedded default.
    pub fn memory() -> Self {
        Self { apps: Arc::new(MemoryAppRepository::new()), probes: Vec::new(), postgres: None }
    }

    /// Postgres-backed adapters over an existing pool.
    pub fn postgres(pool: PgPool) -> Self {
        Self {
            apps: Arc::new(PgAppRepository::new(pool.clone())),
            probes: vec![Arc::new(PgHealthProbe(pool.clone()))],
            postgres: Some(pool),
        }
    }

    /// Connects what the configuration selects, running migrations when asked.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let Some(database) = &config.database else {
            tracing::warn!("no database configured: storing everything in memory (lost on restart)");
            return Ok(Self::memory());
        };
        let pool = connect_postgres(database).await?;
        if config.run_migrations {
            postgres::migrate(&pool).await.context("database migrations failed")?;
        }
        Ok(Self::postgres(pool))
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
