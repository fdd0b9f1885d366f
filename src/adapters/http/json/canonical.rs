//! A stored payload's JSON text written in serde_json's form without building a `Value`.
//!
//! The bodies show a payload as `serde_json::Value` writes it: object keys sorted, numbers
//! and strings in serde_json's notation. The store hands back text in its own form
//! (PostgreSQL's jsonb orders keys by length, then bytes, and puts spaces after `:` and
//! `,`). Parsing that text into a `Value` and writing it again was half of
//! `GET /api/calls/{id}`: a `String` per key and per string, a `BTreeMap` per object. Here
//! the text is parsed into a tree that borrows its strings from the text, each object's
//! entries are sorted, and the tree is written out. Numbers go through serde_json's own
//! `Number`, strings through its escaping, so the bytes are serde_json's (the tests below
//! compare them on any value, in any key order).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::JsonOut;

/// A parsed JSON value borrowing its strings from the text where they need no unescaping.
enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Text<'a>),
    Array(Vec<Node<'a>>),
    Object(Vec<(Text<'a>, Node<'a>)>),
}

/// A string, borrowed when the text holds it without escapes.
struct Text<'a>(Cow<'a, str>);

impl JsonOut {
    /// Writes the JSON `text` as serde_json writes the value it stands for; `false` (and
    /// nothing written) when `text` is not JSON.
    pub fn canonical(&mut self, text: &str) -> bool {
        let mut parser = serde_json::Deserializer::from_str(text);
        match Node::deserialize(&mut parser).and_then(|node| parser.end().map(|()| node)) {
            Ok(mut node) => {
                self.node(&mut node);
                true
            }
            Err(_) => false,
        }
    }

    fn node(&mut self, node: &mut Node<'_>) {
        match node {
            Node::Null => self.null(),
            Node::Bool(b) => self.bool(*b),
            Node::Number(n) => self.number(n),
            Node::Str(s) => self.text(s),
            Node::Array(items) => {
                self.push(b'[');
                for (i, item) in items.iter_mut().enumerate() {
                    if i > 0 {
                        self.push(b',');
                    }
                    self.node(item);
                }
                self.push(b']');
            }
            Node::Object(entries) => {
                // As a BTreeMap holds them: sorted by key, the last of equal keys kept.
                entries.sort_by(|a, b| prefix(&a.0.0).cmp(&prefix(&b.0.0)).then_with(|| a.0.0.cmp(&b.0.0)));
                self.push(b'{');
                let mut first = true;
                for i in 0..entries.len() {
                    if entries.get(i + 1).is_some_and(|next| next.0.0 == entries[i].0.0) {
                        continue;
                    }
                    if !first {
                        self.push(b',');
                    }
                    first = false;
                    let (key, value) = &mut entries[i];
                    self.text(key);
                    self.push(b':');
                    self.node(value);
                }
                self.push(b'}');
            }
        }
    }

    /// A string borrowed from the text had no escape there, so it has nothing to escape
    /// (JSON strings hold no raw control characters): it is copied as it is.
    fn text(&mut self, text: &Text<'_>) {
        match &text.0 {
            Cow::Borrowed(plain) => {
                self.push(b'"');
                self.raw(plain.as_bytes());
                self.push(b'"');
            }
            Cow::Owned(unescaped) => self.str(unescaped),
        }
    }

    /// Integers as serde_json writes them (itoa); floats through serde_json (ryu).
    fn number(&mut self, n: &Number) {
        if let Some(i) = n.as_i64() {
            self.int(i);
        } else if let Some(u) = n.as_u64() {
            self.raw(itoa::Buffer::new().format(u).as_bytes());
        } else {
            self.serde(n);
        }
    }
}

/// A key's first 8 bytes as a number, zero-padded: ordering by it, then by the whole key,
/// is the keys' byte order, and most comparisons end at the number.
fn prefix(key: &str) -> u64 {
    let bytes = key.as_bytes();
    match bytes.first_chunk::<8>() {
        Some(first) => u64::from_be_bytes(*first),
        None => bytes.iter().enumerate().fold(0, |n, (i, b)| n | u64::from(*b) << (56 - 8 * i)),
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// Takes each value as `Value`'s visitor does, so numbers become the same `Number`.
struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(n).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Node::Str(Text(Cow::Borrowed(s))))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Node::Str(Text(Cow::Owned(s.to_owned()))))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Node::Str(Text(Cow::Owned(s))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    fn canonical(text: &str) -> Option<String> {
        let mut out = JsonOut::with_capacity(0);
        out.canonical(text).then(|| String::from_utf8(out.into_bytes()).unwrap())
    }

    /// `value` as PostgreSQL's jsonb prints it: keys by length then bytes, `": "` and `", "`.
    fn as_jsonb_prints(value: &Value) -> String {
        match value {
            Value::Array(items) => format!("[{}]", items.iter().map(as_jsonb_prints).collect::<Vec<_>>().join(", ")),
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| (a.0.len(), a.0).cmp(&(b.0.len(), b.0)));
                let fields: Vec<_> = entries
                    .into_iter()
                    .map(|(k, v)| format!("{}: {}", serde_json::to_string(k).unwrap(), as_jsonb_prints(v)))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
            other => other.to_string(),
        }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[a-z\"\\\\\u{1}é]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z_é\"]{0,9}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn a_payload_in_jsonb_form_is_written_as_serde_json_writes_it() {
        let value = json!({
            "target": {"id": 5, "type": "user", "name": "Ann \"A\" Lee"},
            "call_id": 1796048715954975u64, "state": "hangup", "duration": 12.5, "big": 1.5e300,
            "negative": -7, "tiny": 1e-7, "z": [true, null, {"b": 1, "a": "\u{1}\n"}], "": "empty key",
        });
        let jsonb = as_jsonb_prints(&value);
        assert_ne!(jsonb, value.to_string(), "the stored form differs");
        assert_eq!(canonical(&jsonb).unwrap(), value.to_string());
    }

    #[test]
    fn text_that_is_not_json_writes_nothing() {
        let deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
        for text in [
            "",
            " ",
            "{",
            "{\"a\":1} x",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "{\"a\":}",
            "nul",
            "tru",
            "01",
            "1.",
            "-",
            "1e",
            "1e+",
            ".5",
            "+1",
            "\"a",
            "\"\t\"",
            "\"\\x\"",
            "\"\\u12\"",
            &deep,
        ] {
            assert_eq!(canonical(text), None, "{text:?}");
            assert!(serde_json::from_str::<Value>(text).is_err(), "serde_json refuses {text:?} too");
        }
    }

    #[test]
    fn numbers_strings_and_spacing_come_out_as_serde_json_writes_them() {
        let deep = format!("{}{}", "[".repeat(127), "]".repeat(127));
        for text in [
            "-0",
            "0",
            "-7",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "-9223372036854775808",
            "123456789012345678901234",
            "1.0",
            "1.50",
            "-0.0",
            "1e5",
            "1E+2",
            "2.5e-3",
            "1.5e300",
            "0.1",
            "\"\\u00e9\\n\\/\\\"\"",
            "\"é ☎\"",
            " \t\r\n[ 1 , { } , [ ] , \"x\" ] ",
            "{\"b\\u0061\": 1, \"ba\": 2}",
            "true",
            "false",
            "null",
            &deep,
        ] {
            let expected = serde_json::from_str::<Value>(text).unwrap().to_string();
            assert_eq!(canonical(text).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn duplicate_keys_keep_the_last_as_a_value_does() {
        let text = r#"{"b": 1, "a": 2, "b": 3}"#;
        assert_eq!(canonical(text).unwrap(), serde_json::from_str::<Value>(text).unwrap().to_string());
    }

    proptest! {
        #[test]
        fn keys_ordered_by_prefix_then_whole_are_in_byte_order(a in ".{0,12}", b in ".{0,12}", shared in "[a-z\u{0}]{0,9}") {
            let (a, b) = (format!("{shared}{a}"), format!("{shared}{b}"));
            prop_assert_eq!(prefix(&a).cmp(&prefix(&b)).then_with(|| a.cmp(&b)), a.cmp(&b));
        }

        #[test]
        fn any_value_in_any_stored_form_is_written_as_serde_json_writes_it(value in any_json()) {
            let expected = value.to_string();
            prop_assert_eq!(canonical(&as_jsonb_prints(&value)).unwrap(), expected.clone());
            prop_assert_eq!(canonical(&serde_json::to_string_pretty(&value).unwrap()).unwrap(), expected);
        }
    }
}
