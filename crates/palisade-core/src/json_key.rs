//! A JSON object key for streaming walkers, which read keys without allocating.

use std::fmt;

use serde::de::{Deserializer, Visitor};

/// An object key, borrowed from the input when it has no escapes.
pub enum KeyText<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl KeyText<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            KeyText::Borrowed(text) => text,
            KeyText::Owned(text) => text,
        }
    }
}

impl<'de> serde::Deserialize<'de> for KeyText<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyText<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("an object key")
            }

            fn visit_borrowed_str<E>(self, value: &'de str) -> Result<KeyText<'de>, E> {
                Ok(KeyText::Borrowed(value))
            }

            fn visit_str<E>(self, value: &str) -> Result<KeyText<'de>, E> {
                Ok(KeyText::Owned(value.to_string()))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}
