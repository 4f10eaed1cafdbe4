//! Devices: the built-in `local`, `[[device]]` tables in the matrix and in an
//! included inventory file, and the `devices` selection.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use edgebench_schema::job::{Ina219Settings, MeterKind};
use toml::Spanned;

use super::checked::{Connection, Device, DeviceMeter, SshSettings};
use super::checker::Checker;
use super::diagnostic::{Diagnostic, Diagnostics};
use super::raw::{RawDevice, RawInventory, RawMatrix};
use super::read::read_inventory;
use super::source::{Location, Source};
use crate::target::DeviceLock;

/// The name of the built-in device: this machine.
pub const LOCAL: &str = "local";
/// Default `workdir` of an SSH device, relative to the SSH home.
pub const DEFAULT_WORKDIR: &str = ".cache/edgebench";
/// Target triples the controller can build the agent for.
pub const KNOWN_TARGETS: [&str; 6] = [
    "aarch64-unknown-linux-gnu",
    "aarch64-unknown-linux-musl",
    "x86_64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
    "armv7-unknown-linux-gnueabihf",
    "riscv64gc-unknown-linux-gnu",
];

/// Every device the matrix can name, and the ones it selects.
#[derive(Debug, Default)]
pub struct Devices {
    /// All devices: `local`, then the matrix's, then the inventory's.
    pub available: Vec<Device>,
    /// The selected devices, in `devices` order.
    pub selected: Vec<Device>,
}

impl Devices {
    /// The device called `name`.
    pub fn get(&self, name: &str) -> Option<&Device> {
        self.available.iter().find(|d| d.name == name)
    }

    /// The names of all devices.
    pub fn names(&self) -> Vec<&str> {
        self.available.iter().map(|d| d.name.as_str()).collect()
    }
}

/// Resolves the devices of a matrix, reading its inventory file.
pub fn check_devices(raw: &RawMatrix, errors: &mut Diagnostics) -> Devices {
    let mut found: Vec<(Device, Location)> = Vec::new();
    let mut c = Checker {
        source: Arc::clone(&raw.source),
        errors: &mut *errors,
    };
    for d in &raw.device {
        if let Some(dev) = check_device(&mut c, d) {
            found.push((dev, c.at(d.name.span())));
        }
    }
    if let Some(inv) = &raw.inventory
        && let Some(source) = open_inventory(&mut c, inv)
        && let Some(parsed) = read_inventory(&source, errors)
    {
        let mut ic = Checker {
            source,
            errors: &mut *errors,
        };
        for d in &parsed.device {
            if let Some(dev) = check_device(&mut ic, d) {
                found.push((dev, ic.at(d.name.span())));
            }
        }
    }
    let mut devices = Devices::default();
    let mut seen: HashMap<String, Location> = HashMap::new();
    for (dev, loc) in found {
        if let Some(first) = seen.get(&dev.name) {
            errors.push(
                Diagnostic::new(format!("duplicate device name `{}`", dev.name))
                    .at(loc)
                    .help(format!(
                        "`{}` is first defined at {}",
                        dev.name,
                        first.position()
                    )),
            );
            continue;
        }
        seen.insert(dev.name.clone(), loc);
        devices.available.push(dev);
    }
    if !seen.contains_key(LOCAL) {
        devices.available.insert(0, local_device(None));
    }
    let mut c = Checker {
        source: Arc::clone(&raw.source),
        errors,
    };
    select(&mut c, raw.devices.as_ref(), &mut devices);
    devices
}

/// Every device of an inventory file, checked.
pub fn inventory_devices(inventory: &RawInventory, errors: &mut Diagnostics) -> Vec<Device> {
    let mut c = Checker {
        source: Arc::clone(&inventory.source),
        errors,
    };
    let mut out: Vec<Device> = Vec::new();
    for d in &inventory.device {
        if let Some(dev) = check_device(&mut c, d) {
            if out.iter().any(|o| o.name == dev.name) {
                c.error(
                    d.name.span(),
                    format!("duplicate device name `{}`", dev.name),
                );
                continue;
            }
            out.push(dev);
        }
    }
    if out.is_empty() && c.errors.0.is_empty() {
        c.push(Diagnostic::new(format!(
            "`{}` declares no device: add [[device]] tables",
            inventory.source.path.display()
        )));
    }
    out
}

fn select(
    c: &mut Checker<'_>,
    names: Option<&Spanned<Vec<Spanned<String>>>>,
    devices: &mut Devices,
) {
    let Some(names) = names else {
        devices.selected = devices.get(LOCAL).cloned().into_iter().collect();
        return;
    };
    if names.get_ref().is_empty() {
        c.error(names.span(), "`devices` is empty: list at least one device");
    }
    for name in names.get_ref() {
        let n = name.get_ref();
        if devices.selected.iter().any(|d| &d.name == n) {
            c.error(name.span(), format!("duplicate device `{n}` in `devices`"));
            continue;
        }
        match devices.get(n) {
            Some(d) => devices.selected.push(d.clone()),
            None => c.push(unknown_device(c.at(name.span()), n, &devices.names())),
        }
    }
}

/// "unknown device" with the nearest known name, or the list of them.
pub fn unknown_device(at: Location, name: &str, known: &[&str]) -> Diagnostic {
    let d = Diagnostic::new(format!("unknown device `{name}`"))
        .at(at)
        .suggest(name, known.iter().copied());
    if d.help.is_some() {
        return d;
    }
    d.help(format!(
        "known devices: {}; declare others in [[device]] tables or an inventory file",
        known.join(", ")
    ))
}

fn open_inventory(c: &mut Checker<'_>, inv: &Spanned<String>) -> Option<Arc<Source>> {
    let path = c.source.dir().join(inv.get_ref());
    match fs::read_to_string(&path) {
        Ok(text) => Some(Source::new(path, text)),
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "not found".to_owned()
            } else {
                format!("cannot be read: {e}")
            };
            c.push(
                Diagnostic::new(format!("inventory file `{}` {why}", inv.get_ref()))
                    .at(c.at(inv.span()))
                    .help(format!(
                        "looked for `{}`; the path is relative to the matrix file",
                        path.display()
                    )),
            );
            None
        }
    }
}

/// This machine, with its memory from `/proc/meminfo` unless given.
pub fn local_device(memory_mib: Option<u64>) -> Device {
    Device {
        name: LOCAL.to_owned(),
        connection: Connection::Local,
        target: Some(host_target()),
        memory_bytes: memory_mib.map(|m| m << 20).or_else(local_memory_bytes),
        command_prefix: Vec::new(),
        lock: DeviceLock::default(),
        meter: DeviceMeter::default(),
        tags: Vec::new(),
    }
}

/// The target triple of this machine.
pub fn host_target() -> String {
    format!(
        "{}-unknown-{}-gnu",
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// `MemTotal` from `/proc/meminfo`, in bytes.
pub fn local_memory_bytes() -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn check_device(c: &mut Checker<'_>, d: &RawDevice) -> Option<Device> {
    let name = d.name.get_ref();
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch));
    if !valid_name {
        c.error(
            d.name.span(),
            format!("device name `{name}` must be letters, digits, `-`, `_` or `.`"),
        );
        return None;
    }
    let errors_before = c.errors.0.len();
    let meter = check_meter(c, d);
    if let Some(m) = &d.memory_mib
        && *m.get_ref() == 0
    {
        c.error(m.span(), "`memory_mib` must be at least 1");
    }
    let memory_mib = d.memory_mib.as_ref().map(|m| *m.get_ref());
    let command_prefix = check_prefix(c, d);
    let lock = check_lock(c, d);
    if name == LOCAL {
        if let Some(h) = &d.host {
            c.error(
                h.span(),
                "the `local` device is this machine: it takes no `host`",
            );
        }
        for (key, span) in ssh_only_keys(d) {
            c.error(
                span,
                format!("the `local` device is this machine: `{key}` is for SSH devices"),
            );
        }
        let mut dev = local_device(memory_mib);
        dev.meter = meter;
        dev.tags = d.tags.clone();
        dev.command_prefix = command_prefix;
        dev.lock = lock;
        return (c.errors.0.len() == errors_before).then_some(dev);
    }
    let host = non_empty(c, "host", d.host.as_ref(), d.name.span(), name);
    let target = match &d.target {
        Some(t) if t.get_ref().trim().is_empty() => {
            c.error(t.span(), "`target` must not be empty");
            None
        }
        Some(t) => Some(t.get_ref().clone()),
        None => None,
    };
    if let Some(target) = &target
        && !KNOWN_TARGETS.contains(&target.as_str())
    {
        let span = d.target.as_ref().map_or(0..0, Spanned::span);
        let diag = Diagnostic::new(format!("unsupported target `{target}`"))
            .at(c.at(span))
            .suggest(target, KNOWN_TARGETS);
        let help = format!("supported: {}", KNOWN_TARGETS.join(", "));
        c.push(if diag.help.is_some() {
            diag
        } else {
            diag.help(help)
        });
    }
    let host = host?;
    let port = d.port.as_ref().map(|p| *p.get_ref());
    if let Some(p) = &d.port
        && port == Some(0)
    {
        c.error(p.span(), "`port` must be from 1 to 65535");
    }
    check_env_name(c, "password_env", d.password_env.as_ref());
    check_env_name(c, "passphrase_env", d.passphrase_env.as_ref());
    let workdir = d
        .workdir
        .as_ref()
        .map_or(DEFAULT_WORKDIR.to_owned(), |w| w.get_ref().clone());
    if workdir.trim().is_empty()
        && let Some(w) = &d.workdir
    {
        c.error(w.span(), "`workdir` must not be empty");
    }
    let get = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.get_ref().clone());
    let seconds = |c: &mut Checker<'_>, v: &Option<Spanned<u64>>, key: &str, default: u64| {
        let n = v.as_ref().map_or(default, |s| *s.get_ref());
        if n == 0
            && let Some(s) = v
        {
            c.error(s.span(), format!("`{key}` must be at least 1"));
        }
        Duration::from_secs(n.max(1))
    };
    let ssh_config = d
        .ssh_config
        .as_ref()
        .map(|p| c.source.dir().join(expand_home(p.get_ref())));
    let agent = d.agent.as_ref().map(|p| {
        let path = c.source.dir().join(expand_home(p.get_ref()));
        if !path.is_file() {
            c.push(
                Diagnostic::new(format!("agent `{}` not found", p.get_ref()))
                    .at(c.at(p.span()))
                    .help(format!(
                        "looked for `{}`; the path is relative to the file that names it",
                        path.display()
                    )),
            );
        }
        path
    });
    let dev = Device {
        name: name.clone(),
        connection: Connection::Ssh(Box::new(SshSettings {
            host,
            port,
            user: get(&d.user),
            identity_file: get(&d.identity_file),
            password_env: get(&d.password_env),
            passphrase_env: get(&d.passphrase_env),
            proxy_jump: get(&d.proxy_jump),
            ssh_config,
            workdir,
            agent,
            linker: get(&d.linker),
            connect_timeout: seconds(c, &d.connect_timeout_seconds, "connect_timeout_seconds", 10),
            keepalive: seconds(c, &d.keepalive_seconds, "keepalive_seconds", 15),
        })),
        target,
        memory_bytes: memory_mib.map(|m| m << 20),
        command_prefix,
        lock,
        meter,
        tags: d.tags.clone(),
    };
    (c.errors.0.len() == errors_before).then_some(dev)
}

/// `~/x` against `$HOME`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Keys that only mean something for a device reached over SSH.
fn ssh_only_keys(d: &RawDevice) -> Vec<(&'static str, std::ops::Range<usize>)> {
    let strings = [
        ("user", &d.user),
        ("identity_file", &d.identity_file),
        ("password_env", &d.password_env),
        ("passphrase_env", &d.passphrase_env),
        ("proxy_jump", &d.proxy_jump),
        ("ssh_config", &d.ssh_config),
        ("workdir", &d.workdir),
        ("agent", &d.agent),
        ("linker", &d.linker),
        ("target", &d.target),
    ];
    let mut out: Vec<_> = strings
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|s| (k, s.span())))
        .collect();
    let numbers = [
        ("connect_timeout_seconds", &d.connect_timeout_seconds),
        ("keepalive_seconds", &d.keepalive_seconds),
    ];
    out.extend(
        numbers
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|s| (k, s.span()))),
    );
    if let Some(p) = &d.port {
        out.push(("port", p.span()));
    }
    out
}

fn check_env_name(c: &mut Checker<'_>, key: &str, env: Option<&Spanned<String>>) {
    let Some(env) = env else { return };
    let v = env.get_ref();
    let ok = !v.is_empty()
        && !v.starts_with(|ch: char| ch.is_ascii_digit())
        && v.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    if !ok {
        c.push(
            Diagnostic::new(format!(
                "`{key}` must name an environment variable, found `{v}`"
            ))
            .at(c.at(env.span()))
            .help("e.g. `password_env = \"PI5_PASSWORD\"`; secrets never live in files"),
        );
    }
}

fn check_prefix(c: &mut Checker<'_>, d: &RawDevice) -> Vec<String> {
    let Some(prefix) = &d.command_prefix else {
        return Vec::new();
    };
    let words = prefix.get_ref();
    if words.first().is_none_or(|w| w.trim().is_empty()) || words.iter().any(|w| w.contains('\0')) {
        c.push(
            Diagnostic::new("`command_prefix` must start with a program and hold no NUL byte")
                .at(c.at(prefix.span()))
                .help(
                    "e.g. `command_prefix = [\"taskset\", \"-c\", \"2,3\"]`: one word per element",
                ),
        );
    }
    words.clone()
}

fn check_lock(c: &mut Checker<'_>, d: &RawDevice) -> DeviceLock {
    let mut lock = DeviceLock::default();
    if let Some(f) = &d.lock_file {
        if f.get_ref().trim().is_empty() || f.get_ref().contains('\0') {
            c.error(f.span(), "`lock_file` must be a path");
        }
        lock.path = f.get_ref().clone();
    }
    if let Some(w) = &d.lock_wait_seconds {
        lock.wait = Duration::from_secs(*w.get_ref());
    }
    lock
}

fn non_empty(
    c: &mut Checker<'_>,
    key: &str,
    value: Option<&Spanned<String>>,
    name_span: std::ops::Range<usize>,
    name: &str,
) -> Option<String> {
    match value {
        Some(v) if !v.get_ref().trim().is_empty() => Some(v.get_ref().clone()),
        Some(v) => {
            c.error(v.span(), format!("`{key}` must not be empty"));
            None
        }
        None => {
            let example = if key == "target" {
                " (e.g. `aarch64-unknown-linux-gnu`)"
            } else {
                ""
            };
            c.error(name_span, format!("device `{name}` needs `{key}`{example}"));
            None
        }
    }
}

fn check_meter(c: &mut Checker<'_>, d: &RawDevice) -> DeviceMeter {
    let Some(m) = &d.meter else {
        return DeviceMeter::default();
    };
    let raw = m.get_ref();
    let ina219 = raw.ina219.as_ref().map(|i| {
        let v = i.get_ref();
        if !(v.shunt_ohms > 0.0 && v.max_current_a > 0.0 && v.address < 0x80) {
            c.error(
                i.span(),
                "`ina219` needs a positive `shunt_ohms` and `max_current_a` and a 7-bit `address`",
            );
        }
        Ina219Settings {
            bus: v.bus,
            address: v.address,
            shunt_ohms: v.shunt_ohms,
            max_current_a: v.max_current_a,
        }
    });
    if raw.kind == Some(MeterKind::Ina219) && ina219.is_none() {
        c.push(
            Diagnostic::new(format!(
                "device `{}` uses an ina219 meter but does not say where it is",
                d.name.get_ref()
            ))
            .at(c.at(m.span()))
            .help("add `ina219 = { bus = 1, address = 0x40, shunt_ohms = 0.1 }`"),
        );
    }
    if let Some(rail) = &raw.hwmon_rail
        && rail.trim().is_empty()
    {
        c.error(m.span(), "`hwmon_rail` must not be empty");
    }
    DeviceMeter {
        kind: raw.kind,
        ina219,
        hwmon_rail: raw.hwmon_rail.clone(),
    }
}
