//! [`RunId`]: `20260131T120000.000Z-1a2b3c`, the UTC start time to the
//! millisecond and six hex digits of a per-process random hash. Ids sort
//! lexicographically in start order; within one process they are strictly
//! increasing even when two runs start in the same millisecond.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;

use super::StoreError;
use super::clock::UtcTime;

/// Length of the time part, `YYYYMMDDTHHMMSS.mmmZ`.
const TIME_LEN: usize = 20;
/// Hex digits of the suffix.
const SUFFIX_LEN: usize = 6;

/// The id of one run, also the name of its directory under `runs/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(String);

/// The last time handed out by [`RunId::generate`] in this process.
static LAST_MS: Mutex<i64> = Mutex::new(i64::MIN);

impl RunId {
    /// A new id for a run starting now, and the start time it encodes.
    pub fn generate() -> (RunId, UtcTime) {
        let mut now = UtcTime::now();
        {
            // A poisoned lock only means another thread panicked while
            // holding a plain integer: the value is still usable.
            let mut last = LAST_MS.lock().unwrap_or_else(|p| p.into_inner());
            if now.unix_ms <= *last {
                now.unix_ms = *last + 1;
            }
            *last = now.unix_ms;
        }
        let mut h = RandomState::new().build_hasher();
        h.write_i64(now.unix_ms);
        h.write_u32(std::process::id());
        let suffix = h.finish() & ((1 << (4 * SUFFIX_LEN)) - 1);
        (RunId(format!("{}-{suffix:06x}", now.compact())), now)
    }

    /// Checks that `text` has the form of a run id (which also keeps it a
    /// plain directory name: no separators, no `..`).
    ///
    /// # Errors
    /// [`StoreError::BadRunId`] otherwise.
    pub fn parse(text: &str) -> Result<RunId, StoreError> {
        if text.len() == TIME_LEN + 1 + SUFFIX_LEN && RunId::has_prefix_form(text) {
            Ok(RunId(text.to_owned()))
        } else {
            Err(StoreError::BadRunId {
                run_id: text.to_owned(),
            })
        }
    }

    /// Whether `text` is the start of something of the form of a run id
    /// (each character of the kind a run id has there; the empty text and
    /// a whole run id included).
    pub fn has_prefix_form(text: &str) -> bool {
        text.len() <= TIME_LEN + 1 + SUFFIX_LEN
            && text.bytes().enumerate().all(|(i, c)| match i {
                8 => c == b'T',
                15 => c == b'.',
                19 => c == b'Z',
                20 => c == b'-',
                21.. => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
                _ => c.is_ascii_digit(),
            })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_increase() {
        let ids: Vec<RunId> = (0..50).map(|_| RunId::generate().0).collect();
        for w in ids.windows(2) {
            assert!(w[0] < w[1], "{} !< {}", w[0], w[1]);
        }
        for id in &ids {
            assert_eq!(&RunId::parse(id.as_str()).unwrap(), id);
        }
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "latest",
            "../20260101T120000.000Z-1a2b3c",
            "20260101T120000.000Z-1a2b3",
            "20260101T120000.000Z-1A2B3C",
            "20260101T120000.000Z/1a2b3c",
            "2026010XT120000.000Z-1a2b3c",
        ] {
            assert!(RunId::parse(bad).is_err(), "{bad}");
        }
        assert!(RunId::parse("20260101T120000.000Z-1a2b3c").is_ok());
    }

    #[test]
    fn prefix_forms() {
        for yes in ["", "2", "202601", "20260101T12", "20260101T120000.000Z-1a"] {
            assert!(RunId::has_prefix_form(yes), "{yes}");
        }
        for no in [
            "nightly",
            "2026-01",
            "20260101-",
            "20260101T120000.000Z-1A",
            "20260101T120000.000Z-1a2b3c4",
        ] {
            assert!(!RunId::has_prefix_form(no), "{no}");
        }
    }
}
