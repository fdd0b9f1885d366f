//! Access answers as HTTP (see `app::access`): the client's address in, and out the
//! RateLimit headers of an admitted request, or the error of a denied one (429 with
//! Retry-After, and the RateLimit headers when the limit is the client's to see).

use std::net::IpAddr;
use std::time::Duration;

use salvo::http::HeaderValue;
use salvo::{Request, Response};

use super::client_ip::client_ip;
use crate::adapters::http::error::ApiError;
use crate::adapters::http::state::AppState;
use crate::app::access::{Admitted, Denied};
use crate::domain::rate_limit::Quota;

/// The address the request is counted under.
pub fn client(state: &AppState, req: &Request) -> Option<IpAddr> {
    client_ip(req, &state.trusted_proxies)
}

/// Who was let in, with the RateLimit headers on `res`; or the error to answer.
pub fn admitted<T>(res: &mut Response, answer: Result<Admitted<T>, Denied>) -> Result<T, ApiError> {
    match answer {
        Ok(Admitted { who, standing }) => {
            if let Some(s) = standing {
                rate_limit_headers(res, s.quota, s.remaining, s.reset_after);
            }
            Ok(who)
        }
        Err(Denied::Limited { retry_after, quota: Some(quota) }) => {
            rate_limit_headers(res, quota, 0, retry_after);
            Err(ApiError::TooManyRequests(retry_after))
        }
        Err(denied) => Err(denied.into()),
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
    let client = client(state, req);
    state.access.connect_flow(client)?;
    Ok(client)
}

/// Counts a failed step of the connect flow from `client`: the error to answer, 429 if that
/// was one too many.
pub async fn oauth_failure(state: &AppState, client: Option<IpAddr>, err: ApiError) -> ApiError {
    match state.access.connect_flow_failed(client).await {
        Some(wait) => ApiError::TooManyRequests(wait),
        None => err,
    }
}
