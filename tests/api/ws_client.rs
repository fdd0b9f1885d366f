//! A WebSocket client for the stream tests (tokio-tungstenite), with helpers that wait for
//! the next JSON message or the close frame, bounded so a broken server fails the test
//! instead of hanging it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::TestApp;

/// How long a test waits for something the server should send.
const PATIENCE: Duration = Duration::from_secs(10);

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a connection ended, seen from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    Closed(u16),
    /// The socket was dropped without a close frame.
    Dropped,
}

impl TestApp {
    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://127.0.0.1:{}/ws?{query}", self.port)
    }

    /// Connects to /ws with `query`; panics if refused.
    pub async fn ws(&self, query: &str) -> WsClient {
        self.ws_with(query, &[]).await.unwrap_or_else(|(status, body)| panic!("refused {status}: {body}"))
    }

    /// Connects with extra headers; a refusal gives its status and JSON body.
    pub async fn ws_with(&self, query: &str, headers: &[(&str, &str)]) -> Result<WsClient, (u16, Value)> {
        let mut request = self.ws_url(query).into_client_request().unwrap();
        for (name, value) in headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap();
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(WsClient { socket }),
            Err(Error::Http(response)) => {
                let body = response.body().as_deref().unwrap_or_default();
                Err((response.status().as_u16(), serde_json::from_slice(body).unwrap_or(Value::Null)))
            }
            Err(err) => panic!("websocket connect failed: {err}"),
        }
    }
}

impl WsClient {
    /// The next text message as JSON (pings are answered, not returned).
    pub async fn next_json(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("a message within the patience")
                .expect("the stream is open")
                .expect("a valid message");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).expect("JSON text"),
                Message::Close(frame) => panic!("closed while a message was expected: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The next `n` event messages' sequence numbers.
    pub async fn next_seqs(&mut self, n: usize) -> Vec<i64> {
        let mut seqs = Vec::with_capacity(n);
        for _ in 0..n {
            let message = self.next_json().await;
            seqs.push(message["seq"].as_i64().unwrap_or_else(|| panic!("not an event: {message}")));
        }
        seqs
    }

    /// Whether no text message arrives within `wait` (the connection staying open).
    pub async fn stays_quiet(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return true,
                Ok(Some(Ok(Message::Text(text)))) => {
                    eprintln!("unexpected message: {text}");
                    return false;
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return false,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Reads (and drops) messages until the connection ends; how it ended.
    pub async fn ended(&mut self) -> Ended {
        loop {
            let next = tokio::time::timeout(PATIENCE, self.socket.next()).await.expect("the connection ends in time");
            match next {
                Some(Ok(Message::Close(Some(frame)))) => return Ended::Closed(frame.code.into()),
                Some(Ok(Message::Close(None))) => return Ended::Closed(1005),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Ended::Dropped,
            }
        }
    }

    /// Closes from the client side.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
        let _ = self.socket.flush().await;
    }
}
