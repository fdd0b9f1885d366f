//! The app API's reads: filters, pagination, and tenant isolation on every /api route.

use reqwest::Method;
use serde_json::json;

use crate::dialpad::{call_event, jws};
use crate::helpers::{Backend, TestApp, assert_error, for_each_backend};

for_each_backend!(another_apps_data_is_never_visible, calls_are_filtered_and_paged_newest_first);

async fn another_apps_data_is_never_visible(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (a, a_secret, a_key) = app.tenant("A").await;
    let (_, _, b_key) = app.tenant("B").await;
    let mut voicemail = call_event(1, "voicemail", 2);
    voicemail["voicemail_link"] = json!("https://dp/vm/1");
    for event in [call_event(1, "ringing", 1), voicemail] {
        assert_eq!(app.post_webhook(&a, jws(&event, &a_secret)).await.status(), 200);
    }
    let vm_id = app.api(&a_key, "/api/voicemails", 200).await["voicemails"][0]["id"].as_str().unwrap().to_owned();

    assert_eq!(app.api(&b_key, "/api/calls", 200).await["calls"], json!([]));
    assert_eq!(app.api(&b_key, "/api/voicemails", 200).await["voicemails"], json!([]));
    for path in ["/api/calls/1".to_owned(), format!("/api/voicemails/{vm_id}")] {
        let res = app.request(Method::GET, &path).header("x-app-api-key", &b_key).send().await.unwrap();
        assert_error(res, 404, "Not found").await;
        app.api(&a_key, &path, 200).await;
    }
    for path in ["/api/calls", "/api/calls/1", "/api/voicemails", "/api/me"] {
        let res = app.request(Method::GET, path).send().await.unwrap();
        assert_error(res, 401, "Missing API key").await;
    }
}

async fn calls_are_filtered_and_paged_newest_first(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, secret, key) = app.tenant("Filters").await;
    let mapping = json!({"dialpad_user_id": 777, "app_user_id": "agent-7"});
    app.internal(Method::POST, &format!("/internal/apps/{id}/user-mappings")).json(&mapping).send().await.unwrap();
    // Five calls started a minute apart; call 3 is outbound, call 4 is agent 777's, call 5 hung up.
    for n in 1..=5i64 {
        let mut event = call_event(n, if n == 5 { "hangup" } else { "connected" }, 1_731_624_000_000 + n * 60_000);
        event["date_started"] = json!(1_731_624_000_000i64 + n * 60_000);
        if n == 3 {
            event["direction"] = json!("outbound");
        }
        if n == 4 {
            event["target"]["id"] = json!(777);
        }
        assert_eq!(app.post_webhook(&id, jws(&event, &secret)).await.status(), 200);
    }
    let ids = |body: serde_json::Value| {
        body["calls"].as_array().unwrap().iter().map(|c| c["call_id"].as_i64().unwrap()).collect::<Vec<_>>()
    };

    let cases = [
        ("/api/calls", vec![5, 4, 3, 2, 1]),
        ("/api/calls?state=hangup", vec![5]),
        ("/api/calls?direction=outbound", vec![3]),
        ("/api/calls?user=agent-7", vec![4]),
        ("/api/calls?user=nobody", vec![]),
        ("/api/calls?since=2024-11-14T22:43:00Z", vec![5, 4, 3]),
        ("/api/calls?since=1731624120000&until=1731624240000", vec![3, 2]),
    ];
    for (path, want) in cases {
        assert_eq!(ids(app.api(&key, path, 200).await), want, "{path}");
    }

    let mut seen = Vec::new();
    let mut path = "/api/calls?limit=2".to_owned();
    loop {
        let page = app.api(&key, &path, 200).await;
        seen.extend(ids(page.clone()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/calls?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, [5, 4, 3, 2, 1]);

    for bad in ["limit=201", "limit=0", "direction=sideways", "since=yesterday", "cursor=nope"] {
        let res =
            app.request(Method::GET, &format!("/api/calls?{bad}")).header("x-app-api-key", &key).send().await.unwrap();
        assert_error(res, 400, "Bad request").await;
    }
    let res = app.request(Method::GET, "/api/calls/abc").header("x-app-api-key", &key).send().await.unwrap();
    assert_error(res, 400, "Bad request").await;
    let res = app.request(Method::GET, "/api/voicemails/abc").header("x-app-api-key", &key).send().await.unwrap();
    assert_error(res, 400, "Bad request").await;
}
