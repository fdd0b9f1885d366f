//! The live event stream's vocabulary: what a front end receives, what it may filter on,
//! where a resumed stream starts, the one-time tickets that let a browser connect without
//! ever holding an API key, and when a stream's credentials stop standing.

mod filter;
mod resume;
mod standing;

pub use filter::{EventType, StreamFilter, TypesError};
pub use resume::{Resume, resume};
pub use standing::{Ending, Standing};

/// A one-time WebSocket ticket: `wst_` and 43 base64url characters.
pub type Ticket = crate::domain::token::OneTimeToken<crate::domain::token::StreamTicket>;
