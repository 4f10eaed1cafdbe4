//! Fake devices for the SSH tests: each is a real OpenSSH `sshd` on its own
//! loopback address (all of 127.0.0.0/8 is loopback on Linux) with its own
//! host key, or, for jump-host tests, in its own network namespace.
//!
//! A [`Lab`] holds the client key, `known_hosts` and an `ssh_config` in a
//! temporary directory; [`Lab::device`] starts a [`FakeDevice`], whose
//! faults are [`FakeDevice::kill`], [`FakeDevice::stop`] and
//! [`FakeDevice::regenerate_host_key`]. [`NetnsLab`] puts a controller
//! namespace, a jump host and a device behind it on separate links.
//!
//! Each listener is the subreaper of what it starts, so a command that
//! outlives its session stays below it, and a fault or drop reaches it.
//!
//! Devices log in as the current user. As root, `/run/sshd` (the
//! privilege-separation directory a systemd unit would create) is made
//! here. Processes and directories left by an earlier run that crashed are
//! removed when the first lab of a run is made.

#![allow(dead_code)]

mod device;
mod netns;
pub mod procs;
pub mod run;

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;

pub use device::FakeDevice;
#[allow(unused_imports)]
pub use netns::NetnsLab;
#[allow(unused_imports)]
pub use run::run_bounded;

/// The OpenSSH server, by absolute path as it requires.
pub const SSHD: &str = "/usr/sbin/sshd";

/// The prefix of lab directories, followed by the process id.
const LAB_PREFIX: &str = "edgebench-ssh-";

/// A temporary directory with a client key pair, a `known_hosts` file and
/// an `ssh_config`, in which fake devices are started.
pub struct Lab {
    dir: tempfile::TempDir,
    user: String,
}

impl Lab {
    /// Makes the lab: an ed25519 client key without passphrase (also the
    /// devices' `authorized_keys`), an empty `known_hosts`, and an
    /// `ssh_config` that uses both for every host.
    pub fn new() -> Lab {
        static STALE: Once = Once::new();
        STALE.call_once(remove_stale_labs);
        ensure_privsep_dir();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{LAB_PREFIX}{}-", std::process::id()))
            .tempdir()
            .expect("create the lab directory");
        let out = Command::new("id")
            .arg("-un")
            .output()
            .expect("run `id -un`");
        assert!(out.status.success(), "`id -un` failed");
        let user = String::from_utf8(out.stdout)
            .expect("user names are UTF-8 here")
            .trim()
            .to_owned();
        let lab = Lab { dir, user };
        keygen(&lab.client_key(), "edgebench-lab");
        fs::copy(
            lab.client_key().with_extension("pub"),
            lab.authorized_keys(),
        )
        .expect("write authorized_keys");
        fs::write(lab.known_hosts(), "").expect("create known_hosts");
        fs::create_dir(lab.dir().join("devices")).expect("create the devices directory");
        let config = format!(
            "Host *\n  User {}\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {}\n  \
             GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n  \
             UpdateHostKeys no\n",
            lab.user,
            lab.client_key().display(),
            lab.known_hosts().display()
        );
        fs::write(lab.ssh_config(), config).expect("write ssh_config");
        lab
    }

    /// The lab's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The user the devices log in as (the current one).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The client's private key; the public one is beside it (`.pub`).
    pub fn client_key(&self) -> PathBuf {
        self.dir().join("id_ed25519")
    }

    /// The client's `known_hosts`: empty until [`Lab::trust`].
    pub fn known_hosts(&self) -> PathBuf {
        self.dir().join("known_hosts")
    }

    /// An `ssh_config` for `ssh -F`: the lab's key, `known_hosts`, strict
    /// host key checking and batch mode for every host. Unlike options on
    /// the command line, a config file also reaches the `ssh` that
    /// `ProxyJump` starts. [`Lab::add_host`] adds aliases.
    pub fn ssh_config(&self) -> PathBuf {
        self.dir().join("ssh_config")
    }

    fn authorized_keys(&self) -> PathBuf {
        self.dir().join("authorized_keys")
    }

    /// Adds `Host <alias>` for `device` to [`Lab::ssh_config`], so that
    /// `ssh -F <config> <alias>` reaches it.
    pub fn add_host(&self, alias: &str, device: &FakeDevice) {
        append(
            &self.ssh_config(),
            &format!(
                "Host {alias}\n  HostName {}\n  Port {}\n",
                device.addr(),
                device.port()
            ),
        );
    }

    /// Starts a device listening on `addr` (any 127.x.y.z) and a free port,
    /// and waits until it accepts connections.
    pub fn device(&self, name: &str, addr: Ipv4Addr) -> FakeDevice {
        let mut device = self.launch(name, addr, free_port(addr), None);
        device.wait_ready();
        device
    }

    /// Starts `n` devices named `dev00`, `dev01`, … on consecutive
    /// addresses from `first`, several at a time, and waits for all.
    pub fn devices(&self, n: usize, first: Ipv4Addr) -> Vec<FakeDevice> {
        let base = u32::from(first);
        let specs: Vec<(String, Ipv4Addr)> = (0..n)
            .map(|i| {
                let offset = u32::try_from(i).expect("device count fits in u32");
                let addr = base.checked_add(offset).expect("addresses do not overflow");
                (format!("dev{i:02}"), Ipv4Addr::from(addr))
            })
            .collect();
        let per_worker = n.div_ceil(8).max(1);
        let mut devices: Vec<FakeDevice> = std::thread::scope(|s| {
            let workers: Vec<_> = specs
                .chunks(per_worker)
                .map(|chunk| {
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|(name, addr)| self.launch(name, *addr, free_port(*addr), None))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        for d in &mut devices {
            d.wait_ready();
        }
        devices
    }

    /// Writes a device's files and starts its `sshd`, without waiting.
    fn launch(&self, name: &str, addr: Ipv4Addr, port: u16, netns: Option<&str>) -> FakeDevice {
        FakeDevice::launch(device::Spec {
            name,
            addr,
            port,
            dir: self.dir().join("devices").join(name),
            authorized_keys: &self.authorized_keys(),
            netns,
        })
    }

    /// Appends the device's current host key to [`Lab::known_hosts`].
    pub fn trust(&self, device: &FakeDevice) {
        append(
            &self.known_hosts(),
            &format!("{}\n", device.known_hosts_line()),
        );
    }

    /// Removes every `known_hosts` line for the device's address and port.
    pub fn forget(&self, device: &FakeDevice) {
        let pattern = device.host_pattern();
        let text = fs::read_to_string(self.known_hosts()).expect("read known_hosts");
        let kept: String = text
            .lines()
            .filter(|l| l.split_whitespace().next() != Some(pattern.as_str()))
            .map(|l| format!("{l}\n"))
            .collect();
        fs::write(self.known_hosts(), kept).expect("rewrite known_hosts");
    }

    /// Arguments for the system `ssh` to log in to `device`: `-F none`, the
    /// lab's key and `known_hosts`, strict host key checking, batch mode,
    /// then `extra` options, then `-p <port> <user>@<addr>`. Append the
    /// remote command.
    pub fn ssh_args(&self, device: &FakeDevice, extra: &[&str]) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-F".into(), "none".into(), "-i".into()];
        args.push(self.client_key().into());
        for option in [
            format!("UserKnownHostsFile={}", self.known_hosts().display()),
            "GlobalKnownHostsFile=/dev/null".to_owned(),
            "StrictHostKeyChecking=yes".to_owned(),
            "BatchMode=yes".to_owned(),
            "IdentitiesOnly=yes".to_owned(),
        ] {
            args.push("-o".into());
            args.push(option.into());
        }
        args.extend(extra.iter().map(OsString::from));
        args.extend(self.destination(device));
        args
    }

    /// Arguments for the system `ssh` to log in to `device` through `jump`
    /// (`ProxyJump`), using [`Lab::ssh_config`]: `-F <config>`, `extra`,
    /// `-J <user>@<jump>:<port> -p <port> <user>@<addr>`.
    pub fn ssh_args_via(
        &self,
        jump: &FakeDevice,
        device: &FakeDevice,
        extra: &[&str],
    ) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-F".into(), self.ssh_config().into()];
        args.extend(extra.iter().map(OsString::from));
        args.push("-J".into());
        args.push(format!("{}@{}:{}", self.user, jump.addr(), jump.port()).into());
        args.extend(self.destination(device));
        args
    }

    fn destination(&self, device: &FakeDevice) -> [OsString; 3] {
        [
            "-p".into(),
            device.port().to_string().into(),
            format!("{}@{}", self.user, device.addr()).into(),
        ]
    }

    /// The system `ssh` with [`Lab::ssh_args`] and no extra options.
    pub fn ssh_command(&self, device: &FakeDevice) -> Command {
        self.ssh_command_with(device, &[])
    }

    /// The system `ssh` with [`Lab::ssh_args`]; `extra` options come first
    /// and so win (`ssh` keeps the first value of an option).
    pub fn ssh_command_with(&self, device: &FakeDevice, extra: &[&str]) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.args(self.ssh_args(device, extra));
        cmd
    }
}

/// `ssh-keygen -q -t ed25519 -N '' -C <comment> -f <path>`.
fn keygen(path: &Path, comment: &str) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run ssh-keygen (is openssh-client installed?): {e}"));
    assert!(
        out.status.success(),
        "ssh-keygen for {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap_or_else(|e| panic!("append to {}: {e}", path.display()));
}

/// A port on `addr` that nothing listens on now.
fn free_port(addr: Ipv4Addr) -> u16 {
    TcpListener::bind((addr, 0))
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("find a free port on {addr} (not a local address?): {e}"))
        .port()
}

/// Whether this process runs with effective uid 0.
pub fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let uids = s.lines().find_map(|l| l.strip_prefix("Uid:"))?.to_owned();
            Some(uids.split_whitespace().nth(1)? == "0")
        })
        .unwrap_or(false)
}

/// `/run/sshd`, mode 0755: `sshd` run as root refuses to start without it.
fn ensure_privsep_dir() {
    if !is_root() {
        return;
    }
    let dir = Path::new("/run/sshd");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .expect("create /run/sshd");
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).expect("chmod 0755 /run/sshd");
}

/// The process id in a name `<prefix><pid>-…` or `<prefix><pid>`.
fn owner_pid(name: &str, prefix: &str) -> Option<u32> {
    let rest = name.strip_prefix(prefix)?;
    rest.split('-').next()?.parse().ok()
}

/// Whether `pid` is another process that has exited.
fn is_dead_other(pid: u32) -> bool {
    pid != std::process::id() && !procs::alive(pid)
}

/// Kills the `sshd`s of labs whose process is gone (a run that crashed
/// before its devices were dropped), and removes their directories.
fn remove_stale_labs() {
    let tmp = std::env::temp_dir();
    // A listener's title: `sshd: /usr/sbin/sshd -D -f <lab>/devices/… [listener] …`.
    let needle = format!("{}/", tmp.display());
    for pid in procs::all() {
        let title = procs::cmdline(pid).join(" ");
        if !title.contains("sshd") {
            continue;
        }
        let stale = title
            .match_indices(&needle)
            .filter_map(|(i, _)| owner_pid(&title[i + needle.len()..], LAB_PREFIX))
            .any(is_dead_other);
        if stale {
            procs::kill_tree(pid);
        }
    }
    let Ok(entries) = fs::read_dir(&tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name
            .to_str()
            .and_then(|n| owner_pid(n, LAB_PREFIX))
            .is_some_and(is_dead_other)
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
