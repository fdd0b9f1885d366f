//! Signature verification: known cases, tampering as a property, alg confusion, and tokens
//! made by an independent JWT implementation (jsonwebtoken).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proptest::prelude::*;

use super::*;

const SECRET: &[u8] = b"subscription-secret";
const CLAIMS: &[u8] = br#"{"call_id":6421977457180672,"state":"ringing","event_timestamp":1731624045100}"#;

fn b64(s: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

/// A token with any header, signed with HMAC-SHA256 anyway.
fn token_with_header(header: &str, claims: &[u8], secret: &[u8]) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims));
    let mut mac = HmacSha256::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(&mac.finalize().into_bytes()))
}

#[test]
fn a_jws_signed_with_a_configured_secret_verifies_to_its_payload() {
    let token = sign_jws(CLAIMS, SECRET);
    let verified = verify(token.as_bytes(), None, &[b"old", SECRET]).unwrap();
    assert_eq!(verified, Verified { payload: CLAIMS.to_vec(), scheme: Scheme::Jws });
    let with_newline = format!("{token}\n");
    assert!(verify(with_newline.as_bytes(), None, &[SECRET]).is_ok(), "surrounding whitespace is tolerated");
}

#[test]
fn a_json_body_verifies_with_the_old_servers_header() {
    let sig = sign_hex(CLAIMS, SECRET);
    for header in [sig.clone(), format!("sha256={sig}"), format!("SHA256={}", sig.to_uppercase())] {
        let verified = verify(CLAIMS, Some(&header), &[SECRET]).unwrap();
        assert_eq!(verified.scheme, Scheme::HeaderHmac, "header {header}");
    }
}

#[test]
fn known_rejections() {
    let token = sign_jws(CLAIMS, SECRET);
    let parts: Vec<&str> = token.split('.').collect();
    let cases: Vec<(&str, Vec<u8>, Option<String>, SignatureError)> = vec![
        ("empty body", vec![], None, SignatureError::Missing),
        ("json without header", CLAIMS.to_vec(), None, SignatureError::Missing),
        ("json with blank header", CLAIMS.to_vec(), Some("  ".into()), SignatureError::Missing),
        ("json with non-hex header", CLAIMS.to_vec(), Some("zz".into()), SignatureError::Malformed),
        ("json with short mac", CLAIMS.to_vec(), Some("abcd".into()), SignatureError::Malformed),
        ("json with wrong mac", CLAIMS.to_vec(), Some(sign_hex(b"other", SECRET)), SignatureError::Mismatch),
        ("two parts", format!("{}.{}", parts[0], parts[1]).into_bytes(), None, SignatureError::Malformed),
        ("four parts", format!("{token}.x").into_bytes(), None, SignatureError::Malformed),
        ("bad base64 header", format!("!!.{}.{}", parts[1], parts[2]).into_bytes(), None, SignatureError::Malformed),
        ("padded signature", format!("{token}=").into_bytes(), None, SignatureError::Malformed),
        ("wrong secret", sign_jws(CLAIMS, b"other").into_bytes(), None, SignatureError::Mismatch),
        (
            "alg none",
            token_with_header(r#"{"alg":"none"}"#, CLAIMS, SECRET).into_bytes(),
            None,
            SignatureError::Algorithm,
        ),
        (
            "alg HS512",
            token_with_header(r#"{"alg":"HS512"}"#, CLAIMS, SECRET).into_bytes(),
            None,
            SignatureError::Algorithm,
        ),
        (
            "alg RS256",
            token_with_header(r#"{"alg":"RS256"}"#, CLAIMS, SECRET).into_bytes(),
            None,
            SignatureError::Algorithm,
        ),
        (
            "alg lowercase",
            token_with_header(r#"{"alg":"hs256"}"#, CLAIMS, SECRET).into_bytes(),
            None,
            SignatureError::Algorithm,
        ),
        ("no alg", token_with_header(r#"{"typ":"JWT"}"#, CLAIMS, SECRET).into_bytes(), None, SignatureError::Algorithm),
        (
            "crit header",
            token_with_header(r#"{"alg":"HS256","crit":["x"]}"#, CLAIMS, SECRET).into_bytes(),
            None,
            SignatureError::Malformed,
        ),
        (
            "unsigned none token",
            format!("{}.{}.", b64(br#"{"alg":"none"}"#), parts[1]).into_bytes(),
            None,
            SignatureError::Algorithm,
        ),
    ];
    for (case, body, header, want) in cases {
        assert_eq!(verify(&body, header.as_deref(), &[SECRET]), Err(want), "case {case}");
    }
    assert_eq!(verify(token.as_bytes(), None, &[]), Err(SignatureError::Mismatch), "no secret: fail closed");
}

#[test]
fn tokens_from_an_independent_jwt_implementation_verify() {
    #[derive(serde::Serialize)]
    struct Claims {
        call_id: i64,
        state: &'static str,
        event_timestamp: i64,
    }
    let claims = Claims { call_id: 6421977457180672, state: "hangup", event_timestamp: 1731624049000 };
    let token =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
    let verified = verify(token.as_bytes(), None, &[SECRET]).unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&verified.payload).unwrap();
    assert_eq!(parsed["state"], "hangup");
    let hs384 =
        jsonwebtoken::encode(&Header::new(Algorithm::HS384), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
    assert_eq!(verify(hs384.as_bytes(), None, &[SECRET]), Err(SignatureError::Algorithm));
}

proptest! {
    #[test]
    fn changing_any_byte_of_a_signed_token_is_rejected(at in any::<prop::sample::Index>(), to in any::<u8>()) {
        let mut token = sign_jws(CLAIMS, SECRET).into_bytes();
        let i = at.index(token.len());
        prop_assume!(token[i] != to);
        token[i] = to;
        // Whitespace at either end is the one change that is not a change.
        prop_assume!(!(to.is_ascii_whitespace() && (i == 0 || i == token.len() - 1)));
        prop_assert!(verify(&token, None, &[SECRET]).is_err());
    }

    #[test]
    fn changing_any_byte_of_a_signed_json_body_is_rejected(at in any::<prop::sample::Index>(), to in any::<u8>()) {
        let signature = sign_hex(CLAIMS, SECRET);
        let mut body = CLAIMS.to_vec();
        let i = at.index(body.len());
        prop_assume!(body[i] != to);
        body[i] = to;
        prop_assert!(verify(&body, Some(&signature), &[SECRET]).is_err());
    }

    #[test]
    fn arbitrary_bodies_never_verify(body in prop::collection::vec(any::<u8>(), 0..300), header in proptest::option::of("[0-9a-f]{0,70}")) {
        prop_assert!(verify(&body, header.as_deref(), &[SECRET]).is_err());
    }
}
