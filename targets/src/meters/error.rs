//! The error type of the meters.

use std::path::PathBuf;

use super::MeterKind;

/// Everything that can go wrong setting up or reading a meter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeterError {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file held something other than what its format says.
    #[error("{}: {detail}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The meter cannot work on this device.
    #[error("{kind}: {reason}")]
    Unavailable {
        /// The meter.
        kind: MeterKind,
        /// Why not.
        reason: String,
    },
    /// The meter configuration is invalid.
    #[error("invalid meter configuration: {0}")]
    Config(String),
    /// An I2C transfer failed.
    #[error("i2c: {0}")]
    I2c(#[from] super::ina219::I2cError),
    /// `start` was called twice, or `mark` before `start`.
    #[error("meter {0}")]
    State(&'static str),
}

impl MeterError {
    /// An [`MeterError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        MeterError::Io {
            path: path.into(),
            source,
        }
    }
}
