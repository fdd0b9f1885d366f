//! The rate limits as the credential guards apply them (see `app::rate_limits`): a client
//! refused for too many wrong credentials gets 429 before its credentials are looked at;
//! each wrong credential counts against its address; each authenticated request counts
//! against its app.

use std::net::IpAddr;

use salvo::Request;

use super::client_ip::client_ip;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::state::AppState;
use crate::app::rate_limits::Allowance;
use crate::domain::app::AppId;

/// The client's address, or 429 if it is refused.
pub fn admit_client(state: &AppState, req: &Request) -> Result<Option<IpAddr>, ApiError> {
    let client = client_ip(req, &state.trusted_proxies);
    match state.rate_limits.refused(client) {
        Some(wait) => Err(ApiError::TooManyRequests(wait)),
        None => Ok(client),
    }
}

/// Counts a wrong credential from `client`: the error to answer, 429 if that was one too many.
pub async fn wrong_credentials(state: &AppState, client: Option<IpAddr>, err: ApiError) -> ApiError {
    match state.rate_limits.wrong_credentials(client).await {
        Some(wait) => ApiError::TooManyRequests(wait),
        None => err,
    }
}

/// Counts a request of `app`; 429 when it is over its quota.
pub async fn app_request(state: &AppState, app: AppId) -> Result<(), ApiError> {
    state.rate_limits.app_request(app).await.map_err(ApiError::TooManyRequests)
}

/// The client's address, or 429 if it made too many failed attempts on the connect flow.
pub fn admit_oauth_client(state: &AppState, req: &Request) -> Result<Option<IpAddr>, ApiError> {
    let client = client_ip(req, &state.trusted_proxies);
    match state.rate_limits.refused_for(Allowance::OAuth, client) {
        Some(wait) => Err(ApiError::TooManyRequests(wait)),
        None => Ok(client),
    }
}

/// Counts a failed step of the connect flow from `client`: the error to answer, 429 if that
/// was one too many.
pub async fn oauth_failure(state: &AppState, client: Option<IpAddr>, err: ApiError) -> ApiError {
    match state.rate_limits.failed(Allowance::OAuth, client).await {
        Some(wait) => ApiError::TooManyRequests(wait),
        None => err,
    }
}
