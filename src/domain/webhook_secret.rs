//! Per-app webhook secrets: the shared secret Dialpad signs an app's webhooks with. Several
//! may be valid at once: a rotation keeps the previous one until an expiry the admin
//! chooses, so no event is lost while Dialpad's subscription is updated.

use chrono::{DateTime, Utc};
use rand::Rng;
use uuid::Uuid;

use super::api_key::random_base62;
use super::app::AppId;
use super::crypto::NONCE_LEN;

const SECRET_LEN: usize = 43;

/// A new random secret: 43 base62 characters (256 bits), plain enough for any client.
pub fn generate_secret(rng: &mut impl Rng) -> String {
    random_base62(rng, SECRET_LEN)
}

/// What may be shown of a secret: its first 4 and last 4 characters.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 8 {
        return "...".to_owned();
    }
    format!("{}...{}", chars[..4].iter().collect::<String>(), chars[chars.len() - 4..].iter().collect::<String>())
}

/// A secret as stored: encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub id: Uuid,
    pub app_id: AppId,
    pub nonce: [u8; NONCE_LEN],
    pub ciphertext: Vec<u8>,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    /// `None` while it is the current secret; set when a rotation retires it.
    pub expires_at: Option<DateTime<Utc>>,
}

impl SealedSecret {
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|end| now < end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_base62_and_hints_show_their_ends() {
        let a = generate_secret(&mut rand::rng());
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, generate_secret(&mut rand::rng()));
        assert_eq!(hint("abcdEFGHijklmnop"), "abcd...mnop");
        assert_eq!(hint("short"), "...");
    }
}
