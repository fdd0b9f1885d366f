//! The Dialpad adapter: OAuth 2.0 with PKCE through the `oauth2` crate (authorize URL, code
//! and refresh grants, their answers and OAuth error bodies), sent with reqwest
//! ([`transport`]), plus the two API calls a connection needs (`users/me`, `deauthorize`).
//! Token requests are form-encoded with the client credentials in HTTP Basic (RFC 6749
//! §2.3.1; Dialpad accepts Basic or the body), and carry the redirect URI exactly as
//! configured, byte for byte, as the authorize request did. Nothing here logs a token.

pub mod api;
pub mod transport;

use std::time::Duration;

use async_trait::async_trait;
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use self::transport::TransportError;
use crate::ports::{DialpadError, DialpadOAuth, DialpadUser, TokenGrant};

/// How to reach Dialpad and who this server is to it.
#[derive(Debug, Clone)]
pub struct DialpadSettings {
    /// `https://dialpad.com` or `https://sandbox.dialpad.com` (no trailing slash).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Sent as configured to both the authorize and the token endpoints.
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// The most one request to Dialpad may take.
    pub timeout: Duration,
}

type OAuthClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub struct HttpDialpad {
    oauth: OAuthClient,
    http: reqwest::Client,
    base_url: String,
    scopes: Vec<Scope>,
}

impl HttpDialpad {
    pub fn new(settings: DialpadSettings) -> anyhow::Result<Self> {
        let base = &settings.base_url;
        let oauth = BasicClient::new(ClientId::new(settings.client_id))
            .set_client_secret(ClientSecret::new(settings.client_secret.expose_secret().to_owned()))
            .set_auth_uri(AuthUrl::new(format!("{base}/oauth2/authorize"))?)
            .set_token_uri(TokenUrl::new(format!("{base}/oauth2/token"))?)
            .set_redirect_uri(RedirectUrl::new(settings.redirect_uri)?);
        Ok(Self {
            oauth,
            http: transport::client(settings.timeout),
            base_url: settings.base_url,
            scopes: settings.scopes.into_iter().map(Scope::new).collect(),
        })
    }

    /// The oauth2 crate's HTTP client: [`transport::send`] on this adapter's reqwest client.
    fn sender(&self) -> impl Fn(oauth2::HttpRequest) -> TransportFuture + use<> {
        let http = self.http.clone();
        move |request| {
            let http = http.clone();
            Box::pin(async move { transport::send(&http, request).await })
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

type TokenAnswer = StandardTokenResponse<oauth2::EmptyExtraTokenFields, BasicTokenType>;
type TransportFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, TransportError>> + Send + 'static>>;

#[async_trait]
impl DialpadOAuth for HttpDialpad {
    fn authorize_url(&self, state: &str, verifier: &SecretString) -> String {
        let verifier = PkceCodeVerifier::new(verifier.expose_secret().to_owned());
        let (url, _) = self
            .oauth
            .authorize_url(|| CsrfToken::new(state.to_owned()))
            .add_scopes(self.scopes.iter().cloned())
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier))
            .url();
        url.to_string()
    }

    async fn exchange_code(&self, code: &str, verifier: &SecretString) -> Result<TokenGrant, DialpadError> {
        let answer = self
            .oauth
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_owned()))
            .request_async(&self.sender())
            .await;
        checked(answer)
    }

    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, DialpadError> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        checked(self.oauth.exchange_refresh_token(&token).request_async(&self.sender()).await)
    }

    async fn me(&self, access_token: &SecretString) -> Result<DialpadUser, DialpadError> {
        let response = self
            .http
            .get(self.url("/api/v2/users/me"))
            .bearer_auth(access_token.expose_secret())
            .send()
            .await
            .map_err(|err| api_error(TransportError::Unreachable(err)))?;
        let response = answered(response)?;
        let body: Value = response.json().await.map_err(|_| DialpadError::Malformed("users/me is not JSON".into()))?;
        let id = |field: &str| {
            id_text(&body[field]).ok_or_else(|| DialpadError::Malformed(format!("users/me has no {field}")))
        };
        let email = body["emails"]
            .as_array()
            .and_then(|emails| emails.iter().find_map(Value::as_str))
            .or_else(|| body["email"].as_str())
            .map(str::to_owned);
        Ok(DialpadUser { user_id: id("id")?, company_id: id("company_id")?, email })
    }

    async fn deauthorize(&self, access_token: &SecretString) -> Result<(), DialpadError> {
        let response = self
            .http
            .post(self.url("/oauth2/deauthorize"))
            .bearer_auth(access_token.expose_secret())
            .send()
            .await
            .map_err(|err| api_error(TransportError::Unreachable(err)))?;
        answered(response).map(drop)
    }
}

/// A token endpoint's answer as a grant, if it is a non-empty bearer access token.
fn checked(
    answer: Result<TokenAnswer, RequestTokenError<TransportError, BasicErrorResponse>>,
) -> Result<TokenGrant, DialpadError> {
    let answer = answer.map_err(token_error)?;
    if !answer.token_type().as_ref().eq_ignore_ascii_case("bearer") {
        return Err(DialpadError::Malformed(format!("token_type is {:?}, not bearer", answer.token_type().as_ref())));
    }
    if answer.access_token().secret().is_empty() {
        return Err(DialpadError::Malformed("the access token is empty".to_owned()));
    }
    Ok(TokenGrant {
        access_token: SecretString::from(answer.access_token().secret().to_owned()),
        refresh_token: answer
            .refresh_token()
            .map(|t| t.secret())
            .filter(|t| !t.is_empty())
            .map(|t| SecretString::from(t.to_owned())),
        expires_in: answer.expires_in(),
        scopes: answer.scopes().map(|s| s.iter().map(|s| s.to_string()).collect()),
    })
}

/// An API answer that is a success; 401 and every other failure as a [`DialpadError`].
fn answered(response: reqwest::Response) -> Result<reqwest::Response, DialpadError> {
    let response = transport::retryable(response).map_err(api_error)?;
    match response.status().as_u16() {
        200..=299 => Ok(response),
        401 => Err(DialpadError::Unauthorized),
        status => Err(DialpadError::Malformed(format!("Dialpad answered {status}"))),
    }
}

/// An id Dialpad sends as a number or a string.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn api_error(err: TransportError) -> DialpadError {
    match err {
        TransportError::Retryable { status: 429, retry_after } => DialpadError::RateLimited { retry_after },
        err => DialpadError::Unavailable(err.into()),
    }
}

/// The oauth2 crate's error as a [`DialpadError`]. Bodies are never quoted: they may hold
/// tokens.
fn token_error(err: RequestTokenError<TransportError, BasicErrorResponse>) -> DialpadError {
    match err {
        RequestTokenError::Request(err) => api_error(err),
        RequestTokenError::ServerResponse(response) => DialpadError::Refused {
            error: response.error().as_ref().to_owned(),
            description: response.error_description().cloned(),
        },
        RequestTokenError::Parse(err, _body) => {
            let inner = err.inner();
            let what = if inner.to_string().starts_with("missing field") {
                inner.to_string().split(" at line").next().unwrap_or_default().to_owned()
            } else {
                format!("{:?} error at {}", inner.classify(), err.path())
            };
            DialpadError::Malformed(format!("unreadable token answer: {what}"))
        }
        RequestTokenError::Other(message) => DialpadError::Malformed(message),
    }
}
