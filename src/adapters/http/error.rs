//! The one HTTP error type. Every failure leaves the server as JSON in the old server's
//! shape `{"error": "<short>", "message": "<sentence>"}`. Use-case errors map here with
//! exhaustive matches (no `_` arm), so a new variant does not compile until someone decides
//! its status. 5xx bodies are opaque; their cause chain goes to the log, once, here.

use salvo::http::header::RETRY_AFTER;
use salvo::http::{HeaderValue, StatusCode};
use salvo::oapi::{self, Components, EndpointOutRegister, Operation, ToSchema};
use salvo::prelude::*;
use serde::Serialize;

use crate::app::access::{Denied, Refused};
use crate::app::api_keys::KeyAdminError;
use crate::app::apps::{AppLookupError, UpdateAppError};
use crate::app::queries::QueryError;
use crate::app::user_mappings::MappingError;
use crate::app::webhooks::{IngestError, WebhookSecretError};
use crate::ports::StoreError;

/// The JSON body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A short, stable description of the error class (e.g. "Not found").
    pub error: String,
    /// A sentence saying what was wrong and, where possible, what to do.
    pub message: String,
}

/// An error answered to an HTTP client.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed or fails validation.
    BadRequest(String),
    /// 401: missing or invalid credentials. `error` is the short text the old server used.
    Unauthorized { error: &'static str, message: String },
    /// 403: credentials valid but not allowed (wrong admin token, inactive app).
    Forbidden { error: &'static str, message: String },
    /// 404: no such resource (or not visible to this caller).
    NotFound(String),
    /// 409: conflicts with existing state.
    Conflict(String),
    /// 413: the body is larger than this route accepts.
    PayloadTooLarge(String),
    /// 414: the URI is longer than accepted.
    UriTooLong(String),
    /// 415: the body is not JSON.
    UnsupportedMediaType(String),
    /// 431: too many header fields.
    HeadersTooLarge(String),
    /// 429: over a rate limit; retry after the given time (sent as `Retry-After`).
    TooManyRequests(std::time::Duration),
    /// 502: an upstream (Dialpad) refused or answered outside its protocol; says what.
    BadGateway(String),
    /// 503 with a message of ours: something this request needs is unavailable or not
    /// configured (e.g. Dialpad unreachable); says what and whether to retry.
    ServiceUnavailable(String),
    /// 503: a backend is unavailable; retrying later may succeed. Opaque body.
    Unavailable(anyhow::Error),
    /// 500: a bug or broken invariant. Opaque body.
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// 403: the app exists but is inactive.
    pub fn app_inactive() -> Self {
        Self::Forbidden { error: "App inactive", message: "This app is inactive.".to_owned() }
    }

    /// 404: no app has the id in the path.
    pub fn no_such_app() -> Self {
        Self::not_found("No app has this id.")
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::ServiceUnavailable(_) | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body sent to the client. Never contains a cause chain.
    pub fn body(&self) -> ErrorBody {
        let (error, message): (&str, String) = match self {
            Self::BadRequest(m) => ("Bad request", m.clone()),
            Self::Unauthorized { error, message } | Self::Forbidden { error, message } => (error, message.clone()),
            Self::NotFound(m) => ("Not found", m.clone()),
            Self::Conflict(m) => ("Conflict", m.clone()),
            Self::PayloadTooLarge(m) => ("Payload too large", m.clone()),
            Self::UriTooLong(m) => ("URI too long", m.clone()),
            Self::UnsupportedMediaType(m) => ("Unsupported media type", m.clone()),
            Self::HeadersTooLarge(m) => ("Request header fields too large", m.clone()),
            Self::TooManyRequests(wait) => {
                ("Too many requests", format!("Rate limit reached; retry in {} s.", retry_after_secs(*wait)))
            }
            Self::BadGateway(m) => ("Bad gateway", m.clone()),
            Self::ServiceUnavailable(m) => ("Service unavailable", m.clone()),
            Self::Unavailable(_) => {
                ("Service unavailable", "A backing service is unavailable; retry shortly.".to_owned())
            }
            Self::Internal(_) => ("Internal server error", "The server failed to handle the request.".to_owned()),
        };
        ErrorBody { error: error.to_owned(), message }
    }
}

impl Scribe for ApiError {
    fn render(self, res: &mut Response) {
        match &self {
            Self::Unavailable(cause) => tracing::warn!(error = format!("{cause:#}"), "backend unavailable"),
            Self::Internal(cause) => tracing::error!(error = format!("{cause:#}"), "request failed"),
            _ => {}
        }
        res.status_code(self.status());
        if let Self::TooManyRequests(wait) = &self {
            res.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs(*wait)));
        }
        res.render(Json(self.body()));
    }
}

/// Whole seconds to wait, rounded up (Retry-After has no fractions).
fn retry_after_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl EndpointOutRegister for ApiError {
    fn register(components: &mut Components, operation: &mut Operation) {
        let schema = ErrorBody::to_schema(components);
        for (status, description) in [
            ("400", "Malformed request or invalid input"),
            ("401", "Missing or invalid credentials"),
            ("403", "Credentials not allowed here, or the app is inactive"),
            ("404", "Not found"),
            ("409", "Conflicts with existing state"),
            ("413", "Body too large"),
            ("415", "Body is not JSON"),
            ("429", "Over a rate limit; see Retry-After"),
            ("500", "Internal error (opaque body)"),
            ("502", "Dialpad refused the request or answered unexpectedly"),
            ("503", "A backing service is unavailable; retry"),
        ] {
            operation.responses.insert(
                status,
                oapi::Response::new(description).add_content("application/json", oapi::Content::new(schema.clone())),
            );
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(cause) => Self::Unavailable(cause),
            StoreError::Unexpected(cause) => Self::Internal(cause),
        }
    }
}

impl From<AppLookupError> for ApiError {
    fn from(err: AppLookupError) -> Self {
        match err {
            AppLookupError::NotFound => Self::no_such_app(),
            AppLookupError::Inactive => Self::app_inactive(),
            AppLookupError::Store(err) => err.into(),
        }
    }
}

impl From<UpdateAppError> for ApiError {
    fn from(err: UpdateAppError) -> Self {
        match err {
            UpdateAppError::NotFound => Self::no_such_app(),
            UpdateAppError::Store(err) => err.into(),
        }
    }
}

impl From<KeyAdminError> for ApiError {
    fn from(err: KeyAdminError) -> Self {
        match err {
            KeyAdminError::AppNotFound => Self::no_such_app(),
            KeyAdminError::AppInactive => Self::app_inactive(),
            KeyAdminError::NoKey => Self::not_found("This app has no API key."),
            KeyAdminError::Store(err) => err.into(),
            KeyAdminError::Unexpected(cause) => Self::Internal(cause),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Refused(why) => why.into(),
            Denied::Limited { retry_after, .. } => Self::TooManyRequests(retry_after),
            Denied::Unavailable(err) => err.into(),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(why: Refused) -> Self {
        let unauthorized = |error, message: &str| Self::Unauthorized { error, message: message.to_owned() };
        match why {
            Refused::MissingKey => {
                unauthorized("Missing API key", "Send the app's API key in the x-app-api-key header.")
            }
            Refused::InvalidKey => unauthorized("Invalid API key", "The API key is not valid."),
            Refused::AppInactive => Self::app_inactive(),
            Refused::InvalidTicket => {
                unauthorized("Invalid ticket", "The ticket is not valid: unknown, expired or already used.")
            }
            Refused::TicketKeyEnded => {
                unauthorized("Invalid ticket", "The API key that asked for this ticket is no longer valid.")
            }
            Refused::MissingBearer => unauthorized(
                "Missing or invalid Authorization header",
                "Send Authorization: Bearer <INTERNAL_API_SECRET>.",
            ),
            Refused::WrongBearer => Self::Forbidden {
                error: "Invalid authentication token",
                message: "The bearer token is not the internal API secret.".to_owned(),
            },
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(err: IngestError) -> Self {
        match err {
            IngestError::Signature(_) => Self::Unauthorized {
                error: "Invalid webhook signature",
                message: "The webhook is not signed with a secret this server knows for it.".to_owned(),
            },
            IngestError::AppNotFound => Self::no_such_app(),
            IngestError::AppInactive => Self::app_inactive(),
            IngestError::Store(err) => err.into(),
        }
    }
}

impl From<WebhookSecretError> for ApiError {
    fn from(err: WebhookSecretError) -> Self {
        match err {
            WebhookSecretError::AppNotFound => Self::no_such_app(),
            WebhookSecretError::Store(err) => err.into(),
        }
    }
}

impl From<MappingError> for ApiError {
    fn from(err: MappingError) -> Self {
        match err {
            MappingError::AppNotFound => Self::no_such_app(),
            MappingError::NotFound => Self::not_found("The app has no mapping for this Dialpad user."),
            MappingError::Conflict => Self::Conflict("The app already maps this Dialpad user.".to_owned()),
            MappingError::Store(err) => err.into(),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::NotFound => Self::not_found("Nothing with this id belongs to this app."),
            QueryError::Store(err) => err.into(),
        }
    }
}
