//! A fake Dialpad authorization server on 127.0.0.1:0, strict where the real one hurts:
//! PKCE S256 is enforced (a wrong verifier is `invalid_grant`), the redirect URI of the token
//! request must equal the authorize request's, codes work once, refresh tokens rotate on
//! every use and a refresh token used twice is `invalid_grant`, access tokens expire, and
//! deauthorize revokes the whole grant. It counts what it saw, and can be told to deny,
//! refuse, leave out the refresh token, fail with a status (429 with Retry-After, 503), or
//! stop answering altogether. Its REST API (api.rs) keeps webhooks and call subscriptions,
//! takes calls and screen pops, and delivers signed events as Dialpad does.

mod api;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use salvo::conn::{Acceptor, TcpListener};
use salvo::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "fake-client-id";
pub const CLIENT_SECRET: &str = "fake-client-secret-0123456789";
/// The Dialpad user and company every grant belongs to (ids as Dialpad mixes them).
pub const USER_ID: i64 = 5527348325810176;
pub const COMPANY_ID: &str = "6054771424780288";
pub const EMAIL: &str = "admin@example.com";

/// How the fake behaves; change it at any time with [`FakeDialpad::set`].
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// `expires_in` of every access token.
    pub lifetime: Duration,
    /// `token_type` of every grant.
    pub token_type: String,
    /// Redirect back with `error=access_denied` instead of a code.
    pub deny: bool,
    /// Answer `invalid_grant` to every authorization code.
    pub refuse_codes: bool,
    /// Leave `refresh_token` out of token answers.
    pub omit_refresh_token: bool,
    /// Answer `invalid_grant` to every refresh token.
    pub refuse_refresh: bool,
    /// Answer every token request with this status (and Retry-After seconds when given).
    pub token_failure: Option<(u16, Option<u64>)>,
    /// Answer every request to every endpoint with this status.
    pub outage: Option<u16>,
    /// How long the token endpoint takes to answer (the real one takes a while).
    pub token_delay: Duration,
    /// Answer every REST request (not OAuth, not /users/me) with this status (and
    /// Retry-After seconds when given).
    pub api_failure: Option<(u16, Option<u64>)>,
    /// Answer 403 to webhook and subscription writes (the connecting user is no admin).
    pub not_admin: bool,
    /// Items per page of a list (small, so clients must follow the cursor).
    pub page_size: usize,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            lifetime: Duration::from_secs(3600),
            token_type: "Bearer".to_owned(),
            deny: false,
            refuse_codes: false,
            omit_refresh_token: false,
            refuse_refresh: false,
            token_failure: None,
            outage: None,
            token_delay: Duration::ZERO,
            api_failure: None,
            not_admin: false,
            page_size: 2,
        }
    }
}

/// What the fake saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Query parameters of each authorize request.
    pub authorize: Vec<HashMap<String, String>>,
    /// Form parameters of each token request (client credentials removed).
    pub token_requests: Vec<HashMap<String, String>>,
    pub exchanges: u32,
    pub refreshes: u32,
    /// Refresh tokens presented after they had been used once.
    pub refresh_reuses: u32,
    pub deauthorized: u32,
    pub me: u32,
}

struct Code {
    redirect_uri: String,
    challenge: String,
    used: bool,
}

#[derive(Default)]
struct State {
    behaviour: Behaviour,
    codes: HashMap<String, Code>,
    /// access token -> (grant, expiry)
    access: HashMap<String, (u64, Instant)>,
    /// refresh token -> (grant, used)
    refresh: HashMap<String, (u64, bool)>,
    revoked: HashSet<u64>,
    next_grant: u64,
    /// Every code and token handed out, to look for them where they must not be.
    issued: Vec<String>,
    seen: Seen,
    api: api::ApiState,
}

pub struct FakeDialpad {
    pub base_url: String,
    state: Arc<Mutex<State>>,
    handle: salvo::server::ServerHandle,
}

impl FakeDialpad {
    pub async fn start() -> Self {
        let acceptor = TcpListener::new("127.0.0.1:0").bind().await;
        let port = acceptor.holdings()[0].local_addr.clone().into_std().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let router = Router::with_path("{**rest}").goal(Fake { state: state.clone() });
        let server = Server::new(acceptor);
        let handle = server.handle();
        tokio::spawn(server.serve(router));
        Self { base_url: format!("http://127.0.0.1:{port}"), state, handle }
    }

    /// Changes the behaviour from now on.
    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.state.lock().unwrap().behaviour);
    }

    pub fn seen(&self) -> Seen {
        self.state.lock().unwrap().seen.clone()
    }

    /// Every code and token the fake handed out.
    pub fn issued(&self) -> Vec<String> {
        self.state.lock().unwrap().issued.clone()
    }

    /// Whether `access_token` is accepted now.
    pub fn accepts(&self, access_token: &str) -> bool {
        self.state.lock().unwrap().valid_access(access_token).is_some()
    }

    /// The access tokens accepted now.
    pub fn live_access_tokens(&self) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state.access.keys().filter(|t| state.valid_access(t).is_some()).cloned().collect()
    }

    /// Revokes every grant behind the server's back (an admin removed the app in Dialpad).
    pub fn revoke_all(&self) {
        let mut state = self.state.lock().unwrap();
        let grants = state.next_grant;
        state.revoked.extend(1..=grants);
    }

    /// Stops answering: connections are refused from now on.
    pub fn stop(&self) {
        self.handle.stop_forceful();
    }
}

impl Drop for FakeDialpad {
    fn drop(&mut self) {
        self.handle.stop_forceful();
    }
}

impl State {
    fn valid_access(&self, token: &str) -> Option<u64> {
        let (grant, expires) = self.access.get(token)?;
        (*expires > Instant::now() && !self.revoked.contains(grant)).then_some(*grant)
    }

    fn issue(&mut self, prefix: &str) -> String {
        let token = format!("{prefix}{}", uuid::Uuid::new_v4().simple());
        self.issued.push(token.clone());
        token
    }

    /// A token answer for `grant`.
    fn grant(&mut self, grant: u64) -> Value {
        let access = self.issue("fake_at_");
        self.access.insert(access.clone(), (grant, Instant::now() + self.behaviour.lifetime));
        let mut body = json!({
            "access_token": access,
            "token_type": self.behaviour.token_type,
            "expires_in": self.behaviour.lifetime.as_secs(),
        });
        if !self.behaviour.omit_refresh_token {
            let refresh = self.issue("fake_rt_");
            self.refresh.insert(refresh.clone(), (grant, false));
            body["refresh_token"] = json!(refresh);
        }
        body
    }
}

struct Fake {
    state: Arc<Mutex<State>>,
}

fn oauth_error(res: &mut Response, status: u16, error: &str) {
    res.status_code(StatusCode::from_u16(status).unwrap());
    res.render(Json(json!({ "error": error, "error_description": format!("fake dialpad: {error}") })));
}

fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_owned)
}

/// The client credentials, from HTTP Basic (each part form-urlencoded) or the body.
fn client_credentials(req: &Request, form: &HashMap<String, String>) -> Option<(String, String)> {
    if let Some(basic) = req.headers().get("authorization").and_then(|v| v.to_str().ok()?.strip_prefix("Basic ")) {
        let decoded = String::from_utf8(STANDARD.decode(basic).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let unescape =
            |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
        return Some((unescape(id)?, unescape(secret)?));
    }
    Some((form.get("client_id")?.clone(), form.get("client_secret")?.clone()))
}

#[async_trait]
impl Handler for Fake {
    async fn handle(&self, req: &mut Request, _depot: &mut Depot, res: &mut Response, _ctrl: &mut FlowCtrl) {
        let path = req.uri().path().to_owned();
        let body = req.payload().await.map(|b| b.to_vec()).unwrap_or_default();
        let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
        let delay = self.state.lock().unwrap().behaviour.token_delay;
        if path == "/oauth2/token" && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut state = self.state.lock().unwrap();
        if let Some(status) = state.behaviour.outage {
            return oauth_error(res, status, "temporarily_unavailable");
        }
        match (req.method().as_str(), path.as_str()) {
            ("GET", "/oauth2/authorize") => authorize(&mut state, req, res),
            ("POST", "/oauth2/token") => token(&mut state, req, form, res),
            ("GET", "/api/v2/users/me") => {
                state.seen.me += 1;
                match bearer(req).and_then(|t| state.valid_access(&t)) {
                    Some(_) => res.render(Json(json!({
                        "id": USER_ID, "company_id": COMPANY_ID, "emails": [EMAIL], "is_admin": true
                    }))),
                    None => oauth_error(res, 401, "invalid_token"),
                }
            }
            ("POST", "/oauth2/deauthorize") => match bearer(req).and_then(|t| state.valid_access(&t)) {
                Some(grant) => {
                    state.revoked.insert(grant);
                    state.seen.deauthorized += 1;
                    res.status_code(StatusCode::NO_CONTENT);
                }
                None => oauth_error(res, 401, "invalid_token"),
            },
            (method, rest) if rest.starts_with("/api/v2/") => {
                state.api.seen.requests.push(format!("{method} {rest}"));
                match bearer(req).and_then(|t| state.valid_access(&t)) {
                    Some(_) => api::handle(&mut state, method, rest, req.query::<String>("cursor"), &body, res),
                    None => oauth_error(res, 401, "invalid_token"),
                }
            }
            _ => oauth_error(res, 404, "not_found"),
        }
    }
}

fn authorize(state: &mut State, req: &Request, res: &mut Response) {
    let query: HashMap<String, String> = req.queries().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    state.seen.authorize.push(query.clone());
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    let well_formed = get("response_type") == "code"
        && get("client_id") == CLIENT_ID
        && get("code_challenge_method") == "S256"
        && get("code_challenge").len() == 43
        && !get("state").is_empty()
        && !get("redirect_uri").is_empty();
    if !well_formed {
        return oauth_error(res, 400, "invalid_request");
    }
    let redirect = url::Url::parse(&get("redirect_uri")).unwrap();
    let mut back = redirect.clone();
    if state.behaviour.deny {
        back.query_pairs_mut().append_pair("error", "access_denied").append_pair("state", &get("state"));
    } else {
        let code = state.issue("fake_code_");
        let entry = Code { redirect_uri: get("redirect_uri"), challenge: get("code_challenge"), used: false };
        state.codes.insert(code.clone(), entry);
        back.query_pairs_mut().append_pair("code", &code).append_pair("state", &get("state"));
    }
    res.status_code(StatusCode::FOUND);
    res.headers_mut().insert("location", back.as_str().parse().unwrap());
}

fn token(state: &mut State, req: &Request, form: HashMap<String, String>, res: &mut Response) {
    let credentials = client_credentials(req, &form);
    let mut seen = form.clone();
    seen.remove("client_secret");
    state.seen.token_requests.push(seen);
    if let Some((status, retry_after)) = state.behaviour.token_failure {
        if let Some(seconds) = retry_after {
            res.headers_mut().insert("retry-after", seconds.to_string().parse().unwrap());
        }
        return oauth_error(res, status, "temporarily_unavailable");
    }
    if credentials != Some((CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned())) {
        return oauth_error(res, 401, "invalid_client");
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    match get("grant_type").as_str() {
        "authorization_code" => {
            let verifier = get("code_verifier");
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            let refuse = state.behaviour.refuse_codes;
            let Some(code) = state.codes.get_mut(&get("code")) else { return oauth_error(res, 400, "invalid_grant") };
            let valid = !code.used
                && !refuse
                && code.redirect_uri == get("redirect_uri")
                && (43..=128).contains(&verifier.len())
                && code.challenge == challenge;
            code.used = true;
            if !valid {
                return oauth_error(res, 400, "invalid_grant");
            }
            state.seen.exchanges += 1;
            state.next_grant += 1;
            let grant = state.next_grant;
            let body = state.grant(grant);
            res.render(Json(body));
        }
        "refresh_token" => {
            let presented = get("refresh_token");
            let Some((grant, used)) = state.refresh.get(&presented).copied() else {
                return oauth_error(res, 400, "invalid_grant");
            };
            if used {
                state.seen.refresh_reuses += 1;
                return oauth_error(res, 400, "invalid_grant");
            }
            state.refresh.insert(presented, (grant, true));
            if state.behaviour.refuse_refresh || state.revoked.contains(&grant) {
                return oauth_error(res, 400, "invalid_grant");
            }
            state.seen.refreshes += 1;
            let body = state.grant(grant);
            res.render(Json(body));
        }
        _ => oauth_error(res, 400, "unsupported_grant_type"),
    }
}
