//! One-time WebSocket tickets: `wst_` and 43 base64url characters (32 random bytes). A
//! browser gets one through its own backend (which holds the API key) and spends it on
//! GET /ws?ticket=...; only its SHA-256 is stored, so the store never holds a usable ticket.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::CryptoRng;
use sha2::{Digest, Sha256};

const PREFIX: &str = "wst_";
const SECRET_LEN: usize = 43;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a ticket")]
pub struct TicketError;

/// A ticket as handed to the client. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Ticket(String);

impl Ticket {
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Self(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Checks the shape only (no I/O for garbage).
    pub fn parse(raw: &str) -> Result<Self, TicketError> {
        let secret = raw.strip_prefix(PREFIX).ok_or(TicketError)?;
        let shaped =
            secret.len() == SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if shaped { Ok(Self(raw.to_owned())) } else { Err(TicketError) }
    }

    /// The full ticket, to give to the client once.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// What the store keeps the ticket under: hex SHA-256.
    pub fn storage_key(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ticket(wst_…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tickets_parse_and_differ() {
        let mut rng = rand::rng();
        let a = Ticket::generate(&mut rng);
        let b = Ticket::generate(&mut rng);
        assert_ne!(a, b);
        assert_eq!(Ticket::parse(a.reveal()), Ok(a.clone()));
        assert_eq!(a.reveal().len(), 4 + 43);
        assert_ne!(a.storage_key(), b.storage_key());
        assert_eq!(a.storage_key().len(), 64);
    }

    #[test]
    fn malformed_tickets_are_refused() {
        let good = Ticket::generate(&mut rand::rng());
        let secret = &good.reveal()[4..];
        for bad in [
            "",
            "wst_",
            "wsx_abc",
            &format!("wst_{}", &secret[1..]),
            &format!("wst_{secret}x"),
            &format!("wst_{}!", &secret[1..]),
        ] {
            assert_eq!(Ticket::parse(bad), Err(TicketError), "{bad:?}");
        }
    }

    #[test]
    fn debug_hides_the_ticket() {
        let ticket = Ticket::generate(&mut rand::rng());
        assert!(!format!("{ticket:?}").contains(&ticket.reveal()[4..]));
    }
}
