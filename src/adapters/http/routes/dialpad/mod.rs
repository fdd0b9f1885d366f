//! The Dialpad connection routes: connect links (admin and app), the browser flow
//! (/auth/dialpad/connect, /auth/dialpad/callback), the connection's status, disconnect,
//! provisioning, and what an app asks Dialpad to do (click-to-call, screen pop).

mod agent;
mod callback;
mod calls;
mod connect;
mod connection;
mod disconnect;
mod error;
mod link;
mod provision;
mod screen_pop;

pub use callback::dialpad_callback;
pub use calls::start_call;
pub use connect::start_dialpad_connect;
pub use connection::dialpad_connection;
pub use disconnect::disconnect_dialpad;
pub use link::{create_app_connect_link, create_connect_link};
pub use provision::provision_dialpad;
pub use screen_pop::pop_screen;

/// The cookie naming a browser's OAuth session (HttpOnly, SameSite=Lax, on /auth/dialpad).
pub const SESSION_COOKIE: &str = "cti_dialpad_session";
/// Where the cookie is sent back.
const COOKIE_PATH: &str = "/auth/dialpad";
