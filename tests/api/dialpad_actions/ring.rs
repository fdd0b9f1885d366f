//! Screen pop on ringing, end to end: Dialpad (the fake) sends an inbound `ringing` for a
//! mapped agent to the hook it was given; the event is stored and streamed, and the app's
//! page pops on the agent's Dialpad exactly once, however many instances get the event's
//! retries and however many ringing events the call has. A failed pop is counted, not retried.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::{crm_with_agent, instances, provisioned};
use crate::dialpad::call_event;
use crate::dialpad_oauth::refresh::until;
use crate::dialpad_oauth::with_dialpad;
use crate::fake_dialpad::{FakeDialpad, USER_ID};
use crate::helpers::{Backend, TestApp, for_each_backend, json_of};

const TEMPLATE: &str = "https://crm.example.com/lookup?phone={external_number}&call={call_id}&agent={app_user_id}";

impl TestApp {
    async fn set_template(&self, app_id: &str, template: &str) {
        let res = self
            .internal(Method::PATCH, &format!("/internal/apps/{app_id}"))
            .json(&json!({ "screen_pop_url": template }))
            .send()
            .await
            .unwrap();
        assert_eq!(json_of(res, 200).await["screen_pop_url"], template);
    }

    /// dialpad_ring_screen_pops_total for `outcome` on this instance.
    async fn ring_pops(&self, outcome: &str) -> f64 {
        self.metric(&format!("dialpad_ring_screen_pops_total{{outcome=\"{outcome}\"}}")).await
    }
}

for_each_backend!(a_ringing_call_pops_the_apps_page_once_whichever_instances_get_the_retries);

async fn a_ringing_call_pops_the_apps_page_once_whichever_instances_get_the_retries(backend: Backend) {
    let fake = FakeDialpad::start().await;
    let Some((a, b)) = instances(backend, &fake).await else { return };
    let b = b.as_ref().unwrap_or(&a);
    let (app_id, key, _) = provisioned(&a, "crm").await;
    a.map_user(&app_id, USER_ID, "agent 7").await;
    a.set_template(&app_id, TEMPLATE).await;
    let mut stream = b.ws(&format!("api_key={key}")).await;
    assert_eq!(stream.next_json().await["type"], "hello");

    // Dialpad retries one delivery on both instances at once, then the call rings again
    // (a second ringing event of the same call, say on another device).
    let ringing = call_event(4242, "ringing", 1_700_000_000_000);
    let (on_a, on_b) = tokio::join!(fake.deliver(&ringing, &a.address), fake.deliver(&ringing, &b.address));
    assert_eq!((on_a, on_b), (vec![200], vec![200]));
    assert_eq!(fake.deliver(&call_event(4242, "ringing", 1_700_000_000_500), &a.address).await, [200]);

    let message = stream.next_json().await;
    assert_eq!((message["type"].as_str(), message["call_id"].as_i64()), (Some("call.ringing"), Some(4242)));

    // Two ringing events stored: one popped, one skipped, on whichever instances stored them.
    until(Duration::from_secs(10), "both ringing events are handled", async || {
        let mut handled = a.ring_pops("popped").await + a.ring_pops("skipped").await;
        if !std::ptr::eq(b, &a) {
            handled += b.ring_pops("popped").await + b.ring_pops("skipped").await;
        }
        handled >= 2.0
    })
    .await;
    let expected = "https://crm.example.com/lookup?phone=%2B15105550100&call=4242&agent=agent+7";
    assert_eq!(fake.api_seen().pops, [(USER_ID.to_string(), expected.to_owned())], "exactly one pop, filled in");
}

#[tokio::test]
async fn a_failed_pop_is_counted_and_never_retried() {
    let fake = FakeDialpad::start().await;
    let (app, app_id, _key) = crm_with_agent(&fake).await;
    app.set_template(&app_id, TEMPLATE).await;
    fake.set(|b| b.api_failure = Some((503, None)));

    assert_eq!(fake.deliver(&call_event(77, "ringing", 1), &app.address).await, [200], "the event is stored anyway");
    until(Duration::from_secs(10), "the pop fails", async || app.ring_pops("failed").await >= 1.0).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let tries = fake.api_seen().requests.iter().filter(|r| r.ends_with("/screenpop")).count();
    assert_eq!(tries, 1, "one try, no retry");
    assert_eq!(app.ring_pops("popped").await, 0.0);
}

#[tokio::test]
async fn calls_that_are_not_inbound_rings_for_a_mapped_agent_pop_nothing() {
    let fake = FakeDialpad::start().await;
    let app = TestApp::spawn_tuned(Backend::Memory, with_dialpad(&fake)).await.unwrap();
    let (app_id, _key, _) = provisioned(&app, "crm").await;
    app.set_template(&app_id, TEMPLATE).await;

    // The agent is not mapped: skipped.
    assert_eq!(fake.deliver(&call_event(91, "ringing", 1), &app.address).await, [200]);
    until(Duration::from_secs(10), "the ring is handled", async || app.ring_pops("skipped").await >= 1.0).await;
    // Mapped, but outbound: not a ring to pop for.
    app.map_user(&app_id, USER_ID, "agent-7").await;
    let mut outbound = call_event(92, "ringing", 1);
    outbound["direction"] = json!("outbound");
    assert_eq!(fake.deliver(&outbound, &app.address).await, [200]);
    // Then an inbound one, which pops: everything before it was looked at by then.
    assert_eq!(fake.deliver(&call_event(93, "ringing", 1), &app.address).await, [200]);
    until(Duration::from_secs(10), "the inbound ring pops", async || app.ring_pops("popped").await >= 1.0).await;
    let pops = fake.api_seen().pops;
    assert_eq!(pops.len(), 1, "{pops:?}");
    assert!(pops[0].1.contains("call=93"), "{pops:?}");
}
