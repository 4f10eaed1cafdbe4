//! [`Hosts`]: the host field of a known_hosts line and whether a name
//! matches it, as OpenSSH's `match_hostname()` and hashed names decide.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The start of a hashed host field: `|1|base64(salt)|base64(hmac)`.
const HASH_MAGIC: &str = "|1|";
/// The length of the salt and of the HMAC-SHA1 in a hashed host field.
const SHA1_LEN: usize = 20;

/// The host field of a known_hosts line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Hosts {
    /// Comma-separated patterns, each maybe with `*`, `?` and a leading `!`.
    Patterns(String),
    /// One name hidden as HMAC-SHA1(salt, name) (`ssh-keygen -H`).
    Hashed {
        /// The HMAC key.
        salt: Vec<u8>,
        /// HMAC-SHA1(salt, name).
        mac: Vec<u8>,
    },
}

impl Hosts {
    /// Reads a host field, or says why it is unusable.
    pub(super) fn parse(field: &str) -> Result<Hosts, String> {
        let Some(hashed) = field.strip_prefix('|') else {
            return Ok(Hosts::Patterns(field.to_ascii_lowercase()));
        };
        let Some((salt, mac)) = field
            .strip_prefix(HASH_MAGIC)
            .and_then(|rest| rest.split_once('|'))
        else {
            return Err(format!(
                "hashed host name `|{hashed}` does not have the form |1|salt|hash"
            ));
        };
        let decode = |what: &str, text: &str| match STANDARD.decode(text) {
            Ok(bytes) if bytes.len() == SHA1_LEN => Ok(bytes),
            _ => Err(format!(
                "the {what} of a hashed host name is not base64 of {SHA1_LEN} bytes"
            )),
        };
        Ok(Hosts::Hashed {
            salt: decode("salt", salt)?,
            mac: decode("hash", mac)?,
        })
    }

    /// Whether `name` (a host as [`entry_name`](super::entry_name) writes
    /// it, in lower case) matches: a hashed name equals it, or a pattern
    /// matches it and no negated pattern does.
    pub(super) fn matches(&self, name: &str) -> bool {
        match self {
            Hosts::Patterns(list) => match_pattern_list(name, list),
            Hosts::Hashed { salt, mac } => {
                // A 20-byte key is always accepted by HMAC.
                let Ok(mut hmac) = Hmac::<Sha1>::new_from_slice(salt) else {
                    return false;
                };
                hmac.update(name.as_bytes());
                hmac.verify_slice(mac).is_ok()
            }
        }
    }
}

/// OpenSSH's `match_pattern_list()` with lower-casing, as a yes/no: some
/// pattern of the comma list matches `name`, and no `!`-negated one does.
fn match_pattern_list(name: &str, list: &str) -> bool {
    let mut positive = false;
    for pattern in list.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        if wildcard_match(name.as_bytes(), pattern.as_bytes()) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// Whether all of `text` matches `pattern`, where `*` stands for any run of
/// bytes and `?` for any one byte; ASCII case is ignored. Linear in the
/// product of the lengths at worst (backtracks only to the last `*`).
pub(super) fn wildcard_match(text: &[u8], pattern: &[u8]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"pi-07.lab", b"pi-07.lab"));
        assert!(wildcard_match(b"pi-07.lab", b"PI-07.LAB"));
        assert!(wildcard_match(b"pi-07.lab", b"pi-*.lab"));
        assert!(wildcard_match(b"pi-07.lab", b"pi-0?.lab"));
        assert!(wildcard_match(b"pi-07.lab", b"*"));
        assert!(wildcard_match(b"", b"*"));
        assert!(wildcard_match(b"[10.0.0.7]:2222", b"[10.0.0.*]:2222"));
        assert!(wildcard_match(b"aaa", b"*a*a*a*"));
        assert!(!wildcard_match(b"pi-07.lab", b"pi-?.lab"));
        assert!(!wildcard_match(b"pi-07.lab", b"pi-07"));
        assert!(!wildcard_match(b"pi", b"pi-07"));
        assert!(!wildcard_match(b"aa", b"*a*a*a*"));
        assert!(!wildcard_match(b"[10.0.0.7]:2222", b"10.0.0.7"));
        let long = vec![b'a'; 4096];
        assert!(!wildcard_match(&long, b"*a*a*a*a*a*a*a*b"));
    }

    #[test]
    fn pattern_lists_with_negation() {
        let hosts = Hosts::parse("pi-*,!pi-13,jetson-??").unwrap();
        assert!(hosts.matches("pi-07"));
        assert!(!hosts.matches("pi-13"));
        assert!(hosts.matches("jetson-01"));
        assert!(!hosts.matches("jetson-001"));
        // A negation alone matches nothing.
        assert!(!Hosts::parse("!pi-13").unwrap().matches("pi-07"));
        // Patterns are lower-cased like the names they are matched with.
        assert!(Hosts::parse("PI-07").unwrap().matches("pi-07"));
    }

    #[test]
    fn hashed_names_from_ssh_keygen() {
        // From `ssh-keygen -H` (see `fixtures::HASHED`).
        let plain =
            Hosts::parse("|1|4x934GS+9zN6WdR0v47EbWG/0+0=|K4M9v+wm6s6Vlir+OwYclsIr4IM=").unwrap();
        assert!(plain.matches("pi-07.lab"));
        assert!(!plain.matches("pi-08.lab"));
        let port =
            Hosts::parse("|1|Lc+2hSOQBOl2f3c7VSdgKB5ouZA=|CYSpxpuQdx9rwljo+BFozKciQ8I=").unwrap();
        assert!(port.matches("[10.0.0.7]:2222"));
        assert!(!port.matches("10.0.0.7"));
    }

    #[test]
    fn malformed_hashes_are_refused() {
        for field in [
            "|2|4x934GS+9zN6WdR0v47EbWG/0+0=|K4M9v+wm6s6Vlir+OwYclsIr4IM=",
            "|1|4x934GS+9zN6WdR0v47EbWG/0+0=",
            "|1|4x934GS+9zN6WdR0v47EbWG/0+0=|%%%",
            "|1|YWJj|K4M9v+wm6s6Vlir+OwYclsIr4IM=",
            "|",
        ] {
            assert!(Hosts::parse(field).is_err(), "{field}");
        }
    }
}
