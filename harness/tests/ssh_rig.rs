//! The SSH test rig itself, checked with the system `ssh` client: fake
//! devices are real `sshd`s that check host keys, die, hang, come back and
//! change keys as a real device would, 64 of them start at once, and a
//! device behind a jump host is reachable only through it.
//!
//! The jump-host test needs root for network namespaces; without them it
//! is skipped, unless `EDGEBENCH_REQUIRE_NETNS=1` (set by
//! `scripts/test.sh`) makes that a failure.

mod ssh_support;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ssh_support::{FakeDevice, Lab, NetnsLab, procs, run_bounded};

/// Generous bound on any one `ssh`; none should come near it.
const LIMIT: Duration = Duration::from_secs(60);

fn echo_ok(lab: &Lab, device: &FakeDevice) {
    let r = run_bounded(lab.ssh_command(device).arg("echo ok"), LIMIT);
    assert!(r.success(), "ssh to {}: {}", device.name(), r.text());
    assert_eq!(r.stdout, "ok\n", "{}", r.text());
}

/// An `ssh` session to a device, killed and waited for on drop.
struct Session(Child);

impl Session {
    /// Starts `ssh … <command>` and waits until it prints its first line,
    /// `started`, so the session is known to be open.
    fn open(lab: &Lab, device: &FakeDevice, command: &str) -> Session {
        let mut child = lab
            .ssh_command(device)
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ssh");
        let stdout = child.stdout.take().expect("piped stdout");
        let session = Session(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(LIMIT).expect("the session prints a line");
        assert_eq!(line, "started\n");
        session
    }

    /// Whether `ssh` is still running.
    fn running(&mut self) -> bool {
        self.0.try_wait().expect("poll ssh").is_none()
    }

    /// Waits (bounded) for `ssh` to exit; whether it succeeded.
    fn exits_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.try_wait().expect("poll ssh") {
                return status.success();
            }
            assert!(
                Instant::now() < deadline,
                "ssh still running after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn three_devices_answer_and_check_host_keys() {
    let lab = Lab::new();
    let devices: Vec<FakeDevice> = (1..=3)
        .map(|i| lab.device(&format!("d{i}"), Ipv4Addr::new(127, 0, 2, i)))
        .collect();

    let r = run_bounded(lab.ssh_command(&devices[0]).arg("echo ok"), LIMIT);
    assert!(
        !r.success(),
        "an untrusted host key was accepted: {}",
        r.text()
    );
    assert!(
        r.stderr.contains("Host key verification failed"),
        "{}",
        r.text()
    );

    for d in &devices {
        lab.trust(d);
    }
    for d in &devices {
        echo_ok(&lab, d);
        assert!(d.log().contains("Accepted publickey"), "{}", d.log());
        assert!(d.workdir().is_dir());
        assert!(d.known_hosts_line().starts_with(&format!(
            "[{}]:{} ssh-ed25519 AAAA",
            d.addr(),
            d.port()
        )));
    }
    assert_ne!(devices[0].host_key_pub(), devices[1].host_key_pub());

    // The ssh_config helper reaches a device by alias.
    lab.add_host("second", &devices[1]);
    let r = run_bounded(
        std::process::Command::new("ssh")
            .arg("-F")
            .arg(lab.ssh_config())
            .args(["second", "echo ok"]),
        LIMIT,
    );
    assert!(r.success() && r.stdout == "ok\n", "{}", r.text());
}

#[test]
fn a_killed_device_resets_sessions_refuses_connections_and_restarts() {
    let lab = Lab::new();
    let mut d = lab.device("d", Ipv4Addr::new(127, 0, 3, 1));
    lab.trust(&d);
    let key = d.host_key_pub();
    let mut session = Session::open(&lab, &d, "echo started; sleep 600");
    let before = d.pids();
    assert!(
        before.len() > 2,
        "listener, connection and command: {before:?}"
    );

    d.kill();
    assert!(before.iter().all(|&p| !procs::alive(p)), "{before:?}");
    assert!(
        !session.exits_within(LIMIT),
        "the open session ended cleanly"
    );
    let refused = TcpStream::connect((d.addr(), d.port())).expect_err("connect to a dead device");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    let r = run_bounded(lab.ssh_command(&d).arg("true"), LIMIT);
    assert!(
        !r.success() && r.stderr.contains("Connection refused"),
        "{}",
        r.text()
    );

    d.restart();
    assert_eq!(d.host_key_pub(), key);
    echo_ok(&lab, &d);
}

#[test]
fn a_stopped_device_hangs_and_recovers_on_cont() {
    let lab = Lab::new();
    let d = lab.device("d", Ipv4Addr::new(127, 0, 4, 1));
    lab.trust(&d);
    let mut session = Session::open(&lab, &d, "echo started; sleep 600");

    d.stop();
    // The kernel still completes the handshake; sshd never answers.
    let tcp = TcpStream::connect((d.addr(), d.port()));
    assert!(tcp.is_ok(), "a stopped sshd's port accepts: {tcp:?}");
    let r = run_bounded(
        lab.ssh_command_with(&d, &["-o", "ConnectTimeout=2"])
            .arg("true"),
        Duration::from_secs(20),
    );
    assert!(!r.success(), "a stopped device answered: {}", r.text());
    assert!(session.running(), "the session ended");

    d.cont();
    echo_ok(&lab, &d);

    // A command outlives its session, as on a real device, and still goes
    // with the device.
    let sleep = d
        .pids()
        .into_iter()
        .find(|&p| procs::cmdline(p) == ["sleep", "600"])
        .expect("the session's command runs");
    drop(session);
    let deadline = Instant::now() + LIMIT;
    while procs::parent(sleep) != d.pid() {
        assert!(
            Instant::now() < deadline,
            "the command left the device's tree"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(d);
    assert!(
        !procs::alive(sleep),
        "the session's command outlived its device"
    );
}

#[test]
fn sixty_four_devices_start_and_answer() {
    let lab = Lab::new();
    let started = Instant::now();
    let devices = lab.devices(64, Ipv4Addr::new(127, 0, 5, 1));
    eprintln!("64 devices listening after {:?}", started.elapsed());
    assert_eq!(devices.len(), 64);
    assert_eq!(devices[63].addr(), Ipv4Addr::new(127, 0, 5, 64));
    for d in &devices {
        lab.trust(d);
    }
    let started = Instant::now();
    std::thread::scope(|s| {
        for chunk in devices.chunks(8) {
            let lab = &lab;
            s.spawn(move || {
                for d in chunk {
                    let r = run_bounded(lab.ssh_command(d).arg("true"), LIMIT);
                    assert!(r.success(), "ssh to {}: {}", d.name(), r.text());
                }
            });
        }
    });
    eprintln!("64 logins after {:?}", started.elapsed());
}

#[test]
fn a_regenerated_host_key_is_refused() {
    let lab = Lab::new();
    let mut d = lab.device("d", Ipv4Addr::new(127, 0, 6, 1));
    lab.trust(&d);
    echo_ok(&lab, &d);
    let old = d.host_key_pub();

    d.regenerate_host_key();
    assert_ne!(d.host_key_pub(), old);
    let r = run_bounded(lab.ssh_command(&d).arg("echo ok"), LIMIT);
    assert!(
        !r.success(),
        "a changed host key was accepted: {}",
        r.text()
    );
    assert!(
        r.stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{}",
        r.text()
    );

    lab.forget(&d);
    lab.trust(&d);
    echo_ok(&lab, &d);
}

#[test]
fn dropping_a_device_leaves_no_process_even_on_panic() {
    let lab = Lab::new();
    let (tx, rx) = mpsc::channel();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let d = lab.device("d", Ipv4Addr::new(127, 0, 7, 1));
        lab.trust(&d);
        let _session = Session::open(&lab, &d, "echo started; sleep 600");
        d.stop();
        tx.send(d.pids()).expect("send pids");
        panic!("a test fails with a device stopped and a session open");
    }));
    assert!(panicked.is_err());
    let pids = rx.recv().expect("pids");
    assert!(pids.len() > 2, "{pids:?}");
    assert!(
        pids.iter().all(|&p| !procs::alive(p)),
        "left running: {pids:?}"
    );
}

#[test]
fn behind_a_jump_host_the_device_is_reachable_only_through_it() {
    let lab = Lab::new();
    let Some(net) = NetnsLab::new_or_skip(&lab) else {
        return;
    };
    lab.trust(net.jump());
    lab.trust(net.device());

    let direct = run_bounded(
        net.command_in_ctl("ssh")
            .args(lab.ssh_args(net.device(), &["-o", "ConnectTimeout=5"]))
            .arg("echo ok"),
        LIMIT,
    );
    assert!(
        !direct.success(),
        "reached the device directly: {}",
        direct.text()
    );
    assert!(
        direct.stderr.contains("Network is unreachable"),
        "{}",
        direct.text()
    );

    let jump = run_bounded(
        net.command_in_ctl("ssh")
            .args(lab.ssh_args(net.jump(), &[]))
            .arg("echo ok"),
        LIMIT,
    );
    assert!(jump.success() && jump.stdout == "ok\n", "{}", jump.text());

    let via = run_bounded(
        net.command_in_ctl("ssh")
            .args(lab.ssh_args_via(net.jump(), net.device(), &[]))
            .arg("echo ok"),
        LIMIT,
    );
    assert!(via.success() && via.stdout == "ok\n", "{}", via.text());
    assert!(net.device().log().contains("Accepted publickey"));

    let names = net.namespaces().to_vec();
    drop(net);
    for ns in names {
        assert!(
            !Path::new("/run/netns").join(&ns).exists(),
            "{ns} left behind"
        );
    }
}
