//! The strict JSON reader of JWK and JWKS documents.
//!
//! serde_json's `Value` keeps the last of two members with the same name and drops the other
//! silently, so `{"x":"A","x":"B"}` would be read as one key while another library reads it as
//! another. The protocol refuses repeated members in tokens; this reader refuses them in keys too
//! (RFC 7517 §4, RFC 7159 §4), at every depth, through a serde visitor that builds the `Value`
//! itself. Nesting depth stays bounded by serde_json's recursion limit.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

use super::KeyError;
use super::jwk::PRIVATE_MEMBERS;
use crate::quoted::Quoted;

/// A parsed JWK or JWKS document. On drop, the string values of private key members (`d`, ...)
/// anywhere in it are wiped (feature `portal`).
pub(crate) struct Document(Value);

impl Document {
    /// Parses `text`: [`KeyError::InvalidJson`] for anything that is not one JSON value,
    /// [`KeyError::DuplicateMember`] for an object that names a member twice.
    pub(crate) fn parse(text: &str) -> Result<Document, KeyError> {
        let repeated = RefCell::new(None);
        let mut reader = serde_json::Deserializer::from_str(text);
        let value = StrictValue {
            repeated: &repeated,
        }
        .deserialize(&mut reader)
        .and_then(|value| reader.end().map(|()| value));
        // Wrap at once, so a document read in full is wiped even when it is refused below.
        let document = Document(value.map_err(|_| KeyError::InvalidJson)?);
        match repeated.into_inner() {
            Some(member) => Err(KeyError::DuplicateMember { member }),
            None => Ok(document),
        }
    }

    /// The document's top-level object, if it is one.
    pub(crate) fn as_object(&self) -> Option<&Map<String, Value>> {
        self.0.as_object()
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        wipe_private_members(&mut self.0);
    }
}

/// Wipes the string values of private key members at every depth of `value`.
fn wipe_private_members(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, member) in map.iter_mut() {
                wipe_member(name, member);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(wipe_private_members),
        _ => {}
    }
}

/// Wipes `value` if it is the string of a private key member `name`, or what it holds if not.
fn wipe_member(name: &str, value: &mut Value) {
    match value {
        Value::String(secret) if PRIVATE_MEMBERS.contains(&name) => super::wipe(secret),
        other => wipe_private_members(other),
    }
}

/// Reads one JSON value; records the first repeated member name in `repeated`.
#[derive(Clone, Copy)]
struct StrictValue<'a> {
    repeated: &'a RefCell<Option<Quoted>>,
}

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json never yields a non-finite number from JSON text.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            match object.entry(name) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(mut slot) => {
                    let mut first = slot.insert(value);
                    wipe_member(slot.key(), &mut first);
                    self.repeated
                        .borrow_mut()
                        .get_or_insert_with(|| Quoted::ascii(slot.key()));
                }
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> &'static str {
        match Document::parse(text) {
            Ok(_) => "ok",
            Err(error) => error.code(),
        }
    }

    #[test]
    fn valid_json_is_read_as_serde_json_reads_it() {
        let text = r#"{"a":[1,-2,3.5,true,null,"é\u00e9",{"b":{}}],"c":18446744073709551615}"#;
        let document = Document::parse(text).unwrap();
        let expected: Value = serde_json::from_str(text).unwrap();
        assert_eq!(document.as_object(), expected.as_object());
        assert!(Document::parse("[1]").unwrap().as_object().is_none());
    }

    #[test]
    fn repeated_members_are_refused_at_every_depth() {
        assert_eq!(code(r#"{"x":"A","x":"A"}"#), "duplicate_jwk_member");
        assert_eq!(
            code(r#"{"keys":[{"kid":"1","y":2,"kid":"1"}]}"#),
            "duplicate_jwk_member"
        );
        assert_eq!(code(r#"{"a":{"b":1,"b":2}}"#), "duplicate_jwk_member");
        // Escapes spell the same name.
        assert_eq!(code(r#"{"x":1,"\u0078":2}"#), "duplicate_jwk_member");
        assert_eq!(code(r#"{"x":1,"X":2,"a":{"x":3}}"#), "ok");
        let Err(KeyError::DuplicateMember { member }) = Document::parse(r#"{"kid":1,"kid":2}"#)
        else {
            panic!("not a duplicate")
        };
        assert_eq!(member.as_str(), "kid");
    }

    #[test]
    fn broken_json_is_invalid_json() {
        for bad in [
            "",
            " ",
            "{",
            r#"{"a":1,}"#,
            r#"{"a":1} {}"#,
            r#"{"a":1} x"#,
            "<html>Bad Gateway</html>",
            "\u{feff}{}",
            r#"{"a":1,"a":"#,
            &"[".repeat(200),
            "1e400",
        ] {
            assert_eq!(code(bad), "invalid_json", "{bad:?}");
        }
        // Syntax is judged first: a broken document with a repeated member is invalid JSON.
        assert_eq!(code(r#"{"a":1,"a":2"#), "invalid_json");
        assert_eq!(
            code(&format!("{}{}", "[".repeat(100), "]".repeat(100))),
            "ok"
        );
    }

    #[cfg(feature = "portal")]
    #[test]
    fn private_member_strings_are_wiped_at_every_depth() {
        let mut value: Value = serde_json::from_str(
            r#"{"d":"secret","x":"public","keys":[{"k":"secret","p":{"d":"secret"}}],"q":5}"#,
        )
        .unwrap();
        wipe_private_members(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"d":"","x":"public","keys":[{"k":"","p":{"d":""}}],"q":5})
        );
    }
}
