//! `/dev/i2c-N` through the i2c-dev interface.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use super::{I2cBus, I2cError};

/// `I2C_SLAVE` from `<linux/i2c-dev.h>`: the address for later reads and
/// writes.
const I2C_SLAVE: libc::c_ulong = 0x0703;

/// An I2C adapter opened for one device address.
#[derive(Debug)]
pub struct LinuxI2c {
    path: PathBuf,
    file: File,
}

impl LinuxI2c {
    /// Opens `/dev/i2c-<bus>` and selects `address` (7-bit).
    pub fn open(bus: u32, address: u16) -> Result<Self, I2cError> {
        let path = PathBuf::from(format!("/dev/i2c-{bus}"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|source| I2cError::Io {
                what: path.display().to_string(),
                source,
            })?;
        // SAFETY: I2C_SLAVE takes the address as an integer argument (no
        // pointer); the fd is open and owned by `file` for the whole call.
        let ret = unsafe {
            libc::ioctl(
                file.as_raw_fd(),
                I2C_SLAVE as _,
                libc::c_ulong::from(address),
            )
        };
        if ret < 0 {
            return Err(I2cError::Io {
                what: format!("{}: set address {address:#04x}", path.display()),
                source: std::io::Error::last_os_error(),
            });
        }
        Ok(LinuxI2c { path, file })
    }

    fn err(&self, what: &str, reg: u8, source: std::io::Error) -> I2cError {
        I2cError::Io {
            what: format!("{}: {what} register {reg:#04x}", self.path.display()),
            source,
        }
    }
}

impl I2cBus for LinuxI2c {
    fn write_u16(&mut self, reg: u8, value: u16) -> Result<(), I2cError> {
        let [hi, lo] = value.to_be_bytes();
        self.file
            .write_all(&[reg, hi, lo])
            .map_err(|e| self.err("write", reg, e))
    }

    fn read_u16(&mut self, reg: u8) -> Result<u16, I2cError> {
        self.file
            .write_all(&[reg])
            .map_err(|e| self.err("select", reg, e))?;
        let mut buf = [0u8; 2];
        self.file
            .read_exact(&mut buf)
            .map_err(|e| self.err("read", reg, e))?;
        Ok(u16::from_be_bytes(buf))
    }
}
