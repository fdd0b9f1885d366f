//! `cti-server check`: the old server's `node db.js`. Validates the configuration (already
//! done when this runs), connects to each configured backend and prints what it found.
//! Exits 0 when everything answered, 1 otherwise.

use std::process::ExitCode;

use crate::adapters::postgres;
use crate::config::Config;
use crate::startup::backends::connect_postgres;

pub async fn run(config: Config) -> ExitCode {
    let mut ok = true;
    println!("configuration: valid (APP_ENV={})", config.environment);
    println!("listen: {}:{}", config.http.host, config.http.port);
    match &config.database {
        None => println!("database: none configured (in-memory storage)"),
        Some(database) => match connect_postgres(database).await {
            Ok(pool) => {
                let version: Result<String, _> = sqlx::query_scalar("SHOW server_version").fetch_one(&pool).await;
                let pending = postgres::pending_migrations(&pool).await;
                match (version, pending) {
                    (Ok(version), Ok(pending)) => {
                        println!("database: connected (PostgreSQL {version}); {pending} pending migration(s)")
                    }
                    (Err(err), _) => {
                        ok = false;
                        println!("database: connected but query failed: {err}");
                    }
                    (_, Err(err)) => {
                        ok = false;
                        println!("database: connected but migrations unreadable: {err:#}");
                    }
                }
            }
            Err(err) => {
                ok = false;
                println!("database: FAILED: {err:#}");
            }
        },
    }
    match &config.redis {
        None => println!("redis: none configured (in-process bus and sessions; one instance only)"),
        Some(_) => println!("redis: configured"),
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
