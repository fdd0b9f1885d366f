//! Payloads jsonb cannot hold. PostgreSQL's jsonb (and text) refuse the NUL character, which
//! a verified event may carry in any string. Such a payload is stored as a jsonb copy with
//! each NUL as U+FFFD (readable in SQL) plus its exact JSON in `payload_exact`, which reads
//! prefer: every verified event is stored, and read back as it was sent.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// A payload as its two columns: the jsonb value and, when it differs, the exact JSON.
pub(super) struct Storable<'a> {
    pub json: Cow<'a, Value>,
    pub exact: Option<Vec<u8>>,
}

/// How `payload` is stored.
pub(super) fn storable(payload: &Value) -> Storable<'_> {
    if !has_nul(payload) {
        return Storable { json: Cow::Borrowed(payload), exact: None };
    }
    let exact = serde_json::to_vec(payload).expect("a JSON value serializes");
    Storable { json: Cow::Owned(without_nul(payload)), exact: Some(exact) }
}

/// The payload as sent: the exact JSON when there is one, else the jsonb value.
pub(super) fn restored(json: Value, exact: Option<Vec<u8>>) -> Value {
    match exact.map(|bytes| serde_json::from_slice(&bytes)) {
        Some(Ok(value)) => value,
        Some(Err(err)) => {
            tracing::error!(error = %err, "a stored exact payload is not JSON; returning its jsonb copy");
            json
        }
        None => json,
    }
}

/// The payload's text as sent: the exact JSON when there is one, else the jsonb text (the
/// same rule as [`restored`], for reads that take the text). Only payloads with a NUL have
/// an exact form, so the check that it is JSON is rare.
pub(super) fn restored_text(jsonb: String, exact: Option<Vec<u8>>) -> String {
    let Some(exact) = exact else { return jsonb };
    match String::from_utf8(exact).map_err(anyhow::Error::from).and_then(|text| {
        serde_json::from_str::<serde::de::IgnoredAny>(&text)?;
        Ok(text)
    }) {
        Ok(text) => text,
        Err(err) => {
            tracing::error!(error = %err, "a stored exact payload is not JSON; returning its jsonb copy");
            jsonb
        }
    }
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn without_nul(v: &Value) -> Value {
    let clean = |s: &str| s.replace('\0', "\u{FFFD}");
    match v {
        Value::String(s) => Value::String(clean(s)),
        Value::Array(items) => Value::Array(items.iter().map(without_nul).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (clean(k), without_nul(v))).collect::<Map<_, _>>()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn payloads_with_nul_keep_their_exact_form_beside_a_clean_copy() {
        let plain = json!({"text": "hello", "n": [1, 2]});
        let kept = storable(&plain);
        assert!(kept.exact.is_none() && *kept.json == plain);

        let nul = json!({"text": "a\u{0}b", "list": ["x\u{0}"], "k\u{0}": 1});
        let kept = storable(&nul);
        assert_eq!(*kept.json, json!({"text": "a\u{FFFD}b", "list": ["x\u{FFFD}"], "k\u{FFFD}": 1}));
        assert!(!kept.json.to_string().contains("\\u0000"), "jsonb can hold the copy");
        assert_eq!(restored(kept.json.into_owned(), kept.exact), nul, "read back as sent");
    }
}
