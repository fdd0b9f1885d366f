//! The fake Dialpad's REST API, as the OpenAPI document describes it: webhooks
//! (`/api/v2/webhooks`, ids serialized as strings, lists paged with `cursor`), call event
//! subscriptions (`/api/v2/subscriptions/call`, `endpoint_id` in, `webhook{…}` out, states
//! checked against Dialpad's enum), `initiate_call` and `screenpop` for a user. Strict where
//! the real one hurts: 20 requests a second per company and 5 calls (and 5 pops) a minute
//! per user, each over-limit request a 429 with Retry-After; webhook and subscription writes
//! 403 for a user who is no admin. Errors in Dialpad's shape, `{"error":{"code","message"}}`.
//!
//! `deliver` plays Dialpad's side of a subscription: the event, signed HS256 with the secret
//! the webhook was given, posted to every enabled subscription's `hook_url` that wants it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use salvo::prelude::*;
use serde_json::{Value, json};

use super::{FakeDialpad, State};

/// Dialpad's call states (the subscription enum in its OpenAPI document).
const CALL_STATES: [&str; 32] = [
    "admin",
    "admin_recording",
    "ai_playbook",
    "all",
    "barge",
    "blocked",
    "call_transcription",
    "calling",
    "connected",
    "csat",
    "dispositions",
    "eavesdrop",
    "hangup",
    "hold",
    "merged",
    "missed",
    "monitor",
    "parked",
    "pcsat",
    "postcall",
    "preanswer",
    "queued",
    "recap_action_items",
    "recap_outcome",
    "recap_purposes",
    "recap_summary",
    "recording",
    "ringing",
    "takeover",
    "transcription",
    "voicemail",
    "voicemail_uploaded",
];
const COMPANY_PER_SECOND: usize = 20;
const PER_USER_PER_MINUTE: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeWebhook {
    pub id: String,
    pub hook_url: String,
    pub secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeSubscription {
    pub id: String,
    pub webhook_id: String,
    pub call_states: Vec<String>,
    pub enabled: bool,
}

/// What the REST API saw.
#[derive(Debug, Default, Clone)]
pub struct ApiSeen {
    /// (user id, body) of every initiate_call Dialpad carried out.
    pub calls: Vec<(String, Value)>,
    /// (user id, screen_pop_uri) of every screen pop Dialpad carried out.
    pub pops: Vec<(String, String)>,
    /// "METHOD /path" of every REST request, answered or refused.
    pub requests: Vec<String>,
    /// Requests refused with 429.
    pub throttled: u32,
}

#[derive(Default)]
pub(super) struct ApiState {
    pub(super) seen: ApiSeen,
    webhooks: BTreeMap<u64, FakeWebhook>,
    subscriptions: BTreeMap<u64, FakeSubscription>,
    next_id: u64,
    company_window: VecDeque<Instant>,
    per_user: HashMap<(&'static str, String), VecDeque<Instant>>,
}

impl ApiState {
    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        4_500_000_000_000_000 + self.next_id
    }
}

fn dialpad_error(res: &mut Response, status: u16, message: &str) {
    res.status_code(StatusCode::from_u16(status).unwrap());
    res.render(Json(json!({ "error": { "code": status, "message": message } })));
}

fn throttled(state: &mut State, res: &mut Response, retry_after: u64) {
    state.api.seen.throttled += 1;
    res.headers_mut().insert("retry-after", retry_after.to_string().parse().unwrap());
    dialpad_error(res, 429, "rate limit exceeded");
}

/// Whether one more request fits `limit` per `period` in `window` (and counts it if so).
fn fits(window: &mut VecDeque<Instant>, limit: usize, period: Duration) -> bool {
    let now = Instant::now();
    while window.front().is_some_and(|t| now.duration_since(*t) >= period) {
        window.pop_front();
    }
    if window.len() >= limit {
        return false;
    }
    window.push_back(now);
    true
}

/// Answers a REST request whose bearer token is valid.
pub(super) fn handle(
    state: &mut State,
    method: &str,
    path: &str,
    cursor: Option<String>,
    body: &[u8],
    res: &mut Response,
) {
    if let Some((status, retry_after)) = state.behaviour.api_failure {
        if let Some(seconds) = retry_after {
            res.headers_mut().insert("retry-after", seconds.to_string().parse().unwrap());
        }
        return dialpad_error(res, status, "fake dialpad: failing on purpose");
    }
    if !fits(&mut state.api.company_window, COMPANY_PER_SECOND, Duration::from_secs(1)) {
        return throttled(state, res, 1);
    }
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let segments: Vec<&str> = path.trim_start_matches("/api/v2/").split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", ["webhooks"]) => {
            let items: Vec<Value> = state.api.webhooks.values().map(webhook_json).collect();
            page(state, items, cursor, res)
        }
        ("POST", ["webhooks"]) => write_webhook(state, None, &body, res),
        ("PATCH", ["webhooks", id]) => write_webhook(state, Some(id), &body, res),
        ("DELETE", ["webhooks", id]) => match numeric(id).and_then(|id| state.api.webhooks.remove(&id)) {
            Some(gone) => res.render(Json(webhook_json(&gone))),
            None => dialpad_error(res, 404, "webhook not found"),
        },
        ("GET", ["subscriptions", "call"]) => {
            let items: Vec<Value> =
                state.api.subscriptions.values().map(|s| subscription_json(&state.api, s)).collect();
            page(state, items, cursor, res)
        }
        ("POST", ["subscriptions", "call"]) => write_subscription(state, None, &body, res),
        ("PATCH", ["subscriptions", "call", id]) => write_subscription(state, Some(id), &body, res),
        ("DELETE", ["subscriptions", "call", id]) => {
            match numeric(id).and_then(|id| state.api.subscriptions.remove(&id)) {
                Some(gone) => {
                    let shown = subscription_json(&state.api, &gone);
                    res.render(Json(shown))
                }
                None => dialpad_error(res, 404, "subscription not found"),
            }
        }
        ("POST", ["users", user, "initiate_call"]) => {
            let Some(number) = body["phone_number"].as_str().filter(|n| n.starts_with('+')) else {
                return dialpad_error(res, 400, "phone_number must be e164-formatted");
            };
            let number = number.to_owned();
            if !per_user(state, "initiate_call", user) {
                return throttled(state, res, 60);
            }
            state.api.seen.calls.push(((*user).to_owned(), body.clone()));
            res.render(Json(
                json!({ "device": { "id": format!("desktop-{user}"), "type": "desktop", "phone_number": number } }),
            ));
        }
        ("POST", ["users", user, "screenpop"]) => {
            let Some(uri) = body["screen_pop_uri"].as_str() else {
                return dialpad_error(res, 400, "screen_pop_uri is required");
            };
            let userinfo = url::Url::parse(uri).is_ok_and(|u| !u.username().is_empty() || u.password().is_some());
            if userinfo {
                return dialpad_error(res, 400, "url with userinfo is not supported");
            }
            let uri = uri.to_owned();
            if !per_user(state, "screenpop", user) {
                return throttled(state, res, 60);
            }
            state.api.seen.pops.push(((*user).to_owned(), uri));
            res.render(Json(json!({ "device": { "id": format!("desktop-{user}"), "type": "desktop" } })));
        }
        _ => dialpad_error(res, 404, "not found"),
    }
}

fn numeric(id: &str) -> Option<u64> {
    id.parse().ok()
}

/// Counts one `what` for `user` against Dialpad's 5 a minute.
fn per_user(state: &mut State, what: &'static str, user: &str) -> bool {
    let window = state.api.per_user.entry((what, user.to_owned())).or_default();
    fits(window, PER_USER_PER_MINUTE, Duration::from_secs(60))
}

/// One page of `items` from `cursor` (an offset, opaque to clients).
fn page(state: &State, items: Vec<Value>, cursor: Option<String>, res: &mut Response) {
    let from: usize = cursor.and_then(|c| c.strip_prefix("page-")?.parse().ok()).unwrap_or(0);
    let size = state.behaviour.page_size.max(1);
    let rest: Vec<Value> = items.iter().skip(from).take(size).cloned().collect();
    let mut body = json!({ "items": rest });
    if from + size < items.len() {
        body["cursor"] = json!(format!("page-{}", from + size));
    }
    res.render(Json(body));
}

fn webhook_json(webhook: &FakeWebhook) -> Value {
    let signature = webhook.secret.as_ref().map(|s| json!({ "algo": "HS256", "secret": s, "type": "jwt" }));
    json!({ "id": webhook.id, "hook_url": webhook.hook_url, "signature": signature })
}

fn subscription_json(api: &ApiState, subscription: &FakeSubscription) -> Value {
    let webhook = numeric(&subscription.webhook_id).and_then(|id| api.webhooks.get(&id)).map(webhook_json);
    json!({
        "id": subscription.id,
        "call_states": subscription.call_states,
        "enabled": subscription.enabled,
        "webhook": webhook,
    })
}

fn write_webhook(state: &mut State, id: Option<&str>, body: &Value, res: &mut Response) {
    if state.behaviour.not_admin {
        return dialpad_error(res, 403, "You must be a company admin to manage webhooks");
    }
    let secret = body["secret"].as_str().map(str::to_owned);
    let written = match id {
        None => {
            let Some(hook_url) = body["hook_url"].as_str() else {
                return dialpad_error(res, 400, "hook_url is required");
            };
            let id = state.api.new_id();
            let webhook = FakeWebhook { id: id.to_string(), hook_url: hook_url.to_owned(), secret };
            state.api.webhooks.insert(id, webhook.clone());
            webhook
        }
        Some(id) => {
            let Some(webhook) = numeric(id).and_then(|id| state.api.webhooks.get_mut(&id)) else {
                return dialpad_error(res, 404, "webhook not found");
            };
            if let Some(hook_url) = body["hook_url"].as_str() {
                webhook.hook_url = hook_url.to_owned();
            }
            if secret.is_some() {
                webhook.secret = secret;
            }
            webhook.clone()
        }
    };
    res.render(Json(webhook_json(&written)));
}

fn write_subscription(state: &mut State, id: Option<&str>, body: &Value, res: &mut Response) {
    if state.behaviour.not_admin {
        return dialpad_error(res, 403, "You must be a company admin to manage subscriptions");
    }
    let states: Option<Vec<String>> = body["call_states"]
        .as_array()
        .map(|states| states.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect());
    if let Some(bad) = states.iter().flatten().find(|s| !CALL_STATES.contains(&s.as_str())) {
        return dialpad_error(res, 400, &format!("invalid call state: {bad}"));
    }
    let endpoint = match &body["endpoint_id"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => numeric(s),
        _ => None,
    };
    if let Some(endpoint) = endpoint
        && !state.api.webhooks.contains_key(&endpoint)
    {
        return dialpad_error(res, 404, "endpoint not found");
    }
    let enabled = body["enabled"].as_bool();
    let written = match id {
        None => {
            let Some(endpoint) = endpoint else { return dialpad_error(res, 400, "endpoint_id is required") };
            let id = state.api.new_id();
            let subscription = FakeSubscription {
                id: id.to_string(),
                webhook_id: endpoint.to_string(),
                call_states: states.unwrap_or_else(|| vec!["all".to_owned()]),
                enabled: enabled.unwrap_or(true),
            };
            state.api.subscriptions.insert(id, subscription.clone());
            subscription
        }
        Some(id) => {
            let Some(subscription) = numeric(id).and_then(|id| state.api.subscriptions.get_mut(&id)) else {
                return dialpad_error(res, 404, "subscription not found");
            };
            if let Some(endpoint) = endpoint {
                subscription.webhook_id = endpoint.to_string();
            }
            if let Some(states) = states {
                subscription.call_states = states;
            }
            if let Some(enabled) = enabled {
                subscription.enabled = enabled;
            }
            subscription.clone()
        }
    };
    let shown = subscription_json(&state.api, &written);
    res.render(Json(shown));
}

impl FakeDialpad {
    pub fn webhooks(&self) -> Vec<FakeWebhook> {
        self.state.lock().unwrap().api.webhooks.values().cloned().collect()
    }

    pub fn subscriptions(&self) -> Vec<FakeSubscription> {
        self.state.lock().unwrap().api.subscriptions.values().cloned().collect()
    }

    pub fn api_seen(&self) -> ApiSeen {
        self.state.lock().unwrap().api.seen.clone()
    }

    /// Changes a subscription behind the server's back (an admin in Dialpad's UI).
    pub fn tamper_subscription(&self, id: &str, change: impl FnOnce(&mut FakeSubscription)) {
        let mut state = self.state.lock().unwrap();
        change(state.api.subscriptions.get_mut(&id.parse::<u64>().unwrap()).expect("a subscription"));
    }

    /// Adds a webhook behind the server's back (say, a copy made by hand).
    pub fn add_webhook(&self, hook_url: &str, secret: &str) -> String {
        let mut state = self.state.lock().unwrap();
        let id = state.api.new_id();
        let webhook =
            FakeWebhook { id: id.to_string(), hook_url: hook_url.to_owned(), secret: Some(secret.to_owned()) };
        state.api.webhooks.insert(id, webhook);
        id.to_string()
    }

    /// Delivers `event` as Dialpad would: signed with each webhook's secret, to every enabled
    /// subscription that wants its state, with the `hook_url`'s origin replaced by `via` (the
    /// instance the load balancer picks). The status of each delivery.
    pub async fn deliver(&self, event: &Value, via: &str) -> Vec<u16> {
        let state_name = event["state"].as_str().unwrap_or_default().to_owned();
        let targets: Vec<FakeWebhook> = {
            let state = self.state.lock().unwrap();
            state
                .api
                .subscriptions
                .values()
                .filter(|s| s.enabled && s.call_states.iter().any(|c| *c == state_name || c == "all"))
                .filter_map(|s| numeric(&s.webhook_id).and_then(|id| state.api.webhooks.get(&id)).cloned())
                .collect()
        };
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        for webhook in targets {
            let body = match &webhook.secret {
                Some(secret) => crate::dialpad::jws(event, secret),
                None => event.to_string(),
            };
            let url = crate::dialpad_oauth::on(via, &webhook.hook_url);
            let res = client.post(url).header("content-type", "application/jwt").body(body).send().await.unwrap();
            statuses.push(res.status().as_u16());
        }
        statuses
    }
}
