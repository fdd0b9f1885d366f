//! The command line: `serve` (default), `migrate`, `check`. Configuration comes from the
//! environment (and `.env`), validated once before any command runs; an invalid
//! configuration exits non-zero with one message naming every problem.

mod check;
mod migrate;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, Settings};

/// Dialpad CTI server: receives Dialpad's signed webhooks, stores each event once, streams
/// them to each app's front ends over WebSocket and serves them through a per-app API.
#[derive(Parser, Debug)]
#[command(name = "cti-server", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Run the HTTP server (the default command). Applies migrations first unless
    /// RUN_MIGRATIONS=false or --no-migrate.
    Serve {
        /// Do not apply database migrations on start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate the configuration, connect to the database and Redis, print what was
    /// found, and exit 0 (all good) or 1.
    Check,
}

/// Parses the command line and runs the command.
pub async fn run() -> ExitCode {
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("cannot read .env: {err}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let mut config = match Config::from_settings(&cli.settings) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command.unwrap_or(Command::Serve { no_migrate: false }) {
        Command::Serve { no_migrate } => {
            config.run_migrations &= !no_migrate;
            serve::run(config).await
        }
        Command::Migrate => migrate::run(config).await,
        Command::Check => check::run(config).await,
    }
}
