//! The Dialpad use cases' errors as HTTP errors, each variant mapped on purpose (no `_` arm).

use crate::adapters::http::error::ApiError;
use crate::app::dialpad::{CallbackError, DisconnectError, LinkError, StartError};

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
