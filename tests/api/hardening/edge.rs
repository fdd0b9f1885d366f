//! The HTTP edge: what is refused before a handler runs is still a JSON error, a body too
//! large by its Content-Length is refused before any `100 Continue`, slow clients are timed
//! out, and ambiguous or out-of-range parameters are 400.

use std::time::Duration;

use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp, assert_error};

/// Writes `request` on a fresh connection and reads what comes back within `patience`.
async fn raw(app: &TestApp, request: &[u8], patience: Duration) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(patience, stream.read(&mut answer)).await.expect("an answer in time").unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[tokio::test]
async fn oversized_uris_and_header_sets_are_json_errors() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let long = format!("/health?x={}", "a".repeat(9 * 1024));
    assert_error(app.request(Method::GET, &long).send().await.unwrap(), 414, "URI too long").await;
    let mut request = app.request(Method::GET, "/health");
    for i in 0..150 {
        request = request.header(format!("x-extra-{i}"), "1");
    }
    assert_error(request.send().await.unwrap(), 431, "Request header fields too large").await;
}

#[tokio::test]
async fn a_declared_oversized_body_is_refused_before_100_continue() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let app_id = app.create_app("big").await;
    let request = format!(
        "POST /webhooks/dialpad/{app_id} HTTP/1.1\r\nhost: x\r\ncontent-length: 2000000\r\nexpect: 100-continue\r\n\r\n"
    );
    let answer = raw(&app, request.as_bytes(), Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("Payload too large"), "{answer}");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the slow connection is still open after 20 s");
}

#[tokio::test]
async fn ambiguous_and_out_of_range_parameters_are_400() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let (_, _, key) = app.tenant("params").await;
    for path in ["/api/calls?limit=50&limit=500", "/api/calls?cursor=a&cursor=b", "/api/voicemails?since=1&since=2"] {
        let res = app.request(Method::GET, path).header("x-app-api-key", &key).send().await.unwrap();
        let body = assert_error(res, 400, "Bad request").await;
        assert!(body["message"].as_str().unwrap().contains("more than once"), "{path}: {body}");
    }
    let res = app.internal(Method::GET, "/internal/apps?limit=1&limit=2").send().await.unwrap();
    assert_error(res, 400, "Bad request").await;
    let refused = app.ws_with(&format!("api_key={key}&since=-1"), &[]).await.err().expect("refused");
    assert_eq!(refused.0, 400, "{refused:?}");
    assert!(refused.1["message"].as_str().unwrap().contains("since"), "{refused:?}");
}
