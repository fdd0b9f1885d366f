//! One-time bearer tokens: a kind prefix (`wst_`, `dct_`...) and 43 base64url characters (32
//! random bytes). They are handed out once (a WebSocket ticket for a browser, a Dialpad connect
//! link for an admin) and spent once; only their SHA-256 is stored, so the store never holds
//! a usable token. Each kind is its own type, so one kind is never accepted as another.

use std::fmt;
use std::marker::PhantomData;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::CryptoRng;
use sha2::{Digest, Sha256};

const SECRET_LEN: usize = 43;

/// What distinguishes one kind of token from another.
pub trait TokenKind {
    /// The visible prefix, ending in `_`.
    const PREFIX: &'static str;
}

/// A one-time WebSocket ticket (GET /ws?ticket=...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTicket;

impl TokenKind for StreamTicket {
    const PREFIX: &'static str = "wst_";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid token")]
pub struct TokenError;

/// A token as handed to its holder. Its `Debug` never shows the secret.
pub struct OneTimeToken<K> {
    raw: String,
    kind: PhantomData<K>,
}

impl<K: TokenKind> OneTimeToken<K> {
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Self { raw: format!("{}{}", K::PREFIX, URL_SAFE_NO_PAD.encode(bytes)), kind: PhantomData }
    }

    /// Checks the shape only (no I/O for garbage).
    pub fn parse(raw: &str) -> Result<Self, TokenError> {
        let secret = raw.strip_prefix(K::PREFIX).ok_or(TokenError)?;
        let shaped =
            secret.len() == SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if shaped { Ok(Self { raw: raw.to_owned(), kind: PhantomData }) } else { Err(TokenError) }
    }

    /// The full token, to give to its holder once.
    pub fn reveal(&self) -> &str {
        &self.raw
    }

    /// What the store keeps the token under: hex SHA-256.
    pub fn storage_key(&self) -> String {
        hex::encode(Sha256::digest(self.raw.as_bytes()))
    }
}

impl<K> Clone for OneTimeToken<K> {
    fn clone(&self) -> Self {
        Self { raw: self.raw.clone(), kind: PhantomData }
    }
}

impl<K> PartialEq for OneTimeToken<K> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl<K> Eq for OneTimeToken<K> {}

impl<K: TokenKind> fmt::Debug for OneTimeToken<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OneTimeToken({}…)", K::PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Ticket = OneTimeToken<StreamTicket>;

    struct Other;
    impl TokenKind for Other {
        const PREFIX: &'static str = "oth_";
    }

    #[test]
    fn generated_tokens_parse_and_differ() {
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
    fn malformed_tokens_are_refused() {
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
            assert_eq!(Ticket::parse(bad), Err(TokenError), "{bad:?}");
        }
    }

    #[test]
    fn one_kind_is_never_another() {
        let ticket = Ticket::generate(&mut rand::rng());
        assert!(OneTimeToken::<Other>::parse(ticket.reveal()).is_err());
        let other = OneTimeToken::<Other>::generate(&mut rand::rng());
        assert!(Ticket::parse(other.reveal()).is_err());
    }

    #[test]
    fn debug_hides_the_token() {
        let ticket = Ticket::generate(&mut rand::rng());
        assert!(!format!("{ticket:?}").contains(&ticket.reveal()[4..]));
    }
}
