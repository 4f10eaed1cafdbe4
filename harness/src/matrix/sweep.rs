//! [`Sweep`]: a workload value that is either one integer or a list of them.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

/// The values of a swept workload key: `threads = 2` or `threads = [1, 2]`.
/// Values are kept signed so that a negative one gets a clear message from
/// validation rather than a type error.
#[derive(Debug, Clone, PartialEq)]
pub enum Sweep {
    /// A scalar.
    One(i64),
    /// A list; each element keeps its own span.
    Many(Vec<Spanned<i64>>),
}

impl<'de> Deserialize<'de> for Sweep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SweepVisitor)
    }
}

struct SweepVisitor;

impl<'de> Visitor<'de> for SweepVisitor {
    type Value = Sweep;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a list of integers")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Sweep, E> {
        Ok(Sweep::One(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Sweep, E> {
        i64::try_from(v)
            .map(Sweep::One)
            .map_err(|_| E::custom(format!("{v} is too large")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sweep, A::Error> {
        let mut values = Vec::new();
        while let Some(v) = seq.next_element::<Spanned<i64>>()? {
            values.push(v);
        }
        Ok(Sweep::Many(values))
    }
}
