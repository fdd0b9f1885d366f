//! `cti-server migrate`: apply pending migrations to the configured database and exit.

use std::process::ExitCode;

use crate::adapters::postgres;
use crate::config::Config;
use crate::startup::backends::connect_postgres;

pub async fn run(config: Config) -> ExitCode {
    let Some(database) = &config.database else {
        eprintln!("migrate: no database configured (set DATABASE_URL or DB_HOST, DB_USER and DB_NAME)");
        return ExitCode::FAILURE;
    };
    let pool = match connect_postgres(database).await {
        Ok(pool) => pool,
        Err(err) => {
            eprintln!("migrate: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    match postgres::migrate(&pool).await {
        Ok(()) => {
            println!("migrate: database is up to date");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("migrate: {err:#}");
            ExitCode::FAILURE
        }
    }
}
