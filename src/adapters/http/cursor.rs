//! Opaque pagination cursors: the position of the last item of a page, base64url-encoded
//! so clients treat it as a token and never build one by hand.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::ApiError;

/// Encodes the parts of a keyset position, joined by '.'.
pub fn encode(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("."))
}

fn invalid() -> ApiError {
    ApiError::bad_request("Query parameter cursor: not a cursor this server issued.")
}

/// Decodes a cursor into exactly `n` parts; anything else is a 400.
pub fn decode(raw: &str, n: usize) -> Result<Vec<String>, ApiError> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<String> = text.split('.').map(str::to_owned).collect();
    if parts.len() == n { Ok(parts) } else { Err(invalid()) }
}

/// Parses one decoded part, mapping failure to the same 400.
pub fn part<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| invalid())
}

/// A decoded part that is a time in microseconds (in the range every stored time is in).
pub fn time(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    crate::domain::time::from_micros(part(raw)?).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = encode(&["1700000000000000", "6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10"]);
        assert_eq!(decode(&c, 2).unwrap()[1], "6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10");
        assert!(decode(&c, 3).is_err());
        assert!(decode("%%%", 2).is_err());
        assert!(time("1731624040000123").is_ok());
        assert!(time("-400000000000000000").is_err(), "out of range is refused, not sent to storage");
    }
}
