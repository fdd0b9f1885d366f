//! Live streams: GET /ws (the WebSocket) and POST /api/ws-ticket (a one-time ticket, so a
//! browser connects without holding the API key).

mod ticket;
mod websocket;

pub use ticket::issue_ticket;
pub use websocket::connect;
