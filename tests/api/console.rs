//! The live console: served outside production (or when CONSOLE_ENABLED says so), three
//! embedded files, the stream client being the very file apps use, under a strict CSP.

use reqwest::Method;

use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn the_console_page_its_script_and_the_stream_client_are_served() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let page = app.request(Method::GET, "/console").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("live console") && html.contains("/console/console.js"), "{html}");

    let script = app.request(Method::GET, "/console/console.js").send().await.unwrap();
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(script.text().await.unwrap().contains("from '/console/cti-stream.js'"));
    let client = app.request(Method::GET, "/console/cti-stream.js").send().await.unwrap().text().await.unwrap();
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/clients/js/cti-stream.js")).unwrap();
    assert_eq!(client, shipped, "the console uses the client apps use");
}

#[tokio::test]
async fn the_console_is_off_when_disabled() {
    let app = TestApp::spawn_tuned(Backend::Memory, |s| s.console_enabled = Some("false".into())).await.unwrap();
    let res = app.request(Method::GET, "/console").send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app.request(Method::GET, "/console/cti-stream.js").send().await.unwrap();
    assert_eq!(res.status(), 404);
}
