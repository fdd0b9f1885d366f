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

use crate::app::api_keys::KeyAnnouncer;
use crate::ports::{AppRepository, Clock};

/// The apps capability, wired once at startup and shared by handlers.
#[derive(Clone)]
pub struct Apps {
    repo: Arc<dyn AppRepository>,
    clock: Arc<dyn Clock>,
    /// An app's name and active flag are part of every cached key check: changes are announced.
    announcer: KeyAnnouncer,
    directory: Arc<directory::Directory>,
}

impl Apps {
    pub fn new(repo: Arc<dyn AppRepository>, clock: Arc<dyn Clock>, announcer: KeyAnnouncer) -> Self {
        Self { repo, clock, announcer, directory: Arc::default() }
    }
}
