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
    /// Whether the instance cannot serve without it.
    pub required: bool,
    /// `None` when healthy, else what failed.
    pub error: Option<String>,
}

/// What the checks add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Every backend answers.
    Ready,
    /// An optional backend (Redis) does not: the instance serves, with less.
    Degraded,
    /// A required backend (PostgreSQL) does not: take the instance out of rotation.
    Unavailable,
}

/// The verdict of `statuses`.
pub fn verdict(statuses: &[BackendStatus]) -> Readiness {
    let failed = |required: bool| statuses.iter().any(|s| s.error.is_some() && s.required == required);
    if failed(true) {
        Readiness::Unavailable
    } else if failed(false) {
        Readiness::Degraded
    } else {
        Readiness::Ready
    }
}

/// Checks all probes, each within `timeout`.
pub async fn check(probes: &[Arc<dyn HealthProbe>], timeout: Duration) -> Vec<BackendStatus> {
    join_all(probes.iter().map(|probe| async move {
        let error = match tokio::time::timeout(timeout, probe.check()).await {
            Ok(Ok(())) => None,
            Ok(Err(err)) => Some(format!("{err:#}")),
            Err(_) => Some(format!("no answer within {} ms", timeout.as_millis())),
        };
        BackendStatus { name: probe.name(), required: probe.required(), error }
    }))
    .await
}
