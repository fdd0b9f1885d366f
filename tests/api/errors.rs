//! Every error is JSON in the old server's shape, and every response has a request id.

use reqwest::Method;

use crate::helpers::{Backend, TestApp, assert_error};

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let res = app.request(Method::GET, "/definitely/not/here").send().await.unwrap();
    assert_error(res, 404, "Not found").await;

    let res = app.request(Method::DELETE, "/health").send().await.unwrap();
    assert!(res.headers().get("allow").is_some_and(|v| v.to_str().unwrap().contains("GET")));
    assert_error(res, 405, "Method not allowed").await;
}

#[tokio::test]
async fn an_oversized_body_is_413_json() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let name = "x".repeat(70 * 1024);
    let res = app.internal(Method::POST, "/internal/apps").json(&serde_json::json!({ "name": name })).send().await;
    assert_error(res.unwrap(), 413, "Payload too large").await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_plain_incoming_one_is_kept() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let res = app.request(Method::GET, "/health").send().await.unwrap();
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");

    let res = app.request(Method::GET, "/nope").header("x-request-id", "lb-1234.abc").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "lb-1234.abc");

    let res = app.request(Method::GET, "/health").header("x-request-id", "bad id\twith tabs").send().await.unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id\twith tabs");
}
