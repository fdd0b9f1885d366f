//! What an app's back end asks Dialpad to do for one of its users: start a call from the
//! user's Dialpad (click-to-call) or pop a URL on it (screen pop). The user is an app user
//! (through the app's user mappings: exactly one Dialpad user, or the caller must name it)
//! or a Dialpad user the app maps. Dialpad allows each 5 a minute per user; that limit is
//! enforced here first, across instances, so the sixth never reaches Dialpad.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::DialpadConnections;
use super::act::ActError;
use crate::app::user_mappings::MappingError;
use crate::domain::app::AppId;
use crate::domain::dialpad::{E164, ScreenPopUrl};
use crate::domain::rate_limit::Quota;
use crate::domain::user_mapping::{AppUserId, DialpadUserId};
use crate::ports::{DialpadApi, StoreError};

/// Dialpad's limit on calls started, and on screen pops, per user.
const PER_USER_PER_MINUTE: u32 = 5;

/// Whom an action is for.
#[derive(Debug, Clone)]
pub enum Agent {
    AppUser(AppUserId),
    DialpadUser(DialpadUserId),
}

/// Why an action was not sent to Dialpad, or what Dialpad said.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("the user is not mapped to a Dialpad user of this app")]
    UserNotMapped,
    #[error("the app user is mapped to several Dialpad users; name one with dialpad_user_id")]
    AmbiguousUser(Vec<DialpadUserId>),
    /// Over the per-user limit; retry after this long.
    #[error("too many requests for this user")]
    TooMany(Duration),
    #[error(transparent)]
    Act(#[from] ActError),
}

impl From<StoreError> for ActionError {
    fn from(err: StoreError) -> Self {
        Self::Act(ActError::Store(err))
    }
}

impl DialpadConnections {
    /// Makes the agent's Dialpad call `phone_number`; whose, and Dialpad's answer.
    #[tracing::instrument(skip_all, fields(app_id = %app_id))]
    pub async fn call(
        &self,
        app_id: AppId,
        agent: Agent,
        phone_number: E164,
        custom_data: Option<String>,
    ) -> Result<(DialpadUserId, Value), ActionError> {
        let user = self.ready_for(app_id, &agent, "calls").await?;
        let call = move |api: Arc<dyn DialpadApi>, token| async move {
            api.initiate_call(&token, &user.to_string(), phone_number.as_str(), custom_data.as_deref()).await
        };
        let started = self.act(app_id, "initiate_call", 1, call).await?;
        tracing::info!(dialpad_user_id = %user, "dialpad call started");
        Ok((user, started))
    }

    /// Pops `url` on the agent's Dialpad; whose, and Dialpad's answer.
    #[tracing::instrument(skip_all, fields(app_id = %app_id))]
    pub async fn screen_pop(
        &self,
        app_id: AppId,
        agent: Agent,
        url: ScreenPopUrl,
    ) -> Result<(DialpadUserId, Value), ActionError> {
        let user = self.ready_for(app_id, &agent, "pops").await?;
        let pop = move |api: Arc<dyn DialpadApi>, token| async move {
            api.screen_pop(&token, &user.to_string(), url.as_str()).await
        };
        Ok((user, self.act(app_id, "screen_pop", 1, pop).await?))
    }

    /// The agent's Dialpad user, once the app is known to be connected and the user's
    /// allowance for `what` has room.
    async fn ready_for(&self, app_id: AppId, agent: &Agent, what: &str) -> Result<DialpadUserId, ActionError> {
        self.api()?;
        let user = self.dialpad_user(app_id, agent).await?;
        self.inner.repo.get(app_id).await?.ok_or(ActError::NotConnected)?;
        self.per_user(what, user).await?;
        Ok(user)
    }

    /// The Dialpad user an agent is, for this app.
    async fn dialpad_user(&self, app_id: AppId, agent: &Agent) -> Result<DialpadUserId, ActionError> {
        match agent {
            Agent::DialpadUser(user) => match self.inner.mappings.get(app_id, *user).await {
                Ok(_) => Ok(*user),
                Err(MappingError::NotFound | MappingError::AppNotFound) => Err(ActionError::UserNotMapped),
                Err(MappingError::Conflict) => Err(ActionError::UserNotMapped),
                Err(MappingError::Store(err)) => Err(err.into()),
            },
            Agent::AppUser(user) => match self.inner.mappings.resolve(app_id, user).await?.as_slice() {
                [] => Err(ActionError::UserNotMapped),
                [one] => Ok(*one),
                several => Err(ActionError::AmbiguousUser(several.to_vec())),
            },
        }
    }

    /// Counts one `what` of `user` against Dialpad's per-user limit, across instances.
    pub(super) async fn per_user(&self, what: &str, user: DialpadUserId) -> Result<(), ActionError> {
        let quota = Quota::per_minute(PER_USER_PER_MINUTE, PER_USER_PER_MINUTE).expect("a limit");
        self.inner.limits.take(&format!("dialpad-{what}:{user}"), quota, 1).await.map_err(ActionError::TooMany)
    }
}
