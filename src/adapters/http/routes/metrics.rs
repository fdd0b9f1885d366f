//! GET /metrics: this instance's metrics in Prometheus text format.

use salvo::http::HeaderValue;
use salvo::http::header::CONTENT_TYPE;
use salvo::prelude::*;

use crate::adapters::http::state::AppState;

/// Prometheus metrics of this instance (text exposition format 0.0.4).
#[endpoint(tags("health"), responses((status_code = 200, description = "Prometheus text", content_type = "text/plain")))]
pub async fn metrics(depot: &mut Depot, res: &mut Response) {
    let body = AppState::from_depot(depot).metrics.render();
    res.render(body);
    res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
}
