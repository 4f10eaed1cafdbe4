//! A jump host in network namespaces: the controller's namespace reaches
//! the jump host, only the jump host reaches the device.
//!
//! ```text
//! ebctl-<pid>-<k>  10.203.A.1 ── 10.203.A.2  ebjump-<pid>-<k>  10.203.B.1 ── 10.203.B.2  ebdev-<pid>-<k>
//!  (controller)                       (sshd, port 22)                          (sshd, port 22)
//! ```
//! The controller's namespace has no route to 10.203.B.0/24, and the jump
//! host does not forward, so a direct connection fails with "Network is
//! unreachable". Every address lives in namespaces made here.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{FakeDevice, Lab, SSHD, is_dead_other, is_root, owner_pid, procs};

/// Names of namespaces made here start with one of these, then
/// `<pid>-<k>`.
const PREFIXES: [&str; 4] = ["ebctl-", "ebjump-", "ebdev-", "ebprobe-"];

/// Tells namespaces made by one process apart.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// The environment variable that turns "skipped" into a failure.
pub const REQUIRE: &str = "EDGEBENCH_REQUIRE_NETNS";

/// Three namespaces: the controller's, a jump host's and a device's, each
/// with an `sshd` but the controller's. Dropping it kills the `sshd`s and
/// anything left running in the namespaces, then deletes them.
pub struct NetnsLab {
    // Fields drop in order: the devices before their namespaces.
    jump: FakeDevice,
    device: FakeDevice,
    ctl_addr: Ipv4Addr,
    spaces: Namespaces,
}

impl NetnsLab {
    /// Whether namespaces can be made here: root, `ip` and `sshd` present,
    /// and `ip netns add` and `ip netns exec` work. `Err` says why not.
    pub fn available() -> Result<(), String> {
        if !is_root() {
            return Err("not root".to_owned());
        }
        if !Path::new(SSHD).exists() {
            return Err(format!("{SSHD} is missing"));
        }
        let probe = Namespaces(vec![name("ebprobe-")]);
        ip(&["netns", "add", &probe.0[0]])?;
        ip(&["netns", "exec", &probe.0[0], "true"])
    }

    /// [`NetnsLab::new`] when namespaces are [`NetnsLab::available`];
    /// otherwise `None` after printing why, or a panic if the environment
    /// variable `EDGEBENCH_REQUIRE_NETNS=1` is set.
    pub fn new_or_skip(lab: &Lab) -> Option<NetnsLab> {
        match Self::available() {
            Ok(()) => Some(Self::new(lab)),
            Err(why) if std::env::var_os(REQUIRE).is_some_and(|v| v == "1") => {
                panic!("network namespaces unavailable and {REQUIRE}=1: {why}")
            }
            Err(why) => {
                eprintln!("skipped: network namespaces unavailable: {why}");
                None
            }
        }
    }

    /// Makes the namespaces and links and starts the jump host's and the
    /// device's `sshd` (port 22, the lab's client key), after deleting
    /// namespaces left by runs whose process is gone.
    pub fn new(lab: &Lab) -> NetnsLab {
        static STALE: Once = Once::new();
        STALE.call_once(remove_stale_namespaces);
        let k = NEXT.fetch_add(1, Ordering::Relaxed);
        let spaces = Namespaces(vec![name("ebctl-"), name("ebjump-"), name("ebdev-")]);
        let [ctl, jump, dev] = [&spaces.0[0], &spaces.0[1], &spaces.0[2]];
        for ns in [ctl, jump, dev] {
            ip_ok(&["netns", "add", ns]);
            ip_ok(&["-n", ns, "link", "set", "lo", "up"]);
        }
        // Third octets A (controller–jump) and B (jump–device), different
        // for each namespace set this process makes at a time.
        let slot = (std::process::id().wrapping_mul(7).wrapping_add(k) % 127) as u8;
        let (a, b) = (2 * slot, 2 * slot + 1);
        let at = |third: u8, host: u8| Ipv4Addr::new(10, 203, third, host);
        link(ctl, "to-jump", at(a, 1), jump, "to-ctl", at(a, 2));
        link(jump, "to-dev", at(b, 1), dev, "to-jump", at(b, 2));

        let mut jump_host = lab.launch(&format!("netns{k}-jump"), at(a, 2), 22, Some(jump));
        let mut device = lab.launch(&format!("netns{k}-device"), at(b, 2), 22, Some(dev));
        jump_host.wait_ready();
        device.wait_ready();
        NetnsLab {
            jump: jump_host,
            device,
            ctl_addr: at(a, 1),
            spaces,
        }
    }

    /// The controller's namespace.
    pub fn ctl_ns(&self) -> &str {
        &self.spaces.0[0]
    }

    /// The controller's address, on the link to the jump host.
    pub fn ctl_addr(&self) -> Ipv4Addr {
        self.ctl_addr
    }

    /// The jump host, reachable from the controller's namespace.
    pub fn jump(&self) -> &FakeDevice {
        &self.jump
    }

    /// The jump host, to apply faults to.
    pub fn jump_mut(&mut self) -> &mut FakeDevice {
        &mut self.jump
    }

    /// The device, reachable only from the jump host.
    pub fn device(&self) -> &FakeDevice {
        &self.device
    }

    /// The device, to apply faults to.
    pub fn device_mut(&mut self) -> &mut FakeDevice {
        &mut self.device
    }

    /// The names of the three namespaces: controller, jump host, device.
    pub fn namespaces(&self) -> &[String] {
        &self.spaces.0
    }

    /// `ip netns exec ebctl-… <program>`: append the program's arguments.
    pub fn command_in_ctl(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", self.ctl_ns(), program]);
        cmd
    }
}

/// Namespaces deleted on drop, after killing what still runs in them.
struct Namespaces(Vec<String>);

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in &self.0 {
            delete(ns);
        }
    }
}

/// `<prefix><pid>-<k>`.
fn name(prefix: &str) -> String {
    let k = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}-{k}", std::process::id())
}

/// A veth pair: `left_dev` in `left` with `left_ip`/24, `right_dev` in
/// `right` with `right_ip`/24, both up.
fn link(
    left: &str,
    left_dev: &str,
    left_ip: Ipv4Addr,
    right: &str,
    right_dev: &str,
    right_ip: Ipv4Addr,
) {
    ip_ok(&[
        "-n", left, "link", "add", left_dev, "type", "veth", "peer", "name", right_dev, "netns",
        right,
    ]);
    for (ns, dev, addr) in [(left, left_dev, left_ip), (right, right_dev, right_ip)] {
        ip_ok(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
        ip_ok(&["-n", ns, "link", "set", dev, "up"]);
    }
}

/// Runs `ip args`; `Err` holds its error output.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip` (is iproute2 installed?): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn ip_ok(args: &[&str]) {
    if let Err(e) = ip(args) {
        panic!("{e}");
    }
}

/// Kills every process in `ns` (and its descendants), then deletes it.
fn delete(ns: &str) {
    if !Path::new("/run/netns").join(ns).exists() {
        return;
    }
    if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
        for pid in String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
        {
            let _ = procs::wait_gone(&procs::kill_tree(pid));
        }
    }
    if let Err(e) = ip(&["netns", "del", ns]) {
        eprintln!("{e}");
    }
}

/// Deletes namespaces named by this rig whose process is gone.
fn remove_stale_namespaces() {
    let Ok(entries) = std::fs::read_dir("/run/netns") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(ns) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if PREFIXES
            .iter()
            .filter_map(|p| owner_pid(&ns, p))
            .any(is_dead_other)
        {
            delete(&ns);
        }
    }
}
