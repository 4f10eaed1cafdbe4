//! [`ObjectId`]: the name of an object, a checked SHA-256.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::StoreError;

/// A SHA-256 as 64 lower-case hex digits: the only names that become paths
/// in a store, so none can reach outside it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ObjectId(String);

impl ObjectId {
    /// Checks `text`.
    ///
    /// # Errors
    /// [`StoreError::BadId`] unless it is 64 lower-case hex digits.
    pub fn parse(text: &str) -> Result<ObjectId, StoreError> {
        if is_object_id(text) {
            Ok(ObjectId(text.to_owned()))
        } else {
            Err(StoreError::BadId(text.chars().take(80).collect()))
        }
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name of the object's marker, `<sha256>.ok`.
    pub(crate) fn marker_name(&self) -> String {
        format!("{}.ok", self.0)
    }
}

impl FromStr for ObjectId {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObjectId::parse(s)
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `text` is 64 lower-case hex digits.
pub(crate) fn is_object_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lower_case_sha256_names() {
        let good = "ab".repeat(32);
        assert_eq!(ObjectId::parse(&good).unwrap().as_str(), good);
        assert_eq!(
            ObjectId::parse(&good).unwrap().marker_name(),
            format!("{good}.ok")
        );
        for bad in [
            String::new(),
            "AB".repeat(32),
            "ab".repeat(31),
            "ab".repeat(33),
            format!("../{}", "a".repeat(61)),
            format!("{}/x", "a".repeat(62)),
            "g".repeat(64),
        ] {
            let e = ObjectId::parse(&bad).unwrap_err();
            assert!(matches!(e, StoreError::BadId(_)), "{bad}: {e}");
            assert!(e.to_string().contains("64 lower-case hex digits"), "{e}");
        }
    }
}
