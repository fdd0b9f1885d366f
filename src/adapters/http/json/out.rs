//! A JSON writer for the read routes' bodies: keys are `,"name":` constants built at
//! compile time ([`key!`]) and written in one copy, numbers through itoa, timestamps through
//! [`super::timestamp`]'s formatting, and strings copied in one go unless they need an
//! escape (then serde_json escapes them, so the bytes are always serde_json's). An event's
//! payload is written from its stored text (canonical.rs).
//! Each value's `write_json` must produce exactly what its documented response type's
//! `Serialize` does (see `JsonBody`); the tests compare them.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A response body written by hand.
pub trait WriteJson {
    fn write_json(&self, out: &mut JsonOut);
}

/// The buffer a body is written into.
pub struct JsonOut {
    buf: Vec<u8>,
}

impl JsonOut {
    pub fn with_capacity(capacity: usize) -> Self {
        Self { buf: Vec::with_capacity(capacity) }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// An object, its fields written by `fields`.
    pub fn object(&mut self, fields: impl FnOnce(&mut Fields<'_>)) {
        self.buf.push(b'{');
        fields(&mut Fields { out: self, first: true });
        self.buf.push(b'}');
    }

    /// An array of `items`, each written by `write`.
    pub fn array<T>(&mut self, items: impl IntoIterator<Item = T>, mut write: impl FnMut(&mut JsonOut, T)) {
        self.buf.push(b'[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            write(self, item);
        }
        self.buf.push(b']');
    }

    #[inline]
    pub fn str(&mut self, s: &str) {
        // Without a quote, a backslash or a control character the string is its own JSON.
        let plain = !s.bytes().fold(false, |escape, b| escape | (b < 0x20) | (b == b'"') | (b == b'\\'));
        if plain {
            self.buf.reserve(s.len() + 2);
            self.buf.push(b'"');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.push(b'"');
        } else {
            self.serde(s);
        }
    }

    #[inline]
    pub(super) fn push(&mut self, byte: u8) {
        self.buf.push(byte);
    }

    /// Bytes that are JSON already.
    #[inline]
    pub(super) fn raw(&mut self, json: &[u8]) {
        self.buf.extend_from_slice(json);
    }

    #[inline]
    pub fn int(&mut self, n: i64) {
        self.buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    #[inline]
    pub fn bool(&mut self, b: bool) {
        self.buf.extend_from_slice(if b { b"true" } else { b"false" });
    }

    #[inline]
    pub fn null(&mut self) {
        self.buf.extend_from_slice(b"null");
    }

    #[inline]
    pub fn time(&mut self, at: &DateTime<Utc>) {
        match super::rfc3339_text(at) {
            Some((text, len)) => {
                self.buf.push(b'"');
                self.buf.extend_from_slice(&text[..len]);
                self.buf.push(b'"');
            }
            None => self.serde(at),
        }
    }

    /// Anything else, through its `Serialize`.
    pub fn serde(&mut self, value: &(impl Serialize + ?Sized)) {
        // Writing into a Vec cannot fail, and these values always serialize.
        serde_json::to_writer(&mut self.buf, value).expect("a response value serializes");
    }
}

/// A field's key as written after a previous field: `,"name":` (see [`key!`]).
#[derive(Clone, Copy)]
pub struct Key(&'static str);

impl Key {
    /// Checks, when the constant is evaluated, that `,"name":` needs no escape.
    pub const fn new(written: &'static str) -> Self {
        let bytes = written.as_bytes();
        assert!(bytes.len() >= 4 && bytes[0] == b',' && bytes[1] == b'"');
        let mut i = 2;
        while i < bytes.len() - 2 {
            assert!(bytes[i] >= 0x20 && bytes[i] != b'"' && bytes[i] != b'\\', "a key that needs an escape");
            i += 1;
        }
        Self(written)
    }
}

/// The [`Key`] of the field `name`, built and checked at compile time.
macro_rules! json_key {
    ($name:literal) => {{
        const KEY: $crate::adapters::http::json::Key =
            $crate::adapters::http::json::Key::new(concat!(",\"", $name, "\":"));
        KEY
    }};
}
pub(crate) use json_key as key;

/// The fields of an object being written, in order.
pub struct Fields<'a> {
    out: &'a mut JsonOut,
    first: bool,
}

impl Fields<'_> {
    /// Starts the field `key` (its separator, name and colon in one copy) and hands over
    /// the writer for its value.
    #[inline]
    pub fn key(&mut self, key: Key) -> &mut JsonOut {
        let written = key.0.as_bytes();
        self.out.buf.extend_from_slice(if self.first { &written[1..] } else { written });
        self.first = false;
        self.out
    }

    #[inline]
    pub fn str(&mut self, key: Key, value: &str) {
        self.key(key).str(value);
    }

    #[inline]
    pub fn opt_str(&mut self, key: Key, value: Option<&str>) {
        self.nullable(key, value, JsonOut::str);
    }

    #[inline]
    pub fn int(&mut self, key: Key, value: i64) {
        self.key(key).int(value);
    }

    #[inline]
    pub fn opt_int(&mut self, key: Key, value: Option<i64>) {
        self.nullable(key, value, JsonOut::int);
    }

    #[inline]
    pub fn bool(&mut self, key: Key, value: bool) {
        self.key(key).bool(value);
    }

    #[inline]
    pub fn opt_bool(&mut self, key: Key, value: Option<bool>) {
        self.nullable(key, value, JsonOut::bool);
    }

    #[inline]
    pub fn time(&mut self, key: Key, value: &DateTime<Utc>) {
        self.key(key).time(value);
    }

    #[inline]
    pub fn opt_time(&mut self, key: Key, value: Option<&DateTime<Utc>>) {
        self.nullable(key, value, JsonOut::time);
    }

    /// A field whose value writes itself, or null.
    #[inline]
    pub fn opt<T: WriteJson>(&mut self, key: Key, value: Option<&T>) {
        self.nullable(key, value, |out, v| v.write_json(out));
    }

    #[inline]
    fn nullable<T>(&mut self, key: Key, value: Option<T>, write: impl FnOnce(&mut JsonOut, T)) {
        let out = self.key(key);
        match value {
            Some(v) => write(out, v),
            None => out.null(),
        }
    }

    /// An array of values that write themselves.
    #[inline]
    pub fn list<T: WriteJson>(&mut self, key: Key, items: &[T]) {
        self.key(key).array(items, |out, item| item.write_json(out));
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn written(s: &str) -> String {
        let mut out = JsonOut::with_capacity(0);
        out.str(s);
        String::from_utf8(out.into_bytes()).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in ["", "plain", "quote \"", "back\\slash", "line\nfeed\t\r\u{8}\u{c}", "\u{0}\u{1f}\u{7f}", "Ü ☎ 🎉"]
        {
            assert_eq!(written(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(s in any::<String>()) {
            prop_assert_eq!(written(&s), serde_json::to_string(&s).unwrap());
        }
    }
}
