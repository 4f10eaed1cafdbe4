//! `perf_event_open(2)` in counting mode, through libc's `syscall`.
//!
//! The only unsafe code for perf events lives here: opening an event, reading
//! its count, and the enable/disable/reset ioctls. Everything else works on
//! [`PerfFd`], which owns the file descriptor.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `PERF_TYPE_HARDWARE`.
pub const TYPE_HARDWARE: u32 = 0;
/// `PERF_COUNT_HW_CPU_CYCLES`.
pub const HW_CPU_CYCLES: u64 = 0;
/// `PERF_COUNT_HW_INSTRUCTIONS`.
pub const HW_INSTRUCTIONS: u64 = 1;
/// `PERF_COUNT_HW_CACHE_MISSES`.
pub const HW_CACHE_MISSES: u64 = 3;

const FORMAT_TOTAL_TIME_ENABLED: u64 = 1 << 0;
const FORMAT_TOTAL_TIME_RUNNING: u64 = 1 << 1;
const FLAG_DISABLED: u64 = 1 << 0;
const FLAG_INHERIT: u64 = 1 << 1;
const FLAG_EXCLUDE_KERNEL: u64 = 1 << 5;
const FLAG_EXCLUDE_HV: u64 = 1 << 6;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
const IOC_ENABLE: libc::c_ulong = 0x2400;
const IOC_DISABLE: libc::c_ulong = 0x2401;

/// `struct perf_event_attr` up to `config1` (`PERF_ATTR_SIZE_VER0`, 64
/// bytes), which every kernel since 2.6.31 accepts.
#[repr(C)]
#[derive(Default)]
struct Attr {
    type_: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

const _: () = assert!(std::mem::size_of::<Attr>() == 64);

/// What to count and where.
#[derive(Clone, Copy, Debug)]
pub struct EventSpec {
    /// `perf_event_attr.type`.
    pub type_: u32,
    /// `perf_event_attr.config`.
    pub config: u64,
    /// `pid` argument: 0 for this process, -1 for every process on `cpu`.
    pub pid: i32,
    /// `cpu` argument: -1 for any CPU.
    pub cpu: i32,
    /// Count in children created after opening (this process' threads).
    pub inherit: bool,
    /// Count user space only (what `perf_event_paranoid` 2 allows).
    pub user_only: bool,
    /// Open disabled (start with [`PerfFd::enable`]).
    pub disabled: bool,
}

/// An open perf event counting into a file descriptor.
#[derive(Debug)]
pub struct PerfFd(OwnedFd);

/// One reading of a counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    /// Raw count.
    pub value: u64,
    /// Nanoseconds the event was enabled.
    pub time_enabled_ns: u64,
    /// Nanoseconds the event was on the PMU (less when multiplexed).
    pub time_running_ns: u64,
}

/// Opens an event; the error is the errno.
pub fn open(spec: &EventSpec) -> Result<PerfFd, i32> {
    let mut flags = 0;
    if spec.disabled {
        flags |= FLAG_DISABLED;
    }
    if spec.inherit {
        flags |= FLAG_INHERIT;
    }
    if spec.user_only {
        flags |= FLAG_EXCLUDE_KERNEL | FLAG_EXCLUDE_HV;
    }
    let attr = Attr {
        type_: spec.type_,
        size: std::mem::size_of::<Attr>() as u32,
        config: spec.config,
        read_format: FORMAT_TOTAL_TIME_ENABLED | FORMAT_TOTAL_TIME_RUNNING,
        flags,
        ..Attr::default()
    };
    // SAFETY: `attr` is a valid, initialised perf_event_attr of the size it
    // declares and lives across the call; the other arguments are plain
    // integers. The kernel only reads `attr`.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const Attr,
            spec.pid as libc::pid_t,
            spec.cpu as libc::c_int,
            -1 as libc::c_int,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if ret < 0 {
        return Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL));
    }
    let Ok(fd) = libc::c_int::try_from(ret) else {
        return Err(libc::EBADF);
    };
    // SAFETY: the syscall succeeded, so `fd` is a new descriptor that
    // nothing else owns.
    Ok(PerfFd(unsafe { OwnedFd::from_raw_fd(fd) }))
}

impl PerfFd {
    /// Reads the count with its enabled/running times; the error is the
    /// errno.
    pub fn read(&self) -> Result<Reading, i32> {
        let mut buf = [0u64; 3];
        // SAFETY: `buf` is 24 writable bytes owned by this frame, and the fd
        // is open for as long as `self` lives.
        let n = unsafe {
            libc::read(
                self.0.as_raw_fd(),
                buf.as_mut_ptr().cast::<libc::c_void>(),
                std::mem::size_of_val(&buf),
            )
        };
        if n < 0 {
            return Err(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO));
        }
        if n as usize != std::mem::size_of_val(&buf) {
            return Err(libc::EIO);
        }
        Ok(Reading {
            value: buf[0],
            time_enabled_ns: buf[1],
            time_running_ns: buf[2],
        })
    }

    fn ioctl(&self, request: libc::c_ulong) -> Result<(), i32> {
        // SAFETY: the perf ioctls used here take no pointer argument; the fd
        // is open for as long as `self` lives.
        let ret = unsafe { libc::ioctl(self.0.as_raw_fd(), request as _, 0) };
        if ret < 0 {
            return Err(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO));
        }
        Ok(())
    }

    /// Starts counting (`PERF_EVENT_IOC_ENABLE`).
    pub fn enable(&self) -> Result<(), i32> {
        self.ioctl(IOC_ENABLE)
    }

    /// Stops counting (`PERF_EVENT_IOC_DISABLE`).
    pub fn disable(&self) -> Result<(), i32> {
        self.ioctl(IOC_DISABLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The software task clock exists wherever perf events do (also in VMs
    /// without a PMU), so it checks the attribute layout, the read format
    /// and the ioctls; under emulation without the syscall it is skipped.
    #[test]
    fn software_task_clock_counts() {
        let spec = EventSpec {
            type_: 1,  // PERF_TYPE_SOFTWARE
            config: 1, // PERF_COUNT_SW_TASK_CLOCK
            pid: 0,
            cpu: -1,
            inherit: false,
            user_only: true,
            disabled: true,
        };
        let Ok(fd) = open(&spec) else { return };
        assert_eq!(fd.read().unwrap().value, 0, "opened disabled");
        fd.enable().unwrap();
        let mut x = 1u64;
        for i in 0..2_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
        fd.disable().unwrap();
        let r = fd.read().unwrap();
        assert!(r.value > 0 && r.time_enabled_ns > 0, "{r:?}");
        assert_eq!(fd.read().unwrap().value, r.value, "disabled counters stay");
    }
}
