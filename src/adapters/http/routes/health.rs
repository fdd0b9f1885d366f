//! GET /health: liveness. Answers as long as the process serves HTTP; backends are checked
//! by /health/ready instead, so a database outage does not get instances killed.

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Serialize;

use crate::adapters::http::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always "ok".
    status: &'static str,
    /// Seconds since this instance started.
    uptime_seconds: f64,
    /// development, sandbox or production.
    environment: &'static str,
    /// The server's version.
    version: &'static str,
}

/// Liveness: the process is up.
#[endpoint(tags("health"))]
pub async fn health(depot: &mut Depot) -> Json<Health> {
    let state = AppState::from_depot(depot);
    Json(Health {
        status: "ok",
        uptime_seconds: state.started_at.elapsed().as_secs_f64(),
        environment: state.environment.as_str(),
        version: env!("CARGO_PKG_VERSION"),
    })
}
