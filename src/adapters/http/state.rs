//! AppState: the use cases and shared services handlers need, cheap to clone (one Arc),
//! injected once into every request's depot.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use salvo::Depot;

use crate::adapters::ws::Connections;
use crate::app::access::Access;
use crate::app::api_keys::ApiKeys;
use crate::app::apps::Apps;
use crate::app::dialpad::DialpadConnections;
use crate::app::queries::Queries;
use crate::app::realtime::Realtime;
use crate::app::user_mappings::UserMappings;
use crate::app::webhooks::Webhooks;
use crate::config::Environment;
use crate::ports::HealthProbe;
use crate::telemetry::Metrics;

#[derive(Clone)]
pub struct AppState(Arc<Services>);

/// What handlers can reach.
pub struct Services {
    pub apps: Apps,
    pub api_keys: ApiKeys,
    pub access: Access,
    pub webhooks: Webhooks,
    pub mappings: UserMappings,
    pub queries: Queries,
    pub realtime: Realtime,
    pub dialpad: DialpadConnections,
    /// Whether cookies carry `Secure` (production: browsers reach the server over https).
    pub secure_cookies: bool,
    /// Proxies whose X-Forwarded-For is believed (client addresses for rate limits).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The open WebSocket connections (closed with 1001 on shutdown).
    pub connections: Connections,
    /// Origins allowed to open /ws; `None`: any.
    pub allowed_origins: Option<Vec<String>>,
    pub webhook_max_body_bytes: usize,
    pub probes: Vec<Arc<dyn HealthProbe>>,
    pub metrics: Metrics,
    pub environment: Environment,
    pub started_at: Instant,
    /// Set when shutdown starts draining: readiness then answers 503.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }

    /// The state injected by the service. Its absence is a wiring bug, so this panics (and
    /// the panic hoop answers 500).
    pub fn from_depot(depot: &Depot) -> &Self {
        depot.get_typed::<AppState>().expect("AppState is injected for every request")
    }
}

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}
