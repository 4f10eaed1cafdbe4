//! UTC wall-clock times as text, without a date-time dependency: RFC 3339
//! for humans and databases, and a compact form for run ids. Both sort
//! lexicographically in time order.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC instant with millisecond resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcTime {
    /// Milliseconds since the Unix epoch.
    pub unix_ms: i64,
}

impl UtcTime {
    /// The current time.
    pub fn now() -> Self {
        Self::from_system(SystemTime::now())
    }

    /// The instant `t` (e.g. a file's modification time).
    pub fn from_system(t: SystemTime) -> Self {
        let unix_ms = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            // A clock before 1970: negative milliseconds.
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        };
        UtcTime { unix_ms }
    }

    /// `2026-01-31T12:00:00.000Z`.
    pub fn rfc3339(self) -> String {
        let (y, mo, d, h, mi, s, ms) = self.fields();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }

    /// `20260131T120000.000Z`: the time part of a run id.
    pub fn compact(self) -> String {
        let (y, mo, d, h, mi, s, ms) = self.fields();
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}.{ms:03}Z")
    }

    fn fields(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let ms = self.unix_ms.rem_euclid(1000) as u32;
        let secs = self.unix_ms.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400) as u32;
        let (y, mo, d) = civil_from_days(days);
        (y, mo, d, tod / 3600, tod / 60 % 60, tod % 60, ms)
    }
}

/// Year, month (1–12) and day (1–31) of the proleptic Gregorian calendar
/// `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(UtcTime { unix_ms: 0 }.rfc3339(), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (leap day of a century leap year) 12:34:56.789.
        let t = UtcTime {
            unix_ms: 951_827_696_789,
        };
        assert_eq!(t.rfc3339(), "2000-02-29T12:34:56.789Z");
        assert_eq!(t.compact(), "20000229T123456.789Z");
        // 2100-03-01: 2100 is not a leap year.
        let t = UtcTime {
            unix_ms: 4_107_542_400_000,
        };
        assert_eq!(t.rfc3339(), "2100-03-01T00:00:00.000Z");
        assert_eq!(
            UtcTime { unix_ms: -1 }.rfc3339(),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn text_sorts_like_time() {
        let times = [0i64, 999, 1000, 86_399_999, 86_400_000, 951_827_696_789];
        for w in times.windows(2) {
            let (a, b) = (UtcTime { unix_ms: w[0] }, UtcTime { unix_ms: w[1] });
            assert!(a.compact() < b.compact() && a.rfc3339() < b.rfc3339());
        }
    }
}
