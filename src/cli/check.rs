//! `cti-server check`: the old server's `node db.js`. Validates the configuration (already
//! done when this runs), connects to each configured backend and prints what it found.
//! Exits 0 when everything answered, 1 otherwise.

use std::process::ExitCode;

use fred::prelude::*;

use crate::adapters::postgres;
use crate::config::Config;
use crate::startup::backends::{connect_postgres, connect_redis};

pub async fn run(config: Config) -> ExitCode {
    println!("configuration: valid (APP_ENV={})", config.environment);
    println!("listen: {}:{}", config.http.host, config.http.port);
    let database = check_database(&config).await;
    let redis = check_redis(&config).await;
    if database && redis { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

async fn check_database(config: &Config) -> bool {
    let Some(database) = &config.database else {
        println!("database: none configured (in-memory storage)");
        return true;
    };
    let pool = match connect_postgres(database).await {
        Ok(pool) => pool,
        Err(err) => {
            println!("database: FAILED: {err:#}");
            return false;
        }
    };
    let version: Result<String, _> = sqlx::query_scalar("SHOW server_version").fetch_one(&pool).await;
    match (version, postgres::pending_migrations(&pool).await) {
        (Ok(version), Ok(pending)) => {
            println!("database: connected (PostgreSQL {version}); {pending} pending migration(s)");
            true
        }
        (Err(err), _) | (_, Err(err)) => {
            println!("database: connected but queries fail: {err}");
            false
        }
    }
}

async fn check_redis(config: &Config) -> bool {
    let Some(redis) = &config.redis else {
        println!("redis: none configured (in-process bus, invalidation and sessions; one instance only)");
        return true;
    };
    match connect_redis(redis).await {
        Ok(clients) => {
            let info: Result<String, _> = clients.pool.info(Some(fred::types::InfoKind::Server)).await;
            let version = info
                .ok()
                .and_then(|text| text.lines().find_map(|l| l.strip_prefix("redis_version:").map(str::to_owned)))
                .unwrap_or_else(|| "unknown version".to_owned());
            println!("redis: connected (Redis {version}); key prefix {:?}", redis.key_prefix);
            clients.quit().await;
            true
        }
        Err(err) => {
            println!("redis: FAILED: {err:#}");
            false
        }
    }
}
