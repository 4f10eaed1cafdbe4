//! The job on stdin: one line, read up to its newline (or the end of the
//! input) and no further, so the controller may keep stdin open, and never
//! more than a bounded number of bytes.

use std::io::{self, BufRead};

/// Most bytes of a job line: 16 MiB, far above any real job.
pub const JOB_LINE_LIMIT: usize = 16 << 20;

/// Why no job could be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobInputError {
    /// More than the limit arrived without a newline.
    #[error(
        "the job on stdin is longer than the limit of {limit} bytes ({} MiB) without a newline",
        limit >> 20
    )]
    TooLong {
        /// The limit, bytes.
        limit: usize,
    },
    /// Reading stdin failed.
    #[error("cannot read the job on stdin: {0}")]
    Read(#[source] io::Error),
    /// The line is not UTF-8.
    #[error("the job on stdin is not UTF-8: {0}")]
    NotUtf8(#[source] std::string::FromUtf8Error),
}

/// Reads one line from `input`: the bytes up to the first `\n` (consumed,
/// not returned) or the end of the input, at most `limit` of them.
///
/// # Errors
/// [`JobInputError::TooLong`] as soon as more than `limit` bytes arrive
/// without a newline; [`JobInputError::Read`] or
/// [`JobInputError::NotUtf8`].
pub fn read_job_line(input: &mut impl BufRead, limit: usize) -> Result<String, JobInputError> {
    let mut line = Vec::new();
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(JobInputError::Read(e)),
        };
        if buf.is_empty() {
            break;
        }
        let newline = buf.iter().position(|&b| b == b'\n');
        let take = newline.unwrap_or(buf.len());
        if line.len() + take > limit {
            return Err(JobInputError::TooLong { limit });
        }
        line.extend_from_slice(&buf[..take]);
        input.consume(take + usize::from(newline.is_some()));
        if newline.is_some() {
            break;
        }
    }
    String::from_utf8(line).map_err(JobInputError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Read};

    #[test]
    fn one_line_then_the_rest_stays_unread() {
        let mut input = BufReader::with_capacity(4, &b"{\"a\": 1}\nmore\n"[..]);
        assert_eq!(read_job_line(&mut input, 100).unwrap(), "{\"a\": 1}");
        let mut rest = String::new();
        input.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "more\n");
    }

    #[test]
    fn the_end_of_input_ends_the_line() {
        assert_eq!(read_job_line(&mut &b"{}"[..], 100).unwrap(), "{}");
        assert_eq!(read_job_line(&mut &b""[..], 100).unwrap(), "");
        assert_eq!(read_job_line(&mut &b"12345\n"[..], 5).unwrap(), "12345");
    }

    #[test]
    fn too_long_a_line_stops_reading() {
        let e = read_job_line(&mut &b"123456"[..], 5).unwrap_err();
        assert!(matches!(e, JobInputError::TooLong { limit: 5 }), "{e}");
        // An endless input without a newline ends at the limit.
        let mut endless = BufReader::new(io::repeat(b'x'));
        let e = read_job_line(&mut endless, JOB_LINE_LIMIT).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the job on stdin is longer than the limit of 16777216 bytes (16 MiB) without a newline"
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_is_refused() {
        let e = read_job_line(&mut &b"\xff\xfe\n"[..], 100).unwrap_err();
        assert!(matches!(e, JobInputError::NotUtf8(_)), "{e}");
    }
}
