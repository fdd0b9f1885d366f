//! Webhooks: Dialpad's two receiving routes, per-app webhook secrets, unrouted events.

mod receive;
mod secret;
mod unrouted;

pub use receive::{receive_for_app, receive_legacy};
pub use secret::{issue_webhook_secret, list_webhook_secrets};
pub use unrouted::list_unrouted;
