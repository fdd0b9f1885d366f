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

    /// The next text message, which must be the event of call `call_id`: a sentinel the test
    /// posted after everything it expected. An app's stream sends its messages in order, so
    /// anything else on its way (a duplicate, an event it must not get, a close) would have
    /// come first: receiving the sentinel next proves nothing arrived in between.
    pub async fn next_is_sentinel(&mut self, call_id: i64) -> Value {
        let message = self.next_json().await;
        assert_eq!(message["call_id"], call_id, "the next message is not the sentinel: {message}");
        message
    }

    /// Reads while `until` runs, answering the server's pings (a client that does not read
    /// does not answer them); no text message or close may arrive meanwhile. `until`'s output.
    pub async fn answer_pings_until<T>(&mut self, until: impl Future<Output = T>) -> T {
        tokio::pin!(until);
        loop {
            tokio::select! {
                out = &mut until => return out,
                message = self.socket.next() => match message {
                    Some(Ok(Message::Text(text))) => panic!("unexpected message: {text}"),
                    Some(Ok(Message::Close(frame))) => panic!("closed while answering pings: {frame:?}"),
                    Some(Err(err)) => panic!("the connection broke while answering pings: {err}"),
                    None => panic!("the connection ended while answering pings"),
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    /// Closes from the client side, then returns the text messages that still arrive before
    /// the connection ends. A stream sends its hello and its whole replay before it reads
    /// anything from the client, so after the hello these are exactly the replayed events.
    pub async fn close_and_collect(mut self) -> Vec<Value> {
        self.socket.close(None).await.expect("the close is sent");
        let mut texts = Vec::new();
        loop {
            let next = tokio::time::timeout(PATIENCE, self.socket.next()).await.expect("the connection ends in time");
            match next {
                Some(Ok(Message::Text(text))) => texts.push(serde_json::from_str(&text).expect("JSON text")),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return texts,
                Some(Ok(_)) => {}
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
