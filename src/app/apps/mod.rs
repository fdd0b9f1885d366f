//! Apps use cases: create, list, read, update. The admin API (/internal/apps) is their only
//! caller; other capabilities use [`Apps::require_active`] to refuse inactive tenants.

mod create;
mod get;
mod list;
mod update;

use std::sync::Arc;

pub use get::AppLookupError;
pub use update::UpdateAppError;

use crate::ports::{AppRepository, Clock};

/// The apps capability, wired once at startup and shared by handlers.
#[derive(Clone)]
pub struct Apps {
    repo: Arc<dyn AppRepository>,
    clock: Arc<dyn Clock>,
}

impl Apps {
    pub fn new(repo: Arc<dyn AppRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }
}
