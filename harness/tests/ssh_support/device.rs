//! One fake device: a real OpenSSH `sshd` with its own address, port, host
//! key, log and work directory, and the faults a real device has.

use std::fs::{self, OpenOptions};
use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{SSHD, keygen, procs};

/// How long a starting `sshd` may take to listen.
const START_LIMIT: Duration = Duration::from_secs(10);

/// What a device is made from; see [`super::Lab::device`].
pub(super) struct Spec<'a> {
    pub name: &'a str,
    pub addr: Ipv4Addr,
    pub port: u16,
    /// `<lab>/devices/<name>`.
    pub dir: PathBuf,
    pub authorized_keys: &'a Path,
    /// The network namespace `sshd` runs in, if not this one.
    pub netns: Option<&'a str>,
}

/// A fake device: an `sshd` listening on `addr:port` that accepts the
/// lab's client key and logs in as the current user.
///
/// Dropping it kills the `sshd` and every process it started, sessions
/// included, even while the device is stopped.
pub struct FakeDevice {
    name: String,
    addr: Ipv4Addr,
    port: u16,
    dir: PathBuf,
    netns: Option<String>,
    /// The listener (or `ip netns exec`, which becomes it).
    child: Option<Child>,
}

impl FakeDevice {
    /// Writes the host key and `sshd_config`, checks the config with
    /// `sshd -t` and starts `sshd`, without waiting for it to listen.
    pub(super) fn launch(spec: Spec<'_>) -> FakeDevice {
        fs::create_dir(&spec.dir).unwrap_or_else(|e| {
            panic!(
                "create {} (device names are unique in a lab): {e}",
                spec.dir.display()
            )
        });
        let mut device = FakeDevice {
            name: spec.name.to_owned(),
            addr: spec.addr,
            port: spec.port,
            dir: spec.dir,
            netns: spec.netns.map(str::to_owned),
            child: None,
        };
        fs::create_dir(device.workdir()).expect("create the device's work directory");
        keygen(&device.host_key(), &format!("host-{}", device.name));
        fs::write(device.config(), device.config_text(spec.authorized_keys))
            .expect("write sshd_config");
        let check = Command::new(SSHD)
            .arg("-t")
            .arg("-f")
            .arg(device.config())
            .output()
            .unwrap_or_else(|e| panic!("run {SSHD} -t (is openssh-server installed?): {e}"));
        assert!(
            check.status.success(),
            "{SSHD} -t rejects the config of {}: {}",
            device.name,
            String::from_utf8_lossy(&check.stderr)
        );
        device.spawn();
        device
    }

    fn config_text(&self, authorized_keys: &Path) -> String {
        let lines = [
            format!("ListenAddress {}:{}", self.addr, self.port),
            "AddressFamily inet".to_owned(),
            format!("HostKey {}", self.host_key().display()),
            format!("PidFile {}", self.pid_file().display()),
            format!("AuthorizedKeysFile {}", authorized_keys.display()),
            "PermitRootLogin prohibit-password".to_owned(),
            "StrictModes no".to_owned(),
            "UsePAM no".to_owned(),
            "PubkeyAuthentication yes".to_owned(),
            "PasswordAuthentication no".to_owned(),
            "KbdInteractiveAuthentication no".to_owned(),
            "Subsystem sftp internal-sftp".to_owned(),
            "MaxStartups 100:30:200".to_owned(),
            "ClientAliveInterval 5".to_owned(),
            "PrintMotd no".to_owned(),
            "PrintLastLog no".to_owned(),
            "LogLevel VERBOSE".to_owned(),
            // The login shell reads its startup files from $HOME: a
            // device of its own has none, whatever the test user's
            // (e.g. a `pyenv rehash` in root's .bashrc) would do.
            format!("SetEnv HOME={}", self.dir.display()),
        ];
        lines.join("\n") + "\n"
    }

    /// Starts `sshd -D` (in the device's namespace, if any); its early
    /// errors go to the log as well.
    fn spawn(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        let _ = fs::remove_file(self.pid_file());
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, SSHD]);
                c
            }
            None => Command::new(SSHD),
        };
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_file())
            .expect("open the sshd log");
        // A command whose session ends keeps running, as on a real device;
        // as a subreaper, the listener inherits it instead of init, so it
        // stays in the tree that faults and drop apply to. The attribute
        // survives the exec (of `ip`, then of `sshd`).
        // SAFETY: prctl(2) with integer arguments is async-signal-safe and
        // touches no memory of the parent's.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        cmd.arg("-D")
            .arg("-f")
            .arg(self.config())
            .arg("-E")
            .arg(self.log_file())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start sshd for {}: {e}", self.name));
        self.child = Some(child);
    }

    /// Waits until `sshd` has written its PidFile, which it does only
    /// after its listening socket is bound: from then on the port accepts
    /// TCP connections.
    pub(super) fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_LIMIT;
        loop {
            let child = self
                .child
                .as_mut()
                .expect("wait for a device that was started");
            if let Some(status) = child.try_wait().expect("poll sshd") {
                self.child = None;
                panic!(
                    "sshd for {} exited ({status}); log:\n{}",
                    self.name,
                    self.log()
                );
            }
            let pid = fs::read_to_string(self.pid_file())
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok());
            if pid.is_some_and(procs::alive) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "sshd for {} not listening on {}:{} after {START_LIMIT:?}; log:\n{}",
                self.name,
                self.addr,
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The name given to [`super::Lab::device`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address `sshd` listens on.
    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// The port `sshd` listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// This device's directory in the lab (config, host key, log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// An empty directory for the device's own files (the controller's
    /// remote cache); the same path on both sides, since the device runs
    /// on this machine.
    pub fn workdir(&self) -> PathBuf {
        self.dir.join("work")
    }

    /// The public host key: `ssh-ed25519 AAAA…`.
    pub fn host_key_pub(&self) -> String {
        let path = self.host_key().with_extension("pub");
        let text =
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The host as `known_hosts` and `ssh` name it: `[addr]:port`, or the
    /// bare address on port 22.
    pub fn host_pattern(&self) -> String {
        if self.port == 22 {
            self.addr.to_string()
        } else {
            format!("[{}]:{}", self.addr, self.port)
        }
    }

    /// This device's `known_hosts` line: `[addr]:port ssh-ed25519 AAAA…`.
    pub fn known_hosts_line(&self) -> String {
        format!("{} {}", self.host_pattern(), self.host_key_pub())
    }

    /// Everything `sshd` logged so far (all runs of this device).
    pub fn log(&self) -> String {
        fs::read(self.log_file())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The process that `sshd` started as, while the device runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The listener and every process below it: connections, sessions and
    /// the commands they run, also those whose session has ended (the
    /// listener is their subreaper).
    pub fn pids(&self) -> Vec<u32> {
        self.pid().map(procs::tree).unwrap_or_default()
    }

    /// The device dies: the listener and every process below it are killed,
    /// so open sessions end and new connections are refused. Returns once
    /// they are all gone.
    pub fn kill(&mut self) {
        if let Err(left) = self.try_kill() {
            panic!("processes of {} outlived SIGKILL: {left:?}", self.name);
        }
    }

    fn try_kill(&mut self) -> Result<(), Vec<u32>> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let pids = procs::kill_tree(child.id());
        let _ = child.kill();
        let _ = child.wait();
        procs::wait_gone(&pids)
    }

    /// The device hangs: the listener and every process below it get
    /// SIGSTOP. The kernel still completes TCP handshakes and ACKs data,
    /// but nothing answers. Returns once all of them are stopped.
    pub fn stop(&self) {
        if let Some(pid) = self.pid()
            && let Err(running) = procs::stop_tree(pid)
        {
            panic!("processes of {} did not stop: {running:?}", self.name);
        }
    }

    /// Undoes [`FakeDevice::stop`] (SIGCONT to the whole tree).
    pub fn cont(&self) {
        if let Some(pid) = self.pid() {
            procs::cont_tree(pid);
        }
    }

    /// Kills the device if it runs, then starts `sshd` again with the same
    /// address, port, host key and work directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
        self.wait_ready();
    }

    /// Kills the device, gives it a new host key and starts it again: an
    /// `ssh` that knows the old key now refuses it.
    pub fn regenerate_host_key(&mut self) {
        self.kill();
        let key = self.host_key();
        fs::remove_file(&key).expect("remove the old host key");
        fs::remove_file(key.with_extension("pub")).expect("remove the old public host key");
        keygen(&key, &format!("host-{}", self.name));
        self.spawn();
        self.wait_ready();
    }

    fn host_key(&self) -> PathBuf {
        self.dir.join("host_key")
    }

    fn config(&self) -> PathBuf {
        self.dir.join("sshd_config")
    }

    fn pid_file(&self) -> PathBuf {
        self.dir.join("sshd.pid")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.join("sshd.log")
    }
}

impl Drop for FakeDevice {
    fn drop(&mut self) {
        if let Err(left) = self.try_kill() {
            eprintln!("processes of {} outlived SIGKILL: {left:?}", self.name);
        }
    }
}
