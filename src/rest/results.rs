//! Reads a fixed operation's result (async-graphql's values) as its Rust type (`answers.rs`),
//! moving strings and lists out of the response as async-graphql's `from_value` does, but
//! handing serde each object key as the `&str` it already is: `from_value` formats every key
//! into a new `String` first, ~0.9 M instructions of a REST folder read (BENCHMARKS.md, run
//! of 2026-12-06).

use async_graphql::{Name, Value};
use serde::de::value::{Error, MapDeserializer, SeqDeserializer, StrDeserializer};
use serde::de::{DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// `value` read as a `T`.
pub fn read<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(Owned(value))
}

/// A value, taken by value.
struct Owned(Value);

/// An object's key, lent to serde.
struct Key(Name);

impl<'de> IntoDeserializer<'de, Error> for Owned {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> IntoDeserializer<'de, Error> for Key {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for Key {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.0.as_str())
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> Deserializer<'de> for Owned {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Boolean(boolean) => visitor.visit_bool(boolean),
            Value::Number(number) => {
                if let Some(int) = number.as_i64() {
                    visitor.visit_i64(int)
                } else if let Some(int) = number.as_u64() {
                    visitor.visit_u64(int)
                } else {
                    visitor.visit_f64(number.as_f64().unwrap_or_default())
                }
            }
            Value::String(string) => visitor.visit_string(string),
            Value::Enum(name) => visitor.visit_str(name.as_str()),
            Value::Binary(bytes) => visitor.visit_byte_buf(bytes.to_vec()),
            Value::List(items) => {
                let mut items = SeqDeserializer::new(items.into_iter().map(Owned));
                let list = visitor.visit_seq(&mut items)?;
                items.end()?;
                Ok(list)
            }
            Value::Object(fields) => {
                let fields = fields
                    .into_iter()
                    .map(|(key, value)| (Key(key), Owned(value)));
                let mut fields = MapDeserializer::new(fields);
                let object = visitor.visit_map(&mut fields)?;
                fields.end()?;
                Ok(object)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let variant: StrDeserializer<Error> = match &self.0 {
            Value::Enum(variant) => variant.as_str().into_deserializer(),
            Value::String(variant) => variant.as_str().into_deserializer(),
            _ => return self.deserialize_any(visitor),
        };
        variant.deserialize_enum(name, variants, visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::indexmap::IndexMap;
    use async_graphql::{Name, Value};
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "UPPERCASE")]
    enum Level {
        Read,
        Manage,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Inner {
        level: Level,
        grantor: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Flattened {
        size: i64,
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Outer {
        #[serde(flatten)]
        flattened: Flattened,
        id: String,
        is_directory: bool,
        big: u64,
        ratio: f64,
        entries: Vec<Inner>,
        missing: Option<Inner>,
        #[serde(default)]
        absent: Option<String>,
    }

    /// Everything the answers' types are made of reads as async-graphql's `from_value` reads
    /// it, and what it refuses is refused.
    #[test]
    fn values_read_as_from_value_reads_them() {
        let value = Value::from_json(serde_json::json!({
            "size": -3,
            "tags": ["a", "b"],
            "id": "x",
            "isDirectory": true,
            "big": u64::MAX,
            "ratio": 0.5,
            "missing": null
        }))
        .unwrap();
        // Levels come from GraphQL as enum values, not strings.
        let Value::Object(mut fields) = value else {
            unreachable!()
        };
        let entries = [("READ", Value::Null), ("MANAGE", Value::from("ada"))]
            .into_iter()
            .map(|(level, grantor)| {
                let mut entry = IndexMap::new();
                entry.insert(Name::new("level"), Value::Enum(Name::new(level)));
                entry.insert(Name::new("grantor"), grantor);
                Value::Object(entry)
            })
            .collect();
        fields.insert(Name::new("entries"), Value::List(entries));
        let value = Value::Object(fields);
        let read: Outer = super::read(value.clone()).unwrap();
        assert_eq!(read, async_graphql::from_value::<Outer>(value).unwrap());
        assert_eq!(read.entries[1].level, Level::Manage);
        assert_eq!(read.big, u64::MAX);

        let unknown = Value::from_json(serde_json::json!({ "level": "READ", "other": 1 })).unwrap();
        assert!(super::read::<Inner>(unknown.clone()).is_err());
        assert!(async_graphql::from_value::<Inner>(unknown).is_err());
    }
}
