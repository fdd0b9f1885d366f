//! Click-to-call and screen pop for the app's users: who is asked for is checked before
//! Dialpad hears of it, Dialpad's 5 a minute per user is enforced here across instances (the
//! sixth never reaches Dialpad), Dialpad's 429 and 5xx come back as such without the call
//! being sent twice, and a token Dialpad no longer accepts marks the connection for a new
//! connect. The custom_data of a call started here comes back on the stream.

use serde_json::json;

use super::{crm_with_agent, instances, provisioned};
use crate::dialpad::call_event;
use crate::dialpad_oauth::with_dialpad;
use crate::fake_dialpad::{FakeDialpad, USER_ID};
use crate::helpers::{Backend, TestApp, assert_error, for_each_backend, json_of};

const NUMBER: &str = "+15105550100";

/// How many requests to `suffix` (initiate_call, screenpop) reached the fake.
fn reached(fake: &FakeDialpad, suffix: &str) -> usize {
    fake.api_seen().requests.iter().filter(|r| r.ends_with(suffix)).count()
}

for_each_backend!(click_to_call_reaches_the_mapped_user_and_the_sixth_in_a_minute_stays_here);

async fn click_to_call_reaches_the_mapped_user_and_the_sixth_in_a_minute_stays_here(backend: Backend) {
    let fake = FakeDialpad::start().await;
    let Some((a, b)) = instances(backend, &fake).await else { return };
    let (app_id, key, _) = provisioned(&a, "crm").await;
    a.map_user(&app_id, USER_ID, "agent-7").await;

    // Five calls, alternating instances where there are two.
    for n in 0..5 {
        let instance = if n % 2 == 1 { b.as_ref().unwrap_or(&a) } else { &a };
        let body = json!({ "app_user_id": "agent-7", "phone_number": NUMBER, "custom_data": format!("ticket-{n}") });
        let started = json_of(instance.act(&key, "/api/dialpad/calls", &body).await, 202).await;
        assert_eq!(started["dialpad_user_id"], USER_ID.to_string());
        assert!(started["dialpad"]["device"].is_object(), "Dialpad's answer: {started}");
    }
    let sixth = a.act(&key, "/api/dialpad/calls", &json!({ "dialpad_user_id": USER_ID, "phone_number": NUMBER })).await;
    let retry_after: u64 = sixth.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(sixth, 429, "Too many requests").await;

    let calls = fake.api_seen().calls;
    assert_eq!(calls.len(), 5, "the sixth never reached Dialpad");
    assert_eq!(reached(&fake, "/initiate_call"), 5);
    assert_eq!(fake.api_seen().throttled, 0, "Dialpad never had to refuse");
    for (n, (user, body)) in calls.iter().enumerate() {
        assert_eq!(user, &USER_ID.to_string());
        assert_eq!(body["phone_number"], NUMBER);
        assert_eq!(body["custom_data"], format!("ticket-{n}"));
    }

    // Screen pops have an allowance of their own.
    let pop = json!({ "dialpad_user_id": USER_ID.to_string(), "url": "https://crm.example.com/contacts/42" });
    let popped = json_of(a.act(&key, "/api/dialpad/screen-pop", &pop).await, 202).await;
    assert_eq!(popped["dialpad_user_id"], USER_ID.to_string());
    assert_eq!(fake.api_seen().pops, [(USER_ID.to_string(), "https://crm.example.com/contacts/42".to_owned())]);
}

for_each_backend!(the_company_budget_keeps_dialpad_from_throttling_whatever_the_instances);

/// Thirty pops at once for thirty agents (each within its own 5 a minute), split between
/// two instances on the real backend: the fake refuses a company's 21st request in any
/// second, and never has to.
async fn the_company_budget_keeps_dialpad_from_throttling_whatever_the_instances(backend: Backend) {
    let fake = FakeDialpad::start().await;
    let Some((a, b)) = instances(backend, &fake).await else { return };
    let (app_id, key, _) = provisioned(&a, "crm").await;
    for n in 1..=30 {
        a.map_user(&app_id, 1000 + n, &format!("agent-{n}")).await;
    }
    let before = fake.api_seen().requests.len();
    let pops = (1..=30).map(|n| {
        let instance = if n % 2 == 1 { b.as_ref().unwrap_or(&a) } else { &a };
        let body = json!({ "app_user_id": format!("agent-{n}"), "url": format!("https://crm.example.com/{n}") });
        let key = &key;
        async move { instance.act(key, "/api/dialpad/screen-pop", &body).await.status().as_u16() }
    });
    let statuses = futures_util::future::join_all(pops).await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    assert_eq!(fake.api_seen().requests.len() - before, 30);
    assert_eq!(fake.api_seen().throttled, 0, "Dialpad never had to refuse");
    assert_eq!(fake.api_seen().pops.len(), 30);
}

#[tokio::test]
async fn who_and_what_are_checked_before_dialpad_hears_of_it() {
    let fake = FakeDialpad::start().await;
    let (app, app_id, key) = crm_with_agent(&fake).await;
    app.map_user(&app_id, 111, "shared").await;
    app.map_user(&app_id, 222, "shared").await;
    let (app, key) = (&app, &key);
    let call = |body| async move { app.act(key, "/api/dialpad/calls", &body).await };

    let unmapped =
        assert_error(call(json!({ "app_user_id": "nobody", "phone_number": NUMBER })).await, 404, "Not found").await;
    assert!(unmapped["message"].as_str().unwrap().contains("user-mappings"), "{unmapped}");
    assert_error(call(json!({ "dialpad_user_id": 999, "phone_number": NUMBER })).await, 404, "Not found").await;
    let ambiguous =
        assert_error(call(json!({ "app_user_id": "shared", "phone_number": NUMBER })).await, 409, "Conflict").await;
    let message = ambiguous["message"].as_str().unwrap();
    assert!(message.contains("111") && message.contains("222") && message.contains("dialpad_user_id"), "{message}");
    for bad in [
        json!({ "app_user_id": "agent-7", "dialpad_user_id": USER_ID, "phone_number": NUMBER }),
        json!({ "phone_number": NUMBER }),
        json!({ "app_user_id": "agent-7", "phone_number": "5105550100" }),
        json!({ "app_user_id": "agent-7", "phone_number": "+0105550100" }),
        json!({ "app_user_id": "agent-7", "phone_number": "+1510555010012345" }),
        json!({ "app_user_id": "agent-7", "phone_number": NUMBER, "extra": 1 }),
        json!({ "app_user_id": "agent-7", "phone_number": NUMBER, "custom_data": "x".repeat(2049) }),
        json!({ "dialpad_user_id": -5, "phone_number": NUMBER }),
    ] {
        assert_error(call(bad).await, 400, "Bad request").await;
    }
    let pop = |url: &str| {
        let body = json!({ "app_user_id": "agent-7", "url": url });
        async move { app.act(key, "/api/dialpad/screen-pop", &body).await }
    };
    let userinfo = assert_error(pop("https://user:pw@crm.example.com/").await, 400, "Bad request").await;
    assert!(userinfo["message"].as_str().unwrap().contains("user name or password"), "{userinfo}");
    assert_error(pop("not a url").await, 400, "Bad request").await;
    assert_eq!(json_of(pop("crm://contacts/42").await, 202).await["dialpad_user_id"], USER_ID.to_string());

    assert_eq!(reached(&fake, "/initiate_call"), 0, "no refused request reached Dialpad");
    assert_eq!(reached(&fake, "/screenpop"), 1, "only the custom scheme one");
}

#[tokio::test]
async fn an_app_that_is_not_connected_is_told_so() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let (app_id, _, key) = app.tenant("crm").await;
    app.map_user(&app_id, USER_ID, "agent-7").await;
    let body = json!({ "app_user_id": "agent-7", "phone_number": NUMBER });
    let res = assert_error(app.act(&key, "/api/dialpad/calls", &body).await, 409, "Conflict").await;
    assert!(res["message"].as_str().unwrap().contains("not connected"), "{res}");

    let unconfigured = TestApp::spawn(Backend::Memory).await.unwrap();
    let (app_id, _, key) = unconfigured.tenant("crm").await;
    unconfigured.map_user(&app_id, USER_ID, "agent-7").await;
    let res = unconfigured.act(&key, "/api/dialpad/calls", &body).await;
    let res = assert_error(res, 503, "Service unavailable").await;
    assert!(res["message"].as_str().unwrap().contains("CLIENT_ID"), "{res}");
}

#[tokio::test]
async fn dialpad_429_and_5xx_come_back_as_such_and_a_call_is_never_sent_twice() {
    let fake = FakeDialpad::start().await;
    let (app, _, key) = crm_with_agent(&fake).await;
    let body = json!({ "app_user_id": "agent-7", "phone_number": NUMBER });

    fake.set(|b| b.api_failure = Some((429, Some(7))));
    let limited = app.act(&key, "/api/dialpad/calls", &body).await;
    assert_eq!(limited.headers()["retry-after"], "7", "Dialpad's Retry-After is passed on");
    assert_error(limited, 429, "Too many requests").await;

    fake.set(|b| b.api_failure = Some((503, None)));
    let down = assert_error(app.act(&key, "/api/dialpad/calls", &body).await, 503, "Service unavailable").await;
    assert!(down["message"].as_str().unwrap().contains("Dialpad"), "{down}");
    assert_eq!(reached(&fake, "/initiate_call"), 2, "a call Dialpad may have started is not sent again");

    fake.set(|b| b.api_failure = None);
    json_of(app.act(&key, "/api/dialpad/calls", &body).await, 202).await;
    assert_eq!(fake.api_seen().calls.len(), 1);
    assert_eq!(app.metric("dialpad_api_requests_total{operation=\"initiate_call\",outcome=\"ok\"}").await, 1.0);
    assert_eq!(
        app.metric("dialpad_api_requests_total{operation=\"initiate_call\",outcome=\"rate_limited\"}").await,
        1.0
    );
}

#[tokio::test]
async fn a_token_dialpad_no_longer_accepts_asks_for_a_new_connect() {
    let fake = FakeDialpad::start().await;
    let (app, app_id, key) = crm_with_agent(&fake).await;
    fake.revoke_all();

    let body = json!({ "app_user_id": "agent-7", "phone_number": NUMBER });
    let res = assert_error(app.act(&key, "/api/dialpad/calls", &body).await, 409, "Conflict").await;
    assert!(res["message"].as_str().unwrap().contains("connect"), "{res}");
    assert_eq!(app.connection(&app_id, 200).await["status"], "reauth_required");
    let again = assert_error(app.act(&key, "/api/dialpad/calls", &body).await, 409, "Conflict").await;
    assert!(again["message"].as_str().unwrap().contains("connected again"), "{again}");
    assert_eq!(reached(&fake, "/initiate_call"), 1, "once marked, Dialpad is not asked again");
}

#[tokio::test]
async fn the_custom_data_of_a_call_started_here_comes_back_on_the_stream() {
    let fake = FakeDialpad::start().await;
    let (app, _, key) = crm_with_agent(&fake).await;
    let mut stream = app.ws(&format!("api_key={key}")).await;
    assert_eq!(stream.next_json().await["type"], "hello");

    let body = json!({ "app_user_id": "agent-7", "phone_number": NUMBER, "custom_data": "crm-ticket-42" });
    json_of(app.act(&key, "/api/dialpad/calls", &body).await, 202).await;
    // Dialpad echoes custom_data in the events of the call it started.
    let (_, asked) = fake.api_seen().calls.remove(0);
    let mut event = call_event(9001, "calling", 1);
    event["direction"] = json!("outbound");
    event["custom_data"] = asked["custom_data"].clone();
    assert_eq!(fake.deliver(&event, &app.address).await, [200]);

    let message = stream.next_json().await;
    assert_eq!(message["type"], "call.calling", "{message}");
    assert_eq!(message["custom_data"], "crm-ticket-42");
    assert_eq!(message["data"]["custom_data"], "crm-ticket-42");
}
