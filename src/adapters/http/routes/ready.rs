//! GET /health/ready: readiness, for load balancers. 200 `ready` when every backend answers;
//! 200 `degraded` when only an optional one (Redis) does not, since the instance still
//! stores webhooks and serves the API; 503 when a required one (PostgreSQL) does not, or
//! from the moment the instance starts draining for shutdown. `backend_up{backend}` says
//! the same to Prometheus.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use salvo::oapi::ToSchema;
use salvo::prelude::*;
use serde::Serialize;

use crate::adapters::http::state::AppState;
use crate::app::readiness::{self, Readiness as Verdict};

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// "ready", "degraded" (an optional backend is down; still serving), "unavailable" or
    /// "draining" (shutting down).
    status: &'static str,
    /// Each configured backend: "ok" or what failed.
    checks: BTreeMap<&'static str, String>,
    /// On 503: a short error title.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// When not ready, or degraded: what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// Readiness: 200 while this instance can serve (PostgreSQL answers), 503 otherwise.
#[endpoint(tags("health"), status_codes(200, 503), responses((status_code = 503, body = Readiness)))]
pub async fn ready(depot: &mut Depot, res: &mut Response) -> Json<Readiness> {
    let state = AppState::from_depot(depot);
    let statuses = readiness::check(&state.probes, PROBE_TIMEOUT).await;
    for status in &statuses {
        let up = if status.error.is_none() { 1.0 } else { 0.0 };
        state.metrics.gauge("backend_up", &[("backend", status.name.to_owned())]).set(up);
    }
    let verdict = readiness::verdict(&statuses);
    let failed: Vec<String> =
        statuses.iter().filter_map(|s| s.error.as_ref().map(|e| format!("{}: {e}", s.name))).collect();
    let checks = statuses.into_iter().map(|s| (s.name, s.error.unwrap_or_else(|| "ok".to_owned()))).collect();
    if state.draining.load(Ordering::Acquire) {
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        let message = Some("This instance is shutting down.".to_owned());
        return Json(Readiness { status: "draining", checks, error: Some("Not ready"), message });
    }
    match verdict {
        Verdict::Ready => Json(Readiness { status: "ready", checks, error: None, message: None }),
        Verdict::Degraded => {
            tracing::warn!(failed = %failed.join("; "), "degraded: serving without an optional backend");
            Json(Readiness { status: "degraded", checks, error: None, message: Some(failed.join("; ")) })
        }
        Verdict::Unavailable => {
            tracing::warn!(failed = %failed.join("; "), "not ready");
            res.status_code(StatusCode::SERVICE_UNAVAILABLE);
            let message = Some(failed.join("; "));
            Json(Readiness { status: "unavailable", checks, error: Some("Not ready"), message })
        }
    }
}
