//! The HTTP client under the oauth2 crate and the API calls: reqwest, with timeouts, no
//! redirects (a redirect from a token endpoint is never followed with credentials), and the
//! statuses a caller retries (429, 5xx) turned into errors before the oauth2 crate parses
//! anything, so their `Retry-After` survives.

use std::time::Duration;

use oauth2::http;
use reqwest::header::RETRY_AFTER;

/// Why a request got no answer worth parsing.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot reach Dialpad: {0}")]
    Unreachable(#[source] reqwest::Error),
    /// 429 or 5xx.
    #[error("Dialpad answered {status}")]
    Retryable { status: u16, retry_after: Option<Duration> },
}

/// A client for Dialpad: `timeout` for a whole request, no redirects.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("cti-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client's TLS backend initialises")
}

/// Sends a request built by the oauth2 crate; 429 and 5xx come back as errors.
pub async fn send(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, TransportError> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(TransportError::Unreachable)?;
    let response = retryable(response)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(TransportError::Unreachable)?;
    let mut answer = http::Response::builder().status(status).body(body.to_vec()).expect("a valid status");
    *answer.headers_mut() = headers;
    Ok(answer)
}

/// The response, or the error a 429 or 5xx is.
pub fn retryable(response: reqwest::Response) -> Result<reqwest::Response, TransportError> {
    let status = response.status();
    if status.as_u16() == 429 || status.is_server_error() {
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Err(TransportError::Retryable { status: status.as_u16(), retry_after });
    }
    Ok(response)
}
