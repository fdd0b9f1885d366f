//! The key string: generation, parsing and checksum. See the parent module for the format.

use std::fmt;

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const PREFIX: &str = "cti_";
const KEY_ID_LEN: usize = 16;
const SECRET_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Which kind of deployment issued a key; a live key is never confused with a test one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyEnvironment {
    Live,
    Test,
}

impl KeyEnvironment {
    fn marker(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }
}

/// The public identifier of a key (16 base62 characters), stored in clear and indexed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Parses a stored or displayed key id.
    pub fn parse(raw: &str) -> Result<Self, ApiKeyFormatError> {
        if raw.len() == KEY_ID_LEN && is_base62(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ApiKeyFormatError::Malformed)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What may be shown of a key after creation: its first 8 and last 4 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHint(String);

impl KeyHint {
    /// Wraps a hint read back from storage.
    pub fn from_stored(hint: String) -> Self {
        Self(hint)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a string is not an API key. Every case is decided without I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyFormatError {
    #[error("not an API key of this server")]
    Malformed,
    #[error("API key checksum does not match")]
    BadChecksum,
}

/// A whole API key, as shown once at creation and presented by clients. The string is
/// secret: Debug prints only the key id.
#[derive(Clone)]
pub struct ApiKey {
    full: SecretString,
    environment: KeyEnvironment,
    key_id: KeyId,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl ApiKey {
    /// A new random key. The secret has 43 base62 characters drawn uniformly, 256 bits.
    pub fn generate(environment: KeyEnvironment, rng: &mut impl Rng) -> Self {
        let key_id = random_base62(rng, KEY_ID_LEN);
        let secret = random_base62(rng, SECRET_LEN);
        let body = format!("{PREFIX}{}_{key_id}_{secret}", environment.marker());
        let sum = checksum(&body);
        let full = format!("{body}{}", std::str::from_utf8(&sum).expect("base62 is ASCII"));
        Self { full: SecretString::from(full), environment, key_id: KeyId(key_id) }
    }

    /// Parses a presented key: prefix, environment, lengths, alphabet, then checksum.
    pub fn parse(raw: &str) -> Result<Self, ApiKeyFormatError> {
        use ApiKeyFormatError::Malformed;
        let rest = raw.strip_prefix(PREFIX).ok_or(Malformed)?;
        let (environment, rest) = if let Some(rest) = rest.strip_prefix("live_") {
            (KeyEnvironment::Live, rest)
        } else if let Some(rest) = rest.strip_prefix("test_") {
            (KeyEnvironment::Test, rest)
        } else {
            return Err(Malformed);
        };
        let (key_id, tail) = rest.split_once('_').ok_or(Malformed)?;
        if key_id.len() != KEY_ID_LEN
            || tail.len() != SECRET_LEN + CHECKSUM_LEN
            || !is_base62(key_id)
            || !is_base62(tail)
        {
            return Err(Malformed);
        }
        let (body, sum) = raw.split_at(raw.len() - CHECKSUM_LEN);
        if checksum(body) != sum.as_bytes() {
            return Err(ApiKeyFormatError::BadChecksum);
        }
        Ok(Self { full: SecretString::from(raw.to_owned()), environment, key_id: KeyId(key_id.to_owned()) })
    }

    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    pub fn environment(&self) -> KeyEnvironment {
        self.environment
    }

    /// The secret part, the only thing argon2 hashes.
    pub fn secret(&self) -> &str {
        let full = self.full.expose_secret();
        let start = full.len() - CHECKSUM_LEN - SECRET_LEN;
        &full[start..full.len() - CHECKSUM_LEN]
    }

    /// The whole key, to show once at creation.
    pub fn expose(&self) -> &str {
        self.full.expose_secret()
    }

    /// First 8 and last 4 characters, safe to store and show.
    pub fn hint(&self) -> KeyHint {
        let full = self.full.expose_secret();
        KeyHint(format!("{}...{}", &full[..8], &full[full.len() - 4..]))
    }

    /// SHA-256 of the key's secret: the cache key of a checked key, so the cache never holds
    /// a key. The secret carries all of the key's 256 random bits and fits one SHA-256 block
    /// (the whole key needs two), which halves the cost of every cached request on CPUs
    /// without SHA instructions; cache entries also record the key id they were checked for.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(self.secret().as_bytes()).into()
    }
}

fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `len` random base62 characters (also for webhook secrets).
pub(crate) fn random_base62(rng: &mut impl Rng, len: usize) -> String {
    (0..len).map(|_| BASE62[rng.random_range(0..BASE62.len())] as char).collect()
}

/// CRC32 of `body` as exactly six base62 digits (62^6 > 2^32).
fn checksum(body: &str) -> [u8; CHECKSUM_LEN] {
    let mut n = u64::from(crc32fast::hash(body.as_bytes()));
    let mut digits = [b'0'; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(n % 62) as usize];
        n /= 62;
    }
    digits
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn key(seed: u64) -> ApiKey {
        ApiKey::generate(KeyEnvironment::Live, &mut StdRng::seed_from_u64(seed))
    }

    #[test]
    fn a_generated_key_has_the_documented_shape() {
        let k = key(1);
        let s = k.expose();
        assert!(s.starts_with("cti_live_"), "{s}");
        assert_eq!(s.len(), 4 + 5 + 16 + 1 + 43 + 6);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        assert_eq!(k.key_id().as_str(), &s[9..25]);
        assert_eq!(k.secret(), &s[26..69]);
        assert_eq!(k.hint().as_str(), format!("cti_live...{}", &s[s.len() - 4..]));
        let test = ApiKey::generate(KeyEnvironment::Test, &mut StdRng::seed_from_u64(1));
        assert!(test.expose().starts_with("cti_test_"));
        assert!(!format!("{k:?}").contains(k.secret()), "Debug leaks the secret");
    }

    #[test]
    fn known_rejections() {
        let good = key(2).expose().to_owned();
        let cases = [
            ("", ApiKeyFormatError::Malformed),
            ("cti_live_", ApiKeyFormatError::Malformed),
            ("sk_live_abc", ApiKeyFormatError::Malformed),
            (&good.replacen("live", "prod", 1), ApiKeyFormatError::Malformed),
            (&good[..good.len() - 1], ApiKeyFormatError::Malformed),
            (&format!("{good}x"), ApiKeyFormatError::Malformed),
            (&good.replacen('_', "-", 3), ApiKeyFormatError::Malformed),
            (&format!(" {}", &good[1..]), ApiKeyFormatError::Malformed),
        ];
        for (raw, want) in cases {
            assert_eq!(ApiKey::parse(raw).err(), Some(want), "input {raw:?}");
        }
    }

    proptest! {
        #[test]
        fn every_generated_key_parses_back(seed in any::<u64>(), live in any::<bool>()) {
            let env = if live { KeyEnvironment::Live } else { KeyEnvironment::Test };
            let k = ApiKey::generate(env, &mut StdRng::seed_from_u64(seed));
            let parsed = ApiKey::parse(k.expose()).unwrap();
            prop_assert_eq!(parsed.key_id(), k.key_id());
            prop_assert_eq!(parsed.secret(), k.secret());
            prop_assert_eq!(parsed.environment(), env);
            prop_assert_eq!(parsed.fingerprint(), k.fingerprint());
        }

        #[test]
        fn changing_any_one_character_is_detected(seed in any::<u64>(), at in 9usize..75, c in "[0-9A-Za-z]") {
            let k = key(seed);
            let s = k.expose();
            let replacement = c.chars().next().unwrap();
            prop_assume!(s.as_bytes()[at] != b'_' && s.as_bytes()[at] as char != replacement);
            let mut typo = s.to_owned();
            typo.replace_range(at..at + 1, &c);
            prop_assert!(ApiKey::parse(&typo).is_err(), "typo accepted at {}", at);
        }

        #[test]
        fn random_strings_are_refused(s in "\\PC{0,90}") {
            prop_assert!(ApiKey::parse(&s).is_err());
        }

        #[test]
        fn random_well_shaped_strings_fail_the_checksum(id in "[0-9A-Za-z]{16}", tail in "[0-9A-Za-z]{49}") {
            let s = format!("cti_live_{id}_{tail}");
            // One in 2^32 random tails carries a valid checksum; none will here.
            prop_assert_eq!(ApiKey::parse(&s).err(), Some(ApiKeyFormatError::BadChecksum));
        }
    }
}
