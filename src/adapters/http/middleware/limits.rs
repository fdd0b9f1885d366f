//! The rate limits as the credential guards apply them (see `app::rate_limits`): a client
//! refused for too many wrong credentials gets 429 before its credentials are looked at;
//! each wrong credential counts against its address; each authenticated request counts
//! against its app.

use std::net::IpAddr;
use std::time::Duration;

use salvo::http::HeaderValue;
use salvo::{Request, Response};

use super::client_ip::client_ip;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::state::AppState;
use crate::app::rate_limits::{Allowance, Refusal, Standing};
use crate::domain::app::AppId;
use crate::domain::rate_limit::Quota;

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

/// Counts a request of `app`, with the RateLimit headers on `res`; 429 when it is over its
/// quota.
pub async fn app_request(state: &AppState, res: &mut Response, app: AppId) -> Result<(), ApiError> {
    answer(res, state.rate_limits.app_request(app).await)
}

/// Counts an admin API request of the client, with the RateLimit headers; 429 over it.
pub async fn internal_request(state: &AppState, res: &mut Response, client: Option<IpAddr>) -> Result<(), ApiError> {
    answer(res, state.rate_limits.internal_request(client).await)
}

/// The RateLimit headers of a limit's answer, and the error when it refused.
fn answer(res: &mut Response, checked: Result<Option<Standing>, Refusal>) -> Result<(), ApiError> {
    match checked {
        Ok(None) => Ok(()),
        Ok(Some(standing)) => {
            rate_limit_headers(res, standing.quota, standing.remaining, standing.reset_after);
            Ok(())
        }
        Err(refusal) => {
            rate_limit_headers(res, refusal.quota, 0, refusal.retry_after);
            Err(ApiError::TooManyRequests(refusal.retry_after))
        }
    }
}

/// The headers the old server's clients read (`RateLimit-Limit`, `-Remaining`, `-Reset`, as
/// express-rate-limit sends them) and the IETF draft's `RateLimit-Policy` and `RateLimit`.
/// The limit is per minute; `remaining` is what may be sent at once now (an estimate across
/// instances), `reset` the seconds until the whole burst is back.
fn rate_limit_headers(res: &mut Response, quota: Quota, remaining: u32, reset: Duration) {
    let limit = quota.per(Duration::from_secs(60));
    let reset = reset.as_secs() + u64::from(reset.subsec_nanos() > 0);
    let headers = res.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("ratelimit-limit", limit.to_string());
    set("ratelimit-remaining", remaining.to_string());
    set("ratelimit-reset", reset.to_string());
    set("ratelimit-policy", format!("{limit};w=60;burst={}", quota.burst));
    set("ratelimit", format!("limit={limit}, remaining={remaining}, reset={reset}"));
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
