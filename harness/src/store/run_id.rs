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
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let ok = b.len() == TIME_LEN + 1 + SUFFIX_LEN
            && digits(0..8)
            && b[8] == b'T'
            && digits(9..15)
            && b[15] == b'.'
            && digits(16..19)
            && b[19] == b'Z'
            && b[20] == b'-'
            && b[21..]
                .iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c));
        if ok {
            Ok(RunId(text.to_owned()))
        } else {
            Err(StoreError::BadRunId {
                run_id: text.to_owned(),
            })
        }
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
}
