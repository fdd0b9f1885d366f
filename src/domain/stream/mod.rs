//! The live event stream's vocabulary: what a front end receives, what it may filter on,
//! where a resumed stream starts, and the one-time tickets that let a browser connect
//! without ever holding an API key.

mod filter;
mod resume;
mod ticket;

pub use filter::{EventType, StreamFilter, TypesError};
pub use resume::{Resume, resume};
pub use ticket::{Ticket, TicketError};
