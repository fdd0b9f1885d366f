//! An app's Dialpad account connection (OAuth 2.0 authorization code with PKCE), as the
//! domain sees it: the stored connection and the rules that move it between states
//! ([`connection`]), and the short-lived pieces of the browser flow: connect tickets, the
//! OAuth session with its `state` and PKCE verifier, and the cookie that names it
//! ([`flow`]), and what an app asks Dialpad to do through the connection ([`actions`]).

pub mod actions;
pub mod connection;
pub mod flow;

pub use actions::{E164, PopValues, ScreenPopTemplate, ScreenPopUrl};
pub use connection::{Connection, ConnectionStatus, DialpadIdentity, Provisioning, SealedToken, TokenPurpose};
pub use flow::{ConnectTicket, OAuthSession, SessionCookie, SessionId};
