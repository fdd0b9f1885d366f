//! Apps use cases: create, list, read, update. The admin API (/internal/apps) is their only
//! caller; other capabilities use [`Apps::cached_active`] to refuse inactive tenants.

mod create;
mod directory;
mod get;
mod list;
mod update;

use std::sync::Arc;

pub use get::AppLookupError;
pub use update::UpdateAppError;

use crate::app::freshness::{FreshCache, Freshness};
use crate::domain::app::{App, AppId};
use crate::ports::{AppRepository, Clock};

/// The apps capability, wired once at startup and shared by handlers.
#[derive(Clone)]
pub struct Apps {
    repo: Arc<dyn AppRepository>,
    clock: Arc<dyn Clock>,
    /// An app's name and active flag are part of every cached key check: changes are announced.
    freshness: Freshness,
    directory: Arc<FreshCache<AppId, Option<App>>>,
}

impl Apps {
    pub fn new(repo: Arc<dyn AppRepository>, clock: Arc<dyn Clock>, freshness: Freshness) -> Self {
        let directory = Arc::new(directory::cache(&freshness));
        Self { repo, clock, freshness, directory }
    }
}
