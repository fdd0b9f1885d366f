//! Readiness: ask every configured backend whether it answers, concurrently and bounded in
//! time, so a load balancer stops routing to an instance that cannot serve.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;

use crate::ports::HealthProbe;

/// The state of one backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendStatus {
    pub name: &'static str,
    /// `None` when healthy, else what failed.
    pub error: Option<String>,
}

/// Checks all probes, each within `timeout`.
pub async fn check(probes: &[Arc<dyn HealthProbe>], timeout: Duration) -> Vec<BackendStatus> {
    join_all(probes.iter().map(|probe| async move {
        let error = match tokio::time::timeout(timeout, probe.check()).await {
            Ok(Ok(())) => None,
            Ok(Err(err)) => Some(format!("{err:#}")),
            Err(_) => Some(format!("no answer within {} ms", timeout.as_millis())),
        };
        BackendStatus { name: probe.name(), error }
    }))
    .await
}
