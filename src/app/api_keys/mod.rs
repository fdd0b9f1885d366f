//! API keys: issue (first key or rotation with an optional grace period), status, audit,
//! revoke, grace expiry, and authentication with a cache that every instance invalidates
//! together. Keys are shown once; only argon2id hashes are stored.

mod audit;
mod authenticate;
mod expire;
mod issue;
mod last_used;
mod revoke;
mod status;

use std::sync::Arc;

pub use authenticate::{AuthError, AuthMetrics, AuthSettings, Authenticator};
pub use expire::run_expiry_sweeper;
pub use issue::IssuedKey;
pub use last_used::{LastUsed, run_last_used_writer};

use crate::app::freshness::Freshness;
use crate::domain::api_key::KeyEnvironment;
use crate::ports::{ApiKeyRepository, AppRepository, Clock, StoreError};

/// Why an admin operation on an app's keys did not happen.
#[derive(Debug, thiserror::Error)]
pub enum KeyAdminError {
    #[error("app not found")]
    AppNotFound,
    #[error("app is inactive")]
    AppInactive,
    #[error("the app has no usable key")]
    NoKey,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

/// The admin side of API keys.
#[derive(Clone)]
pub struct ApiKeys {
    keys: Arc<dyn ApiKeyRepository>,
    apps: Arc<dyn AppRepository>,
    freshness: Freshness,
    clock: Arc<dyn Clock>,
    environment: KeyEnvironment,
}

impl ApiKeys {
    pub fn new(
        keys: Arc<dyn ApiKeyRepository>,
        apps: Arc<dyn AppRepository>,
        freshness: Freshness,
        clock: Arc<dyn Clock>,
        environment: KeyEnvironment,
    ) -> Self {
        Self { keys, apps, freshness, clock, environment }
    }

    /// The app, which must exist (`AppNotFound`) and, when `active` is asked, be active.
    async fn app(&self, app_id: crate::domain::app::AppId, active: bool) -> Result<(), KeyAdminError> {
        match self.apps.get(app_id).await? {
            None => Err(KeyAdminError::AppNotFound),
            Some(app) if active && !app.is_active => Err(KeyAdminError::AppInactive),
            Some(_) => Ok(()),
        }
    }
}
