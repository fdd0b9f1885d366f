//! Graceful shutdown: a request in flight when shutdown starts still gets its answer, and
//! then the listener is closed.

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

    stream.write_all(&body[5..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    stopping.await.unwrap().expect("server stops cleanly");
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err(), "the listener is closed after shutdown");
}
