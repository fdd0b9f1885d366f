//! Secrets at rest: AES-256-GCM with the deployment's TOKEN_ENCRYPTION_KEY. Webhook secrets
//! must be usable for HMAC, so they are encrypted, not hashed. The additional data binds a
//! ciphertext to its owner (the app), so a row copied to another app does not decrypt.
//! Pure: the caller supplies the random nonce.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};

/// Length of an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;

/// The key that seals and opens secrets at rest.
#[derive(Clone)]
pub struct SealingKey(Aes256Gcm);

/// A ciphertext that does not open with this key and additional data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decrypt: wrong key, wrong owner or corrupted data")]
pub struct OpenError;

impl SealingKey {
    pub fn new(key: &[u8; 32]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }

    /// Encrypts `plaintext` for `owner` under a nonce that must never repeat for this key.
    pub fn seal(&self, nonce: &[u8; NONCE_LEN], owner: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.0
            .encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad: owner })
            .expect("AES-GCM encryption of a short secret cannot fail")
    }

    pub fn open(&self, nonce: &[u8; NONCE_LEN], owner: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, OpenError> {
        self.0.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: owner }).map_err(|_| OpenError)
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_owner() {
        let key = SealingKey::new(&[7; 32]);
        let nonce = [1; NONCE_LEN];
        let sealed = key.seal(&nonce, b"app-1", b"webhook secret");
        assert_ne!(&sealed[..14], b"webhook secret");
        assert_eq!(key.open(&nonce, b"app-1", &sealed).unwrap(), b"webhook secret");
        assert_eq!(key.open(&nonce, b"app-2", &sealed), Err(OpenError));
        assert_eq!(SealingKey::new(&[8; 32]).open(&nonce, b"app-1", &sealed), Err(OpenError));
        let mut tampered = sealed.clone();
        tampered[0] ^= 1;
        assert_eq!(key.open(&nonce, b"app-1", &tampered), Err(OpenError));
    }
}
