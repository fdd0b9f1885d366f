//! cti-bench: the load tool of cti-server. It drives a running server over HTTP (and
//! WebSocket) the way its clients do, and prints throughput and latency percentiles as a
//! Markdown table for BENCHMARKS.md. Run the server in release mode; see BENCHMARKS.md.

mod admin;
mod ingest;
mod keys;
mod load;
mod reads;
mod ws;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "cti-bench", about = "Load tool for cti-server")]
struct Cli {
    /// Base URL of the server under test.
    #[arg(long, global = true, default_value = "http://127.0.0.1:4000")]
    url: String,

    /// The server's INTERNAL_API_SECRET (the tool creates its own apps and keys).
    #[arg(long, global = true, env = "INTERNAL_API_SECRET", hide_env_values = true, default_value = "")]
    secret: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// GET /api/me with a cached key against GET /health on the same server, and the cost
    /// of a cold (uncached) key verification.
    Keys(keys::Args),
    /// Webhook ingest: distinct signed events posted concurrently over one or many apps.
    Ingest(ingest::Args),
    /// Live delivery: many WebSocket clients on one instance, webhooks posted to another.
    Ws(ws::Args),
    /// The read API (calls, one call, voicemails) over a seeded app: server CPU per request.
    Reads(reads::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let admin = admin::Admin::new(&cli.url, &cli.secret);
    match cli.command {
        Command::Keys(args) => keys::run(&admin, args).await,
        Command::Ingest(args) => ingest::run(&admin, args).await,
        Command::Ws(args) => ws::run(&admin, args).await,
        Command::Reads(args) => reads::run(&admin, args).await,
    }
}
