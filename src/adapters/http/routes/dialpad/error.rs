//! The Dialpad use cases' errors as HTTP errors, each variant mapped on purpose (no `_` arm).

use crate::adapters::http::error::ApiError;
use std::time::Duration;

use crate::app::dialpad::{
    ActError, ActionError, CallbackError, DisconnectError, LinkError, ProvisionError, StartError,
};
use crate::ports::DialpadError;

const NOT_CONFIGURED: &str =
    "Dialpad OAuth is not configured on this server: set CLIENT_ID, CLIENT_SECRET and REDIRECT_URI.";

impl From<LinkError> for ApiError {
    fn from(err: LinkError) -> Self {
        match err {
            LinkError::NotConfigured => Self::ServiceUnavailable(NOT_CONFIGURED.to_owned()),
            LinkError::App(err) => err.into(),
            LinkError::Store(err) => err.into(),
        }
    }
}

impl From<StartError> for ApiError {
    fn from(err: StartError) -> Self {
        match err {
            StartError::NotConfigured => Self::ServiceUnavailable(NOT_CONFIGURED.to_owned()),
            StartError::App(err) => err.into(),
            StartError::TicketRequired => Self::Unauthorized {
                error: "Connect ticket required",
                message: "Connecting a Dialpad account needs a connect link: ask for one with POST \
                          /internal/apps/{app_id}/dialpad/connect-link (admin) or POST \
                          /api/dialpad/connect-link (the app's API key)."
                    .to_owned(),
            },
            StartError::InvalidTicket => Self::Unauthorized {
                error: "Invalid connect ticket",
                message: "This connect link is not valid: it was used already, has expired (10 minutes), \
                          or is for another app. Ask for a new one."
                    .to_owned(),
            },
            StartError::Store(err) => err.into(),
        }
    }
}

impl From<CallbackError> for ApiError {
    fn from(err: CallbackError) -> Self {
        let restart = "Start again from a new connect link.";
        match err {
            CallbackError::NotConfigured => Self::ServiceUnavailable(NOT_CONFIGURED.to_owned()),
            CallbackError::UnknownSession => Self::bad_request(format!(
                "No Dialpad connect is in progress in this browser (no session cookie, or it was used or \
                 expired after 15 minutes). {restart}"
            )),
            CallbackError::MissingParameters => {
                Self::bad_request(format!("Dialpad's callback must carry code and state. {restart}"))
            }
            CallbackError::StateMismatch => Self::bad_request(format!(
                "The state Dialpad returned does not match this browser's connect. {restart}"
            )),
            CallbackError::Denied { error } => Self::bad_request(format!(
                "Dialpad did not authorize the connection ({error}); nothing was connected. {restart}"
            )),
            CallbackError::App(err) => err.into(),
            CallbackError::ExchangeRefused(why) => {
                Self::BadGateway(format!("Dialpad did not give tokens for this authorization: {why}. {restart}"))
            }
            CallbackError::NoRefreshToken => Self::BadGateway(format!(
                "Dialpad gave no refresh token, so the connection could not stay fresh: the \
                 offline_access scope may not be approved for this OAuth app. {restart}"
            )),
            CallbackError::DialpadUnavailable(err) => Self::ServiceUnavailable(format!(
                "Dialpad could not be reached ({err}); nothing was connected. {restart}"
            )),
            CallbackError::Store(err) => err.into(),
        }
    }
}

impl From<DisconnectError> for ApiError {
    fn from(err: DisconnectError) -> Self {
        match err {
            DisconnectError::NotConnected => Self::not_found("This app has no Dialpad connection."),
            DisconnectError::Busy => Self::ServiceUnavailable(
                "The connection is being refreshed right now; retry the disconnect in a few seconds.".to_owned(),
            ),
            DisconnectError::Store(err) => err.into(),
        }
    }
}

/// How long to wait when Dialpad said 429 without a Retry-After.
const DIALPAD_DEFAULT_RETRY: Duration = Duration::from_secs(60);

impl From<ActError> for ApiError {
    fn from(err: ActError) -> Self {
        match err {
            ActError::NotConfigured => Self::ServiceUnavailable(NOT_CONFIGURED.to_owned()),
            ActError::NotConnected => Self::Conflict(
                "This app is not connected to Dialpad: connect it first (POST /api/dialpad/connect-link gives a \
                 link for the app's Dialpad admin)."
                    .to_owned(),
            ),
            ActError::ReauthRequired(why) => Self::Conflict(format!(
                "This app's Dialpad connection must be connected again ({why}): ask for a new connect link."
            )),
            ActError::Dialpad(err) => err.into(),
            ActError::Store(err) => err.into(),
        }
    }
}

impl From<DialpadError> for ApiError {
    fn from(err: DialpadError) -> Self {
        match err {
            DialpadError::RateLimited { retry_after } => {
                Self::TooManyRequests(retry_after.unwrap_or(DIALPAD_DEFAULT_RETRY))
            }
            DialpadError::Unavailable(cause) => {
                Self::ServiceUnavailable(format!("Dialpad could not be reached ({cause}); retry shortly."))
            }
            DialpadError::Refused { error, description } => Self::BadGateway(match description {
                Some(description) => format!("Dialpad refused the request ({error}: {description})."),
                None => format!("Dialpad refused the request ({error})."),
            }),
            DialpadError::Unauthorized => {
                Self::Conflict("Dialpad no longer accepts this app's access token: connect the app again.".to_owned())
            }
            DialpadError::Malformed(why) => Self::BadGateway(format!("Dialpad answered unexpectedly: {why}.")),
        }
    }
}

impl From<ActionError> for ApiError {
    fn from(err: ActionError) -> Self {
        match err {
            ActionError::UserNotMapped => Self::not_found(
                "This user is not mapped to a Dialpad user of this app: map it with POST \
                 /internal/apps/{app_id}/user-mappings.",
            ),
            ActionError::AmbiguousUser(users) => {
                let users: Vec<String> = users.iter().map(ToString::to_string).collect();
                Self::Conflict(format!(
                    "This app user is mapped to several Dialpad users ({}); name one with dialpad_user_id.",
                    users.join(", ")
                ))
            }
            ActionError::TooMany(wait) => Self::TooManyRequests(wait),
            ActionError::Act(err) => err.into(),
        }
    }
}

impl From<ProvisionError> for ApiError {
    /// The status of the cause; the message says what failed and how to retry.
    fn from(err: ProvisionError) -> Self {
        let ProvisionError { advice, cause } = err;
        match Self::from(cause) {
            Self::Conflict(_) => Self::Conflict(format!("Provisioning failed: {advice}.")),
            Self::BadGateway(_) => Self::BadGateway(format!("Provisioning failed: {advice}.")),
            Self::ServiceUnavailable(_) => Self::ServiceUnavailable(format!("Provisioning failed: {advice}.")),
            other => other,
        }
    }
}
