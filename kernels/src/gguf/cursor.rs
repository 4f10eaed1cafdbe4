//! A bounds-checked little-endian cursor over the input bytes. Every read
//! checks the bytes left first; every length is checked before allocating.

use super::GgufError;

/// Reads little-endian fields from a byte slice, tracking the offset.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    /// The current offset from the start of the input.
    pub(crate) fn pos(&self) -> u64 {
        self.pos as u64
    }

    /// Bytes left after the current offset.
    pub(crate) fn remaining(&self) -> u64 {
        (self.buf.len() - self.pos) as u64
    }

    /// Takes the next `n` bytes.
    pub(crate) fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], GgufError> {
        let available = self.remaining();
        if n > available {
            return Err(GgufError::Truncated {
                what,
                offset: self.pos(),
                needed: n,
                available,
            });
        }
        // n <= remaining <= usize::MAX, so the conversion is exact.
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.buf[start..self.pos])
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], GgufError> {
        let bytes = self.take(N as u64, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Reads a `u8`.
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, GgufError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// Reads a little-endian `u16`.
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, GgufError> {
        self.array(what).map(u16::from_le_bytes)
    }

    /// Reads a little-endian `u32`.
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, GgufError> {
        self.array(what).map(u32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, GgufError> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// Reads a length-prefixed UTF-8 string.
    pub(crate) fn string(&mut self, what: &'static str) -> Result<String, GgufError> {
        let offset = self.pos();
        let length = self.u64(what)?;
        let remaining = self.remaining();
        if length > remaining {
            return Err(GgufError::AbsurdLength {
                what,
                length,
                offset,
                remaining,
            });
        }
        let at = self.pos();
        let bytes = self.take(length, what)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| GgufError::InvalidUtf8 { what, offset: at })
    }

    /// Reads an element count for items of at least `min_size` bytes each and
    /// checks the rest of the input could hold that many; returns it as usize.
    pub(crate) fn count(&mut self, what: &'static str, min_size: u64) -> Result<usize, GgufError> {
        let offset = self.pos();
        let count = self.u64(what)?;
        let remaining = self.remaining();
        match count.checked_mul(min_size.max(1)) {
            Some(bytes) if bytes <= remaining => Ok(count as usize),
            _ => Err(GgufError::AbsurdCount {
                what,
                count,
                offset,
                remaining,
            }),
        }
    }
}
