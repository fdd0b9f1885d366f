//! Create an app: a new random id, active, timestamped by the clock.

use tracing::instrument;

use super::Apps;
use crate::domain::app::{App, AppId, AppName};
use crate::ports::StoreError;

impl Apps {
    /// Creates and stores a new active app named `name`.
    #[instrument(skip_all, fields(app_id))]
    pub async fn create(&self, name: AppName) -> Result<App, StoreError> {
        let app = App::new(AppId::generate(), name, self.clock.now());
        tracing::Span::current().record("app_id", tracing::field::display(app.id));
        self.repo.insert(&app).await?;
        tracing::info!("app created");
        Ok(app)
    }
}
