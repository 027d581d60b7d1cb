//! Custom scalars: 64-bit numbers GraphQL's 32-bit `Int` cannot carry.

use async_graphql::{InputValueError, InputValueResult, Number, Scalar, ScalarType, Value};

fn parse_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Milliseconds since the Unix epoch (UTC), as a JSON number.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Timestamp(pub i64);

/// Milliseconds since the Unix epoch (UTC), as a JSON number (integer, may exceed 32 bits).
#[Scalar(name = "Timestamp")]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        parse_i64(&value).map(Self).ok_or_else(|| {
            InputValueError::custom("a Timestamp is an integer number of milliseconds")
        })
    }

    fn to_value(&self) -> Value {
        Value::Number(Number::from(self.0))
    }
}

/// A size in bytes, as a JSON number.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ByteCount(pub i64);

/// A size in bytes, as a JSON number (non-negative integer, may exceed 32 bits).
#[Scalar(name = "ByteCount")]
impl ScalarType for ByteCount {
    fn parse(value: Value) -> InputValueResult<Self> {
        parse_i64(&value)
            .filter(|n| *n >= 0)
            .map(Self)
            .ok_or_else(|| InputValueError::custom("a ByteCount is a non-negative integer"))
    }

    fn to_value(&self) -> Value {
        Value::Number(Number::from(self.0))
    }
}
