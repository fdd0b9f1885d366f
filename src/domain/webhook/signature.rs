//! Webhook signature verification, fail closed. Two schemes:
//! - what Dialpad sends with a secret: the whole body is a compact JWS signed HS256;
//!   the header's `alg` must be exactly "HS256" (`none` and every other algorithm are
//!   refused, so a token cannot choose how it is checked);
//! - the old server's scheme: a JSON body with an `x-dialpad-signature` header holding the
//!   hex HMAC-SHA256 of the raw body (a `sha256=` prefix tolerated).
//!
//! A body starting with `{` is JSON, anything else a JWS. MACs are compared in constant
//! time; several secrets may be valid at once (rotation with overlap).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a body is not a verified webhook. Every case is answered 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SignatureError {
    /// No signature at all: an empty body, or a JSON body without the header.
    #[error("no signature")]
    Missing,
    /// Not a well-formed JWS or signature header.
    #[error("malformed signature")]
    Malformed,
    /// A JWS whose header names another algorithm than HS256.
    #[error("algorithm not allowed")]
    Algorithm,
    /// Well-formed, but no configured secret produced this MAC.
    #[error("signature mismatch")]
    Mismatch,
}

impl SignatureError {
    /// A short stable label, for metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Algorithm => "algorithm",
            Self::Mismatch => "mismatch",
        }
    }
}

/// How a body was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Jws,
    HeaderHmac,
}

/// A verified webhook: the signed content (the JWS payload, or the JSON body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub payload: Vec<u8>,
    pub scheme: Scheme,
}

/// Verifies `body` against every secret in `secrets`. `header` is the `x-dialpad-signature`
/// value, if any. No secret means nothing verifies.
pub fn verify(body: &[u8], header: Option<&str>, secrets: &[&[u8]]) -> Result<Verified, SignatureError> {
    let trimmed = body.trim_ascii();
    match trimmed.first() {
        None => Err(SignatureError::Missing),
        Some(b'{') => verify_header_hmac(body, header, secrets),
        Some(_) => verify_jws(trimmed, secrets),
    }
}

fn verify_header_hmac(body: &[u8], header: Option<&str>, secrets: &[&[u8]]) -> Result<Verified, SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let hex_mac = match header.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("sha256=") => &header[7..],
        _ => header,
    };
    let mac = hex::decode(hex_mac).map_err(|_| SignatureError::Malformed)?;
    if mac.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    if secrets.iter().any(|secret| mac_matches(secret, body, &mac)) {
        Ok(Verified { payload: body.to_vec(), scheme: Scheme::HeaderHmac })
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn verify_jws(token: &[u8], secrets: &[&[u8]]) -> Result<Verified, SignatureError> {
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SignatureError::Malformed);
    };
    let header_json = URL_SAFE_NO_PAD.decode(header).map_err(|_| SignatureError::Malformed)?;
    let header: serde_json::Value = serde_json::from_slice(&header_json).map_err(|_| SignatureError::Malformed)?;
    let header = header.as_object().ok_or(SignatureError::Malformed)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(SignatureError::Algorithm);
    }
    if header.contains_key("crit") {
        // Extensions we would have to understand: refuse rather than ignore.
        return Err(SignatureError::Malformed);
    }
    let mac = URL_SAFE_NO_PAD.decode(signature).map_err(|_| SignatureError::Malformed)?;
    if mac.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    let signing_input = &token[..header_len_with_payload(token)];
    if !secrets.iter().any(|secret| mac_matches(secret, signing_input, &mac)) {
        return Err(SignatureError::Mismatch);
    }
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| SignatureError::Malformed)?;
    Ok(Verified { payload, scheme: Scheme::Jws })
}

/// Length of `header.payload` within a three-part token.
fn header_len_with_payload(token: &[u8]) -> usize {
    token.iter().rposition(|&b| b == b'.').expect("three parts were found")
}

/// Constant-time HMAC-SHA256 check of `message` against `mac`.
fn mac_matches(secret: &[u8], message: &[u8], mac: &[u8]) -> bool {
    let Ok(mut hmac) = HmacSha256::new_from_slice(secret) else { return false };
    hmac.update(message);
    hmac.verify_slice(mac).is_ok()
}

/// Signs `claims` as a compact HS256 JWS, as Dialpad does. For tests and the load tool.
pub fn sign_jws(claims: &[u8], secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims);
    let input = format!("{header}.{payload}");
    let mut hmac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    hmac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(hmac.finalize().into_bytes()))
}

/// The hex HMAC-SHA256 of `body`: the old server's `x-dialpad-signature`.
pub fn sign_hex(body: &[u8], secret: &[u8]) -> String {
    let mut hmac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    hmac.update(body);
    hex::encode(hmac.finalize().into_bytes())
}

#[cfg(test)]
mod tests;
