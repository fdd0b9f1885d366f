//! GET /health/ready: readiness. 200 when every configured backend answers, else 503
//! naming what failed, so a load balancer takes the instance out of rotation.

use std::collections::BTreeMap;
use std::time::Duration;

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Serialize;

use crate::adapters::http::state::AppState;
use crate::app::readiness;

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// "ready" or "unavailable".
    status: &'static str,
    /// Each configured backend: "ok" or what failed.
    checks: BTreeMap<&'static str, String>,
    /// On 503: a short error title.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// On 503: which backends failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// Readiness: every configured backend (PostgreSQL, Redis) answers.
#[endpoint(tags("health"), status_codes(200, 503), responses((status_code = 503, body = Readiness)))]
pub async fn ready(depot: &mut Depot, res: &mut Response) -> Json<Readiness> {
    let state = AppState::from_depot(depot);
    let statuses = readiness::check(&state.probes, PROBE_TIMEOUT).await;
    let failed: Vec<String> =
        statuses.iter().filter_map(|s| s.error.as_ref().map(|e| format!("{}: {e}", s.name))).collect();
    let checks = statuses.into_iter().map(|s| (s.name, s.error.unwrap_or_else(|| "ok".to_owned()))).collect();
    if failed.is_empty() {
        Json(Readiness { status: "ready", checks, error: None, message: None })
    } else {
        tracing::warn!(failed = %failed.join("; "), "not ready");
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        Json(Readiness { status: "unavailable", checks, error: Some("Not ready"), message: Some(failed.join("; ")) })
    }
}
