//! Graceful shutdown: the listener closes the moment the drain starts (new connections are
//! refused at once instead of hanging until they are reset), a request in flight still gets
//! its answer, and readiness says the instance is draining.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, INTERNAL_SECRET, TestApp};

#[tokio::test]
async fn an_in_flight_request_completes_during_shutdown() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let port = app.port;
    let body = br#"{"name": "created while stopping"}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /internal/apps HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {INTERNAL_SECRET}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!stopping.is_finished(), "the server waits for the in-flight request");
    let refused = tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(("127.0.0.1", port))).await;
    assert!(matches!(refused, Ok(Err(_))), "a new connection is refused at once while draining: {refused:?}");

    stream.write_all(&body[5..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    stopping.await.unwrap().expect("server stops cleanly");
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err(), "the listener is closed after shutdown");
}

#[tokio::test]
async fn readiness_answers_503_from_the_moment_the_drain_starts() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let port = app.port;
    // A readiness probe whose request head is not complete when the drain starts.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(b"GET /health/ready HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(b"\r\n").await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(response.contains("\"status\":\"draining\""), "{response}");
    stopping.await.unwrap().expect("server stops cleanly");
}
