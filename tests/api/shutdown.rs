//! Graceful shutdown: the listener closes the moment the drain starts (new connections are
//! refused at once instead of hanging until they are reset), a request in flight still gets
//! its answer, and readiness says the instance is draining.
//!
//! The tests wait for what the server does, never for a while: the server exposes no count
//! of requests in flight, so a partly sent request is known to be the server's once a
//! connection opened after it was served, and the drain is known to have started once the
//! listener refuses connections.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use crate::helpers::{Backend, INTERNAL_SECRET, TestApp};

/// How long a test waits for the server to do what it must.
const PATIENCE: Duration = Duration::from_secs(10);

/// Returns once the server has accepted every connection opened before this call. It accepts
/// them one at a time, in the order the kernel queued them, so an answer on a connection
/// opened now proves the earlier ones were accepted first; an accepted connection's first
/// request is in flight for the drain, which waits for it.
async fn earlier_connections_accepted(port: u16) {
    let mut probe = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    probe.write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    timeout(PATIENCE, probe.read_to_string(&mut answer)).await.expect("an answer in time").unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Returns once a new connection is refused: the drain has started (the server marks itself
/// draining, stops accepting, then closes the listening socket). Until then each attempt is
/// completed by the kernel and dropped at once.
async fn drain_started(port: u16) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let attempt = timeout(Duration::from_secs(1), TcpStream::connect(("127.0.0.1", port))).await;
        match attempt {
            Ok(Err(_)) => return,
            Ok(Ok(_still_listening)) => {}
            Err(_) => panic!("a connection attempt hung instead of being refused"),
        }
        assert!(Instant::now() < deadline, "the listener was never closed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

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
    earlier_connections_accepted(port).await;

    let stopping = tokio::spawn(app.stop());
    drain_started(port).await;
    assert!(!stopping.is_finished(), "the server waits for the in-flight request");
    let refused = timeout(Duration::from_secs(1), TcpStream::connect(("127.0.0.1", port))).await;
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
    earlier_connections_accepted(port).await;
    let stopping = tokio::spawn(app.stop());
    drain_started(port).await;
    stream.write_all(b"\r\n").await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(response.contains("\"status\":\"draining\""), "{response}");
    stopping.await.unwrap().expect("server stops cleanly");
}
