//! A pass over JSON text that refuses an object with the same key twice, naming the key's path.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::EventError;

/// `Ok` if no object in `json` repeats a key; otherwise the path of the repeated key
/// (`detail.customer_id`). serde_json keeps the last of two equal keys, so an event that
/// repeats one is ambiguous and must be refused before it is read. Invalid JSON is `Ok`
/// here: the parse that follows names that fault.
pub fn check_unique_keys(json: &str) -> Result<(), EventError> {
    let mut d = serde_json::Deserializer::from_str(json);
    match serde_path_to_error::deserialize::<_, Unique>(&mut d) {
        Ok(_) => Ok(()),
        Err(e) => {
            let msg = e.inner().to_string();
            let Some(key) = msg.strip_prefix(DUPLICATE).and_then(|m| m.split('\u{0}').next()) else {
                return Ok(());
            };
            // The path is that of the object holding the key.
            let key_short = crate::types::truncate(key, 60);
            let path = match e.path().to_string() {
                p if p == "." => key_short.to_string(),
                p => format!("{p}.{key_short}"),
            };
            Err(EventError::new(
                path,
                format!("duplicate key `{key_short}`: each key may appear once in an object"),
            ))
        }
    }
}

/// The start of the error this pass raises, followed by the key and a NUL.
const DUPLICATE: &str = "\u{0}duplicate key ";

/// Any JSON value, checked for repeated keys and thrown away.
struct Unique;

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("{DUPLICATE}{key}\u{0}")));
            }
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }
}

#[cfg(test)]
mod tests {
    use super::check_unique_keys;

    #[test]
    fn a_repeated_key_is_named_by_its_path() {
        let e = check_unique_keys(r#"{"a": 1, "detail": {"x": [{"k": 1, "k": 2}]}}"#).unwrap_err();
        assert_eq!(e.path, "detail.x[0].k", "{e}");
        assert!(e.reason.contains("duplicate key `k`"), "{e}");
        let e = check_unique_keys(r#"{"detail": {}, "detail": {}}"#).unwrap_err();
        assert_eq!(e.path, "detail", "{e}");
    }

    #[test]
    fn equal_keys_in_different_objects_and_invalid_json_pass() {
        assert!(check_unique_keys(r#"{"a": {"k": 1}, "b": {"k": 1}, "k": [1, 1]}"#).is_ok());
        assert!(check_unique_keys(r#"{"a": "#).is_ok());
    }
}
