//! The connection pool, embedded migrations and the readiness probe.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

use crate::ports::HealthProbe;

/// The migrations in ./migrations, compiled into the binary.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A connection idle for longer than this is pinged before it is used again (one round
/// trip); one in use more recently is not: pinging every connection before every query
/// cost a round trip per query. A connection broken while busy fails its query (503, which
/// Dialpad retries) and is dropped.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// Opens a pool. Acquiring a connection waits at most `acquire_timeout`, so a saturated or
/// unreachable database turns into a prompt 503 rather than a hung request.
pub async fn connect(
    options: PgConnectOptions,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
}

/// Applies every pending migration. Safe to run from several instances at once: sqlx takes
/// an advisory lock for the duration.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Readiness: `SELECT 1` through the pool.
pub struct PgHealthProbe(pub PgPool);

#[async_trait]
impl HealthProbe for PgHealthProbe {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> Result<(), anyhow::Error> {
        sqlx::query("SELECT 1").execute(&self.0).await?;
        Ok(())
    }
}

/// How many embedded migrations the database has not applied yet.
pub async fn pending_migrations(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let applied: Vec<i64> =
        match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(pool).await {
            Ok(versions) => versions,
            // No migration table yet: nothing applied.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P01") => Vec::new(),
            Err(err) => return Err(err),
        };
    Ok(MIGRATOR.iter().filter(|m| !applied.contains(&m.version)).count())
}
